package controllers

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Event reasons, CamelCase and stable.
const (
	eventCreated = "Created"
	// eventCreationCompleted: what CreateServer cannot take was set right after the create.
	eventCreationCompleted = "CreationCompleted"
	eventAdopted           = "Adopted"
	eventUpdated           = "Updated"
	eventDriftCorrected    = "DriftCorrected"
	eventRecreating        = "Recreating"
	eventStopping          = "Stopping"
	eventStarting          = "Starting"
	eventDeleted           = "Deleted"
	eventRetained          = "Retained"
	eventStalled           = "Stalled"
	eventServerReplaced    = "ServerReplaced"
	eventReplacing         = "Replacing"
	eventNotCleared        = "NotCleared"
	// Of a reference to an object that does not exist.
	eventServerNotFound   = "ServerNotFound"
	eventWorkflowNotFound = "WorkflowNotFound"
	// Of spec.hostKeys.
	eventHostKeyImported  = "HostKeyImported"
	eventHostKeyDeleted   = "HostKeyDeleted"
	eventHostKeyUpdated   = "HostKeyUpdated"
	eventUnmanagedHostKey = "UnmanagedHostKey"
)

// notifier says one thing once: in the log, with the object's keys, and as an Event on it.
type notifier struct {
	recorder record.EventRecorder
}

// eventCacheSize bounds the Events the recorder keeps to tell repeated ones apart.
const eventCacheSize = 512

// newNotifier returns the notifier every kind shares and starts its Event broadcaster, which
// the manager stops when it stops. The broadcaster is client-go's core/v1 one, whose correlator
// keeps a bounded cache (eventCacheSize), not the events.k8s.io one controller-runtime offers,
// which keeps every Event it sent for six to twelve minutes: about 9 MiB for 10,000 users
// created at once (docs/benchmarks.md). Both APIs show the same Events.
func newNotifier(mgr manager.Manager) (notifier, error) {
	core, err := typedcorev1.NewForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
	if err != nil {
		return notifier{}, fmt.Errorf("creating the Events client: %w", err)
	}
	b := record.NewBroadcaster(record.WithCorrelatorOptions(record.CorrelatorOptions{LRUCacheSize: eventCacheSize}))
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: core.Events("")})
	if err := mgr.Add(broadcasterStopper{b}); err != nil {
		b.Shutdown()
		return notifier{}, fmt.Errorf("adding the Event broadcaster: %w", err)
	}
	return notifier{recorder: b.NewRecorder(mgr.GetScheme(), corev1.EventSource{Component: "transfer-operator"})}, nil
}

// broadcasterStopper stops an Event broadcaster, after it sent what it holds, when the manager
// stops, on every replica.
type broadcasterStopper struct{ b record.EventBroadcaster }

func (s broadcasterStopper) Start(ctx context.Context) error {
	<-ctx.Done()
	s.b.Shutdown()
	return nil
}

func (broadcasterStopper) NeedLeaderElection() bool { return false }

// normal logs message and records it as a Normal Event with the given reason.
func (n notifier) normal(ctx context.Context, obj client.Object, reason, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	log.FromContext(ctx).Info(msg, "reason", reason)
	n.recorder.Event(obj, corev1.EventTypeNormal, reason, msg)
}

// warning logs message and records it as a Warning Event with the given reason.
func (n notifier) warning(ctx context.Context, obj client.Object, reason, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	log.FromContext(ctx).Info(msg, "reason", reason, "warning", true)
	n.recorder.Event(obj, corev1.EventTypeWarning, reason, msg)
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
