package controllers

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// hostKeySecretNames returns the names of the Secrets a server's host keys come from, for the
// Secret watch's index.
func hostKeySecretNames(spec *v1alpha1.TransferServerSpec) []string {
	var names []string
	if ref := spec.HostKeySecretRef; ref != nil {
		names = append(names, ref.Name)
	}
	for _, k := range spec.HostKeys {
		if !slices.Contains(names, k.SecretRef.Name) {
			names = append(names, k.SecretRef.Name)
		}
	}
	return names
}

// desiredHostKey is one resolved entry of spec.hostKeys and the Secret key it came from.
type desiredHostKey struct {
	transfer.DesiredHostKey
	ref v1alpha1.SecretKeySelector
}

// desiredHostKeys reads the private keys of spec.hostKeys from their Secrets, through the
// APIReader, and checks each as AWS would. A missing Secret or key, a key AWS would refuse, or
// two entries holding the same key stall the pass; the messages name the Secret and key, never
// anything of the key itself.
func (r *serverKind) desiredHostKeys(ctx context.Context, srv *v1alpha1.TransferServer) ([]desiredHostKey, error) {
	secrets := map[string]*corev1.Secret{}
	var out []desiredHostKey
	for i, entry := range srv.Spec.HostKeys {
		ref := entry.SecretRef
		name := ref.Name + "/" + ref.Key
		body, fingerprint, err := r.readHostKey(ctx, srv.Namespace, fmt.Sprintf("hostKeys[%d]", i), ref, secrets)
		if err != nil {
			return nil, err
		}
		if j := slices.IndexFunc(out, func(d desiredHostKey) bool { return d.Fingerprint == fingerprint }); j >= 0 {
			return nil, stalled(v1alpha1.ReasonInvalidHostKey, "hostKeys[%d] (%s) holds the same key as hostKeys[%d] (%s), %s", i, name, j, out[j].Name, fingerprint)
		}
		out = append(out, desiredHostKey{
			DesiredHostKey: transfer.DesiredHostKey{Name: name, Body: body, Fingerprint: fingerprint, Description: entry.Description},
			ref:            ref,
		})
	}
	return out, nil
}

// readHostKey is the one place a host key is read from its Secret (through the APIReader: Secrets
// are not cached), for the spec field named field, and checked as AWS would check it. secrets
// holds the Secrets read so far, so that each is read once a pass. A missing Secret or key, or a
// key AWS would refuse, stalls the pass; the messages name the Secret and key, never anything
// of the key itself.
func (r *serverKind) readHostKey(ctx context.Context, namespace, field string, ref v1alpha1.SecretKeySelector, secrets map[string]*corev1.Secret) (transfer.Sensitive, string, error) {
	secret := secrets[ref.Name]
	if secret == nil {
		secret = &corev1.Secret{}
		if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, secret); err != nil {
			if apierrors.IsNotFound(err) {
				return "", "", noHostKeySecret(field, ref)
			}
			return "", "", fmt.Errorf("reading the host key Secret %s: %w", ref.Name, err)
		}
		secrets[ref.Name] = secret
	}
	body, ok := secret.Data[ref.Key]
	if !ok {
		return "", "", noHostKeySecret(field, ref)
	}
	fingerprint, err := transfer.HostKeyFingerprint(transfer.Sensitive(body))
	if err != nil {
		return "", "", stalled(v1alpha1.ReasonInvalidHostKey, "%s, key %q of Secret %s: %v", field, ref.Key, ref.Name, err)
	}
	return transfer.Sensitive(body), fingerprint, nil
}

// withFirstHostKey gives d the first key of spec.hostKeys, which a new server is created with,
// and no fingerprint: with spec.hostKeys, convergeHostKeys manages the keys, not UpdateServer.
func (r *serverKind) withFirstHostKey(ctx context.Context, srv *v1alpha1.TransferServer, d transfer.DesiredServer) (transfer.DesiredServer, error) {
	keys, err := r.desiredHostKeys(ctx, srv)
	if err != nil {
		return d, err
	}
	d.HostKey = keys[0].Body
	return d, nil
}

