package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// statusPatcher writes an object's status with merge patches of the status alone, against the
// last status it wrote, and skips writes that change nothing, so that a reconcile that changes
// nothing writes nothing. The patches carry no resourceVersion: the operator is the status's
// only writer, and a write of the object's metadata by anyone (its own finalizer patches, a
// label) never makes one fail.
//
// A pass starts from the object in the cache, so its patcher's first base is the status the
// cache holds. For that to be the status the API server holds, a write returns only once the
// cache holds it (awaitCache): the object's next pass may start at once (an event queued it
// during this one), and one that read the status from before the write would skip a write that
// changes it back, such as a Ready found equal to the Ready from before the wait just written,
// leaving the wait in the API server until a later pass, for a user a full-compare period away.
type statusPatcher struct {
	client client.Client
	base   []byte
}

// cacheLagBound bounds how long a status write waits for the cache to hold it. A watch that lags
// more is in trouble (the API server restarting, say); the pass then goes on, logging it.
const cacheLagBound = 10 * time.Second

func newStatusPatcher(c client.Client, obj client.Object) *statusPatcher {
	base, _ := statusJSON(obj)
	return &statusPatcher{client: c, base: base}
}

// patch writes obj's status if it differs from what was last written, and returns once the
// client's cache holds the write.
func (p *statusPatcher) patch(ctx context.Context, obj client.Object) error {
	current, err := statusJSON(obj)
	if err != nil {
		return fmt.Errorf("computing the status patch: %w", err)
	}
	diff, err := jsonpatch.CreateMergePatch(p.base, current)
	if err != nil {
		return fmt.Errorf("computing the status patch: %w", err)
	}
	if string(diff) == "{}" {
		return nil
	}
	body := append(append([]byte(`{"status":`), diff...), '}')
	if err := p.client.Status().Patch(ctx, obj, client.RawPatch(types.MergePatchType, body)); err != nil {
		return fmt.Errorf("patching status: %w", err)
	}
	// What the API server answered is what the next patch is computed against.
	if p.base, err = statusJSON(obj); err != nil {
		p.base = current
	}
	awaitCache(ctx, p.client, obj, "status")
	return nil
}

// awaitCache waits, up to cacheLagBound, until c's cache holds obj at the resourceVersion the
// API server answered a write (of what) with, or a later one, or no longer holds it. A
// resourceVersion that cannot be compared ends the wait.
func awaitCache(ctx context.Context, c client.Client, obj client.Object, what string) {
	written := obj.GetResourceVersion()
	cached := obj.DeepCopyObject().(client.Object)
	caughtUp := func(ctx context.Context) (bool, error) {
		err := c.Get(ctx, client.ObjectKeyFromObject(obj), cached)
		if err != nil {
			return apierrors.IsNotFound(err), nil
		}
		order, err := resourceversion.CompareResourceVersion(cached.GetResourceVersion(), written)
		return err != nil || order >= 0, nil
	}
	if err := wait.PollUntilContextTimeout(ctx, 5*time.Millisecond, cacheLagBound, true, caughtUp); err != nil && ctx.Err() == nil {
		log.FromContext(ctx).Info("the cache did not show the write in time; the next pass may start from an older object",
			"write", what, "resourceVersion", written, "waited", cacheLagBound.String())
	}
}

// statusJSON returns the JSON of obj's status, {} when it has none.
func statusJSON(obj client.Object) ([]byte, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var parts struct {
		Status json.RawMessage `json:"status"`
	}
	if err := json.Unmarshal(data, &parts); err != nil {
		return nil, err
	}
	if len(parts.Status) == 0 {
		return []byte("{}"), nil
	}
	return parts.Status, nil
}
