package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
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

// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferservers,verbs=list;watch;patch
// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferservers/status,verbs=patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// TransferServerReconciler makes AWS Transfer Family servers match TransferServer objects.
type TransferServerReconciler struct {
	Client client.Client
	// APIReader reads Secrets straight from the API server: Secrets are watched by metadata
	// only, so their contents are never held in the operator's cache.
	APIReader client.Reader
	AWS       *transfer.Clients
	Notify    notifier
	Options   Options
}

// NewTransferServerReconciler returns a reconciler that uses the manager's clients and recorder.
func NewTransferServerReconciler(mgr ctrl.Manager, aws *transfer.Clients, opts Options) *TransferServerReconciler {
	return &TransferServerReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		AWS:       aws,
		Notify:    notifier{recorder: mgr.GetEventRecorder("transfer-operator")},
		Options:   opts.withDefaults(),
	}
}

// SetupWithManager registers the reconciler and its watches: TransferServers
// (spec changes and deletions only), the host key Secrets they reference, and the deletion of
// TransferUsers a deleting server waits for.
func (r *TransferServerReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.TransferServer{}, builder.WithPredicates(specOrDeletionChanged)).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.serversUsingSecret)).
		Watches(&v1alpha1.TransferUser{}, handler.EnqueueRequestsFromMapFunc(serverOfUser), builder.WithPredicates(onlyDeletions)).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles}).
		Named("transferserver").
		Complete(r)
}

// Reconcile brings one TransferServer and its AWS server together.
func (r *TransferServerReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	srv := &v1alpha1.TransferServer{}
	if err := r.Client.Get(ctx, req.NamespacedName, srv); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if id := cmp.Or(srv.Status.ServerID, srv.Spec.ServerID); id != "" {
		ctx = log.IntoContext(ctx, log.FromContext(ctx).WithValues("serverId", id))
	}
	status := newStatusPatcher(r.Client, srv)
	if !srv.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, srv, status)
	}
	if err := addFinalizer(ctx, r.Client, r.APIReader, srv); err != nil {
		return ctrl.Result{}, err
	}
	err := r.converge(ctx, srv, status)
	return endPass(ctx, status, r.Notify, srv, transfer.AppliedServerFields(&srv.Spec), err, r.readyMessage(srv), r.Options)
}

// region returns where the server lives: the region recorded when it was created or adopted, or,
// before that, spec.region or the operator's default region.
func (r *TransferServerReconciler) region(srv *v1alpha1.TransferServer) string {
	return cmp.Or(recordedRegion(srv.Status.Region, srv.Status.ARN), r.AWS.Resolve(srv.Spec.Region))
}

// converge makes the AWS server match srv, one step at a time; each step may end the pass.
func (r *TransferServerReconciler) converge(ctx context.Context, srv *v1alpha1.TransferServer, status *statusPatcher) error {
	svc, err := r.AWS.ForRegion(r.region(srv))
	if err != nil {
		return stalled(v1alpha1.ReasonInvalidSpec, "%v", err)
	}
	noteLocation(srv, "the server", recordedRegion(srv.Status.Region, srv.Status.ARN), r.AWS.Resolve(srv.Spec.Region))
	desired, err := r.desiredServer(ctx, srv)
	if err != nil {
		return err
	}
	server, err := r.observe(ctx, srv, svc, desired, status)
	if err != nil {
		return err
	}
	recordServer(srv, server, svc.Region())

	switch server.State {
	case transfer.StateStartFailed, transfer.StateStopFailed:
		return stalled(v1alpha1.ReasonServerFailed, "the server is in state %s; fix it in AWS (or delete it to have it recreated)", server.State)
	case transfer.StateStarting, transfer.StateStopping:
		return waiting(stateReason(server.State), r.Options.pollAfter(srv), "the server is %s", strings.ToLower(server.State))
	}
	if err := r.convergeVpcEndpoint(ctx, srv, svc, server); err != nil {
		return err
	}

	plan := transfer.PlanServer(desired, server, srv.Generation != srv.Status.ObservedGeneration)
	if len(plan.Immutable) > 0 {
		return stalled(v1alpha1.ReasonInvalidSpec, "%s differs from the server in AWS and cannot be changed: create a new TransferServer", fieldList(plan.Immutable))
	}
	if !plan.InSync() {
		if err := r.apply(ctx, srv, svc, server, desired, plan); err != nil {
			return err
		}
	}
	return r.convergeState(ctx, srv, svc, server)
}

