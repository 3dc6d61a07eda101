package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// TestDriftScheduleWithinBudget checks that a fleet that fits in the budget is compared once a
// resync period, each object at the time it asked for.
func TestDriftScheduleWithinBudget(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Unix(1_000_000, 0))
	s := newDriftSchedule(5, clk)
	for i := range 250 { // 250 objects at one request each over 60 s: 4.2 requests/s
		want := 30*time.Second + time.Duration(i)*240*time.Millisecond
		if got := s.next(context.Background(), "transferuser", "us-east-1", 1, want); got != want {
			t.Fatalf("object %d waits %s, want the %s it asked for", i, got, want)
		}
	}
}

// TestDriftScheduleStretches checks that a fleet that needs more than the budget is spread so
// that no second holds more requests than the budget, the period stretching instead, and that
// the gauge says what period is achieved.
func TestDriftScheduleStretches(t *testing.T) {
	start := time.Unix(1_000_000, 0)
	clk := clocktesting.NewFakePassiveClock(start)
	s := newDriftSchedule(5, clk)
	const objects, resync = 1000, time.Minute
	perSecond := map[int64]int{}
	var longest time.Duration
	for range objects {
		wait := s.next(context.Background(), "transferuser", "eu-west-1", 1, resync)
		perSecond[start.Add(wait).Unix()]++
		longest = max(longest, wait)
	}
	for sec, n := range perSecond {
		if n > 5 {
			t.Errorf("second %d holds %d drift passes of one request; the budget is 5 requests/s", sec-start.Unix(), n)
		}
	}
	if want := resync + objects/5*time.Second - time.Second; longest < want {
		t.Errorf("the longest wait is %s; 1,000 requests at 5/s after a %s resync need %s", longest, resync, want)
	}
	if got := testutil.ToFloat64(driftPeriod.WithLabelValues("eu-west-1", "transferuser")); got != longest.Seconds() {
		t.Errorf("transfer_operator_drift_period_seconds = %v, want %v", got, longest.Seconds())
	}
	if got := testutil.ToFloat64(driftDelay.WithLabelValues("eu-west-1")); got != (longest - resync).Seconds() {
		t.Errorf("transfer_operator_drift_delay_seconds = %v, want %v", got, (longest - resync).Seconds())
	}
	// Other rate limits have budgets of their own.
	if got := s.next(context.Background(), "transferuser", "us-west-2", 1, resync); got != resync {
		t.Errorf("the first object of another region waits %s, want %s", got, resync)
	}
}

// TestDriftScheduleReports checks that a log line says when drift passes fall behind their
// period and when they are back on it, without a line for every pass.
func TestDriftScheduleReports(t *testing.T) {
	var lines []string
	ctx := logr.NewContext(context.Background(), funcr.New(func(_, args string) { lines = append(lines, args) }, funcr.Options{}))
	clk := clocktesting.NewFakePassiveClock(time.Unix(1_000_000, 0))
	s := newDriftSchedule(1, clk)
	for range 100 { // 100 requests at 1/s: up to 99 s behind
		s.next(ctx, "c", "r", 1, time.Minute)
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "drift detection is behind its period") || !strings.Contains(lines[0], `"behindBy"="10s"`) {
		t.Fatalf("logged %q, want one line saying drift detection is 10s behind", lines)
	}
	clk.SetTime(clk.Now().Add(10 * time.Minute)) // the calendar has room again
	s.next(ctx, "c", "r", 1, time.Minute)
	if len(lines) != 2 || !strings.Contains(lines[1], "drift detection is back on its period") {
		t.Errorf("logged %q, want a second line saying it is back", lines)
	}
}

// TestDriftScheduleSpills checks that a pass costing more than a second's budget takes the
// seconds after it too, so that the next pass starts after them.
func TestDriftScheduleSpills(t *testing.T) {
	start := time.Unix(1_000_000, 0)
	s := newDriftSchedule(2, clocktesting.NewFakePassiveClock(start))
	if got := s.next(context.Background(), "c", "r", 5, 10*time.Second); got != 10*time.Second {
		t.Fatalf("the first pass waits %s, want 10s", got)
	}
	// Five requests at two a second take seconds 10, 11 and half of 12.
	if got := s.next(context.Background(), "c", "r", 1, 10*time.Second); got != 12*time.Second {
		t.Errorf("the next pass waits %s, want 12s", got)
	}
	if got := s.next(context.Background(), "c", "r", 2, 10*time.Second); got != 13*time.Second {
		t.Errorf("the pass after it waits %s, want 13s (one request left in second 12, one spilled)", got)
	}
}

