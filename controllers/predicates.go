package controllers

import (
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// specOrDeletionChanged passes creations, deletions, spec changes (a new generation), the start of
// deletion, reconcile requests (v1alpha1.ReconcileRequestAnnotation) and pauses and resumptions
// (v1alpha1.PausedAnnotation), and drops other updates of status and metadata, so that the
// operator's own status writes never cause a reconcile.
var specOrDeletionChanged = predicate.Or(
	predicate.GenerationChangedPredicate{},
	predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			deleting := e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
			requested := e.ObjectOld.GetAnnotations()[v1alpha1.ReconcileRequestAnnotation] != e.ObjectNew.GetAnnotations()[v1alpha1.ReconcileRequestAnnotation]
			return deleting || requested || paused(e.ObjectOld) != paused(e.ObjectNew)
		},
	},
)

// onlyDeletions passes deletion events alone.
var onlyDeletions = predicate.Funcs{
	CreateFunc:  func(event.CreateEvent) bool { return false },
	UpdateFunc:  func(event.UpdateEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// serverAvailabilityChanged passes the TransferServer events that matter to their users.
var serverAvailabilityChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		oldSrv, newSrv := e.ObjectOld.(*v1alpha1.TransferServer), e.ObjectNew.(*v1alpha1.TransferServer)
		return isReady(oldSrv) != isReady(newSrv) || oldSrv.Status.ServerID != newSrv.Status.ServerID
	},
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// paused reports whether obj carries v1alpha1.PausedAnnotation set to "true".
func paused(obj client.Object) bool {
	return obj.GetAnnotations()[v1alpha1.PausedAnnotation] == "true"
}
