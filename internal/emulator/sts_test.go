package emulator_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"golang.org/x/crypto/ssh"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

const (
	otherAccount = "222233334444"
	otherRole    = "arn:aws:iam::222233334444:role/transfer"
	baseUserArn  = "arn:aws:iam::111122223333:user/emulator"
)

// newSTSClient returns the SDK STS client pointed at url, signing with creds (anonymous when
// nil), retrying up to three times without backoff.
func newSTSClient(url string, creds aws.CredentialsProvider) *sts.Client {
	if creds == nil {
		creds = aws.AnonymousCredentials{}
	}
	return sts.New(sts.Options{
		Region: testRegion, BaseEndpoint: aws.String(url), Credentials: creds,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		}),
	})
}

func baseCredentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, "")
}

// assumedCache is the credentials of roleARN as an operator gets them: the stscreds provider over
// an STS client signing with base, in a CredentialsCache.
func assumedCache(url string, base aws.CredentialsProvider, roleARN string, opts ...func(*stscreds.AssumeRoleOptions)) *aws.CredentialsCache {
	return aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(newSTSClient(url, base), roleARN, opts...))
}

// clientWith returns a transfer client signing with creds.
func clientWith(url string, creds aws.CredentialsProvider) *transfer.Client {
	return newClient(url, testRegion, noRetries, func(o *transfer.Options) { o.Credentials = creds })
}

func defineRole(t *testing.T, e *emulator.Server, role emulator.Role) {
	t.Helper()
	mustNoErr(t, e.DefineRole(role), "DefineRole "+role.ARN)
}

