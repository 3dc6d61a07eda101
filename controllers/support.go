package controllers

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// Event reasons, CamelCase and stable.
const (
	eventCreated        = "Created"
	eventAdopted        = "Adopted"
	eventUpdated        = "Updated"
	eventDriftCorrected = "DriftCorrected"
	eventRecreating     = "Recreating"
	eventStopping       = "Stopping"
	eventStarting       = "Starting"
	eventDeleted        = "Deleted"
	eventRetained       = "Retained"
	eventStalled        = "Stalled"
	eventServerReplaced = "ServerReplaced"
)

// notifier says one thing once: in the log, with the object's keys, and as an Event on it.
type notifier struct {
	recorder recorder.EventRecorder
}

// normal logs message and records it as a Normal Event with the given reason and action.
func (n notifier) normal(ctx context.Context, obj client.Object, reason, action, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	log.FromContext(ctx).Info(msg, "reason", reason)
	n.recorder.Eventf(obj, nil, corev1.EventTypeNormal, reason, action, "%s", msg)
}

// warning logs message and records it as a Warning Event with the given reason and action.
func (n notifier) warning(ctx context.Context, obj client.Object, reason, action, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	log.FromContext(ctx).Info(msg, "reason", reason, "warning", true)
	n.recorder.Eventf(obj, nil, corev1.EventTypeWarning, reason, action, "%s", msg)
}

// changeEvent returns the Event reason for applying changes: Updated when the spec changed since
// it was last applied, DriftCorrected when AWS changed under an unchanged spec.
func changeEvent(obj interface{ GetGeneration() int64 }, observedGeneration int64) string {
	if obj.GetGeneration() != observedGeneration {
		return eventUpdated
	}
	return eventDriftCorrected
}

// fieldList joins field paths for messages: "protocols, tags".
func fieldList(fields []string) string { return strings.Join(fields, ", ") }

// statusPatcher writes an object's status with merge patches against the last status it wrote,
// and skips writes that change nothing, so that a reconcile that changes nothing writes nothing.
type statusPatcher struct {
	client client.Client
	base   client.Object
}

func newStatusPatcher(c client.Client, obj client.Object) *statusPatcher {
	return &statusPatcher{client: c, base: obj.DeepCopyObject().(client.Object)}
}

// patch writes obj's status if it differs from what was last written.
func (p *statusPatcher) patch(ctx context.Context, obj client.Object) error {
	patch := client.MergeFrom(p.base)
	data, err := patch.Data(obj)
	if err != nil {
		return fmt.Errorf("computing the status patch: %w", err)
	}
	if string(data) == "{}" {
		return nil
	}
	if err := p.client.Status().Patch(ctx, obj, patch); err != nil {
		return fmt.Errorf("patching status: %w", err)
	}
	p.base = obj.DeepCopyObject().(client.Object)
	return nil
}

// specOrDeletionChanged passes creations, deletions, spec changes (a new generation), the start of
// deletion and reconcile requests (v1alpha1.ReconcileRequestAnnotation), and drops other updates
// of status and metadata, so that the operator's own status writes never cause a reconcile.
var specOrDeletionChanged = predicate.Or(
	predicate.GenerationChangedPredicate{},
	predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			deleting := e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
			requested := e.ObjectOld.GetAnnotations()[v1alpha1.ReconcileRequestAnnotation] != e.ObjectNew.GetAnnotations()[v1alpha1.ReconcileRequestAnnotation]
			return deleting || requested
		},
	},
)