// apply sends the plan: tags, the update a running server takes, and the update that needs the
// server OFFLINE, for which a running server is stopped first.
func (r *TransferServerReconciler) apply(ctx context.Context, srv *v1alpha1.TransferServer, svc *transfer.Service, server *transfer.Server, desired transfer.DesiredServer, plan transfer.ServerPlan) error {
	reason := changeEvent(srv, srv.Status.ObservedGeneration)
	if err := svc.SetTags(ctx, server.ARN, plan.AddTags, plan.RemoveTags); err != nil {
		return err
	}
	if hostname, ok := plan.AddTags[transfer.TagCustomHostname]; ok {
		srv.Status.CustomHostname = hostname
	}
	if err := svc.UpdateServer(ctx, server.ID, plan.Update); err != nil {
		return err
	}
	if !plan.OfflineUpdate.IsEmpty() && server.State == transfer.StateOnline {
		r.Notify.normal(ctx, srv, eventStopping, "Stop", "stopping the server to apply %s, which AWS changes only while it is offline", fieldList(plan.OfflineUpdate.Fields))
		if err := svc.StopServer(ctx, server.ID); err != nil {
			return err
		}
		return waiting(v1alpha1.ReasonStopping, r.Options.PollInterval, "stopping the server to apply %s", fieldList(plan.OfflineUpdate.Fields))
	}
	if err := svc.UpdateServer(ctx, server.ID, plan.OfflineUpdate); err != nil {
		return err
	}
	if desired.HostKeyFingerprint != "" {
		srv.Status.HostKeyFingerprint = desired.HostKeyFingerprint
	}
	r.Notify.normal(ctx, srv, reason, "Update", "%s: %s", changeVerb(reason), fieldList(plan.Changed))
	if plan.Deferred {
		return waiting(v1alpha1.ReasonUpdating, r.Options.PollInterval, "applying %s in a second step", fieldList(plan.Changed))
	}
	return nil
}

// convergeState starts or stops the server as spec.state asks.
func (r *TransferServerReconciler) convergeState(ctx context.Context, srv *v1alpha1.TransferServer, svc *transfer.Service, server *transfer.Server) error {
	want := srv.Spec.State
	switch {
	case want != v1alpha1.ServerOffline && server.State == transfer.StateOffline:
		r.Notify.normal(ctx, srv, eventStarting, "Start", "starting the server")
		if err := svc.StartServer(ctx, server.ID); err != nil {
			return err
		}
		srv.Status.State = transfer.StateStarting
		return waiting(v1alpha1.ReasonStarting, r.Options.PollInterval, "starting the server")
	case want == v1alpha1.ServerOffline && server.State == transfer.StateOnline:
		r.Notify.normal(ctx, srv, eventStopping, "Stop", "stopping the server, as spec.state is Offline")
		if err := svc.StopServer(ctx, server.ID); err != nil {
			return err
		}
		srv.Status.State = transfer.StateStopping
		return waiting(v1alpha1.ReasonStopping, r.Options.PollInterval, "stopping the server")
	}
	return nil
}

// desiredServer resolves what the server should be, reading the host key from its Secret.
func (r *TransferServerReconciler) desiredServer(ctx context.Context, srv *v1alpha1.TransferServer) (transfer.DesiredServer, error) {
	d := transfer.DesiredServer{
		Spec:      &srv.Spec,
		Applied:   srv.Status.AppliedFields,
		OwnerTags: transfer.OwnerTags("TransferServer", srv.Namespace, srv.Name, string(srv.UID)),
	}
	ref := srv.Spec.HostKeySecretRef
	if ref == nil {
		return d, nil
	}
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: srv.Namespace, Name: ref.Name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return d, stalled(v1alpha1.ReasonSecretNotFound, "the host key Secret %s does not exist", ref.Name)
		}
		return d, fmt.Errorf("reading the host key Secret %s: %w", ref.Name, err)
	}
	key, ok := secret.Data[ref.Key]
	if !ok {
		return d, stalled(v1alpha1.ReasonSecretNotFound, "the host key Secret %s has no key %q", ref.Name, ref.Key)
	}
	fingerprint, err := transfer.HostKeyFingerprint(transfer.Sensitive(key))
	if err != nil {
		return d, stalled(v1alpha1.ReasonInvalidHostKey, "key %q of Secret %s: %v", ref.Key, ref.Name, err)
	}
	d.HostKey, d.HostKeyFingerprint = transfer.Sensitive(key), fingerprint
	return d, nil
}

