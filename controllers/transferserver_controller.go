package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferservers,verbs=list;watch;patch
// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferservers/status,verbs=patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// serverKind is the TransferServer kind: each object is one AWS Transfer Family server.
type serverKind struct{ deps }

// serverWant is what a TransferServer asks for, and the account and service of the region it
// lives in.
type serverWant struct {
	svc     *transfer.Service
	account accountChoice
	desired transfer.DesiredServer
}

// newServerReconciler returns the reconciler of TransferServers.
func newServerReconciler(d deps) *reconciler[*v1alpha1.TransferServer, serverWant, *transfer.Server] {
	return &reconciler[*v1alpha1.TransferServer, serverWant, *transfer.Server]{deps: d, name: "transferserver", kind: &serverKind{d}}
}

func (r *serverKind) newObject() *v1alpha1.TransferServer { return &v1alpha1.TransferServer{} }

func (r *serverKind) logValues(srv *v1alpha1.TransferServer) []any {
	if id := cmp.Or(srv.Status.ServerID, srv.Spec.ServerID); id != "" {
		return []any{"serverId", id}
	}
	return nil
}

// watch adds the host key Secrets servers reference, the deletion of the TransferUsers and
// TransferAccesses a deleting server waits for, the TransferWorkflows servers reference and the
// AWSAccounts.
func (r *serverKind) watch(b *builder.Builder) *builder.Builder {
	return watchAccounts(b, r.Client, newServerList).WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(referencing(r.Client, indexServerHostKeySecret, newServerList))).
		Watches(&v1alpha1.TransferUser{}, handler.EnqueueRequestsFromMapFunc(serverOfUser), builder.WithPredicates(onlyDeletions)).
		Watches(&v1alpha1.TransferAccess{}, handler.EnqueueRequestsFromMapFunc(serverOfAccess), builder.WithPredicates(onlyDeletions)).
		Watches(&v1alpha1.TransferWorkflow{}, handler.EnqueueRequestsFromMapFunc(referencing(r.Client, indexServerWorkflowRef, newServerList)), builder.WithPredicates(workflowAvailabilityChanged))
}

func (r *serverKind) applied(srv *v1alpha1.TransferServer) []string {
	return transfer.AppliedServerFields(&srv.Spec)
}

func (r *serverKind) comparePeriod(*v1alpha1.TransferServer) time.Duration { return r.Options.Resync }

// readyMessage says the server matches the spec and, when spec.hostKeys has a key of a type
// for which clients are still offered a key it does not list, which key they see and how to
// change that.
func (r *serverKind) readyMessage(srv *v1alpha1.TransferServer) string {
	msg := fmt.Sprintf("server %s is %s and matches the spec", srv.Status.ServerID, srv.Status.State)
	if k := offeredInsteadOfManaged(srv.Status.HostKeys); k != nil {
		msg += fmt.Sprintf("; clients are offered host key %s (%s, %s), which spec.hostKeys does not list, as it is the oldest of its type: set spec.exclusiveHostKeys to delete it", k.HostKeyID, k.Type, k.Fingerprint)
	}
	return msg
}

func (r *serverKind) deletingMessage(*v1alpha1.TransferServer) string { return "deleting the server" }

// region returns where the server lives: the region recorded when it was created or adopted, or,
// before that, spec.region or the operator's default region.
func (r *serverKind) region(srv *v1alpha1.TransferServer) string {
	return cmp.Or(recordedRegion(srv.Status.Region, srv.Status.ARN), r.AWS.Resolve(srv.Spec.Region))
}

// accountPlace says what decides the server's account.
func (r *serverKind) accountPlace(srv *v1alpha1.TransferServer) accountPlace {
	return accountPlace{
		namespace: srv.Namespace, specAccount: srv.Spec.Account,
		recorded:     recordedRegion(srv.Status.Region, srv.Status.ARN) != "",
		recordedName: srv.Status.Account, recordedID: recordedAccountID(srv.Status.AccountID, srv.Status.ARN),
	}
}

// desire resolves the account, the region and the server the spec describes, with its host key.
func (r *serverKind) desire(ctx context.Context, srv *v1alpha1.TransferServer) (serverWant, error) {
	account, today, err := r.account(ctx, r.accountPlace(srv))
	if err != nil {
		return serverWant{}, err
	}
	svc, err := r.service(account, r.region(srv), recordedRegion(srv.Status.Region, srv.Status.ARN) != "")
	if err != nil {
		return serverWant{}, err
	}
	noteLocation(srv, "the server", recordedRegion(srv.Status.Region, srv.Status.ARN), r.AWS.Resolve(srv.Spec.Region))
	noteAccount(srv, "the server", account, today)
	desired, err := r.desiredServer(ctx, srv, account)
	return serverWant{svc: svc, account: account, desired: desired}, err
}

