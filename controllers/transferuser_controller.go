package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferusers,verbs=list;watch;patch
// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferusers/status,verbs=patch

// TransferUserReconciler makes the users of AWS Transfer Family servers match TransferUser objects.
type TransferUserReconciler struct {
	Client client.Client
	// APIReader reads objects straight from the API server, for retries against a fresh read.
	APIReader client.Reader
	AWS       *transfer.Clients
	Notify    notifier
	Options   Options
}

// NewTransferUserReconciler returns a reconciler that uses the manager's clients and recorder.
func NewTransferUserReconciler(mgr ctrl.Manager, aws *transfer.Clients, opts Options) *TransferUserReconciler {
	return &TransferUserReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		AWS:       aws,
		Notify:    notifier{recorder: mgr.GetEventRecorder("transfer-operator")},
		Options:   opts.withDefaults(),
	}
}

// SetupWithManager registers the reconciler and its watches: TransferUsers (spec changes and
// deletions only) and the TransferServers they reference, when one appears, disappears, becomes
// Ready or not, or is replaced by a server with another ID.
func (r *TransferUserReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.TransferUser{}, builder.WithPredicates(specOrDeletionChanged)).
		Watches(&v1alpha1.TransferServer{}, handler.EnqueueRequestsFromMapFunc(r.usersOfServer),
			builder.WithPredicates(serverAvailabilityChanged)).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles}).
		Named("transferuser").
		Complete(r)
}

// userTarget is where a user lives in AWS.
type userTarget struct {
	serverID  string
	serverARN string
	region    string
}

// Reconcile brings one TransferUser and its AWS user together.
func (r *TransferUserReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	usr := &v1alpha1.TransferUser{}
	if err := r.Client.Get(ctx, req.NamespacedName, usr); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithValues("userName", usr.AWSUserName()))
	status := newStatusPatcher(r.Client, usr)
	if !usr.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, usr, status)
	}
	if err := addFinalizer(ctx, r.Client, r.APIReader, usr); err != nil {
		return ctrl.Result{}, err
	}
	err := r.converge(ctx, usr)
	return endPass(ctx, status, r.Notify, usr, transfer.AppliedUserFields(&usr.Spec), err,
		fmt.Sprintf("user %s on server %s matches the spec", usr.AWSUserName(), usr.Status.ServerID), r.Options)
}

// converge makes the AWS user match usr.
func (r *TransferUserReconciler) converge(ctx context.Context, usr *v1alpha1.TransferUser) error {
	if err := transfer.ValidateUserSpec(&usr.Spec); err != nil {
		return stalled(v1alpha1.ReasonInvalidSpec, "%v", err)
	}
	target, err := r.resolveServer(ctx, usr, true)
	if err != nil {
		return err
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithValues("serverId", target.serverID))
	svc, err := r.AWS.ForRegion(target.region)
	if err != nil {
		return stalled(v1alpha1.ReasonInvalidSpec, "%v", err)
	}
	if usr.Spec.ServerID != "" {
		noteLocation(usr, "the user", recordedRegion(usr.Status.Region, usr.Status.ARN), r.AWS.Resolve(usr.Spec.Region))
	}
	if old := usr.Status.ServerID; old != "" && old != target.serverID {
		if err := r.leaveReplacedServer(ctx, usr, svc, old); err != nil {
			return err
		}
	}
	desired := transfer.DesiredUser{
		Spec:      &usr.Spec,
		ServerID:  target.serverID,
		UserName:  usr.AWSUserName(),
		Applied:   usr.Status.AppliedFields,
		OwnerTags: transfer.OwnerTags("TransferUser", usr.Namespace, usr.Name, string(usr.UID)),
	}
	var user *transfer.User
	if usr.Status.ServerID == "" {
		if user, err = r.create(ctx, usr, svc, desired, target); err != nil || user == nil {
			return err
		}
		return r.apply(ctx, usr, svc, desired, user)
	}
	user, err = svc.DescribeUser(ctx, target.serverID, desired.UserName)
	switch {
	case transfer.IsNotFound(err):
		r.Notify.warning(ctx, usr, eventRecreating, "Create", "user %s was deleted outside the operator; creating it again", desired.UserName)
		usr.Status = v1alpha1.TransferUserStatus{Conditions: usr.Status.Conditions, ObservedGeneration: usr.Status.ObservedGeneration}
		if user, err = r.create(ctx, usr, svc, desired, target); err != nil || user == nil {
			return err
		}
	case err != nil:
		return err
	default:
		if owner := otherOwner(ctx, r.Client, usr, user.Tags); owner != "" {
			return ownedByAnother(fmt.Sprintf("user %s on server %s", desired.UserName, target.serverID), owner)
		}
	}
	return r.apply(ctx, usr, svc, desired, user)
}

