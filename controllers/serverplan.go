package controllers

import (
	"context"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// convergePlan sends what PlanServer finds different from the spec (UpdateServer, tags). A
// field AWS cannot change stalls the pass.
func (r *serverKind) convergePlan(ctx context.Context, srv *v1alpha1.TransferServer, want serverWant, server *transfer.Server) error {
	want.desired.CreatedWithSpec = srv.Generation == srv.Status.CreatedGeneration
	plan := transfer.PlanServer(want.desired, server, srv.Generation != srv.Status.ObservedGeneration)
	if len(plan.Immutable) > 0 {
		return stalled(v1alpha1.ReasonInvalidSpec, "%s differs from the server in AWS and cannot be changed: create a new TransferServer", fieldList(plan.Immutable))
	}
	if plan.InSync() {
		return nil
	}
	return r.apply(ctx, srv, want, server, plan)
}

// apply sends the plan (transfer.Service.ApplyServerPlan owns the order of the calls) and says
// what it did; a server stopped for an offline-only change is waited for.
func (r *serverKind) apply(ctx context.Context, srv *v1alpha1.TransferServer, want serverWant, server *transfer.Server, plan transfer.ServerPlan) error {
	reason := changeEvent(srv, srv.Status.ObservedGeneration)
	stopped, err := want.at.svc.ApplyServerPlan(ctx, server, plan)
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
