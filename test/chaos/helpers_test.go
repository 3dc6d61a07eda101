// Package chaos injects faults into the operator's surroundings (AWS answers lost, throttled or
// failing, the operator process killed, the API server restarted or in conflict, a leader lost)
// and checks that it keeps its promises: every object Ready, exactly one AWS resource per object,
// nothing unowned, nothing stuck with a finalizer, no panic.
//
// The operator runs as the built binary, as a process of its own, against a real kube-apiserver
// and etcd (envtest) and the Transfer emulator. `make test` runs each scenario with fixed seeds;
// `make test-chaos` (TRANSFER_CHAOS=long) runs longer variants with random seeds, which
// TRANSFER_CHAOS_SEED replays. A failed scenario shows the last lines of each operator's log;
// with TRANSFER_CHAOS_LOG_DIR set it also writes the whole logs there.
package chaos

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

const (
	// region is the operator's default region, and so the emulator region every resource is in.
	region = "eu-west-1"
	// role is the IAM role of every user.
	role = "arn:aws:iam::111122223333:role/transfer"
	// resync is the operator's --resync-period: short, so that recovery is quick.
	resync = 5 * time.Second
	// convergeTimeout bounds every wait for objects to become Ready or to be released.
	convergeTimeout = 120 * time.Second
)

// The control plane and the operator binary are shared by the tests, which run one at a time,
// each in a namespace of its own with an emulator and operators of its own.
var (
	plane          *testenv.ControlPlane
	kubeconfig     string
	operatorBinary string
)

func TestMain(m *testing.M) {
	code, err := runTests(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runTests(m *testing.M) (int, error) {
	// envtest logs through controller-runtime; the operator's own logs are what the tests read.
	log.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	dir, err := os.MkdirTemp("", "transfer-operator-chaos-")
	if err != nil {
		return 0, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if operatorBinary, err = testenv.BuildOperator(dir); err != nil {
		return 0, err
	}
	if plane, err = testenv.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = plane.Stop() }()
	kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := plane.WriteKubeconfig(kubeconfig); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// long reports whether the longer randomized variants run (make test-chaos).
func long() bool { return os.Getenv("TRANSFER_CHAOS") == "long" }

// seedFor returns the scenario's fixed seed; in long mode a random one, or TRANSFER_CHAOS_SEED.
// The seed is logged so that a failure can be replayed.
func seedFor(t *testing.T, fixed uint64) uint64 {
	t.Helper()
	seed := fixed
	if s := os.Getenv("TRANSFER_CHAOS_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("TRANSFER_CHAOS_SEED=%q: %v", s, err)
		}
		seed = n
	} else if long() {
		seed = uint64(time.Now().UnixNano()) & (1<<53 - 1)
	}
	t.Logf("seed %d (replay with TRANSFER_CHAOS_SEED=%d)", seed, seed)
	return seed
}

// env is one scenario's world: a namespace of the shared (or its own) control plane, an
// emulator, and the operator processes it started.
type env struct {
	t          *testing.T
	plane      *testenv.ControlPlane
	kubeconfig string
	c          client.Client
	ns         string
	emu        *emulator.Server
	// account is the emulator account the env's objects are managed in; "" for the operator's
	// own (the emulator's default account).
	account string

	mu  sync.Mutex
	ops []*operator
}

// newEnv starts an emulator with opts and creates a namespace on the shared control plane.
func newEnv(t *testing.T, opts emulator.Options) *env {
	return newEnvOn(t, plane, kubeconfig, opts)
}

// newEnvOn is newEnv on a control plane of the test's own.
func newEnvOn(t *testing.T, cp *testenv.ControlPlane, kubeconfigPath string, opts emulator.Options) *env {
	t.Helper()
	emu, err := emulator.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, plane: cp, kubeconfig: kubeconfigPath, c: cp.Client, emu: emu, ns: "chaos-" + rand.String(6)}
	if err := e.c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.ns}}); err != nil {
		_ = emu.Close()
		t.Fatal(err)
	}
	t.Cleanup(e.cleanup)
	return e
}