// create creates the user with its first SSH key and imports the others, and returns nil: a
// user it created matches the spec. If a user of that name exists, it is taken over when it
// carries this object's UID tag (the response to an earlier create was lost), or when spec.adopt
// is true and no other live object owns it, and returned as described, to be compared with the
// spec.
func (r *TransferUserReconciler) create(ctx context.Context, usr *v1alpha1.TransferUser, svc *transfer.Service, desired transfer.DesiredUser, target userTarget) (*transfer.User, error) {
	err := svc.CreateUser(ctx, desired)
	switch {
	case transfer.IsAlreadyExists(err):
		return r.takeOver(ctx, usr, svc, desired, target)
	case transfer.IsNotFound(err) && usr.Spec.ServerID != "":
		return nil, stalledBy(err, v1alpha1.ReasonNotFound, "server %s named by spec.serverId does not exist in %s: %s", target.serverID, target.region, transfer.Describe(err))
	case err != nil:
		return nil, err
	}
	r.record(usr, target, desired.UserName)
	usr.Status.ARN = transfer.UserARN(target.serverARN, desired.UserName)
	usr.Status.SSHPublicKeys = nil
	keys := transfer.DesiredKeys(&usr.Spec)
	for i, k := range keys {
		id := ""
		if i > 0 {
			if id, err = svc.ImportSSHKey(ctx, target.serverID, desired.UserName, k.Material); err != nil {
				return nil, err
			}
		}
		usr.Status.SSHPublicKeys = append(usr.Status.SSHPublicKeys, v1alpha1.ImportedSSHPublicKey{ID: id, Fingerprint: k.Fingerprint})
	}
	r.Notify.normal(ctx, usr, eventCreated, "Create", "created user %s on server %s", desired.UserName, target.serverID)
	return nil, nil
}

// takeOver decides whether an existing user of the desired name may be managed by usr. Its
// place is recorded either way, so that a refused object only reads it until something changes.
func (r *TransferUserReconciler) takeOver(ctx context.Context, usr *v1alpha1.TransferUser, svc *transfer.Service, desired transfer.DesiredUser, target userTarget) (*transfer.User, error) {
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
		r.Notify.normal(ctx, usr, eventAdopted, "Adopt", "adopted the existing user %s on server %s", desired.UserName, target.serverID)
	default:
		return nil, stalled(v1alpha1.ReasonAlreadyExists,
			"a user named %s already exists on server %s and was not created by this TransferUser: set spec.adopt: true to manage it, or choose another spec.userName",
			desired.UserName, target.serverID)
	}
	r.record(usr, target, desired.UserName)
	return existing, nil
}

// record notes in status where the user lives.
func (r *TransferUserReconciler) record(usr *v1alpha1.TransferUser, target userTarget, userName string) {
	usr.Status.ServerID, usr.Status.UserName, usr.Status.Region = target.serverID, userName, target.region
}

