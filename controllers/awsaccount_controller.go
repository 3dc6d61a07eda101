package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// +kubebuilder:rbac:groups=transfer.operators.dev,resources=awsaccounts,verbs=list;watch;patch
// +kubebuilder:rbac:groups=transfer.operators.dev,resources=awsaccounts/status,verbs=patch

// indexAccount indexes the objects of placed kinds by the AWSAccount their status records.
const indexAccount = "status.account"

// accountKind is the AWSAccount kind: it checks that the operator can act in each AWSAccount's
// account (it assumes the role and asks STS who it is then), and keeps an AWSAccount until no
// object is recorded in it, so that no object is ever left without the credentials to delete its
// resource. It has no AWS resource of its own: observe finds the role, and there is nothing to
// create, update or delete.
type accountKind struct{ deps }

// newAccountReconciler returns the reconciler of AWSAccounts.
func newAccountReconciler(d deps) *reconciler[*v1alpha1.AWSAccount, string, struct{}] {
	return &reconciler[*v1alpha1.AWSAccount, string, struct{}]{deps: d, name: "awsaccount", kind: &accountKind{d}}
}

func (r *accountKind) newObject() *v1alpha1.AWSAccount { return &v1alpha1.AWSAccount{} }

func (r *accountKind) logValues(acct *v1alpha1.AWSAccount) []any {
	return []any{"roleArn", acct.Spec.RoleARN}
}

// watch adds the deletions of the objects recorded in an AWSAccount, which a deleted AWSAccount
// waits for.
func (r *accountKind) watch(b *builder.Builder) *builder.Builder {
	recorded := handler.EnqueueRequestsFromMapFunc(accountOfObject)
	for _, k := range placedKinds() {
		b = b.Watches(k.newObj(), recorded, builder.WithPredicates(onlyDeletions))
	}
	return b
}

func (r *accountKind) site(*v1alpha1.AWSAccount) *site       { return nil }
func (r *accountKind) recorded(*v1alpha1.AWSAccount) bool    { return false }
func (r *accountKind) mayExist(*v1alpha1.AWSAccount) bool    { return false }
func (r *accountKind) applied(*v1alpha1.AWSAccount) []string { return nil }

func (r *accountKind) comparePeriod(*v1alpha1.AWSAccount) time.Duration { return r.Options.Resync }

func (r *accountKind) readyMessage(acct *v1alpha1.AWSAccount) string {
	return fmt.Sprintf("the operator assumed role %s in account %s", acct.Spec.RoleARN, acct.Status.AccountID)
}

func (r *accountKind) resource(acct *v1alpha1.AWSAccount) string { return "role " + acct.Spec.RoleARN }

func (r *accountKind) deletingMessage(*v1alpha1.AWSAccount) string {
	return "deleting: checking for objects recorded in this account"
}

// desire names the role to assume.
func (r *accountKind) desire(_ context.Context, acct *v1alpha1.AWSAccount, _ placement) (string, error) {
	return acct.Spec.RoleARN, nil
}

// observe assumes the role and records the account it acts in. A refusal is RoleRefused, which
// meaning turns into Stalled AssumeRoleFailed.
func (r *accountKind) observe(ctx context.Context, acct *v1alpha1.AWSAccount, _ placement, _ string) (struct{}, bool, error) {
	id, err := r.AWS.AssumeRole(ctx, transfer.Account{RoleARN: acct.Spec.RoleARN, ExternalID: acct.Spec.ExternalID})
	if err != nil {
		return struct{}{}, false, err
	}
	acct.Status.AccountID = id
	return struct{}{}, true, nil
}

func (r *accountKind) create(context.Context, *v1alpha1.AWSAccount, placement, string, *statusPatcher) (struct{}, bool, error) {
	return struct{}{}, false, nil
}

func (r *accountKind) update(context.Context, *v1alpha1.AWSAccount, placement, string, struct{}) error {
	return nil
}

