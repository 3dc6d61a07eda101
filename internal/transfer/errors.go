package transfer

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ErrorClass says what an error from AWS means for the object a call was made for. This file is
// the one place that maps AWS error codes to classes; the reconcilers map classes to conditions.
type ErrorClass int

const (
	// Retryable errors (throttling, 5xx, conflicts while a server changes state, the network)
	// pass by themselves: retry with backoff.
	Retryable ErrorClass = iota
	// NotFound means the resource, or the server it lives on, does not exist.
	NotFound
	// AlreadyExists means a resource of that name or key exists.
	AlreadyExists
	// InUse means AWS will not delete the resource while another one uses it (a workflow a
	// server runs): wait for that one to let go.
	InUse
	// Invalid means AWS refused the request as it is (InvalidRequest, validation): the spec, or
	// the resource in AWS, must change first.
	Invalid
	// Forbidden means the operator's identity may not make the call (AccessDenied).
	Forbidden
	// Unauthenticated means AWS did not accept the operator's credentials (unknown key, bad
	// signature, expired or missing token), or the operator found none to send.
	Unauthenticated
	// Unsupported means the endpoint does not offer the operation (a partial emulator).
	Unsupported
	// RoleRefused means STS refused to let the operator assume an AWSAccount's role: the role
	// does not exist, its trust policy does not trust the operator, or the external ID is wrong.
	RoleRefused
)

// Terminal reports whether retrying cannot help until a person changes something: the spec,
// the resource in AWS, or the operator's credentials and permissions.
func (c ErrorClass) Terminal() bool { return c >= Invalid }

// String names the class for logs and tests.
func (c ErrorClass) String() string {
	switch c {
	case NotFound:
		return "NotFound"
	case AlreadyExists:
		return "AlreadyExists"
	case InUse:
		return "InUse"
	case Invalid:
		return "Invalid"
	case Forbidden:
		return "Forbidden"
	case Unauthenticated:
		return "Unauthenticated"
	case Unsupported:
		return "Unsupported"
	case RoleRefused:
		return "RoleRefused"
	default:
		return "Retryable"
	}
}

// Error codes of the AWS Transfer API (the model's error shapes) and of AWS in general.
const (
	CodeResourceNotFound   = "ResourceNotFoundException"
	CodeResourceExists     = "ResourceExistsException"
	CodeInvalidRequest     = "InvalidRequestException"
	CodeAccessDenied       = "AccessDeniedException"
	CodeConflict           = "ConflictException"
	CodeThrottling         = "ThrottlingException"
	CodeServiceUnavailable = "ServiceUnavailableException"
	CodeInternalError      = "InternalServiceError"
	// CodeVpcEndpointNotFound is EC2's answer for a VPC endpoint ID that does not exist.
	CodeVpcEndpointNotFound = "InvalidVpcEndpointId.NotFound"
)

// classOfCode holds the codes that are not Retryable. Codes not listed (throttling, 5xx, and
// ConflictException, which AWS answers while a server or its VPC endpoint changes state) pass by
// themselves. The credential codes are AWS's common errors (AWS API reference, "Common Errors").
// ExpiredToken and ExpiredTokenException are not listed: credentials that expired (revoked early,
// a skewed clock) are dropped from their cache (expiryMiddleware) and the retry signs with fresh
// ones.
var classOfCode = map[string]ErrorClass{
	CodeResourceNotFound:                  NotFound,
	CodeResourceExists:                    AlreadyExists,
	CodeInvalidRequest:                    Invalid,
	"ValidationException":                 Invalid,
	"InvalidParameterValue":               Invalid,
	CodeAccessDenied:                      Forbidden,
	"AccessDenied":                        Forbidden,
	"UnauthorizedOperation":               Forbidden,
	"UnrecognizedClientException":         Unauthenticated,
	"InvalidClientTokenId":                Unauthenticated,
	"InvalidSignatureException":           Unauthenticated,
	"SignatureDoesNotMatch":               Unauthenticated,
	"IncompleteSignature":                 Unauthenticated,
	"MissingAuthenticationTokenException": Unauthenticated,
	"MissingAuthenticationToken":          Unauthenticated,
	"UnknownOperationException":           Unsupported,

	// Secrets Manager's codes for the secrets of connectors' credentials (Secrets Manager API
	// reference, "Errors" of CreateSecret, PutSecretValue, DescribeSecret and DeleteSecret);
	// ResourceNotFoundException, ResourceExistsException and InvalidRequestException are those
	// above.
	"InvalidParameterException":   Invalid,
	"PreconditionNotMetException": Invalid,
	"DecryptionFailure":           Invalid,
	"EncryptionFailure":           Invalid,
	"LimitExceededException":      Invalid,

	// EC2's codes for the VPC endpoint calls (EC2 API reference, "Error codes for the Amazon EC2
	// API"). RequestLimitExceeded, IncorrectState (an endpoint that is still changing) and the
	// 5xx codes pass by themselves.
	CodeVpcEndpointNotFound:              NotFound,
	"InvalidVpcEndpointId.Malformed":     Invalid,
	"InvalidNetworkInterfaceID.NotFound": NotFound,
	"InvalidGroup.NotFound":              Invalid,
	"InvalidGroupId.Malformed":           Invalid,
	"InvalidParameter":                   Invalid,
	"InvalidParameterCombination":        Invalid,
	"MissingParameter":                   Invalid,
	"UnknownParameter":                   Invalid,
	"AuthFailure":                        Unauthenticated,
	"RequestExpired":                     Unauthenticated,
	"InvalidAction":                      Unsupported,
	"UnsupportedOperation":               Unsupported,
}