// update makes the server match the spec, one step at a time; each step may end the pass: a
// failed or changing state is waited for, the plan is applied, then spec.state.
func (r *serverKind) update(ctx context.Context, srv *v1alpha1.TransferServer, want serverWant, server *transfer.Server) error {
	recordServer(srv, server, want.svc.Region(), want.account)
	switch server.State {
	case transfer.StateStartFailed, transfer.StateStopFailed:
		return stalled(v1alpha1.ReasonServerFailed, "the server is in state %s; fix it in AWS (or delete it to have it recreated)", server.State)
	case transfer.StateStarting, transfer.StateStopping:
		return waiting(stateReason(server.State), r.Options.pollAfter(srv), "the server is %s", strings.ToLower(server.State))
	}
	if err := r.convergeVpcEndpoint(ctx, srv, want.svc, server); err != nil {
		return err
	}

	want.desired.CreatedWithSpec = srv.Generation == srv.Status.CreatedGeneration
	plan := transfer.PlanServer(want.desired, server, srv.Generation != srv.Status.ObservedGeneration)
	if len(plan.Immutable) > 0 {
		return stalled(v1alpha1.ReasonInvalidSpec, "%s differs from the server in AWS and cannot be changed: create a new TransferServer", fieldList(plan.Immutable))
	}
	if !plan.InSync() {
		if err := r.apply(ctx, srv, want, server, plan); err != nil {
			return err
		}
	}
	if err := r.convergeHostKeys(ctx, srv, want.svc, server); err != nil {
		return err
	}
	return r.convergeState(ctx, srv, want.svc, server)
}

// apply sends the plan (transfer.Service.ApplyServerPlan owns the order of the calls) and says
// what it did; a server stopped for an offline-only change is waited for.
func (r *serverKind) apply(ctx context.Context, srv *v1alpha1.TransferServer, want serverWant, server *transfer.Server, plan transfer.ServerPlan) error {
	reason := changeEvent(srv, srv.Status.ObservedGeneration)
	stopped, err := want.svc.ApplyServerPlan(ctx, server, plan)
	if err != nil {
		return err
	}
	if hostname, ok := plan.AddTags[transfer.TagCustomHostname]; ok {
		srv.Status.CustomHostname = hostname
	}
	if stopped {
		r.Notify.normal(ctx, srv, eventStopping, "stopping the server to apply %s, which AWS changes only while it is offline", fieldList(plan.OfflineUpdate.Fields))
		return waiting(v1alpha1.ReasonStopping, r.Options.PollInterval, "stopping the server to apply %s", fieldList(plan.OfflineUpdate.Fields))
	}
	if want.desired.HostKeyFingerprint != "" {
		srv.Status.HostKeyFingerprint = want.desired.HostKeyFingerprint
	}
	if completesCreation(srv, plan) {
		r.Notify.normal(ctx, srv, eventCreationCompleted, "set %s, which AWS takes only once the server exists", fieldList(plan.Changed))
	} else {
		r.Notify.normal(ctx, srv, reason, "%s: %s", changeVerb(reason), fieldList(plan.Changed))
	}
	if plan.Deferred {
		return waiting(v1alpha1.ReasonUpdating, r.Options.PollInterval, "applying %s in a second step", fieldList(plan.Changed))
	}
	return nil
}

// completesCreation reports whether plan only sets what CreateServer cannot take
// (ServerPlan.AfterCreateOnly), for a server this object created whose spec has not changed since.
func completesCreation(srv *v1alpha1.TransferServer, plan transfer.ServerPlan) bool {
	return srv.Status.CreatedGeneration == srv.Generation && srv.Status.ObservedGeneration == 0 && plan.AfterCreateOnly()
}

// convergeState starts or stops the server as spec.state asks.
func (r *serverKind) convergeState(ctx context.Context, srv *v1alpha1.TransferServer, svc *transfer.Service, server *transfer.Server) error {
	want := srv.Spec.State
	switch {
	case want != v1alpha1.ServerOffline && server.State == transfer.StateOffline:
		r.Notify.normal(ctx, srv, eventStarting, "starting the server")
		if err := svc.StartServer(ctx, server.ID); err != nil {
			return err
		}
		srv.Status.State = transfer.StateStarting
		return waiting(v1alpha1.ReasonStarting, r.Options.PollInterval, "starting the server")
	case want == v1alpha1.ServerOffline && server.State == transfer.StateOnline:
		r.Notify.normal(ctx, srv, eventStopping, "stopping the server, as spec.state is Offline")
		if err := svc.StopServer(ctx, server.ID); err != nil {
			return err
		}
		srv.Status.State = transfer.StateStopping
		return waiting(v1alpha1.ReasonStopping, r.Options.PollInterval, "stopping the server")
	}
	return nil
}