func TestAssumeRoleServesTheRolesAccount(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	defineRole(t, srv, emulator.Role{ARN: otherRole})
	other := clientWith(srv.URL(), assumedCache(srv.URL(), baseCredentials(), otherRole))
	base := newClient(srv.URL(), testRegion, noRetries)

	id := createServer(t, other, vpcServer(1))
	described := describeServer(t, other, id)
	if want := "arn:aws:transfer:us-east-1:222233334444:server/" + id; aws.ToString(described.Arn) != want {
		t.Errorf("server ARN %s, want %s", aws.ToString(described.Arn), want)
	}
	createUser(t, other, id, "ivan")
	_, err := other.TagResource(ctxT(t), &transfer.TagResourceInput{Arn: described.Arn, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	mustNoErr(t, err, "TagResource in the role's account")

	_, err = base.DescribeServer(ctxT(t), &transfer.DescribeServerInput{ServerId: aws.String(id)})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = base.ListTagsForResource(ctxT(t), &transfer.ListTagsForResourceInput{Arn: described.Arn})
	wantAPIError(t, err, "ResourceNotFoundException")
	listed, err := base.ListServers(ctxT(t), &transfer.ListServersInput{})
	mustNoErr(t, err, "ListServers with base credentials")
	if len(listed.Servers) != 0 {
		t.Errorf("base credentials list %d servers, want none of the other account's", len(listed.Servers))
	}

	vpce := aws.ToString(described.EndpointDetails.VpcEndpointId)
	otherEC2 := ec2.New(ec2.Options{Region: testRegion, BaseEndpoint: aws.String(srv.URL()), Credentials: assumedCache(srv.URL(), baseCredentials(), otherRole), Retryer: aws.NopRetryer{}})
	if got := aws.ToString(describeEndpoint(t, otherEC2, vpce).OwnerId); got != otherAccount {
		t.Errorf("VPC endpoint owner %s, want %s", got, otherAccount)
	}
	_, err = newEC2Client(srv.URL(), testRegion, testSecretKey).DescribeVpcEndpoints(ctxT(t), &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{vpce}})
	wantAPIError(t, err, "InvalidVpcEndpointId.NotFound")

	if _, ok := srv.SnapshotOf(otherAccount).Server(testRegion, id); !ok {
		t.Errorf("SnapshotOf(%s) lacks server %s", otherAccount, id)
	}
	if _, ok := srv.Snapshot().Server(testRegion, id); ok {
		t.Errorf("Snapshot() of the default account holds server %s of %s", id, otherAccount)
	}
	if n := srv.CallsIn(otherAccount).Of("CreateServer"); n != 1 {
		t.Errorf("CallsIn(%s) counts %d CreateServer, want 1", otherAccount, n)
	}
	if n := srv.CallsIn(emulator.DefaultAccountID).Of("CreateServer"); n != 0 {
		t.Errorf("CallsIn(default) counts %d CreateServer, want 0", n)
	}
	if n := srv.CallsIn(emulator.DefaultAccountID).Outcome("AssumeRole", emulator.OutcomeOK); n != 2 {
		t.Errorf("CallsIn(default) counts %d AssumeRole, want 2 (one per credentials cache)", n)
	}
}

func TestAssumeRoleAccessDenied(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	defineRole(t, srv, emulator.Role{ARN: "arn:aws:iam::222233334444:role/untrusting", TrustedAccounts: []string{"999988887777"}})
	defineRole(t, srv, emulator.Role{ARN: "arn:aws:iam::222233334444:role/external", ExternalID: "secret-id"})
	c := newSTSClient(srv.URL(), baseCredentials())
	for _, tc := range []struct {
		name, role, externalID string
	}{
		{"not defined", "arn:aws:iam::222233334444:role/missing", ""},
		{"not trusted", "arn:aws:iam::222233334444:role/untrusting", ""},
		{"external ID missing", "arn:aws:iam::222233334444:role/external", ""},
		{"external ID wrong", "arn:aws:iam::222233334444:role/external", "other-id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &sts.AssumeRoleInput{RoleArn: aws.String(tc.role), RoleSessionName: aws.String("session")}
			if tc.externalID != "" {
				in.ExternalId = aws.String(tc.externalID)
			}
			_, err := c.AssumeRole(ctxT(t), in)
			wantAPIError(t, err, "AccessDenied", "User: "+baseUserArn+" is not authorized to perform: sts:AssumeRole on resource: "+tc.role)
			if got := httpStatus(err); got != http.StatusForbidden {
				t.Errorf("HTTP status %d, want 403", got)
			}
		})
	}
	out, err := c.AssumeRole(ctxT(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222233334444:role/external"), RoleSessionName: aws.String("session"), ExternalId: aws.String("secret-id")})
	mustNoErr(t, err, "AssumeRole with the right ExternalId")
	creds := out.Credentials
	if k := aws.ToString(creds.AccessKeyId); len(k) != 20 || !strings.HasPrefix(k, "ASIA") || strings.ToUpper(k) != k {
		t.Errorf("access key ID %q, want ASIA and 16 uppercase characters", k)
	}
	if len(aws.ToString(creds.SecretAccessKey)) != 40 || len(aws.ToString(creds.SessionToken)) < 100 {
		t.Errorf("secret %q or session token %q too short", aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken))
	}
	if d := time.Until(aws.ToTime(creds.Expiration)); d < 55*time.Minute || d > 61*time.Minute {
		t.Errorf("credentials expire in %s, want the default hour", d)
	}
	if got, want := aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::222233334444:assumed-role/external/session"; got != want {
		t.Errorf("assumed role ARN %s, want %s", got, want)
	}
	if id := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !strings.HasPrefix(id, "AROA") || !strings.HasSuffix(id, ":session") {
		t.Errorf("assumed role ID %s, want AROA...:session", id)
	}
}

