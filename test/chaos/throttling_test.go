package chaos

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// TestThrottlingStorm limits the emulator to a few requests per second, answering
// ThrottlingException beyond, and fails 10% of all calls with a 500. With its client-side rate
// limit set just under the emulator's, the operator must converge without any object ever
// becoming Stalled, with retries bounded (all calls at most 3 times the successful ones) and
// throttled answers rare (at most 10% of the calls). The same load with the client-side limit
// off draws more throttling: the limiter is what keeps it rare.
func TestThrottlingStorm(t *testing.T) {
	seed := seedFor(t, 33)
	servers, users := 3, 10
	if long() {
		servers, users = 6, 20
	}
	const rps, burst = 4, 4
	r := newReport(t, "throttling storm")
	r.add("objects", "%d TransferServers, %d TransferUsers", servers, servers*users)
	r.add("injected", "emulator rate limit %d rps (burst %d) answering ThrottlingException, 10%% of calls answered 500", rps, burst)

	// run converges the objects under the storm and returns the throttled and all calls; only
	// the run with the limiter on is held to the promises.
	run := func(name string, limiterArgs ...string) (throttled, total int) {
		e := newEnv(t, emulator.Options{Seed: int64(seed), TransitionDelay: 500 * time.Millisecond})
		e.emu.SetRateLimit(rps, burst)
		if err := e.emu.SetFaultRate(0.1); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stalled := e.watchStalled(ctx)
		// A long resync keeps the calls to those the convergence needs.
		op := e.startOperator(name, "", append([]string{"--resync-period=10m"}, limiterArgs...)...)
		e.create(e.fleet("srv", servers, users)...)
		took, err := e.tryWaitReady(convergeTimeout)
		calls := e.emu.Calls()
		throttled, total = outcomeCalls(calls, emulator.CodeThrottling), calls.Total()
		ok := okCalls(calls)
		faults := outcomeCalls(calls, emulator.CodeInternalError) + outcomeCalls(calls, emulator.CodeServiceUnavailable)
		seen, events := stalled.seen()
		r.add(name+": time to all Ready", "%s (converged: %t)", took.Round(100*time.Millisecond), err == nil)
		r.add(name+": AWS calls: all / successful / throttled / 500", "%d / %d / %d (%.1f%%) / %d",
			total, ok, throttled, 100*float64(throttled)/float64(max(total, 1)), faults)
		r.add(name+": objects ever Stalled", "%d (of %d status events watched)", len(seen), events)
		if name != "limiter on" {
			_ = op.stop()
			return throttled, total
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) > 0 {
			t.Errorf("objects became Stalled under throttling: %v", seen)
		}
		if total > 3*ok {
			t.Errorf("retries unbounded: %d calls for %d successful ones", total, ok)
		}
		if throttled*10 > total {
			t.Errorf("%d of %d calls throttled with the client-side limiter on", throttled, total)
		}
		if faults == 0 {
			t.Errorf("no 500 was injected")
		}
		tl := e.expectOnePerObject("after convergence")
		r.add(name+": AWS resources per object", "%d for %d objects; missing %d, duplicated %d, unowned %d",
			tl.resources, tl.objects, len(tl.missing), len(tl.duplicated), len(tl.unowned))
		stuck := e.deleteAll(convergeTimeout)
		if len(stuck) > 0 {
			t.Errorf("%d object(s) stuck after deletion: %v", len(stuck), first(stuck, 10))
		}
		r.add(name+": stuck finalizers / AWS resources left after deletion", "%d / %d", len(stuck), e.expectNothingLeft("after deletion"))
		r.add(name+": panics in operator logs", "%d", e.expectNoPanics())
		_ = op.stop()
		return throttled, total
	}

	onThrottled, onTotal := run("limiter on", fmt.Sprintf("--aws-rate-limit=%d", rps-1), "--aws-rate-burst=1")
	offThrottled, offTotal := run("limiter off", "--aws-rate-limit=0")
	on := float64(onThrottled) / float64(max(onTotal, 1))
	off := float64(offThrottled) / float64(max(offTotal, 1))
	r.add("throttled share, limiter on vs off", "%.1f%% vs %.1f%%", 100*on, 100*off)
	if off <= on {
		t.Errorf("the client-side limiter made no difference: %.1f%% throttled with it, %.1f%% without", 100*on, 100*off)
	}
}
