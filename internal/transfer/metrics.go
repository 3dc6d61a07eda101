package transfer

import (
	"context"
	"errors"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Values of the outcome label besides the AWS error codes (docs/metrics.md).
const (
	// outcomeSuccess is a request AWS answered with success.
	outcomeSuccess = "success"
	// outcomeNetworkError is a request that got no answer: connection refused or dropped.
	outcomeNetworkError = "network_error"
	// outcomeCanceled is a request abandoned because its context was canceled.
	outcomeCanceled = "canceled"
	// outcomeTimeout is a request abandoned because its context's deadline passed.
	outcomeTimeout = "timeout"
	// outcomeOtherError is a request that failed in the client for any other reason, such as
	// an answer that could not be read.
	outcomeOtherError = "other_error"
)

var (
	awsRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "transfer_operator_aws_api_requests_total",
		Help: "HTTP requests sent to the AWS Transfer API (and to EC2, for VPC endpoints), each retry counted, by account, region, operation and outcome " +
			"(success, the AWS error code such as ThrottlingException, network_error, canceled, timeout or other_error).",
	}, []string{"account", "region", "operation", "outcome"})

	awsRequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "transfer_operator_aws_api_request_duration_seconds",
		Help:    "Time from sending a request to the AWS Transfer API (or EC2) to reading its answer, each retry measured on its own, by account, region and operation.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"account", "region", "operation"})
)

func init() {
	metrics.Registry.MustRegister(awsRequests, awsRequestDuration)
}

// metricsMiddleware records every attempt of a request to account (the 12-digit ID of an
// AWSAccount's role, "" for the operator's own credentials) and region: its outcome in
// transfer_operator_aws_api_requests_total and its duration in
// transfer_operator_aws_api_request_duration_seconds, and counts it in the CallCount of its
// context (CountCalls) against the rate limit of account and region. It sits at the end of the finalize step,
// after the retry loop and the rate limiter, so it sees each HTTP request and measures the time
// AWS took, not the time spent waiting for the limiter.
func metricsMiddleware(account, region string) func(*middleware.Stack) error {
	limit := LimitName(account, region)
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("TransferOperatorMetrics",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				op := awsmiddleware.GetOperationName(ctx)
				start := time.Now()
				out, md, err := next.HandleFinalize(ctx, in)
				awsRequestDuration.WithLabelValues(account, region, op).Observe(time.Since(start).Seconds())
				awsRequests.WithLabelValues(account, region, op, requestOutcome(err)).Inc()
				countCall(ctx, limit)
				return out, md, err
			}), middleware.After)
	}
}

// requestOutcome names the outcome of one request for the outcome label.
func requestOutcome(err error) string {
	var apiErr smithy.APIError
	var sendErr *smithyhttp.RequestSendError
	switch {
	case err == nil:
		return outcomeSuccess
	case errors.As(err, &apiErr) && apiErr.ErrorCode() != "":
		return apiErr.ErrorCode()
	case errors.Is(err, context.Canceled):
		return outcomeCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return outcomeTimeout
	case errors.As(err, &sendErr):
		return outcomeNetworkError
	default:
		return outcomeOtherError
	}
}

// LimitName names the client-side rate limit of account and region: the region for the
// operator's own credentials, "account/region" for an AWSAccount's.
func LimitName(account, region string) string {
	if account == "" {
		return region
	}
	return account + "/" + region
}
