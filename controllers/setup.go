package controllers

import (
	"context"
	"errors"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
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

// Setup registers the cache indexes, the reconcilers and the transfer_operator_objects metric
// with the manager. TransferAccesses, which live on a server as users do, take the users' options;
// TransferWorkflows, resources of their own in a region like servers, the servers'.
func Setup(ctx context.Context, mgr manager.Manager, aws *transfer.Clients, servers, users Options) error {
	if err := setupIndexes(ctx, mgr); err != nil {
		return err
	}
	if err := newServerReconciler(newDeps(mgr, aws, servers)).setup(mgr); err != nil {
		return fmt.Errorf("setting up the TransferServer controller: %w", err)
	}
	if err := newUserReconciler(newDeps(mgr, aws, users)).setup(mgr); err != nil {
		return fmt.Errorf("setting up the TransferUser controller: %w", err)
	}
	if err := newAccessReconciler(newDeps(mgr, aws, users)).setup(mgr); err != nil {
		return fmt.Errorf("setting up the TransferAccess controller: %w", err)
	}
	if err := newWorkflowReconciler(newDeps(mgr, aws, servers)).setup(mgr); err != nil {
		return fmt.Errorf("setting up the TransferWorkflow controller: %w", err)
	}
	if err := registerObjectsCollector(mgr); err != nil {
		return fmt.Errorf("registering the objects metric: %w", err)
	}
	return nil
}

// setupIndexes registers the field indexes the reconcilers and their watches use.
func setupIndexes(ctx context.Context, mgr manager.Manager) error {
	indexer := mgr.GetFieldIndexer()
	return errors.Join(
		indexer.IndexField(ctx, &v1alpha1.TransferUser{}, indexUserServerRef, func(o client.Object) []string {
			if ref := o.(*v1alpha1.TransferUser).Spec.ServerRef; ref != nil {
				return []string{ref.Name}
			}
			return nil
		}),
		indexer.IndexField(ctx, &v1alpha1.TransferAccess{}, indexAccessServerRef, func(o client.Object) []string {
			if ref := o.(*v1alpha1.TransferAccess).Spec.ServerRef; ref != nil {
				return []string{ref.Name}
			}
			return nil
		}),
		indexer.IndexField(ctx, &v1alpha1.TransferAccess{}, indexAccessInAWS, func(o client.Object) []string {
			if s := o.(*v1alpha1.TransferAccess).Status; s.ServerID != "" {
				return []string{accessKey(s.Region, s.ServerID, s.ExternalID)}
			}
			return nil
		}),
		indexer.IndexField(ctx, &v1alpha1.TransferServer{}, indexServerHostKeySecret, func(o client.Object) []string {
			return hostKeySecretNames(&o.(*v1alpha1.TransferServer).Spec)
		}),
		indexer.IndexField(ctx, &v1alpha1.TransferServer{}, indexServerWorkflowRef, func(o client.Object) []string {
			return transfer.WorkflowRefs(&o.(*v1alpha1.TransferServer).Spec)
		}),
	)
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

// requestsFor returns a request for each object.
func requestsFor[T any, PT interface {
	*T
	client.Object
}](items []T) []reconcile.Request {
	out := make([]reconcile.Request, 0, len(items))
	for i := range items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(PT(&items[i]))})
	}
	return out
}
