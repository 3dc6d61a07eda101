package transfer

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

const (
	testRoleB     = "arn:aws:iam::222233334444:role/transfer-operator"
	testAccountB  = "222233334444"
	testRoleC     = "arn:aws:iam::444455556666:role/transfer-operator"
	testAccountC  = "444455556666"
	testOtherRegn = "eu-west-1"
)

// fakeAWS is STS (AssumeRole, GetCallerIdentity over the Query protocol) and a Transfer endpoint
// (DescribeServer) on one address. AssumeRole issues a new access key each time, for the roles in
// trusted, when the ExternalId matches; DescribeServer answers with success, or with
// ExpiredTokenException for the keys in expired. It records every AssumeRole and the access key
// every Transfer request was signed with.
type fakeAWS struct {
	URL string

	mu          sync.Mutex
	trusted     map[string]string // role ARN -> external ID it requires ("" for none)
	issued      int
	keyAccount  map[string]string // access key -> account
	expired     map[string]bool
	assumeRoles []url.Values
	signedWith  []string
}

var credentialRE = regexp.MustCompile(`Credential=([^/]+)/`)

func startFakeAWS(t *testing.T, trusted map[string]string) *fakeAWS {
	t.Helper()
	f := &fakeAWS{trusted: trusted, keyAccount: map[string]string{}, expired: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeAWS) serveHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	key := ""
	if m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		key = m[1]
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		f.signedWith = append(f.signedWith, key)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if f.expired[key] {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"ExpiredTokenException","Message":"The security token included in the request is expired"}`)
			return
		}
		account := f.keyAccount[key]
		if account == "" {
			account = "111122223333"
		}
		_, _ = fmt.Fprintf(w, `{"Server":{"Arn":"arn:aws:transfer:us-east-1:%s:server/%s","ServerId":"%s","State":"ONLINE"}}`, account, testServerID, testServerID)
		return
	}
	form, _ := url.ParseQuery(string(raw))
	w.Header().Set("Content-Type", "text/xml")
	switch form.Get("Action") {
	case "AssumeRole":
		f.assumeRoles = append(f.assumeRoles, form)
		role := form.Get("RoleArn")
		externalID, ok := f.trusted[role]
		if !ok || externalID != form.Get("ExternalId") {
			w.WriteHeader(http.StatusForbidden)
			_, _ = fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::111122223333:user/operator is not authorized to perform: sts:AssumeRole on resource: %s</Message></Error><RequestId>r</RequestId></ErrorResponse>`, role)
			return
		}
		f.issued++
		key := fmt.Sprintf("ASIAFAKE%04d", f.issued)
		f.keyAccount[key] = AccountOfARN(role)
		_, _ = fmt.Fprintf(w, `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>%s</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::%s:assumed-role/x/%s</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			key, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), AccountOfARN(role), RoleSessionName)
	case "GetCallerIdentity":
		account := f.keyAccount[key]
		if account == "" {
			account = "111122223333"
		}
		_, _ = fmt.Fprintf(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::%s:assumed-role/x/y</Arn><UserId>U</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, account, account)
	default:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>`)
	}
}

func (f *fakeAWS) counts() (assumeRoles int, signedWith []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.assumeRoles), append([]string(nil), f.signedWith...)
}

func newAccountClients(f *fakeAWS, opts ClientOptions) *Clients {
	opts.EndpointURL, opts.STSEndpointURL = f.URL, f.URL
	return NewClients(testAWSConfig(), opts)
}

// TestClientsPerAccount checks that each account and region has one Service, that a Service of
// an assumed role signs with that role's credentials (assumed once with the operator's session
// name and the external ID, and shared by the role's regions), and that the own credentials stay
// the operator's.
func TestClientsPerAccount(t *testing.T) {
	f := startFakeAWS(t, map[string]string{testRoleB: "ext-b", testRoleC: ""})
	c := newAccountClients(f, ClientOptions{})
	ctx := context.Background()
	b := Account{RoleARN: testRoleB, ExternalID: "ext-b"}

	own, _ := c.For(Account{}, testRegion)
	inB, _ := c.For(b, testRegion)
	inBOther, _ := c.For(b, testOtherRegn)
	inC, _ := c.For(Account{RoleARN: testRoleC}, testRegion)
	if again, _ := c.For(b, ""); again != inB {
		t.Error("For(b, default region) built a second Service")
	}
	if own == inB || inB == inBOther || inB == inC {
		t.Fatal("two accounts or regions share one Service")
	}
	if inB.AccountID() != testAccountB || own.AccountID() != "" {
		t.Errorf("AccountID() = %q and %q, want %q and \"\"", inB.AccountID(), own.AccountID(), testAccountB)
	}
	for _, s := range []*Service{own, inB, inBOther, inC} {
		if _, err := s.DescribeServer(ctx, testServerID); err != nil {
			t.Fatalf("DescribeServer in %s/%s: %v", s.AccountID(), s.Region(), err)
		}
	}
	assumed, signed := f.counts()
	if assumed != 2 {
		t.Errorf("%d AssumeRole calls, want 2: one per role, shared by its regions", assumed)
	}
	if signed[0] != "AKID" || signed[1] != signed[2] || signed[1] == signed[3] || signed[1] == "AKID" {
		t.Errorf("requests signed with %v, want AKID, then b's key twice, then c's", signed)
	}
	if got := f.assumeRoles[0]; got.Get("RoleSessionName") != RoleSessionName || got.Get("ExternalId") != "ext-b" {
		t.Errorf("AssumeRole sent RoleSessionName %q and ExternalId %q", got.Get("RoleSessionName"), got.Get("ExternalId"))
	}
	if got := testutil.ToFloat64(awsRequests.WithLabelValues(testAccountB, testOtherRegn, "DescribeServer", outcomeSuccess)); got != 1 {
		t.Errorf("requests counted for account %s in %s: %v, want 1", testAccountB, testOtherRegn, got)
	}
}

