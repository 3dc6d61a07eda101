package emulator

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The STS subset the emulator serves: AssumeRole, AssumeRoleWithWebIdentity and
// GetCallerIdentity over STS's wire protocol (the awsQuery protocol: a form-encoded POST of
// Action=...&Version=2011-06-15, answered in XML, errors as <ErrorResponse><Error>). It shares the
// listener with Transfer and EC2; requests are told apart by the service their SigV4 credential
// scope names or, unsigned (AssumeRoleWithWebIdentity is anonymous in AWS), by their Action. The
// behaviour follows the doc comments of github.com/aws/aws-sdk-go-v2/service/sts; the roles are
// defined with DefineRole (the emulator has no IAM API). This file is the query protocol; the
// records and rules are in sts_roles.go, the XML answers in sts_xml.go.

const (
	// stsSigningName is the service an STS request's credential scope names.
	stsSigningName  = "sts"
	stsAPIVersion   = "2011-06-15"
	stsXMLNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

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
