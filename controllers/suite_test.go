package controllers_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awstransfer "github.com/aws/aws-sdk-go-v2/service/transfer"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/controllers"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// The suite runs both reconcilers in a manager against a real kube-apiserver and etcd, and the
// real AWS SDK against the Transfer emulator over HTTP.

const (
	region = "us-east-1"
	// resync is short so that drift tests see a correction within seconds.
	resync = 3 * time.Second
	// fullCompare is the full period of users whose server's listing watches their drift: longer
	// than timeout, so that a correction within timeout of a user in sync is the listing's.
	fullCompare = 2 * time.Minute
	// timeout bounds every wait for the operator: generous, for a busy machine.
	timeout = time.Minute
)

var (
	k8s    client.Client
	emu    *emulator.Server
	awsAPI *awstransfer.Client
	// secretsAPI reads the emulator's Secrets Manager secrets, as a connector does.
	secretsAPI *secretsmanager.Client
	logs       = &testenv.SyncBuffer{}
	faults     = &statusFaults{}
	// operatorCache is the cache the operator's controllers read.
	operatorCache client.Reader
)

func TestMain(m *testing.M) {
	code, err := runSuite(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runSuite(m *testing.M) (int, error) {
	cp, err := testenv.Start()
	if err != nil {
		return 0, err
	}
	defer func() { _ = cp.Stop() }()
	emu, err = emulator.Start(emulator.Options{Seed: 1})
	if err != nil {
		return 0, err
	}
	defer func() { _ = emu.Close() }()

	ctrl.SetLogger(zap.New(zap.WriteTo(logs), zap.UseDevMode(true)))
	mgr, err := ctrl.NewManager(cp.Config, ctrl.Options{
		Scheme:                 cp.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cache.Options{DefaultTransform: controllers.TrimForCache},
		NewClient: func(cfg *rest.Config, opts client.Options) (client.Client, error) {
			c, err := client.NewWithWatch(cfg, opts)
			if err != nil {
				return nil, err
			}
			return interceptor.NewClient(c, interceptor.Funcs{SubResourcePatch: faults.patch, Get: faults.get}), nil
		},
	})
	if err != nil {
		return 0, err
	}
	awsConfig := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 20 * time.Millisecond })
		},
	}
	awsAPI = awstransfer.NewFromConfig(awsConfig, func(o *awstransfer.Options) { o.BaseEndpoint = aws.String(emu.URL()) })
	secretsAPI = secretsmanager.NewFromConfig(awsConfig, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(emu.URL()) })
	clients := transfer.NewClients(awsConfig, transfer.ClientOptions{EndpointURL: emu.URL(), EC2EndpointURL: emu.URL(), STSEndpointURL: emu.URL(), SecretsManagerEndpointURL: emu.URL()})
	opts := controllers.Options{Resync: resync, PollInterval: 50 * time.Millisecond, MaxPollInterval: 500 * time.Millisecond, MaxConcurrentReconciles: 4}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := controllers.Setup(ctx, mgr, clients, controllers.Config{
		Servers: opts, Users: opts, FullComparePeriod: fullCompare,
		OwnAccount: controllers.AccountPolicy{Regions: []string{region, "cn-north-1"}, AllowAdoption: true},
	}); err != nil {
		return 0, err
	}
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()
	k8s, operatorCache = cp.Client, mgr.GetCache()

	code := m.Run()
	cancel()
	if err := <-stopped; err != nil {
		return 0, fmt.Errorf("the manager stopped with an error: %w", err)
	}
	return code, nil
}

// statusFaults fails status writes on request, to simulate an operator that dies between an
// AWS call and recording its outcome, or delays one (lagOnce), to simulate a slow API server and
// a slow watch.
type statusFaults struct {
	mu     sync.Mutex
	fail   func(obj client.Object) bool
	lag    func(obj client.Object) bool
	lagged *laggedWrite
}

// laggedWrite is a status write that lagOnce delays.
type laggedWrite struct {
	key client.ObjectKey
	// before is the object as the operator's cache held it when the write arrived.
	before client.Object
	// arrived is closed when the write arrives, and staleRead at the first read of the object
	// that returned it as it was before the write.
	arrived, staleRead chan struct{}
	// let, once closed, sends the write; sent is closed when the API server answered it.
	let, sent chan struct{}
	// thawed, once closed, ends the reads of the object as it was before the write.
	thawed                      chan struct{}
	readOnce, letOnce, thawOnce sync.Once
}

