package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
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
// object asks for (D), how to observe, create and update its AWS resource (R), and how to delete
// it. Fetching the object, its finalizer, where its resource lives (placement), deletionPolicy,
// the one status write and turning the outcome into conditions and a result are the pass's.
type kind[T passObject, D, R any] interface {
	// newObject returns an empty object to read into.
	newObject() T
	// logValues returns the keys that name obj's AWS resource in log lines.
	logValues(obj T) []any
	// watch adds the watches of what the kind depends on.
	watch(b *builder.Builder) *builder.Builder

	// site says what decides where obj's resource lives; nil for a kind with no AWS resource of
	// its own (AWSAccount).
	site(obj T) *site
	// recorded reports whether obj's status records a resource, or the intent to create one.
	recorded(obj T) bool
	// desire resolves what obj asks for at its placement, including the objects and Secrets it
	// depends on. It reads; it never writes to AWS.
	desire(ctx context.Context, obj T, at placement) (D, error)
	// observe returns obj's resource in AWS; found is false when there is none to update: it was
	// never created, or was deleted outside the operator (which observe records in obj). It only
	// reads AWS; what must change there is create's or update's.
	observe(ctx context.Context, obj T, at placement, want D) (res R, found bool, err error)
	// create makes the resource. It returns a resource to compare with the spec (one it took
	// over instead of creating), or found false when what it made matches the spec. status
	// writes an intent (with the placement, which the pass has set) before a call whose
	// response could be lost.
	create(ctx context.Context, obj T, at placement, want D, status *statusPatcher) (res R, found bool, err error)
	// update makes the resource match want and records it in obj's status.
	update(ctx context.Context, obj T, at placement, want D, res R) error
	// report reads obj's resource for managementPolicy Observe, without writing to AWS and
	// without recording it as obj's (a later Manage adopts it only as adoption allows).
	report(ctx context.Context, obj T, at placement, want D) (observation, error)

	// applied returns the clearable spec fields that a pass that succeeds has applied.
	applied(obj T) []string
	// readyMessage says what Ready means for obj.
	readyMessage(obj T) string
	// comparePeriod is how long obj may wait for its next drift pass once its work is finished:
	// the resync period, or longer while something cheaper watches its drift (userSweep).
	comparePeriod(obj T) time.Duration

	// resource names obj's resource in Events: "server s-1234".
	resource(obj T) string
	// deletingMessage is the Reconciling message while obj is deleted.
	deletingMessage(obj T) string
	// awaitDependents returns a waitError while objects that use obj's resource still exist;
	// they go first.
	awaitDependents(ctx context.Context, obj T) error
	// mayExist reports, at deletion, whether obj may have made or adopted a resource: what it
	// recorded, or, for a kind whose create writes no intent, one a lost response made.
	mayExist(obj T) bool
	// delete deletes obj's resource at the placement it was made in; a resource another live
	// object manages is left alone. nil means that obj may be released.
	delete(ctx context.Context, obj T, at placement) error
}

// observation is what report found: whether the resource exists, what names it in the Ready
// message ("server s-1234 (ONLINE)"; for a resource that does not exist, what was looked for,
// "" when nothing names one), and the spec fields that differ from it, which Manage would change.
type observation struct {
	found   bool
	what    string
	differs []string
}

// observable is an object whose spec.managementPolicy may make the pass only read AWS.
type observable interface {
	GetManagementPolicy() v1alpha1.ManagementPolicy
}

// observing reports whether obj's managementPolicy is Observe.
func observing(obj any) bool {
	o, ok := obj.(observable)
	return ok && o.GetManagementPolicy() == v1alpha1.ManagementPolicyObserve
}

// retainable is an object whose spec.deletionPolicy may keep its resource in AWS.
type retainable interface {
	GetDeletionPolicy() v1alpha1.DeletionPolicy
}

// reconciler runs one pass for an object of any kind: read it; on deletion, delete its resource
// and release it; otherwise add the finalizer and converge; then end the pass in one status write.
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
	status := newStatusPatcher(r.Client, obj)
	p := pass{deleting: !obj.GetDeletionTimestamp().IsZero(), paused: paused(obj), drift: drift, calls: calls}
	if p.deleting && !controllerutil.ContainsFinalizer(obj, Finalizer) {
		return ctrl.Result{}, nil
	}
	var err error
	switch {
	case p.paused:
	case p.deleting:
		var released bool
		if released, err = r.finalize(ctx, obj, status); released {
			return ctrl.Result{}, nil
		}
	default:
		err = r.converge(ctx, obj, status, &p)
	}
	return r.end(ctx, obj, status, p, err)
}

