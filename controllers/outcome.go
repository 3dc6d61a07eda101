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

// stallError stops reconciling the object until something changes: Stalled=True.
type stallError struct {
	reason, message string
}

func (e *stallError) Error() string { return e.message }

// stalled returns a stallError with the given reason and message.
func stalled(reason, format string, args ...any) error {
	return &stallError{reason: reason, message: fmt.Sprintf(format, args...)}
}

// waitError asks to look at the object again after `after`: Reconciling=True.
type waitError struct {
	reason, message string
	after           time.Duration
}

func (e *waitError) Error() string { return e.message }

// waiting returns a waitError with the given reason, delay and message.
func waiting(reason string, after time.Duration, format string, args ...any) error {
	return &waitError{reason: reason, after: after, message: fmt.Sprintf(format, args...)}
}

// awsError turns an error from internal/transfer into a stallError when retrying cannot help,
// with the AWS code and message; transient errors are returned as they are.
func awsError(err error) error {
	if transfer.Classify(err) != transfer.Terminal {
		return err
	}
	reason := v1alpha1.ReasonInvalidSpec
	if transfer.Code(err) == transfer.CodeAccessDenied {
		reason = v1alpha1.ReasonAccessDenied
	}
	return stalled(reason, "AWS refused the request: %s", transfer.Describe(err))
}

// outcome applies err to the object's conditions and returns what controller-runtime should do.
// readyMessage is used when err is nil. resync is the drift-detection period.
func outcome(obj conditionsObject, err error, readyMessage string, resync time.Duration) (ctrl.Result, error) {
	var stall *stallError
	var wait *waitError
	switch {
	case err == nil:
		markReady(obj, readyMessage)
		return ctrl.Result{RequeueAfter: jitter(resync)}, nil
	case errors.As(err, &stall):
		markStalled(obj, stall.reason, stall.message)
		// Stalled objects are looked at again only once a resync period, so the AWS calls they
		// cost stay bounded while still noticing a fix made in AWS.
		return ctrl.Result{RequeueAfter: jitter(resync)}, nil
	case errors.As(err, &wait):
		markReconciling(obj, wait.reason, wait.message)
		return ctrl.Result{RequeueAfter: wait.after}, nil
	default:
		markReconciling(obj, v1alpha1.ReasonAWSError, "retrying after a transient error: "+transfer.Describe(err))
		return ctrl.Result{}, err
	}
}

// finished reports whether err ends the work on the current generation: success or stalled.
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
