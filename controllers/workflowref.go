package controllers

import (
	"cmp"
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// A TransferServer's workflowDetails may name TransferWorkflows of its namespace (workflowRef).
// The server runs the workflow each one records in status.workflowId, once it is usable, and
// follows it when a changed spec replaces it.

// resolveWorkflows returns the workflow ID of each TransferWorkflow the server placed at references, by
// name. A missing or unusable one is waited for (WorkflowNotReady); one in another region or
// account than the server cannot be run by it.
func (r *serverKind) resolveWorkflows(ctx context.Context, srv *v1alpha1.TransferServer, at placement) (map[string]string, error) {
	names := transfer.WorkflowRefs(&srv.Spec)
	if len(names) == 0 {
		return nil, nil
	}
	ids := make(map[string]string, len(names))
	for _, name := range names {
		wf := &v1alpha1.TransferWorkflow{}
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: srv.Namespace, Name: name}, wf); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, waitingForMissing(nil, v1alpha1.ReasonWorkflowNotReady, eventWorkflowNotFound, r.Options.Resync,
					"waiting for TransferWorkflow %s, which does not exist in namespace %s: create it, or correct the workflowRef", name, srv.Namespace)
			}
			return nil, fmt.Errorf("reading TransferWorkflow %s: %w", name, err)
		}
		if !workflowUsable(wf) {
			return nil, waiting(v1alpha1.ReasonWorkflowNotReady, r.Options.Resync, "waiting for TransferWorkflow %s to be Ready", name)
		}
		wfRegion := cmp.Or(recordedRegion(wf.Status.Region, wf.Status.ARN), r.AWS.Resolve(wf.Spec.Region))
		if region := at.region; wfRegion != region {
			return nil, stalled(v1alpha1.ReasonInvalidSpec, "TransferWorkflow %s is in %s and the server in %s: a server runs only workflows of its own region", name, wfRegion, region)
		}
		if wf.Status.Account != at.account.name {
			return nil, stalled(v1alpha1.ReasonInvalidSpec, "TransferWorkflow %s is in %s and the server in %s: a server runs only workflows of its own account",
				name, accountName(wf.Status.Account), accountName(at.account.name))
		}
		ids[name] = wf.Status.WorkflowID
	}
	return ids, nil
}

// workflowUsable reports whether servers may run the workflow a TransferWorkflow records: it
// matches the current spec, and is Ready or only retiring the workflows it replaced.
func workflowUsable(wf *v1alpha1.TransferWorkflow) bool {
	if wf.Status.WorkflowID == "" || !wf.DeletionTimestamp.IsZero() {
		return false
	}
	if isReady(wf) {
		return true
	}
	c := meta.FindStatusCondition(wf.Status.Conditions, v1alpha1.ConditionReconciling)
	return c != nil && c.Status == metav1.ConditionTrue && c.Reason == v1alpha1.ReasonRetiringWorkflow && c.ObservedGeneration == wf.Generation
}

// workflowAvailabilityChanged passes the TransferWorkflow events that matter to the servers that
// reference it: it appears, disappears, becomes usable or not, or records another workflow.
var workflowAvailabilityChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		oldWf, newWf := e.ObjectOld.(*v1alpha1.TransferWorkflow), e.ObjectNew.(*v1alpha1.TransferWorkflow)
		return workflowUsable(oldWf) != workflowUsable(newWf) || oldWf.Status.WorkflowID != newWf.Status.WorkflowID
	},
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// accountName names an AWSAccount for a message; "" is the operator's own account.
func accountName(name string) string {
	if name == "" {
		return "the operator's own account"
	}
	return "AWSAccount " + name
}
