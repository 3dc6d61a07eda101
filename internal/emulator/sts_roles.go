package emulator

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// The roles STS lets principals assume and the credentials it issues, as records and rules:
// who may assume a role, for how long, what the credentials are, and the actions AssumeRole,
// AssumeRoleWithWebIdentity and GetCallerIdentity. The query protocol is in sts_query.go, the
// XML answers in sts_xml.go.

const (
	// temporaryKeyPrefix begins the access key IDs of temporary credentials (IAM User Guide,
	// "Unique identifier prefixes": ASIA is a temporary AWS STS access key).
	temporaryKeyPrefix = "ASIA"

	defaultSessionDuration = time.Hour
	minSessionDuration     = 15 * time.Minute
	maxSessionDuration     = 12 * time.Hour
	// chainedSessionLimit is the longest session of a role assumed with temporary credentials
	// (AssumeRoleInput.DurationSeconds: "Role chaining limits your Amazon Web Services CLI or
	// Amazon Web Services API role session to a maximum of one hour").
	chainedSessionLimit = time.Hour
)

// Role is an IAM role STS lets principals assume.
type Role struct {
	// ARN is arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME; the role belongs to ACCOUNT, and
	// credentials of the role are served in it.
	ARN string
	// TrustedAccounts are the accounts whose principals may AssumeRole the role; empty means
	// Options.AccountID alone.
	TrustedAccounts []string
	// ExternalID, when not empty, is the ExternalId every AssumeRole of the role must pass.
	ExternalID string
	// WebIdentity lets AssumeRoleWithWebIdentity assume the role with any non-empty token.
	WebIdentity bool
	// MaxSessionDuration is the longest session DurationSeconds may ask for, from 1 to 12
	// hours; zero means 1 hour.
	MaxSessionDuration time.Duration
}

