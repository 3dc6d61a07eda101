package controllers

import (
	"context"
	"errors"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// passObject is an object a reconcile pass ends for: conditions and an observed generation.
type passObject interface {
	conditionsObject
	SetObservedGeneration(int64)
	SetAppliedFields([]string)
}

// markDeleting says, from the first pass of deletion on, that the object is being deleted:
// Ready=False and Reconciling=True with reason Deleting, written at once, before any AWS call.
// It writes nothing when the object says so already.
func markDeleting(ctx context.Context, status *statusPatcher, obj passObject, message string) error {
	if c := meta.FindStatusCondition(obj.GetConditions(), v1alpha1.ConditionReconciling); c != nil && c.Status == metav1.ConditionTrue && isDeletingReason(c.Reason) {
		return nil
	}
	markReconciling(obj, v1alpha1.ReasonDeleting, message)
	return status.patch(ctx, obj)
}

// isDeletingReason reports whether a Reconciling reason is one of deletion's.
func isDeletingReason(reason string) bool {
	return reason == v1alpha1.ReasonDeleting || reason == v1alpha1.ReasonWaitingForUsers || reason == v1alpha1.ReasonWorkflowInUse ||
		reason == v1alpha1.ReasonInUse
}

// deletionOutcome applies err, already given its meaning, to an object whose deletion could
// not release it yet: it says it is being deleted (Ready=False, Reconciling with the reason of
// what it waits for, Deleting for a transient error) unless it is Stalled.
func deletionOutcome(obj conditionsObject, err error, resync time.Duration) (ctrl.Result, error) {
	result, err := outcome(obj, err, "", resync)
	if err != nil {
		markReconciling(obj, v1alpha1.ReasonDeleting, "deleting: retrying after a transient error: "+transfer.Describe(err))
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
