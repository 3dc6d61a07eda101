package controllers_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	dto "github.com/prometheus/client_model/go"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

// gather returns the metric families of controller-runtime's registry, which the manager serves
// on its metrics endpoint, by name.
func gather(g Gomega) map[string]*dto.MetricFamily {
	families, err := metrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	out := map[string]*dto.MetricFamily{}
	for _, f := range families {
		out[f.GetName()] = f
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// requestKey is an operation and an outcome.
type requestKey struct{ operation, outcome string }

// awsRequests returns transfer_operator_aws_api_requests_total for the suite's region, and the
// number of observations of transfer_operator_aws_api_request_duration_seconds by operation.
func awsRequests(g Gomega) (map[requestKey]float64, map[string]uint64) {
	families := gather(g)
	counts, durations := map[requestKey]float64{}, map[string]uint64{}
	for _, m := range families["transfer_operator_aws_api_requests_total"].GetMetric() {
		if label(m, "region") == region {
			counts[requestKey{label(m, "operation"), label(m, "outcome")}] += m.GetCounter().GetValue()
		}
	}
	for _, m := range families["transfer_operator_aws_api_request_duration_seconds"].GetMetric() {
		if label(m, "region") == region {
			durations[label(m, "operation")] += m.GetHistogram().GetSampleCount()
		}
	}
	return counts, durations
}

// since returns the counts of now that differ from those of before, by how much.
func since[K comparable, V float64 | uint64](before, now map[K]V) map[K]V {
	out := map[K]V{}
	for k, v := range now {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// emulatorRequests returns the emulator's call counts with its outcome names mapped to the
// operator's: ok is success, and a dropped connection is a network error.
func emulatorRequests() map[requestKey]float64 {
	out := map[requestKey]float64{}
	for op, outcomes := range emu.Calls() {
		for outcome, n := range outcomes {
			switch outcome {
			case emulator.OutcomeOK:
				outcome = "success"
			case emulator.OutcomeDropped:
				outcome = "network_error"
			}
			if n != 0 {
				out[requestKey{op, outcome}] = float64(n)
			}
		}
	}
	return out
}

// TestMetricsAWSRequests checks that the request counter and the latency histogram move with the
// requests the emulator answers, one for each attempt, with the outcome AWS gave: a throttled
// CreateServer, which is never retried, and a DescribeServer whose first attempt gets a 500 and
// whose second gets its connection closed before the third succeeds.
func TestMetricsAWSRequests(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	countsBefore, durationsBefore := awsRequests(g)
	emu.ResetCalls()
	g.Expect(emu.FailNext("CreateServer", 1, emulator.FailThrottling)).To(Succeed())
	defer emu.ClearFaults()

	srv := readyServer(t, ns, "measured")
	g.Expect(emu.FailNext("DescribeServer", 1, emulator.FailInternalError)).To(Succeed())
	g.Expect(emu.FailNext("DescribeServer", 1, emulator.FailDrop)).To(Succeed())
	g.Eventually(func(g Gomega) {
		calls := emu.Calls()
		g.Expect(calls.Outcome("DescribeServer", emulator.OutcomeDropped)).To(Equal(1))
		g.Expect(calls.Outcome("DescribeServer", emulator.OutcomeOK)).To(BeNumerically(">=", 2))
	}).WithTimeout(timeout).Should(Succeed(), "the resync of %s did not describe the server", srv.Name)

	var counts map[requestKey]float64
	g.Eventually(func(g Gomega) {
		now, durations := awsRequests(g)
		counts = since(countsBefore, now)
		g.Expect(counts).To(Equal(emulatorRequests()), "the counter and the emulator disagree")
		perOperation := map[string]uint64{}
		for k, n := range counts {
			perOperation[k.operation] += uint64(n)
		}
		g.Expect(since(durationsBefore, durations)).To(Equal(perOperation), "one duration for every request")
	}).WithTimeout(timeout).Should(Succeed())

	g.Expect(counts).To(HaveKeyWithValue(requestKey{"CreateServer", "ThrottlingException"}, 1.0))
	g.Expect(counts).To(HaveKeyWithValue(requestKey{"CreateServer", "success"}, 1.0))
	g.Expect(counts).To(HaveKeyWithValue(requestKey{"DescribeServer", "InternalServiceError"}, 1.0))
	g.Expect(counts).To(HaveKeyWithValue(requestKey{"DescribeServer", "network_error"}, 1.0))
	g.Expect(counts[requestKey{"DescribeServer", "success"}]).To(BeNumerically(">=", 2))
}

// objectCounts returns transfer_operator_objects by kind and ready state.
func objectCounts(g Gomega) map[[2]string]float64 {
	out := map[[2]string]float64{}
	for _, m := range gather(g)["transfer_operator_objects"].GetMetric() {
		out[[2]string{label(m, "kind"), label(m, "ready")}] = m.GetGauge().GetValue()
	}
	return out
}

// settledObjectCounts returns objectCounts once they count, for each kind, the objects the API
// server holds. The gauge reads the manager's cache, which learns a moment after the API server
// that the objects of the test before are gone; a baseline taken earlier would still count them.
func settledObjectCounts(t *testing.T) map[[2]string]float64 {
	t.Helper()
	var counts map[[2]string]float64
	NewWithT(t).Eventually(func(g Gomega) {
		servers, users := &v1alpha1.TransferServerList{}, &v1alpha1.TransferUserList{}
		accesses, workflows := &v1alpha1.TransferAccessList{}, &v1alpha1.TransferWorkflowList{}
		connectors := &v1alpha1.TransferConnectorList{}
		g.Expect(k8s.List(context.Background(), connectors)).To(Succeed())
		g.Expect(k8s.List(context.Background(), servers)).To(Succeed())
		g.Expect(k8s.List(context.Background(), users)).To(Succeed())
		g.Expect(k8s.List(context.Background(), accesses)).To(Succeed())
		g.Expect(k8s.List(context.Background(), workflows)).To(Succeed())
		counts = objectCounts(g)
		perKind := map[string]float64{}
		for k, n := range counts {
			perKind[k[0]] += n
		}
		g.Expect(perKind).To(Equal(map[string]float64{
			"TransferServer": float64(len(servers.Items)), "TransferUser": float64(len(users.Items)),
			"TransferAccess": float64(len(accesses.Items)), "TransferWorkflow": float64(len(workflows.Items)),
			"TransferConnector": float64(len(connectors.Items)),
		}))
	}).WithTimeout(timeout).Should(Succeed())
	return counts
}

// TestMetricsObjectsGauge checks that transfer_operator_objects counts objects by kind and Ready
// state, every combination reported even at zero, and that the counts go down when objects are
// deleted.
func TestMetricsObjectsGauge(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	before := settledObjectCounts(t)
	for _, kind := range []string{"TransferServer", "TransferUser", "TransferAccess", "TransferWorkflow", "TransferConnector"} {
		for _, ready := range []string{"True", "False", "Unknown"} {
			g.Expect(before).To(HaveKey([2]string{kind, ready}))
		}
	}
	expectCounts := func(want map[[2]string]float64) {
		t.Helper()
		g.Eventually(func(g Gomega) { g.Expect(since(before, objectCounts(g))).To(Equal(want)) }).
			WithTimeout(timeout).Should(Succeed())
	}

	srv := readyServer(t, ns, "srv")
	ready := newUser(ns, "ready", "srv", nil)
	create(t, ready)
	waitReady(t, ready)
	waiting := newUser(ns, "waiting", "missing", nil)
	create(t, waiting)
	waitCondition(t, waiting, v1alpha1.ConditionReconciling, v1alpha1.ReasonServerNotReady)
	access := newAccess(ns, "partners", "missing", groupSID, nil)
	create(t, access)
	waitCondition(t, access, v1alpha1.ConditionReconciling, v1alpha1.ReasonServerNotReady)
	expectCounts(map[[2]string]float64{
		{"TransferServer", "True"}:  1,
		{"TransferUser", "True"}:    1,
		{"TransferUser", "False"}:   1,
		{"TransferAccess", "False"}: 1,
	})

	g.Expect(k8s.Delete(context.Background(), waiting)).To(Succeed())
	g.Expect(k8s.Delete(context.Background(), access)).To(Succeed())
	waitGone(t, waiting)
	waitGone(t, access)
	expectCounts(map[[2]string]float64{
		{"TransferServer", "True"}: 1,
		{"TransferUser", "True"}:   1,
	})

	g.Expect(k8s.Delete(context.Background(), srv)).To(Succeed())
	g.Expect(k8s.Delete(context.Background(), ready)).To(Succeed())
	waitGone(t, srv)
	expectCounts(map[[2]string]float64{})
}

// TestMetricsDocumented checks that docs/metrics.md documents every transfer_operator_ metric
// the operator serves, and no other.
func TestMetricsDocumented(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	readyServer(t, ns, "srv")
	var served []string
	// The drift metrics appear with the first drift pass, a resync period after Ready.
	g.Eventually(func() []string {
		served = nil
		for name := range gather(g) {
			if strings.HasPrefix(name, "transfer_operator_") {
				served = append(served, name)
			}
		}
		slices.Sort(served)
		return served
	}).WithTimeout(resync + timeout).Should(Equal([]string{
		"transfer_operator_aws_api_request_duration_seconds",
		"transfer_operator_aws_api_requests_total",
		"transfer_operator_drift_aws_requests_total",
		"transfer_operator_drift_delay_seconds",
		"transfer_operator_drift_period_seconds",
		"transfer_operator_objects",
		"transfer_operator_objects_stalled",
	}))
	doc, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docs", "metrics.md"))
	g.Expect(err).NotTo(HaveOccurred())
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `(transfer_operator_[a-z_]+)` \\|").FindAllSubmatch(doc, -1) {
		documented = append(documented, string(m[1]))
	}
	slices.Sort(documented)
	g.Expect(documented).To(Equal(served), "the metrics table of docs/metrics.md")
}

// TestMetricsStalledGauge checks that transfer_operator_objects_stalled counts the objects whose
// Stalled condition is True, by kind, and goes down when they are deleted.
func TestMetricsStalledGauge(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	stalled := func(g Gomega) float64 {
		for _, m := range gather(g)["transfer_operator_objects_stalled"].GetMetric() {
			if label(m, "kind") == "TransferWorkflow" {
				return m.GetGauge().GetValue()
			}
		}
		return -1
	}
	g.Eventually(stalled).WithTimeout(timeout).Should(BeNumerically(">=", 0), "no series for TransferWorkflow")
	before := stalled(g)
	wf := newWorkflow(ns, "stalled", func(s *v1alpha1.TransferWorkflowSpec) { s.ManagementPolicy = v1alpha1.ManagementPolicyObserve })
	create(t, wf)
	waitCondition(t, wf, v1alpha1.ConditionStalled, v1alpha1.ReasonNotFound)
	g.Eventually(stalled).WithTimeout(timeout).Should(Equal(before + 1))
	g.Expect(k8s.Delete(context.Background(), wf)).To(Succeed())
	waitGone(t, wf)
	g.Eventually(stalled).WithTimeout(timeout).Should(Equal(before))
}
