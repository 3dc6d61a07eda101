package controllers

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferaccesses,verbs=list;watch;patch
// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferaccesses/status,verbs=patch

// accessKind is the TransferAccess kind: each object is the access of one directory group to a
// server whose users are in AWS Directory Service.
//
// AWS keeps no tags on accesses, so what is whose is told by status instead: an access is this
// object's once its status records it (serverId and externalId), or when an access of the group
// appears on the server named by status.createPending, written before CreateAccess is sent. Of
// two objects that recorded the same access, the older one owns it.
type accessKind struct{ deps }

// accessWant is what a TransferAccess asks for.
type accessWant = transfer.DesiredAccess

// newAccessReconciler returns the reconciler of TransferAccesses.
func newAccessReconciler(d deps) *reconciler[*v1alpha1.TransferAccess, accessWant, *transfer.Access] {
	return &reconciler[*v1alpha1.TransferAccess, accessWant, *transfer.Access]{deps: d, name: "transferaccess", kind: &accessKind{d}}
}

func (r *accessKind) newObject() *v1alpha1.TransferAccess { return &v1alpha1.TransferAccess{} }

func (r *accessKind) logValues(acc *v1alpha1.TransferAccess) []any {
	values := []any{"externalId", acc.Spec.ExternalID}
	if id := cmp.Or(acc.Status.ServerID, acc.Spec.ServerID); id != "" {
		values = append(values, "serverId", id)
	}
	return values
}

// watch adds the TransferServers accesses reference, when one appears, disappears, becomes Ready
// or not, or is replaced by a server with another ID, and the AWSAccounts.
func (r *accessKind) watch(b *builder.Builder) *builder.Builder {
	return watchAccounts(b, r.Client, func() client.ObjectList { return &v1alpha1.TransferAccessList{} }).Watches(&v1alpha1.TransferServer{}, handler.EnqueueRequestsFromMapFunc(referencing(r.Client, indexAccessServerRef, func() client.ObjectList { return &v1alpha1.TransferAccessList{} })),
		builder.WithPredicates(serverAvailabilityChanged))
}

func (r *accessKind) applied(acc *v1alpha1.TransferAccess) []string {
	return transfer.AppliedAccessFields(&acc.Spec)
}

func (r *accessKind) comparePeriod(*v1alpha1.TransferAccess) time.Duration { return r.Options.Resync }

func (r *accessKind) readyMessage(acc *v1alpha1.TransferAccess) string {
	return fmt.Sprintf("the access of %s to server %s matches the spec", acc.Spec.ExternalID, acc.Status.ServerID)
}

func (r *accessKind) deletingMessage(*v1alpha1.TransferAccess) string { return "deleting the access" }

func (r *accessKind) site(acc *v1alpha1.TransferAccess) *site {
	return &site{
		placement: &acc.Status.Placement, what: "the access", specRegion: acc.Spec.Region, specAccount: acc.Spec.Account,
		serverRef: acc.Spec.ServerRef, serverID: acc.Spec.ServerID, recordedServerID: cmp.Or(acc.Status.ServerID, acc.Status.CreatePending),
	}
}

func (r *accessKind) recorded(acc *v1alpha1.TransferAccess) bool {
	return acc.Status.ServerID != "" || acc.Status.CreatePending != ""
}

func (r *accessKind) mayExist(acc *v1alpha1.TransferAccess) bool { return r.recorded(acc) }

func (r *accessKind) resource(acc *v1alpha1.TransferAccess) string {
	return "the access of " + acc.Spec.ExternalID
}

// desire resolves the access the spec describes, on the server it lives on.
func (r *accessKind) desire(_ context.Context, acc *v1alpha1.TransferAccess, at placement) (accessWant, error) {
	if err := transfer.ValidateAccessSpec(&acc.Spec); err != nil {
		return accessWant{}, stalled(v1alpha1.ReasonInvalidSpec, "%v", err)
	}
	return transfer.DesiredAccess{Spec: &acc.Spec, ServerID: at.serverID, Applied: acc.Status.AppliedFields}, nil
}