var (
	roleARNRE     = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$`)
	accountIDRE   = regexp.MustCompile(`^\d{12}$`)
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
)

// stsState is the roles and the credentials STS issued; it has its own lock so STS calls never
// wait on resource operations.
type stsState struct {
	mu  sync.Mutex
	rng *rand.Rand
	// secrets is the source of secret keys and session tokens (secretSource).
	secrets io.Reader
	roles   map[string]Role
	// creds are the issued credentials by access key ID.
	creds map[string]*issuedCredential
}

// issuedCredential is one set of temporary credentials and the principal it stands for.
type issuedCredential struct {
	secretAccessKey string
	sessionToken    string
	expiration      time.Time
	principal       principal
}

func newSTSState(rng *rand.Rand, secrets io.Reader) *stsState {
	return &stsState{rng: rng, secrets: secrets, roles: map[string]Role{}, creds: map[string]*issuedCredential{}}
}

// DefineRole adds a role, or replaces the role of the same ARN. It refuses an ARN that is not
// an IAM role's, a trusted account that is not 12 digits and a MaxSessionDuration outside 1 to
// 12 hours.
func (e *Emulator) DefineRole(role Role) error {
	if !roleARNRE.MatchString(role.ARN) {
		return fmt.Errorf("role ARN %q is not arn:PARTITION:iam::ACCOUNT:role/NAME", role.ARN)
	}
	for _, a := range role.TrustedAccounts {
		if !accountIDRE.MatchString(a) {
			return fmt.Errorf("trusted account %q is not a 12-digit account ID", a)
		}
	}
	if role.MaxSessionDuration == 0 {
		role.MaxSessionDuration = defaultSessionDuration
	}
	if role.MaxSessionDuration < time.Hour || role.MaxSessionDuration > maxSessionDuration {
		return fmt.Errorf("max session duration %s is outside 1h to 12h", role.MaxSessionDuration)
	}
	role.TrustedAccounts = slices.Clone(role.TrustedAccounts)
	e.sts.mu.Lock()
	defer e.sts.mu.Unlock()
	e.sts.roles[role.ARN] = role
	return nil
}

// DeleteRole removes a role; credentials issued for it stay valid until they expire.
func (e *Emulator) DeleteRole(arn string) {
	e.sts.mu.Lock()
	defer e.sts.mu.Unlock()
	delete(e.sts.roles, arn)
}

// ExpireCredentials makes every credential STS issued so far expired now, so that requests
// signed with them are answered as expired (ExpiredTokenException).
func (e *Emulator) ExpireCredentials() {
	now := e.clock.Now()
	e.sts.mu.Lock()
	defer e.sts.mu.Unlock()
	for _, c := range e.sts.creds {
		if c.expiration.After(now) {
			c.expiration = now
		}
	}
}

// issued returns the credentials of an access key STS issued.
func (s *stsState) issued(accessKeyID string) (issuedCredential, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.creds[accessKeyID]
	if !ok {
		return issuedCredential{}, false
	}
	return *c, true
}

// role returns a defined role.
func (s *stsState) role(arn string) (Role, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.roles[arn]
	return r, ok
}

// issue makes new temporary credentials for p, valid until expiration: an ASIA access key of 20
// characters (an ID, from the seeded stream), a secret of 40 and an opaque session token (from
// the secret source).
func (s *stsState) issue(p principal, expiration time.Time) (string, issuedCredential) {
	const (
		keyChars    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
		secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	)
	s.mu.Lock()
	defer s.mu.Unlock()
	key := make([]byte, 16)
	for i := range key {
		key[i] = keyChars[s.rng.IntN(len(keyChars))]
	}
	secret := readSecret(s.secrets, 40)
	for i, b := range secret {
		secret[i] = secretChars[b%byte(len(secretChars))]
	}
	keyID := temporaryKeyPrefix + string(key)
	c := &issuedCredential{
		secretAccessKey: string(secret),
		sessionToken:    base64.StdEncoding.EncodeToString(readSecret(s.secrets, 192)),
		expiration:      expiration,
		principal:       p,
	}
	s.creds[keyID] = c
	return keyID, *c
}

// isTemporaryKey reports whether an access key ID has the form of temporary credentials.
func isTemporaryKey(accessKeyID string) bool {
	return strings.HasPrefix(accessKeyID, temporaryKeyPrefix)
}

// sessionDuration checks the requested duration against the role's maximum: "If you specify a
// value higher than this setting or the administrator setting (whichever is lower), the
// operation fails" (AssumeRoleInput.DurationSeconds). The messages are those AWS answers.
func sessionDuration(req roleRequest, role Role, chained bool) (time.Duration, *apiError) {
	if chained && req.duration > chainedSessionLimit {
		return 0, stsValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if req.duration > role.MaxSessionDuration {
		return 0, stsValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	return req.duration, nil
}

// assumeRole issues credentials of a role to a caller its trust allows: the role must be defined,
// trust the caller's account and, with an ExternalID, be passed exactly that ExternalId; else
// AccessDenied, the same for a missing role as for an untrusting one, as AWS answers. A caller
// with temporary credentials chains roles. Session policies, tags and MFA members are accepted
// and ignored.
func (e *Emulator) assumeRole(caller principal, form url.Values) (any, error) {
	var c constraints
	req := parseRoleRequest(form, &c)
	externalID, present := c.length(form, "ExternalId", "externalId", false, 2, 1224)
	c.pattern(present, "externalId", externalID, externalIDRE, `[\w+=,.@:\/-]*`)
	if aerr := c.err(); aerr != nil {
		return nil, aerr
	}
	if !strings.HasPrefix(req.roleARN, "arn:") {
		return nil, stsValidation("Request ARN is invalid")
	}
	role, ok := e.sts.role(req.roleARN)
	trusted := slices.Clone(role.TrustedAccounts)
	if len(trusted) == 0 {
		trusted = []string{e.accountID}
	}
	if !ok || !slices.Contains(trusted, caller.account) || role.ExternalID != externalID {
		return nil, queryErr(http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.arn, req.roleARN))
	}
	d, aerr := sessionDuration(req, role, caller.assumedRole)
	if aerr != nil {
		return nil, aerr
	}
	creds, user := e.issueRole(role, req.sessionName, d)
	return assumeRoleResult{XMLName: xml.Name{Local: "AssumeRoleResult"}, Credentials: creds, AssumedRoleUser: user}, nil
}

// assumeRoleWithWebIdentity issues credentials of a role defined with WebIdentity for any
// non-empty token. The token is not verified: when it is a JWT, its sub, aud and iss claims are
// read, unverified, for SubjectFromWebIdentityToken, Audience and Provider.
func (e *Emulator) assumeRoleWithWebIdentity(_ principal, form url.Values) (any, error) {
	var c constraints
	req := parseRoleRequest(form, &c)
	token, _ := c.length(form, "WebIdentityToken", "webIdentityToken", true, 1, 20000)
	if aerr := c.err(); aerr != nil {
		return nil, aerr
	}
	if !strings.HasPrefix(req.roleARN, "arn:") {
		return nil, stsValidation("Request ARN is invalid")
	}
	role, ok := e.sts.role(req.roleARN)
	if !ok || !role.WebIdentity {
		return nil, queryErr(http.StatusForbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	}
	d, aerr := sessionDuration(req, role, false)
	if aerr != nil {
		return nil, aerr
	}
	claims := webIdentityClaims(token)
	creds, user := e.issueRole(role, req.sessionName, d)
	return assumeRoleWithWebIdentityResult{
		XMLName:     xml.Name{Local: "AssumeRoleWithWebIdentityResult"},
		Credentials: creds, AssumedRoleUser: user,
		SubjectFromWebIdentityToken: claims.Subject, Audience: claims.Audience, Provider: claims.Issuer,
	}, nil
}

// getCallerIdentity answers who signed the request.
func (e *Emulator) getCallerIdentity(caller principal, _ url.Values) (any, error) {
	return getCallerIdentityResult{XMLName: xml.Name{Local: "GetCallerIdentityResult"}, Arn: caller.arn, UserID: caller.userID, Account: caller.account}, nil
}

// issueRole issues credentials of a session of role named session, valid for d from now on the
// emulator's clock; the session is the principal
// arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION with the ID ROLEID:SESSION.
func (e *Emulator) issueRole(role Role, session string, d time.Duration) (stsCredentials, assumedRoleUser) {
	m := roleARNRE.FindStringSubmatch(role.ARN)
	partitionName, account, name := m[1], m[2], m[3]
	user := assumedRoleUser{
		Arn:           fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", partitionName, account, name, session),
		AssumedRoleID: "AROA" + stableID("role/"+role.ARN, 17) + ":" + session,
	}
	p := principal{account: account, arn: user.Arn, userID: user.AssumedRoleID, assumedRole: true}
	expiration := e.clock.Now().Add(d).UTC()
	keyID, c := e.sts.issue(p, expiration)
	return stsCredentials{
		AccessKeyID: keyID, SecretAccessKey: c.secretAccessKey, SessionToken: c.sessionToken,
		Expiration: expiration.Format(time.RFC3339),
	}, user
}

// jwtClaims are the claims of a web identity token the answer reports.
type jwtClaims struct {
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	Issuer   string `json:"iss"`
}

// webIdentityClaims reads the claims of a JWT without verifying it; a token that is not a JWT
// has the subject of its digest, the audience sts.amazonaws.com and the issuer "emulator".
func webIdentityClaims(token string) jwtClaims {
	claims := jwtClaims{Subject: stableID("web-identity/"+token, 20), Audience: "sts.amazonaws.com", Issuer: "emulator"}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return claims
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return claims
	}
	var read struct {
		Subject  string `json:"sub"`
		Audience any    `json:"aud"`
		Issuer   string `json:"iss"`
	}
	if json.Unmarshal(payload, &read) != nil {
		return claims
	}
	if read.Subject != "" {
		claims.Subject = read.Subject
	}
	if read.Issuer != "" {
		claims.Issuer = read.Issuer
	}
	switch aud := read.Audience.(type) {
	case string:
		claims.Audience = aud
	case []any:
		if len(aud) > 0 {
			if s, ok := aud[0].(string); ok {
				claims.Audience = s
			}
		}
	}
	return claims
}
