package controllers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferworkflows,verbs=list;watch;patch
// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferworkflows/status,verbs=patch

// workflowKind is the TransferWorkflow kind: each object is one AWS Transfer Family managed
// workflow at a time. AWS cannot change a workflow, so a changed spec makes a new one: the old
// one is retired (status.retiredWorkflowIds), the TransferServers that reference the object
// follow its status.workflowId to the new one, and the retired one is deleted once AWS no longer
// finds a server that runs it. Every step is recorded in status before the next, so a pass that
// dies half-way is resumed by the next.
type workflowKind struct{ deps }

// workflowWant is what a TransferWorkflow asks for.
type workflowWant = transfer.DesiredWorkflow

// newWorkflowReconciler returns the reconciler of TransferWorkflows.
func newWorkflowReconciler(d deps) *reconciler[*v1alpha1.TransferWorkflow, workflowWant, *transfer.Workflow] {
	return &reconciler[*v1alpha1.TransferWorkflow, workflowWant, *transfer.Workflow]{deps: d, name: "transferworkflow", kind: &workflowKind{d}}
}

func (r *workflowKind) newObject() *v1alpha1.TransferWorkflow { return &v1alpha1.TransferWorkflow{} }

func (r *workflowKind) logValues(wf *v1alpha1.TransferWorkflow) []any {
	if id := cmp.Or(wf.Status.WorkflowID, wf.Spec.WorkflowID); id != "" {
		return []any{"workflowId", id}
	}
	return nil
}

// watch adds the TransferServers that reference a workflow, when they appear, change their spec
// or are deleted (a deleting workflow waits for them), and the AWSAccounts.
func (r *workflowKind) watch(b *builder.Builder) *builder.Builder {
	return watchAccounts(b, r.Client, func() client.ObjectList { return &v1alpha1.TransferWorkflowList{} }).Watches(&v1alpha1.TransferServer{}, handler.EnqueueRequestsFromMapFunc(workflowsOfServer), builder.WithPredicates(specOrDeletionChanged))
}

func (r *workflowKind) applied(*v1alpha1.TransferWorkflow) []string { return nil }

func (r *workflowKind) comparePeriod(*v1alpha1.TransferWorkflow) time.Duration {
	return r.Options.Resync
}

func (r *workflowKind) readyMessage(wf *v1alpha1.TransferWorkflow) string {
	return fmt.Sprintf("workflow %s matches the spec", wf.Status.WorkflowID)
}

func (r *workflowKind) deletingMessage(*v1alpha1.TransferWorkflow) string {
	return "deleting the workflow"
}

func (r *workflowKind) site(wf *v1alpha1.TransferWorkflow) *site {
	return &site{placement: &wf.Status.Placement, what: "the workflow", specRegion: wf.Spec.Region, specAccount: wf.Spec.Account, arn: wf.Status.ARN}
}

func (r *workflowKind) recorded(wf *v1alpha1.TransferWorkflow) bool {
	return wf.Status.WorkflowID != "" || wf.Status.CreatePending || len(wf.Status.RetiredWorkflowIDs) > 0
}

func (r *workflowKind) mayExist(wf *v1alpha1.TransferWorkflow) bool { return r.recorded(wf) }

func (r *workflowKind) resource(wf *v1alpha1.TransferWorkflow) string {
	return "workflow " + wf.Status.WorkflowID
}

// adopting reports whether the pass is to take over the workflow spec.workflowId names: nothing
// was recorded yet, neither a workflow nor a create nor a replacement.
func adopting(wf *v1alpha1.TransferWorkflow) bool {
	s := wf.Status
	return wf.Spec.WorkflowID != "" && s.WorkflowID == "" && !s.CreatePending && len(s.RetiredWorkflowIDs) == 0
}

// desire resolves the workflow the spec describes.
func (r *workflowKind) desire(_ context.Context, wf *v1alpha1.TransferWorkflow, _ placement) (workflowWant, error) {
	return transfer.DesiredWorkflow{
		Spec:      &wf.Spec,
		OwnerTags: transfer.OwnerTags("TransferWorkflow", wf.Namespace, wf.Name, string(wf.UID)),
	}, nil
}

