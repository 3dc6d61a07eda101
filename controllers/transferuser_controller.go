package controllers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferusers,verbs=list;watch;patch
// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferusers/status,verbs=patch

// TransferUserReconciler makes the users of AWS Transfer Family servers match TransferUser objects.
type TransferUserReconciler struct {
	Client  client.Client
	AWS     *transfer.Clients
	Notify  notifier
	Options Options
}

// NewTransferUserReconciler returns a reconciler that uses the manager's client and recorder.
func NewTransferUserReconciler(mgr ctrl.Manager, aws *transfer.Clients, opts Options) *TransferUserReconciler {
	return &TransferUserReconciler{
		Client:  mgr.GetClient(),
		AWS:     aws,
		Notify:  notifier{recorder: mgr.GetEventRecorder("transfer-operator")},
		Options: opts.withDefaults(),
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

// serverAvailabilityChanged passes the TransferServer events that matter to their users.
var serverAvailabilityChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		oldSrv, newSrv := e.ObjectOld.(*v1alpha1.TransferServer), e.ObjectNew.(*v1alpha1.TransferServer)
		return isReady(oldSrv) != isReady(newSrv) || oldSrv.Status.ServerID != newSrv.Status.ServerID
	},
	GenericFunc: func(event.GenericEvent) bool { return false },
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
	if !usr.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, usr)
	}
	return r.reconcileNormal(ctx, usr)
}