// TestRateLimitPerAccount checks that each account has its own limiter in a region: a request in
// one account does not wait for the budget another spent there (a shared limiter at one request
// in 1000 s would refuse the second at once, its wait outlasting the context).
func TestRateLimitPerAccount(t *testing.T) {
	f := startFakeAWS(t, map[string]string{testRoleB: ""})
	c := newAccountClients(f, ClientOptions{RateLimit: 0.001, Burst: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	own, _ := c.For(Account{}, testRegion)
	if _, err := own.DescribeServer(ctx, testServerID); err != nil {
		t.Fatal(err)
	}
	inB, _ := c.For(Account{RoleARN: testRoleB}, testRegion)
	if _, err := inB.DescribeServer(ctx, testServerID); err != nil {
		t.Errorf("the first request in another account waited for the operator's own limiter: %v", err)
	}
}

// TestExpiredCredentialsAreRefreshed checks that an ExpiredTokenException drops the role's
// cached credentials: the error is Retryable, and the next request assumes the role again and
// signs with the new key.
func TestExpiredCredentialsAreRefreshed(t *testing.T) {
	f := startFakeAWS(t, map[string]string{testRoleB: ""})
	c := newAccountClients(f, ClientOptions{})
	ctx := context.Background()
	inB, _ := c.For(Account{RoleARN: testRoleB}, testRegion)
	if _, err := inB.DescribeServer(ctx, testServerID); err != nil {
		t.Fatal(err)
	}
	_, signed := f.counts()
	f.mu.Lock()
	f.expired[signed[0]] = true
	f.mu.Unlock()

	_, err := inB.DescribeServer(ctx, testServerID)
	if !IsExpiredToken(err) || Classify(err) != Retryable {
		t.Fatalf("with expired credentials: %v (class %v), want a Retryable ExpiredTokenException", err, Classify(err))
	}
	if _, err := inB.DescribeServer(ctx, testServerID); err != nil {
		t.Fatalf("after the expiry: %v, want fresh credentials", err)
	}
	assumed, signed := f.counts()
	if assumed != 2 || signed[len(signed)-1] == signed[0] {
		t.Errorf("%d AssumeRole calls and requests signed with %v, want a second AssumeRole and a new key", assumed, signed)
	}
}

// TestAssumeRole checks the proof the AWSAccount controller asks for: the account the role's
// credentials act in, or, for a role that does not trust the operator or a wrong external ID, a
// RoleRefused error that names the role and carries AWS's message; and that a Service of a
// refused role fails the same way without reaching Transfer.
func TestAssumeRole(t *testing.T) {
	f := startFakeAWS(t, map[string]string{testRoleB: "ext-b"})
	c := newAccountClients(f, ClientOptions{})
	ctx := context.Background()

	got, err := c.AssumeRole(ctx, Account{RoleARN: testRoleB, ExternalID: "ext-b"})
	if err != nil || got != testAccountB {
		t.Fatalf("AssumeRole = %q, %v; want %s", got, err, testAccountB)
	}
	for _, refused := range []Account{{RoleARN: testRoleB, ExternalID: "wrong"}, {RoleARN: testRoleC}} {
		_, err := c.AssumeRole(ctx, refused)
		if Classify(err) != RoleRefused {
			t.Errorf("AssumeRole(%+v) = %v (class %v), want RoleRefused", refused, err, Classify(err))
		}
		if want := "assuming role " + refused.RoleARN + ": AccessDenied: User: arn:aws:iam::111122223333:user/operator is not authorized to perform: sts:AssumeRole on resource: " + refused.RoleARN; Describe(err) != want {
			t.Errorf("Describe() = %q\nwant %q", Describe(err), want)
		}
	}
	inC, _ := c.For(Account{RoleARN: testRoleC}, testRegion)
	_, before := f.counts()
	if _, err := inC.DescribeServer(ctx, testServerID); Classify(err) != RoleRefused {
		t.Errorf("DescribeServer with a refused role: %v (class %v), want RoleRefused", err, Classify(err))
	}
	if _, after := f.counts(); len(after) != len(before) {
		t.Error("a request with a refused role reached Transfer")
	}
	identity, err := c.Identity(ctx)
	if err != nil || identity == "" {
		t.Errorf("Identity() = %q, %v", identity, err)
	}
}

func TestAccountAndRegionOfARN(t *testing.T) {
	for arn, want := range map[string][2]string{
		"arn:aws:iam::222233334444:role/transfer":                                {"222233334444", ""},
		"arn:aws:transfer:eu-west-1:111122223333:user/s-0123456789abcdef0/alice": {"111122223333", "eu-west-1"},
		"arn:aws-cn:transfer:cn-north-1:111122223333:server/s-0123456789abcdef0": {"111122223333", "cn-north-1"},
		"arn:aws:logs:eu-west-1:111122223333:log-group:/aws/transfer:*":          {"111122223333", "eu-west-1"},
		"222233334444": {"", ""},
		"":             {"", ""},
		"arn:aws:iam:": {"", ""},
	} {
		if got := [2]string{AccountOfARN(arn), RegionOfARN(arn)}; got != want {
			t.Errorf("AccountOfARN, RegionOfARN(%q) = %q, want %q", arn, got, want)
		}
	}
}
