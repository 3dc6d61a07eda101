package chaos

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

const (
	// leaseName is the Lease the operator replicas compete for (main.go's leaderElectionID).
	leaseName = "transfer-operator.transfer.operators.dev"
	// leaseDuration is the lease duration the replicas run with.
	leaseDuration = 4 * time.Second
	// takeoverMargin allows for the standby noticing the leader's last renewal up to one retry
	// period late and the expiry up to one more (1 s each, jittered by up to 20%), plus 4.6 s for
	// API calls and scheduling on a busy machine. The bound it makes, 11 s, stays below the 13 s a
	// replica with the default timings (a 15 s lease renewed every 2 s) would need at least, so
	// a takeover within it still shows the flags in force.
	takeoverMargin = 7 * time.Second
)

// TestLeaderElection runs two operator replicas with leader election and short lease timings.
// The standby must make no AWS call while the leader lives; once the leader is killed with
// SIGKILL (in the middle of work, so it cannot release the lease) the standby must take over
// within the lease duration plus a small margin, bring the new objects and those the leader left
// half done to Ready, and leave exactly one AWS resource per object. The long variant kills the
// leader of the day three times, a fresh standby joining each time.
func TestLeaderElection(t *testing.T) {
	seed := seedFor(t, 6)
	rounds := 1
	if long() {
		rounds = 3
	}
	r := newReport(t, "leader election")
	e := newEnv(t, emulator.Options{Seed: int64(seed), TransitionDelay: 500 * time.Millisecond})
	t.Cleanup(func() {
		_ = e.c.Delete(context.Background(), &coordinationv1.Lease{ObjectMeta: metaIn("default", leaseName)})
	})
	// Each replica reaches the emulator through a proxy of its own, which counts its AWS calls.
	replica := func(name string) (*operator, *countingProxy) {
		proxy := newCountingProxy(t, e.emu.URL())
		return e.startOperator(name, proxy.URL,
			"--leader-elect", "--leader-election-namespace=default",
			"--leader-election-lease-duration="+leaseDuration.String(),
			"--leader-election-renew-deadline=3s", "--leader-election-retry-period=1s"), proxy
	}

	leader, leaderProxy := replica("r0")
	if !leader.waitLog("Successfully acquired lease", 60*time.Second) {
		t.Fatal("replica r0 never became the leader")
	}
	e.create(e.fleet("first", 1, 3)...)
	e.waitReady(convergeTimeout)

	for round := range rounds {
		holder := e.leaseHolder()
		standby, standbyProxy := replica(fmt.Sprintf("r%d", round+1))
		if !standby.waitLog("Attempting to acquire leader lease", 60*time.Second) {
			t.Fatalf("replica %s never started to compete for the lease", standby.name)
		}
		// Objects the leader is still working on when it dies: it is killed once it has created
		// their server, which is STARTING for a while, and before their users.
		servers := len(e.emu.Snapshot().Regions[region].Servers)
		e.create(e.fleet(fmt.Sprintf("before-kill-%d", round), 1, 3)...)
		if err := retry(convergeTimeout, func() error {
			if len(e.emu.Snapshot().Regions[region].Servers) == servers {
				return errors.New("no new server in AWS")
			}
			return nil
		}); err != nil {
			t.Fatalf("the leader did not start on the new objects within %s", convergeTimeout)
		}
		if h := e.leaseHolder(); h != holder {
			t.Fatalf("the lease moved from %q to %q while the leader was alive", holder, h)
		}
		inFlight, err := e.notReady()
		if err != nil {
			t.Fatal(err)
		}
		standbyCalls, leaderCalls := standbyProxy.calls.Load(), leaderProxy.calls.Load()
		killed := time.Now()
		leader.kill()
		e.create(e.fleet(fmt.Sprintf("after-kill-%d", round), 1, 3)...)
		// Waited for longer than the bound, so that a slow takeover is reported with its time.
		if !standby.waitLog("Successfully acquired lease", convergeTimeout) {
			t.Fatalf("replica %s never took over", standby.name)
		}
		takeover := time.Since(killed)
		newHolder := e.leaseHolder()
		took := e.waitReady(convergeTimeout)

		n := fmt.Sprintf("round %d: ", round+1)
		r.add(n+"injected", "SIGKILL of leader %s after %d AWS calls, with %d of 4 new objects not yet Ready; 4 more created after the kill",
			leader.name, leaderCalls, len(inFlight))
		r.add(n+"AWS calls by the standby while the leader lived", "%d", standbyCalls)
		r.add(n+"takeover after the kill (lease duration "+leaseDuration.String()+")", "%s", takeover.Round(10*time.Millisecond))
		r.add(n+"lease holder before / after", "%s / %s", holder, newHolder)
		r.add(n+"time to all Ready after the takeover", "%s", took.Round(100*time.Millisecond))
		if standbyCalls != 0 {
			t.Errorf("the standby made %d AWS calls while the leader was alive", standbyCalls)
		}
		if leaderCalls == 0 {
			t.Errorf("the leader made no AWS call through its proxy")
		}
		if takeover > leaseDuration+takeoverMargin {
			t.Errorf("the standby took over %s after the leader died; want at most %s", takeover, leaseDuration+takeoverMargin)
		}
		if newHolder == holder || newHolder == "" {
			t.Errorf("the lease holder is %q after the takeover, was %q", newHolder, holder)
		}
		if standbyProxy.calls.Load() == 0 {
			t.Errorf("the new leader made no AWS call")
		}
		tl := e.expectOnePerObject("after the takeover")
		r.add(n+"AWS resources per object", "%d for %d objects; missing %d, duplicated %d, unowned %d",
			tl.resources, tl.objects, len(tl.missing), len(tl.duplicated), len(tl.unowned))
		leader, leaderProxy = standby, standbyProxy
	}

	stuck := e.deleteAll(convergeTimeout)
	if len(stuck) > 0 {
		t.Errorf("%d object(s) stuck after deletion: %v", len(stuck), first(stuck, 10))
	}
	r.add("stuck finalizers / AWS resources left after deletion", "%d / %d", len(stuck), e.expectNothingLeft("after deletion"))
	r.add("panics in operator logs", "%d", e.expectNoPanics())
	if err := leader.stop(); err != nil {
		t.Errorf("the last leader did not stop cleanly: %v", err)
	}
}

// leaseHolder returns the holder identity of the operator's Lease in default, or "".
func (e *env) leaseHolder() string {
	e.t.Helper()
	lease := &coordinationv1.Lease{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: leaseName}, lease); err != nil {
		e.t.Fatalf("reading the Lease: %v", err)
	}
	if lease.Spec.HolderIdentity == nil {
		return ""
	}
	return *lease.Spec.HolderIdentity
}