// operationCode is an error code as one operation answers it.
type operationCode struct{ operation, code string }

// classOfOperationCode holds the codes whose class depends on the operation, and takes
// precedence over classOfCode. DeleteWorkflow answers a workflow a server still runs with
// InvalidRequestException ("Workflow is still in use by server s-...", quoted in
// hashicorp/terraform-provider-aws#31273): the workflow ID it is sent is one AWS gave (or one
// CEL checked at admission), so that refusal is the one InvalidRequestException it meets.
var classOfOperationCode = map[operationCode]ErrorClass{
	{"DeleteWorkflow", CodeInvalidRequest}: InUse,
}

// CredentialsError is returned for a request the operator could not sign because it has no
// credentials (the SDK's default chain found none, or the provider failed), or because it could
// not assume the role RoleARN.
type CredentialsError struct {
	Err error
	// RoleARN is the AWSAccount role the credentials were to come from; "" for the operator's own.
	RoleARN string
	// Caller is the operator's own identity, when a refusal to assume RoleARN was explained with
	// it (Clients.AssumeRole); "" when not known.
	Caller string
}

func (e *CredentialsError) Error() string {
	if e.RoleARN != "" {
		return fmt.Sprintf("assuming role %s: %s", e.RoleARN, describeCause(e.Err))
	}
	return "no AWS credentials: " + e.Err.Error()
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// Classify returns the class of err. Errors that are neither AWS API errors nor a
// CredentialsError (network errors, the context ending) are Retryable.
func Classify(err error) ErrorClass {
	if err == nil {
		return Retryable
	}
	var creds *CredentialsError
	if errors.As(err, &creds) {
		return classifyCredentials(creds)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return Retryable
	}
	var opErr *smithy.OperationError
	if errors.As(err, &opErr) {
		if class, ok := classOfOperationCode[operationCode{opErr.OperationName, apiErr.ErrorCode()}]; ok {
			return class
		}
	}
	return classOfCode[apiErr.ErrorCode()]
}

// classifyCredentials returns the class of a failure to get credentials. STS answering that the
// operator may not assume a role is RoleRefused (AWS answers AccessDenied for a role that does
// not exist too); an STS error that passes by itself (throttling, 5xx, expired base credentials)
// or, for a role, no answer at all (a lost AssumeRole response) is Retryable; anything else, such
// as a default chain that found nothing (which includes not reaching EC2's instance metadata
// outside AWS), is Unauthenticated.
func classifyCredentials(creds *CredentialsError) ErrorClass {
	var apiErr smithy.APIError
	var sendErr *smithyhttp.RequestSendError
	switch {
	case errors.As(creds.Err, &apiErr):
		class := classOfCode[apiErr.ErrorCode()]
		if class == Forbidden && creds.RoleARN != "" {
			return RoleRefused
		}
		if class == Retryable {
			return Retryable
		}
		return Unauthenticated
	case creds.RoleARN != "" && errors.As(creds.Err, &sendErr):
		return Retryable
	}
	return Unauthenticated
}

// RefusedRole returns, for a RoleRefused error, the role STS refused, the operator's identity
// when known, and STS's answer, such as "AccessDenied: User: arn:... is not authorized to
// perform: sts:AssumeRole on resource: arn:...".
func RefusedRole(err error) (roleARN, caller, answer string) {
	var creds *CredentialsError
	if Classify(err) != RoleRefused || !errors.As(err, &creds) {
		return "", "", ""
	}
	return creds.RoleARN, creds.Caller, describeCause(creds.Err)
}

// IsExpiredToken reports whether AWS answered that the request's credentials expired.
func IsExpiredToken(err error) bool {
	switch Code(err) {
	case "ExpiredToken", "ExpiredTokenException":
		return true
	}
	return false
}

// IsNotFound reports whether err says the resource does not exist.
func IsNotFound(err error) bool { return err != nil && Classify(err) == NotFound }

// IsAlreadyExists reports whether err says the resource exists already.
func IsAlreadyExists(err error) bool { return err != nil && Classify(err) == AlreadyExists }

// IsInUse reports whether err says the resource cannot be deleted while another uses it.
func IsInUse(err error) bool { return err != nil && Classify(err) == InUse }

// Code returns the AWS error code of err, or "" when err is not an AWS API error.
func Code(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// Describe returns a one-line description of err for a condition message: the AWS error code and
// message, without the SDK's request metadata.
func Describe(err error) string {
	var creds *CredentialsError
	if errors.As(err, &creds) {
		return creds.Error()
	}
	return describeCause(err)
}

// describeCause is Describe without the CredentialsError prefix.
func describeCause(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("%s: %s", apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "the AWS request timed out"
	}
	return err.Error()
}
