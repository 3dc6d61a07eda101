package chaos

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

// conflictMessage is what the API server answers a write based on an outdated resourceVersion.
const conflictMessage = "the object has been modified"

// TestConflictingWriters keeps updating the labels and annotations of every object while the
// operator creates and then deletes them, so that the operator's finalizer patches, which carry
// the resourceVersion it read (optimistic locking), meet conflicts. Every object must still
// become Ready with one AWS resource, and be released after deletion with nothing left in AWS.
// (Status patches are merge patches without a resourceVersion, so they cannot conflict.)
//
// The churn goes on during the deletion for a resync period and until the operator has met a
// conflict there, then stops. A writer that never pauses can keep an optimistic one from ever
// succeeding: on a busy machine each retry, further apart than the last, meets a newer version
// again.
func TestConflictingWriters(t *testing.T) {
	seed := seedFor(t, 4)
	servers, users := 2, 8
	if long() {
		servers, users = 4, 25
	}
	r := newReport(t, "API server trouble: conflicting writers")
	e := newEnv(t, emulator.Options{Seed: int64(seed), TransitionDelay: 200 * time.Millisecond})
	e.startOperator("op", "")

	ctx, cancel := context.WithCancel(context.Background())
	var writes atomic.Int64
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.churn(ctx, w, &writes)
		}()
	}
	defer func() { cancel(); wg.Wait() }()

	// Each object is also patched the moment it exists, racing the operator's first finalizer
	// patch.
	for _, obj := range e.fleet("srv", servers, users) {
		e.create(obj)
		for n := range 3 {
			patch := fmt.Sprintf(`{"metadata":{"labels":{"chaos-new":"%d"}}}`, n)
			if e.c.Patch(context.Background(), obj, client.RawPatch(types.MergePatchType, []byte(patch))) == nil {
				writes.Add(1)
			}
		}
	}
	took := e.waitReady(convergeTimeout)
	conflictsCreate := e.countLogs(conflictMessage)
	tl := e.expectOnePerObject("after convergence")
	deleting := time.Now()
	e.deleteAll(0)
	_ = retry(convergeTimeout, func() error {
		if len(e.waitReleased(0)) == 0 || e.countLogs(conflictMessage) > conflictsCreate && time.Since(deleting) >= resync {
			return nil
		}
		return errors.New("the deletion is under way and has met no conflict for a resync period yet")
	})
	cancel()
	wg.Wait()
	stuck := e.waitReleased(convergeTimeout)
	released := time.Since(deleting)
	conflicts := e.countLogs(conflictMessage)

	r.add("objects", "%d TransferServers, %d TransferUsers", servers, servers*users)
	r.add("injected: label/annotation patches by another writer", "%d", writes.Load())
	r.add("operator writes refused with a conflict (create / delete)", "%d / %d", conflictsCreate, conflicts-conflictsCreate)
	r.add("time to all Ready", "%s", took.Round(100*time.Millisecond))
	r.add("AWS resources per object", "%d for %d objects; missing %d, duplicated %d, unowned %d",
		tl.resources, tl.objects, len(tl.missing), len(tl.duplicated), len(tl.unowned))
	r.add("time to all released after deletion", "%s", released.Round(100*time.Millisecond))
	r.add("stuck finalizers after deletion", "%d", len(stuck))
	r.add("AWS resources left after deletion", "%d", e.expectNothingLeft("after deletion"))
	r.add("panics in operator logs", "%d", e.expectNoPanics())
	if len(stuck) > 0 {
		t.Errorf("%d object(s) stuck after deletion: %v", len(stuck), first(stuck, 10))
	}
	// Without a single conflict the scenario tests nothing.
	if conflicts == 0 {
		t.Errorf("the operator met no conflict: the churn did not interfere")
	}
}

// churn sets a label and an annotation of every object of the env, over and over, until ctx
// ends. Its merge patches carry no resourceVersion, so they never conflict themselves, and every
// one of them makes the copy the operator holds outdated.
func (e *env) churn(ctx context.Context, worker int, writes *atomic.Int64) {
	for n := 0; ctx.Err() == nil; n++ {
		users, uerr := e.users()
		servers, serr := e.servers()
		if uerr != nil || serr != nil || len(users)+len(servers) == 0 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		var objs []client.Object
		for i := range servers {
			objs = append(objs, &servers[i])
		}
		for i := range users {
			objs = append(objs, &users[i])
		}
		patch := fmt.Sprintf(`{"metadata":{"labels":{"chaos-churn-%d":"%d"},"annotations":{"chaos.transfer.operators.dev/churn-%d":%q}}}`,
			worker, n, worker, time.Now().Format(time.RFC3339Nano))
		for _, obj := range objs {
			if ctx.Err() != nil {
				return
			}
			if err := e.c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, []byte(patch))); err == nil {
				writes.Add(1)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// TestAPIServerRestart stops and starts the kube-apiserver while etcd keeps running and the
// operator keeps running: objects created before, during and after the outage must all become
// Ready, without the operator being restarted.
func TestAPIServerRestart(t *testing.T) {
	seed := seedFor(t, 5)
	restarts := 1
	if long() {
		restarts = 3
	}
	r := newReport(t, "API server trouble: kube-apiserver restarted")
	// A control plane of its own: the outage must not reach the other tests.
	cp, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := cp.WriteKubeconfig(kc); err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, cp, kc, emulator.Options{Seed: int64(seed), TransitionDelay: 500 * time.Millisecond})
	// No leader election: an elected leader that cannot renew its lease for the renew deadline
	// gives up and exits by design; this test is about the clients and watches recovering.
	op := e.startOperator("op", "")
	pid := op.pid()

	e.create(e.fleet("before", 1, 3)...)
	e.waitReady(convergeTimeout)
	var outage time.Duration
	for i := range restarts {
		// These objects are still converging when the API server goes away.
		e.create(e.fleet(fmt.Sprintf("during%d", i), 1, 3)...)
		start := time.Now()
		if err := cp.RestartAPIServer(); err != nil {
			t.Fatal(err)
		}
		outage += time.Since(start)
		e.create(e.fleet(fmt.Sprintf("after%d", i), 1, 3)...)
	}
	took := e.waitReady(convergeTimeout)
	if op.exited() || op.pid() != pid {
		t.Errorf("the operator process did not survive the API server restart")
	}
	tl := e.expectOnePerObject("after the restart")
	stuck := e.deleteAll(convergeTimeout)
	if len(stuck) > 0 {
		t.Errorf("%d object(s) stuck after deletion: %v", len(stuck), first(stuck, 10))
	}
	r.add("injected: kube-apiserver stopped and started (etcd running)", "%d time(s), %s of outage in all", restarts, outage.Round(100*time.Millisecond))
	r.add("objects", "%d TransferServers, %d TransferUsers (before, during and after)", 1+2*restarts, 3*(1+2*restarts))
	r.add("operator restarts / operator log lines about the refused connections", "0 / %d", e.countLogs("connection refused"))
	r.add("time to all Ready after the restart", "%s", took.Round(100*time.Millisecond))
	r.add("AWS resources per object", "%d for %d objects; missing %d, duplicated %d, unowned %d",
		tl.resources, tl.objects, len(tl.missing), len(tl.duplicated), len(tl.unowned))
	r.add("stuck finalizers after deletion", "%d", len(stuck))
	r.add("AWS resources left after deletion", "%d", e.expectNothingLeft("after deletion"))
	r.add("panics in operator logs", "%d", e.expectNoPanics())
	if e.countLogs("connection refused") == 0 {
		t.Errorf("the operator never noticed the API server was gone: was it restarted?")
	}
}
