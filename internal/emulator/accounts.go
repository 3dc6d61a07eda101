package emulator

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"sync"
)

// Accounts: every Transfer and EC2 request is served in the account of the credentials that
// signed it. Base credentials (any access key the emulator did not issue) are the principal
// arn:aws:iam::ACCOUNT:user/emulator of Options.AccountID; credentials AssumeRole or
// AssumeRoleWithWebIdentity issued (sts_roles.go) are the assumed role of the role's account. The
// resources of Options.AccountID are the Emulator's own; those of every other account are held by
// an Emulator of their own, made on the first request that reaches the account, which shares the
// clock, transition delay, faults, call log, page-token key and data plane.

// baseUserName is the IAM user name of the base credentials' principal.
const baseUserName = "emulator"

// Messages of the AWS front end for refused temporary credentials (aws-sdk-go
// aws/request/retryer.go lists ExpiredToken, ExpiredTokenException and RequestExpired as the
// codes that mean expired credentials; the messages are the ones AWS answers, as the AWS CLI
// prints them).
const (
	msgInvalidToken = "The security token included in the request is invalid."
	msgExpiredToken = "The security token included in the request is expired"
)

// accountSet is the Emulators of the accounts other than the default one, by account ID.
type accountSet struct {
	mu   sync.Mutex
	byID map[string]*Emulator
}

// principal is who signed a request.
type principal struct {
	account string
	arn     string
	userID  string
	// assumedRole marks credentials STS issued, whose AssumeRole calls are role chaining.
	assumedRole bool
}

// account returns the Emulator that holds the resources of id, making it on first use.
func (e *Emulator) account(id string) *Emulator {
	if id == e.accountID {
		return e
	}
	e.accounts.mu.Lock()
	defer e.accounts.mu.Unlock()
	a := e.accounts.byID[id]
	if a == nil {
		h := fnv.New64a()
		_, _ = h.Write([]byte(id))
		a = &Emulator{
			accountID:   id,
			delay:       e.delay,
			clock:       e.clock,
			regions:     map[string]*region{},
			rng:         rand.New(rand.NewPCG(e.seed, h.Sum64())),
			secrets:     secretSource(e.secretSeed, h.Sum64()),
			requestSalt: e.requestSalt,
			tokenKey:    e.tokenKey,
			faults:      e.faults,
			calls:       e.calls,
			dp:          e.dp,
			s3:          e.s3,
			s3API:       e.s3API,
			runs:        e.runs,
			owner:       e,
			seed:        e.seed,
			secretSeed:  e.secretSeed,
		}
		e.accounts.byID[id] = a
	}
	return a
}

// existingAccount returns the Emulator of id, or nil when no request has reached it.
func (e *Emulator) existingAccount(id string) *Emulator {
	if id == e.accountID {
		return e
	}
	e.accounts.mu.Lock()
	defer e.accounts.mu.Unlock()
	return e.accounts.byID[id]
}

// SnapshotOf returns a copy of every resource of account accountID (Snapshot is that of
// Options.AccountID), with no regions when no request has reached the account.
func (e *Emulator) SnapshotOf(accountID string) Snapshot {
	a := e.existingAccount(accountID)
	if a == nil {
		return Snapshot{Regions: map[string]RegionSnapshot{}}
	}
	return a.Snapshot()
}

// basePrincipal is the principal of the base credentials: an IAM user of the default account.
func (e *Emulator) basePrincipal() principal {
	return principal{
		account: e.accountID,
		arn:     "arn:aws:iam::" + e.accountID + ":user/" + baseUserName,
		userID:  "AIDA" + stableID("user/"+e.accountID, 17),
	}
}

// authenticate returns the principal of a request to service. A request signed with an access
// key the emulator issued needs the key's session token in X-Amz-Security-Token and must not be
// expired; one signed with another key that looks temporary (ASIA...) is refused as AWS refuses
// unknown keys. With Options.StrictSigV4 every signature is verified, an issued key's with its
// issued secret; without it an unsigned request, or one signed with any other key, is the base
// principal.
func (e *Emulator) authenticate(r *http.Request, body []byte, service string) (principal, *apiError) {
	a, signed := parseSigV4(r.Header.Get("Authorization"))
	if !signed || !isTemporaryKey(a.accessKeyID) {
		if e.strict != nil {
			if aerr := verifySigV4(r, body, *e.strict, service, e.clock.Now()); aerr != nil {
				return principal{}, aerr
			}
		}
		return e.basePrincipal(), nil
	}
	cred, ok := e.sts.issued(a.accessKeyID)
	token := r.Header.Get("X-Amz-Security-Token")
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(cred.sessionToken)) != 1 {
		// HTTP 400, as the awsJson front ends answer UnrecognizedClientException (Cognito, ECS:
		// "400 Bad Request ... UnrecognizedClientException"; aws-azure-login issue 37); the STS
		// and EC2 forms have their own statuses (stsAuthError, ec2AuthError).
		return principal{}, errAuth(CodeUnrecognizedClient, msgInvalidToken)
	}
	if e.strict != nil {
		if aerr := verifySigV4(r, body, Credentials{AccessKeyID: a.accessKeyID, SecretAccessKey: cred.secretAccessKey}, service, e.clock.Now()); aerr != nil {
			return principal{}, aerr
		}
	}
	if !e.clock.Now().Before(cred.expiration) {
		return principal{}, errAuth(CodeExpiredToken, msgExpiredToken)
	}
	return cred.principal, nil
}

// stableID returns n characters of [A-Z2-7] derived from s, the same for every call: the
// unique IDs (AIDA..., AROA...) IAM gives users and roles.
func stableID(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return base32.StdEncoding.EncodeToString(sum[:])[:n]
}
