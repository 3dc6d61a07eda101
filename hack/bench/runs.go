package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

const (
	region = "us-east-1"
	// applyWorkers is how many objects the bench creates at once.
	applyWorkers = 32
	// throttleRPS is the emulator's rate limit in the throttled run.
	throttleRPS = 20
	// driftUsers is how many users the drift scenario changes out of band.
	driftUsers = 100
	// cpuWindow is how long the scale run measures the operator's CPU between resyncs.
	cpuWindow = 30 * time.Second
)

// bench holds what the runs share: the control plane, the operator binary and the results.
type bench struct {
	cfg        config
	cp         *testenv.ControlPlane
	binary     string
	kubeconfig string
	work       string
	res        *results
	fast       *rest.Config  // the bench's own client configuration, without client-side rate limit
	client     client.Client // of fast
	// convergeOnly ends the main run after the converge scenario.
	convergeOnly bool
}

func (b *bench) init() error {
	b.fast = rest.CopyConfig(b.cp.Config)
	b.fast.QPS, b.fast.Burst = -1, 0
	c, err := client.New(b.fast, client.Options{Scheme: b.cp.Scheme})
	if err != nil {
		return err
	}
	b.client = c
	return nil
}

// opRun is one operator process with its own namespace and emulator.
type opRun struct {
	name    string
	ns      string
	emu     *emulator.Emulator
	tracker *tracker
	server  *http.Server
	op      *testenv.Operator
	metrics string
	ready   *readiness
	logs    *os.File
	once    sync.Once
}