// desiredServer resolves what the server in account should be: the workflows it references, and the host
// key, read from its Secret (with spec.hostKeys, the first one, which a new server is created
// with).
func (r *serverKind) desiredServer(ctx context.Context, srv *v1alpha1.TransferServer, account accountChoice) (transfer.DesiredServer, error) {
	d := transfer.DesiredServer{
		Spec:      &srv.Spec,
		Applied:   srv.Status.AppliedFields,
		OwnerTags: transfer.OwnerTags("TransferServer", srv.Namespace, srv.Name, string(srv.UID)),
	}
	workflowIDs, err := r.resolveWorkflows(ctx, srv, account)
	if err != nil {
		return d, err
	}
	d.WorkflowIDs = workflowIDs
	if len(srv.Spec.HostKeys) > 0 {
		return r.withFirstHostKey(ctx, srv, d)
	}
	ref := srv.Spec.HostKeySecretRef
	if ref == nil {
		return d, nil
	}
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: srv.Namespace, Name: ref.Name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return d, noHostKeySecret("hostKeySecretRef", *ref)
		}
		return d, fmt.Errorf("reading the host key Secret %s: %w", ref.Name, err)
	}
	key, ok := secret.Data[ref.Key]
	if !ok {
		return d, noHostKeySecret("hostKeySecretRef", *ref)
	}
	fingerprint, err := transfer.HostKeyFingerprint(transfer.Sensitive(key))
	if err != nil {
		return d, stalled(v1alpha1.ReasonInvalidHostKey, "key %q of Secret %s: %v", ref.Key, ref.Name, err)
	}
	d.HostKey, d.HostKeyFingerprint = transfer.Sensitive(key), fingerprint
	return d, nil
}

// observe returns the server in AWS: the one recorded in status, the one named by spec.serverId,
// or the one an earlier create whose outcome is unknown made. A recorded server that was deleted
// outside the operator is forgotten, to be created again.
func (r *serverKind) observe(ctx context.Context, srv *v1alpha1.TransferServer, want serverWant) (*transfer.Server, bool, error) {
	svc := want.svc
	id := cmp.Or(srv.Status.ServerID, srv.Spec.ServerID)
	if id == "" && srv.Status.CreatePending {
		found, err := svc.FindServerByTag(ctx, transfer.TagOwnerUID, string(srv.UID))
		if err != nil {
			return nil, false, err
		}
		if found != "" {
			r.Notify.normal(ctx, srv, eventAdopted, "found server %s, created by an earlier attempt whose response was lost", found)
			id = found
		}
	}
	if id == "" {
		return nil, false, nil
	}
	if srv.Status.ServerID == "" && srv.Spec.ServerID != "" {
		if err := adoptionAllowed(want.account, "server "+id); err != nil {
			return nil, false, err
		}
	}
	server, err := svc.DescribeServer(ctx, id)
	switch {
	case err == nil:
		if owner := otherOwner(ctx, r.Client, srv, server.Tags); owner != "" {
			return nil, false, ownedByAnother("server "+id, owner)
		}
		if srv.Status.ServerID == "" && srv.Spec.ServerID != "" {
			r.Notify.normal(ctx, srv, eventAdopted, "adopted server %s in %s", id, svc.Region())
		}
		srv.Status.ServerID, srv.Status.Region, srv.Status.CreatePending = id, svc.Region(), false
		srv.Status.Account, srv.Status.AccountID = want.account.name, accountIDOf(want.account, server.ARN)
		return server, true, nil
	case !transfer.IsNotFound(err):
		return nil, false, err
	case srv.Spec.ServerID != "":
		return nil, false, stalled(v1alpha1.ReasonNotFound, "server %s named by spec.serverId does not exist in %s", id, svc.Region())
	}
	r.Notify.warning(ctx, srv, eventRecreating, "server %s was deleted outside the operator; creating a new one in %s", id, svc.Region())
	srv.Status = v1alpha1.TransferServerStatus{
		Region: svc.Region(), Account: srv.Status.Account, AccountID: srv.Status.AccountID,
		Conditions: srv.Status.Conditions, ObservedGeneration: srv.Status.ObservedGeneration,
	}
	return nil, false, nil
}

