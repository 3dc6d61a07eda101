package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// conditionsObject is an API object with kstatus conditions.
type conditionsObject interface {
	client.Object
	GetConditions() []metav1.Condition
	SetConditions([]metav1.Condition)
}

// setCondition sets one condition, stamped with the object's generation. The transition time
// changes only when the status does.
func setCondition(obj conditionsObject, typ string, status metav1.ConditionStatus, reason, message string) {
	conds := obj.GetConditions()
	meta.SetStatusCondition(&conds, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: message, ObservedGeneration: obj.GetGeneration(),
	})
	obj.SetConditions(conds)
}

// markReady records that AWS matches the spec: Ready=True, and Reconciling and Stalled removed,
// as kstatus expects of a Current object.
func markReady(obj conditionsObject, message string) {
	setCondition(obj, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled, message)
	removeCondition(obj, v1alpha1.ConditionReconciling)
	removeCondition(obj, v1alpha1.ConditionStalled)
}

// markReconciling records work under way: Reconciling=True, Ready=False with the same reason
// and message, Stalled removed.
func markReconciling(obj conditionsObject, reason, message string) {
	setCondition(obj, v1alpha1.ConditionReconciling, metav1.ConditionTrue, reason, message)
	setCondition(obj, v1alpha1.ConditionReady, metav1.ConditionFalse, reason, message)
	removeCondition(obj, v1alpha1.ConditionStalled)
}

// markStalled records that retrying cannot help: Stalled=True, Ready=False, Reconciling removed.
func markStalled(obj conditionsObject, reason, message string) {
	setCondition(obj, v1alpha1.ConditionStalled, metav1.ConditionTrue, reason, message)
	setCondition(obj, v1alpha1.ConditionReady, metav1.ConditionFalse, reason, message)
	removeCondition(obj, v1alpha1.ConditionReconciling)
}

func removeCondition(obj conditionsObject, typ string) {
	conds := obj.GetConditions()
	meta.RemoveStatusCondition(&conds, typ)
	obj.SetConditions(conds)
}

// isReady reports whether the object's Ready condition is True for its current generation.
func isReady(obj conditionsObject) bool {
	c := meta.FindStatusCondition(obj.GetConditions(), v1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == obj.GetGeneration()
}
