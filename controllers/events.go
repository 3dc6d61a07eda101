package controllers

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
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
	eventReplacing      = "Replacing"
	eventNotCleared     = "NotCleared"
	// Of spec.hostKeys.
	eventHostKeyImported  = "HostKeyImported"
	eventHostKeyDeleted   = "HostKeyDeleted"
	eventHostKeyUpdated   = "HostKeyUpdated"
	eventUnmanagedHostKey = "UnmanagedHostKey"
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