// observe returns the workflow in AWS: the one recorded in status, the one an earlier create
// whose outcome is unknown made, or the one spec.workflowId adopts. A workflow whose steps or
// description differ from the spec is retired, to be replaced (found false). One deleted outside
// the operator is forgotten, to be created again.
func (r *workflowKind) observe(ctx context.Context, wf *v1alpha1.TransferWorkflow, at placement, want workflowWant) (*transfer.Workflow, bool, error) {
	adopt := adopting(wf)
	if adopt {
		if err := adoptionAllowed(at.account, "workflow "+wf.Spec.WorkflowID); err != nil {
			return nil, false, err
		}
	}
	rec := transfer.Recorded{ID: wf.Status.WorkflowID, CreatePending: wf.Status.CreatePending, OwnerUID: string(wf.UID), Exclude: wf.Status.RetiredWorkflowIDs}
	if adopt {
		rec.ID = wf.Spec.WorkflowID
	}
	o, err := at.svc.ObserveWorkflow(ctx, rec)
	switch {
	case err != nil:
		return nil, false, err
	case o.FoundByTag:
		r.Notify.normal(ctx, wf, eventAdopted, "found workflow %s, created by an earlier attempt whose response was lost", o.ID)
	case o.Gone && adopt:
		return nil, false, stalled(v1alpha1.ReasonNotFound, "workflow %s named by spec.workflowId does not exist in %s", o.ID, at.region)
	case o.Gone:
		r.Notify.warning(ctx, wf, eventRecreating, "workflow %s was deleted outside the operator; creating a new one in %s", o.ID, at.region)
		wf.Status.WorkflowID, wf.Status.ARN, wf.Status.CreatePending = "", "", false
		return nil, false, nil
	}
	w := o.Resource
	if w == nil {
		return nil, false, nil
	}
	if owner := otherOwner(ctx, r.Client, wf, w.Tags); owner != "" {
		return nil, false, ownedByAnother("workflow "+o.ID, owner)
	}
	if adopt {
		r.Notify.normal(ctx, wf, eventAdopted, "adopted workflow %s in %s", o.ID, at.region)
	}
	wf.Status.WorkflowID, wf.Status.ARN, wf.Status.CreatePending = o.ID, w.ARN, false
	if plan := transfer.PlanWorkflow(want, w); len(plan.Replace) > 0 {
		r.Notify.normal(ctx, wf, eventReplacing, "%s of workflow %s differ from the spec and AWS cannot change them: replacing it with a new workflow",
			fieldList(plan.Replace), o.ID)
		if !slices.Contains(wf.Status.RetiredWorkflowIDs, o.ID) {
			wf.Status.RetiredWorkflowIDs = append(wf.Status.RetiredWorkflowIDs, o.ID)
		}
		wf.Status.WorkflowID, wf.Status.ARN = "", ""
		return nil, false, nil
	}
	return w, true, nil
}

// create creates the workflow, after writing the intent (createPending and the workflows it
// retires, with the placement the pass set) to status, so that a lost response or a crash leads the next pass to
// look the workflow up by its ownership tag instead of creating a second one. The new workflow
// is described and returned, so that the same pass records it and retires the old ones.
func (r *workflowKind) create(ctx context.Context, wf *v1alpha1.TransferWorkflow, at placement, want workflowWant, status *statusPatcher) (*transfer.Workflow, bool, error) {
	svc := at.svc
	wf.Status.CreatePending = true
	if err := status.patch(ctx, wf); err != nil {
		return nil, false, err
	}
	id, err := svc.CreateWorkflow(ctx, want)
	if err != nil {
		if transfer.Classify(err).Terminal() {
			// AWS refused the request: nothing was made, so there is nothing to look for.
			wf.Status.CreatePending = false
		}
		return nil, false, err
	}
	wf.Status.WorkflowID, wf.Status.CreatePending = id, false
	if err := status.patch(ctx, wf); err != nil {
		return nil, false, err
	}
	r.Notify.normal(ctx, wf, eventCreated, "created workflow %s in %s", id, svc.Region())
	w, err := svc.DescribeWorkflow(ctx, id)
	if err != nil {
		return nil, false, err
	}
	return w, true, nil
}