// awaitDependents waits, with reason InUse, until no object records the AWSAccount, and names a
// few of those that do.
func (r *accountKind) awaitDependents(ctx context.Context, acct *v1alpha1.AWSAccount) error {
	users, err := r.recordedIn(ctx, acct.Name)
	if err != nil || len(users) == 0 {
		return err
	}
	shown := users[:min(len(users), 3)]
	return waiting(v1alpha1.ReasonInUse, jitter(r.Options.Resync),
		"deleting: waiting for the %d object(s) whose resources live in this account to be deleted first, such as %s; an object recorded here is always managed and deleted here",
		len(users), strings.Join(shown, ", "))
}

func (r *accountKind) delete(context.Context, *v1alpha1.AWSAccount, placement) error { return nil }

// recordedIn names the objects whose status records the AWSAccount name, as "Kind ns/name".
func (r *accountKind) recordedIn(ctx context.Context, name string) ([]string, error) {
	var names []string
	for _, k := range placedKinds() {
		list := k.newList()
		if err := r.Client.List(ctx, list, client.MatchingFields{indexAccount: name}); err != nil {
			return nil, fmt.Errorf("listing the objects recorded in AWSAccount %s: %w", name, err)
		}
		for _, o := range listedObjects(list) {
			names = append(names, fmt.Sprintf("%s %s/%s", k.name, o.GetNamespace(), o.GetName()))
		}
	}
	return names, nil
}

// accountOfObject maps an object to the AWSAccount its status records.
func accountOfObject(_ context.Context, o client.Object) []reconcile.Request {
	if name := recordedAccountName(o); name != "" {
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: name}}}
	}
	return nil
}

// recordedAccountName returns the AWSAccount an object of a placed kind records, "" for none.
func recordedAccountName(o client.Object) string {
	if p, ok := o.(placedObject); ok {
		return p.GetPlacement().Account
	}
	return ""
}

// watchAccounts adds to a kind's controller the AWSAccounts: when one appears, disappears,
// changes its spec or becomes Ready or not, the objects of newList's kind in the namespaces it
// serves and those recorded in it are reconciled, so that a new or fixed AWSAccount unblocks
// them and a remap is noted at once.
func watchAccounts(b *builder.Builder, c client.Reader, newList func() client.ObjectList) *builder.Builder {
	return b.Watches(&v1alpha1.AWSAccount{}, handler.EnqueueRequestsFromMapFunc(objectsOfAccount(c, newList)), builder.WithPredicates(accountChanged))
}

func objectsOfAccount(c client.Reader, newList func() client.ObjectList) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		acct := o.(*v1alpha1.AWSAccount)
		seen := map[client.ObjectKey]bool{}
		var out []reconcile.Request
		add := func(opts ...client.ListOption) {
			list := newList()
			if err := c.List(ctx, list, opts...); err != nil {
				log.FromContext(ctx).Error(err, "listing the objects of a changed AWSAccount", "awsAccount", acct.Name)
				return
			}
			for _, obj := range listedObjects(list) {
				if key := client.ObjectKeyFromObject(obj); !seen[key] {
					seen[key] = true
					out = append(out, reconcile.Request{NamespacedName: key})
				}
			}
		}
		for _, ns := range acct.Spec.Namespaces {
			add(client.InNamespace(ns))
		}
		add(client.MatchingFields{indexAccount: acct.Name})
		return out
	}
}

// accountChanged passes the AWSAccount events that matter to the objects it serves.
var accountChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		oldAcct, newAcct := e.ObjectOld.(*v1alpha1.AWSAccount), e.ObjectNew.(*v1alpha1.AWSAccount)
		return oldAcct.Generation != newAcct.Generation || oldAcct.DeletionTimestamp.IsZero() != newAcct.DeletionTimestamp.IsZero() ||
			isReady(oldAcct) != isReady(newAcct)
	},
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// listedObjects returns the items of a list.
func listedObjects(list client.ObjectList) []client.Object {
	var out []client.Object
	_ = meta.EachListItem(list, func(obj runtime.Object) error {
		out = append(out, obj.(client.Object))
		return nil
	})
	return out
}