// pass is what end needs to know of the pass it ends.
type pass struct {
	// deleting says that the pass was one of deletion.
	deleting bool
	// paused says that obj carries v1alpha1.PausedAnnotation: the pass does nothing but say so.
	paused bool
	// drift says that the pass was a drift pass (settled); calls counts its AWS requests.
	drift bool
	calls *transfer.CallCount
	// observed is the Ready message of a pass that only read AWS (managementPolicy Observe).
	observed string
}

// pausedMessage is the message of the Paused condition.
const pausedMessage = "reconciliation is paused by the annotation " + v1alpha1.PausedAnnotation + `: "true": nothing is read from or written to AWS, and a deleted object keeps its resource and its finalizer, until the annotation is removed`

// converge makes AWS match obj: it resolves where obj's resource lives and what obj asks for,
// then updates the resource it observes, or creates one. The placement is recorded in status
// with the resource, and forgotten when nothing is recorded.
func (r *reconciler[T, D, R]) converge(ctx context.Context, obj T, status *statusPatcher, p *pass) error {
	if err := addFinalizer(ctx, r.Client, r.APIReader, obj); err != nil {
		return err
	}
	s := r.kind.site(obj)
	var at placement
	if s != nil {
		var err error
		if at, err = r.place(ctx, obj, *s); err != nil {
			return err
		}
		defer r.recordPlacement(obj, at)
	}
	want, err := r.kind.desire(ctx, obj, at)
	if err != nil {
		return err
	}
	if observing(obj) {
		return r.observeOnly(ctx, obj, at, want, p)
	}
	removeCondition(obj, v1alpha1.ConditionDrifted)
	res, found, err := r.kind.observe(ctx, obj, at, want)
	if err != nil {
		return err
	}
	if !found {
		if s != nil {
			at.record(s.placement, s.arn)
		}
		if res, found, err = r.kind.create(ctx, obj, at, want, status); err != nil || !found {
			return err
		}
	}
	return r.kind.update(ctx, obj, at, want, res)
}

// observeOnly reads obj's resource for managementPolicy Observe and reports it: the Drifted
// condition lists the fields that differ from the spec, and the Ready message (p.observed) names
// the resource. A resource that does not exist stalls the object: Observe creates nothing.
func (r *reconciler[T, D, R]) observeOnly(ctx context.Context, obj T, at placement, want D, p *pass) error {
	o, err := r.kind.report(ctx, obj, at, want)
	if err != nil {
		return err
	}
	if !o.found {
		removeCondition(obj, v1alpha1.ConditionDrifted)
		if o.what == "" {
			return stalled(v1alpha1.ReasonNotFound, "nothing to observe: the spec names no existing resource and none is recorded; managementPolicy Observe creates nothing (set the resource's ID in the spec, or switch to Manage to create it)")
		}
		return stalled(v1alpha1.ReasonNotFound, "%s does not exist in %s; managementPolicy Observe creates nothing (switch to Manage to create one)", o.what, at.region)
	}
	if len(o.differs) > 0 {
		setCondition(obj, v1alpha1.ConditionDrifted, metav1.ConditionTrue, v1alpha1.ReasonFieldsDiffer,
			fmt.Sprintf("%s differs from the spec in %s; managementPolicy Observe changes nothing, Manage would change these", o.what, fieldList(o.differs)))
	} else {
		setCondition(obj, v1alpha1.ConditionDrifted, metav1.ConditionFalse, v1alpha1.ReasonMatchesSpec, o.what+" matches the spec")
	}
	p.observed = fmt.Sprintf("observed %s; managementPolicy Observe: the operator writes nothing to AWS", o.what)
	return nil
}

// recordPlacement records at in obj's status while obj records a resource or the intent to
// create one, and forgets it otherwise, so that an object that made nothing is placed afresh.
func (r *reconciler[T, D, R]) recordPlacement(obj T, at placement) {
	s := r.kind.site(obj)
	if r.kind.recorded(obj) {
		at.record(s.placement, s.arn)
		return
	}
	*s.placement = v1alpha1.Placement{}
}

