package controllers

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// What each kind reports under managementPolicy Observe (reconciler.observeOnly): its resource,
// read as Manage would read it, compared with the spec as Manage would compare it, without the
// operator's ownership tags (an observed resource is not the object's). Nothing is written to
// AWS, and nothing but a server is recorded in status (serverKind.report says why that is safe).

// report reads the server of status.serverId or spec.serverId and records what AWS reports in
// status, so that users and accesses can be observed on it; a later Manage adopts the server
// only as adoption allows, as it carries no tag of the object's (serverKind.observe).
func (r *serverKind) report(ctx context.Context, srv *v1alpha1.TransferServer, at placement, want serverWant) (observation, error) {
	id := cmp.Or(srv.Status.ServerID, srv.Spec.ServerID)
	if id == "" {
		return observation{}, nil
	}
	o, err := at.svc.ObserveServer(ctx, transfer.Recorded{ID: id})
	if err != nil || o.Resource == nil {
		return observation{what: "server " + id}, err
	}
	server := o.Resource
	recordServer(srv, server, at.region)
	desired := want.desired
	desired.OwnerTags = nil
	plan := transfer.PlanServer(desired, server, true)
	differs := slices.Concat(plan.Changed, plan.Immutable)
	online := server.State == transfer.StateOnline || server.State == transfer.StateStarting
	if (srv.Spec.State == v1alpha1.ServerOffline) == online {
		differs = append(differs, "state")
	}
	return observation{found: true, what: fmt.Sprintf("server %s (%s)", server.ID, server.State), differs: sortedFields(differs)}, nil
}

// report reads the user of the spec's name on the server it lives on.
func (r *userKind) report(ctx context.Context, usr *v1alpha1.TransferUser, at placement, want userWant) (observation, error) {
	what := fmt.Sprintf("user %s on server %s", want.UserName, at.serverID)
	user, err := at.svc.DescribeUser(ctx, at.serverID, want.UserName)
	switch {
	case transfer.IsNotFound(err):
		return observation{what: what}, nil
	case err != nil:
		return observation{}, err
	}
	want.OwnerTags = nil
	return observation{found: true, what: what, differs: sortedFields(transfer.PlanUser(want, user).Changed)}, nil
}

// report reads the access of the spec's group on the server it lives on.
func (r *accessKind) report(ctx context.Context, acc *v1alpha1.TransferAccess, at placement, want accessWant) (observation, error) {
	what := fmt.Sprintf("the access of %s to server %s", acc.Spec.ExternalID, at.serverID)
	access, err := at.svc.DescribeAccess(ctx, at.serverID, acc.Spec.ExternalID)
	switch {
	case transfer.IsNotFound(err):
		return observation{what: what}, nil
	case err != nil:
		return observation{}, err
	}
	return observation{found: true, what: what, differs: sortedFields(transfer.PlanAccess(want, access).Changed)}, nil
}

// report reads the workflow of status.workflowId or spec.workflowId.
func (r *workflowKind) report(ctx context.Context, wf *v1alpha1.TransferWorkflow, at placement, want workflowWant) (observation, error) {
	id := cmp.Or(wf.Status.WorkflowID, wf.Spec.WorkflowID)
	if id == "" {
		return observation{}, nil
	}
	o, err := at.svc.ObserveWorkflow(ctx, transfer.Recorded{ID: id})
	if err != nil || o.Resource == nil {
		return observation{what: "workflow " + id}, err
	}
	want.OwnerTags = nil
	plan := transfer.PlanWorkflow(want, o.Resource)
	differs := slices.Clone(plan.Replace)
	if len(plan.AddTags) > 0 || len(plan.RemoveTags) > 0 {
		differs = append(differs, "tags")
	}
	return observation{found: true, what: "workflow " + id, differs: sortedFields(differs)}, nil
}

// report reads the connector of status.connectorId or spec.connectorId.
func (r *connectorKind) report(ctx context.Context, con *v1alpha1.TransferConnector, at placement, want connectorWant) (observation, error) {
	id := cmp.Or(con.Status.ConnectorID, con.Spec.ConnectorID)
	if id == "" {
		return observation{}, nil
	}
	o, err := at.svc.ObserveConnector(ctx, transfer.Recorded{ID: id})
	if err != nil || o.Resource == nil {
		return observation{what: "connector " + id}, err
	}
	desired := want.desired
	desired.OwnerTags = nil
	plan := transfer.PlanConnector(desired, o.Resource)
	differs := slices.Clone(plan.Changed)
	if len(plan.AddTags) > 0 || len(plan.RemoveTags) > 0 {
		differs = append(differs, "tags")
	}
	return observation{found: true, what: fmt.Sprintf("connector %s (%s)", id, o.Resource.State), differs: sortedFields(differs)}, nil
}

// report is never called: an AWSAccount has no managementPolicy; it only reads anyway.
func (r *accountKind) report(context.Context, *v1alpha1.AWSAccount, placement, string) (observation, error) {
	return observation{found: true}, nil
}

// sortedFields returns fields sorted, without repeats.
func sortedFields(fields []string) []string {
	out := slices.Clone(fields)
	slices.Sort(out)
	return slices.Compact(out)
}