// TestDriftScheduleForgetsThePast checks that seconds that have passed are forgotten.
func TestDriftScheduleForgetsThePast(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Unix(1_000_000, 0))
	s := newDriftSchedule(1, clk)
	for range 100 {
		s.next(context.Background(), "c", "r", 1, time.Second)
	}
	clk.SetTime(clk.Now().Add(time.Hour))
	s.next(context.Background(), "c", "r", 1, time.Second)
	if n := len(s.limits["r"].reserved); n != 1 {
		t.Errorf("the calendar holds %d seconds an hour later, want 1", n)
	}
}

// TestDriftScheduleUnbounded checks that without a budget, or for a pass without AWS requests,
// the wait is the one asked for.
func TestDriftScheduleUnbounded(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Unix(1_000_000, 0))
	for _, tc := range []struct {
		budget float64
		calls  int
	}{{0, 1}, {5, 0}} {
		s := newDriftSchedule(tc.budget, clk)
		for range 100 {
			if got := s.next(context.Background(), "c", "r", tc.calls, time.Minute); got != time.Minute {
				t.Fatalf("budget %v, %d calls: waits %s, want 1m", tc.budget, tc.calls, got)
			}
		}
	}
}

// TestScheduleDrift checks that only a resync is scheduled, and that only a drift pass's
// requests are counted as drift detection's.
func TestScheduleDrift(t *testing.T) {
	s := newDriftSchedule(1, clocktesting.NewFakePassiveClock(time.Unix(1_000_000, 0)))
	ctx, calls := transfer.CountCalls(context.Background())
	calls.Add("sa-east-1")
	calls.Add("sa-east-1")
	before := testutil.ToFloat64(driftRequests.WithLabelValues("sa-east-1"))

	wait := ctrl.Result{RequeueAfter: 2 * time.Second}
	if got := scheduleDrift(ctx, s, "c", calls, false, wait); got != wait {
		t.Errorf("a wait became %+v", got)
	}
	resync := ctrl.Result{RequeueAfter: time.Minute, Priority: ptr.To(handler.LowPriority)}
	first := scheduleDrift(ctx, s, "c", calls, true, resync)
	second := scheduleDrift(ctx, s, "c", calls, true, resync)
	if *second.Priority != handler.LowPriority || second.RequeueAfter < first.RequeueAfter+time.Second {
		t.Errorf("two resyncs of two requests each at one request/s are scheduled after %s and %s at priority %d; want two seconds apart at low priority",
			first.RequeueAfter, second.RequeueAfter, *second.Priority)
	}
	if got := testutil.ToFloat64(driftRequests.WithLabelValues("sa-east-1")) - before; got != 4 {
		t.Errorf("transfer_operator_drift_aws_requests_total grew by %v, want 4 (two drift passes of two requests)", got)
	}
}

// TestSettled checks which passes are drift passes: of objects Ready or Stalled for their
// generation, not being deleted.
func TestSettled(t *testing.T) {
	cond := func(typ string, status metav1.ConditionStatus, gen int64) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, ObservedGeneration: gen}
	}
	now := metav1.Now()
	for name, tc := range map[string]struct {
		conds    []metav1.Condition
		deleting bool
		want     bool
	}{
		"ready":                   {conds: []metav1.Condition{cond(v1alpha1.ConditionReady, metav1.ConditionTrue, 2)}, want: true},
		"stalled":                 {conds: []metav1.Condition{cond(v1alpha1.ConditionStalled, metav1.ConditionTrue, 2)}, want: true},
		"ready for an older spec": {conds: []metav1.Condition{cond(v1alpha1.ConditionReady, metav1.ConditionTrue, 1)}},
		"reconciling":             {conds: []metav1.Condition{cond(v1alpha1.ConditionReady, metav1.ConditionFalse, 2), cond(v1alpha1.ConditionReconciling, metav1.ConditionTrue, 2)}},
		"new":                     {},
		"ready but being deleted": {conds: []metav1.Condition{cond(v1alpha1.ConditionReady, metav1.ConditionTrue, 2)}, deleting: true},
	} {
		obj := &v1alpha1.TransferUser{ObjectMeta: metav1.ObjectMeta{Generation: 2}}
		obj.Status.Conditions = tc.conds
		if tc.deleting {
			obj.DeletionTimestamp = &now
		}
		if got := settled(obj); got != tc.want {
			t.Errorf("%s: settled = %t, want %t", name, got, tc.want)
		}
	}
}
