package controllers

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// The three kinds of outcome a step of a reconcile can end in, besides success (Flux's scheme):
// a stallError means retrying cannot help until the spec or AWS changes; a waitError means the
// work is under way and the object is looked at again after a while; any other error is
// transient, and the workqueue retries it with backoff.

// stallError stops reconciling the object until something changes: Stalled=True. It keeps the
// error that caused it, if any.
type stallError struct {
	reason, message string
	cause           error
}

func (e *stallError) Error() string { return e.message }

func (e *stallError) Unwrap() error { return e.cause }

// stalled returns a stallError with the given reason and message.
func stalled(reason, format string, args ...any) error {
	return &stallError{reason: reason, message: fmt.Sprintf(format, args...)}
}

// stalledBy returns a stallError caused by err.
func stalledBy(err error, reason, format string, args ...any) error {
	return &stallError{reason: reason, message: fmt.Sprintf(format, args...), cause: err}
}

// waitError asks to look at the object again after `after`: Reconciling=True. It keeps what it
// waits for, if that is an error callers test for. A wait for something only a person can bring
// (an object that does not exist) names a Warning Event, recorded once when the wait begins.
type waitError struct {
	reason, message string
	after           time.Duration
	cause           error
	event           string
}

func (e *waitError) Error() string { return e.message }

func (e *waitError) Unwrap() error { return e.cause }

// waiting returns a waitError with the given reason, delay and message.
func waiting(reason string, after time.Duration, format string, args ...any) error {
	return &waitError{reason: reason, after: after, message: fmt.Sprintf(format, args...)}
}

// waitingFor returns a waitError for cause.
func waitingFor(cause error, reason string, after time.Duration, format string, args ...any) error {
	return &waitError{reason: reason, after: after, message: fmt.Sprintf(format, args...), cause: cause}
}

// waitingForMissing returns a waitError for an object that does not exist, which records a
// Warning Event with the given reason when the wait begins.
func waitingForMissing(cause error, reason, event string, after time.Duration, format string, args ...any) error {
	return &waitError{reason: reason, after: after, message: fmt.Sprintf(format, args...), cause: cause, event: event}
}

// meaning turns an error into the outcome it means for the object: stallErrors and waitErrors
// as they are; an AWS error that no retry can fix into a stallError with a reason a person can
// act on; anything else is transient. It is the one place that maps AWS error classes
// (transfer.Classify) to conditions, so call sites return AWS errors as they come.
func meaning(err error) error {
	var stall *stallError
	var wait *waitError
	if errors.As(err, &stall) || errors.As(err, &wait) {
		return err
	}
	switch transfer.Classify(err) {
	case transfer.NotFound:
		return stalledBy(err, v1alpha1.ReasonNotFound, "AWS answered that a resource this object needs does not exist: %s", transfer.Describe(err))
	case transfer.AlreadyExists:
		return stalledBy(err, v1alpha1.ReasonAlreadyExists, "AWS answered that the resource exists already: %s", transfer.Describe(err))
	case transfer.Invalid:
		return stalledBy(err, v1alpha1.ReasonInvalidSpec, "AWS refused the request: %s", transfer.Describe(err))
	case transfer.Forbidden:
		return stalledBy(err, v1alpha1.ReasonAccessDenied, "the operator's AWS identity may not do this: %s; grant it the permissions in docs/iam.md", transfer.Describe(err))
	case transfer.Unauthenticated:
		return stalledBy(err, v1alpha1.ReasonInvalidCredentials, "AWS did not accept the operator's credentials, or it has none: %s; see docs/aws-credentials.md", transfer.Describe(err))
	case transfer.RoleRefused:
		return stalledBy(err, v1alpha1.ReasonAssumeRoleFailed, "%s", assumeRoleRefusal(err))
	case transfer.Unsupported:
		return stalledBy(err, v1alpha1.ReasonUnsupportedOperation, "the AWS endpoint does not offer an operation this object needs: %s", transfer.Describe(err))
	}
	return err
}

// outcome applies err, already given its meaning, to the object's conditions and returns what
// controller-runtime should do. readyMessage is used when err is nil. resync is the
// drift-detection period.
func outcome(obj conditionsObject, err error, readyMessage string, resync time.Duration) (ctrl.Result, error) {
	var stall *stallError
	var wait *waitError
	switch {
	case err == nil:
		markReady(obj, readyMessage)
		return resyncResult(resync), nil
	case errors.As(err, &stall):
		markStalled(obj, stall.reason, stall.message)
		// Stalled objects are looked at again only once a resync period, so the AWS calls they
		// cost stay bounded while still noticing a fix made in AWS.
		return resyncResult(resync), nil
	case errors.As(err, &wait):
		markReconciling(obj, wait.reason, wait.message)
		return ctrl.Result{RequeueAfter: wait.after}, nil
	default:
		markReconciling(obj, v1alpha1.ReasonAWSError, "retrying after a transient error: "+transfer.Describe(err))
		return ctrl.Result{}, err
	}
}

// finished reports whether err, already given its meaning, ends the work on the current
// generation: success or stalled.
func finished(err error) bool {
	var stall *stallError
	return err == nil || errors.As(err, &stall)
}

// jitter spreads resyncs of many objects: d plus or minus up to 10%.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	spread := int64(d) / 10
	return d - time.Duration(spread) + time.Duration(rand.Int64N(2*spread+1))
}
