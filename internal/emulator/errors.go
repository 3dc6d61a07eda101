package emulator

import (
	"fmt"
	"net/http"
)

// Error codes the emulator answers with. The modeled ones are the error
// shapes of the service model; the HTTP statuses are those of the API
// reference ("Errors" section of each operation): every modeled client error
// is 400 and both InternalServiceError and ServiceUnavailableException are 500.
const (
	CodeInvalidRequest     = "InvalidRequestException"
	CodeResourceNotFound   = "ResourceNotFoundException"
	CodeResourceExists     = "ResourceExistsException"
	CodeConflict           = "ConflictException"
	CodeThrottling         = "ThrottlingException"
	CodeAccessDenied       = "AccessDeniedException"
	CodeInvalidNextToken   = "InvalidNextTokenException"
	CodeInternalError      = "InternalServiceError"
	CodeServiceUnavailable = "ServiceUnavailableException"

	// Protocol-level errors of the AWS JSON front end, not in the model.
	CodeUnknownOperation      = "UnknownOperationException"
	CodeSerialization         = "SerializationException"
	CodeUnrecognizedClient    = "UnrecognizedClientException"
	CodeInvalidSignature      = "InvalidSignatureException"
	CodeIncompleteSignature   = "IncompleteSignatureException"
	CodeMissingAuthentication = "MissingAuthenticationTokenException"
	// CodeExpiredToken answers a request signed with temporary credentials
	// that have expired (sts_roles.go).
	CodeExpiredToken = "ExpiredTokenException"
)

const (
	codeNamespaceCoralService  = "com.amazon.coral.service#"
	resourceTypeServer         = "Server"
	resourceTypeUser           = "User"
	resourceTypeAccess         = "Access"
	resourceTypeSSHPublicKey   = "SshPublicKey"
	resourceTypeHostKey        = "HostKey"
	throttlingRetryAfterSecond = "1"
)

// apiError is an error the service answers with: its code goes into __type
// and x-amzn-ErrorType, the other fields are members of the error shape.
type apiError struct {
	Code              string
	Status            int
	Message           string
	Resource          string
	ResourceType      string
	RetryAfterSeconds string
	// namespace prefixes __type for protocol-level errors, as the AWS JSON
	// front end does ("com.amazon.coral.service#UnknownOperationException").
	namespace string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// body is the JSON error document.
func (e *apiError) body() map[string]string {
	b := map[string]string{"__type": e.namespace + e.Code, "Message": e.Message}
	if e.Resource != "" || e.ResourceType != "" {
		b["Resource"] = e.Resource
		b["ResourceType"] = e.ResourceType
	}
	if e.RetryAfterSeconds != "" {
		b["RetryAfterSeconds"] = e.RetryAfterSeconds
	}
	return b
}

func errInvalidRequest(format string, args ...any) *apiError {
	return &apiError{Code: CodeInvalidRequest, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func errSerialization(msg string) *apiError {
	return &apiError{Code: CodeSerialization, Status: http.StatusBadRequest, Message: msg, namespace: codeNamespaceCoralService}
}

func errUnknownOperation(msg string) *apiError {
	return &apiError{Code: CodeUnknownOperation, Status: http.StatusBadRequest, Message: msg, namespace: codeNamespaceCoralService}
}

func errConflict(format string, args ...any) *apiError {
	return &apiError{Code: CodeConflict, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func errNotFound(resourceType, resource, msg string) *apiError {
	return &apiError{Code: CodeResourceNotFound, Status: http.StatusBadRequest, Message: msg, Resource: resource, ResourceType: resourceType}
}

func errExists(resourceType, resource, msg string) *apiError {
	return &apiError{Code: CodeResourceExists, Status: http.StatusBadRequest, Message: msg, Resource: resource, ResourceType: resourceType}
}

func errInvalidNextToken() *apiError {
	return &apiError{Code: CodeInvalidNextToken, Status: http.StatusBadRequest, Message: "Invalid NextToken"}
}

// queryErr is an error answer of a query-protocol service (EC2, STS), in that service's codes.
func queryErr(status int, code, msg string) *apiError {
	return &apiError{Code: code, Status: status, Message: msg}
}

func errAuth(code, msg string) *apiError {
	return &apiError{Code: code, Status: http.StatusBadRequest, Message: msg}
}

// ErrorKind names a failure FailNext can inject.
type ErrorKind string

// The kinds of injected failure. The first four answer with the named error
// before the operation takes effect; Drop closes the connection without an
// answer before the operation takes effect; CommitThenError and CommitThenDrop
// let the operation take effect and then answer InternalServiceError or close
// the connection, as when a response is lost on the way back.
const (
	FailThrottling         ErrorKind = CodeThrottling
	FailInternalError      ErrorKind = CodeInternalError
	FailServiceUnavailable ErrorKind = CodeServiceUnavailable
	FailAccessDenied       ErrorKind = CodeAccessDenied
	FailDrop               ErrorKind = "Drop"
	FailCommitThenError    ErrorKind = "CommitThenError"
	FailCommitThenDrop     ErrorKind = "CommitThenDrop"
)

// valid reports whether k is one of the declared kinds.
func (k ErrorKind) valid() bool {
	switch k {
	case FailThrottling, FailInternalError, FailServiceUnavailable, FailAccessDenied,
		FailDrop, FailCommitThenError, FailCommitThenDrop:
		return true
	}
	return false
}

// commits reports whether the operation takes effect before the failure.
func (k ErrorKind) commits() bool { return k == FailCommitThenError || k == FailCommitThenDrop }

// drops reports whether the failure is a closed connection.
func (k ErrorKind) drops() bool { return k == FailDrop || k == FailCommitThenDrop }

// injected returns the error answered for a kind that does not drop.
func (k ErrorKind) injected() *apiError {
	switch k {
	case FailThrottling:
		return &apiError{Code: CodeThrottling, Status: http.StatusBadRequest, Message: "Rate exceeded", RetryAfterSeconds: throttlingRetryAfterSecond}
	case FailServiceUnavailable:
		return &apiError{Code: CodeServiceUnavailable, Status: http.StatusInternalServerError, Message: "Service is unavailable, try again later"}
	case FailAccessDenied:
		return &apiError{Code: CodeAccessDenied, Status: http.StatusBadRequest, Message: "User is not authorized to perform this operation"}
	default:
		return &apiError{Code: CodeInternalError, Status: http.StatusInternalServerError, Message: "An internal error occurred"}
	}
}
