package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

const (
	// defaultRateLimit is the operator's --aws-rate-limit when the flag is not given.
	defaultRateLimit = 10
	// defaultDriftShare is the share of it drift detection may use (--drift-budget).
	defaultDriftShare = 0.5
	// fullPeriod is the longest an object may go without a full comparison with AWS, at
	// --resync-period=10m: the period the defaults run compresses.
	fullPeriod = time.Hour
	// defaultResync is the operator's --resync-period when the flag is not given.
	defaultResync = 10 * time.Minute
	// specChanges is how many users the defaults run changes, spread over the fleet.
	specChanges = 20
	// changeInterval is the time between two of those changes.
	changeInterval = 2 * time.Second
)

// runDefaults runs the operator on its default AWS rate limit with a fleet whose drift
// detection needs more than the budget: the objects are created while it runs, then after a
// steady phase 20 users are changed one after another and the bench measures how long each
// change takes to be Ready. The fleet and resync period have the ratio of 10,000 users at the
// default resync period of 10 minutes, with every time scaled down by the same factor: the full
// compare period of one hour too.
func (b *bench) runDefaults(ctx context.Context) error {
	resync := b.cfg.defaultsResync
	scale := float64(resync) / float64(defaultResync) // 30 s / 10 min = 1/20
	full := time.Duration(float64(fullPeriod) * scale)
	args := []string{"--resync-period=" + resync.String()}
	if b.operatorHasFlag("full-compare-period") {
		args = append(args, "--full-compare-period="+full.String())
	} else {
		b.res.Notes = append(b.res.Notes, "defaults: the operator has no --full-compare-period; it compares every object every resync period")
	}
	r, err := b.startRun(ctx, "defaults", "bench-defaults", nil, args...)
	if err != nil {
		return err
	}
	defer r.stop()
	objects := b.cfg.defaultsServers + b.cfg.defaultsUsers
	budget := defaultDriftShare * defaultRateLimit
	b.res.detail("defaults", "drift requests/s needed at the resync period (one read per object)", float64(objects)/resync.Seconds())
	b.res.detail("defaults", "equivalent fleet at --resync-period=10m", float64(objects)/scale)

	// Converge, objects created while this operator runs.
	objs, err := b.objects(r.ns, b.cfg.defaultsServers, b.cfg.defaultsUsers)
	if err != nil {
		return err
	}
	first, last, err := b.apply(ctx, objs)
	if err != nil {
		return err
	}
	fmt.Printf("bench: defaults: applied %d objects in %.1f s\n", len(objs), last.Sub(first).Seconds())
	ready, err := r.waitAll(ctx, b.cfg.defaultsServers, b.cfg.defaultsUsers, b.cfg.scaleTimeout)
	if err != nil {
		return err
	}
	b.res.detail("defaults", "all Ready after the last apply s", ready.Sub(last).Seconds())

	// Steady phase: every call is drift detection's; long enough for every object's full
	// comparison.
	window := full + full/4
	fmt.Printf("bench: defaults: steady phase of %s (load %s)\n", window, loadavg())
	c0 := r.emu.Calls()
	reads := r.tracker.countReads(resync/2, false, "DescribeUser", "DescribeServer")
	longest, err := r.sampleDriftDelay(ctx, window)
	if err != nil {
		return err
	}
	st := r.tracker.stopReads(reads)
	steady := diffCalls(c0, r.emu.Calls())
	b.res.AWSCalls["defaults steady"] = steady
	perSecond := float64(steady.Total()) / window.Seconds()
	b.res.add("defaults", "AWS requests/s spent on drift detection", perSecond, "requests/s", "<=", budget)
	// The period at 10,000 users and 10 minutes is this run's, scaled back up: the longest time
	// between two full comparisons (DescribeUser, DescribeServer) of an object.
	achieved := st.maxGap.Seconds() / scale
	b.res.addMet("defaults", "achieved full-compare period at 10,000 users (scaled)", achieved/60, "min", "<=", fullPeriod.Minutes(),
		st.objects == objects && achieved <= fullPeriod.Seconds())
	b.res.detail("defaults", "mean time between two reads of an object s", st.meanGap.Seconds())
	b.res.detail("defaults", "longest time between two reads of an object s", st.maxGap.Seconds())
	b.res.detail("defaults", "objects read in the steady phase", st.objects)
	b.res.detail("defaults", "longest transfer_operator_drift_delay_seconds s", longest)

	// Spec changes spread over the fleet while drift detection goes on.
	latencies, err := b.changeUsers(ctx, r)
	if err != nil {
		return err
	}
	slices.Sort(latencies)
	median := latencies[len(latencies)/2]
	if len(latencies)%2 == 0 {
		median = (latencies[len(latencies)/2-1] + latencies[len(latencies)/2]) / 2
	}
	b.res.add("defaults", "spec change Ready after the change, max", latencies[len(latencies)-1].Seconds(), "s", "<=", 5)
	b.res.add("defaults", "spec change Ready after the change, median", median.Seconds(), "s", "<=", 5)
	b.res.load("defaults end")
	return nil
}

