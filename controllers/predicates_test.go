package controllers

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// TestSpecOrDeletionChanged checks which updates of an object reconcile it: spec changes, the
// start of deletion and reconcile requests do; the operator's own status writes and other
// metadata changes do not.
func TestSpecOrDeletionChanged(t *testing.T) {
	base := func() *v1alpha1.TransferServer {
		return &v1alpha1.TransferServer{ObjectMeta: metav1.ObjectMeta{Name: "s", Generation: 1, Annotations: map[string]string{"a": "1"}}}
	}
	now := metav1.Now()
	for _, tc := range []struct {
		name   string
		mutate func(*v1alpha1.TransferServer)
		want   bool
	}{
		{"status only", func(s *v1alpha1.TransferServer) { s.Status.State = "ONLINE" }, false},
		{"label", func(s *v1alpha1.TransferServer) { s.Labels = map[string]string{"x": "y"} }, false},
		{"other annotation", func(s *v1alpha1.TransferServer) { s.Annotations["a"] = "2" }, false},
		{"finalizer", func(s *v1alpha1.TransferServer) { s.Finalizers = []string{Finalizer} }, false},
		{"spec", func(s *v1alpha1.TransferServer) { s.Generation = 2 }, true},
		{"deletion starts", func(s *v1alpha1.TransferServer) { s.DeletionTimestamp = &now }, true},
		{"reconcile requested", func(s *v1alpha1.TransferServer) { s.Annotations[v1alpha1.ReconcileRequestAnnotation] = "1" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, updated := base(), base()
			tc.mutate(updated)
			if got := specOrDeletionChanged.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: updated}); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
