package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// Where an object's AWS resource lives (its placement: region, account, and for users and
// accesses the server) is decided by the pass every kind shares, never by a kind: a kind says
// what decides it (site), the pass resolves it (place), records it in status.Placement with the
// resource, notes LocationChanged when today's mapping differs, and deletes where it recorded.

// site is what decides where an object's resource lives, as its spec and status say it.
type site struct {
	// placement is what the object's status records: empty until its resource was created or
	// adopted, or its create intent written.
	placement *v1alpha1.Placement
	// what names the resource in LocationChanged messages: "the server".
	what string
	// specRegion and specAccount are spec.region and spec.account.
	specRegion, specAccount string
	// arn is the resource's recorded ARN, whose region and account are those of objects written
	// before status.region and status.accountId existed.
	arn string
	// serverRef is the TransferServer of the namespace a user or access lives on; serverID the
	// server spec.serverId names instead.
	serverRef *v1alpha1.LocalObjectReference
	serverID  string
	// recordedServerID is the server a user or access is recorded on; deletion goes there.
	recordedServerID string
}

// recordedRegion is the region recorded for the resource, "" before anything was.
func (s site) recordedRegion() string { return recordedRegion(s.placement.Region, s.arn) }

// accountPlace says what decides the resource's account.
func (s site) accountPlace(namespace string) accountPlace {
	return accountPlace{
		namespace: namespace, specAccount: s.specAccount, recorded: s.recordedRegion() != "",
		recordedName: s.placement.Account, recordedID: recordedAccountID(s.placement.AccountID, s.arn),
	}
}

// placement is where an object's resource lives, resolved, with the Service that acts there.
type placement struct {
	svc     *transfer.Service
	account accountChoice
	region  string
	// serverID and serverARN are the server a user or access lives on ("" for other kinds;
	// serverARN is known only for a TransferServer's server).
	serverID, serverARN string
}

// accountID returns the account ID to record for a resource of this placement whose ARN is arn:
// the AWSAccount role's, or for the operator's own credentials the account of the resource's
// ARN, or of the server it lives on.
func (at placement) accountID(arn string) string {
	return cmp.Or(at.account.id, transfer.AccountOfARN(arn), transfer.AccountOfARN(at.serverARN))
}

// record writes the placement into status, with the account ID of arn (accountID).
func (at placement) record(p *v1alpha1.Placement, arn string) {
	*p = v1alpha1.Placement{Region: at.region, Account: at.account.name, AccountID: at.accountID(arn)}
}

// errNoServer says that an object has no server to live on: its TransferServer does not exist
// or has no server in AWS yet.
var errNoServer = errors.New("no server")

// errNothingPlaced says, at deletion, that the object has nowhere its resource could have been
// made: no region, or no server to live on.
var errNothingPlaced = errors.New("nothing was placed")

// place resolves where obj's resource lives. A recorded placement is where it stays; before
// that, a user or access lives on its TransferServer's server (which must be Ready) or the one
// spec.serverId names, and any other resource in spec.region (or the default region) of the
// account spec.account or the namespace's AWSAccount chooses, within what that account allows
// (regionAllowed). LocationChanged is noted when today's mapping differs from what was recorded.
func (d deps) place(ctx context.Context, obj conditionsObject, s site) (placement, error) {
	if s.serverRef != nil && s.serverID == "" {
		return d.placeOnServer(ctx, obj.GetNamespace(), s.serverRef.Name, true)
	}
	account, today, err := d.account(ctx, s.accountPlace(obj.GetNamespace()))
	if err != nil {
		return placement{}, err
	}
	recorded := s.recordedRegion()
	region := cmp.Or(recorded, d.AWS.Resolve(s.specRegion))
	noteLocation(obj, s.what, recorded, d.AWS.Resolve(s.specRegion))
	noteAccount(obj, s.what, account, today)
	if recorded == "" {
		// A resource not placed yet goes only to a region its account serves, so that whoever
		// edits a namespace cannot make the operator build clients, rate limiters and metric
		// series for any region; one recorded stays managed where it lives.
		if err := d.regionAllowed(account, region); err != nil {
			return placement{}, err
		}
	}
	svc, err := d.service(account, region)
	if err != nil {
		return placement{}, err
	}
	return placement{svc: svc, account: account, region: region, serverID: s.serverID}, nil
}

// placeForDeletion resolves where obj's resource was made: the recorded placement, or, for a
// create whose intent was not recorded (a user, whose CreateUser may have been answered with a
// lost response), where the pass would have made it. errNothingPlaced says there is nowhere.
func (d deps) placeForDeletion(ctx context.Context, obj conditionsObject, s site) (placement, error) {
	if s.recordedRegion() == "" && s.serverRef != nil && s.serverID == "" {
		at, err := d.placeOnServer(ctx, obj.GetNamespace(), s.serverRef.Name, false)
		if errors.Is(err, errNoServer) {
			return placement{}, errNothingPlaced
		}
		return at, err
	}
	account, _, err := d.account(ctx, s.accountPlace(obj.GetNamespace()))
	if err != nil {
		return placement{}, err
	}
	region := d.AWS.Resolve(cmp.Or(s.recordedRegion(), s.specRegion))
	if region == "" {
		return placement{}, errNothingPlaced
	}
	svc, err := d.service(account, region)
	if err != nil {
		return placement{}, err
	}
	return placement{svc: svc, account: account, region: region, serverID: cmp.Or(s.recordedServerID, s.serverID)}, nil
}

// placeOnServer returns the placement of the server of TransferServer name: its recorded region
// and account, and the server, which must be Ready when mustBeReady is set. Without a server
// the error is a waitError that wraps errNoServer.
func (d deps) placeOnServer(ctx context.Context, namespace, name string, mustBeReady bool) (placement, error) {
	srv := &v1alpha1.TransferServer{}
	if err := d.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, srv); err != nil {
		if apierrors.IsNotFound(err) {
			return placement{}, waitingForMissing(errNoServer, v1alpha1.ReasonServerNotReady, eventServerNotFound, d.Options.Resync,
				"waiting for TransferServer %s, which does not exist in namespace %s: create it, or correct spec.serverRef.name", name, namespace)
		}
		return placement{}, fmt.Errorf("reading TransferServer %s: %w", name, err)
	}
	if srv.Status.ServerID == "" {
		return placement{}, waitingFor(errNoServer, v1alpha1.ReasonServerNotReady, d.Options.Resync, "waiting for TransferServer %s to be Ready", name)
	}
	if mustBeReady && !isReady(srv) {
		return placement{}, waiting(v1alpha1.ReasonServerNotReady, d.Options.Resync, "waiting for TransferServer %s to be Ready", name)
	}
	s := serverSite(srv)
	account, _, err := d.account(ctx, s.accountPlace(namespace))
	if err != nil {
		return placement{}, err
	}
	region := cmp.Or(s.recordedRegion(), d.AWS.Resolve(srv.Spec.Region))
	svc, err := d.service(account, region)
	if err != nil {
		return placement{}, err
	}
	return placement{svc: svc, account: account, region: region, serverID: srv.Status.ServerID, serverARN: srv.Status.ARN}, nil
}

// service returns the Service of an account and region.
func (d deps) service(account accountChoice, region string) (*transfer.Service, error) {
	svc, err := d.AWS.For(account.account, region)
	if errors.Is(err, transfer.ErrNoRegion) {
		return nil, stalled(v1alpha1.ReasonInvalidSpec, "%v", err)
	}
	return svc, err
}
