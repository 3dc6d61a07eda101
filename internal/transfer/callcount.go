package transfer

import (
	"context"
	"sync"
)

// CallCount counts the AWS requests made with one context, each retry counted as the rate
// limiter counts it, and remembers which rate limit they were counted against.
type CallCount struct {
	mu    sync.Mutex
	calls int
	limit string
}

type callCountKey struct{}

// CountCalls returns a context whose AWS requests are counted in the returned CallCount.
func CountCalls(ctx context.Context) (context.Context, *CallCount) {
	c := &CallCount{}
	return context.WithValue(ctx, callCountKey{}, c), c
}

// Calls returns the requests counted so far.
func (c *CallCount) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// Limit names the client-side rate limit the requests were counted against (one per region),
// that of the last request; "" when there was none.
func (c *CallCount) Limit() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limit
}

// Add counts one request against limit.
func (c *CallCount) Add(limit string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	c.limit = limit
}

// countCall counts one request against limit in the CallCount of ctx, if it has one.
func countCall(ctx context.Context, limit string) {
	if c, ok := ctx.Value(callCountKey{}).(*CallCount); ok {
		c.Add(limit)
	}
}
