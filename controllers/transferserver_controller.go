package controllers

import (
	"cmp"
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
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

// serverWant is what a TransferServer asks for, and where it lives.
type serverWant struct {
	at      placement
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

// site says what decides where the server lives: spec.region and spec.account, until it is
// recorded.
func (r *serverKind) site(srv *v1alpha1.TransferServer) *site { return serverSite(srv) }

func serverSite(srv *v1alpha1.TransferServer) *site {
	return &site{placement: &srv.Status.Placement, what: "the server", specRegion: srv.Spec.Region, specAccount: srv.Spec.Account, arn: srv.Status.ARN}
}

func (r *serverKind) recorded(srv *v1alpha1.TransferServer) bool {
	return srv.Status.ServerID != "" || srv.Status.CreatePending
}

func (r *serverKind) mayExist(srv *v1alpha1.TransferServer) bool { return r.recorded(srv) }

func (r *serverKind) resource(srv *v1alpha1.TransferServer) string {
	return "server " + srv.Status.ServerID
}

// desire resolves the server the spec describes, with its host key and workflows.
func (r *serverKind) desire(ctx context.Context, srv *v1alpha1.TransferServer, at placement) (serverWant, error) {
	desired, err := r.desiredServer(ctx, srv, at)
	return serverWant{at: at, desired: desired}, err
}

// serverStep is one step of a server's update (update); each may end the pass.
type serverStep func(r *serverKind, ctx context.Context, srv *v1alpha1.TransferServer, want serverWant, server *transfer.Server) error

// serverSteps are the steps of a server's update, in order, each in the file named for it: wait
// out a changing or failed state (serverstate.go), the VPC endpoint (vpcendpoint.go), the plan
// of UpdateServer and tags (serverplan.go), the host keys (hostkeys.go), and spec.state
// (serverstate.go). The workflows a server runs are resolved with the plan's desire
// (workflowref.go).
var serverSteps = []serverStep{
	(*serverKind).awaitSteadyState,
	(*serverKind).convergeVpcEndpoint,
	(*serverKind).convergePlan,
	(*serverKind).convergeHostKeys,
	(*serverKind).convergeState,
}

// update records the server in status and makes it match the spec, one step at a time.
func (r *serverKind) update(ctx context.Context, srv *v1alpha1.TransferServer, _ placement, want serverWant, server *transfer.Server) error {
	recordServer(srv, server, want.at.region)
	for _, step := range serverSteps {
		if err := step(r, ctx, srv, want, server); err != nil {
			return err
		}
	}
	return nil
}

// desiredServer resolves what the server in account should be: the workflows it references, and the host
// key, read from its Secret (with spec.hostKeys, the first one, which a new server is created
// with).
func (r *serverKind) desiredServer(ctx context.Context, srv *v1alpha1.TransferServer, at placement) (transfer.DesiredServer, error) {
	d := transfer.DesiredServer{
		Spec:      &srv.Spec,
		Applied:   srv.Status.AppliedFields,
		OwnerTags: transfer.OwnerTags("TransferServer", srv.Namespace, srv.Name, string(srv.UID)),
	}
	workflowIDs, err := r.resolveWorkflows(ctx, srv, at)
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
	d.HostKey, d.HostKeyFingerprint, err = r.readHostKey(ctx, srv.Namespace, "hostKeySecretRef", *ref, map[string]*corev1.Secret{})
	return d, err
}

// observe returns the server in AWS: the one recorded in status, the one named by spec.serverId,
// or the one an earlier create whose outcome is unknown made. A recorded server that was deleted
// outside the operator is forgotten, to be created again where it lived.
func (r *serverKind) observe(ctx context.Context, srv *v1alpha1.TransferServer, at placement, _ serverWant) (*transfer.Server, bool, error) {
	named := srv.Status.ServerID == "" && srv.Spec.ServerID != ""
	if named {
		// Checked before AWS is read: an account that may not adopt does not read what it
		// may not take.
		if err := adoptionAllowed(at.account, "server "+srv.Spec.ServerID); err != nil {
			return nil, false, err
		}
	}
	o, err := at.svc.ObserveServer(ctx, transfer.Recorded{
		ID: cmp.Or(srv.Status.ServerID, srv.Spec.ServerID), CreatePending: srv.Status.CreatePending, OwnerUID: string(srv.UID),
	})
	switch {
	case err != nil:
		return nil, false, err
	case o.FoundByTag:
		r.Notify.normal(ctx, srv, eventAdopted, "found server %s, created by an earlier attempt whose response was lost", o.ID)
	case o.Gone && srv.Spec.ServerID != "":
		return nil, false, stalled(v1alpha1.ReasonNotFound, "server %s named by spec.serverId does not exist in %s", o.ID, at.region)
	case o.Gone:
		r.Notify.warning(ctx, srv, eventRecreating, "server %s was deleted outside the operator; creating a new one in %s", o.ID, at.region)
		srv.Status = v1alpha1.TransferServerStatus{Placement: srv.Status.Placement, Conditions: srv.Status.Conditions, ObservedGeneration: srv.Status.ObservedGeneration}
		return nil, false, nil
	}
	if o.Resource == nil {
		return nil, false, nil
	}
	if owner := otherOwner(ctx, r.Client, srv, o.Resource.Tags); owner != "" {
		return nil, false, ownedByAnother("server "+o.ID, owner)
	}
	// A server that does not carry this object's tag was made by someone else: it is adopted
	// (named by spec.serverId, or recorded while managementPolicy was Observe).
	if o.Resource.Tags[transfer.TagOwnerUID] != string(srv.UID) && !o.FoundByTag {
		if !named {
			if err := adoptionAllowed(at.account, "server "+o.ID); err != nil {
				return nil, false, err
			}
		}
		r.Notify.normal(ctx, srv, eventAdopted, "adopted server %s in %s", o.ID, at.region)
	}
	srv.Status.ServerID, srv.Status.CreatePending = o.ID, false
	return o.Resource, true, nil
}

// create creates the server. The intent (createPending and the generation created, with the
// placement the pass set; nothing else: the conditions are the pass's outcome) is written to
// status first, so that if the response is
// lost or the operator dies before recording the ID, the next pass looks for the server by its
// ownership tag, in that region and account, instead of creating a second one.
func (r *serverKind) create(ctx context.Context, srv *v1alpha1.TransferServer, at placement, want serverWant, status *statusPatcher) (*transfer.Server, bool, error) {
	svc, desired := at.svc, want.desired
	srv.Status.CreatePending, srv.Status.CreatedGeneration = true, srv.Generation
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

// awaitDependents waits until the TransferUsers and TransferAccesses that use the server are gone.
func (r *serverKind) awaitDependents(ctx context.Context, srv *v1alpha1.TransferServer) error {
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
	return nil
}

// delete deletes the server this object created or adopted (or a lost create made) and waits
// until AWS no longer finds it. A server whose ownership tags name another live object is left
// alone.
func (r *serverKind) delete(ctx context.Context, srv *v1alpha1.TransferServer, at placement) error {
	d, err := at.svc.DeleteRecordedServer(ctx, transfer.Recorded{ID: srv.Status.ServerID, CreatePending: srv.Status.CreatePending, OwnerUID: string(srv.UID)},
		func(tags map[string]string) string { return otherOwner(ctx, r.Client, srv, tags) })
	switch {
	case err != nil:
		return err
	case d.OwnedBy != "":
		r.Notify.normal(ctx, srv, eventRetained, "left server %s in AWS: it is managed by %s", d.ID, d.OwnedBy)
		return nil
	case len(d.Deleted) > 0:
		return waiting(v1alpha1.ReasonDeleting, r.Options.pollAfter(srv), "deleting server %s", d.ID)
	case d.ID != "":
		r.Notify.normal(ctx, srv, eventDeleted, "server %s is deleted", d.ID)
	}
	return nil
}

// recordServer copies what AWS reported into the status; clients reach it in region.
func recordServer(srv *v1alpha1.TransferServer, server *transfer.Server, region string) {
	srv.Status.ServerID = server.ID
	srv.Status.ARN = server.ARN
	srv.Status.State = server.State
	srv.Status.Endpoint = server.Endpoint(region)
	srv.Status.HostKeyFingerprint = server.HostKeyFingerprint
	srv.Status.CustomHostname = server.Tags[transfer.TagCustomHostname]
	srv.Status.UserCount = server.UserCount
}

func changeVerb(reason string) string {
	if reason == eventDriftCorrected {
		return "corrected drift in AWS"
	}
	return "updated"
}