// convergeHostKeys makes the server's host keys match spec.hostKeys as a set by fingerprint
// (transfer.PlanHostKeys: import what is new, then delete what left the list, and update
// descriptions) and records them in status.hostKeys. The operator's own keys, those it deletes
// when they leave the list, are the managed ones status.hostKeys recorded. Each change is an
// Event that names the Secret key and the fingerprint. Without spec.hostKeys it does nothing and
// status.hostKeys is cleared.
func (r *serverKind) convergeHostKeys(ctx context.Context, srv *v1alpha1.TransferServer, w serverWant, server *transfer.Server) error {
	svc := w.at.svc
	if len(srv.Spec.HostKeys) == 0 {
		srv.Status.HostKeys = nil
		return nil
	}
	desired, err := r.desiredHostKeys(ctx, srv)
	if err != nil {
		return err
	}
	listed, err := svc.ListHostKeys(ctx, server.ID)
	if err != nil {
		return err
	}
	managed := map[string]bool{}
	wasUnmanaged := map[string]bool{}
	for _, k := range srv.Status.HostKeys {
		managed[k.Fingerprint] = k.Managed
		wasUnmanaged[k.HostKeyID] = !k.Managed
	}
	want := make([]transfer.DesiredHostKey, len(desired))
	for i, d := range desired {
		want[i] = d.DesiredHostKey
	}
	plan := transfer.PlanHostKeys(want, listed, managed, srv.Spec.ExclusiveHostKeys)
	keys := listed
	if !plan.InSync() {
		done, err := svc.ApplyHostKeys(ctx, server.ID, plan)
		r.notifyHostKeyChanges(ctx, srv, done)
		if err != nil {
			return err
		}
		keys = done.Keys
		if len(done.Imported) > 0 || len(done.Deleted) > 0 {
			// The fingerprint DescribeServer reports is one of the server's keys: the pass's
			// describe came before these changes, and may name a key just deleted.
			if err := r.refreshHostKeyFingerprint(ctx, srv, svc, server.ID); err != nil {
				return err
			}
		}
	}
	for _, k := range plan.Unmanaged {
		if !wasUnmanaged[k.ID] {
			r.Notify.normal(ctx, srv, eventUnmanagedHostKey, "host key %s (%s, %s) was not added by the operator; it is left on the server, as spec.exclusiveHostKeys is not set", k.ID, k.Type, k.Fingerprint)
		}
	}
	srv.Status.HostKeys = hostKeyStatus(keys, desired)
	return nil
}

// refreshHostKeyFingerprint records the host key fingerprint DescribeServer reports now.
func (r *serverKind) refreshHostKeyFingerprint(ctx context.Context, srv *v1alpha1.TransferServer, svc *transfer.Service, id string) error {
	server, err := svc.DescribeServer(ctx, id)
	if err != nil {
		return err
	}
	srv.Status.HostKeyFingerprint = server.HostKeyFingerprint
	return nil
}

// notifyHostKeyChanges records one Event for each host key change that was made.
func (r *serverKind) notifyHostKeyChanges(ctx context.Context, srv *v1alpha1.TransferServer, done transfer.HostKeyChanges) {
	for _, d := range done.Imported {
		r.Notify.normal(ctx, srv, eventHostKeyImported, "imported host key %s (%s)", d.Name, d.Fingerprint)
	}
	for _, u := range done.Described {
		r.Notify.normal(ctx, srv, eventHostKeyUpdated, "set the description of host key %s (%s) to %q", u.Key.ID, u.Key.Fingerprint, u.Description)
	}
	for _, k := range done.Deleted {
		r.Notify.normal(ctx, srv, eventHostKeyDeleted, "deleted host key %s (%s)", k.ID, k.Fingerprint)
	}
}

// hostKeyStatus is status.hostKeys for the server's keys, in the order AWS lists them; managed
// are those of spec.hostKeys, offered the key of each type that clients are offered.
func hostKeyStatus(keys []transfer.HostKey, desired []desiredHostKey) []v1alpha1.HostKeyStatus {
	offered := transfer.OfferedHostKeys(keys)
	out := make([]v1alpha1.HostKeyStatus, 0, len(keys))
	for _, k := range keys {
		s := v1alpha1.HostKeyStatus{HostKeyID: k.ID, Type: k.Type, Fingerprint: k.Fingerprint, Description: k.Description, Offered: offered[k.ID]}
		if !k.DateImported.IsZero() {
			s.DateImported = &metav1.Time{Time: k.DateImported}
		}
		if i := slices.IndexFunc(desired, func(d desiredHostKey) bool { return d.Fingerprint == k.Fingerprint }); i >= 0 {
			ref := desired[i].ref
			s.Managed, s.SecretRef = true, &ref
		}
		out = append(out, s)
	}
	return out
}

// offeredInsteadOfManaged returns the key clients are offered for a type of which spec.hostKeys
// lists keys, when that key is not one of them, or nil.
func offeredInsteadOfManaged(keys []v1alpha1.HostKeyStatus) *v1alpha1.HostKeyStatus {
	for i, k := range keys {
		if k.Offered && !k.Managed && slices.ContainsFunc(keys, func(m v1alpha1.HostKeyStatus) bool { return m.Managed && m.Type == k.Type }) {
			return &keys[i]
		}
	}
	return nil
}

// noHostKeySecret is the stall of a host key whose Secret does not exist or lacks the key. It
// says the same in both cases: whoever may edit the server but not read Secrets learns nothing
// of which Secrets exist in the namespace.
func noHostKeySecret(field string, ref v1alpha1.SecretKeySelector) error {
	return stalled(v1alpha1.ReasonSecretNotFound, "%s: the Secret %s does not exist or has no key %q", field, ref.Name, ref.Key)
}