func TestAssumeRoleValidation(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	defineRole(t, srv, emulator.Role{ARN: otherRole})
	defineRole(t, srv, emulator.Role{ARN: "arn:aws:iam::222233334444:role/path/long", MaxSessionDuration: 2 * time.Hour})
	c := newSTSClient(srv.URL(), baseCredentials())
	for _, tc := range []struct {
		name     string
		role     string
		session  string
		duration int32
		fragment string
	}{
		{"session name too short", otherRole, "a", 0, "Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"session name too long", otherRole, strings.Repeat("s", 65), 0, "Member must have length less than or equal to 64"},
		{"session name with a space", otherRole, "my session", 0, `Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"duration too short", otherRole, "session", 899, "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"duration above 12 hours", otherRole, "session", 43201, "Member must have value less than or equal to 43200"},
		{"duration above the role's maximum", otherRole, "session", 3601, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"two violations", otherRole, "a b", 100, "2 validation errors detected"},
		{"not an ARN", "role-transfer-in-another-account", "session", 0, "Request ARN is invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &sts.AssumeRoleInput{RoleArn: aws.String(tc.role), RoleSessionName: aws.String(tc.session)}
			if tc.duration != 0 {
				in.DurationSeconds = aws.Int32(tc.duration)
			}
			_, err := c.AssumeRole(ctxT(t), in)
			wantAPIError(t, err, "ValidationError", tc.fragment)
			if got := httpStatus(err); got != http.StatusBadRequest {
				t.Errorf("HTTP status %d, want 400", got)
			}
		})
	}
	out, err := c.AssumeRole(ctxT(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222233334444:role/path/long"), RoleSessionName: aws.String("a.b@c=d"), DurationSeconds: aws.Int32(7200)})
	mustNoErr(t, err, "AssumeRole for two hours of a role allowing them")
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 115*time.Minute || d > 121*time.Minute {
		t.Errorf("credentials expire in %s, want 2h", d)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::222233334444:assumed-role/long/a.b@c=d" {
		t.Errorf("assumed role ARN %s names the role without its path?", got)
	}
}

func TestGetCallerIdentity(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	defineRole(t, srv, emulator.Role{ARN: otherRole})
	const third = "arn:aws:iam::333344445555:role/chained"
	defineRole(t, srv, emulator.Role{ARN: third, TrustedAccounts: []string{otherAccount}, MaxSessionDuration: 4 * time.Hour})
	assumed := assumedCache(srv.URL(), baseCredentials(), otherRole, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "op" })
	chained := assumedCache(srv.URL(), assumed, third, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "chain" })
	for _, tc := range []struct {
		name                 string
		creds                aws.CredentialsProvider
		account, arn, userID string
	}{
		{"base", baseCredentials(), emulator.DefaultAccountID, baseUserArn, "AIDA"},
		{"assumed", assumed, otherAccount, "arn:aws:sts::222233334444:assumed-role/transfer/op", "AROA"},
		{"chained", chained, "333344445555", "arn:aws:sts::333344445555:assumed-role/chained/chain", "AROA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := newSTSClient(srv.URL(), tc.creds).GetCallerIdentity(ctxT(t), &sts.GetCallerIdentityInput{})
			mustNoErr(t, err, "GetCallerIdentity")
			if aws.ToString(out.Account) != tc.account || aws.ToString(out.Arn) != tc.arn || !strings.HasPrefix(aws.ToString(out.UserId), tc.userID) {
				t.Errorf("identity %s %s %s, want %s %s %s...", aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId), tc.account, tc.arn, tc.userID)
			}
		})
	}
	// AssumeRoleInput.DurationSeconds: "if you assume a role using role chaining and provide a
	// DurationSeconds parameter value greater than one hour, the operation fails".
	_, err := newSTSClient(srv.URL(), assumed).AssumeRole(ctxT(t), &sts.AssumeRoleInput{RoleArn: aws.String(third), RoleSessionName: aws.String("long"), DurationSeconds: aws.Int32(7200)})
	wantAPIError(t, err, "ValidationError", "1 hour session limit for roles assumed by role chaining")
	// The third role trusts the second account only.
	_, err = newSTSClient(srv.URL(), baseCredentials()).AssumeRole(ctxT(t), &sts.AssumeRoleInput{RoleArn: aws.String(third), RoleSessionName: aws.String("direct")})
	wantAPIError(t, err, "AccessDenied")
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	srv := startEmulator(t, emulator.Options{StrictSigV4: &emulator.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}})
	const irsaRole = "arn:aws:iam::222233334444:role/operator"
	defineRole(t, srv, emulator.Role{ARN: irsaRole, WebIdentity: true})
	defineRole(t, srv, emulator.Role{ARN: otherRole})
	anonymous := newSTSClient(srv.URL(), nil)

	// A JWT whose claims the answer reports (unverified): {"sub":"system:serviceaccount:ns:op","aud":"sts.amazonaws.com","iss":"https://oidc.example"}.
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bnM6b3AiLCJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSIsImlzcyI6Imh0dHBzOi8vb2lkYy5leGFtcGxlIn0.c2ln"
	out, err := anonymous.AssumeRoleWithWebIdentity(ctxT(t), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(irsaRole), RoleSessionName: aws.String("pod"), WebIdentityToken: aws.String(jwt),
	})
	mustNoErr(t, err, "AssumeRoleWithWebIdentity")
	if got := aws.ToString(out.SubjectFromWebIdentityToken); got != "system:serviceaccount:ns:op" {
		t.Errorf("SubjectFromWebIdentityToken %q", got)
	}
	if aws.ToString(out.Provider) != "https://oidc.example" || aws.ToString(out.Audience) != "sts.amazonaws.com" {
		t.Errorf("Provider %q, Audience %q", aws.ToString(out.Provider), aws.ToString(out.Audience))
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::222233334444:assumed-role/operator/pod" {
		t.Errorf("assumed role ARN %s", got)
	}

	_, err = anonymous.AssumeRoleWithWebIdentity(ctxT(t), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(otherRole), RoleSessionName: aws.String("pod"), WebIdentityToken: aws.String("token"),
	})
	wantAPIError(t, err, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	_, err = anonymous.AssumeRoleWithWebIdentity(ctxT(t), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(irsaRole), RoleSessionName: aws.String("pod"), WebIdentityToken: aws.String(""),
	})
	wantAPIError(t, err, "ValidationError", "'webIdentityToken'")
	_, err = anonymous.GetCallerIdentity(ctxT(t), &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "MissingAuthenticationToken")

	// IRSA: the SDK's default chain reads AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE and calls
	// the STS endpoint AWS_ENDPOINT_URL_STS names.
	tokenFile := filepath.Join(t.TempDir(), "token")
	mustNoErr(t, os.WriteFile(tokenFile, []byte("a-projected-service-account-token"), 0o600), "write token")
	for k, v := range map[string]string{
		"AWS_ROLE_ARN": irsaRole, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ENDPOINT_URL_STS": srv.URL(),
		"AWS_REGION": testRegion, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(ctxT(t))
	mustNoErr(t, err, "LoadDefaultConfig")
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctxT(t), &sts.GetCallerIdentityInput{})
	mustNoErr(t, err, "GetCallerIdentity with IRSA credentials")
	if aws.ToString(id.Account) != otherAccount || !strings.HasPrefix(aws.ToString(id.Arn), "arn:aws:sts::222233334444:assumed-role/operator/") {
		t.Errorf("IRSA identity %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}
	// Strict SigV4 verifies the IRSA credentials' signatures with their issued secret.
	createServer(t, clientWith(srv.URL(), cfg.Credentials), nil)
	if n := len(srv.SnapshotOf(otherAccount).Regions[testRegion].Servers); n != 1 {
		t.Errorf("%d servers in the IRSA role's account, want 1", n)
	}
}

func TestExpiredCredentials(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	defineRole(t, srv, emulator.Role{ARN: otherRole})
	cache := assumedCache(srv.URL(), baseCredentials(), otherRole)
	c := clientWith(srv.URL(), cache)
	id := createServer(t, c, nil)

	srv.ExpireCredentials()
	_, err := c.DescribeServer(ctxT(t), &transfer.DescribeServerInput{ServerId: aws.String(id)})
	wantAPIError(t, err, "ExpiredTokenException", "The security token included in the request is expired")
	if got := httpStatus(err); got != http.StatusBadRequest {
		t.Errorf("HTTP status %d, want 400", got)
	}
	ec2Client := ec2.New(ec2.Options{Region: testRegion, BaseEndpoint: aws.String(srv.URL()), Credentials: cache, Retryer: aws.NopRetryer{}})
	_, err = ec2Client.DescribeVpcEndpoints(ctxT(t), &ec2.DescribeVpcEndpointsInput{})
	wantAPIError(t, err, "RequestExpired")
	_, err = newSTSClient(srv.URL(), cache).GetCallerIdentity(ctxT(t), &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken")

	cache.Invalidate()
	if got := describeServer(t, c, id); aws.ToString(got.ServerId) != id {
		t.Errorf("after Invalidate DescribeServer answered server %s", aws.ToString(got.ServerId))
	}
	if n := srv.Calls().Outcome("AssumeRole", emulator.OutcomeOK); n != 2 {
		t.Errorf("%d AssumeRole calls, want 2: the first credentials and their renewal", n)
	}
}

func TestIssuedCredentialsMustMatch(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	defineRole(t, srv, emulator.Role{ARN: otherRole})
	out, err := newSTSClient(srv.URL(), baseCredentials()).AssumeRole(ctxT(t), &sts.AssumeRoleInput{RoleArn: aws.String(otherRole), RoleSessionName: aws.String("s1")})
	mustNoErr(t, err, "AssumeRole")
	key, secret, token := aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)
	for _, tc := range []struct{ name, key, token string }{
		{"key not issued", "ASIAEMULATORUNKNOWN1", token},
		{"wrong session token", key, token + "x"},
		{"no session token", key, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := clientWith(srv.URL(), credentials.NewStaticCredentialsProvider(tc.key, secret, tc.token))
			_, err := c.ListServers(ctxT(t), &transfer.ListServersInput{})
			wantAPIError(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")
			_, err = newSTSClient(srv.URL(), credentials.NewStaticCredentialsProvider(tc.key, secret, tc.token)).GetCallerIdentity(ctxT(t), &sts.GetCallerIdentityInput{})
			wantAPIError(t, err, "InvalidClientTokenId")
			if got := httpStatus(err); got != http.StatusForbidden {
				t.Errorf("STS HTTP status %d, want 403", got)
			}
		})
	}
}

func TestStrictSigV4WithAssumedCredentials(t *testing.T) {
	srv := startEmulator(t, emulator.Options{StrictSigV4: &emulator.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}})
	defineRole(t, srv, emulator.Role{ARN: otherRole})
	out, err := newSTSClient(srv.URL(), baseCredentials()).AssumeRole(ctxT(t), &sts.AssumeRoleInput{RoleArn: aws.String(otherRole), RoleSessionName: aws.String("strict")})
	mustNoErr(t, err, "AssumeRole signed with the base credentials")
	key, secret, token := aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)

	good := clientWith(srv.URL(), credentials.NewStaticCredentialsProvider(key, secret, token))
	createServer(t, good, nil)
	_, err = clientWith(srv.URL(), credentials.NewStaticCredentialsProvider(key, "wrong"+secret[5:], token)).ListServers(ctxT(t), &transfer.ListServersInput{})
	wantAPIError(t, err, "InvalidSignatureException")
	_, err = clientWith(srv.URL(), credentials.NewStaticCredentialsProvider(key, secret, "forged-token")).ListServers(ctxT(t), &transfer.ListServersInput{})
	wantAPIError(t, err, "UnrecognizedClientException")
	_, err = newSTSClient(srv.URL(), credentials.NewStaticCredentialsProvider(testAccessKey, "wrong-secret", "")).AssumeRole(ctxT(t), &sts.AssumeRoleInput{RoleArn: aws.String(otherRole), RoleSessionName: aws.String("strict")})
	wantAPIError(t, err, "SignatureDoesNotMatch")
}

func TestDroppedAssumeRoleIsRetried(t *testing.T) {
	for _, kind := range []emulator.ErrorKind{emulator.FailDrop, emulator.FailCommitThenDrop, emulator.FailThrottling} {
		t.Run(string(kind), func(t *testing.T) {
			srv := startEmulator(t, emulator.Options{})
			defineRole(t, srv, emulator.Role{ARN: otherRole})
			mustNoErr(t, srv.FailNext("AssumeRole", 1, kind), "FailNext")
			creds, err := assumedCache(srv.URL(), baseCredentials(), otherRole).Retrieve(ctxT(t))
			mustNoErr(t, err, "Retrieve after one failed AssumeRole")
			if !strings.HasPrefix(creds.AccessKeyID, "ASIA") {
				t.Errorf("access key %s", creds.AccessKeyID)
			}
			calls := srv.Calls()
			if calls.Of("AssumeRole") != 2 || calls.Outcome("AssumeRole", emulator.OutcomeOK) != 1 {
				t.Errorf("AssumeRole calls %v, want one failed and one ok", calls["AssumeRole"])
			}
		})
	}
}

func TestDefineRole(t *testing.T) {
	e := emulator.New(emulator.Options{})
	for _, tc := range []struct {
		name string
		role emulator.Role
		ok   bool
	}{
		{"plain", emulator.Role{ARN: otherRole}, true},
		{"path", emulator.Role{ARN: "arn:aws:iam::222233334444:role/a/b/name"}, true},
		{"china", emulator.Role{ARN: "arn:aws-cn:iam::222233334444:role/name"}, true},
		{"twelve hours", emulator.Role{ARN: otherRole, MaxSessionDuration: 12 * time.Hour}, true},
		{"user ARN", emulator.Role{ARN: "arn:aws:iam::222233334444:user/name"}, false},
		{"short account", emulator.Role{ARN: "arn:aws:iam::2222:role/name"}, false},
		{"no name", emulator.Role{ARN: "arn:aws:iam::222233334444:role/"}, false},
		{"bad trusted account", emulator.Role{ARN: otherRole, TrustedAccounts: []string{"12"}}, false},
		{"session too short", emulator.Role{ARN: otherRole, MaxSessionDuration: 30 * time.Minute}, false},
		{"session too long", emulator.Role{ARN: otherRole, MaxSessionDuration: 13 * time.Hour}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.DefineRole(tc.role); (err == nil) != tc.ok {
				t.Errorf("DefineRole(%+v) = %v, want ok %t", tc.role, err, tc.ok)
			}
		})
	}
}

func TestDeleteRole(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	defineRole(t, srv, emulator.Role{ARN: otherRole})
	c := newSTSClient(srv.URL(), baseCredentials())
	in := &sts.AssumeRoleInput{RoleArn: aws.String(otherRole), RoleSessionName: aws.String("s1")}
	_, err := c.AssumeRole(ctxT(t), in)
	mustNoErr(t, err, "AssumeRole of a defined role")
	srv.DeleteRole(otherRole)
	_, err = c.AssumeRole(ctxT(t), in)
	wantAPIError(t, err, "AccessDenied")
}

func TestSTSAdminEndpoints(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	want := func(method, path, body string, wantStatus int) []byte {
		t.Helper()
		got, b := admin(t, srv.URL(), method, path, body)
		if got != wantStatus {
			t.Fatalf("%s %s: %d %s, want %d", method, path, got, b, wantStatus)
		}
		return b
	}
	want("PUT", "/_emulator/roles", `{"arn":"`+otherRole+`","trustedAccounts":["111122223333"],"externalId":"xid","webIdentity":true,"maxSessionDuration":"2h"}`, 204)
	want("PUT", "/_emulator/roles", `{"arn":"arn:aws:iam::1:role/x"}`, 400)
	want("PUT", "/_emulator/roles", `{"arn":"`+otherRole+`","maxSessionDuration":"soon"}`, 400)
	c := newSTSClient(srv.URL(), baseCredentials())
	_, err := c.AssumeRole(ctxT(t), &sts.AssumeRoleInput{RoleArn: aws.String(otherRole), RoleSessionName: aws.String("admin"), ExternalId: aws.String("xid"), DurationSeconds: aws.Int32(7200)})
	mustNoErr(t, err, "AssumeRole of the role the admin API defined")
	_, err = newSTSClient(srv.URL(), nil).AssumeRoleWithWebIdentity(ctxT(t), &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(otherRole), RoleSessionName: aws.String("web"), WebIdentityToken: aws.String("t")})
	mustNoErr(t, err, "AssumeRoleWithWebIdentity of the role the admin API defined")

	cache := assumedCache(srv.URL(), baseCredentials(), otherRole, func(o *stscreds.AssumeRoleOptions) { o.ExternalID = aws.String("xid") })
	other := clientWith(srv.URL(), cache)
	id := createServer(t, other, nil)
	var snap emulator.Snapshot
	mustNoErr(t, json.Unmarshal(want("GET", "/_emulator/snapshot?account="+otherAccount, "", 200), &snap), "decode snapshot")
	if _, ok := snap.Server(testRegion, id); !ok {
		t.Errorf("snapshot?account=%s lacks server %s", otherAccount, id)
	}
	var defaultSnap emulator.Snapshot
	mustNoErr(t, json.Unmarshal(want("GET", "/_emulator/snapshot", "", 200), &defaultSnap), "decode snapshot")
	if _, ok := defaultSnap.Server(testRegion, id); ok {
		t.Errorf("snapshot of the default account holds server %s", id)
	}
	var calls emulator.CallCounts
	mustNoErr(t, json.Unmarshal(want("GET", "/_emulator/calls?account="+otherAccount, "", 200), &calls), "decode calls")
	if calls.Of("CreateServer") != 1 || calls.Of("AssumeRole") != 0 {
		t.Errorf("calls in %s: %v", otherAccount, calls)
	}

	want("POST", "/_emulator/expire-credentials", "", 204)
	_, err = other.ListServers(ctxT(t), &transfer.ListServersInput{})
	wantAPIError(t, err, "ExpiredTokenException")

	want("DELETE", "/_emulator/roles?arn="+otherRole, "", 204)
	want("DELETE", "/_emulator/roles", "", 400)
	_, err = c.AssumeRole(ctxT(t), &sts.AssumeRoleInput{RoleArn: aws.String(otherRole), RoleSessionName: aws.String("admin"), ExternalId: aws.String("xid")})
	wantAPIError(t, err, "AccessDenied")
}

// TestSFTPOfAnotherAccount checks that the data plane serves the servers of every account: a
// user of a server in the role's account logs in and uploads.
func TestSFTPOfAnotherAccount(t *testing.T) {
	srv := startEmulator(t, emulator.Options{DataPlane: &emulator.DataPlaneOptions{EFSRoot: t.TempDir()}})
	defineRole(t, srv, emulator.Role{ARN: otherRole})
	f := &dataPlaneFixture{srv: srv, c: clientWith(srv.URL(), assumedCache(srv.URL(), baseCredentials(), otherRole))}
	f.serverID = createServer(t, f.c, nil)
	var ok bool
	if f.addr, ok = srv.SFTPAddressIn(otherAccount, testRegion, f.serverID); !ok {
		t.Fatalf("no SFTP address for server %s of %s", f.serverID, otherAccount)
	}
	if _, ok := srv.SFTPAddress(testRegion, f.serverID); ok {
		t.Errorf("SFTPAddress of the default account finds server %s of %s", f.serverID, otherAccount)
	}
	signer, pub := newUserSigner(t)
	f.createUser(t, &transfer.CreateUserInput{UserName: aws.String("pat"), SshPublicKeyBody: aws.String(pub), HomeDirectory: aws.String("/data/home/pat")})
	c, err := f.login(t, "pat", ssh.PublicKeys(signer))
	mustNoErr(t, err, "login to a server of "+otherAccount)
	putFile(t, c, "report.csv", "a,b")
	if status, body := s3Get(t, f, "data/home/pat/report.csv"); status != http.StatusOK || body != "a,b" {
		t.Fatalf("S3 GET: %d %q", status, body)
	}

	var info emulator.DataPlaneInfo
	_, b := admin(t, srv.URL(), "GET", "/_emulator/dataplane", "")
	mustNoErr(t, json.Unmarshal(b, &info), "decode data plane info")
	if !slices.ContainsFunc(info.SFTP, func(ep emulator.SFTPEndpoint) bool { return ep.Account == otherAccount && ep.ServerID == f.serverID }) {
		t.Errorf("data plane info %+v lacks server %s of %s", info.SFTP, f.serverID, otherAccount)
	}
}