// send sends the write and returns once the API server answered it.
func (w *laggedWrite) send() {
	w.letOnce.Do(func() { close(w.let) })
	select {
	case <-w.arrived:
		<-w.sent
	default:
	}
}

// thaw lets the reads of the object return what the API server holds.
func (w *laggedWrite) thaw() { w.thawOnce.Do(func() { close(w.thawed) }) }

// failOnce makes the first status write for which match is true fail.
func (f *statusFaults) failOnce(match func(obj client.Object) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = match
}

// lagOnce delays the first status write for which match is true: it is held back until send,
// and from then until thaw the operator reads the object as its cache held it before the write,
// as a cache whose watch lags would.
func (f *statusFaults) lagOnce(match func(obj client.Object) bool) *laggedWrite {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lag = match
	f.lagged = &laggedWrite{
		arrived: make(chan struct{}), staleRead: make(chan struct{}),
		let: make(chan struct{}), sent: make(chan struct{}), thawed: make(chan struct{}),
	}
	return f.lagged
}

func (f *statusFaults) patch(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	f.mu.Lock()
	match := f.fail
	if match != nil && match(obj) {
		f.fail = nil
		f.mu.Unlock()
		return errors.New("injected: the operator died before recording the outcome")
	}
	var w *laggedWrite
	if f.lag != nil && f.lag(obj) {
		f.lag, w = nil, f.lagged
	}
	f.mu.Unlock()
	if w == nil {
		return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
	}
	defer close(w.sent)
	before := obj.DeepCopyObject().(client.Object)
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), before); err != nil {
		return err
	}
	f.mu.Lock()
	w.key, w.before = client.ObjectKeyFromObject(obj), before
	f.mu.Unlock()
	close(w.arrived)
	select {
	case <-w.let:
	case <-ctx.Done():
		return ctx.Err()
	}
	return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
}

// get returns an object whose status write lags as it was before the write, until thawed.
func (f *statusFaults) get(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	f.mu.Lock()
	w := f.lagged
	var before client.Object
	if w != nil && w.key == key {
		before = w.before
	}
	f.mu.Unlock()
	if before != nil && reflect.TypeOf(obj) == reflect.TypeOf(before) {
		select {
		case <-w.thawed:
		default:
			reflect.ValueOf(obj).Elem().Set(reflect.ValueOf(before.DeepCopyObject()).Elem())
			w.readOnce.Do(func() { close(w.staleRead) })
			return nil
		}
	}
	return c.Get(ctx, key, obj, opts...)
}

// resyncsSince returns how many resync periods fit in the time since start: the most resync
// passes of one object that can follow one at start, each jittered by 10% and so at least 0.9
// of a period after the last. A step that takes seconds on a busy machine may hold them, and a
// test counting describes has to allow each one a describe.
func resyncsSince(start time.Time) int { return int(time.Since(start) / (resync - resync/10)) }

// newNamespace creates a namespace of its own for a test; objects left in it at the end are
// deleted, and the test waits until the operator released them.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "t-" + rand.String(8)}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteAllIn(t, ns.Name) })
	return ns.Name
}

func deleteAllIn(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	for _, obj := range []client.Object{&v1alpha1.TransferUser{}, &v1alpha1.TransferAccess{}, &v1alpha1.TransferServer{}, &v1alpha1.TransferWorkflow{}, &v1alpha1.TransferConnector{}} {
		if err := k8s.DeleteAllOf(ctx, obj, client.InNamespace(ns)); err != nil {
			t.Errorf("cleaning up %s: %v", ns, err)
		}
	}
	g := NewWithT(t)
	g.Eventually(func(g Gomega) {
		users, accesses := &v1alpha1.TransferUserList{}, &v1alpha1.TransferAccessList{}
		servers, workflows := &v1alpha1.TransferServerList{}, &v1alpha1.TransferWorkflowList{}
		connectors := &v1alpha1.TransferConnectorList{}
		g.Expect(k8s.List(ctx, connectors, client.InNamespace(ns))).To(Succeed())
		g.Expect(connectors.Items).To(BeEmpty())
		g.Expect(k8s.List(ctx, users, client.InNamespace(ns))).To(Succeed())
		g.Expect(k8s.List(ctx, accesses, client.InNamespace(ns))).To(Succeed())
		g.Expect(k8s.List(ctx, servers, client.InNamespace(ns))).To(Succeed())
		g.Expect(k8s.List(ctx, workflows, client.InNamespace(ns))).To(Succeed())
		g.Expect(users.Items).To(BeEmpty())
		g.Expect(accesses.Items).To(BeEmpty())
		g.Expect(servers.Items).To(BeEmpty())
		g.Expect(workflows.Items).To(BeEmpty())
	}).WithTimeout(timeout).Should(Succeed(), "objects in %s were not released", ns)
}