// observe returns the server in AWS: the one recorded in status, the one named by spec.serverId,
// the one an earlier create whose outcome is unknown made, or a new one.
func (r *TransferServerReconciler) observe(ctx context.Context, srv *v1alpha1.TransferServer, svc *transfer.Service, desired transfer.DesiredServer, status *statusPatcher) (*transfer.Server, error) {
	id := cmp.Or(srv.Status.ServerID, srv.Spec.ServerID)
	if id == "" && srv.Status.CreatePending {
		found, err := svc.FindServerByTag(ctx, transfer.TagOwnerUID, string(srv.UID))
		if err != nil {
			return nil, err
		}
		if found != "" {
			r.Notify.normal(ctx, srv, eventAdopted, "Adopt", "found server %s, created by an earlier attempt whose response was lost", found)
			id = found
		}
	}
	if id != "" {
		server, err := svc.DescribeServer(ctx, id)
		switch {
		case err == nil:
			if owner := otherOwner(ctx, r.Client, srv, server.Tags); owner != "" {
				return nil, ownedByAnother("server "+id, owner)
			}
			if srv.Status.ServerID == "" && srv.Spec.ServerID != "" {
				r.Notify.normal(ctx, srv, eventAdopted, "Adopt", "adopted server %s in %s", id, svc.Region())
			}
			srv.Status.ServerID, srv.Status.Region, srv.Status.CreatePending = id, svc.Region(), false
			return server, nil
		case !transfer.IsNotFound(err):
			return nil, err
		case srv.Spec.ServerID != "":
			return nil, stalled(v1alpha1.ReasonNotFound, "server %s named by spec.serverId does not exist in %s", id, svc.Region())
		}
		r.Notify.warning(ctx, srv, eventRecreating, "Create", "server %s was deleted outside the operator; creating a new one in %s", id, svc.Region())
		srv.Status = v1alpha1.TransferServerStatus{Region: svc.Region(), Conditions: srv.Status.Conditions, ObservedGeneration: srv.Status.ObservedGeneration}
	}
	return nil, r.create(ctx, srv, svc, desired, status)
}

// create creates the server. The intent (createPending and the region, nothing else: the
// conditions are the pass's outcome) is written to status first, so that if the response is
// lost or the operator dies before recording the ID, the next pass looks for the server by its
// ownership tag, in that region, instead of creating a second one.
func (r *TransferServerReconciler) create(ctx context.Context, srv *v1alpha1.TransferServer, svc *transfer.Service, desired transfer.DesiredServer, status *statusPatcher) error {
	srv.Status.CreatePending, srv.Status.Region = true, svc.Region()
	if err := status.patch(ctx, srv); err != nil {
		return err
	}
	id, err := svc.CreateServer(ctx, desired)
	if err != nil {
		if transfer.Classify(err).Terminal() {
			// AWS refused the request: nothing was made, so there is nothing to look for.
			srv.Status.CreatePending = false
		}
		return err
	}
	srv.Status.ServerID, srv.Status.CreatePending = id, false
	srv.Status.State = transfer.StateStarting
	srv.Status.HostKeyFingerprint = desired.HostKeyFingerprint
	if err := status.patch(ctx, srv); err != nil {
		return err
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithValues("serverId", id))
	r.Notify.normal(ctx, srv, eventCreated, "Create", "created server %s in %s", id, svc.Region())
	return waiting(v1alpha1.ReasonCreating, r.Options.PollInterval, "server %s was created and is starting", id)
}

// reconcileDelete deletes the server in AWS (or leaves it, with deletionPolicy Retain) and then
// releases the object. A server waits for the TransferUsers that use it to go first.
func (r *TransferServerReconciler) reconcileDelete(ctx context.Context, srv *v1alpha1.TransferServer, status *statusPatcher) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(srv, Finalizer) {
		return ctrl.Result{}, nil
	}
	if err := markDeleting(ctx, status, srv, "deleting the server"); err != nil {
		return ctrl.Result{}, err
	}
	err := r.deleteServer(ctx, srv)
	if err == nil {
		if err = removeFinalizer(ctx, r.Client, r.APIReader, srv); err == nil {
			return ctrl.Result{}, nil
		}
	}
	return endDeletePass(ctx, status, r.Notify, srv, err, r.Options)
}

