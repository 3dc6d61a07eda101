package emulator

import (
	"bytes"
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
	"strconv"
	"strings"
	"sync"
	"time"
)

// The STS subset the emulator serves: AssumeRole, AssumeRoleWithWebIdentity and
// GetCallerIdentity over STS's wire protocol (the awsQuery protocol: a form-encoded POST of
// Action=...&Version=2011-06-15, answered in XML, errors as <ErrorResponse><Error>). It shares the
// listener with Transfer and EC2; requests are told apart by the service their SigV4 credential
// scope names or, unsigned (AssumeRoleWithWebIdentity is anonymous in AWS), by their Action. The
// behaviour follows the doc comments of github.com/aws/aws-sdk-go-v2/service/sts; the roles are
// defined with DefineRole (the emulator has no IAM API).

const (
	// stsSigningName is the service an STS request's credential scope names.
	stsSigningName  = "sts"
	stsAPIVersion   = "2011-06-15"
	stsXMLNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
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

// stsOperation is one implemented STS action. It runs for caller, the principal of the signing
// credentials (none for AssumeRoleWithWebIdentity), and answers the action's Result element.
type stsOperation func(e *Emulator, caller principal, form url.Values) (any, error)

var stsOperations = map[string]stsOperation{
	"AssumeRole":                (*Emulator).assumeRole,
	"AssumeRoleWithWebIdentity": (*Emulator).assumeRoleWithWebIdentity,
	"GetCallerIdentity":         (*Emulator).getCallerIdentity,
}

// anonymousAction is the STS action AWS serves without a signature.
const anonymousAction = "AssumeRoleWithWebIdentity"

// isSTSRequest reports whether r is addressed to STS: signed for the sts service, or unsigned
// with a form-encoded body whose Action is an STS action. It leaves r.Body readable.
func isSTSRequest(r *http.Request) bool {
	if a, ok := parseSigV4(r.Header.Get("Authorization")); ok {
		return a.service == stsSigningName
	}
	if r.Header.Get("X-Amz-Target") != "" || !strings.HasPrefix(r.Header.Get("Content-Type"), formContentType) {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if err != nil {
		return false
	}
	form, err := url.ParseQuery(string(body))
	_, ok := stsOperations[form.Get("Action")]
	return err == nil && ok
}

// serveSTS answers one STS query request, with the same fault injection and call records as the
// Transfer operations. Calls are recorded in the caller's account; an AssumeRoleWithWebIdentity
// in the account of the role it names.
func (e *Emulator) serveSTS(w http.ResponseWriter, r *http.Request) {
	reqID := e.requestID()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		e.answerSTSError(w, reqID, "", "", stsValidation("cannot read request body: "+err.Error()))
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		e.answerSTSError(w, reqID, "", "", queryErr(http.StatusBadRequest, "MalformedQueryString", "the request body is not form-encoded: "+err.Error()))
		return
	}
	action := form.Get("Action")
	var caller principal
	account := ""
	if action == anonymousAction {
		if m := roleARNRE.FindStringSubmatch(form.Get("RoleArn")); m != nil {
			account = m[2]
		}
	} else {
		var aerr *apiError
		if caller, aerr = e.authenticate(r, body, stsSigningName); aerr != nil {
			e.answerSTSError(w, reqID, "", action, stsAuthError(aerr))
			return
		}
		account = caller.account
	}
	if aerr := checkSTSRequest(r, form); aerr != nil {
		e.answerSTSError(w, reqID, account, action, aerr)
		return
	}
	d := dialect{
		answerError: func(w http.ResponseWriter, account, action string, aerr *apiError) {
			e.answerSTSError(w, reqID, account, action, aerr)
		},
		injected: stsInjected,
		internal: func(msg string) *apiError { return queryErr(http.StatusInternalServerError, "InternalFailure", msg) },
	}
	out, ok := e.runFaulted(w, r, account, action, d, func() (any, error) { return stsOperations[action](e, caller, form) })
	if !ok {
		return
	}
	writeSTSXML(w, action, out, reqID)
}

// checkSTSRequest checks the method, the action and the version as the AWS query front end does
// (STS API reference, "Common Errors": InvalidAction, MissingAction, MissingParameter).
func checkSTSRequest(r *http.Request, form url.Values) *apiError {
	action := form.Get("Action")
	switch {
	case r.Method != http.MethodPost:
		return queryErr(http.StatusBadRequest, "InvalidAction", "only POST / is served")
	case action == "":
		return queryErr(http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action")
	case stsOperations[action] == nil:
		return queryErr(http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, form.Get("Version")))
	case form.Get("Version") == "":
		return queryErr(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter Version")
	case form.Get("Version") != stsAPIVersion:
		return queryErr(http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, form.Get("Version")))
	}
	return nil
}

// constraints collects the violated member constraints of a request, which AWS answers in one
// ValidationError ("2 validation errors detected: Value ... at 'roleArn' failed to satisfy
// constraint: ...; Value ...").
type constraints []string

// check records a violation of member's constraint when ok is false; value is the value as
// sent, or nil when the member is missing.
func (c *constraints) check(ok bool, member string, value *string, constraint string) {
	if ok {
		return
	}
	v := "null"
	if value != nil {
		v = "'" + *value + "'"
	}
	*c = append(*c, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member %s", v, member, constraint))
}

// length checks a string member's length, and its presence when required.
func (c *constraints) length(form url.Values, param, member string, required bool, minLen, maxLen int) (string, bool) {
	v, present := form[param]
	if !present {
		c.check(!required, member, nil, "must not be null")
		return "", false
	}
	s := v[0]
	c.check(len(s) >= minLen, member, &s, fmt.Sprintf("must have length greater than or equal to %d", minLen))
	c.check(len(s) <= maxLen, member, &s, fmt.Sprintf("must have length less than or equal to %d", maxLen))
	return s, true
}

// pattern checks a present string member against the regular expression AWS names.
func (c *constraints) pattern(present bool, member, value string, re *regexp.Regexp, shown string) {
	if present {
		c.check(re.MatchString(value), member, &value, "must satisfy regular expression pattern: "+shown)
	}
}

// duration checks DurationSeconds (900 to 43200) and returns it, or the default hour.
func (c *constraints) duration(form url.Values) time.Duration {
	v, present := form["DurationSeconds"]
	if !present {
		return defaultSessionDuration
	}
	n, err := strconv.Atoi(v[0])
	if err != nil {
		c.check(false, "durationSeconds", &v[0], "must be an integer")
		return defaultSessionDuration
	}
	c.check(n >= int(minSessionDuration/time.Second), "durationSeconds", &v[0], "must have value greater than or equal to 900")
	c.check(n <= int(maxSessionDuration/time.Second), "durationSeconds", &v[0], "must have value less than or equal to 43200")
	return time.Duration(n) * time.Second
}

// err is the ValidationError of the violations, or nil.
func (c constraints) err() *apiError {
	switch len(c) {
	case 0:
		return nil
	case 1:
		return stsValidation("1 validation error detected: " + c[0])
	default:
		return stsValidation(fmt.Sprintf("%d validation errors detected: %s", len(c), strings.Join(c, "; ")))
	}
}

// roleRequest is the members AssumeRole and AssumeRoleWithWebIdentity share, validated as the
// SDK documents them: RoleArn (20 to 2048 characters), RoleSessionName (2 to 64 of
// [\w+=,.@-]) and DurationSeconds (900 to 43200).
type roleRequest struct {
	roleARN, sessionName string
	duration             time.Duration
}

func parseRoleRequest(form url.Values, c *constraints) roleRequest {
	var req roleRequest
	req.roleARN, _ = c.length(form, "RoleArn", "roleArn", true, 20, 2048)
	name, present := c.length(form, "RoleSessionName", "roleSessionName", true, 2, 64)
	c.pattern(present, "roleSessionName", name, sessionNameRE, `[\w+=,.@-]*`)
	req.sessionName = name
	req.duration = c.duration(form)
	return req
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

// XML answers, with the element names of the STS SDK's deserializers.

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type assumeRoleResult struct {
	XMLName         xml.Name
	Credentials     stsCredentials  `xml:"Credentials"`
	AssumedRoleUser assumedRoleUser `xml:"AssumedRoleUser"`
}

type assumeRoleWithWebIdentityResult struct {
	XMLName                     xml.Name
	Credentials                 stsCredentials  `xml:"Credentials"`
	SubjectFromWebIdentityToken string          `xml:"SubjectFromWebIdentityToken"`
	AssumedRoleUser             assumedRoleUser `xml:"AssumedRoleUser"`
	Provider                    string          `xml:"Provider"`
	Audience                    string          `xml:"Audience"`
}

type getCallerIdentityResult struct {
	XMLName xml.Name
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

type stsErrorResponse struct {
	XMLName   xml.Name      `xml:"ErrorResponse"`
	Xmlns     string        `xml:"xmlns,attr"`
	Error     stsErrorValue `xml:"Error"`
	RequestID string        `xml:"RequestId"`
}

type stsErrorValue struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// writeSTSXML writes an STS answer: <ActionResponse> holding the result element and the
// request ID in <ResponseMetadata>.
func writeSTSXML(w http.ResponseWriter, action string, result any, reqID string) {
	body, err := xml.Marshal(result)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprintf(w, `%s<%sResponse xmlns="%s">%s<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		xml.Header, action, stsXMLNamespace, body, reqID, action)
}

// answerSTSError answers an STS call made in account ("" when its credentials were refused)
// with aerr; Type is Sender for 4xx answers and Receiver for the others.
func (e *Emulator) answerSTSError(w http.ResponseWriter, reqID, account, action string, aerr *apiError) {
	e.calls.record(account, action, aerr.Code)
	kind := "Sender"
	if aerr.Status >= http.StatusInternalServerError {
		kind = "Receiver"
	}
	body, _ := xml.Marshal(stsErrorResponse{Xmlns: stsXMLNamespace, Error: stsErrorValue{Type: kind, Code: aerr.Code, Message: aerr.Message}, RequestID: reqID})
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(aerr.Status)
	_, _ = io.WriteString(w, xml.Header+string(body))
}

func stsValidation(msg string) *apiError {
	return queryErr(http.StatusBadRequest, "ValidationError", msg)
}

// stsAuthError is the STS form of a refused request's credentials: the codes of the AWS query
// front end (STS API reference, "Common Errors": InvalidClientTokenId, MissingAuthenticationToken,
// IncompleteSignature, SignatureDoesNotMatch, RequestExpired) and ExpiredToken for expired
// temporary credentials, which the SDKs treat as expired credentials (aws-sdk-go
// aws/request/retryer.go, credsExpiredCodes).
func stsAuthError(aerr *apiError) *apiError {
	switch {
	case aerr.Code == CodeExpiredToken:
		return queryErr(http.StatusBadRequest, "ExpiredToken", aerr.Message)
	case aerr.Code == CodeUnrecognizedClient:
		return queryErr(http.StatusForbidden, "InvalidClientTokenId", aerr.Message)
	case aerr.Code == CodeMissingAuthentication:
		return queryErr(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	case aerr.Code == CodeIncompleteSignature:
		return queryErr(http.StatusBadRequest, "IncompleteSignature", aerr.Message)
	case strings.HasPrefix(aerr.Message, "Signature expired"):
		return queryErr(http.StatusBadRequest, "RequestExpired", aerr.Message)
	default:
		return queryErr(http.StatusForbidden, "SignatureDoesNotMatch", aerr.Message)
	}
}

// stsInjected is the STS form of an injected failure: Throttling (the code the SDK's retryer
// treats as throttling), ServiceUnavailable, AccessDenied and InternalFailure.
func stsInjected(aerr *apiError) *apiError {
	switch aerr.Code {
	case CodeThrottling:
		return queryErr(http.StatusBadRequest, "Throttling", "Rate exceeded")
	case CodeServiceUnavailable:
		return queryErr(http.StatusServiceUnavailable, "ServiceUnavailable", "Service is unavailable, try again later")
	case CodeAccessDenied:
		return queryErr(http.StatusForbidden, "AccessDenied", "User is not authorized to perform this operation")
	default:
		return queryErr(http.StatusInternalServerError, "InternalFailure", "An internal error occurred")
	}
}
