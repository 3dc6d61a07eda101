package controllers

import (
	"context"
	"errors"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// kindEntry is one kind of object the operator reconciles, as everything outside its own file
// sees it: Setup starts its reconciler and registers its indexes, the AWSAccount reconciler
// waits for its objects, ownership looks owners up by it, and transfer_operator_objects counts
// it. Adding a kind is adding its file and a line to kinds.
type kindEntry struct {
	// name is the kind, as ownership tags and metrics name it.
	name    string
	newObj  func() client.Object
	newList func() client.ObjectList
	// placed says that its objects record a placement (an AWSAccount among it) in status.
	placed bool
	// options picks its reconciler's options: those of servers or of users (Config).
	options func(Config) Options
	// start returns its reconciler, to be set up with the manager.
	start func(d deps, s *shared) interface{ setup(ctrl.Manager) error }
	// indexes registers the cache indexes its reconciler and its watches use.
	indexes func(ctx context.Context, mgr ctrl.Manager) error
}

// shared is what the reconcilers of several kinds share.
type shared struct {
	// sweep lists servers' users to watch their drift (TransferUser).
	sweep *userSweep
}

func serverOptions(c Config) Options { return c.Servers }
func userOptions(c Config) Options   { return c.Users }

// kinds are the kinds the operator reconciles.
var kinds = []kindEntry{
	{
		name: "TransferServer", placed: true, options: serverOptions,
		newObj: func() client.Object { return &v1alpha1.TransferServer{} }, newList: newServerList,
		start:   func(d deps, _ *shared) interface{ setup(ctrl.Manager) error } { return newServerReconciler(d) },
		indexes: serverIndexes,
	},
	{
		name: "TransferUser", placed: true, options: userOptions,
		newObj:  func() client.Object { return &v1alpha1.TransferUser{} },
		newList: func() client.ObjectList { return &v1alpha1.TransferUserList{} },
		start:   func(d deps, s *shared) interface{ setup(ctrl.Manager) error } { return newUserReconciler(d, s.sweep) },
		indexes: userIndexes,
	},
	{
		name: "TransferAccess", placed: true, options: userOptions,
		newObj:  func() client.Object { return &v1alpha1.TransferAccess{} },
		newList: func() client.ObjectList { return &v1alpha1.TransferAccessList{} },
		start:   func(d deps, _ *shared) interface{ setup(ctrl.Manager) error } { return newAccessReconciler(d) },
		indexes: accessIndexes,
	},
	{
		name: "TransferWorkflow", placed: true, options: serverOptions,
		newObj:  func() client.Object { return &v1alpha1.TransferWorkflow{} },
		newList: func() client.ObjectList { return &v1alpha1.TransferWorkflowList{} },
		start:   func(d deps, _ *shared) interface{ setup(ctrl.Manager) error } { return newWorkflowReconciler(d) },
	},
	{
		name: "TransferConnector", placed: true, options: serverOptions,
		newObj: func() client.Object { return &v1alpha1.TransferConnector{} }, newList: newConnectorList,
		start:   func(d deps, _ *shared) interface{ setup(ctrl.Manager) error } { return newConnectorReconciler(d) },
		indexes: connectorIndexes,
	},
	{
		name: "AWSAccount", options: serverOptions,
		newObj:  func() client.Object { return &v1alpha1.AWSAccount{} },
		newList: func() client.ObjectList { return &v1alpha1.AWSAccountList{} },
		start:   func(d deps, _ *shared) interface{ setup(ctrl.Manager) error } { return newAccountReconciler(d) },
	},
}

// placedKinds are the kinds whose objects record a placement.
func placedKinds() []kindEntry {
	var out []kindEntry
	for _, k := range kinds {
		if k.placed {
			out = append(out, k)
		}
	}
	return out
}

// kindNamed returns the kind called name, or false.
func kindNamed(name string) (kindEntry, bool) {
	for _, k := range kinds {
		if k.name == name {
			return k, true
		}
	}
	return kindEntry{}, false
}

// placedObject is an object whose status records a placement.
type placedObject interface {
	client.Object
	GetPlacement() *v1alpha1.Placement
}

// setupIndexes registers the field indexes of every kind, and indexAccount of the placed ones.
func setupIndexes(ctx context.Context, mgr ctrl.Manager) error {
	var errs []error
	for _, k := range kinds {
		if k.indexes != nil {
			errs = append(errs, k.indexes(ctx, mgr))
		}
		if k.placed {
			errs = append(errs, mgr.GetFieldIndexer().IndexField(ctx, k.newObj(), indexAccount, recordedAccountIndex))
		}
	}
	return errors.Join(errs...)
}
