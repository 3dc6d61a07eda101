package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/procfs"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// tracker sits in front of the emulator and notes, per AWS object, when it was last called
// about, so that reads can be told apart per object; the emulator itself counts by operation.
type tracker struct {
	mu     sync.Mutex
	last   map[string]time.Time // object key -> time of the last call about it
	lastOp map[string]string    // object key -> the last operation about it
	lastOf map[string]time.Time // operation and object key -> time of the last such call

	// early notes describes that follow another call about the same object within a minute,
	// such as a describe right after a create.
	early []string

	counters []*readCounter

	updates map[string]time.Time // UpdateUser calls by user while recording, first time each

	begun    int       // calls begun
	inFlight int       // calls begun and not yet answered
	lastDone time.Time // when the last call was answered
}

func newTracker() *tracker {
	return &tracker{last: map[string]time.Time{}, lastOp: map[string]string{}, lastOf: map[string]time.Time{}, updates: map[string]time.Time{}}
}

// wrap returns h behind the tracker.
func (t *tracker) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, emulator.AdminPrefix) {
			h.ServeHTTP(w, r)
			return
		}
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TransferService.")
		body, err := io.ReadAll(r.Body)
		if err == nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			var ids struct{ ServerId, UserName, ConnectorId string }
			_ = json.Unmarshal(body, &ids)
			key := objectKey(ids.ServerId, ids.UserName)
			if ids.ConnectorId != "" {
				key = "connector/" + ids.ConnectorId
			}
			t.observe(op, key, time.Now())
		}
		t.begin()
		defer t.done()
		h.ServeHTTP(w, r)
	})
}

func objectKey(serverID, userName string) string {
	switch {
	case userName != "":
		return "user/" + serverID + "/" + userName
	case serverID != "":
		return "server/" + serverID
	}
	return ""
}

func (t *tracker) observe(op, key string, now time.Time) {
	if key == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.counters {
		if !c.ops[op] {
			continue
		}
		prev, ok := t.last[key]
		if c.sameOp {
			prev, ok = t.lastOf[op+" "+key]
		}
		c.count(key, prev, ok, now)
	}
	if prev, ok := t.last[key]; ok && op == "DescribeUser" && now.Sub(prev) < time.Minute && len(t.early) < 20 {
		t.early = append(t.early, fmt.Sprintf("%s %s %.1f s after %s", op, key, now.Sub(prev).Seconds(), t.lastOp[key]))
	}
	if op == "UpdateUser" {
		if _, seen := t.updates[key]; !seen {
			t.updates[key] = now
		}
	}
	t.last[key] = now
	t.lastOp[key] = op
	t.lastOf[op+" "+key] = now
}

// earlyReads returns, and forgets, the describes that came soon after another call about the
// same object.
func (t *tracker) earlyReads() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.early
	t.early = nil
	return out
}

// readCounter counts the reads of some operations from countReads to stopReads.
type readCounter struct {
	ops    map[string]bool
	sameOp bool
	minGap time.Duration
	st     readStats
	gaps   time.Duration
	keys   map[string]bool
}

func (c *readCounter) count(key string, prev time.Time, seen bool, now time.Time) {
	if !seen {
		c.st.unmatched++
		return
	}
	gap := now.Sub(prev)
	c.st.reads++
	c.gaps += gap
	c.st.maxGap = max(c.st.maxGap, gap)
	if gap < c.minGap {
		c.st.quick++
	}
	c.keys[key] = true
}

// countReads starts counting the calls of ops as reads: for each, the time since the previous
// call about the same object (with sameOp, the previous call of the same operation about it);
// a read sooner than minGap after it counts as quick: it was not a resync.
func (t *tracker) countReads(minGap time.Duration, sameOp bool, ops ...string) *readCounter {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := &readCounter{ops: map[string]bool{}, sameOp: sameOp, minGap: minGap, keys: map[string]bool{}}
	for _, op := range ops {
		c.ops[op] = true
	}
	t.counters = append(t.counters, c)
	return c
}

// objectsRead returns how many objects c has counted reads of so far.
func (t *tracker) objectsRead(c *readCounter) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(c.keys)
}

// readStats is what a readCounter counted.
type readStats struct {
	reads     int           // reads of objects called about before
	meanGap   time.Duration // mean time from the previous call about the same object to those
	maxGap    time.Duration // the longest such time
	quick     int           // those sooner than minGap after the previous call
	objects   int           // objects read
	unmatched int           // reads of objects never called about before
}