// deleteServer deletes the server this object created or adopted, in the region it was recorded
// in. A server whose ownership tags name another live object is left alone.
func (r *TransferServerReconciler) deleteServer(ctx context.Context, srv *v1alpha1.TransferServer) error {
	users := &v1alpha1.TransferUserList{}
	if err := r.Client.List(ctx, users, client.InNamespace(srv.Namespace), client.MatchingFields{indexUserServerRef: srv.Name}); err != nil {
		return fmt.Errorf("listing the server's TransferUsers: %w", err)
	}
	if n := len(users.Items); n > 0 {
		return waiting(v1alpha1.ReasonWaitingForUsers, r.Options.Resync,
			"deleting: waiting for %d TransferUser(s) that use this server to be deleted first, such as %s", n, users.Items[0].Name)
	}
	if srv.Spec.DeletionPolicy == v1alpha1.DeletionPolicyRetain {
		r.Notify.normal(ctx, srv, eventRetained, "Delete", "left server %s in AWS, as deletionPolicy is Retain", srv.Status.ServerID)
		return nil
	}
	svc, err := r.AWS.ForRegion(r.region(srv))
	if errors.Is(err, transfer.ErrNoRegion) {
		// Nothing was ever created or adopted: there is no region to have done it in.
		return nil
	}
	if err != nil {
		return err
	}
	id := cmp.Or(srv.Status.ServerID, srv.Spec.ServerID)
	if id == "" && srv.Status.CreatePending {
		if id, err = svc.FindServerByTag(ctx, transfer.TagOwnerUID, string(srv.UID)); err != nil {
			return err
		}
	}
	if id == "" {
		return nil
	}
	server, err := svc.DescribeServer(ctx, id)
	switch {
	case transfer.IsNotFound(err):
		r.Notify.normal(ctx, srv, eventDeleted, "Delete", "server %s is deleted", id)
		return nil
	case err != nil:
		return err
	}
	if owner := otherOwner(ctx, r.Client, srv, server.Tags); owner != "" {
		r.Notify.normal(ctx, srv, eventRetained, "Delete", "left server %s in AWS: it is managed by %s", id, owner)
		return nil
	}
	if err := svc.DeleteServer(ctx, id); err != nil {
		return err
	}
	return waiting(v1alpha1.ReasonDeleting, r.Options.pollAfter(srv), "deleting server %s", id)
}

func (r *TransferServerReconciler) readyMessage(srv *v1alpha1.TransferServer) string {
	return fmt.Sprintf("server %s is %s and matches the spec", srv.Status.ServerID, srv.Status.State)
}

// recordServer copies what AWS reported into the status.
func recordServer(srv *v1alpha1.TransferServer, server *transfer.Server, region string) {
	srv.Status.ServerID = server.ID
	srv.Status.ARN = server.ARN
	srv.Status.State = server.State
	srv.Status.Region = region
	srv.Status.Endpoint = server.Endpoint(region)
	srv.Status.HostKeyFingerprint = server.HostKeyFingerprint
	srv.Status.CustomHostname = server.Tags[transfer.TagCustomHostname]
	srv.Status.UserCount = server.UserCount
}

func stateReason(state string) string {
	if state == transfer.StateStopping {
		return v1alpha1.ReasonStopping
	}
	return v1alpha1.ReasonStarting
}

func changeVerb(reason string) string {
	if reason == eventDriftCorrected {
		return "corrected drift in AWS"
	}
	return "updated"
}

// serversUsingSecret maps a Secret to the TransferServers whose host key it holds.
func (r *TransferServerReconciler) serversUsingSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	servers := &v1alpha1.TransferServerList{}
	if err := r.Client.List(ctx, servers, client.InNamespace(secret.GetNamespace()), client.MatchingFields{indexServerHostKeySecret: secret.GetName()}); err != nil {
		log.FromContext(ctx).Error(err, "listing the TransferServers that use a Secret", "secret", secret.GetName())
		return nil
	}
	return requestsFor(servers.Items)
}
