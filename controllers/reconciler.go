package controllers

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// deps are what the steps of every kind use: the Kubernetes and AWS clients, the notifier and the
// kind's options.
type deps struct {
	Client client.Client
	// APIReader reads straight from the API server: Secrets, which are watched by metadata only
	// and so never held in the cache, and objects a retry needs fresh.
	APIReader client.Reader
	AWS       *transfer.Clients
	Notify    notifier
	Options   Options
	// Drift schedules the drift-detection passes of every kind.
	Drift *driftSchedule
	// OwnAccount is what objects in the operator's own account are granted.
	OwnAccount AccountPolicy
}

// newDeps returns the deps of one kind, from the manager's clients.
func newDeps(mgr ctrl.Manager, aws *transfer.Clients, opts Options, notify notifier, drift *driftSchedule, own AccountPolicy) deps {
	return deps{
		Client:     mgr.GetClient(),
		APIReader:  mgr.GetAPIReader(),
		AWS:        aws,
		Notify:     notify,
		Options:    opts.withDefaults(),
		Drift:      drift,
		OwnAccount: own,
	}
}

// kind is what one kind of object supplies to the pass all kinds share (reconciler): what the
// object asks for (D, with what it depends on), how to observe, create and update its AWS
// resource (R), and how to delete it. Fetching the object, its finalizer, the one status write
// and turning the outcome into conditions and a result are the pass's.
type kind[T passObject, D, R any] interface {
	// newObject returns an empty object to read into.
	newObject() T
	// logValues returns the keys that name obj's AWS resource in log lines.
	logValues(obj T) []any
	// watch adds the watches of what the kind depends on.
	watch(b *builder.Builder) *builder.Builder

	// desire resolves what obj asks for, including the objects and Secrets it depends on.
	desire(ctx context.Context, obj T) (D, error)
	// observe returns obj's resource in AWS; found is false when there is none to update: it was
	// never created, or was deleted outside the operator (which observe records in obj).
	observe(ctx context.Context, obj T, want D) (res R, found bool, err error)
	// create makes the resource. It returns a resource to compare with the spec (one it took
	// over instead of creating), or found false when what it made matches the spec. status
	// writes an intent before a call whose response could be lost.
	create(ctx context.Context, obj T, want D, status *statusPatcher) (res R, found bool, err error)
	// update makes the resource match want and records it in obj's status.
	update(ctx context.Context, obj T, want D, res R) error

	// applied returns the clearable spec fields that a pass that succeeds has applied.
	applied(obj T) []string
	// readyMessage says what Ready means for obj.
	readyMessage(obj T) string
	// comparePeriod is how long obj may wait for its next drift pass once its work is finished:
	// the resync period, or longer while something cheaper watches its drift (userSweep).
	comparePeriod(obj T) time.Duration

	// deletingMessage is the Reconciling message while obj is deleted.
	deletingMessage(obj T) string
	// delete deletes obj's resource in AWS, or leaves it (deletionPolicy Retain, another owner);
	// nil means that obj may be released.
	delete(ctx context.Context, obj T) error
}

// reconciler runs one pass for an object of any kind: read it; on deletion, delete its resource
// and release it; otherwise add the finalizer, converge and end the pass in one status write.
type reconciler[T passObject, D, R any] struct {
	deps
	name string
	kind kind[T, D, R]
}

// setup registers the reconciler and its watches with the manager: the objects themselves (spec
// changes and deletions only) and what the kind depends on.
func (r *reconciler[T, D, R]) setup(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr).For(r.kind.newObject(), builder.WithPredicates(specOrDeletionChanged))
	return r.kind.watch(b).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles}).
		Named(r.name).
		Complete(r)
}

// Reconcile brings one object and its AWS resource together. The AWS requests of the pass are
// counted, so that the next drift pass is scheduled within the drift budget (scheduleDrift).
func (r *reconciler[T, D, R]) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := r.kind.newObject()
	if err := r.Client.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithValues(r.kind.logValues(obj)...))
	ctx, calls := transfer.CountCalls(ctx)
	drift := settled(obj)
	result, err := r.pass(ctx, obj)
	return scheduleDrift(ctx, r.Drift, r.name, calls, drift, result), err
}

// pass runs one pass for obj: deletion, or the finalizer and convergence.
func (r *reconciler[T, D, R]) pass(ctx context.Context, obj T) (ctrl.Result, error) {
	status := newStatusPatcher(r.Client, obj)
	if !obj.GetDeletionTimestamp().IsZero() {
		return r.finalize(ctx, obj, status)
	}
	if err := addFinalizer(ctx, r.Client, r.APIReader, obj); err != nil {
		return ctrl.Result{}, err
	}
	err := r.converge(ctx, obj, status)
	return endPass(ctx, status, r.Notify, obj, r.kind.applied(obj), err, r.kind.readyMessage(obj), r.kind.comparePeriod(obj))
}

// converge makes AWS match obj: it resolves what obj asks for, then updates the resource it
// observes, or creates one.
func (r *reconciler[T, D, R]) converge(ctx context.Context, obj T, status *statusPatcher) error {
	want, err := r.kind.desire(ctx, obj)
	if err != nil {
		return err
	}
	res, found, err := r.kind.observe(ctx, obj, want)
	if err != nil {
		return err
	}
	if !found {
		if res, found, err = r.kind.create(ctx, obj, want, status); err != nil || !found {
			return err
		}
	}
	return r.kind.update(ctx, obj, want, res)
}

// finalize deletes obj's resource and releases obj. An object the last pass found to be refused
// (its resource is another live object's) is released without touching AWS, and keeps the
// Stalled condition that says so until it is gone.
func (r *reconciler[T, D, R]) finalize(ctx context.Context, obj T, status *statusPatcher) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, Finalizer) {
		return ctrl.Result{}, nil
	}
	if refusal := ownedByAnotherAtLastPass(obj); refusal != "" {
		r.Notify.normal(ctx, obj, eventRetained, "left the resource in AWS: %s", refusal)
		return ctrl.Result{}, removeFinalizer(ctx, r.Client, r.APIReader, obj)
	}
	if err := markDeleting(ctx, status, obj, r.kind.deletingMessage(obj)); err != nil {
		return ctrl.Result{}, err
	}
	err := r.kind.delete(ctx, obj)
	if err == nil {
		if err = removeFinalizer(ctx, r.Client, r.APIReader, obj); err == nil {
			return ctrl.Result{}, nil
		}
	}
	return endDeletePass(ctx, status, r.Notify, obj, err, r.Options.Resync)
}