// update corrects the tags of the workflow (the one thing AWS changes in place), records it and
// retires the workflows it replaced.
func (r *workflowKind) update(ctx context.Context, wf *v1alpha1.TransferWorkflow, at placement, want workflowWant, w *transfer.Workflow) error {
	plan := transfer.PlanWorkflow(want, w)
	if len(plan.AddTags) > 0 || len(plan.RemoveTags) > 0 {
		reason := changeEvent(wf, wf.Status.ObservedGeneration)
		if err := at.svc.ApplyWorkflowPlan(ctx, w, plan); err != nil {
			return err
		}
		r.Notify.normal(ctx, wf, reason, "%s: tags", changeVerb(reason))
	}
	wf.Status.WorkflowID, wf.Status.ARN = w.ID, w.ARN
	return r.retire(ctx, wf, at.svc)
}

// retire deletes the retired workflows that no server runs any more. While AWS still finds a
// server that runs one (the TransferServers that reference this object move to the new workflow
// by themselves; a server managed elsewhere must be moved by its owner), the object is
// Reconciling with reason RetiringWorkflow and looks again after the poll interval.
func (r *workflowKind) retire(ctx context.Context, wf *v1alpha1.TransferWorkflow, svc *transfer.Service) error {
	deleted, inUse, refusal, err := svc.RetireWorkflows(ctx, wf.Status.RetiredWorkflowIDs)
	for _, old := range deleted {
		r.Notify.normal(ctx, wf, eventDeleted, "deleted workflow %s, which workflow %s replaced", old, wf.Status.WorkflowID)
	}
	wf.Status.RetiredWorkflowIDs = slices.DeleteFunc(wf.Status.RetiredWorkflowIDs, func(id string) bool { return slices.Contains(deleted, id) })
	if err != nil {
		return err
	}
	if len(inUse) > 0 {
		return waiting(v1alpha1.ReasonRetiringWorkflow, r.Options.pollAfter(wf),
			"workflow %s matches the spec; %s is deleted once no server runs it (AWS answered %s)", wf.Status.WorkflowID, fieldList(inUse), transfer.Describe(refusal))
	}
	return nil
}

// awaitDependents waits until no TransferServer in the namespace references the workflow.
func (r *workflowKind) awaitDependents(ctx context.Context, wf *v1alpha1.TransferWorkflow) error {
	servers := &v1alpha1.TransferServerList{}
	if err := r.Client.List(ctx, servers, client.InNamespace(wf.Namespace), client.MatchingFields{indexServerWorkflowRef: wf.Name}); err != nil {
		return fmt.Errorf("listing the TransferServers that reference the workflow: %w", err)
	}
	if n := len(servers.Items); n > 0 {
		return waiting(v1alpha1.ReasonWorkflowInUse, r.Options.Resync,
			"deleting: waiting for %d TransferServer(s) that reference this workflow to stop referencing it or be deleted, such as %s", n, servers.Items[0].Name)
	}
	return nil
}

// delete deletes the workflow this object created or adopted (or a lost create made), and the
// ones it retired, once AWS finds no server that runs them. A workflow whose ownership tags name
// another live object is left alone.
func (r *workflowKind) delete(ctx context.Context, wf *v1alpha1.TransferWorkflow, at placement) error {
	d, err := at.svc.DeleteRecordedWorkflow(ctx,
		transfer.Recorded{ID: wf.Status.WorkflowID, CreatePending: wf.Status.CreatePending, OwnerUID: string(wf.UID), Exclude: wf.Status.RetiredWorkflowIDs},
		func(tags map[string]string) string { return otherOwner(ctx, r.Client, wf, tags) })
	if d.OwnedBy != "" {
		r.Notify.normal(ctx, wf, eventRetained, "left workflow %s in AWS: it is managed by %s", d.ID, d.OwnedBy)
	}
	for _, id := range d.Deleted {
		r.Notify.normal(ctx, wf, eventDeleted, "deleted workflow %s", id)
	}
	switch {
	case err != nil:
		return err
	case d.InUse != "":
		return waitingFor(d.InUseErr, v1alpha1.ReasonWorkflowInUse, r.Options.pollAfter(wf), "deleting: waiting until no server runs workflow %s (AWS answered %s)", d.InUse, transfer.Describe(d.InUseErr))
	}
	return nil
}

// workflowsOfServer maps a TransferServer to the TransferWorkflows its workflowDetails reference.
func workflowsOfServer(_ context.Context, o client.Object) []reconcile.Request {
	var out []reconcile.Request
	for _, name := range transfer.WorkflowRefs(&o.(*v1alpha1.TransferServer).Spec) {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: name}})
	}
	return out
}