// stopReads stops c and returns what it counted.
func (t *tracker) stopReads(c *readCounter) readStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.counters = slices.DeleteFunc(t.counters, func(o *readCounter) bool { return o == c })
	st := c.st
	st.objects = len(c.keys)
	if st.reads > 0 {
		st.meanGap = c.gaps / time.Duration(st.reads)
	}
	return st
}

func (t *tracker) begin() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.begun++
	t.inFlight++
}

func (t *tracker) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.inFlight--
	t.lastDone = time.Now()
}

// atQuiet runs snap once no call has been in flight for quiet, and again at a later such moment
// if a call began while it ran: what snap reads (the emulator's counts, the operator's metrics)
// is then of finished passes only. It gives up after timeout.
func (t *tracker) atQuiet(ctx context.Context, quiet, timeout time.Duration, snap func() error) error {
	isQuiet := func(context.Context) (bool, error) {
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.inFlight == 0 && time.Since(t.lastDone) >= quiet, nil
	}
	deadline := time.Now().Add(timeout)
	for {
		if err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Until(deadline), true, isQuiet); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w: no AWS call was %s apart from the next within %s", errTimeout, quiet, timeout)
		}
		t.mu.Lock()
		begun := t.begun
		t.mu.Unlock()
		if err := snap(); err != nil {
			return err
		}
		t.mu.Lock()
		same := t.begun == begun
		t.mu.Unlock()
		if same {
			return nil
		}
	}
}

// resetUpdates forgets the UpdateUser calls seen so far.
func (t *tracker) resetUpdates() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.updates = map[string]time.Time{}
}

// updated returns when each user was first updated since resetUpdates.
func (t *tracker) updated() map[string]time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.updates)
}

// readiness watches TransferServers, TransferUsers and TransferConnectors of a namespace and
// notes when each first became Ready, and when it first became Ready for its latest generation;
// a TransferConnector counts as Ready once it is Connected too.
type readiness struct {
	mu     sync.Mutex
	ready  map[string]time.Time // kind/name -> first Ready
	latest map[string]readyGen  // kind/name -> first Ready for the latest generation seen Ready
	stop   context.CancelFunc
}

// readyGen is when an object first became Ready for a generation.
type readyGen struct {
	generation int64
	at         time.Time
}

func watchReadiness(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, ns string) (*readiness, error) {
	c, err := cache.New(cfg, cache.Options{
		Scheme:            scheme,
		DefaultNamespaces: map[string]cache.Config{ns: {}},
		DefaultTransform:  cache.TransformStripManagedFields(),
	})
	if err != nil {
		return nil, err
	}
	r := &readiness{ready: map[string]time.Time{}, latest: map[string]readyGen{}}
	for _, obj := range []client.Object{&v1alpha1.TransferServer{}, &v1alpha1.TransferUser{}, &v1alpha1.TransferConnector{}} {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return nil, err
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    r.observe,
			UpdateFunc: func(_, obj any) { r.observe(obj) },
		}); err != nil {
			return nil, err
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	r.stop = cancel
	go func() { _ = c.Start(cctx) }()
	if !c.WaitForCacheSync(cctx) {
		cancel()
		return nil, fmt.Errorf("the readiness cache did not sync")
	}
	return r, nil
}

func (r *readiness) observe(obj any) {
	now := time.Now()
	var key string
	var conds []metav1.Condition
	var gen int64
	switch o := obj.(type) {
	case *v1alpha1.TransferUser:
		key, conds, gen = "user/"+o.Name, o.Status.Conditions, o.Generation
	case *v1alpha1.TransferServer:
		key, conds, gen = "server/"+o.Name, o.Status.Conditions, o.Generation
	case *v1alpha1.TransferConnector:
		key, conds, gen = "connector/"+o.Name, o.Status.Conditions, o.Generation
		if !meta.IsStatusConditionTrue(conds, v1alpha1.ConditionConnected) {
			return
		}
	default:
		return
	}
	c := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
	if c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != gen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.ready[key]; !ok {
		r.ready[key] = now
	}
	if r.latest[key].generation < gen {
		r.latest[key] = readyGen{generation: gen, at: now}
	}
}

// readyFor returns when the object kind/name first became Ready for generation gen, if it has.
func (r *readiness) readyFor(key string, gen int64) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g, ok := r.latest[key]
	return g.at, ok && g.generation == gen
}

