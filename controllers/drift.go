package controllers

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// Drift detection is the pass of an object that has not changed: it reads the resource from
// AWS and corrects what someone changed there. It must never delay a change. Two things see to
// that:
//
//   - Its requeue is at low priority (handler.LowPriority), so that a watch event (a spec change,
//     a deletion, a dependency that became Ready) goes to the next free worker ahead of every
//     drift pass that is due, however many are.
//   - A driftSchedule spreads drift passes over time so that they use at most a budget of the
//     AWS rate limit (by default half of --aws-rate-limit), leaving the rest to changes. When a
//     fleet needs more than the budget at --resync-period, the period stretches instead.

// driftBin is the width of the schedule's slots.
const driftBin = time.Second

// driftSchedule hands out the times of drift passes. Per client-side rate limit (one per
// region), it keeps how many AWS requests the passes it scheduled will make in each second
// ahead, and gives an object that asks the first second at or after its jittered resync period
// with room left in the budget. The budget is therefore kept whatever the size of the fleet,
// and the period of drift detection is what the fleet needs, never shorter than the resync
// period. It is shared by the controllers of every kind, as their requests share the limits.
type driftSchedule struct {
	// budget is the AWS requests per second, per rate limit, that drift passes may use; zero or
	// less leaves them unbounded and the period at the resync period.
	budget float64
	clock  clock.PassiveClock

	mu     sync.Mutex
	limits map[string]*driftCalendar
}

// driftCalendar is the schedule of one rate limit.
type driftCalendar struct {
	// reserved is the requests scheduled in each second ahead, by Unix second.
	reserved map[int64]float64
	// pruned is the first second not yet pruned.
	pruned int64
	// behind says that the last report was of passes scheduled later than asked; reported is
	// when the last report was logged.
	behind   bool
	reported time.Time
}

// Reports of a calendar: passes this much later than asked are reported as behind; a report is
// logged at most once a minute, and repeated while behind once every five.
const (
	driftBehind       = 10 * time.Second
	driftReportMin    = time.Minute
	driftReportRepeat = 5 * time.Minute
)

func newDriftSchedule(budget float64, clk clock.PassiveClock) *driftSchedule {
	return &driftSchedule{budget: budget, clock: clk, limits: map[string]*driftCalendar{}}
}

// next returns the wait before the next drift pass of an object of controller whose pass made
// calls AWS requests against limit and that asks to wait for wait (its jittered period): wait,
// or when the budget around that time is taken, until the first second after it with room.
func (s *driftSchedule) next(ctx context.Context, controller, limit string, calls int, wait time.Duration) time.Duration {
	if calls == 0 {
		return wait
	}
	granted, delay := wait, time.Duration(0)
	if s.budget > 0 {
		s.mu.Lock()
		cal := s.limits[limit]
		if cal == nil {
			cal = &driftCalendar{reserved: map[int64]float64{}}
			s.limits[limit] = cal
		}
		now := s.clock.Now()
		cal.prune(now.Unix())
		granted = max(wait, cal.reserve(now.Add(wait), float64(calls), s.budget*driftBin.Seconds()).Sub(now))
		delay = granted - wait
		cal.report(ctx, now, limit, delay, s.budget)
		s.mu.Unlock()
	}
	driftPeriod.WithLabelValues(limit, controller).Set(granted.Seconds())
	driftDelay.WithLabelValues(limit).Set(delay.Seconds())
	return granted
}

// reserve books cost requests from the first second at or after want with room below capacity,
// spilling what does not fit into the seconds after it, and returns when that first second
// begins.
func (c *driftCalendar) reserve(want time.Time, cost, capacity float64) time.Time {
	first := want.Unix()
	for c.reserved[first] >= capacity {
		first++
	}
	for sec := first; cost > 0; sec++ {
		take := math.Min(cost, capacity-c.reserved[sec])
		if take <= 0 {
			continue
		}
		c.reserved[sec] += take
		cost -= take
	}
	if first == want.Unix() {
		return want
	}
	return time.Unix(first, 0)
}

