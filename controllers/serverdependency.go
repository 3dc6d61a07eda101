package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// Users and accesses live on a server: a TransferServer's in their namespace (serverRef), or
// one the operator does not manage (serverId). This file finds it.

// serverPlace says which server an object lives on, as its spec and status say it.
type serverPlace struct {
	namespace string
	ref       *v1alpha1.LocalObjectReference
	serverID  string
	// specRegion is spec.region, for a server given by ID; recordedRegion the region recorded
	// for the object, "" before anything was.
	specRegion, recordedRegion string
	// account decides the account of a server given by ID.
	account accountPlace
}

// serverTarget is where an object lives in AWS.
type serverTarget struct {
	serverID  string
	serverARN string
	region    string
	account   accountChoice
	// today is the account a server given by ID resolves to today, for LocationChanged.
	today *accountChoice
	// placed is true when the region was decided before: recorded for the object, or that of
	// its TransferServer.
	placed bool
}

// errNoServer says that an object has no server to live on: its TransferServer does not exist
// or has no server in AWS yet.
var errNoServer = errors.New("no server")

// resolveServer finds where an object lives: the server of its TransferServer, in the region and
// account recorded for that server, which must be Ready when mustBeReady is set; or the server
// named by spec.serverId, in the region and account recorded for the object or, before that,
// spec.region or the operator's default region and the account chooseAccount picks. Without a
// server the error is a waitError that wraps errNoServer.
func (d deps) resolveServer(ctx context.Context, p serverPlace, mustBeReady bool) (serverTarget, error) {
	if p.serverID != "" {
		account, today, err := d.account(ctx, p.account)
		if err != nil {
			return serverTarget{}, err
		}
		return serverTarget{serverID: p.serverID, region: cmp.Or(p.recordedRegion, d.AWS.Resolve(p.specRegion)), account: account, today: today, placed: p.recordedRegion != ""}, nil
	}
	name := p.ref.Name
	srv := &v1alpha1.TransferServer{}
	if err := d.Client.Get(ctx, client.ObjectKey{Namespace: p.namespace, Name: name}, srv); err != nil {
		if apierrors.IsNotFound(err) {
			return serverTarget{}, waitingForMissing(errNoServer, v1alpha1.ReasonServerNotReady, eventServerNotFound, d.Options.Resync,
				"waiting for TransferServer %s, which does not exist in namespace %s: create it, or correct spec.serverRef.name", name, p.namespace)
		}
		return serverTarget{}, fmt.Errorf("reading TransferServer %s: %w", name, err)
	}
	if srv.Status.ServerID == "" {
		return serverTarget{}, waitingFor(errNoServer, v1alpha1.ReasonServerNotReady, d.Options.Resync, "waiting for TransferServer %s to be Ready", name)
	}
	if mustBeReady && !isReady(srv) {
		return serverTarget{}, waiting(v1alpha1.ReasonServerNotReady, d.Options.Resync, "waiting for TransferServer %s to be Ready", name)
	}
	account, _, err := d.account(ctx, accountPlace{
		namespace: srv.Namespace, recorded: true,
		recordedName: srv.Status.Account, recordedID: recordedAccountID(srv.Status.AccountID, srv.Status.ARN),
	})
	if err != nil {
		return serverTarget{}, err
	}
	return serverTarget{
		serverID:  srv.Status.ServerID,
		serverARN: srv.Status.ARN,
		region:    cmp.Or(recordedRegion(srv.Status.Region, srv.Status.ARN), d.AWS.Resolve(srv.Spec.Region)),
		account:   account,
		placed:    true,
	}, nil
}
