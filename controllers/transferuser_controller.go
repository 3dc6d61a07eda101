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

// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferusers,verbs=list;watch;patch
// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferusers/status,verbs=patch

// userKind is the TransferUser kind: each object is one user of an AWS Transfer Family server.
type userKind struct {
	deps
	// sweep watches the drift of users found in sync, so that their full comparisons may wait.
	sweep *userSweep
}

// userWant is what a TransferUser asks for.
type userWant = transfer.DesiredUser

// newUserReconciler returns the reconciler of TransferUsers.
func newUserReconciler(d deps, sweep *userSweep) *reconciler[*v1alpha1.TransferUser, userWant, *transfer.User] {
	return &reconciler[*v1alpha1.TransferUser, userWant, *transfer.User]{deps: d, name: "transferuser", kind: &userKind{deps: d, sweep: sweep}}
}

func (r *userKind) newObject() *v1alpha1.TransferUser { return &v1alpha1.TransferUser{} }

func (r *userKind) logValues(usr *v1alpha1.TransferUser) []any {
	values := []any{"userName", usr.AWSUserName()}
	if id := cmp.Or(usr.Status.ServerID, usr.Spec.ServerID); id != "" {
		values = append(values, "serverId", id)
	}
	return values
}

// watch adds the TransferServers users reference, when one appears, disappears, becomes Ready or
// not, or is replaced by a server with another ID, and the AWSAccounts.
func (r *userKind) watch(b *builder.Builder) *builder.Builder {
	return watchAccounts(b, r.Client, func() client.ObjectList { return &v1alpha1.TransferUserList{} }).Watches(&v1alpha1.TransferServer{}, handler.EnqueueRequestsFromMapFunc(referencing(r.Client, indexUserServerRef, func() client.ObjectList { return &v1alpha1.TransferUserList{} })),
		builder.WithPredicates(serverAvailabilityChanged)).
		WatchesRawSource(r.sweep)
}

func (r *userKind) applied(usr *v1alpha1.TransferUser) []string {
	return transfer.AppliedUserFields(&usr.Spec)
}

func (r *userKind) comparePeriod(usr *v1alpha1.TransferUser) time.Duration {
	return r.sweep.period(usr.Status.ServerID, usr.Status.UserName)
}

func (r *userKind) readyMessage(usr *v1alpha1.TransferUser) string {
	return fmt.Sprintf("user %s on server %s matches the spec", usr.AWSUserName(), usr.Status.ServerID)
}

func (r *userKind) deletingMessage(*v1alpha1.TransferUser) string { return "deleting the user" }

func (r *userKind) site(usr *v1alpha1.TransferUser) *site { return userSite(usr) }

func userSite(usr *v1alpha1.TransferUser) *site {
	return &site{
		placement: &usr.Status.Placement, what: "the user", specRegion: usr.Spec.Region, specAccount: usr.Spec.Account, arn: usr.Status.ARN,
		serverRef: usr.Spec.ServerRef, serverID: usr.Spec.ServerID, recordedServerID: usr.Status.ServerID,
	}
}

func (r *userKind) recorded(usr *v1alpha1.TransferUser) bool { return usr.Status.ServerID != "" }

// mayExist is true until the user is deleted: CreateUser writes no intent, so a user whose
// creation was never recorded may have been made by a request whose response was lost.
func (r *userKind) mayExist(*v1alpha1.TransferUser) bool { return true }

func (r *userKind) resource(usr *v1alpha1.TransferUser) string { return "user " + usr.AWSUserName() }

// desire resolves the user the spec describes, on the server it lives on.
func (r *userKind) desire(_ context.Context, usr *v1alpha1.TransferUser, at placement) (userWant, error) {
	if err := transfer.ValidateUserSpec(&usr.Spec); err != nil {
		return userWant{}, stalled(v1alpha1.ReasonInvalidSpec, "%v", err)
	}
	return transfer.DesiredUser{
		Spec:      &usr.Spec,
		ServerID:  at.serverID,
		UserName:  usr.AWSUserName(),
		Applied:   usr.Status.AppliedFields,
		OwnerTags: transfer.OwnerTags("TransferUser", usr.Namespace, usr.Name, string(usr.UID)),
	}, nil
}

