package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testpartner"
)

// quietGap is how long no AWS call may be in flight before the connectors run reads the
// emulator's counts and the operator's metrics together: far longer than a pass computes
// between its calls and after its last one before counting them (milliseconds), and short
// enough to be found between passes that each hold a call in flight for a few hundred
// milliseconds (TestConnection's SSH login), several a second.
const quietGap = 200 * time.Millisecond

// runConnectors converges TransferConnectors to one OpenSSH partner, each with its credentials
// in a Kubernetes Secret and the partner's host key trusted, waits for the first drift round,
// then watches a steady state of two resync periods: no AWS writes, one DescribeConnector and one
// TestConnection per connector per period, and every request counted by the drift schedule and
// within its budget. The operator runs on its default AWS rate limit and drift budget.
func (b *bench) runConnectors(ctx context.Context) error {
	resync := b.cfg.resync
	n := b.cfg.connectors
	partner, err := b.startPartner()
	if err != nil {
		return err
	}
	defer partner.Close()
	r, err := b.startRun(ctx, "connectors", "bench-connectors", nil, "--resync-period="+resync.String())
	if err != nil {
		return err
	}
	defer r.stop()

	// Converge.
	for i := range n {
		if err := b.client.Create(ctx, partnerSecret(r.ns, connectorName(i), partner)); err != nil {
			return err
		}
	}
	first, last, err := b.apply(ctx, connectorObjects(r.ns, n, partner))
	if err != nil {
		return err
	}
	fmt.Printf("bench: connectors: applied %d connectors in %.1f s\n", n, last.Sub(first).Seconds())
	ready, err := r.ready.wait(ctx, "connector", n, b.cfg.timeout, nil)
	converged := err == nil
	if err != nil && !errors.Is(err, errTimeout) {
		return err
	}
	calls := r.emu.Calls()
	b.res.AWSCalls["connectors converge"] = calls
	got, _ := r.ready.count("connector")
	b.res.add("connectors", "connectors Ready and Connected", float64(got), "connectors", "==", float64(n))
	if converged {
		b.res.detail("connectors", "all Ready and Connected after the last apply s", ready.Sub(last).Seconds())
	}
	b.res.detail("connectors", "AWS calls per connector to converge", float64(calls.Total())/float64(n))
	b.res.load("connectors converged")
	if !converged {
		b.res.Notes = append(b.res.Notes, "connectors: the steady state was not measured: the connectors did not converge")
		return nil
	}

	// The first drift round is left out: the schedule books each connector's first drift pass
	// at the cost of the pass that created it (four requests, twice a drift pass's), so at the
	// default budget that round comes later than its period. The steady state starts once every
	// connector has had it.
	fmt.Printf("bench: connectors: waiting for the first drift round (load %s)\n", loadavg())
	firstRound := r.tracker.countReads(0, true, "DescribeConnector")
	allRead := func(context.Context) (bool, error) { return r.tracker.objectsRead(firstRound) >= n, nil }
	if err := wait.PollUntilContextTimeout(ctx, time.Second, 3*resync, false, allRead); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %d of %d connectors were described in the %s after they converged", errTimeout, r.tracker.objectsRead(firstRound), n, 3*resync)
	}
	round := r.tracker.stopReads(firstRound)
	b.res.detail("connectors", "first drift pass after the create pass, latest s", round.maxGap.Seconds())

	// Steady state, from one quiet moment to the first after two resync periods, so that the
	// emulator's counts and the operator's are of the same finished passes.
	fmt.Printf("bench: connectors: steady-state: watching %s (load %s)\n", 2*resync, loadavg())
	var m0, m1 promText
	var c0, c1 emulator.CallCounts
	var t0, t1 time.Time
	snap := func(m *promText, c *emulator.CallCounts, t *time.Time) func() error {
		return func() (err error) {
			*t, *c = time.Now(), r.emu.Calls()
			*m, err = scrape(ctx, r.metrics)
			return err
		}
	}
	if err := r.tracker.atQuiet(ctx, quietGap, resync, snap(&m0, &c0, &t0)); err != nil {
		return err
	}
	describes := r.tracker.countReads(resync/2, true, "DescribeConnector")
	tests := r.tracker.countReads(resync/2, true, "TestConnection")
	delay, err := r.sampleDriftDelay(ctx, 2*resync)
	if err != nil {
		return err
	}
	if err := r.tracker.atQuiet(ctx, quietGap, resync, snap(&m1, &c1, &t1)); err != nil {
		return err
	}
	ds, ts := r.tracker.stopReads(describes), r.tracker.stopReads(tests)
	steady := diffCalls(c0, c1)
	window := t1.Sub(t0)
	b.res.AWSCalls["connectors steady-state"] = steady
	b.res.add("connectors", "AWS write calls at steady state", float64(steady.Writes()), "calls", "==", 0)
	b.perPeriod("connectors", "DescribeConnector per connector per resync period", "calls", ds, resync, n)
	b.perPeriod("connectors", "TestConnection per connector per resync period", "calls", ts, resync, n)
	// Nothing changes, so every request is drift detection's: the schedule must have counted
	// each one (TestConnection too) and kept them within the default budget.
	budget := defaultDriftShare * defaultRateLimit
	counted := m1.sum("transfer_operator_drift_aws_requests_total") - m0.sum("transfer_operator_drift_aws_requests_total")
	b.res.add("connectors", "AWS requests/s of drift detection", float64(steady.Total())/window.Seconds(), "requests/s", "<=", budget)
	b.res.add("connectors", "AWS requests the drift schedule did not count", float64(steady.Total())-counted, "requests", "==", 0)
	connected, err := b.countConnected(ctx, r.ns)
	if err != nil {
		return err
	}
	b.res.detail("connectors", "steady-state window s", window.Seconds())
	b.res.detail("connectors", "drift requests counted by the operator", counted)
	b.res.detail("connectors", "longest transfer_operator_drift_delay_seconds at steady state s", delay)
	b.res.detail("connectors", "DescribeConnector reads, quick, connectors read", []int{ds.reads, ds.quick, ds.objects})
	b.res.detail("connectors", "TestConnection calls, quick, connectors tested", []int{ts.reads, ts.quick, ts.objects})
	b.res.detail("connectors", "connectors Connected at the end", connected)
	b.res.detail("connectors", "Kubernetes writes by the operator at steady state", kubeWrites(m1)-kubeWrites(m0))
	b.res.load("connectors end")
	return nil
}

