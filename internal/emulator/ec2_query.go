package emulator

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The EC2 subset the emulator serves: the VPC endpoints AWS Transfer creates for VPC servers and
// their network interfaces, over EC2's own wire protocol (the ec2 query protocol: a form-encoded
// POST of Action=...&Version=2016-11-15, answered in XML in the EC2 namespace, errors as
// <Response><Errors><Error>). It shares the listener with Transfer; requests are told apart by
// the service their SigV4 credential scope names, or, unsigned, by their form-encoded body. This
// file is the query protocol; the records and rules are in ec2_endpoints.go, the XML answers in
// ec2_xml.go.

const (
	// ec2SigningName is the service an EC2 request's credential scope names.
	ec2SigningName = "ec2"
	// ec2APIVersion is the one EC2 API version, and the namespace of its XML answers.
	ec2APIVersion   = "2016-11-15"
	ec2XMLNamespace = "http://ec2.amazonaws.com/doc/2016-11-15/"
	formContentType = "application/x-www-form-urlencoded"
)

// ec2Operation is one implemented EC2 action.
type ec2Operation struct {
	// params are the parameters the action takes, by name or, for lists, by the prefix before
	// ".N"; unsupported are those EC2 takes that the emulator does not implement.
	params, unsupported []string
	run                 func(e *Emulator, region string, form url.Values) (any, error)
}

var ec2Operations = map[string]ec2Operation{
	"DescribeVpcEndpoints": {
		params: []string{"VpcEndpointId", "Filter", "MaxResults", "NextToken", "DryRun"},
		run:    (*Emulator).describeVpcEndpoints,
	},
	"ModifyVpcEndpoint": {
		params: []string{"VpcEndpointId", "AddSecurityGroupId", "RemoveSecurityGroupId", "DryRun"},
		unsupported: []string{"AddRouteTableId", "RemoveRouteTableId", "AddSubnetId", "RemoveSubnetId", "DnsOptions",
			"IpAddressType", "PolicyDocument", "PrivateDnsEnabled", "ResetPolicy", "SubnetConfiguration"},
		run: (*Emulator).modifyVpcEndpoint,
	},
	"DescribeNetworkInterfaces": {
		params: []string{"NetworkInterfaceId", "Filter", "MaxResults", "NextToken", "DryRun", "IncludeManagedResources"},
		run:    (*Emulator).describeNetworkInterfaces,
	},
}

// isEC2Request reports whether r is addressed to EC2: signed for the ec2 service, or unsigned
// with a form-encoded body and no Transfer target.
func isEC2Request(r *http.Request) bool {
	if a, ok := parseSigV4(r.Header.Get("Authorization")); ok {
		return a.service == ec2SigningName
	}
	return r.Header.Get("X-Amz-Target") == "" && strings.HasPrefix(r.Header.Get("Content-Type"), formContentType)
}

// serveEC2 answers one EC2 query request, in the account of its signing credentials, with the
// same fault injection and call records as the Transfer operations.
func (e *Emulator) serveEC2(w http.ResponseWriter, r *http.Request) {
	reqID := e.requestID()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		e.answerEC2Error(w, reqID, "", "", queryErr(http.StatusBadRequest, "InvalidParameterValue", "cannot read request body: "+err.Error()))
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		e.answerEC2Error(w, reqID, "", "", queryErr(http.StatusBadRequest, "InvalidParameterValue", "the request body is not form-encoded: "+err.Error()))
		return
	}
	action := form.Get("Action")
	caller, aerr := e.authenticate(r, body, ec2SigningName)
	if aerr != nil {
		e.answerEC2Error(w, reqID, "", action, ec2AuthError(aerr))
		return
	}
	account := caller.account
	if aerr := checkEC2Request(r, form); aerr != nil {
		e.answerEC2Error(w, reqID, account, action, aerr)
		return
	}
	d := dialect{
		answerError: func(w http.ResponseWriter, account, action string, aerr *apiError) {
			e.answerEC2Error(w, reqID, account, action, aerr)
		},
		injected: ec2Injected,
		internal: func(msg string) *apiError { return queryErr(http.StatusInternalServerError, "InternalError", msg) },
	}
	out, ok := e.runFaulted(w, r, account, action, d, func() (any, error) {
		if form.Get("DryRun") == "true" {
			// EC2 API reference, DryRun: "If you have the required permissions, the error
			// response is DryRunOperation."
			return nil, queryErr(http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
		}
		return ec2Operations[action].run(e.account(account), requestRegion(r), form)
	})
	if !ok {
		return
	}
	writeXML(w, http.StatusOK, out, reqID)
}

