package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// TrimForCache drops from every cached object what the operator never reads: its managed fields,
// and kubectl's last-applied-configuration annotation, a copy of the whole manifest (of a Secret's
// data too, on Secrets applied with kubectl; Secrets are cached by metadata only). The annotation
// alone adds some 9 MiB at 10,000 kubectl-applied users (docs/benchmarks.md). The operator writes
// objects by patches only, never by an update of what it read, so the trim never reaches the API
// server.
func TrimForCache(obj any) (any, error) {
	obj, err := stripManagedFields(obj)
	if err != nil {
		return obj, err
	}
	if m, err := meta.Accessor(obj); err == nil {
		if annotations := m.GetAnnotations(); annotations[corev1.LastAppliedConfigAnnotation] != "" {
			delete(annotations, corev1.LastAppliedConfigAnnotation)
			if len(annotations) == 0 {
				annotations = nil
			}
			m.SetAnnotations(annotations)
		}
	}
	return obj, nil
}

var stripManagedFields = cache.TransformStripManagedFields()