// sampleDriftDelay waits for d and returns the longest delay of drift passes the operator
// reported.
func (r *opRun) sampleDriftDelay(ctx context.Context, d time.Duration) (float64, error) {
	var longest float64
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if err := sleep(ctx, min(5*time.Second, time.Until(end))); err != nil {
			return 0, err
		}
		if m, err := scrape(ctx, r.metrics); err == nil {
			longest = max(longest, m.sum("transfer_operator_drift_delay_seconds"))
		}
	}
	return longest, nil
}

// changeUsers gives specChanges users spread over the fleet a new home directory, one every
// changeInterval, and returns the time from each change to its user Ready for the new
// generation.
func (b *bench) changeUsers(ctx context.Context, r *opRun) ([]time.Duration, error) {
	type change struct {
		key        string
		generation int64
		at         time.Time
	}
	var changes []change
	step := max(1, b.cfg.defaultsUsers/specChanges)
	for i := step / 2; i < b.cfg.defaultsUsers && len(changes) < specChanges; i += step {
		usr := &v1alpha1.TransferUser{}
		if err := b.client.Get(ctx, client.ObjectKey{Namespace: r.ns, Name: userName(i)}, usr); err != nil {
			return nil, err
		}
		patch := client.MergeFrom(usr.DeepCopy())
		usr.Spec.HomeDirectory = "/bench/changed/" + usr.Name
		if err := b.client.Patch(ctx, usr, patch); err != nil {
			return nil, err
		}
		changes = append(changes, change{key: "user/" + usr.Name, generation: usr.Generation, at: time.Now()})
		if err := sleep(ctx, changeInterval); err != nil {
			return nil, err
		}
	}
	fmt.Printf("bench: defaults: changed %d users (load %s)\n", len(changes), loadavg())
	latencies := make([]time.Duration, len(changes))
	deadline := time.Now().Add(2 * time.Minute)
	for i, c := range changes {
		for {
			if at, ok := r.ready.readyFor(c.key, c.generation); ok {
				latencies[i] = at.Sub(c.at)
				break
			}
			if time.Now().After(deadline) {
				// Not Ready in time: counted as the time waited, which fails the target.
				latencies[i] = time.Since(c.at)
				break
			}
			if err := sleep(ctx, 100*time.Millisecond); err != nil {
				return nil, err
			}
		}
	}
	if len(latencies) == 0 {
		return nil, errors.New("no user was changed")
	}
	return latencies, nil
}

// operatorHasFlag reports whether the operator binary knows --name, so that the bench can
// measure a build from before the flag (-operator).
func (b *bench) operatorHasFlag(name string) bool {
	out, _ := exec.Command(b.binary, "-h").CombinedOutput()
	return strings.Contains(string(out), "-"+name+" ")
}
