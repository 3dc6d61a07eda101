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

// Writes returns the number of calls, whatever their outcome, of Transfer and
// Secrets Manager operations that change resources (create, update, delete,
// start, stop, key import and deletion, tagging, secret values).
func (c CallCounts) Writes() int {
	n := 0
	for op := range c {
		if operations[op].write || secretsManagerOperations[op].write {
			n += c.Of(op)
		}
	}
	return n
}

// callRecorder counts calls, in all and by the account they were served in.
type callRecorder struct {
	mu        sync.Mutex
	counts    CallCounts
	byAccount map[string]CallCounts
}

func newCallRecorder() *callRecorder {
	return &callRecorder{counts: CallCounts{}, byAccount: map[string]CallCounts{}}
}

// record counts one call of op served in account; account is "" for a call
// refused before its account was known (credentials not recognized), which
// counts only in all.
func (r *callRecorder) record(account, op, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts.add(op, outcome)
	if account == "" {
		return
	}
	c := r.byAccount[account]
	if c == nil {
		c = CallCounts{}
		r.byAccount[account] = c
	}
	c.add(op, outcome)
}

func (c CallCounts) add(op, outcome string) {
	m := c[op]
	if m == nil {
		m = map[string]int{}
		c[op] = m
	}
	m[outcome]++
}

func (c CallCounts) clone() CallCounts {
	out := make(CallCounts, len(c))
	for op, m := range c {
		out[op] = maps.Clone(m)
	}
	return out
}

// Calls returns a copy of the call counters of every account.
func (e *Emulator) Calls() CallCounts {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	return e.calls.counts.clone()
}

// CallsIn returns a copy of the call counters of the calls served in
// account: those signed with its credentials, and the STS calls its
// principals made or, for AssumeRoleWithWebIdentity, that named its roles.
func (e *Emulator) CallsIn(account string) CallCounts {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	return e.calls.byAccount[account].clone()
}

// ResetCalls sets every call counter to zero.
func (e *Emulator) ResetCalls() {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	e.calls.counts = CallCounts{}
	e.calls.byAccount = map[string]CallCounts{}
}