func (r *TransferUserReconciler) reconcileNormal(ctx context.Context, usr *v1alpha1.TransferUser) (ctrl.Result, error) {
	if err := addFinalizer(ctx, r.Client, usr); err != nil {
		return ctrl.Result{}, err
	}
	status := newStatusPatcher(r.Client, usr)
	err := r.converge(ctx, usr)
	if finished(err) {
		usr.Status.ObservedGeneration = usr.Generation
	}
	noteStall(ctx, r.Notify, usr, err)
	result, err := outcome(usr, err, fmt.Sprintf("user %s on server %s matches the spec", usr.AWSUserName(), usr.Status.ServerID), r.Options.Resync)
	if perr := status.patch(ctx, usr); perr != nil && err == nil {
		return ctrl.Result{}, perr
	}
	return result, err
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
	if old := usr.Status.ServerID; old != "" && old != target.serverID {
		if err := r.leaveReplacedServer(ctx, usr, svc, old); err != nil {
			return err
		}
	}
	desired := transfer.DesiredUser{
		Spec:      &usr.Spec,
		ServerID:  target.serverID,
		UserName:  usr.AWSUserName(),
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
	if transfer.IsNotFound(err) {
		r.Notify.warning(ctx, usr, eventRecreating, "Create", "user %s was deleted outside the operator; creating it again", desired.UserName)
		usr.Status = v1alpha1.TransferUserStatus{Conditions: usr.Status.Conditions, ObservedGeneration: usr.Status.ObservedGeneration}
		if user, err = r.create(ctx, usr, svc, desired, target); err != nil || user == nil {
			return err
		}
	} else if err != nil {
		return awsError(err)
	}
	return r.apply(ctx, usr, svc, desired, user)
}

// create creates the user with its first SSH key and imports the others, and returns nil: a
// user it created matches the spec. If a user of that name exists, it is taken over when it
// carries this object's UID tag (the response to an earlier create was lost) or when spec.adopt
// is true, and returned as described, to be compared with the spec.
func (r *TransferUserReconciler) create(ctx context.Context, usr *v1alpha1.TransferUser, svc *transfer.Service, desired transfer.DesiredUser, target userTarget) (*transfer.User, error) {
	err := svc.CreateUser(ctx, desired)
	if transfer.IsAlreadyExists(err) {
		return r.takeOver(ctx, usr, svc, desired, target)
	}
	if err != nil {
		return nil, awsError(err)
	}
	usr.Status.ServerID, usr.Status.UserName = target.serverID, desired.UserName
	usr.Status.ARN = transfer.UserARN(target.serverARN, desired.UserName)
	usr.Status.SSHPublicKeys = nil
	keys := transfer.DesiredKeys(&usr.Spec)
	for i, k := range keys {
		id := ""
		if i > 0 {
			if id, err = svc.ImportSSHKey(ctx, target.serverID, desired.UserName, k.Material); err != nil {
				return nil, awsError(err)
			}
		}
		usr.Status.SSHPublicKeys = append(usr.Status.SSHPublicKeys, v1alpha1.ImportedSSHPublicKey{ID: id, Fingerprint: k.Fingerprint})
	}
	r.Notify.normal(ctx, usr, eventCreated, "Create", "created user %s on server %s", desired.UserName, target.serverID)
	return nil, nil
}

// takeOver decides whether an existing user of the desired name may be managed by usr.
func (r *TransferUserReconciler) takeOver(ctx context.Context, usr *v1alpha1.TransferUser, svc *transfer.Service, desired transfer.DesiredUser, target userTarget) (*transfer.User, error) {
	existing, err := svc.DescribeUser(ctx, target.serverID, desired.UserName)
	if err != nil {
		return nil, awsError(err)
	}
	switch {
	case existing.Tags[transfer.TagOwnerUID] == string(usr.UID):
		// Ours: the response to an earlier CreateUser was lost.
	case usr.Spec.Adopt:
		r.Notify.normal(ctx, usr, eventAdopted, "Adopt", "adopted the existing user %s on server %s", desired.UserName, target.serverID)
	default:
		return nil, stalled(v1alpha1.ReasonAlreadyExists,
			"a user named %s already exists on server %s and was not created by this TransferUser: set spec.adopt: true to manage it, or choose another spec.userName",
			desired.UserName, target.serverID)
	}
	usr.Status.ServerID, usr.Status.UserName = target.serverID, desired.UserName
	return existing, nil
}

// apply sends what PlanUser found different and records the user in status.
func (r *TransferUserReconciler) apply(ctx context.Context, usr *v1alpha1.TransferUser, svc *transfer.Service, desired transfer.DesiredUser, user *transfer.User) error {
	plan := transfer.PlanUser(desired, user)
	keys := slices.Clone(user.Keys)
	if !plan.InSync() {
		reason := changeEvent(usr, usr.Status.ObservedGeneration)
		if err := svc.SetTags(ctx, user.ARN, plan.AddTags, plan.RemoveTags); err != nil {
			return awsError(err)
		}
		if err := svc.UpdateUser(ctx, desired.ServerID, desired.UserName, plan.Update); err != nil {
			return awsError(err)
		}
		for _, id := range plan.DeleteKeys {
			if err := svc.DeleteSSHKey(ctx, desired.ServerID, desired.UserName, id); err != nil {
				return awsError(err)
			}
			keys = slices.DeleteFunc(keys, func(k transfer.UserKey) bool { return k.ID == id })
		}
		for _, material := range plan.ImportKeys {
			id, err := svc.ImportSSHKey(ctx, desired.ServerID, desired.UserName, material)
			if err != nil {
				return awsError(err)
			}
			pk, _ := transfer.ParsePublicKey(material)
			keys = append(keys, transfer.UserKey{ID: id, PublicKey: pk})
		}
		r.Notify.normal(ctx, usr, reason, "Update", "%s: %s", changeVerb(reason), fieldList(plan.Changed))
	}
	usr.Status.ServerID, usr.Status.UserName, usr.Status.ARN = desired.ServerID, desired.UserName, user.ARN
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
		return awsError(err)
	}
	r.Notify.normal(ctx, usr, eventServerReplaced, "Create", "server %s was replaced; moving user %s to the new server", oldServerID, usr.AWSUserName())
	usr.Status = v1alpha1.TransferUserStatus{Conditions: usr.Status.Conditions, ObservedGeneration: usr.Status.ObservedGeneration}
	return nil
}

