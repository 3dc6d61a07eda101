package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Finalizer is the finalizer the operator puts on every object before it creates anything in AWS.
const Finalizer = "transfer.operators.dev/finalizer"

// addFinalizer adds the operator's finalizer, before anything is created in AWS.
func addFinalizer(ctx context.Context, c client.Client, fresh client.Reader, obj client.Object) error {
	if slices.Contains(obj.GetFinalizers(), Finalizer) {
		return nil
	}
	if err := patchFinalizers(ctx, c, fresh, obj, func(fs []string) []string {
		if slices.Contains(fs, Finalizer) {
			return fs
		}
		return append(fs, Finalizer)
	}); err != nil {
		return fmt.Errorf("adding the finalizer: %w", err)
	}
	return nil
}

// removeFinalizer releases the object once nothing is left to clean up in AWS. An object that is
// gone already counts as released. It returns once the cache no longer holds the object as it
// was (awaitCache): a pass queued meanwhile (a watched server turning not Ready as it is
// deleted) would otherwise start from the object with the finalizer and delete its resource
// again.
func removeFinalizer(ctx context.Context, c client.Client, fresh client.Reader, obj client.Object) error {
	err := patchFinalizers(ctx, c, fresh, obj, func(fs []string) []string {
		return slices.DeleteFunc(fs, func(f string) bool { return f == Finalizer })
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("removing the finalizer: %w", err)
	}
	awaitCache(ctx, c, obj, "finalizer")
	return nil
}

// patchFinalizers replaces obj's finalizers with change(finalizers) by a JSON patch that first
// tests that the list is still the one obj holds. It carries no resourceVersion, so writes of other
// metadata (labels, annotations: Argo CD, kubectl label) never make it fail; a finalizer another
// controller adds or removes at the same moment makes the test fail rather than being lost. A
// failed test is retried at once against a fresh read of the object, not after the workqueue's
// back-off. (A merge patch with an optimistic lock would lose to every unrelated write; a merge
// patch without one would replace another controller's concurrent finalizer list.)
func patchFinalizers(ctx context.Context, c client.Client, fresh client.Reader, obj client.Object, change func([]string) []string) error {
	first := true
	return retry.OnError(retry.DefaultRetry, lostFinalizerRace, func() error {
		if !first {
			if err := fresh.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
				return err
			}
		}
		first = false
		current := obj.GetFinalizers()
		wanted := change(slices.Clone(current))
		if slices.Equal(current, wanted) {
			return nil
		}
		patch, err := json.Marshal([]jsonPatchOp{
			{Op: "test", Path: "/metadata/finalizers", Value: nilIfEmpty(current)},
			{Op: "add", Path: "/metadata/finalizers", Value: nilIfEmpty(wanted)},
		})
		if err != nil {
			return err
		}
		return c.Patch(ctx, obj, client.RawPatch(types.JSONPatchType, patch))
	})
}

// jsonPatchOp is one operation of an RFC 6902 JSON patch.
type jsonPatchOp struct {
	Op    string   `json:"op"`
	Path  string   `json:"path"`
	Value []string `json:"value"`
}

// nilIfEmpty returns nil for an empty list: the API server drops an empty finalizer list, and a
// JSON patch test of a missing member passes only against null.
func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// lostFinalizerRace reports whether a finalizer patch failed because the list changed since it
// was read: the API server answers a failed JSON patch test as Invalid (422), and an object that
// changed under an update as Conflict.
func lostFinalizerRace(err error) bool {
	return apierrors.IsInvalid(err) || apierrors.IsConflict(err)
}