// prune forgets the seconds before now.
func (c *driftCalendar) prune(now int64) {
	if c.pruned == 0 {
		c.pruned = now
	}
	for ; c.pruned < now; c.pruned++ {
		delete(c.reserved, c.pruned)
	}
}

// report logs that drift passes are scheduled later than their period asks, by delay, because
// the fleet needs more AWS requests than the budget; and that they are not any more.
func (c *driftCalendar) report(ctx context.Context, now time.Time, limit string, delay time.Duration, budget float64) {
	since := now.Sub(c.reported)
	switch {
	case delay >= driftBehind && since >= driftReportMin && (!c.behind || since >= driftReportRepeat):
		log.FromContext(ctx).Info("drift detection is behind its period: the objects need more AWS requests than the drift budget, so their comparisons are spread out",
			"limit", limit, "behindBy", delay.Round(time.Second).String(), "budgetRequestsPerSecond", budget)
		c.behind, c.reported = true, now
	case delay == 0 && c.behind && since >= driftReportMin:
		log.FromContext(ctx).Info("drift detection is back on its period", "limit", limit)
		c.behind, c.reported = false, now
	}
}

// settled reports whether obj is unchanged since its last pass finished the work on its
// generation: Ready or Stalled for it, and not being deleted. A pass of a settled object is a
// drift pass.
func settled(obj conditionsObject) bool {
	if !obj.GetDeletionTimestamp().IsZero() {
		return false
	}
	for _, typ := range []string{v1alpha1.ConditionReady, v1alpha1.ConditionStalled} {
		if c := meta.FindStatusCondition(obj.GetConditions(), typ); c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == obj.GetGeneration() {
			return true
		}
	}
	return false
}

// scheduleDrift turns the resync of a pass's result into its drift pass: at low priority, at
// the time the schedule gives for the calls the pass made. Other results pass unchanged.
// drift says whether the pass was itself a drift pass, whose calls are counted in
// transfer_operator_drift_aws_requests_total.
func scheduleDrift(ctx context.Context, s *driftSchedule, controller string, calls *transfer.CallCount, drift bool, result ctrl.Result) ctrl.Result {
	if drift {
		countDriftRequests(calls)
	}
	if result.Priority == nil || *result.Priority != handler.LowPriority {
		return result
	}
	result.RequeueAfter = s.next(ctx, controller, calls.Limit(), calls.Calls(), result.RequeueAfter)
	return result
}

// resyncResult is the result of a pass that ends the work on a generation: its next pass is a
// drift pass, at low priority, a jittered resync period later or when scheduleDrift says.
func resyncResult(resync time.Duration) ctrl.Result {
	return ctrl.Result{RequeueAfter: jitter(resync), Priority: ptr.To(handler.LowPriority)}
}

// countDriftRequests counts the AWS requests of a drift pass or listing in
// transfer_operator_drift_aws_requests_total.
func countDriftRequests(calls *transfer.CallCount) {
	if calls.Calls() > 0 {
		driftRequests.WithLabelValues(calls.Limit()).Add(float64(calls.Calls()))
	}
}

var (
	driftRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "transfer_operator_drift_aws_requests_total",
		Help: "AWS requests of drift detection: the passes of objects unchanged since their last pass and the listings of servers' users (ListUsers), each retry counted, by rate limit (region, or account/region).",
	}, []string{"limit"})

	driftPeriod = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "transfer_operator_drift_period_seconds",
		Help: "Time until the drift-detection pass a controller scheduled last, by rate limit (region, or account/region) and controller: the period at which its objects are compared with AWS. Longer than the period asked (--resync-period, or --full-compare-period for users a listing watches) by transfer_operator_drift_delay_seconds.",
	}, []string{"limit", "controller"})

	driftDelay = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "transfer_operator_drift_delay_seconds",
		Help: "How much later than its period the drift-detection pass scheduled last waits, by rate limit (region, or account/region): above zero when the objects need more AWS requests than the drift budget (--drift-budget of --aws-rate-limit).",
	}, []string{"limit"})
)

func init() {
	metrics.Registry.MustRegister(driftRequests, driftPeriod, driftDelay)
}
