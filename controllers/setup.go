package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// Field indexes of the cache.
const (
	// indexUserServerRef indexes TransferUsers by spec.serverRef.name.
	indexUserServerRef = "spec.serverRef.name"
	// indexServerHostKeySecret indexes TransferServers by the Secrets of their host keys:
	// spec.hostKeySecretRef.name and spec.hostKeys[*].secretRef.name.
	indexServerHostKeySecret = "spec.hostKeySecretRef.name"
	// indexAccessServerRef indexes TransferAccesses by spec.serverRef.name.
	indexAccessServerRef = "spec.serverRef.name"
	// indexAccessInAWS indexes TransferAccesses by the access they recorded (accessKey).
	indexAccessInAWS = "status.access"
	// indexServerWorkflowRef indexes TransferServers by the workflowRef names of
	// spec.workflowDetails.
	indexServerWorkflowRef = "spec.workflowDetails.workflowRef.name"
)

// Config configures the reconcilers of every kind.
type Config struct {
	// Servers are the options of TransferServers and of TransferWorkflows, resources of their own
	// in a region like servers.
	Servers Options
	// Users are the options of TransferUsers and of TransferAccesses, which live on a server as
	// users do.
	Users Options
	// DriftBudget is the AWS requests per second, per region, that drift detection may use
	// (docs/benchmarks.md); zero or less leaves it unbounded.
	DriftBudget float64
	// FullComparePeriod is the longest a user whose drift a listing of its server watches
	// (userSweep) waits for a full comparison with AWS; not longer than the users' resync
	// period turns the listings off.
	FullComparePeriod time.Duration
	// OwnAccount is what objects in the operator's own account are granted: the regions they
	// may place resources in and whether they may adopt.
	OwnAccount AccountPolicy
}

// Setup registers the cache indexes, the reconciler of every kind (kinds) and the
// transfer_operator_objects metric with the manager. Each kind takes the options of servers or
// of users (Config).
func Setup(ctx context.Context, mgr manager.Manager, aws *transfer.Clients, cfg Config) error {
	if err := setupIndexes(ctx, mgr); err != nil {
		return err
	}
	drift := newDriftSchedule(cfg.DriftBudget, cfg.Servers.withDefaults().Clock)
	notify, err := newNotifier(mgr)
	if err != nil {
		return err
	}
	users := newDeps(mgr, aws, cfg.Users, notify, drift, cfg.OwnAccount)
	sh := &shared{sweep: newUserSweep(drift, users.Options, cfg.FullComparePeriod)}
	if err := mgr.Add(manager.RunnableFunc(sh.sweep.run)); err != nil {
		return fmt.Errorf("adding the sweep of users: %w", err)
	}
	for _, k := range kinds {
		d := newDeps(mgr, aws, k.options(cfg), notify, drift, cfg.OwnAccount)
		if err := k.start(d, sh).setup(mgr); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", k.name, err)
		}
	}
	if err := registerObjectsCollector(mgr); err != nil {
		return fmt.Errorf("registering the objects metric: %w", err)
	}
	return nil
}

// serverIndexes indexes TransferServers by the Secrets of their host keys and the
// TransferWorkflows they reference.
func serverIndexes(ctx context.Context, mgr manager.Manager) error {
	indexer := mgr.GetFieldIndexer()
	return errors.Join(
		indexer.IndexField(ctx, &v1alpha1.TransferServer{}, indexServerHostKeySecret, func(o client.Object) []string {
			return hostKeySecretNames(&o.(*v1alpha1.TransferServer).Spec)
		}),
		indexer.IndexField(ctx, &v1alpha1.TransferServer{}, indexServerWorkflowRef, func(o client.Object) []string {
			return transfer.WorkflowRefs(&o.(*v1alpha1.TransferServer).Spec)
		}),
	)
}

// userIndexes indexes TransferUsers by their TransferServer.
func userIndexes(ctx context.Context, mgr manager.Manager) error {
	return mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.TransferUser{}, indexUserServerRef, func(o client.Object) []string {
		return serverRefName(o.(*v1alpha1.TransferUser).Spec.ServerRef)
	})
}

// accessIndexes indexes TransferAccesses by their TransferServer and by the access they recorded.
func accessIndexes(ctx context.Context, mgr manager.Manager) error {
	indexer := mgr.GetFieldIndexer()
	return errors.Join(
		indexer.IndexField(ctx, &v1alpha1.TransferAccess{}, indexAccessServerRef, func(o client.Object) []string {
			return serverRefName(o.(*v1alpha1.TransferAccess).Spec.ServerRef)
		}),
		indexer.IndexField(ctx, &v1alpha1.TransferAccess{}, indexAccessInAWS, func(o client.Object) []string {
			if s := o.(*v1alpha1.TransferAccess).Status; s.ServerID != "" {
				return []string{accessKey(s.Region, s.ServerID, s.ExternalID)}
			}
			return nil
		}),
	)
}

// serverRefName returns the name a serverRef names, as an index value.
func serverRefName(ref *v1alpha1.LocalObjectReference) []string {
	if ref != nil {
		return []string{ref.Name}
	}
	return nil
}

// recordedAccountIndex indexes an object by the AWSAccount its status records.
func recordedAccountIndex(o client.Object) []string {
	if name := recordedAccountName(o); name != "" {
		return []string{name}
	}
	return nil
}

// serverOfUser maps a TransferUser to the TransferServer it references.
func serverOfUser(_ context.Context, o client.Object) []reconcile.Request {
	return serverRequest(o, o.(*v1alpha1.TransferUser).Spec.ServerRef)
}

// serverOfAccess maps a TransferAccess to the TransferServer it references.
func serverOfAccess(_ context.Context, o client.Object) []reconcile.Request {
	return serverRequest(o, o.(*v1alpha1.TransferAccess).Spec.ServerRef)
}

func serverRequest(o client.Object, ref *v1alpha1.LocalObjectReference) []reconcile.Request {
	if ref == nil {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: ref.Name}}}
}

// referencing returns the map function of a watch: for an object that changed, the objects of
// newList's kind in its namespace whose field index names it.
func referencing(c client.Reader, index string, newList func() client.ObjectList) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		list := newList()
		if err := c.List(ctx, list, client.InNamespace(o.GetNamespace()), client.MatchingFields{index: o.GetName()}); err != nil {
			log.FromContext(ctx).Error(err, "listing the objects that reference a changed object", "index", index, "name", o.GetName())
			return nil
		}
		var out []reconcile.Request
		_ = meta.EachListItem(list, func(obj runtime.Object) error {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj.(client.Object))})
			return nil
		})
		return out
	}
}

func newServerList() client.ObjectList { return &v1alpha1.TransferServerList{} }
