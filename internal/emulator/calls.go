package emulator

import (
	"maps"
	"sync"
)

// Outcomes recorded for calls besides error codes.
const (
	// OutcomeOK is a call answered with HTTP 200.
	OutcomeOK = "ok"
	// OutcomeDropped is a call whose connection was closed without an answer.
	OutcomeDropped = "dropped"
)

// CallCounts is the number of API calls by operation name and outcome: "ok",
// "dropped", or the error code the call was answered with (for example
// "ThrottlingException"). Calls are counted as the client saw them, so a
// commit-then-fail call counts as InternalServiceError or dropped.
type CallCounts map[string]map[string]int

// Total returns the number of calls of every operation.
func (c CallCounts) Total() int {
	n := 0
	for op := range c {
		n += c.Of(op)
	}
	return n
}

// Of returns the number of calls of op, whatever their outcome.
func (c CallCounts) Of(op string) int {
	n := 0
	for _, v := range c[op] {
		n += v
	}
	return n
}

// Outcome returns the number of calls of op that ended with outcome.
func (c CallCounts) Outcome(op, outcome string) int { return c[op][outcome] }

// Writes returns the number of calls, whatever their outcome, of operations
// that change resources (create, update, delete, start, stop, key import and
// deletion, tagging).
func (c CallCounts) Writes() int {
	n := 0
	for op := range c {
		if operations[op].write {
			n += c.Of(op)
		}
	}
	return n
}

type callRecorder struct {
	mu     sync.Mutex
	counts CallCounts
}

func newCallRecorder() *callRecorder { return &callRecorder{counts: CallCounts{}} }

func (r *callRecorder) record(op, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.counts[op]
	if m == nil {
		m = map[string]int{}
		r.counts[op] = m
	}
	m[outcome]++
}

// Calls returns a copy of the call counters.
func (e *Emulator) Calls() CallCounts {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	out := make(CallCounts, len(e.calls.counts))
	for op, m := range e.calls.counts {
		out[op] = maps.Clone(m)
	}
	return out
}

// ResetCalls sets every call counter to zero.
func (e *Emulator) ResetCalls() {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	e.calls.counts = CallCounts{}
}
