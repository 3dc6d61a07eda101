package main

import (
	"context"
	"testing"
	"time"
)

// TestReadCounters checks that a counter timed from the previous call of the same operation sees
// a TestConnection a period after the last one, where one timed from any call sees the describe
// of its own pass just before it.
func TestReadCounters(t *testing.T) {
	tr := newTracker()
	t0 := time.Now()
	pass := func(at time.Time) {
		tr.observe("DescribeConnector", "connector/c-1", at)
		tr.observe("TestConnection", "connector/c-1", at.Add(10*time.Millisecond))
	}
	pass(t0)
	sameOp := tr.countReads(15*time.Second, true, "TestConnection")
	anyOp := tr.countReads(15*time.Second, false, "TestConnection")
	pass(t0.Add(30 * time.Second))
	pass(t0.Add(60 * time.Second))
	if n := tr.objectsRead(sameOp); n != 1 {
		t.Errorf("objectsRead = %d, want 1", n)
	}
	if st := tr.stopReads(sameOp); st.reads != 2 || st.quick != 0 || st.meanGap != 30*time.Second || st.objects != 1 {
		t.Errorf("same operation: %+v, want 2 reads 30 s apart, none quick", st)
	}
	if st := tr.stopReads(anyOp); st.reads != 2 || st.quick != 2 || st.meanGap != 10*time.Millisecond {
		t.Errorf("any operation: %+v, want 2 quick reads 10 ms after their describe", st)
	}
	pass(t0.Add(90 * time.Second))
	if len(tr.counters) != 0 {
		t.Errorf("%d counters left after stopReads", len(tr.counters))
	}
}

// TestAtQuiet checks that atQuiet waits for the call in flight and the quiet gap after it, and
// reads again when a call began while it read.
func TestAtQuiet(t *testing.T) {
	tr := newTracker()
	tr.begin()
	answered := time.Now().Add(100 * time.Millisecond)
	go func() {
		time.Sleep(time.Until(answered))
		tr.done()
	}()
	snaps := 0
	err := tr.atQuiet(context.Background(), 50*time.Millisecond, 5*time.Second, func() error {
		snaps++
		if snaps == 1 {
			if since := time.Since(answered); since < 50*time.Millisecond {
				t.Errorf("read %s after the last answer, want at least 50 ms", since)
			}
			tr.begin() // a call that begins while the counts are read
			tr.done()
		}
		return nil
	})
	if err != nil || snaps != 2 {
		t.Errorf("atQuiet = %v after %d reads, want nil after 2", err, snaps)
	}

	tr.begin()
	if err := tr.atQuiet(context.Background(), 50*time.Millisecond, 200*time.Millisecond, func() error { return nil }); err == nil {
		t.Error("atQuiet with a call always in flight = nil, want a timeout")
	}
}