// finalize deletes obj's resource and releases obj; released says it was. An object the last
// pass found to be refused (its resource is another live object's) is released without touching
// AWS, and keeps the Stalled condition that says so until it is gone.
func (r *reconciler[T, D, R]) finalize(ctx context.Context, obj T, status *statusPatcher) (released bool, err error) {
	if refusal := ownedByAnotherAtLastPass(obj); refusal != "" {
		r.Notify.normal(ctx, obj, eventRetained, "left the resource in AWS: %s", refusal)
		return true, removeFinalizer(ctx, r.Client, r.APIReader, obj)
	}
	if err := markDeleting(ctx, status, obj, r.kind.deletingMessage(obj)); err != nil {
		return false, err
	}
	if err := r.remove(ctx, obj); err != nil {
		return false, err
	}
	if err := removeFinalizer(ctx, r.Client, r.APIReader, obj); err != nil {
		return false, err
	}
	return true, nil
}

// remove deletes obj's resource where it was made, once the objects that use it are gone, unless
// managementPolicy is Observe, deletionPolicy is Retain, or obj never made or adopted anything.
func (r *reconciler[T, D, R]) remove(ctx context.Context, obj T) error {
	if observing(obj) {
		r.Notify.normal(ctx, obj, eventRetained, "left the resource in AWS, as managementPolicy is Observe")
		return nil
	}
	if err := r.kind.awaitDependents(ctx, obj); err != nil {
		return err
	}
	s := r.kind.site(obj)
	if s == nil || !r.kind.mayExist(obj) {
		return nil
	}
	if p, ok := any(obj).(retainable); ok && p.GetDeletionPolicy() == v1alpha1.DeletionPolicyRetain {
		r.Notify.normal(ctx, obj, eventRetained, "left %s in AWS, as deletionPolicy is Retain", r.kind.resource(obj))
		return nil
	}
	at, err := r.placeForDeletion(ctx, obj, *s)
	if errors.Is(err, errNothingPlaced) {
		return nil
	}
	if err != nil {
		return err
	}
	return r.kind.delete(ctx, obj, at)
}

// end ends the pass, in one place. A paused pass only says so (the Paused condition, and an
// Event when the pause begins). Any other removes the Paused condition, turns the pass's error
// into its meaning (once), records a Warning Event when the object becomes Stalled or starts
// waiting for a missing object, marks the generation observed when its work is finished and the
// clearable spec fields applied when it succeeded, sets the conditions and result (outcome, or
// deletionOutcome; a drift pass next is placed within the drift budget by scheduleDrift), and
// writes the status once. It returns every error it met: the pass's and a failed status write's.
func (r *reconciler[T, D, R]) end(ctx context.Context, obj T, status *statusPatcher, p pass, err error) (ctrl.Result, error) {
	if p.paused {
		// The other conditions stay those of the last pass; no next pass is asked for: removing
		// the annotation brings one.
		if !conditionSays(obj, v1alpha1.ConditionPaused, pausedMessage) {
			r.Notify.normal(ctx, obj, v1alpha1.ReasonReconcilePaused, "%s", pausedMessage)
		}
		setCondition(obj, v1alpha1.ConditionPaused, metav1.ConditionTrue, v1alpha1.ReasonReconcilePaused, pausedMessage)
		return ctrl.Result{}, status.patch(ctx, obj)
	}
	removeCondition(obj, v1alpha1.ConditionPaused)
	err = meaning(err)
	noteProblem(ctx, r.Notify, obj, err)
	var result ctrl.Result
	if p.deleting {
		result, err = deletionOutcome(obj, err, r.Options.Resync)
	} else {
		if finished(err) {
			obj.SetObservedGeneration(obj.GetGeneration())
		}
		if err == nil && p.observed == "" {
			// Only a pass that made AWS match the spec applied its fields; a stall, or a pass
			// that only observed, applied nothing.
			obj.SetAppliedFields(r.kind.applied(obj))
		}
		result, err = outcome(obj, err, cmp.Or(p.observed, r.kind.readyMessage(obj)), r.kind.comparePeriod(obj))
		if err == nil && p.observed != "" {
			setCondition(obj, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonObserved, p.observed)
		}
	}
	result = scheduleDrift(ctx, r.Drift, r.name, p.calls, p.drift, result)
	if perr := status.patch(ctx, obj); perr != nil {
		log.FromContext(ctx).Error(perr, "writing the status failed; the pass will be retried")
		return ctrl.Result{}, errors.Join(err, perr)
	}
	return result, err
}
