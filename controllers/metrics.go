package controllers

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// objectsDesc describes transfer_operator_objects (docs/metrics.md).
var objectsDesc = prometheus.NewDesc("transfer_operator_objects",
	"Objects of every kind that manages an AWS resource (TransferServer, TransferUser, TransferAccess, TransferWorkflow, TransferConnector) the operator watches, by kind and by the status of their Ready condition (True, False, or Unknown when it has none yet).",
	[]string{"kind", "ready"}, nil)

// stalledDesc describes transfer_operator_objects_stalled (docs/metrics.md).
var stalledDesc = prometheus.NewDesc("transfer_operator_objects_stalled",
	"Objects of every kind that manages an AWS resource whose Stalled condition is True, by kind: retrying cannot help until the spec, a Secret, a grant or AWS changes; the condition's reason says which.",
	[]string{"kind"}, nil)

// readyStates are the values of the ready label, all reported, zeros included.
var readyStates = []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown}

// objectsCollector computes transfer_operator_objects at every scrape by listing the objects
// from the manager's cache, without copying them (it only reads their conditions). Nothing is counted incrementally, so the numbers stay right when
// objects are deleted, when the operator restarts, and when a watch event is missed: they are
// always those of the cache. Only the leader reports them, so that the sum over replicas is the
// number of objects.
type objectsCollector struct {
	reader  client.Reader
	elected <-chan struct{}
	timeout time.Duration
}

// registerObjectsCollector registers the collector of transfer_operator_objects for mgr with
// controller-runtime's registry, replacing the collector of an earlier manager.
func registerObjectsCollector(mgr manager.Manager) error {
	c := &objectsCollector{reader: mgr.GetCache(), elected: mgr.Elected(), timeout: 5 * time.Second}
	metrics.Registry.Unregister(c)
	return metrics.Registry.Register(c)
}

// Describe implements prometheus.Collector.
func (c *objectsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- objectsDesc
	ch <- stalledDesc
}

// Collect implements prometheus.Collector. A kind whose objects cannot be listed is left out of
// the scrape rather than reported as zero.
func (c *objectsCollector) Collect(ch chan<- prometheus.Metric) {
	select {
	case <-c.elected:
	default:
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	for _, k := range placedKinds() {
		list := k.newList()
		if err := c.reader.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
			logListError(err, k.name)
			continue
		}
		ready, stalled := countByReady(list)
		report(ch, k.name, ready)
		ch <- prometheus.MustNewConstMetric(stalledDesc, prometheus.GaugeValue, float64(stalled), k.name)
	}
}

// countByReady counts the objects of list by the status of their Ready condition, and those
// whose Stalled condition is True.
func countByReady(list client.ObjectList) (ready map[metav1.ConditionStatus]int, stalled int) {
	ready = map[metav1.ConditionStatus]int{}
	_ = meta.EachListItem(list, func(o runtime.Object) error {
		conds := o.(conditionsObject).GetConditions()
		status := metav1.ConditionUnknown
		if c := meta.FindStatusCondition(conds, v1alpha1.ConditionReady); c != nil {
			status = c.Status
		}
		ready[status]++
		if meta.IsStatusConditionTrue(conds, v1alpha1.ConditionStalled) {
			stalled++
		}
		return nil
	})
	return ready, stalled
}

func report(ch chan<- prometheus.Metric, kind string, counts map[metav1.ConditionStatus]int) {
	for _, s := range readyStates {
		ch <- prometheus.MustNewConstMetric(objectsDesc, prometheus.GaugeValue, float64(counts[s]), kind, string(s))
	}
}

func logListError(err error, kind string) {
	if errors.Is(err, context.Canceled) {
		return
	}
	ctrl.Log.WithName("metrics").Error(err, "listing objects for transfer_operator_objects", "kind", kind)
}