// create creates the server. The intent (createPending, the region, the account and the generation
// created, nothing else: the conditions are the pass's outcome) is written to status first, so that if the response is
// lost or the operator dies before recording the ID, the next pass looks for the server by its
// ownership tag, in that region and account, instead of creating a second one.
func (r *serverKind) create(ctx context.Context, srv *v1alpha1.TransferServer, want serverWant, status *statusPatcher) (*transfer.Server, bool, error) {
	svc, desired := want.svc, want.desired
	srv.Status.CreatePending, srv.Status.Region, srv.Status.CreatedGeneration = true, svc.Region(), srv.Generation
	srv.Status.Account, srv.Status.AccountID = want.account.name, want.account.id
	if err := status.patch(ctx, srv); err != nil {
		return nil, false, err
	}
	id, err := svc.CreateServer(ctx, desired)
	if err != nil {
		if transfer.Classify(err).Terminal() {
			// AWS refused the request: nothing was made, so there is nothing to look for.
			srv.Status.CreatePending = false
		}
		return nil, false, err
	}
	srv.Status.ServerID, srv.Status.CreatePending = id, false
	srv.Status.State = transfer.StateStarting
	srv.Status.HostKeyFingerprint = desired.HostKeyFingerprint
	if err := status.patch(ctx, srv); err != nil {
		return nil, false, err
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithValues("serverId", id))
	r.Notify.normal(ctx, srv, eventCreated, "created server %s in %s", id, svc.Region())
	return nil, false, waiting(v1alpha1.ReasonCreating, r.Options.PollInterval, "server %s was created and is starting", id)
}

// delete deletes the server this object created or adopted, in the account and region it was recorded in,
// once the TransferUsers and TransferAccesses that use it are gone. A server whose ownership tags name another live
// object is left alone.
func (r *serverKind) delete(ctx context.Context, srv *v1alpha1.TransferServer) error {
	users := &v1alpha1.TransferUserList{}
	if err := r.Client.List(ctx, users, client.InNamespace(srv.Namespace), client.MatchingFields{indexUserServerRef: srv.Name}); err != nil {
		return fmt.Errorf("listing the server's TransferUsers: %w", err)
	}
	if n := len(users.Items); n > 0 {
		return waiting(v1alpha1.ReasonWaitingForUsers, r.Options.Resync,
			"deleting: waiting for %d TransferUser(s) that use this server to be deleted first, such as %s", n, users.Items[0].Name)
	}
	accesses := &v1alpha1.TransferAccessList{}
	if err := r.Client.List(ctx, accesses, client.InNamespace(srv.Namespace), client.MatchingFields{indexAccessServerRef: srv.Name}); err != nil {
		return fmt.Errorf("listing the server's TransferAccesses: %w", err)
	}
	if n := len(accesses.Items); n > 0 {
		return waiting(v1alpha1.ReasonWaitingForUsers, r.Options.Resync,
			"deleting: waiting for %d TransferAccess(es) that use this server to be deleted first, such as %s", n, accesses.Items[0].Name)
	}
	if srv.Spec.DeletionPolicy == v1alpha1.DeletionPolicyRetain {
		r.Notify.normal(ctx, srv, eventRetained, "left server %s in AWS, as deletionPolicy is Retain", srv.Status.ServerID)
		return nil
	}
	id := srv.Status.ServerID
	if id == "" && !srv.Status.CreatePending {
		// Nothing was ever created or adopted: a spec.serverId never taken over is not this
		// object's to delete.
		return nil
	}
	account, _, err := r.account(ctx, r.accountPlace(srv))
	if err != nil {
		return err
	}
	svc, err := r.AWS.For(account.account, r.region(srv))
	if errors.Is(err, transfer.ErrNoRegion) {
		// Nothing was ever created or adopted: there is no region to have done it in.
		return nil
	}
	if err != nil {
		return err
	}
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
		r.Notify.normal(ctx, srv, eventDeleted, "server %s is deleted", id)
		return nil
	case err != nil:
		return err
	}
	if owner := otherOwner(ctx, r.Client, srv, server.Tags); owner != "" {
		r.Notify.normal(ctx, srv, eventRetained, "left server %s in AWS: it is managed by %s", id, owner)
		return nil
	}
	if err := svc.DeleteServer(ctx, id); err != nil {
		return err
	}
	return waiting(v1alpha1.ReasonDeleting, r.Options.pollAfter(srv), "deleting server %s", id)
}

// recordServer copies what AWS reported into the status, with the region and account it lives in.
func recordServer(srv *v1alpha1.TransferServer, server *transfer.Server, region string, account accountChoice) {
	srv.Status.ServerID = server.ID
	srv.Status.ARN = server.ARN
	srv.Status.State = server.State
	srv.Status.Region = region
	srv.Status.Account, srv.Status.AccountID = account.name, accountIDOf(account, server.ARN)
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