// checkEC2Request checks the method, the action, the version and the parameter names, as EC2's
// front end does (EC2 API reference, "Common client error codes": InvalidAction, MissingAction,
// MissingParameter, UnknownParameter).
func checkEC2Request(r *http.Request, form url.Values) *apiError {
	action := form.Get("Action")
	switch {
	case r.Method != http.MethodPost:
		return queryErr(http.StatusBadRequest, "InvalidAction", "only POST / is served")
	case action == "":
		return queryErr(http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action")
	case form.Get("Version") == "":
		return queryErr(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter Version")
	case form.Get("Version") != ec2APIVersion:
		return queryErr(http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("Invalid Version %q: the emulator serves %s", form.Get("Version"), ec2APIVersion))
	}
	op, ok := ec2Operations[action]
	if !ok {
		return queryErr(http.StatusBadRequest, "InvalidAction", fmt.Sprintf("The action %s is not valid for this web service.", action))
	}
	for key := range form {
		if key == "Action" || key == "Version" {
			continue
		}
		name, _, _ := strings.Cut(key, ".")
		switch {
		case slices.Contains(op.params, name):
		case slices.Contains(op.unsupported, name):
			return queryErr(http.StatusBadRequest, "UnsupportedOperation", fmt.Sprintf("the emulator does not implement the %s parameter %s", action, name))
		default:
			return queryErr(http.StatusBadRequest, "UnknownParameter", fmt.Sprintf("The parameter %s is not recognized", key))
		}
	}
	return nil
}

// listParam returns the members name.1, name.2, ... of a query list, in order, stopping at the
// first gap as the ec2 query protocol numbers them from 1 without gaps.
func listParam(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[name+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// ec2Filter is one Filter.N of a Describe request.
type ec2Filter struct {
	name   string
	values []string
}

// filterParam returns the filters of a Describe request and refuses a name not in known.
func filterParam(form url.Values, known ...string) ([]ec2Filter, *apiError) {
	var out []ec2Filter
	for i := 1; ; i++ {
		prefix := "Filter." + strconv.Itoa(i)
		name, ok := form[prefix+".Name"]
		if !ok {
			return out, nil
		}
		if !slices.Contains(known, name[0]) {
			return nil, queryErr(http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("The filter '%s' is invalid", name[0]))
		}
		out = append(out, ec2Filter{name: name[0], values: listParam(form, prefix+".Value")})
	}
}

// matches reports whether every filter holds one of its values in field.
func matches(filters []ec2Filter, field func(name string) []string) bool {
	for _, f := range filters {
		if !slices.ContainsFunc(field(f.name), func(v string) bool { return slices.Contains(f.values, v) }) {
			return false
		}
	}
	return true
}

var maxResultsRE = regexp.MustCompile(`^[0-9]+$`)

// checkMaxResults checks MaxResults as DescribeVpcEndpoints and DescribeNetworkInterfaces
// document it (5 to 1000); the emulator answers every result in one page.
func checkMaxResults(form url.Values) *apiError {
	v, ok := form["MaxResults"]
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(v[0])
	if !maxResultsRE.MatchString(v[0]) || err != nil || n < 5 || n > 1000 {
		return queryErr(http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("Value ( %s ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", v[0]))
	}
	return nil
}

// ec2AuthError is the EC2 form of a signature check's answer (EC2 API reference, "Common client
// error codes": AuthFailure, SignatureDoesNotMatch, IncompleteSignature,
// MissingAuthenticationToken, RequestExpired). Expired temporary credentials are RequestExpired,
// the one code of the SDK's expired-credentials codes that is EC2's (aws-sdk-go
// aws/request/retryer.go, credsExpiredCodes: ExpiredToken, ExpiredTokenException and
// RequestExpired, "EC2 Only").
func ec2AuthError(aerr *apiError) *apiError {
	if aerr.Code == CodeExpiredToken {
		return queryErr(http.StatusBadRequest, "RequestExpired", aerr.Message)
	}
	code := map[string]string{
		CodeMissingAuthentication: "MissingAuthenticationToken",
		CodeIncompleteSignature:   "IncompleteSignature",
		CodeUnrecognizedClient:    "AuthFailure",
		CodeInvalidSignature:      "SignatureDoesNotMatch",
	}[aerr.Code]
	if strings.HasPrefix(aerr.Message, "Signature expired") {
		code = "RequestExpired"
	}
	status := http.StatusUnauthorized
	if code == "IncompleteSignature" || code == "MissingAuthenticationToken" {
		status = http.StatusBadRequest
	}
	return queryErr(status, cmp.Or(code, "AuthFailure"), aerr.Message)
}

// ec2Injected is the EC2 form of an injected failure: RequestLimitExceeded for throttling,
// Unavailable, InternalError and UnauthorizedOperation (EC2 API reference, "Error codes").
func ec2Injected(aerr *apiError) *apiError {
	switch aerr.Code {
	case CodeThrottling:
		return queryErr(http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.")
	case CodeServiceUnavailable:
		return queryErr(http.StatusServiceUnavailable, "Unavailable", "The server is overloaded and can't handle the request.")
	case CodeAccessDenied:
		return queryErr(http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation.")
	default:
		return queryErr(http.StatusInternalServerError, "InternalError", "An internal error has occurred.")
	}
}
