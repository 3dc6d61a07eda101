package chaos

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// accountID is the account the scenarios of this file manage their objects in, through an
// AWSAccount whose role trusts the emulator's default account (the operator's own credentials).
const accountID = "222233334444"

// useAccount defines a role in accountID and an AWSAccount that maps the env's namespace to it,
// and makes the env's tallies look in that account. The AWSAccount is deleted at the end of the
// test, while the operator still runs (its finalizer removed if it is still held), so that no
// other test's operator sees it.
func (e *env) useAccount() *v1alpha1.AWSAccount {
	e.t.Helper()
	roleARN := "arn:aws:iam::" + accountID + ":role/transfer-operator"
	if err := e.emu.DefineRole(emulator.Role{ARN: roleARN, TrustedAccounts: []string{emulator.DefaultAccountID}}); err != nil {
		e.t.Fatal(err)
	}
	acct := &v1alpha1.AWSAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "chaos-" + rand.String(6)},
		Spec:       v1alpha1.AWSAccountSpec{RoleARN: roleARN, Namespaces: []string{e.ns}},
	}
	if err := e.c.Create(context.Background(), acct); err != nil {
		e.t.Fatal(err)
	}
	e.account = accountID
	e.t.Cleanup(func() {
		ctx := context.Background()
		_ = e.c.Delete(ctx, acct)
		gone := func(context.Context) (bool, error) {
			return apierrors.IsNotFound(e.c.Get(ctx, types.NamespacedName{Name: acct.Name}, &v1alpha1.AWSAccount{})), nil
		}
		if wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, gone) != nil {
			_ = e.c.Patch(ctx, acct, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`)))
		}
	})
	return acct
}

// accountReady reports the AWSAccount's Ready condition.
func (e *env) accountReady(acct *v1alpha1.AWSAccount) metav1.Condition {
	e.t.Helper()
	if err := e.c.Get(context.Background(), types.NamespacedName{Name: acct.Name}, acct); err != nil {
		e.t.Fatal(err)
	}
	if c := meta.FindStatusCondition(acct.Status.Conditions, v1alpha1.ConditionReady); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// TestLostAssumeRole drops the first four AssumeRole answers, more than the SDK's three attempts
// of one retrieval: the operator must take that for a transient error, retry, and end with every
// object Ready and exactly one resource each, in the AWSAccount's account, and never Stalled.
func TestLostAssumeRole(t *testing.T) {
	r := newReport(t, "lost AssumeRole responses")
	e := newEnv(t, emulator.Options{Seed: int64(seedFor(t, 3))})
	if err := e.emu.FailNext("AssumeRole", 4, emulator.FailDrop); err != nil {
		t.Fatal(err)
	}
	acct := e.useAccount()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	stalls := e.watchStalled(ctx)
	e.startOperator("op", "", "--aws-sts-endpoint-url="+e.emu.URL())
	e.create(e.fleet("srv", 1, 3)...)
	took := e.waitReady(convergeTimeout)

	dropped := e.emu.Calls().Outcome("AssumeRole", emulator.OutcomeDropped)
	r.add("injected: AssumeRole answers dropped", "%d", dropped)
	r.add("time to all Ready", "%s", took.Round(100*time.Millisecond))
	if dropped != 4 {
		t.Errorf("%d AssumeRole answers dropped, want 4", dropped)
	}
	if seen, _ := stalls.seen(); len(seen) > 0 {
		t.Errorf("objects were Stalled by a lost AssumeRole answer: %v", seen)
	}
	if c := e.accountReady(acct); c.Status != metav1.ConditionTrue {
		t.Errorf("AWSAccount not Ready: %s %s", c.Reason, c.Message)
	}
	tl := e.expectOnePerObject("after convergence")
	r.add("AWS resources per object, in the AWSAccount's account", "%s", tl)
	if n := len(e.emu.Snapshot().Regions[region].Servers); n != 0 {
		t.Errorf("%d server(s) in the operator's own account, want none", n)
	}
	stuck := e.deleteAll(convergeTimeout)
	if len(stuck) > 0 {
		t.Errorf("%d object(s) stuck after deletion:\n%v", len(stuck), first(stuck, 10))
	}
	r.add("AWS resources left after deletion", "%d", e.expectNothingLeft("after deletion"))
	r.add("panics in operator logs", "%d", e.expectNoPanics())
}

// TestCredentialsExpireDuringReconcile expires every credential STS issued, again and again, while
// the operator creates a server and its users in the AWSAccount's account and resyncs them: each
// ExpiredToken answer must make the operator assume the role again and go on, never Stall, and
// end with every object Ready and exactly one resource each.
func TestCredentialsExpireDuringReconcile(t *testing.T) {
	r := newReport(t, "credentials expired during reconciles")
	e := newEnv(t, emulator.Options{Seed: int64(seedFor(t, 5)), TransitionDelay: 200 * time.Millisecond})
	acct := e.useAccount()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	stalls := e.watchStalled(ctx)
	e.startOperator("op", "", "--aws-sts-endpoint-url="+e.emu.URL())
	e.create(e.fleet("srv", 1, 5)...)

	// Expire the credentials every 300 ms for 12 s, through the creation and two resyncs: the
	// calls between two expiries run with the credentials the last AssumeRole gave. Then every
	// object must be Ready (again).
	const expiries = 40
	tick := time.NewTicker(300 * time.Millisecond)
	for range expiries {
		<-tick.C
		e.emu.ExpireCredentials()
	}
	tick.Stop()
	took := e.waitReady(convergeTimeout)
	stop()

	calls := e.emu.Calls()
	expired := outcomeCalls(calls, "ExpiredTokenException")
	assumed := calls.Outcome("AssumeRole", emulator.OutcomeOK)
	r.add("injected: credential expiries", "%d", expiries)
	r.add("calls answered ExpiredTokenException", "%d", expired)
	r.add("AssumeRole calls", "%d", assumed)
	r.add("time to all Ready after the last expiry", "%s", took.Round(100*time.Millisecond))
	if expired < 2 || assumed < 3 {
		t.Errorf("%d calls answered ExpiredTokenException and %d AssumeRole calls: the scenario expired nothing the operator used", expired, assumed)
	}
	if seen, _ := stalls.seen(); len(seen) > 0 {
		t.Errorf("objects were Stalled by expired credentials: %v", seen)
	}
	if c := e.accountReady(acct); c.Status != metav1.ConditionTrue {
		t.Errorf("AWSAccount not Ready: %s %s", c.Reason, c.Message)
	}
	tl := e.expectOnePerObject("after convergence")
	r.add("AWS resources per object, in the AWSAccount's account", "%s", tl)
	e.emu.ExpireCredentials()
	stuck := e.deleteAll(convergeTimeout)
	if len(stuck) > 0 {
		t.Errorf("%d object(s) stuck after deletion:\n%v", len(stuck), first(stuck, 10))
	}
	r.add("AWS resources left after deletion", "%d", e.expectNothingLeft("after deletion"))
	r.add("panics in operator logs", "%d", e.expectNoPanics())
}