// apply sends what PlanUser found different and records the user in status.
func (r *TransferUserReconciler) apply(ctx context.Context, usr *v1alpha1.TransferUser, svc *transfer.Service, desired transfer.DesiredUser, user *transfer.User) error {
	plan := transfer.PlanUser(desired, user)
	if len(plan.Kept) > 0 {
		// Reported once: the pass that succeeds records the spec's fields without them.
		r.Notify.warning(ctx, usr, eventNotCleared, "Update", "%s removed from the spec: AWS cannot clear it, so the user keeps its value in AWS",
			fieldList(plan.Kept))
	}
	keys := slices.Clone(user.Keys)
	if !plan.InSync() {
		reason := changeEvent(usr, usr.Status.ObservedGeneration)
		if err := svc.SetTags(ctx, user.ARN, plan.AddTags, plan.RemoveTags); err != nil {
			return err
		}
		if err := svc.UpdateUser(ctx, desired.ServerID, desired.UserName, plan.Update); err != nil {
			return err
		}
		for _, id := range plan.DeleteKeys {
			if err := svc.DeleteSSHKey(ctx, desired.ServerID, desired.UserName, id); err != nil {
				return err
			}
			keys = slices.DeleteFunc(keys, func(k transfer.UserKey) bool { return k.ID == id })
		}
		for _, material := range plan.ImportKeys {
			id, err := svc.ImportSSHKey(ctx, desired.ServerID, desired.UserName, material)
			if err != nil {
				return err
			}
			pk, _ := transfer.ParsePublicKey(material)
			keys = append(keys, transfer.UserKey{ID: id, PublicKey: pk})
		}
		r.Notify.normal(ctx, usr, reason, "Update", "%s: %s", changeVerb(reason), fieldList(plan.Changed))
	}
	usr.Status.ServerID, usr.Status.UserName, usr.Status.ARN = desired.ServerID, desired.UserName, user.ARN
	usr.Status.Region = svc.Region()
	usr.Status.SSHPublicKeys = nil
	for _, k := range keys {
		usr.Status.SSHPublicKeys = append(usr.Status.SSHPublicKeys, v1alpha1.ImportedSSHPublicKey{ID: k.ID, Fingerprint: k.Fingerprint})
	}
	return nil
}

// leaveReplacedServer follows a TransferServer whose server was replaced: the user is deleted
// from the old server, if that still exists, and created on the new one.
func (r *TransferUserReconciler) leaveReplacedServer(ctx context.Context, usr *v1alpha1.TransferUser, svc *transfer.Service, oldServerID string) error {
	if err := svc.DeleteUser(ctx, oldServerID, usr.Status.UserName); err != nil {
		return err
	}
	r.Notify.normal(ctx, usr, eventServerReplaced, "Create", "server %s was replaced; moving user %s to the new server", oldServerID, usr.AWSUserName())
	usr.Status = v1alpha1.TransferUserStatus{Conditions: usr.Status.Conditions, ObservedGeneration: usr.Status.ObservedGeneration}
	return nil
}

// errNoServer says that the user has no server to live on: its TransferServer does not exist or
// has no server in AWS yet.
var errNoServer = errors.New("no server")

// resolveServer finds where the user lives: the server of its TransferServer, in the region
// recorded for that server, which must be Ready when mustBeReady is set; or the server named by
// spec.serverId, in the region recorded for the user or, before that, spec.region or the
// operator's default region. Without a server the error is a waitError that wraps errNoServer.
func (r *TransferUserReconciler) resolveServer(ctx context.Context, usr *v1alpha1.TransferUser, mustBeReady bool) (userTarget, error) {
	if usr.Spec.ServerID != "" {
		region := cmp.Or(recordedRegion(usr.Status.Region, usr.Status.ARN), r.AWS.Resolve(usr.Spec.Region))
		return userTarget{serverID: usr.Spec.ServerID, region: region}, nil
	}
	name := usr.Spec.ServerRef.Name
	srv := &v1alpha1.TransferServer{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: usr.Namespace, Name: name}, srv); err != nil {
		if apierrors.IsNotFound(err) {
			return userTarget{}, waitingFor(errNoServer, v1alpha1.ReasonServerNotReady, r.Options.Resync, "waiting for TransferServer %s, which does not exist", name)
		}
		return userTarget{}, fmt.Errorf("reading TransferServer %s: %w", name, err)
	}
	if srv.Status.ServerID == "" {
		return userTarget{}, waitingFor(errNoServer, v1alpha1.ReasonServerNotReady, r.Options.Resync, "waiting for TransferServer %s to be Ready", name)
	}
	if mustBeReady && !isReady(srv) {
		return userTarget{}, waiting(v1alpha1.ReasonServerNotReady, r.Options.Resync, "waiting for TransferServer %s to be Ready", name)
	}
	return userTarget{
		serverID:  srv.Status.ServerID,
		serverARN: srv.Status.ARN,
		region:    cmp.Or(recordedRegion(srv.Status.Region, srv.Status.ARN), r.AWS.Resolve(srv.Spec.Region)),
	}, nil
}