// startRun starts an emulator (configured by setup) and the operator, watching namespace ns
// only, with the bench's flags and then args.
func (b *bench) startRun(ctx context.Context, name, ns string, setup func(*emulator.Emulator), args ...string) (_ *opRun, err error) {
	fmt.Printf("bench: run %s (load %s)\n", name, loadavg())
	b.res.load(name + " start")
	r := &opRun{name: name, ns: ns, tracker: newTracker()}
	defer func() {
		if err != nil {
			r.stop()
		}
	}()
	if err := b.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	r.emu = emulator.New(emulator.Options{Seed: 9})
	r.emu.SetLatency(b.cfg.latency)
	if setup != nil {
		setup(r.emu)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.server = &http.Server{Handler: r.tracker.wrap(r.emu), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.server.Serve(ln) }()

	metricsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	r.metrics = "http://" + metricsAddr + "/metrics"
	flags := append([]string{
		"--watch-namespaces=" + ns,
		"--metrics-bind-address=" + metricsAddr,
		"--metrics-secure=false",
	}, args...)
	flags = append(flags, strings.Fields(b.cfg.operatorArgs)...)
	b.res.Runs[name] = append(slices.Clone(flags), strings.Fields(b.cfg.operatorEnv)...)
	logs, err := os.Create(filepath.Join(b.work, name+"-operator.log"))
	if err != nil {
		return nil, err
	}
	r.logs = logs
	// StartOperator passes the bench's environment on; the extra variables are set only around
	// the start, so the bench's own runtime never sees them.
	for _, kv := range strings.Fields(b.cfg.operatorEnv) {
		k, v, _ := strings.Cut(kv, "=")
		_ = os.Setenv(k, v)
		defer os.Unsetenv(k)
	}
	r.op, err = testenv.StartOperator(testenv.OperatorConfig{
		Binary: b.binary, Kubeconfig: b.kubeconfig, EndpointURL: "http://" + ln.Addr().String(), Region: region,
		Args: flags, Output: logs,
	})
	if err != nil {
		return nil, err
	}
	if err := waitWorkers(ctx, r, logs.Name()); err != nil {
		return nil, err
	}
	r.ready, err = watchReadiness(ctx, b.fast, b.cp.Scheme, ns)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// waitWorkers waits until both controllers of the operator have started their workers and its
// metrics endpoint answers.
func waitWorkers(ctx context.Context, r *opRun, logPath string) error {
	started := func(ctx context.Context) (bool, error) {
		data, _ := os.ReadFile(logPath)
		if strings.Count(string(data), "Starting workers") >= 2 {
			if _, err := scrape(ctx, r.metrics); err == nil {
				return true, nil
			}
		}
		if r.op.Exited() {
			return false, fmt.Errorf("the operator exited; its log is %s", logPath)
		}
		return false, nil
	}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, started)
	if err != nil && ctx.Err() == nil && wait.Interrupted(err) {
		return fmt.Errorf("the operator did not start its workers within 60 s; its log is %s", logPath)
	}
	return err
}

// stop stops the operator, the readiness watch and the emulator.
func (r *opRun) stop() {
	r.once.Do(func() {
		if r.op != nil {
			if err := r.op.Stop(20 * time.Second); err != nil {
				fmt.Fprintf(os.Stderr, "bench: stopping the operator of run %s: %v\n", r.name, err)
			}
		}
		if r.ready != nil {
			r.ready.stop()
		}
		if r.server != nil {
			_ = r.server.Close()
		}
		if r.logs != nil {
			_ = r.logs.Close()
		}
	})
}

// runMain runs converge, steady-state and drift on the same 1,000 users.
func (b *bench) runMain(ctx context.Context) error {
	resync := b.cfg.resync
	// The full compare period equal to the resync period turns the listings of users off: this
	// run measures the resync of every object by itself; the defaults run measures the listings.
	r, err := b.startRun(ctx, "main", "bench-main", nil,
		"--resync-period="+resync.String(), "--full-compare-period="+resync.String(), "--aws-rate-limit=200", "--aws-rate-burst=50")
	if err != nil {
		return err
	}
	defer r.stop()

	// 1. Converge.
	objs, err := b.objects(r.ns, b.cfg.servers, b.cfg.users)
	if err != nil {
		return err
	}
	cpu0 := cpuByProcess()
	first, last, err := b.apply(ctx, objs)
	if err != nil {
		return err
	}
	fmt.Printf("bench: converge: applied %d objects in %.1f s\n", len(objs), last.Sub(first).Seconds())
	ready, err := r.waitAll(ctx, b.cfg.servers, b.cfg.users, b.cfg.timeout)
	converged := err == nil
	if err != nil && !errors.Is(err, errTimeout) {
		return err
	}
	calls := r.emu.Calls()
	b.res.AWSCalls["converge"] = calls
	if converged {
		b.res.add("converge", "all Ready after the last apply", ready.Sub(last).Seconds(), "s", "<=", 15)
	} else {
		n, _ := r.ready.count("user")
		b.res.addMet("converge", "all Ready after the last apply", time.Since(last).Seconds(), "s", "<=", 15, false)
		b.res.detail("converge", "users Ready at timeout", n)
	}
	perUser := round(float64(calls.Total()) / float64(b.cfg.users))
	b.res.addMet("converge", "AWS calls per user", perUser, "calls", "<=", 1.1, converged && perUser <= 1.1)
	b.res.add("converge", "failed AWS calls", float64(failed(calls)), "calls", "==", 0)
	b.res.detail("converge", "apply duration s", last.Sub(first).Seconds())
	if converged {
		b.res.detail("converge", "all Ready after the first apply s", ready.Sub(first).Seconds())
	}
	b.res.detail("converge", "CPU seconds by process until all Ready", cpuSince(cpu0))
	b.res.detail("converge", "describes soon after another call", r.tracker.earlyReads())
	b.res.load("converge end")
	if !converged {
		b.res.Notes = append(b.res.Notes, "steady-state and drift were not measured: the main run did not converge")
		return nil
	}
	if b.convergeOnly {
		return nil
	}

	// 2. Steady state: two resync periods without changes.
	fmt.Printf("bench: steady-state: watching %s (load %s)\n", 2*resync, loadavg())
	m0, err := scrape(ctx, r.metrics)
	if err != nil {
		return err
	}
	c0 := r.emu.Calls()
	reads := r.tracker.countReads(resync/2, false, "DescribeUser", "DescribeServer")
	if err := sleep(ctx, 2*resync); err != nil {
		return err
	}
	m1, err := scrape(ctx, r.metrics)
	if err != nil {
		return err
	}
	steady := diffCalls(c0, r.emu.Calls())
	st := r.tracker.stopReads(reads)
	objects := b.cfg.servers + b.cfg.users
	b.res.AWSCalls["steady-state"] = steady
	b.res.add("steady-state", "AWS write calls", float64(steady.Writes()), "calls", "==", 0)
	b.perPeriod("steady-state", "reads per object per resync period", "reads", st, resync, objects)
	// With nothing changing, a reconcile is either an object's resync, which reads it from AWS a
	// jittered period (at least 0.9 of it) after the last call about it, or caused by a watch
	// event: the operator's own writes. Those show as reads sooner than half a period after the
	// previous call, or as reconciles without a read.
	reconciles := m1.sum("controller_runtime_reconcile_total") - m0.sum("controller_runtime_reconcile_total")
	awsReads := 0.0
	for _, op := range []string{"DescribeUser", "DescribeServer"} {
		awsReads += m1.sum("transfer_operator_aws_api_requests_total", `operation="`+op+`"`) -
			m0.sum("transfer_operator_aws_api_requests_total", `operation="`+op+`"`)
	}
	b.res.add("steady-state", "reconciles caused by own status writes", float64(st.quick)+max(0, reconciles-awsReads), "reconciles", "==", 0)
	b.res.detail("steady-state", "reads", st.reads)
	b.res.detail("steady-state", "reads sooner than half a resync period after the previous call", st.quick)
	b.res.detail("steady-state", "objects read", st.objects)
	b.res.detail("steady-state", "objects", objects)
	b.res.detail("steady-state", "reads of objects not called before", st.unmatched)
	b.res.detail("steady-state", "mean time between two reads of an object s", st.meanGap.Seconds())
	b.res.detail("steady-state", "reconciles", reconciles)
	b.res.detail("steady-state", "reconciles without an AWS read", reconciles-awsReads)
	b.res.detail("steady-state", "Kubernetes writes by the operator", kubeWrites(m1)-kubeWrites(m0))
	b.res.load("steady-state end")

	// 5. Drift: users changed out of band are corrected at their next resync, and only they.
	return b.drift(ctx, r, resync)
}

// drift changes driftUsers users in the emulator and watches the operator correct them.
func (b *bench) drift(ctx context.Context, r *opRun, resync time.Duration) error {
	changed := map[string]bool{} // tracker keys
	step := max(1, b.cfg.users/driftUsers)
	want := map[string]bool{}
	for i := 0; i < b.cfg.users && len(want) < driftUsers; i += step {
		want[userName(i)] = true
	}
	r.tracker.resetUpdates()
	c0 := r.emu.Calls()
	for _, srv := range r.emu.Snapshot().Regions[region].Servers {
		for _, u := range srv.Users {
			if !want[u.UserName] {
				continue
			}
			if err := r.emu.ModifyUser(region, srv.ServerID, u.UserName, func(rec *emulator.UserRecord) {
				rec.HomeDirectory = "/drifted/" + rec.UserName
			}); err != nil {
				return err
			}
			changed[objectKey(srv.ServerID, u.UserName)] = true
		}
	}
	changedAt := time.Now()
	window := resync + 10*time.Second
	fmt.Printf("bench: drift: changed %d users; watching %s (load %s)\n", len(changed), window, loadavg())
	if err := sleep(ctx, window); err != nil {
		return err
	}
	calls := diffCalls(c0, r.emu.Calls())
	b.res.AWSCalls["drift"] = calls
	updates := r.tracker.updated()
	corrected, strays := 0, 0
	var lastFix time.Time
	for key, at := range updates {
		if !changed[key] {
			strays++
			continue
		}
		corrected++
		if at.After(lastFix) {
			lastFix = at
		}
	}
	restored := 0
	for _, srv := range r.emu.Snapshot().Regions[region].Servers {
		for _, u := range srv.Users {
			if changed[objectKey(srv.ServerID, u.UserName)] && u.HomeDirectory == "/bench/"+u.UserName {
				restored++
			}
		}
	}
	allFixed := corrected == len(changed) && restored == len(changed) && len(changed) == driftUsers
	took := window
	if allFixed {
		took = lastFix.Sub(changedAt)
	}
	b.res.addMet("drift", "all changed users corrected after the change", took.Seconds(), "s", "<=", (resync + 10*time.Second).Seconds(),
		allFixed && took <= resync+10*time.Second)
	b.res.add("drift", "UpdateUser calls", float64(calls.Of("UpdateUser")), "calls", "==", driftUsers)
	b.res.add("drift", "AWS writes besides one UpdateUser per changed user", float64(calls.Writes()-corrected), "calls", "==", 0)
	b.res.detail("drift", "users changed", len(changed))
	b.res.detail("drift", "users corrected", corrected)
	b.res.detail("drift", "users restored in the emulator", restored)
	b.res.detail("drift", "unchanged users updated", strays)
	b.res.load("drift end")
	return nil
}

// runThrottled converges 1,000 users against an emulator that throttles above throttleRPS.
func (b *bench) runThrottled(ctx context.Context) error {
	r, err := b.startRun(ctx, "throttled", "bench-throttled", func(e *emulator.Emulator) { e.SetRateLimit(throttleRPS, throttleRPS) },
		fmt.Sprintf("--aws-rate-limit=%d", throttleRPS), "--aws-rate-burst=5")
	if err != nil {
		return err
	}
	defer r.stop()
	objs, err := b.objects(r.ns, b.cfg.servers, b.cfg.users)
	if err != nil {
		return err
	}
	cpu0 := cpuByProcess()
	first, last, err := b.apply(ctx, objs)
	if err != nil {
		return err
	}
	fmt.Printf("bench: throttled: applied %d objects in %.1f s\n", len(objs), last.Sub(first).Seconds())
	ready, err := r.waitAll(ctx, b.cfg.servers, b.cfg.users, b.cfg.timeout)
	if err != nil && !errors.Is(err, errTimeout) {
		return err
	}
	calls := r.emu.Calls()
	b.res.AWSCalls["throttled"] = calls
	bound := 1.25 * float64(calls.Total()) / throttleRPS
	if err == nil {
		b.res.add("throttled", "all Ready after the first apply", ready.Sub(first).Seconds(), "s", "<=", bound)
		b.res.detail("throttled", "all Ready after the last apply s", ready.Sub(last).Seconds())
	} else {
		n, _ := r.ready.count("user")
		b.res.addMet("throttled", "all Ready after the first apply", time.Since(first).Seconds(), "s", "<=", bound, false)
		b.res.detail("throttled", "users Ready at timeout", n)
	}
	b.res.add("throttled", "throttled answers", 100*float64(throttled(calls))/float64(max(1, calls.Total())), "% of calls", "<=", 2)
	b.res.detail("throttled", "AWS calls", calls.Total())
	b.res.detail("throttled", "minimum time at 20 calls/s s", float64(calls.Total())/throttleRPS)
	b.res.detail("throttled", "CPU seconds by process until all Ready", cpuSince(cpu0))
	b.res.detail("throttled", "describes soon after another call", r.tracker.earlyReads())
	b.res.load("throttled end")
	return nil
}

// runScale converges 10,000 users on 20 servers and measures the operator's memory and idle CPU.
func (b *bench) runScale(ctx context.Context) error {
	r, err := b.startRun(ctx, "scale", "bench-scale", nil, "--aws-rate-limit=200", "--aws-rate-burst=50")
	if err != nil {
		return err
	}
	defer r.stop()
	servers := serverObjects(r.ns, b.cfg.scaleServers)
	if _, _, err := b.apply(ctx, servers); err != nil {
		return err
	}
	if _, err := r.ready.wait(ctx, "server", len(servers), b.cfg.timeout, nil); err != nil {
		return err
	}
	users, err := userObjects(r.ns, b.cfg.scaleUsers, b.cfg.scaleServers)
	if err != nil {
		return err
	}
	cpu0 := cpuByProcess()
	first, last, err := b.apply(ctx, users)
	if err != nil {
		return err
	}
	fmt.Printf("bench: scale: applied %d users in %.1f s (load %s)\n", len(users), last.Sub(first).Seconds(), loadavg())
	ready, err := r.ready.wait(ctx, "user", len(users), b.cfg.scaleTimeout, func(n int) {
		fmt.Printf("bench: scale: %d of %d users Ready (load %s)\n", n, len(users), loadavg())
	})
	converged := err == nil
	if err != nil && !errors.Is(err, errTimeout) {
		return err
	}
	b.res.AWSCalls["scale"] = r.emu.Calls()
	b.res.detail("scale", "apply duration s", last.Sub(first).Seconds())
	if converged {
		b.res.detail("scale", "all Ready after the first apply s", ready.Sub(first).Seconds())
	} else {
		n, _ := r.ready.count("user")
		b.res.detail("scale", "users Ready at timeout", n)
		b.res.Notes = append(b.res.Notes, "the scale run did not converge: its memory and CPU are measured at the timeout and count as not met")
	}
	b.res.detail("scale", "CPU seconds by process until all Ready", cpuSince(cpu0))
	b.res.load("scale converged")

	pid := r.op.PID()
	status, err := procStatus(pid)
	if err != nil {
		return err
	}
	peak := status.VmRSS
	busy0, err := cpuTime(pid)
	if err != nil {
		return err
	}
	start := time.Now()
	for time.Since(start) < cpuWindow {
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
		if status, err := procStatus(pid); err == nil {
			peak = max(peak, status.VmRSS)
		}
	}
	busy1, err := cpuTime(pid)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	rssMiB, cpuPct := round(float64(peak)/(1<<20)), round(100*(busy1-busy0).Seconds()/elapsed.Seconds())
	b.res.addMet("scale", "operator RSS after convergence (max over 30 s)", rssMiB, "MiB", "<=", 96, converged && rssMiB <= 96)
	b.res.addMet("scale", "operator CPU between resyncs", cpuPct, "% of a core", "<", 5, converged && cpuPct < 5)
	if end, err := procStatus(pid); err == nil {
		b.res.detail("scale", "operator peak RSS during the run MiB (VmHWM)", float64(end.VmHWM)/(1<<20))
		b.res.detail("scale", "operator RssAnon at the end MiB", float64(end.RssAnon)/(1<<20))
		b.res.detail("scale", "operator RssFile at the end MiB", float64(end.RssFile)/(1<<20))
	}
	if m, err := scrape(ctx, r.metrics); err == nil {
		for _, name := range []string{"go_memstats_heap_alloc_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_heap_idle_bytes",
			"go_memstats_heap_released_bytes", "go_memstats_stack_inuse_bytes", "go_memstats_sys_bytes", "go_memstats_next_gc_bytes"} {
			b.res.detail("scale", "operator "+strings.TrimPrefix(name, "go_memstats_")+" MiB", m.sum(name)/(1<<20))
		}
		b.res.detail("scale", "operator goroutines", m.sum("go_goroutines"))
	}
	b.res.load("scale end")
	return nil
}

// perPeriod records how often the calls st counted came per object per resync period: the
// period over their mean gap (1.0 when each object is called once a period, whatever the phases
// of the objects). A resync that stopped would call nothing, so it is met only when every one of
// the n objects was called.
func (b *bench) perPeriod(scenario, name, unit string, st readStats, resync time.Duration, n int) {
	rate := 0.0
	if st.meanGap > 0 {
		rate = round(resync.Seconds() / st.meanGap.Seconds())
	}
	b.res.addMet(scenario, name, rate, unit, "<=", 1.05, rate <= 1.05 && st.objects == n)
}

// waitAll waits until the run's servers and users are all Ready and returns when the last one
// became Ready.
func (r *opRun) waitAll(ctx context.Context, servers, users int, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	s, err := r.ready.wait(ctx, "server", servers, timeout, nil)
	if err != nil {
		return time.Time{}, err
	}
	u, err := r.ready.wait(ctx, "user", users, time.Until(deadline), nil)
	if err != nil {
		return time.Time{}, err
	}
	if s.After(u) {
		return s, nil
	}
	return u, nil
}

// objects returns the servers and the users of a run, servers first.
func (b *bench) objects(ns string, servers, users int) ([]client.Object, error) {
	objs := serverObjects(ns, servers)
	us, err := userObjects(ns, users, servers)
	if err != nil {
		return nil, err
	}
	return append(objs, us...), nil
}

func serverName(i int) string { return fmt.Sprintf("srv-%02d", i) }
func userName(i int) string   { return fmt.Sprintf("u-%05d", i) }

func serverObjects(ns string, n int) []client.Object {
	objs := make([]client.Object, 0, n)
	for i := range n {
		objs = append(objs, &v1alpha1.TransferServer{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: serverName(i)},
			Spec:       v1alpha1.TransferServerSpec{Protocols: []v1alpha1.Protocol{"SFTP"}},
		})
	}
	return objs
}

