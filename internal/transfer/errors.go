package transfer

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
)

// ErrorClass says what a reconciler should do about an error from AWS.
type ErrorClass int

const (
	// Retryable errors (throttling, 5xx, network) go away by themselves: retry with backoff.
	Retryable ErrorClass = iota
	// NotFound means the resource does not exist.
	NotFound
	// AlreadyExists means a resource of that name or key exists.
	AlreadyExists
	// Terminal errors (invalid request, access denied, conflicts that need a person) do not go
	// away by retrying: the object is Stalled until its spec or AWS changes.
	Terminal
)

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
)

// terminalCodes are the error codes retrying cannot fix.
var terminalCodes = map[string]bool{
	CodeInvalidRequest:                    true,
	CodeAccessDenied:                      true,
	"AccessDenied":                        true,
	"UnauthorizedOperation":               true,
	"UnrecognizedClientException":         true,
	"InvalidClientTokenId":                true,
	"InvalidSignatureException":           true,
	"ValidationException":                 true,
	"UnknownOperationException":           true,
	"IncompleteSignature":                 true,
	"MissingAuthenticationTokenException": true,
}

// Classify returns the class of err. Errors that are not AWS API errors (network errors, the
// context ending) are Retryable.
func Classify(err error) ErrorClass {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return Retryable
	}
	switch code := apiErr.ErrorCode(); {
	case code == CodeResourceNotFound:
		return NotFound
	case code == CodeResourceExists:
		return AlreadyExists
	case terminalCodes[code]:
		return Terminal
	default:
		// Throttling, 5xx, and ConflictException, which AWS answers while a server or its VPC
		// endpoint is changing state: all pass by themselves.
		return Retryable
	}
}

// IsNotFound reports whether err says the resource does not exist.
func IsNotFound(err error) bool { return err != nil && Classify(err) == NotFound }

// IsAlreadyExists reports whether err says the resource exists already.
func IsAlreadyExists(err error) bool { return err != nil && Classify(err) == AlreadyExists }

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
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("%s: %s", apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "the AWS request timed out"
	}
	return err.Error()
}
