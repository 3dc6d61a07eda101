package main

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// TestCacheTransform checks what the manager's cache keeps of the objects it caches.
func TestCacheTransform(t *testing.T) {
	transform := managerOptions(flags{}, &rest.Config{}).Cache.DefaultTransform
	managed := []metav1.ManagedFieldsEntry{{Manager: "kubectl-client-side-apply", Operation: metav1.ManagedFieldsOperationUpdate}}
	lastApplied := `{"apiVersion":"transfer.operators.dev/v1alpha1","kind":"TransferUser","spec":{}}`
	for _, tc := range []struct {
		name            string
		obj             metav1.Object
		wantAnnotations map[string]string
	}{
		{
			name: "a TransferUser applied with kubectl, asked to reconcile",
			obj: &v1alpha1.TransferUser{ObjectMeta: metav1.ObjectMeta{Name: "erin", ManagedFields: managed, Annotations: map[string]string{
				corev1.LastAppliedConfigAnnotation:  lastApplied,
				v1alpha1.ReconcileRequestAnnotation: "2026-12-01T18:00:00Z",
			}}},
			wantAnnotations: map[string]string{v1alpha1.ReconcileRequestAnnotation: "2026-12-01T18:00:00Z"},
		},
		{
			name: "a Secret's metadata with nothing but the manifest",
			obj: &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "hostkey", ManagedFields: managed, Annotations: map[string]string{
				corev1.LastAppliedConfigAnnotation: `{"data":{"ssh-privatekey":"c2VjcmV0"}}`,
			}}},
			wantAnnotations: nil,
		},
		{
			name:            "an object no one applied",
			obj:             &v1alpha1.TransferServer{ObjectMeta: metav1.ObjectMeta{Name: "sftp", Annotations: map[string]string{"team": "a"}}},
			wantAnnotations: map[string]string{"team": "a"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := transform(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			m := out.(metav1.Object)
			if got := m.GetAnnotations(); !reflect.DeepEqual(got, tc.wantAnnotations) {
				t.Errorf("annotations %v, want %v", got, tc.wantAnnotations)
			}
			if got := m.GetManagedFields(); got != nil {
				t.Errorf("managed fields %v, want none", got)
			}
		})
	}
}
