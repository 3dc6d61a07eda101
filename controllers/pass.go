package controllers

import (
	"context"
	"errors"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// passObject is an object a reconcile pass ends for: conditions and an observed generation.
type passObject interface {
	conditionsObject
	SetObservedGeneration(int64)
	SetAppliedFields([]string)
}

// endPass ends a pass in one place. It turns the pass's error into its meaning (meaning), records
// a Warning Event when the object becomes Stalled, marks the generation observed when its work is
// finished and records the clearable spec fields it applied (applied) when it succeeded, sets the conditions
// and result (outcome, with the next drift pass after period) and writes the status once. A
// status write that fails is logged with its error and returned, so that the pass is retried.
func endPass(ctx context.Context, status *statusPatcher, n notifier, obj passObject, applied []string, err error, readyMessage string, period time.Duration) (ctrl.Result, error) {
	err = meaning(err)
	if finished(err) {
		obj.SetObservedGeneration(obj.GetGeneration())
	}
	if err == nil {
		// Only a pass that made AWS match the spec applied its fields; a stall applied nothing.
		obj.SetAppliedFields(applied)
	}
	noteProblem(ctx, n, obj, err)
	result, err := outcome(obj, err, readyMessage, period)
	return writeStatus(ctx, status, obj, result, err)
}

// markDeleting says, from the first pass of deletion on, that the object is being deleted:
// Ready=False and Reconciling=True with reason Deleting, written at once, before any AWS call.
// It writes nothing when the object says so already.
func markDeleting(ctx context.Context, status *statusPatcher, obj passObject, message string) error {
	if c := meta.FindStatusCondition(obj.GetConditions(), v1alpha1.ConditionReconciling); c != nil && c.Status == metav1.ConditionTrue && isDeletingReason(c.Reason) {
		return nil
	}
	markReconciling(obj, v1alpha1.ReasonDeleting, message)
	_, err := writeStatus(ctx, status, obj, ctrl.Result{}, nil)
	return err
}

// isDeletingReason reports whether a Reconciling reason is one of deletion's.
func isDeletingReason(reason string) bool {
	return reason == v1alpha1.ReasonDeleting || reason == v1alpha1.ReasonWaitingForUsers || reason == v1alpha1.ReasonWorkflowInUse
}

// endDeletePass ends a pass of deletion that could not release the object yet: the object says it
// is being deleted (Ready=False, Reconciling with the reason of what it waits for, Deleting for a
// transient error) unless it is Stalled, and the status is written once.
func endDeletePass(ctx context.Context, status *statusPatcher, n notifier, obj passObject, err error, resync time.Duration) (ctrl.Result, error) {
	err = meaning(err)
	noteProblem(ctx, n, obj, err)
	result, err := outcome(obj, err, "", resync)
	if err != nil {
		markReconciling(obj, v1alpha1.ReasonDeleting, "deleting: retrying after a transient error: "+transfer.Describe(err))
	}
	return writeStatus(ctx, status, obj, result, err)
}

// writeStatus writes the status of the pass once. A write that fails is logged with its error
// and returned with the pass's own, so that the pass is retried, never dropped.
func writeStatus(ctx context.Context, status *statusPatcher, obj passObject, result ctrl.Result, err error) (ctrl.Result, error) {
	if perr := status.patch(ctx, obj); perr != nil {
		log.FromContext(ctx).Error(perr, "writing the status failed; the pass will be retried")
		return ctrl.Result{}, errors.Join(err, perr)
	}
	return result, err
}

// noteProblem records a Warning Event when obj becomes Stalled, or starts waiting for an object
// that does not exist, once, not on every pass.
func noteProblem(ctx context.Context, n notifier, obj conditionsObject, err error) {
	var stall *stallError
	var wait *waitError
	switch {
	case errors.As(err, &stall):
		if !conditionSays(obj, v1alpha1.ConditionStalled, stall.message) {
			n.warning(ctx, obj, eventStalled, "%s", stall.message)
		}
	case errors.As(err, &wait) && wait.event != "":
		if !conditionSays(obj, v1alpha1.ConditionReconciling, wait.message) {
			n.warning(ctx, obj, wait.event, "%s", wait.message)
		}
	}
}

// conditionSays reports whether obj's condition typ is True with message.
func conditionSays(obj conditionsObject, typ, message string) bool {
	c := meta.FindStatusCondition(obj.GetConditions(), typ)
	return c != nil && c.Status == metav1.ConditionTrue && c.Message == message
}
