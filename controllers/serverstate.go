package controllers

import (
	"context"
	"strings"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// awaitSteadyState ends the pass while the server changes state (waited for) or failed to
// (stalled): AWS changes nothing else meanwhile.
func (r *serverKind) awaitSteadyState(_ context.Context, srv *v1alpha1.TransferServer, _ serverWant, server *transfer.Server) error {
	switch server.State {
	case transfer.StateStartFailed, transfer.StateStopFailed:
		return stalled(v1alpha1.ReasonServerFailed, "the server is in state %s; fix it in AWS (or delete it to have it recreated)", server.State)
	case transfer.StateStarting, transfer.StateStopping:
		return waiting(stateReason(server.State), r.Options.pollAfter(srv), "the server is %s", strings.ToLower(server.State))
	}
	return nil
}

// convergeState starts or stops the server as spec.state asks.
func (r *serverKind) convergeState(ctx context.Context, srv *v1alpha1.TransferServer, w serverWant, server *transfer.Server) error {
	svc := w.at.svc
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

func stateReason(state string) string {
	if state == transfer.StateStopping {
		return v1alpha1.ReasonStopping
	}
	return v1alpha1.ReasonStarting
}