// get reads obj afresh from the API server.
func get(g Gomega, obj client.Object) {
	g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)).To(Succeed())
}

// condition returns the condition typ of obj, or an empty one.
func condition(obj interface{ GetConditions() []metav1.Condition }, typ string) metav1.Condition {
	if c := meta.FindStatusCondition(obj.GetConditions(), typ); c != nil {
		return *c
	}
	return metav1.Condition{}
}

type conditioned interface {
	client.Object
	GetConditions() []metav1.Condition
}

// waitReady waits until obj is Ready for its current generation and returns it read afresh.
func waitReady(t *testing.T, obj conditioned) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		get(g, obj)
		ready := condition(obj, v1alpha1.ConditionReady)
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), "Ready: %s %s", ready.Reason, ready.Message)
		g.Expect(ready.ObservedGeneration).To(Equal(obj.GetGeneration()))
	}).WithTimeout(timeout).WithPolling(50 * time.Millisecond).Should(Succeed())
}

// waitCondition waits until obj has condition typ True with the given reason.
func waitCondition(t *testing.T, obj conditioned, typ, reason string) metav1.Condition {
	t.Helper()
	var c metav1.Condition
	NewWithT(t).Eventually(func(g Gomega) {
		get(g, obj)
		c = condition(obj, typ)
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "%s: %+v", typ, obj.GetConditions())
		g.Expect(c.Reason).To(Equal(reason))
	}).WithTimeout(timeout).WithPolling(50 * time.Millisecond).Should(Succeed())
	return c
}

// waitGone waits until obj no longer exists.
func waitGone(t *testing.T, obj client.Object) {
	t.Helper()
	NewWithT(t).Eventually(func() bool {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)
		return apierrors.IsNotFound(err)
	}).WithTimeout(timeout).Should(BeTrue(), "%s was not released", obj.GetName())
}

// kstatusOf computes the kstatus of obj, as Flux and the cli-utils do.
func kstatusOf(t *testing.T, obj client.Object) status.Status {
	t.Helper()
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	res, err := status.Compute(&unstructured.Unstructured{Object: u})
	if err != nil {
		t.Fatal(err)
	}
	return res.Status
}

// eventsFor returns the notes of the Events recorded for obj with the given reason.
func eventsFor(g Gomega, obj client.Object, reason string) []string {
	list := &eventsv1.EventList{}
	g.Expect(k8s.List(context.Background(), list, client.InNamespace(obj.GetNamespace()))).To(Succeed())
	var notes []string
	for _, e := range list.Items {
		if e.Regarding.Name == obj.GetName() && e.Regarding.UID == obj.GetUID() && e.Reason == reason {
			notes = append(notes, e.Note)
		}
	}
	return notes
}

// waitEvent waits for an Event with the given reason on obj whose note contains text.
func waitEvent(t *testing.T, obj client.Object, reason, text string) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		g.Expect(eventsFor(g, obj, reason)).To(ContainElement(ContainSubstring(text)))
	}).WithTimeout(timeout).Should(Succeed())
}

// serversOwnedBy returns the emulator's servers that carry uid's ownership tag.
func serversOwnedBy(uid string) []emulator.ServerSnapshot {
	var out []emulator.ServerSnapshot
	for _, s := range emu.Snapshot().Regions[region].Servers {
		for _, tag := range s.Tags {
			if tag.Key == transfer.TagOwnerUID && tag.Value == uid {
				out = append(out, s)
			}
		}
	}
	return out
}

// awsServer returns the emulator's record of the server id.
func awsServer(g Gomega, id string) emulator.ServerSnapshot {
	s, ok := emu.Snapshot().Server(region, id)
	g.Expect(ok).To(BeTrue(), "server %s is not in AWS", id)
	return s
}

func tagMap(tags []emulator.Tag) map[string]string {
	out := map[string]string{}
	for _, t := range tags {
		out[t.Key] = t.Value
	}
	return out
}

// update applies mutate to the latest version of obj, retrying on conflicts.
func update[T client.Object](t *testing.T, obj T, mutate func(T)) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mutate(obj)
		return k8s.Update(context.Background(), obj)
	}).WithTimeout(timeout).Should(Succeed())
}

// create creates obj, failing the test on error.
func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %s: %v", obj.GetName(), err)
	}
}