// resolveServer finds where the user lives: the server of its TransferServer, which must be
// Ready when mustBeReady is set, or the server named by spec.serverId.
func (r *TransferUserReconciler) resolveServer(ctx context.Context, usr *v1alpha1.TransferUser, mustBeReady bool) (userTarget, error) {
	if usr.Spec.ServerID != "" {
		return userTarget{serverID: usr.Spec.ServerID, region: usr.Spec.Region}, nil
	}
	name := usr.Spec.ServerRef.Name
	srv := &v1alpha1.TransferServer{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: usr.Namespace, Name: name}, srv); err != nil {
		if apierrors.IsNotFound(err) {
			return userTarget{}, waiting(v1alpha1.ReasonServerNotReady, r.Options.Resync, "waiting for TransferServer %s, which does not exist", name)
		}
		return userTarget{}, fmt.Errorf("reading TransferServer %s: %w", name, err)
	}
	if srv.Status.ServerID == "" || mustBeReady && !isReady(srv) {
		return userTarget{}, waiting(v1alpha1.ReasonServerNotReady, r.Options.Resync, "waiting for TransferServer %s to be Ready", name)
	}
	return userTarget{
		serverID:  srv.Status.ServerID,
		serverARN: srv.Status.ARN,
		region:    cmp.Or(regionOfARN(srv.Status.ARN), srv.Spec.Region),
	}, nil
}

// reconcileDelete deletes the user in AWS (or leaves it, with deletionPolicy Retain) and then
// releases the object. A user or server already gone counts as deleted.
func (r *TransferUserReconciler) reconcileDelete(ctx context.Context, usr *v1alpha1.TransferUser) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(usr, Finalizer) {
		return ctrl.Result{}, nil
	}
	status := newStatusPatcher(r.Client, usr)
	err := r.deleteUser(ctx, usr)
	if err == nil {
		return ctrl.Result{}, removeFinalizer(ctx, r.Client, usr)
	}
	noteStall(ctx, r.Notify, usr, err)
	result, err := outcome(usr, err, "", r.Options.Resync)
	if perr := status.patch(ctx, usr); perr != nil && err == nil {
		return ctrl.Result{}, perr
	}
	return result, err
}

func (r *TransferUserReconciler) deleteUser(ctx context.Context, usr *v1alpha1.TransferUser) error {
	name := usr.AWSUserName()
	if usr.Spec.DeletionPolicy == v1alpha1.DeletionPolicyRetain {
		r.Notify.normal(ctx, usr, eventRetained, "Delete", "left user %s in AWS, as deletionPolicy is Retain", name)
		return nil
	}
	if usr.Status.ServerID != "" {
		svc, err := r.AWS.ForRegion(cmp.Or(regionOfARN(usr.Status.ARN), usr.Spec.Region))
		if err != nil {
			return stalled(v1alpha1.ReasonInvalidSpec, "%v", err)
		}
		if err := svc.DeleteUser(ctx, usr.Status.ServerID, name); err != nil {
			return awsError(err)
		}
		r.Notify.normal(ctx, usr, eventDeleted, "Delete", "deleted user %s from server %s", name, usr.Status.ServerID)
		return nil
	}
	return r.deleteUnrecorded(ctx, usr)
}

// deleteUnrecorded handles a user whose creation was never recorded: a CreateUser whose response
// was lost may still have made it, so it is deleted if it carries this object's UID tag.
func (r *TransferUserReconciler) deleteUnrecorded(ctx context.Context, usr *v1alpha1.TransferUser) error {
	target, err := r.resolveServer(ctx, usr, false)
	if err != nil {
		// No server to hold the user: nothing was created.
		return nil
	}
	svc, err := r.AWS.ForRegion(target.region)
	if err != nil {
		return nil
	}
	name := usr.AWSUserName()
	user, err := svc.DescribeUser(ctx, target.serverID, name)
	switch {
	case transfer.IsNotFound(err):
		return nil
	case err != nil:
		return awsError(err)
	case user.Tags[transfer.TagOwnerUID] != string(usr.UID):
		return nil
	}
	if err := svc.DeleteUser(ctx, target.serverID, name); err != nil {
		return awsError(err)
	}
	r.Notify.normal(ctx, usr, eventDeleted, "Delete", "deleted user %s from server %s", name, target.serverID)
	return nil
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

// regionOfARN returns the region field of an ARN, or "" when arn is not one.
func regionOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}
