package controllers

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
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

// indexAccount indexes the four namespaced kinds by the AWSAccount their status records.
const indexAccount = "status.account"

// accountReconciler checks that the operator can act in each AWSAccount's account (it assumes
// the role and asks STS who it is then), and keeps an AWSAccount until no object is recorded in
// it, so that no object is ever left without the credentials to delete its resource.
type accountReconciler struct{ deps }

func (r *accountReconciler) setup(mgr ctrl.Manager) error {
	recorded := handler.EnqueueRequestsFromMapFunc(accountOfObject)
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.AWSAccount{}, builder.WithPredicates(specOrDeletionChanged)).
		Watches(&v1alpha1.TransferServer{}, recorded, builder.WithPredicates(onlyDeletions)).
		Watches(&v1alpha1.TransferUser{}, recorded, builder.WithPredicates(onlyDeletions)).
		Watches(&v1alpha1.TransferAccess{}, recorded, builder.WithPredicates(onlyDeletions)).
		Watches(&v1alpha1.TransferWorkflow{}, recorded, builder.WithPredicates(onlyDeletions)).
		Named("awsaccount").
		Complete(r)
}

// Reconcile assumes the AWSAccount's role and records the outcome: Ready with status.accountId,
// Stalled AssumeRoleFailed when STS refused, retried after any other error. A deleted
// AWSAccount is released once no object records it.
func (r *accountReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	acct := &v1alpha1.AWSAccount{}
	if err := r.Client.Get(ctx, req.NamespacedName, acct); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	status := newStatusPatcher(r.Client, acct)
	if !acct.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, acct, status)
	}
	if err := addFinalizer(ctx, r.Client, r.APIReader, acct); err != nil {
		return ctrl.Result{}, err
	}
	role := transfer.Account{RoleARN: acct.Spec.RoleARN, ExternalID: acct.Spec.ExternalID}
	id, err := r.AWS.AssumeRole(ctx, role)
	switch {
	case transfer.Classify(err) == transfer.RoleRefused:
		who := "the operator"
		if identity, idErr := r.AWS.Identity(ctx); idErr == nil {
			who = fmt.Sprintf("the operator (%s)", identity)
		}
		err = stalledBy(err, v1alpha1.ReasonAssumeRoleFailed, "%s", assumeRoleRefusal(who, err))
	case err == nil:
		acct.Status.AccountID = id
	}
	if finished(err) {
		acct.Status.ObservedGeneration = acct.Generation
	}
	noteProblem(ctx, r.Notify, acct, meaning(err))
	result, err := outcome(acct, err, fmt.Sprintf("the operator assumed role %s in account %s", acct.Spec.RoleARN, id), r.Options.Resync)
	if perr := status.patch(ctx, acct); perr != nil {
		log.FromContext(ctx).Error(perr, "writing the status failed; the pass will be retried")
		return ctrl.Result{}, perr
	}
	return result, err
}

// finalize releases a deleted AWSAccount once no object records it; until then it is
// Reconciling with reason InUse and names a few of them.
func (r *accountReconciler) finalize(ctx context.Context, acct *v1alpha1.AWSAccount, status *statusPatcher) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(acct, Finalizer) {
		return ctrl.Result{}, nil
	}
	users, err := r.recordedIn(ctx, acct.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(users) == 0 {
		return ctrl.Result{}, removeFinalizer(ctx, r.Client, r.APIReader, acct)
	}
	shown := users[:min(len(users), 3)]
	markReconciling(acct, v1alpha1.ReasonInUse, fmt.Sprintf(
		"deleting: waiting for the %d object(s) whose resources live in this account to be deleted first, such as %s; an object recorded here is always managed and deleted here",
		len(users), strings.Join(shown, ", ")))
	if err := status.patch(ctx, acct); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: jitter(r.Options.Resync)}, nil
}

// recordedIn names the objects whose status records the AWSAccount name, as "Kind ns/name".
func (r *accountReconciler) recordedIn(ctx context.Context, name string) ([]string, error) {
	var names []string
	for _, k := range []struct {
		kind string
		list client.ObjectList
	}{
		{"TransferServer", &v1alpha1.TransferServerList{}},
		{"TransferUser", &v1alpha1.TransferUserList{}},
		{"TransferAccess", &v1alpha1.TransferAccessList{}},
		{"TransferWorkflow", &v1alpha1.TransferWorkflowList{}},
	} {
		if err := r.Client.List(ctx, k.list, client.MatchingFields{indexAccount: name}); err != nil {
			return nil, fmt.Errorf("listing the objects recorded in AWSAccount %s: %w", name, err)
		}
		for _, o := range listedObjects(k.list) {
			names = append(names, fmt.Sprintf("%s %s/%s", k.kind, o.GetNamespace(), o.GetName()))
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

// recordedAccountName returns the AWSAccount an object of the four kinds records, "" for none.
func recordedAccountName(o client.Object) string {
	switch o := o.(type) {
	case *v1alpha1.TransferServer:
		return o.Status.Account
	case *v1alpha1.TransferUser:
		return o.Status.Account
	case *v1alpha1.TransferAccess:
		return o.Status.Account
	case *v1alpha1.TransferWorkflow:
		return o.Status.Account
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
