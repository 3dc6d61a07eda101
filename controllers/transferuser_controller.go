package controllers

import (
	"cmp"
	"context"
	"errors"
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

// userWant is what a TransferUser asks for: the user, where it lives, and the service of that
// region.
type userWant struct {
	svc     *transfer.Service
	target  serverTarget
	desired transfer.DesiredUser
}

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

// desire resolves the server the user lives on, which must be Ready, and the user the spec
// describes. A user whose TransferServer was replaced by a new server leaves the old one first.
func (r *userKind) desire(ctx context.Context, usr *v1alpha1.TransferUser) (userWant, error) {
	if err := transfer.ValidateUserSpec(&usr.Spec); err != nil {
		return userWant{}, stalled(v1alpha1.ReasonInvalidSpec, "%v", err)
	}
	target, err := r.resolveServer(ctx, userPlace(usr), true)
	if err != nil {
		return userWant{}, err
	}
	svc, err := r.service(target.account, target.region, target.placed)
	if err != nil {
		return userWant{}, err
	}
	if usr.Spec.ServerID != "" {
		noteLocation(usr, "the user", recordedRegion(usr.Status.Region, usr.Status.ARN), r.AWS.Resolve(usr.Spec.Region))
		noteAccount(usr, "the user", target.account, target.today)
	}
	if old := usr.Status.ServerID; old != "" && old != target.serverID {
		if err := r.leaveReplacedServer(ctx, usr, svc, old); err != nil {
			return userWant{}, err
		}
	}
	return userWant{svc: svc, target: target, desired: transfer.DesiredUser{
		Spec:      &usr.Spec,
		ServerID:  target.serverID,
		UserName:  usr.AWSUserName(),
		Applied:   usr.Status.AppliedFields,
		OwnerTags: transfer.OwnerTags("TransferUser", usr.Namespace, usr.Name, string(usr.UID)),
	}}, nil
}

// observe returns the user recorded in status. One deleted outside the operator is forgotten, to
// be created again; one another live object manages is refused.
func (r *userKind) observe(ctx context.Context, usr *v1alpha1.TransferUser, want userWant) (*transfer.User, bool, error) {
	if usr.Status.ServerID == "" {
		return nil, false, nil
	}
	user, err := want.svc.DescribeUser(ctx, want.target.serverID, want.desired.UserName)
	switch {
	case transfer.IsNotFound(err):
		r.Notify.warning(ctx, usr, eventRecreating, "user %s was deleted outside the operator; creating it again", want.desired.UserName)
		usr.Status = v1alpha1.TransferUserStatus{Conditions: usr.Status.Conditions, ObservedGeneration: usr.Status.ObservedGeneration}
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	if owner := otherOwner(ctx, r.Client, usr, user.Tags); owner != "" {
		return nil, false, ownedByAnother(fmt.Sprintf("user %s on server %s", want.desired.UserName, want.target.serverID), owner)
	}
	return user, true, nil
}

// create creates the user with its SSH keys; what it made matches the spec. If a user of that
// name exists, it is taken over when it carries this object's UID tag (the response to an
// earlier create was lost), or when spec.adopt is true and no other live object owns it, and
// returned as described, to be compared with the spec.
func (r *userKind) create(ctx context.Context, usr *v1alpha1.TransferUser, want userWant, _ *statusPatcher) (*transfer.User, bool, error) {
	svc, desired, target := want.svc, want.desired, want.target
	created, keys, err := svc.CreateUserWithKeys(ctx, desired)
	switch {
	case created:
		r.record(usr, target, desired.UserName)
		usr.Status.ARN = transfer.UserARN(target.serverARN, desired.UserName)
		if err != nil {
			return nil, false, err
		}
		recordKeys(usr, keys)
		r.Notify.normal(ctx, usr, eventCreated, "created user %s on server %s", desired.UserName, target.serverID)
		return nil, false, nil
	case transfer.IsAlreadyExists(err):
		user, err := r.takeOver(ctx, usr, svc, desired, target)
		return user, err == nil, err
	case transfer.IsNotFound(err) && usr.Spec.ServerID != "":
		return nil, false, stalledBy(err, v1alpha1.ReasonNotFound, "server %s named by spec.serverId does not exist in %s: %s", target.serverID, target.region, transfer.Describe(err))
	}
	return nil, false, err
}

// takeOver decides whether an existing user of the desired name may be managed by usr. Its
// place is recorded either way, so that a refused object only reads it until something changes.
func (r *userKind) takeOver(ctx context.Context, usr *v1alpha1.TransferUser, svc *transfer.Service, desired transfer.DesiredUser, target serverTarget) (*transfer.User, error) {
	existing, err := svc.DescribeUser(ctx, target.serverID, desired.UserName)
	if err != nil {
		return nil, err
	}
	owner := otherOwner(ctx, r.Client, usr, existing.Tags)
	switch {
	case owner != "":
		r.record(usr, target, desired.UserName)
		return nil, ownedByAnother(fmt.Sprintf("user %s on server %s", desired.UserName, target.serverID), owner)
	case existing.Tags[transfer.TagOwnerUID] == string(usr.UID):
		// Ours: the response to an earlier CreateUser was lost.
	case usr.Spec.Adopt:
		if err := adoptionAllowed(target.account, fmt.Sprintf("user %s on server %s", desired.UserName, target.serverID)); err != nil {
			return nil, err
		}
		r.Notify.normal(ctx, usr, eventAdopted, "adopted the existing user %s on server %s", desired.UserName, target.serverID)
	default:
		return nil, stalled(v1alpha1.ReasonAlreadyExists,
			"a user named %s already exists on server %s and was not created by this TransferUser: set spec.adopt: true to manage it, or choose another spec.userName",
			desired.UserName, target.serverID)
	}
	r.record(usr, target, desired.UserName)
	return existing, nil
}

// record notes in status where the user lives.
func (r *userKind) record(usr *v1alpha1.TransferUser, target serverTarget, userName string) {
	usr.Status.ServerID, usr.Status.UserName, usr.Status.Region = target.serverID, userName, target.region
	usr.Status.Account, usr.Status.AccountID = target.account.name, accountIDOf(target.account, target.serverARN)
}

// update sends what PlanUser found different (transfer.Service.ApplyUserPlan owns the order of
// the calls) and records the user in status.
func (r *userKind) update(ctx context.Context, usr *v1alpha1.TransferUser, want userWant, user *transfer.User) error {
	plan := transfer.PlanUser(want.desired, user)
	if len(plan.Kept) > 0 {
		// Reported once: the pass that succeeds records the spec's fields without them.
		r.Notify.warning(ctx, usr, eventNotCleared, "%s removed from the spec: AWS cannot clear it, so the user keeps its value in AWS",
			fieldList(plan.Kept))
	}
	reason := changeEvent(usr, usr.Status.ObservedGeneration)
	if plan.InSync() {
		r.sweep.watch(client.ObjectKeyFromObject(usr), want.svc, want.desired.ServerID, want.desired.UserName, user.Summary())
	} else {
		r.sweep.forget(want.desired.ServerID, want.desired.UserName)
	}
	keys, err := want.svc.ApplyUserPlan(ctx, user, plan)
	if err != nil {
		return err
	}
	if !plan.InSync() {
		r.Notify.normal(ctx, usr, reason, "%s: %s", changeVerb(reason), fieldList(plan.Changed))
	}
	usr.Status.ServerID, usr.Status.UserName, usr.Status.ARN = want.desired.ServerID, want.desired.UserName, user.ARN
	usr.Status.Region = want.svc.Region()
	usr.Status.Account, usr.Status.AccountID = want.target.account.name, accountIDOf(want.target.account, user.ARN)
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
	usr.Status = v1alpha1.TransferUserStatus{Conditions: usr.Status.Conditions, ObservedGeneration: usr.Status.ObservedGeneration}
	return nil
}

// delete deletes the user this object created or adopted, in the region it was recorded in,
// with one call. A user whose creation was never recorded is looked at first, and deleted only
// if it carries this object's UID tag. A user or server already gone counts as deleted.
func (r *userKind) delete(ctx context.Context, usr *v1alpha1.TransferUser) error {
	r.sweep.forget(usr.Status.ServerID, usr.Status.UserName)
	name := usr.AWSUserName()
	if usr.Spec.DeletionPolicy == v1alpha1.DeletionPolicyRetain {
		r.Notify.normal(ctx, usr, eventRetained, "left user %s in AWS, as deletionPolicy is Retain", name)
		return nil
	}
	target, recorded, err := r.recordedTarget(ctx, usr)
	if errors.Is(err, errNoServer) {
		return nil
	}
	if err != nil {
		return err
	}
	svc, err := r.AWS.For(target.account.account, target.region)
	if errors.Is(err, transfer.ErrNoRegion) {
		// Nothing was ever created: there is no region to have done it in.
		return nil
	}
	if err != nil {
		return err
	}
	if !recorded {
		user, err := svc.DescribeUser(ctx, target.serverID, name)
		switch {
		case transfer.IsNotFound(err):
			return nil
		case err != nil:
			return err
		case user.Tags[transfer.TagOwnerUID] != string(usr.UID):
			// Never created by this object: not its to delete.
			return nil
		}
	}
	if err := svc.DeleteUser(ctx, target.serverID, name); err != nil {
		return err
	}
	r.Notify.normal(ctx, usr, eventDeleted, "deleted user %s from server %s", name, target.serverID)
	return nil
}

// recordedTarget returns where the user was recorded to live, or, for a user whose creation was
// never recorded (a CreateUser whose response was lost may still have made it), where it would
// live: recorded says which. Only the certainty that there is no server to hold the user gives
// errNoServer.
func (r *userKind) recordedTarget(ctx context.Context, usr *v1alpha1.TransferUser) (target serverTarget, recorded bool, err error) {
	if usr.Status.ServerID != "" {
		region := cmp.Or(recordedRegion(usr.Status.Region, usr.Status.ARN), r.AWS.Resolve(usr.Spec.Region))
		account, _, err := r.account(ctx, userPlace(usr).account)
		if err != nil {
			return serverTarget{}, true, err
		}
		return serverTarget{serverID: usr.Status.ServerID, region: region, account: account}, true, nil
	}
	target, err = r.resolveServer(ctx, userPlace(usr), false)
	return target, false, err
}

// userPlace says where usr lives.
func userPlace(usr *v1alpha1.TransferUser) serverPlace {
	recorded := recordedRegion(usr.Status.Region, usr.Status.ARN)
	return serverPlace{
		namespace: usr.Namespace, ref: usr.Spec.ServerRef, serverID: usr.Spec.ServerID,
		specRegion: usr.Spec.Region, recordedRegion: recorded,
		account: accountPlace{
			namespace: usr.Namespace, specAccount: usr.Spec.Account, recorded: recorded != "",
			recordedName: usr.Status.Account, recordedID: recordedAccountID(usr.Status.AccountID, usr.Status.ARN),
		},
	}
}
