package controllers_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awstransfer "github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// TestObserveThenManage checks managementPolicy Observe on a server and a user made outside the
// operator: both are Ready with reason Observed, Drifted lists what differs from the spec, and
// no AWS write is made while observing. Switched to Manage, the server is adopted and exactly
// the drift is applied. A deleted observed user is released and left in AWS.
func TestObserveThenManage(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	out, err := awsAPI.CreateServer(ctx, &awstransfer.CreateServerInput{Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("before")}}})
	g.Expect(err).NotTo(HaveOccurred())
	id := aws.ToString(out.ServerId)
	_, err = awsAPI.CreateUser(ctx, &awstransfer.CreateUserInput{ServerId: aws.String(id), UserName: aws.String("erin"), Role: aws.String(roleARN), HomeDirectory: aws.String("/bucket/old")})
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func(g Gomega) { g.Expect(awsServer(g, id).State).To(Equal("ONLINE")) }).WithTimeout(timeout).Should(Succeed())

	writesBefore := emu.Calls().Writes()
	srv := newServer(ns, "observed", func(s *v1alpha1.TransferServerSpec) {
		s.ServerID, s.ManagementPolicy, s.Tags = id, v1alpha1.ManagementPolicyObserve, v1alpha1.Tags{"team": "after"}
	})
	create(t, srv)
	ready := waitCondition(t, srv, v1alpha1.ConditionReady, v1alpha1.ReasonObserved)
	g.Expect(ready.Message).To(ContainSubstring("observed server " + id))
	drifted := condition(srv, v1alpha1.ConditionDrifted)
	g.Expect(drifted.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(drifted.Message).To(ContainSubstring("tags"))
	g.Expect(srv.Status.ServerID).To(Equal(id))

	usr := newUser(ns, "erin", "observed", func(s *v1alpha1.TransferUserSpec) {
		s.ManagementPolicy, s.HomeDirectory = v1alpha1.ManagementPolicyObserve, "/bucket/new"
	})
	create(t, usr)
	waitCondition(t, usr, v1alpha1.ConditionReady, v1alpha1.ReasonObserved)
	g.Expect(condition(usr, v1alpha1.ConditionDrifted).Message).To(ContainSubstring("homeDirectory"))
	g.Expect(usr.Status.ServerID).To(BeEmpty(), "an observed user was recorded as the object's")

	// Two resync periods of observing write nothing to AWS.
	time.Sleep(2 * resync)
	g.Expect(emu.Calls().Writes()-writesBefore).To(BeZero(), "AWS writes while observing")
	g.Expect(tagMap(awsServer(g, id).Tags)).To(HaveKeyWithValue("team", "before"))
	g.Expect(awsUser(g, id, "erin").HomeDirectory).To(Equal("/bucket/old"))

	// Deleting an observed object only releases it.
	g.Expect(k8s.Delete(ctx, usr)).To(Succeed())
	waitGone(t, usr)
	g.Expect(awsUser(g, id, "erin").HomeDirectory).To(Equal("/bucket/old"))

	// Manage applies exactly the drift, adopting the server.
	update(t, srv, func(s *v1alpha1.TransferServer) { s.Spec.ManagementPolicy = v1alpha1.ManagementPolicyManage })
	waitCondition(t, srv, v1alpha1.ConditionReady, v1alpha1.ReasonReconciled)
	waitEvent(t, srv, "Adopted", "adopted server "+id)
	tags := tagMap(awsServer(g, id).Tags)
	g.Expect(tags).To(HaveKeyWithValue("team", "after"))
	g.Expect(tags).To(HaveKeyWithValue(transfer.TagOwnerUID, string(srv.UID)))
	g.Expect(condition(srv, v1alpha1.ConditionDrifted).Type).To(BeEmpty())
}

// TestObserveNothing checks that an object under managementPolicy Observe whose resource does
// not exist, or that names none, is Stalled and creates nothing.
func TestObserveNothing(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	wf := newWorkflow(ns, "unnamed", func(s *v1alpha1.TransferWorkflowSpec) { s.ManagementPolicy = v1alpha1.ManagementPolicyObserve })
	create(t, wf)
	c := waitCondition(t, wf, v1alpha1.ConditionStalled, v1alpha1.ReasonNotFound)
	g.Expect(c.Message).To(ContainSubstring("nothing to observe"))
	g.Expect(workflowsOwnedBy(string(wf.UID))).To(BeEmpty())

	missing := newWorkflow(ns, "missing", func(s *v1alpha1.TransferWorkflowSpec) {
		s.ManagementPolicy, s.WorkflowID = v1alpha1.ManagementPolicyObserve, "w-0123456789abcdef0"
	})
	create(t, missing)
	c = waitCondition(t, missing, v1alpha1.ConditionStalled, v1alpha1.ReasonNotFound)
	g.Expect(c.Message).To(ContainSubstring("workflow w-0123456789abcdef0 does not exist"))
}