// observe returns the access this object recorded, or the one an earlier create whose response
// was lost made; it only reads. An access of the group that was there before this object is taken over only
// with spec.adopt and when no other TransferAccess owns it. A recorded access deleted outside the
// operator is forgotten, to be created again.
func (r *accessKind) observe(ctx context.Context, acc *v1alpha1.TransferAccess, at placement, _ accessWant) (*transfer.Access, bool, error) {
	if old := acc.Status.ServerID; old != "" && old != at.serverID {
		// Recorded on a server its TransferServer replaced: create leaves that one first.
		return nil, false, nil
	}
	serverID, externalID := at.serverID, acc.Spec.ExternalID
	access, err := at.svc.DescribeAccess(ctx, serverID, externalID)
	recorded := acc.Status.ServerID == serverID
	switch {
	case transfer.IsNotFound(err):
		if recorded {
			r.Notify.warning(ctx, acc, eventRecreating, "the access of %s was deleted outside the operator; creating it again", externalID)
			acc.Status = v1alpha1.TransferAccessStatus{Placement: acc.Status.Placement, Conditions: acc.Status.Conditions, ObservedGeneration: acc.Status.ObservedGeneration}
		}
		// DescribeAccess does not tell a missing server from a missing access; CreateAccess will.
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	what := fmt.Sprintf("the access of %s to server %s", externalID, serverID)
	owner, err := r.otherAccessOwner(ctx, acc, at.region, serverID)
	if err != nil {
		return nil, false, err
	}
	if owner != "" {
		return nil, false, ownedByAnother(what, owner)
	}
	switch {
	case recorded:
	case acc.Status.CreatePending == serverID:
		r.Notify.normal(ctx, acc, eventAdopted, "found %s, created by an earlier attempt whose response was lost", what)
	case acc.Spec.Adopt:
		if err := adoptionAllowed(at.account, what); err != nil {
			return nil, false, err
		}
		r.Notify.normal(ctx, acc, eventAdopted, "adopted the existing %s", what)
	default:
		return nil, false, stalled(v1alpha1.ReasonAlreadyExists,
			"%s already exists and was not created by this TransferAccess: set spec.adopt: true to manage it", what)
	}
	r.record(acc, at)
	return access, true, nil
}

// create creates the access, after deleting it from a server its TransferServer replaced. The
// server it is being created on is written to status first
// (createPending, with the placement the pass set), so that an access found there on the next
// pass, after a lost response or a crash, is known to be this object's. An access that exists
// when CreateAccess answers, though observe found none a moment before, was made by this request
// (the SDK retried it after a lost response).
func (r *accessKind) create(ctx context.Context, acc *v1alpha1.TransferAccess, at placement, want accessWant, status *statusPatcher) (*transfer.Access, bool, error) {
	if old := acc.Status.ServerID; old != "" && old != at.serverID {
		if err := at.svc.DeleteAccess(ctx, old, acc.Status.ExternalID); err != nil {
			return nil, false, err
		}
		r.Notify.normal(ctx, acc, eventServerReplaced, "server %s was replaced; moving the access of %s to the new server", old, acc.Spec.ExternalID)
		acc.Status = v1alpha1.TransferAccessStatus{Placement: acc.Status.Placement, Conditions: acc.Status.Conditions, ObservedGeneration: acc.Status.ObservedGeneration}
	}
	acc.Status.CreatePending = at.serverID
	if err := status.patch(ctx, acc); err != nil {
		return nil, false, err
	}
	err := at.svc.CreateAccess(ctx, want)
	switch {
	case err == nil, transfer.IsAlreadyExists(err):
	case transfer.IsNotFound(err) && acc.Spec.ServerID != "":
		acc.Status.CreatePending = ""
		return nil, false, stalledBy(err, v1alpha1.ReasonNotFound, "server %s named by spec.serverId does not exist in %s: %s", at.serverID, at.region, transfer.Describe(err))
	default:
		if transfer.Classify(err).Terminal() {
			// AWS refused the request: nothing was made, so there is nothing to look for.
			acc.Status.CreatePending = ""
		}
		return nil, false, err
	}
	r.record(acc, at)
	r.Notify.normal(ctx, acc, eventCreated, "created the access of %s to server %s", acc.Spec.ExternalID, at.serverID)
	return nil, false, nil
}

// record notes in status the server the access lives on and its group; the pass records the
// placement with them.
func (r *accessKind) record(acc *v1alpha1.TransferAccess, at placement) {
	acc.Status.ServerID, acc.Status.ExternalID = at.serverID, acc.Spec.ExternalID
	acc.Status.CreatePending = ""
}

// update sends what PlanAccess found different and records the access in status.
func (r *accessKind) update(ctx context.Context, acc *v1alpha1.TransferAccess, at placement, want accessWant, access *transfer.Access) error {
	plan := transfer.PlanAccess(want, access)
	if len(plan.Kept) > 0 {
		r.Notify.warning(ctx, acc, eventNotCleared, "%s removed from the spec: AWS cannot clear it, so the access keeps its value in AWS",
			fieldList(plan.Kept))
	}
	if plan.InSync() {
		return nil
	}
	reason := changeEvent(acc, acc.Status.ObservedGeneration)
	if err := at.svc.ApplyAccessPlan(ctx, access, plan); err != nil {
		return err
	}
	r.Notify.normal(ctx, acc, reason, "%s: %s", changeVerb(reason), fieldList(plan.Changed))
	return nil
}

// awaitDependents has nothing to wait for: nothing uses an access.
func (r *accessKind) awaitDependents(context.Context, *v1alpha1.TransferAccess) error { return nil }

// delete deletes the access this object created or adopted, or the one a create whose response
// was lost may have made. An access or server already gone counts as deleted.
func (r *accessKind) delete(ctx context.Context, acc *v1alpha1.TransferAccess, at placement) error {
	externalID := cmp.Or(acc.Status.ExternalID, acc.Spec.ExternalID)
	if err := at.svc.DeleteAccess(ctx, at.serverID, externalID); err != nil {
		return err
	}
	r.Notify.normal(ctx, acc, eventDeleted, "deleted the access of %s to server %s", externalID, at.serverID)
	return nil
}

// otherAccessOwner returns the TransferAccess, other than acc, that recorded the access of acc's
// group on serverID before acc was created, as "TransferAccess team-a/partners", or "".
func (r *accessKind) otherAccessOwner(ctx context.Context, acc *v1alpha1.TransferAccess, region, serverID string) (string, error) {
	others := &v1alpha1.TransferAccessList{}
	if err := r.Client.List(ctx, others, client.MatchingFields{indexAccessInAWS: accessKey(region, serverID, acc.Spec.ExternalID)}); err != nil {
		return "", fmt.Errorf("listing the TransferAccesses of the group: %w", err)
	}
	for _, o := range others.Items {
		if o.UID != acc.UID && olderThan(&o, acc) {
			return fmt.Sprintf("TransferAccess %s/%s", o.Namespace, o.Name), nil
		}
	}
	return "", nil
}

// olderThan orders objects by creation, then by namespace and name: of two objects that claim
// one resource, the first in this order owns it, whichever the operator looks at first.
func olderThan(a, b client.Object) bool {
	ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	if !ta.Equal(&tb) {
		return ta.Before(&tb)
	}
	return a.GetNamespace()+"/"+a.GetName() < b.GetNamespace()+"/"+b.GetName()
}

// accessKey is the key of the indexAccessInAWS index: where an access lives.
func accessKey(region, serverID, externalID string) string {
	return region + "/" + serverID + "/" + externalID
}