// observe returns the user recorded in status on the server it lives on; it only reads. One
// deleted outside the operator is forgotten, to be created again; one another live object
// manages is refused.
func (r *userKind) observe(ctx context.Context, usr *v1alpha1.TransferUser, at placement, want userWant) (*transfer.User, bool, error) {
	if usr.Status.ServerID != at.serverID {
		// Nothing recorded, or recorded on a server its TransferServer replaced: create leaves
		// that one first.
		return nil, false, nil
	}
	user, err := at.svc.DescribeUser(ctx, at.serverID, want.UserName)
	switch {
	case transfer.IsNotFound(err):
		r.Notify.warning(ctx, usr, eventRecreating, "user %s was deleted outside the operator; creating it again", want.UserName)
		usr.Status = v1alpha1.TransferUserStatus{Placement: usr.Status.Placement, Conditions: usr.Status.Conditions, ObservedGeneration: usr.Status.ObservedGeneration}
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	if owner := otherOwner(ctx, r.Client, usr, user.Tags); owner != "" {
		return nil, false, ownedByAnother(fmt.Sprintf("user %s on server %s", want.UserName, at.serverID), owner)
	}
	return user, true, nil
}

// create creates the user with its SSH keys, after deleting it from a server its TransferServer
// replaced; what it made matches the spec. If a user of that name exists, it is taken over when
// it carries this object's UID tag (the response to an earlier create was lost), or when
// spec.adopt is true and no other live object owns it, and returned as described, to be compared
// with the spec.
func (r *userKind) create(ctx context.Context, usr *v1alpha1.TransferUser, at placement, desired userWant, _ *statusPatcher) (*transfer.User, bool, error) {
	svc := at.svc
	if old := usr.Status.ServerID; old != "" && old != at.serverID {
		if err := r.leaveReplacedServer(ctx, usr, svc, old); err != nil {
			return nil, false, err
		}
	}
	created, keys, err := svc.CreateUserWithKeys(ctx, desired)
	switch {
	case created:
		r.record(usr, at, desired.UserName)
		usr.Status.ARN = transfer.UserARN(at.serverARN, desired.UserName)
		if err != nil {
			return nil, false, err
		}
		recordKeys(usr, keys)
		r.Notify.normal(ctx, usr, eventCreated, "created user %s on server %s", desired.UserName, at.serverID)
		return nil, false, nil
	case transfer.IsAlreadyExists(err):
		user, err := r.takeOver(ctx, usr, at, desired)
		return user, err == nil, err
	case transfer.IsNotFound(err) && usr.Spec.ServerID != "":
		return nil, false, stalledBy(err, v1alpha1.ReasonNotFound, "server %s named by spec.serverId does not exist in %s: %s", at.serverID, at.region, transfer.Describe(err))
	}
	return nil, false, err
}

// takeOver decides whether an existing user of the desired name may be managed by usr. Its
// place is recorded either way, so that a refused object only reads it until something changes.
func (r *userKind) takeOver(ctx context.Context, usr *v1alpha1.TransferUser, at placement, desired transfer.DesiredUser) (*transfer.User, error) {
	existing, err := at.svc.DescribeUser(ctx, at.serverID, desired.UserName)
	if err != nil {
		return nil, err
	}
	owner := otherOwner(ctx, r.Client, usr, existing.Tags)
	switch {
	case owner != "":
		r.record(usr, at, desired.UserName)
		return nil, ownedByAnother(fmt.Sprintf("user %s on server %s", desired.UserName, at.serverID), owner)
	case existing.Tags[transfer.TagOwnerUID] == string(usr.UID):
		// Ours: the response to an earlier CreateUser was lost.
	case usr.Spec.Adopt:
		if err := adoptionAllowed(at.account, fmt.Sprintf("user %s on server %s", desired.UserName, at.serverID)); err != nil {
			return nil, err
		}
		r.Notify.normal(ctx, usr, eventAdopted, "adopted the existing user %s on server %s", desired.UserName, at.serverID)
	default:
		return nil, stalled(v1alpha1.ReasonAlreadyExists,
			"a user named %s already exists on server %s and was not created by this TransferUser: set spec.adopt: true to manage it, or choose another spec.userName",
			desired.UserName, at.serverID)
	}
	r.record(usr, at, desired.UserName)
	return existing, nil
}

// record notes in status the server the user lives on and its name; the pass records the
// placement with them.
func (r *userKind) record(usr *v1alpha1.TransferUser, at placement, userName string) {
	usr.Status.ServerID, usr.Status.UserName = at.serverID, userName
}

// update sends what PlanUser found different (transfer.Service.ApplyUserPlan owns the order of
// the calls) and records the user in status.
func (r *userKind) update(ctx context.Context, usr *v1alpha1.TransferUser, at placement, want userWant, user *transfer.User) error {
	plan := transfer.PlanUser(want, user)
	if len(plan.Kept) > 0 {
		// Reported once: the pass that succeeds records the spec's fields without them.
		r.Notify.warning(ctx, usr, eventNotCleared, "%s removed from the spec: AWS cannot clear it, so the user keeps its value in AWS",
			fieldList(plan.Kept))
	}
	reason := changeEvent(usr, usr.Status.ObservedGeneration)
	if plan.InSync() {
		r.sweep.watch(client.ObjectKeyFromObject(usr), at.svc, want.ServerID, want.UserName, user.Summary())
	} else {
		r.sweep.forget(want.ServerID, want.UserName)
	}
	keys, err := at.svc.ApplyUserPlan(ctx, user, plan)
	if err != nil {
		return err
	}
	if !plan.InSync() {
		r.Notify.normal(ctx, usr, reason, "%s: %s", changeVerb(reason), fieldList(plan.Changed))
	}
	usr.Status.ServerID, usr.Status.UserName, usr.Status.ARN = want.ServerID, want.UserName, user.ARN
	recordKeys(usr, keys)
	return nil
}

// recordKeys lists the user's SSH keys in status, by ID and fingerprint.
func recordKeys(usr *v1alpha1.TransferUser, keys []transfer.UserKey) {
	usr.Status.SSHPublicKeys = nil
	for _, k := range keys {
		usr.Status.SSHPublicKeys = append(usr.Status.SSHPublicKeys, v1alpha1.ImportedSSHPublicKey{ID: k.ID, Fingerprint: k.Fingerprint})
	}
}

// leaveReplacedServer follows a TransferServer whose server was replaced: the user is deleted
// from the old server, if that still exists, and created on the new one.
func (r *userKind) leaveReplacedServer(ctx context.Context, usr *v1alpha1.TransferUser, svc *transfer.Service, oldServerID string) error {
	if err := svc.DeleteUser(ctx, oldServerID, usr.Status.UserName); err != nil {
		return err
	}
	r.Notify.normal(ctx, usr, eventServerReplaced, "server %s was replaced; moving user %s to the new server", oldServerID, usr.AWSUserName())
	usr.Status = v1alpha1.TransferUserStatus{Placement: usr.Status.Placement, Conditions: usr.Status.Conditions, ObservedGeneration: usr.Status.ObservedGeneration}
	return nil
}

// awaitDependents has nothing to wait for, as nothing uses a user. It stops the sweep watching
// the user, whatever becomes of it, as its object is going.
func (r *userKind) awaitDependents(_ context.Context, usr *v1alpha1.TransferUser) error {
	r.sweep.forget(usr.Status.ServerID, usr.Status.UserName)
	return nil
}

// delete deletes the user this object created or adopted, with one call. A user whose creation
// was never recorded is looked at first, and deleted only if it carries this object's UID tag.
// A user or server already gone counts as deleted.
func (r *userKind) delete(ctx context.Context, usr *v1alpha1.TransferUser, at placement) error {
	name := usr.AWSUserName()
	deleted, err := at.svc.DeleteRecordedUser(ctx, at.serverID, name, string(usr.UID), r.recorded(usr))
	if deleted && err == nil {
		r.Notify.normal(ctx, usr, eventDeleted, "deleted user %s from server %s", name, at.serverID)
	}
	return err
}