// startPartner starts the OpenSSH partner every connector of the run reaches, with an ECDSA host
// key (connectors take RSA and ECDSA keys only).
func (b *bench) startPartner() (*testpartner.Partner, error) {
	state, files := filepath.Join(b.work, "partner"), filepath.Join(b.work, "partner-files")
	for _, dir := range []string{state, files} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	return testpartner.Run(state, files, testpartner.Options{HostKeyType: testpartner.ECDSA})
}

// countConnected returns how many TransferConnectors of ns are Connected.
func (b *bench) countConnected(ctx context.Context, ns string) (int, error) {
	var list v1alpha1.TransferConnectorList
	if err := b.client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return 0, err
	}
	n := 0
	for _, c := range list.Items {
		if meta.IsStatusConditionTrue(c.Status.Conditions, v1alpha1.ConditionConnected) {
			n++
		}
	}
	return n, nil
}

func connectorName(i int) string { return fmt.Sprintf("con-%03d", i) }

// partnerSecret is the Kubernetes Secret of the connector name: p's user and client key.
func partnerSecret(ns, name string, p *testpartner.Partner) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		StringData: map[string]string{"username": p.User, "privateKey": p.ClientPrivateKeyPEM},
	}
}

// connectorObjects returns n connectors to p that trust its host key, each with the credentials
// of the Secret of its own name.
func connectorObjects(ns string, n int, p *testpartner.Partner) []client.Object {
	objs := make([]client.Object, 0, n)
	for i := range n {
		name := connectorName(i)
		objs = append(objs, &v1alpha1.TransferConnector{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: v1alpha1.TransferConnectorSpec{
				URL:        p.URL,
				AccessRole: "arn:aws:iam::111122223333:role/bench-connector",
				SFTPConfig: &v1alpha1.SFTPConnectorConfig{
					CredentialsSecretRef: &v1alpha1.ConnectorCredentialsRef{Name: name},
					TrustedHostKeys:      []string{p.HostKey()},
				},
			},
		})
	}
	return objs
}
