package controllers

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// Options tune both reconcilers.
type Options struct {
	// Resync is how often an object is compared with AWS to correct drift (jittered by 10%).
	Resync time.Duration
	// PollInterval is the shortest wait before looking again at a server that is starting or
	// stopping or an object that waits for another; waits grow with time spent waiting.
	PollInterval time.Duration
	// MaxPollInterval bounds those waits.
	MaxPollInterval time.Duration
	// MaxConcurrentReconciles is the number of objects of the kind reconciled at once.
	MaxConcurrentReconciles int
	// Clock tells the time; tests may replace it.
	Clock clock.PassiveClock
}

// withDefaults returns o with zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Resync <= 0 {
		o.Resync = 10 * time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.MaxPollInterval < o.PollInterval {
		o.MaxPollInterval = max(30*time.Second, o.PollInterval)
	}
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 1
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return o
}

// pollAfter returns how long to wait before looking again at an object that is waiting: a
// quarter of the time it has been Reconciling so far, within [PollInterval, MaxPollInterval].
func (o Options) pollAfter(obj conditionsObject) time.Duration {
	wait := o.PollInterval
	if c := meta.FindStatusCondition(obj.GetConditions(), v1alpha1.ConditionReconciling); c != nil && c.Status == metav1.ConditionTrue {
		wait = max(wait, o.Clock.Since(c.LastTransitionTime.Time)/4)
	}
	return min(wait, o.MaxPollInterval)
}