// reconcileDelete deletes the user in AWS (or leaves it, with deletionPolicy Retain) and then
// releases the object. A user or server already gone counts as deleted.
func (r *TransferUserReconciler) reconcileDelete(ctx context.Context, usr *v1alpha1.TransferUser, status *statusPatcher) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(usr, Finalizer) {
		return ctrl.Result{}, nil
	}
	if refusal := ownedByAnotherAtLastPass(usr); refusal != "" {
		// The user is another object's: release this one without touching AWS, and keep the
		// Stalled condition that says so until the finalizer is gone.
		r.Notify.normal(ctx, usr, eventRetained, "Delete", "left user %s in AWS: %s", usr.AWSUserName(), refusal)
		return ctrl.Result{}, removeFinalizer(ctx, r.Client, r.APIReader, usr)
	}
	if err := markDeleting(ctx, status, usr, "deleting the user"); err != nil {
		return ctrl.Result{}, err
	}
	err := r.deleteUser(ctx, usr)
	if err == nil {
		if err = removeFinalizer(ctx, r.Client, r.APIReader, usr); err == nil {
			return ctrl.Result{}, nil
		}
	}
	return endDeletePass(ctx, status, r.Notify, usr, err, r.Options)
}

// ownedByAnotherAtLastPass returns the message of the Stalled condition when the last pass found
// the user managed by another live object, and "" otherwise.
func ownedByAnotherAtLastPass(usr *v1alpha1.TransferUser) string {
	if c := meta.FindStatusCondition(usr.Status.Conditions, v1alpha1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue && c.Reason == v1alpha1.ReasonOwnedByAnother {
		return c.Message
	}
	return ""
}

// deleteUser deletes the user this object created or adopted, in the region it was recorded in,
// with one call. A user whose creation was never recorded is looked at first, and deleted only
// if it carries this object's UID tag. A user or server already gone counts as deleted.
func (r *TransferUserReconciler) deleteUser(ctx context.Context, usr *v1alpha1.TransferUser) error {
	name := usr.AWSUserName()
	if usr.Spec.DeletionPolicy == v1alpha1.DeletionPolicyRetain {
		r.Notify.normal(ctx, usr, eventRetained, "Delete", "left user %s in AWS, as deletionPolicy is Retain", name)
		return nil
	}
	target, recorded, err := r.recordedTarget(ctx, usr)
	if errors.Is(err, errNoServer) {
		return nil
	}
	if err != nil {
		return err
	}
	svc, err := r.AWS.ForRegion(target.region)
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
	r.Notify.normal(ctx, usr, eventDeleted, "Delete", "deleted user %s from server %s", name, target.serverID)
	return nil
}

// recordedTarget returns where the user was recorded to live, or, for a user whose creation was
// never recorded (a CreateUser whose response was lost may still have made it), where it would
// live: recorded says which. Only the certainty that there is no server to hold the user gives
// errNoServer.
func (r *TransferUserReconciler) recordedTarget(ctx context.Context, usr *v1alpha1.TransferUser) (target userTarget, recorded bool, err error) {
	if usr.Status.ServerID != "" {
		region := cmp.Or(recordedRegion(usr.Status.Region, usr.Status.ARN), r.AWS.Resolve(usr.Spec.Region))
		return userTarget{serverID: usr.Status.ServerID, region: region}, true, nil
	}
	target, err = r.resolveServer(ctx, usr, false)
	return target, false, err
}

// usersOfServer maps a TransferServer to the TransferUsers that reference it.
func (r *TransferUserReconciler) usersOfServer(ctx context.Context, srv client.Object) []reconcile.Request {
	users := &v1alpha1.TransferUserList{}
	if err := r.Client.List(ctx, users, client.InNamespace(srv.GetNamespace()), client.MatchingFields{indexUserServerRef: srv.GetName()}); err != nil {
		log.FromContext(ctx).Error(err, "listing the TransferUsers of a TransferServer", "server", srv.GetName())
		return nil
	}
	return requestsFor(users.Items)
}
