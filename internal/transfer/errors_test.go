package transfer

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const testAssumedRole = "arn:aws:iam::222233334444:role/transfer-operator"

func apiError(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: "message of " + code, Fault: smithy.FaultClient}
}

// operationError wraps err as the SDK does for a call of operation.
func operationError(operation string, err error) error {
	return fmt.Errorf("deleting: %w", &smithy.OperationError{ServiceID: "Transfer", OperationName: operation, Err: err})
}

// TestClassify checks that AWS error codes map to the reconciler's three kinds of error, through
// any wrapping, and that anything that is not an AWS API error is retried.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want ErrorClass
	}{
		{"resource not found", apiError(CodeResourceNotFound), NotFound},
		{"typed resource not found", &types.ResourceNotFoundException{Message: aws.String("no server")}, NotFound},
		{"resource exists", apiError(CodeResourceExists), AlreadyExists},
		{"typed resource exists", &types.ResourceExistsException{Message: aws.String("exists")}, AlreadyExists},
		{"invalid request", apiError(CodeInvalidRequest), Invalid},
		{"workflow in use: DeleteWorkflow's invalid request", operationError("DeleteWorkflow", apiError(CodeInvalidRequest)), InUse},
		{"another operation's invalid request", operationError("CreateWorkflow", apiError(CodeInvalidRequest)), Invalid},
		{"DeleteWorkflow's other codes", operationError("DeleteWorkflow", apiError(CodeResourceNotFound)), NotFound},
		{"typed invalid request", &types.InvalidRequestException{Message: aws.String("bad")}, Invalid},
		{"access denied", apiError(CodeAccessDenied), Forbidden},
		{"ec2 unauthorized", apiError("UnauthorizedOperation"), Forbidden},
		{"validation", apiError("ValidationException"), Invalid},
		{"bad credentials", apiError("UnrecognizedClientException"), Unauthenticated},
		{"bad signature", apiError("InvalidSignatureException"), Unauthenticated},
		{"expired token: fresh credentials are retrieved", apiError("ExpiredTokenException"), Retryable},
		{"sts expired token", apiError("ExpiredToken"), Retryable},
		{"no credentials", fmt.Errorf("get identity: %w", &CredentialsError{Err: errors.New("no EC2 IMDS role found")}), Unauthenticated},
		{"own credentials unreachable", &CredentialsError{Err: &smithyhttp.RequestSendError{Err: errors.New("dial tcp 169.254.169.254:80: connection refused")}}, Unauthenticated},
		{"role refused", fmt.Errorf("x: %w", &CredentialsError{RoleARN: testAssumedRole, Err: apiError("AccessDenied")}), RoleRefused},
		{"own web identity refused", &CredentialsError{Err: apiError("AccessDenied")}, Unauthenticated},
		{"assume role throttled", &CredentialsError{RoleARN: testAssumedRole, Err: apiError("Throttling")}, Retryable},
		{"assume role with expired base credentials", &CredentialsError{RoleARN: testAssumedRole, Err: apiError("ExpiredToken")}, Retryable},
		{"assume role with unknown base credentials", &CredentialsError{RoleARN: testAssumedRole, Err: apiError("InvalidClientTokenId")}, Unauthenticated},
		{"assume role response lost", &CredentialsError{RoleARN: testAssumedRole, Err: &smithyhttp.RequestSendError{Err: errors.New("EOF")}}, Retryable},
		{"unknown operation", apiError("UnknownOperationException"), Unsupported},
		{"ec2 vpc endpoint not found", apiError(CodeVpcEndpointNotFound), NotFound},
		{"ec2 malformed vpc endpoint id", apiError("InvalidVpcEndpointId.Malformed"), Invalid},
		{"ec2 unknown security group", apiError("InvalidGroup.NotFound"), Invalid},
		{"ec2 bad credentials", apiError("AuthFailure"), Unauthenticated},
		{"ec2 endpoint still changing", apiError("IncorrectState"), Retryable},
		{"ec2 throttling", apiError("RequestLimitExceeded"), Retryable},
		{"throttling", apiError(CodeThrottling), Retryable},
		{"service unavailable", apiError(CodeServiceUnavailable), Retryable},
		{"internal error", apiError(CodeInternalError), Retryable},
		{"conflict", apiError(CodeConflict), Retryable},
		{"unknown code", apiError("SomethingNewException"), Retryable},
		{"plain error", errors.New("connection reset by peer"), Retryable},
		{"deadline", context.DeadlineExceeded, Retryable},
		{"wrapped not found", fmt.Errorf("describing server: %w", apiError(CodeResourceNotFound)), NotFound},
		{"wrapped twice invalid request", fmt.Errorf("a: %w", fmt.Errorf("b: %w", apiError(CodeInvalidRequest))), Invalid},
		{"joined with a plain error", errors.Join(errors.New("x"), apiError(CodeResourceExists)), AlreadyExists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.err); got != tc.want {
				t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestErrorPredicates checks IsNotFound, IsAlreadyExists and Code, including for nil and for
// errors that are not AWS API errors.
func TestErrorPredicates(t *testing.T) {
	notFound := fmt.Errorf("wrapped: %w", apiError(CodeResourceNotFound))
	exists := apiError(CodeResourceExists)
	for _, tc := range []struct {
		name                string
		err                 error
		notFound, alreadyEx bool
		code                string
	}{
		{name: "nil"},
		{name: "plain", err: errors.New("boom")},
		{name: "not found", err: notFound, notFound: true, code: CodeResourceNotFound},
		{name: "exists", err: exists, alreadyEx: true, code: CodeResourceExists},
		{name: "throttled", err: apiError(CodeThrottling), code: CodeThrottling},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsNotFound(tc.err); got != tc.notFound {
				t.Errorf("IsNotFound() = %v, want %v", got, tc.notFound)
			}
			if got := IsAlreadyExists(tc.err); got != tc.alreadyEx {
				t.Errorf("IsAlreadyExists() = %v, want %v", got, tc.alreadyEx)
			}
			if got := Code(tc.err); got != tc.code {
				t.Errorf("Code() = %q, want %q", got, tc.code)
			}
		})
	}
}

// TestDescribe checks the one-line text of an error for a condition message: the AWS code and
// message without the wrapping, a timeout in words, anything else as it is.
func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"api error", apiError(CodeInvalidRequest), "InvalidRequestException: message of InvalidRequestException"},
		{
			"wrapped api error",
			fmt.Errorf("updating server s-1: %w", &types.AccessDeniedException{Message: aws.String("not allowed")}),
			"AccessDeniedException: not allowed",
		},
		{"deadline", fmt.Errorf("describing server: %w", context.DeadlineExceeded), "the AWS request timed out"},
		{"plain", errors.New("dial tcp: connection refused"), "dial tcp: connection refused"},
		{"own credentials", &CredentialsError{Err: errors.New("no EC2 IMDS role found")}, "no AWS credentials: no EC2 IMDS role found"},
		{
			"role refused",
			fmt.Errorf("describing server: %w", &CredentialsError{RoleARN: testAssumedRole, Err: fmt.Errorf("operation error STS: AssumeRole: %w", apiError("AccessDenied"))}),
			"assuming role " + testAssumedRole + ": AccessDenied: message of AccessDenied",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Describe(tc.err); got != tc.want {
				t.Errorf("Describe() = %q, want %q", got, tc.want)
			}
		})
	}
}