// count returns how many objects of kind ("user", "server" or "connector") are Ready, and when the last of
// them became Ready.
func (r *readiness) count(kind string) (n int, last time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, t := range r.ready {
		if strings.HasPrefix(k, kind+"/") {
			n++
			if t.After(last) {
				last = t
			}
		}
	}
	return n, last
}

// wait waits until n objects of kind are Ready and returns when the last one became Ready.
func (r *readiness) wait(ctx context.Context, kind string, n int, timeout time.Duration, progress func(int)) (time.Time, error) {
	lastReport := time.Now()
	var got int
	var last time.Time
	allReady := func(context.Context) (bool, error) {
		if got, last = r.count(kind); got >= n {
			return true, nil
		}
		if progress != nil && time.Since(lastReport) >= 10*time.Second {
			progress(got)
			lastReport = time.Now()
		}
		return false, nil
	}
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, allReady); err != nil {
		if ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
		return time.Time{}, fmt.Errorf("%w: %d of %d %ss Ready after %s", errTimeout, got, n, kind, timeout)
	}
	return last, nil
}

// scrape reads the operator's metrics endpoint.
func scrape(ctx context.Context, url string) (promText, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	data, err := io.ReadAll(resp.Body)
	return promText(data), err
}

// promText is a scrape in the Prometheus text format.
type promText string

// sum adds the samples of metric whose labels contain every one of labels (such as
// `operation="DescribeUser"`).
func (p promText) sum(metric string, labels ...string) float64 {
	total := 0.0
	sc := bufio.NewScanner(strings.NewReader(string(p)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric) {
			continue
		}
		rest := line[len(metric):]
		if rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(rest, l) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		fields := strings.Fields(rest[strings.LastIndex(rest, "}")+1:])
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			total += v
		}
	}
	return total
}

// procStatus returns /proc/PID/status of a process; its memory figures are in bytes.
func procStatus(pid int) (procfs.ProcStatus, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return procfs.ProcStatus{}, err
	}
	return p.NewStatus()
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime(pid int) (time.Duration, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	stat, err := p.Stat()
	if err != nil {
		return 0, err
	}
	return seconds(stat.CPUTime()), nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// diffCalls returns the calls of after that are not in before.
func diffCalls(before, after emulator.CallCounts) emulator.CallCounts {
	out := emulator.CallCounts{}
	for op, outcomes := range after {
		for outcome, n := range outcomes {
			if d := n - before[op][outcome]; d > 0 {
				if out[op] == nil {
					out[op] = map[string]int{}
				}
				out[op][outcome] = d
			}
		}
	}
	return out
}

// failed counts the calls that did not succeed.
func failed(c emulator.CallCounts) int {
	n := 0
	for _, outcomes := range c {
		for outcome, v := range outcomes {
			if outcome != emulator.OutcomeOK {
				n += v
			}
		}
	}
	return n
}

// throttled counts the calls answered with ThrottlingException.
func throttled(c emulator.CallCounts) int {
	n := 0
	for op := range c {
		n += c.Outcome(op, "ThrottlingException")
	}
	return n
}

// callSummary prints calls as "CreateUser 1000, DescribeServer 20 (2 ThrottlingException)".
func callSummary(c emulator.CallCounts) string {
	if len(c) == 0 {
		return "none"
	}
	var parts []string
	for _, op := range sortedKeys(c) {
		s := fmt.Sprintf("%s %d", op, c.Of(op))
		var bad []string
		for _, outcome := range sortedKeys(c[op]) {
			if outcome != emulator.OutcomeOK {
				bad = append(bad, fmt.Sprintf("%d %s", c[op][outcome], outcome))
			}
		}
		if len(bad) > 0 {
			s += " (" + strings.Join(bad, ", ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ") + fmt.Sprintf("; total %d", c.Total())
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// cpuByProcess returns the CPU time used so far by the bench and by each of its child
// processes (kube-apiserver, etcd, the operator), by command name.
func cpuByProcess() map[string]time.Duration {
	self := os.Getpid()
	out := map[string]time.Duration{}
	if d, err := cpuTime(self); err == nil {
		out["bench"] = d
	}
	procs, _ := procfs.AllProcs()
	for _, p := range procs {
		if stat, err := p.Stat(); err == nil && stat.PPID == self {
			out[stat.Comm] += seconds(stat.CPUTime())
		}
	}
	return out
}

// cpuSince returns the CPU seconds each process used since before.
func cpuSince(before map[string]time.Duration) map[string]float64 {
	out := map[string]float64{}
	for name, d := range cpuByProcess() {
		out[name] = round((d - before[name]).Seconds())
	}
	return out
}
