package controllers_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// TestPausedObject checks v1alpha1.PausedAnnotation: a paused object says so in its Paused
// condition and an Event; a spec change is not carried to AWS, and a deletion leaves the
// resource and the finalizer, until the annotation is removed, when both happen.
func TestPausedObject(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	wf := newWorkflow(ns, "paused", nil)
	create(t, wf)
	waitReady(t, wf)
	id := wf.Status.WorkflowID

	setPaused := func(on bool) {
		update(t, wf, func(w *v1alpha1.TransferWorkflow) {
			if on {
				metav1.SetMetaDataAnnotation(&w.ObjectMeta, v1alpha1.PausedAnnotation, "true")
			} else {
				delete(w.Annotations, v1alpha1.PausedAnnotation)
			}
		})
	}
	setPaused(true)
	c := waitCondition(t, wf, v1alpha1.ConditionPaused, v1alpha1.ReasonReconcilePaused)
	g.Expect(c.Message).To(ContainSubstring("nothing is read from or written to AWS"))
	waitEvent(t, wf, v1alpha1.ReasonReconcilePaused, "reconciliation is paused")

	update(t, wf, func(w *v1alpha1.TransferWorkflow) { w.Spec.Tags = v1alpha1.Tags{"team": "paused"} })
	g.Consistently(func(g Gomega) {
		w, ok := emu.Snapshot().Workflow(region, id)
		g.Expect(ok).To(BeTrue())
		g.Expect(tagMap(w.Tags)).To(HaveKeyWithValue("team", "a"))
	}).WithTimeout(2*resync).Should(Succeed(), "a paused object's change reached AWS")

	g.Expect(k8s.Delete(context.Background(), wf)).To(Succeed())
	g.Consistently(func(g Gomega) {
		_, ok := emu.Snapshot().Workflow(region, id)
		g.Expect(ok).To(BeTrue())
		get(g, wf)
	}).WithTimeout(2*resync).Should(Succeed(), "a paused object was deleted, or its workflow")

	setPaused(false)
	waitGone(t, wf)
	_, ok := emu.Snapshot().Workflow(region, id)
	g.Expect(ok).To(BeFalse(), "the workflow of the resumed deletion is still in AWS")
}

// TestResumedObjectApplies checks that removing v1alpha1.PausedAnnotation removes the Paused
// condition and applies what changed meanwhile.
func TestResumedObjectApplies(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	wf := newWorkflow(ns, "resumed", nil)
	create(t, wf)
	waitReady(t, wf)
	update(t, wf, func(w *v1alpha1.TransferWorkflow) {
		metav1.SetMetaDataAnnotation(&w.ObjectMeta, v1alpha1.PausedAnnotation, "true")
		w.Spec.Tags = v1alpha1.Tags{"team": "later"}
	})
	waitCondition(t, wf, v1alpha1.ConditionPaused, v1alpha1.ReasonReconcilePaused)
	update(t, wf, func(w *v1alpha1.TransferWorkflow) { delete(w.Annotations, v1alpha1.PausedAnnotation) })
	waitReady(t, wf)
	g.Expect(condition(wf, v1alpha1.ConditionPaused).Type).To(BeEmpty())
	w, _ := emu.Snapshot().Workflow(region, wf.Status.WorkflowID)
	g.Expect(tagMap(w.Tags)).To(HaveKeyWithValue("team", "later"))
}
