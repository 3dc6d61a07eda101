package controllers

import (
	"context"
	"encoding/json"
	"fmt"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// statusPatcher writes an object's status with merge patches of the status alone, against the
// last status it wrote, and skips writes that change nothing, so that a reconcile that changes
// nothing writes nothing. The patches carry no resourceVersion: the operator is the status's
// only writer, and a write of the object's metadata by anyone (its own finalizer patches, a
// label) never makes one fail.
type statusPatcher struct {
	client client.Client
	base   []byte
}

func newStatusPatcher(c client.Client, obj client.Object) *statusPatcher {
	base, _ := statusJSON(obj)
	return &statusPatcher{client: c, base: base}
}

// patch writes obj's status if it differs from what was last written.
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
	return nil
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
