package emulator

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// AnyOperation makes a FailNext or SetCommitThenFail rule match every
// operation.
const AnyOperation = "*"

// faults holds the injected latency and failures; it has its own lock so
// injecting faults never waits on resource operations.
type faults struct {
	mu          sync.Mutex
	rng         *rand.Rand
	latency     time.Duration
	limiter     *rate.Limiter
	faultRate   float64
	commitRates map[string]float64
	rules       []failRule
}

// failRule fails the next remaining calls of op with kind.
type failRule struct {
	op        string
	remaining int
	kind      ErrorKind
}

// faultPlan is what happens to one call: answered with fail, dropped before
// it runs, or run and then failed as afterCommit says.
type faultPlan struct {
	fail        *apiError
	drop        bool
	afterCommit ErrorKind
}

func newFaults(rng *rand.Rand) *faults {
	return &faults{rng: rng, commitRates: map[string]float64{}}
}

// wait sleeps for the injected latency, or until ctx ends.
func (f *faults) wait(ctx context.Context) error {
	f.mu.Lock()
	d := f.latency
	f.mu.Unlock()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// decide plans the fate of one call of op, in this order: a FailNext rule,
// the rate limit, the fault rate, then the commit-then-fail rate.
func (f *faults) decide(op string, now time.Time) faultPlan {
	f.mu.Lock()
	defer f.mu.Unlock()
	var plan faultPlan
	for i := range f.rules {
		r := &f.rules[i]
		if r.op != op && r.op != AnyOperation {
			continue
		}
		kind := r.kind
		r.remaining--
		if r.remaining == 0 {
			f.rules = append(f.rules[:i], f.rules[i+1:]...)
		}
		switch {
		case kind.commits():
			plan.afterCommit = kind
		case kind.drops():
			return faultPlan{drop: true}
		default:
			return faultPlan{fail: kind.injected()}
		}
		break
	}
	if f.limiter != nil && !f.limiter.AllowN(now, 1) {
		return faultPlan{fail: FailThrottling.injected()}
	}
	if f.faultRate > 0 && f.rng.Float64() < f.faultRate {
		kind := FailInternalError
		if f.rng.IntN(2) == 1 {
			kind = FailServiceUnavailable
		}
		return faultPlan{fail: kind.injected()}
	}
	if plan.afterCommit == "" {
		rate, ok := f.commitRates[op]
		if !ok {
			rate = f.commitRates[AnyOperation]
		}
		if rate > 0 && f.rng.Float64() < rate {
			plan.afterCommit = FailCommitThenError
			if f.rng.IntN(2) == 1 {
				plan.afterCommit = FailCommitThenDrop
			}
		}
	}
	return plan
}

// SetLatency delays every API call by d before it is handled; zero removes
// the delay.
func (e *Emulator) SetLatency(d time.Duration) {
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	e.faults.latency = d
}

// SetRateLimit admits API calls at rps per second with bursts of up to burst
// calls (a token bucket on the emulator's clock) and answers the others with
// ThrottlingException. rps <= 0 removes the limit; burst < 1 counts as 1.
func (e *Emulator) SetRateLimit(rps float64, burst int) {
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	if rps <= 0 {
		e.faults.limiter = nil
		return
	}
	// A token bucket that starts full; it is told the time by the emulator's clock at each call
	// (AllowN), so it never reads the system clock.
	e.faults.limiter = rate.NewLimiter(rate.Limit(rps), max(burst, 1))
}

// SetFaultRate answers the given fraction (0 to 1) of API calls with a 500
// (InternalServiceError or ServiceUnavailableException, chosen by the seeded
// random source) before they take effect; zero turns this off.
func (e *Emulator) SetFaultRate(rate float64) error {
	if rate < 0 || rate > 1 {
		return fmt.Errorf("fault rate %v is outside [0, 1]", rate)
	}
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	e.faults.faultRate = rate
	return nil
}

// SetCommitThenFail lets the given fraction of successful calls of op (or of
// every operation, with AnyOperation) take effect and then answers them with
// InternalServiceError or a dropped connection, chosen by the seeded random
// source. Zero turns it off for op.
func (e *Emulator) SetCommitThenFail(op string, rate float64) error {
	if err := checkFaultOperation(op); err != nil {
		return err
	}
	if rate < 0 || rate > 1 {
		return fmt.Errorf("commit-then-fail rate %v is outside [0, 1]", rate)
	}
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	if rate == 0 {
		delete(e.faults.commitRates, op)
		return nil
	}
	e.faults.commitRates[op] = rate
	return nil
}

// FailNext makes the next n calls of op (or of any operation, with
// AnyOperation) fail as kind says. Rules are used in the order they were
// added; a call consumes at most one rule.
func (e *Emulator) FailNext(op string, n int, kind ErrorKind) error {
	if err := checkFaultOperation(op); err != nil {
		return err
	}
	if !kind.valid() {
		return fmt.Errorf("unknown failure kind %q", kind)
	}
	if n <= 0 {
		return fmt.Errorf("count %d must be positive", n)
	}
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	e.faults.rules = append(e.faults.rules, failRule{op: op, remaining: n, kind: kind})
	return nil
}

// ClearFaults removes all injected latency, rate limits and failures.
func (e *Emulator) ClearFaults() {
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	e.faults.latency = 0
	e.faults.limiter = nil
	e.faults.faultRate = 0
	e.faults.commitRates = map[string]float64{}
	e.faults.rules = nil
}

func checkFaultOperation(op string) error {
	_, transferOp := operations[op]
	_, ec2Op := ec2Operations[op]
	_, stsOp := stsOperations[op]
	_, secretsOp := secretsManagerOperations[op]
	if !transferOp && !ec2Op && !stsOp && !secretsOp && op != AnyOperation {
		return fmt.Errorf("unknown operation %q", op)
	}
	return nil
}

// dialect is how a front end answers what runFaulted decides: its error answer, which records
// the call, its form of an injected failure, and its internal error.
type dialect struct {
	answerError func(w http.ResponseWriter, account, action string, aerr *apiError)
	injected    func(*apiError) *apiError
	internal    func(msg string) *apiError
}

// runFaulted runs one call of action under the faults the emulator holds for it, the same way for
// every front end: it waits out the injected latency, drops or fails the call as planned, runs it,
// and after the commit drops or fails the answer as planned. It records the call and returns the
// output to write, or false when the call is answered already.
func (e *Emulator) runFaulted(w http.ResponseWriter, r *http.Request, account, action string, d dialect, run func() (any, error)) (any, bool) {
	if err := e.faults.wait(r.Context()); err != nil {
		return nil, false
	}
	plan := e.faults.decide(action, e.clock.Now())
	if plan.drop {
		e.calls.record(account, action, OutcomeDropped)
		dropConnection(w)
		return nil, false
	}
	if plan.fail != nil {
		d.answerError(w, account, action, d.injected(plan.fail))
		return nil, false
	}
	out, err := run()
	if err != nil {
		aerr, ok := err.(*apiError)
		if !ok {
			aerr = d.internal(err.Error())
		}
		d.answerError(w, account, action, aerr)
		return nil, false
	}
	switch plan.afterCommit {
	case FailCommitThenDrop:
		e.calls.record(account, action, OutcomeDropped)
		dropConnection(w)
		return nil, false
	case FailCommitThenError:
		d.answerError(w, account, action, d.injected(FailInternalError.injected()))
		return nil, false
	}
	e.calls.record(account, action, OutcomeOK)
	return out, true
}