// userObjects returns n users spread over the servers, each with an SSH key of its own.
func userObjects(ns string, n, servers int) ([]client.Object, error) {
	objs := make([]client.Object, 0, n)
	for i := range n {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		key, err := ssh.NewPublicKey(pub)
		if err != nil {
			return nil, err
		}
		name := userName(i)
		objs = append(objs, &v1alpha1.TransferUser{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: v1alpha1.TransferUserSpec{
				ServerRef:     &v1alpha1.LocalObjectReference{Name: serverName(i % servers)},
				Role:          "arn:aws:iam::111122223333:role/bench-user",
				HomeDirectory: "/bench/" + name,
				SSHPublicKeys: []v1alpha1.SSHPublicKey{v1alpha1.SSHPublicKey(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))) + " " + name)},
			},
		})
	}
	return objs, nil
}

// apply creates objs with applyWorkers goroutines and returns when the first create was sent
// and when the last one was answered.
func (b *bench) apply(ctx context.Context, objs []client.Object) (first, last time.Time, err error) {
	work := make(chan client.Object)
	errs := make(chan error, applyWorkers)
	var wg sync.WaitGroup
	first = time.Now()
	for range applyWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for obj := range work {
				if err := b.create(ctx, obj); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	func() {
		defer close(work)
		for _, obj := range objs {
			select {
			case work <- obj:
			case err = <-errs:
				return
			case <-ctx.Done():
				err = ctx.Err()
				return
			}
		}
	}()
	wg.Wait()
	last = time.Now()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return first, last, err
}

// create creates obj as `kubectl apply` (and Argo CD's default sync) would, with its manifest in
// the last-applied-configuration annotation, retrying a few times when the API server is busy.
func (b *bench) create(ctx context.Context, obj client.Object) error {
	if err := b.annotateLastApplied(obj); err != nil {
		return err
	}
	var err error
	for attempt := range 5 {
		if err = b.client.Create(ctx, obj); err == nil || apierrors.IsAlreadyExists(err) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		_ = sleep(ctx, time.Duration(attempt+1)*200*time.Millisecond)
	}
	return fmt.Errorf("creating %s: %w", obj.GetName(), err)
}

// annotateLastApplied stores obj's manifest (apiVersion, kind, name, namespace and spec) in its
// kubectl.kubernetes.io/last-applied-configuration annotation, as client-side kubectl apply does.
func (b *bench) annotateLastApplied(obj client.Object) error {
	gvk, err := apiutil.GVKForObject(obj, b.client.Scheme())
	if err != nil {
		return err
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	var fields struct {
		Spec json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	manifest, err := json.Marshal(map[string]any{
		"apiVersion": gvk.GroupVersion().String(),
		"kind":       gvk.Kind,
		"metadata":   map[string]string{"name": obj.GetName(), "namespace": obj.GetNamespace()},
		"spec":       fields.Spec,
	})
	if err != nil {
		return err
	}
	obj.SetAnnotations(map[string]string{corev1.LastAppliedConfigAnnotation: string(manifest) + "\n"})
	return nil
}

// kubeWrites sums the operator's write requests to the API server.
func kubeWrites(m promText) float64 {
	n := 0.0
	for _, method := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		n += m.sum("rest_client_requests_total", `method="`+method+`"`)
	}
	return n
}

// freeAddr returns a free loopback address.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String(), nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