// cleanup stops every operator, shows their logs when the test failed, releases what is left in
// the namespace so that no object outlives the test, and stops the emulator.
func (e *env) cleanup() {
	e.mu.Lock()
	ops := slices.Clone(e.ops)
	e.mu.Unlock()
	for _, op := range ops {
		op.kill()
	}
	if e.t.Failed() {
		for _, op := range ops {
			e.t.Logf("last log lines of operator %s:\n%s", op.name, tail(op.logs.String(), 80))
			e.keepLog(op)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, list := range []client.ObjectList{&v1alpha1.TransferUserList{}, &v1alpha1.TransferServerList{}, &v1alpha1.TransferConnectorList{}} {
		if err := e.c.List(ctx, list, client.InNamespace(e.ns)); err != nil {
			continue
		}
		_ = meta.EachListItem(list, func(o runtime.Object) error {
			obj := o.(client.Object)
			if len(obj.GetFinalizers()) > 0 {
				_ = e.c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`)))
			}
			_ = e.c.Delete(ctx, obj)
			return nil
		})
	}
	_ = e.c.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.ns}})
	_ = e.emu.Close()
}

// operator is one operator process; restart starts it again with the same flags.
type operator struct {
	e    *env
	name string
	args []string
	url  string
	logs *lockedBuffer

	mu       sync.Mutex
	proc     *testenv.Operator
	restarts int
}

// startOperator starts the operator binary against the emulator (or endpoint, when given),
// watching the env's namespace with a short resync; args override those defaults.
func (e *env) startOperator(name, endpoint string, args ...string) *operator {
	e.t.Helper()
	if endpoint == "" {
		endpoint = e.emu.URL()
	}
	op := &operator{
		e: e, name: name, url: endpoint, logs: &lockedBuffer{},
		args: append([]string{"--watch-namespaces=" + e.ns, "--resync-period=" + resync.String()}, args...),
	}
	if err := op.start(); err != nil {
		e.t.Fatal(err)
	}
	e.mu.Lock()
	e.ops = append(e.ops, op)
	e.mu.Unlock()
	return op
}

func (op *operator) start() error {
	proc, err := testenv.StartOperator(testenv.OperatorConfig{
		Binary: operatorBinary, Kubeconfig: op.e.kubeconfig, EndpointURL: op.url, Region: region,
		Args: op.args, Output: op.logs,
	})
	if err != nil {
		return err
	}
	op.mu.Lock()
	op.proc = proc
	op.mu.Unlock()
	return nil
}

// kill ends the process with SIGKILL and waits until it is gone.
func (op *operator) kill() {
	op.mu.Lock()
	proc := op.proc
	op.mu.Unlock()
	if proc != nil {
		proc.Kill()
	}
}

// restart kills the process with SIGKILL and starts it again.
func (op *operator) restart() {
	op.e.t.Helper()
	op.kill()
	op.mu.Lock()
	op.restarts++
	fmt.Fprintf(op.logs, "=== chaos: restart %d after SIGKILL ===\n", op.restarts)
	op.mu.Unlock()
	if err := op.start(); err != nil {
		op.e.t.Fatal(err)
	}
}

// pid is the process ID of the current process.
func (op *operator) pid() int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.proc.PID()
}

// exited reports whether the current process has ended.
func (op *operator) exited() bool {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.proc.Exited()
}

// stop asks the process to shut down (SIGTERM) and reports whether it stopped cleanly.
func (op *operator) stop() error {
	op.mu.Lock()
	proc := op.proc
	op.mu.Unlock()
	return proc.Stop(time.Minute)
}

// waitLog waits until the operator's output contains text.
func (op *operator) waitLog(text string, timeout time.Duration) bool {
	logged := func(context.Context) (bool, error) { return strings.Contains(op.logs.String(), text), nil }
	return wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, logged) == nil
}

// panics returns the lines of every operator's output that mention a panic.
func (e *env) panics() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, op := range e.ops {
		for _, line := range strings.Split(op.logs.String(), "\n") {
			if strings.Contains(strings.ToLower(line), "panic") {
				out = append(out, op.name+": "+line)
			}
		}
	}
	return out
}

// countLogs returns how many times text occurs in the output of every operator.
func (e *env) countLogs(text string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, op := range e.ops {
		n += strings.Count(op.logs.String(), text)
	}
	return n
}

// ---- objects ----

// newServer returns a TransferServer with the SFTP protocol and a tag.
func (e *env) newServer(name string) *v1alpha1.TransferServer {
	return &v1alpha1.TransferServer{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns},
		Spec: v1alpha1.TransferServerSpec{
			Protocols: []v1alpha1.Protocol{"SFTP"},
			Tags:      v1alpha1.Tags{"suite": "chaos"},
		},
	}
}

// newUser returns a TransferUser of server with one SSH key, a home directory and a tag.
func (e *env) newUser(name, server string, key int) *v1alpha1.TransferUser {
	return &v1alpha1.TransferUser{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns},
		Spec: v1alpha1.TransferUserSpec{
			ServerRef:     &v1alpha1.LocalObjectReference{Name: server},
			Role:          role,
			HomeDirectory: "/bucket/" + name,
			SSHPublicKeys: []v1alpha1.SSHPublicKey{sshKey(key)},
			Tags:          v1alpha1.Tags{"suite": "chaos"},
		},
	}
}

// fleet returns servers named <prefix>-<i> and, for each, users named <server>-u<j>.
func (e *env) fleet(prefix string, servers, usersPerServer int) []client.Object {
	var objs []client.Object
	for i := range servers {
		name := fmt.Sprintf("%s-%d", prefix, i)
		objs = append(objs, e.newServer(name))
		for j := range usersPerServer {
			objs = append(objs, e.newUser(fmt.Sprintf("%s-u%02d", name, j), name, i*1000+j))
		}
	}
	return objs
}

// sshKey returns a valid ed25519 public key in authorized_keys form, one for each n.
func sshKey(n int) v1alpha1.SSHPublicKey {
	seed := make([]byte, ed25519.SeedSize)
	binary.BigEndian.PutUint64(seed, uint64(n)+1)
	copy(seed[8:], "transfer-operator-chaos")
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed).Public())
	if err != nil {
		panic(err)
	}
	return v1alpha1.SSHPublicKey(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + fmt.Sprintf(" key-%d", n))
}

// create creates the objects, retrying transient API errors.
func (e *env) create(objs ...client.Object) {
	e.t.Helper()
	for _, obj := range objs {
		obj.SetNamespace(e.ns)
		err := retry(30*time.Second, func() error {
			err := e.c.Create(context.Background(), obj)
			if apierrors.IsAlreadyExists(err) {
				return nil
			}
			return err
		})
		if err != nil {
			e.t.Fatalf("creating %s: %v", obj.GetName(), err)
		}
	}
}

// update applies mutate to the latest version of obj, retrying conflicts and transient errors.
func update[T client.Object](e *env, obj T, mutate func(T)) {
	e.t.Helper()
	err := retry(30*time.Second, func() error {
		if err := e.c.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mutate(obj)
		return e.c.Update(context.Background(), obj)
	})
	if err != nil {
		e.t.Fatalf("updating %s: %v", obj.GetName(), err)
	}
}

// retry calls f until it succeeds or timeout passes, and returns f's last error.
func retry(timeout time.Duration, f func() error) error {
	var err error
	succeeded := func(context.Context) (bool, error) {
		err = f()
		return err == nil, nil
	}
	_ = wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, succeeded)
	return err
}

// servers and users list the env's objects.
func (e *env) servers() ([]v1alpha1.TransferServer, error) {
	l := &v1alpha1.TransferServerList{}
	err := e.c.List(context.Background(), l, client.InNamespace(e.ns))
	return l.Items, err
}

func (e *env) users() ([]v1alpha1.TransferUser, error) {
	l := &v1alpha1.TransferUserList{}
	err := e.c.List(context.Background(), l, client.InNamespace(e.ns))
	return l.Items, err
}

// conditioned is an object with kstatus conditions.
type conditioned interface {
	client.Object
	GetConditions() []metav1.Condition
}

// ready reports whether obj is Ready for its current generation.
func ready(obj conditioned) bool {
	c := meta.FindStatusCondition(obj.GetConditions(), v1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == obj.GetGeneration()
}

// describe says in one line where obj stands.
func describe(obj conditioned) string {
	var parts []string
	for _, c := range obj.GetConditions() {
		parts = append(parts, fmt.Sprintf("%s=%s(%s: %s)", c.Type, c.Status, c.Reason, c.Message))
	}
	return fmt.Sprintf("%s gen %d: %s", obj.GetName(), obj.GetGeneration(), strings.Join(parts, "; "))
}

// notReady returns a description of every object that is not Ready for its generation.
func (e *env) notReady() ([]string, error) {
	servers, err := e.servers()
	if err != nil {
		return nil, err
	}
	users, err := e.users()
	if err != nil {
		return nil, err
	}
	var out []string
	for i := range servers {
		if !ready(&servers[i]) {
			out = append(out, "TransferServer "+describe(&servers[i]))
		}
	}
	for i := range users {
		if !ready(&users[i]) {
			out = append(out, "TransferUser "+describe(&users[i]))
		}
	}
	return out, nil
}

// waitReady waits until every object of the env is Ready for its generation, and returns how
// long that took; the test fails with the objects that are not when timeout passes.
func (e *env) waitReady(timeout time.Duration) time.Duration {
	e.t.Helper()
	took, err := e.tryWaitReady(timeout)
	if err != nil {
		e.t.Fatal(err)
	}
	return took
}

// tryWaitReady is waitReady returning an error, with the objects not Ready, on timeout.
func (e *env) tryWaitReady(timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	var pending []string
	allReady := func(context.Context) (bool, error) {
		var err error
		pending, err = e.notReady()
		return err == nil && len(pending) == 0, nil
	}
	if wait.PollUntilContextTimeout(context.Background(), 250*time.Millisecond, timeout, true, allReady) == nil {
		return time.Since(start), nil
	}
	return time.Since(start), fmt.Errorf("%d object(s) not Ready after %s:\n%s", len(pending), timeout, strings.Join(first(pending, 10), "\n"))
}

// deleteAll deletes every object of the env and waits until all are released; it returns the
// objects still held by a finalizer after timeout (stuck).
func (e *env) deleteAll(timeout time.Duration) (stuck []string) {
	e.t.Helper()
	ctx := context.Background()
	for _, obj := range []client.Object{&v1alpha1.TransferUser{}, &v1alpha1.TransferServer{}} {
		if err := retry(30*time.Second, func() error { return e.c.DeleteAllOf(ctx, obj, client.InNamespace(e.ns)) }); err != nil {
			e.t.Fatalf("deleting: %v", err)
		}
	}
	return e.waitReleased(timeout)
}

// waitReleased waits until the env holds no object, and returns those left after timeout.
func (e *env) waitReleased(timeout time.Duration) (stuck []string) {
	released := func(context.Context) (bool, error) {
		servers, serr := e.servers()
		users, uerr := e.users()
		if serr != nil || uerr != nil {
			return false, nil
		}
		stuck = stuck[:0]
		for i := range servers {
			stuck = append(stuck, fmt.Sprintf("TransferServer %s finalizers %v: %s", servers[i].Name, servers[i].Finalizers, describe(&servers[i])))
		}
		for i := range users {
			stuck = append(stuck, fmt.Sprintf("TransferUser %s finalizers %v: %s", users[i].Name, users[i].Finalizers, describe(&users[i])))
		}
		return len(stuck) == 0, nil
	}
	if wait.PollUntilContextTimeout(context.Background(), 250*time.Millisecond, timeout, true, released) == nil {
		return nil
	}
	return stuck
}

// ---- AWS accounting ----

// tally counts, from an emulator snapshot and the ownership tags, the AWS resources of each
// live object and the resources no live object owns.
type tally struct {
	objects   int
	resources int
	// missing are objects without an AWS resource; duplicated, objects with more than one.
	missing, duplicated []string
	// unowned are resources without an ownership tag or whose owner no longer exists.
	unowned []string
}

func (t tally) String() string {
	return fmt.Sprintf("%d objects, %d AWS resources, %d missing, %d duplicated, %d unowned",
		t.objects, t.resources, len(t.missing), len(t.duplicated), len(t.unowned))
}

// tally counts the AWS resources per object of the env in the operator's default region.
func (e *env) tally() tally { return e.tallyIn(region) }

// tallyIn counts the AWS resources per object of the env in the given regions.
func (e *env) tallyIn(regions ...string) tally {
	e.t.Helper()
	servers, err := e.servers()
	if err != nil {
		e.t.Fatal(err)
	}
	users, err := e.users()
	if err != nil {
		e.t.Fatal(err)
	}
	owners := map[string]string{} // UID -> kind/name
	for _, s := range servers {
		owners[string(s.UID)] = "TransferServer/" + s.Name
	}
	for _, u := range users {
		owners[string(u.UID)] = "TransferUser/" + u.Name
	}
	count := map[string]int{}
	var t tally
	snap := e.snapshot()
	for _, reg := range regions {
		for _, srv := range snap.Regions[reg].Servers {
			t.resources++
			e.own(owners, count, &t, "server "+srv.ServerID, srv.Tags, "TransferServer/")
			for _, u := range srv.Users {
				t.resources++
				e.own(owners, count, &t, "user "+srv.ServerID+"/"+u.UserName, u.Tags, "TransferUser/")
			}
		}
	}
	t.objects = len(owners)
	for uid, name := range owners {
		switch n := count[uid]; {
		case n == 0:
			t.missing = append(t.missing, name)
		case n > 1:
			t.duplicated = append(t.duplicated, fmt.Sprintf("%s (%d)", name, n))
		}
	}
	sort.Strings(t.missing)
	sort.Strings(t.duplicated)
	return t
}

func (e *env) own(owners map[string]string, count map[string]int, t *tally, what string, tags []emulator.Tag, kind string) {
	for _, tag := range tags {
		if tag.Key != transfer.TagOwnerUID {
			continue
		}
		if owner, ok := owners[tag.Value]; ok && strings.HasPrefix(owner, kind) {
			count[tag.Value]++
			return
		}
	}
	t.unowned = append(t.unowned, what)
}

// snapshot is the emulator's state of the env's account.
func (e *env) snapshot() emulator.Snapshot {
	if e.account != "" {
		return e.emu.SnapshotOf(e.account)
	}
	return e.emu.Snapshot()
}

// expectOnePerObject fails the test unless every object has exactly one AWS resource and every
// resource has a live owner.
func (e *env) expectOnePerObject(when string) tally {
	e.t.Helper()
	t := e.tally()
	if len(t.missing)+len(t.duplicated)+len(t.unowned) > 0 || t.resources != t.objects {
		e.t.Errorf("%s: %s\nmissing: %v\nduplicated: %v\nunowned: %v", when, t, first(t.missing, 10), t.duplicated, t.unowned)
	}
	return t
}

// expectNothingLeft fails the test if the emulator still holds any resource.
func (e *env) expectNothingLeft(when string) int {
	e.t.Helper()
	n := 0
	for _, srv := range e.snapshot().Regions[region].Servers {
		n += 1 + len(srv.Users)
		e.t.Errorf("%s: server %s with %d user(s) is left in AWS, tags %v", when, srv.ServerID, len(srv.Users), srv.Tags)
	}
	return n
}

// expectNoPanics fails the test if an operator's output mentions a panic; it returns how many
// lines do.
func (e *env) expectNoPanics() int {
	e.t.Helper()
	p := e.panics()
	if len(p) > 0 {
		e.t.Errorf("%d log line(s) mention a panic:\n%s", len(p), strings.Join(first(p, 5), "\n"))
	}
	return len(p)
}

// okCalls returns the number of calls answered with success.
func okCalls(c emulator.CallCounts) int {
	n := 0
	for op := range c {
		n += c.Outcome(op, emulator.OutcomeOK)
	}
	return n
}

// outcomeCalls returns the number of calls of every operation that ended with outcome.
func outcomeCalls(c emulator.CallCounts, outcome string) int {
	n := 0
	for op := range c {
		n += c.Outcome(op, outcome)
	}
	return n
}

// ---- status watching ----

// stalledWatch records every object that was ever seen Stalled=True.
type stalledWatch struct {
	mu      sync.Mutex
	stalled map[string]string
	events  int
}

// watchStalled watches both kinds in the env's namespace until ctx ends.
func (e *env) watchStalled(ctx context.Context) *stalledWatch {
	e.t.Helper()
	wc, err := client.NewWithWatch(e.plane.Config, client.Options{Scheme: e.plane.Scheme})
	if err != nil {
		e.t.Fatal(err)
	}
	w := &stalledWatch{stalled: map[string]string{}}
	for _, list := range []client.ObjectList{&v1alpha1.TransferServerList{}, &v1alpha1.TransferUserList{}} {
		go w.run(ctx, wc, list, e.ns)
	}
	return w
}

func (w *stalledWatch) run(ctx context.Context, wc client.WithWatch, list client.ObjectList, ns string) {
	for ctx.Err() == nil {
		wi, err := wc.Watch(ctx, list, client.InNamespace(ns))
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		for ev := range wi.ResultChan() {
			if ev.Type != watch.Added && ev.Type != watch.Modified {
				continue
			}
			obj, ok := ev.Object.(conditioned)
			if !ok {
				continue
			}
			w.mu.Lock()
			w.events++
			if c := meta.FindStatusCondition(obj.GetConditions(), v1alpha1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
				w.stalled[obj.GetName()] = c.Reason + ": " + c.Message
			}
			w.mu.Unlock()
		}
		wi.Stop()
	}
}

// seen returns the objects seen Stalled and the number of events observed.
func (w *stalledWatch) seen() (map[string]string, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]string{}
	for k, v := range w.stalled {
		out[k] = v
	}
	return out, w.events
}

// eventsFor returns the notes of the Events with reason recorded for obj.
func (e *env) eventsFor(obj client.Object, reason string) []string {
	e.t.Helper()
	list := &eventsv1.EventList{}
	if err := e.c.List(context.Background(), list, client.InNamespace(e.ns)); err != nil {
		e.t.Fatal(err)
	}
	var notes []string
	for _, ev := range list.Items {
		if ev.Regarding.UID == obj.GetUID() && ev.Reason == reason {
			notes = append(notes, ev.Note)
		}
	}
	return notes
}

// ---- the report ----

// report collects a scenario's table: what was injected, how often, and what was counted.
type report struct {
	t    *testing.T
	name string
	rows [][2]string
}

func newReport(t *testing.T, name string) *report {
	r := &report{t: t, name: name}
	t.Cleanup(r.print)
	return r
}

// add records one row.
func (r *report) add(what string, format string, args ...any) {
	r.rows = append(r.rows, [2]string{what, fmt.Sprintf(format, args...)})
}

func (r *report) print() {
	var b strings.Builder
	fmt.Fprintf(&b, "report: %s\n| what | count |\n|---|---|\n", r.name)
	for _, row := range r.rows {
		fmt.Fprintf(&b, "| %s | %s |\n", row[0], row[1])
	}
	r.t.Log(b.String())
}

// ---- small things ----

// countingProxy forwards requests to target and counts them: the AWS calls of one operator.
type countingProxy struct {
	*httptest.Server
	calls atomic.Int64
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{}
	rp := quietProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.calls.Add(1)
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// quietProxy is a reverse proxy to u that answers 502 without logging when a call cannot be
// forwarded, as when the operator is killed in the middle of it.
func quietProxy(u *url.URL) *httputil.ReverseProxy {
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	return rp
}

// holdingProxy forwards AWS calls to the emulator. Armed for an operation, it lets the next call
// of it take effect and then holds the answer back until the caller goes away, so that a test can
// kill the operator after AWS acted and before the operator heard of it.
type holdingProxy struct {
	*httptest.Server
	mu    sync.Mutex
	op    string
	held  chan struct{}
	proxy *httputil.ReverseProxy
}

func newHoldingProxy(t *testing.T, target string) *holdingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &holdingProxy{proxy: quietProxy(u)}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

// hold arms the proxy for the next call of op; the channel is closed once that call has taken
// effect and its answer is being held.
func (p *holdingProxy) hold(op string) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.op, p.held = op, make(chan struct{})
	return p.held
}

// disarm forgets an operation hold asked for that has not come.
func (p *holdingProxy) disarm() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.op = ""
}

func (p *holdingProxy) serve(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TransferService.")
	p.mu.Lock()
	hold := p.op != "" && op == p.op
	held := p.held
	if hold {
		p.op = ""
	}
	p.mu.Unlock()
	if !hold {
		p.proxy.ServeHTTP(w, r)
		return
	}
	answer := httptest.NewRecorder()
	p.proxy.ServeHTTP(answer, r)
	close(held)
	select {
	case <-r.Context().Done():
		return
	case <-time.After(30 * time.Second):
	}
	for k, v := range answer.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(answer.Code)
	_, _ = w.Write(answer.Body.Bytes())
}

// lockedBuffer is an io.Writer safe for a process's stdout and stderr at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// keepLog writes op's whole log into TRANSFER_CHAOS_LOG_DIR, when it is set: a failure's cause is
// seldom in the last lines.
func (e *env) keepLog(op *operator) {
	dir := os.Getenv("TRANSFER_CHAOS_LOG_DIR")
	if dir == "" {
		return
	}
	path := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(e.t.Name())+"-"+op.name+".log")
	if err := os.WriteFile(path, []byte(op.logs.String()), 0o644); err != nil {
		e.t.Logf("keeping the log of operator %s: %v", op.name, err)
		return
	}
	e.t.Logf("the whole log of operator %s: %s", op.name, path)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// first returns at most n elements of s.
func first[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// clientKey is the key of obj.
func clientKey(obj client.Object) client.ObjectKey { return client.ObjectKeyFromObject(obj) }
