package controllers_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
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
	logs   = &testenv.SyncBuffer{}
	faults = &statusFaults{}
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
		Cache:                  cache.Options{DefaultTransform: cache.TransformStripManagedFields()},
		NewClient: func(cfg *rest.Config, opts client.Options) (client.Client, error) {
			c, err := client.NewWithWatch(cfg, opts)
			if err != nil {
				return nil, err
			}
			return interceptor.NewClient(c, interceptor.Funcs{SubResourcePatch: faults.patch}), nil
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
	clients := transfer.NewClients(awsConfig, transfer.ClientOptions{EndpointURL: emu.URL(), EC2EndpointURL: emu.URL(), STSEndpointURL: emu.URL()})
	opts := controllers.Options{Resync: resync, PollInterval: 50 * time.Millisecond, MaxPollInterval: 500 * time.Millisecond, MaxConcurrentReconciles: 4}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := controllers.Setup(ctx, mgr, clients, controllers.Config{Servers: opts, Users: opts, FullComparePeriod: fullCompare}); err != nil {
		return 0, err
	}
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()
	k8s = cp.Client

	code := m.Run()
	cancel()
	if err := <-stopped; err != nil {
		return 0, fmt.Errorf("the manager stopped with an error: %w", err)
	}
	return code, nil
}

// statusFaults fails status writes on request, to simulate an operator that dies between an
// AWS call and recording its outcome.
type statusFaults struct {
	mu   sync.Mutex
	fail func(obj client.Object) bool
}

// failOnce makes the first status write for which match is true fail.
func (f *statusFaults) failOnce(match func(obj client.Object) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = match
}

func (f *statusFaults) patch(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	f.mu.Lock()
	match := f.fail
	if match != nil && match(obj) {
		f.fail = nil
		f.mu.Unlock()
		return errors.New("injected: the operator died before recording the outcome")
	}
	f.mu.Unlock()
	return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
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
	for _, obj := range []client.Object{&v1alpha1.TransferUser{}, &v1alpha1.TransferAccess{}, &v1alpha1.TransferServer{}, &v1alpha1.TransferWorkflow{}} {
		if err := k8s.DeleteAllOf(ctx, obj, client.InNamespace(ns)); err != nil {
			t.Errorf("cleaning up %s: %v", ns, err)
		}
	}
	g := NewWithT(t)
	g.Eventually(func(g Gomega) {
		users, accesses := &v1alpha1.TransferUserList{}, &v1alpha1.TransferAccessList{}
		servers, workflows := &v1alpha1.TransferServerList{}, &v1alpha1.TransferWorkflowList{}
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
