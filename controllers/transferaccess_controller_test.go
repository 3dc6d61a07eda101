package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awstransfer "github.com/aws/aws-sdk-go-v2/service/transfer"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

const (
	groupSID      = "S-1-5-21-1004336348-1177238915-682003330-1105"
	otherGroupSID = "S-1-5-21-1004336348-1177238915-682003330-1106"
)

// readyDirectoryServer creates a TransferServer whose users are in AWS Directory Service and
// waits until it is Ready.
func readyDirectoryServer(t *testing.T, ns, name string) *v1alpha1.TransferServer {
	t.Helper()
	srv := newServer(ns, name, func(s *v1alpha1.TransferServerSpec) {
		s.IdentityProviderType = "AWS_DIRECTORY_SERVICE"
		s.IdentityProviderDetails = &v1alpha1.IdentityProviderDetails{DirectoryID: "d-1234567890"}
	})
	create(t, srv)
	waitReady(t, srv)
	return srv
}

func newAccess(ns, name, server, sid string, mutate func(*v1alpha1.TransferAccessSpec)) *v1alpha1.TransferAccess {
	a := &v1alpha1.TransferAccess{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.TransferAccessSpec{ServerRef: &v1alpha1.LocalObjectReference{Name: server}, ExternalID: sid, Role: roleARN},
	}
	if mutate != nil {
		mutate(&a.Spec)
	}
	return a
}

// TestDirectoryServerCreatedWhole checks that a server whose identity provider details AWS does
// not report back (AWS_DIRECTORY_SERVICE: SDK DescribedServer.IdentityProviderDetails "is not
// populated") is created with them and not updated again after its creation.
func TestDirectoryServerCreatedWhole(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyDirectoryServer(t, ns, "whole")
	g.Expect(awsServer(g, srv.Status.ServerID).IdentityProviderDetails.DirectoryID).To(Equal("d-1234567890"))
	// The update it would be comes in the pass that makes the server Ready, which logs it (the
	// notifier logs before it records the Event) before it writes Ready: the log holds it now.
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, srv.Status.ServerID) && strings.Contains(line, "identityProviderDetails") {
			t.Errorf("a fresh server looks as if it drifted: %s", line)
		}
	}
}

// awsAccess returns the emulator's record of an access.
func awsAccess(g Gomega, serverID, sid string) emulator.AccessRecord {
	a, ok := awsServer(g, serverID).Access(sid)
	g.Expect(ok).To(BeTrue(), "no access of %s on server %s", sid, serverID)
	return a
}

// TestAccessLifecycle checks a TransferAccess from start to end: it waits for its server, is
// created as the spec says, changes and drift are corrected with one UpdateAccess, nothing is
// sent when nothing changed, a removed policy is cleared, and deletion deletes it.
func TestAccessLifecycle(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	acc := newAccess(ns, "partners", "dir", groupSID, func(a *v1alpha1.TransferAccessSpec) {
		a.HomeDirectoryType = "LOGICAL"
		a.HomeDirectoryMappings = []v1alpha1.HomeDirectoryMapEntry{{Entry: "/", Target: "/bucket/partners"}}
		a.Policy = policy
	})
	create(t, acc)
	waitCondition(t, acc, v1alpha1.ConditionReconciling, v1alpha1.ReasonServerNotReady)

	srv := readyDirectoryServer(t, ns, "dir")
	waitReady(t, acc)
	g.Expect(acc.Status.ServerID).To(Equal(srv.Status.ServerID))
	g.Expect(acc.Status.Region).To(Equal(region))
	g.Expect(kstatusOf(t, acc)).To(Equal(status.CurrentStatus))
	got := awsAccess(g, srv.Status.ServerID, groupSID)
	g.Expect(got.HomeDirectoryType).To(Equal("LOGICAL"))
	g.Expect(got.Role).To(Equal(roleARN))
	g.Expect(got.Policy).NotTo(BeEmpty())
	g.Expect(acc.Status.AppliedFields).To(ConsistOf("policy", "homeDirectoryMappings"))

	calls := callsDuring(func() {
		update(t, acc, func(a *v1alpha1.TransferAccess) { a.Spec.Policy = policySpaced })
		waitReady(t, acc)
	})
	g.Expect(calls.Of("UpdateAccess")).To(BeZero(), "a reformatted policy is the same policy: %v", calls)

	update(t, acc, func(a *v1alpha1.TransferAccess) { a.Spec.Policy = "" })
	waitReady(t, acc)
	g.Eventually(func(g Gomega) {
		g.Expect(awsAccess(g, srv.Status.ServerID, groupSID).Policy).To(BeEmpty())
	}).WithTimeout(timeout).Should(Succeed(), "a policy removed from the spec is cleared")

	_, err := awsAPI.UpdateAccess(context.Background(), &awstransfer.UpdateAccessInput{
		ServerId: aws.String(srv.Status.ServerID), ExternalId: aws.String(groupSID), Role: aws.String("arn:aws:iam::111122223333:role/elsewhere"),
	})
	g.Expect(err).NotTo(HaveOccurred())
	update(t, acc, func(a *v1alpha1.TransferAccess) {
		if a.Annotations == nil {
			a.Annotations = map[string]string{}
		}
		a.Annotations["test/nudge"] = time.Now().String()
		a.Spec.HomeDirectory = "/partners"
	})
	g.Eventually(func(g Gomega) {
		got := awsAccess(g, srv.Status.ServerID, groupSID)
		g.Expect(got.Role).To(Equal(roleARN), "drift corrected")
		g.Expect(got.HomeDirectory).To(Equal("/partners"))
	}).WithTimeout(timeout).Should(Succeed())

	g.Expect(k8s.Delete(context.Background(), acc)).To(Succeed())
	waitGone(t, acc)
	_, found := awsServer(g, srv.Status.ServerID).Access(groupSID)
	g.Expect(found).To(BeFalse(), "the access was not deleted")
}

// TestAccessLostCreateResponse checks that a CreateAccess whose response is lost leaves one
// access, taken over by the object that made it, and no stall.
func TestAccessLostCreateResponse(t *testing.T) {
	for _, kind := range []emulator.ErrorKind{emulator.FailCommitThenError, emulator.FailCommitThenDrop} {
		t.Run(string(kind), func(t *testing.T) {
			g := NewWithT(t)
			ns := newNamespace(t)
			srv := readyDirectoryServer(t, ns, "dir")
			g.Expect(emu.FailNext("CreateAccess", 1, kind)).To(Succeed())
			acc := newAccess(ns, "partners", "dir", groupSID, nil)
			create(t, acc)
			waitReady(t, acc)
			g.Expect(awsServer(g, srv.Status.ServerID).Accesses).To(HaveLen(1))
			g.Expect(eventsFor(g, acc, "Stalled")).To(BeEmpty())
		})
	}
}

// TestAccessCrashBeforeStatus checks that an operator that dies after CreateAccess but before
// recording the access takes it over on the next pass, by status.createPending alone (accesses
// carry no tags): no stall, no second create.
func TestAccessCrashBeforeStatus(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyDirectoryServer(t, ns, "dir")
	faults.failOnce(func(obj client.Object) bool {
		a, ok := obj.(*v1alpha1.TransferAccess)
		return ok && a.Namespace == ns && a.Status.ServerID != ""
	})
	acc := newAccess(ns, "partners", "dir", groupSID, nil)
	calls := callsDuring(func() {
		create(t, acc)
		waitReady(t, acc)
	})
	g.Expect(calls.Of("CreateAccess")).To(Equal(1), "%v", calls)
	g.Expect(awsServer(g, srv.Status.ServerID).Accesses).To(HaveLen(1))
	waitEvent(t, acc, "Adopted", "an earlier attempt whose response was lost")
	g.Expect(eventsFor(g, acc, "Stalled")).To(BeEmpty())
}

// TestAccessOwnership checks the rules AWS's missing tags make the operator keep by status: an
// access that was there before is adopted only with spec.adopt; of two objects for one group,
// the older owns it, the other is Stalled OwnedByAnother, and deleting that one leaves the access.
func TestAccessOwnership(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyDirectoryServer(t, ns, "dir")
	_, err := awsAPI.CreateAccess(context.Background(), &awstransfer.CreateAccessInput{
		ServerId: aws.String(srv.Status.ServerID), ExternalId: aws.String(otherGroupSID), Role: aws.String("arn:aws:iam::111122223333:role/legacy"),
	})
	g.Expect(err).NotTo(HaveOccurred())

	legacy := newAccess(ns, "legacy", "dir", otherGroupSID, nil)
	create(t, legacy)
	c := waitCondition(t, legacy, v1alpha1.ConditionStalled, v1alpha1.ReasonAlreadyExists)
	g.Expect(c.Message).To(ContainSubstring("spec.adopt: true"))
	g.Expect(awsAccess(g, srv.Status.ServerID, otherGroupSID).Role).To(HaveSuffix("legacy"))
	update(t, legacy, func(a *v1alpha1.TransferAccess) { a.Spec.Adopt = true })
	waitReady(t, legacy)
	g.Expect(awsAccess(g, srv.Status.ServerID, otherGroupSID).Role).To(Equal(roleARN))
	waitEvent(t, legacy, "Adopted", otherGroupSID)

	first := newAccess(ns, "first", "dir", groupSID, nil)
	create(t, first)
	waitReady(t, first)
	second := newAccess(ns, "second", "dir", groupSID, func(a *v1alpha1.TransferAccessSpec) {
		a.Adopt = true
		a.Role = "arn:aws:iam::111122223333:role/second"
	})
	create(t, second)
	c = waitCondition(t, second, v1alpha1.ConditionStalled, v1alpha1.ReasonOwnedByAnother)
	g.Expect(c.Message).To(ContainSubstring("TransferAccess " + ns + "/first"))
	g.Expect(awsAccess(g, srv.Status.ServerID, groupSID).Role).To(Equal(roleARN), "the refused object changed the access")

	g.Expect(k8s.Delete(context.Background(), second)).To(Succeed())
	waitGone(t, second)
	awsAccess(g, srv.Status.ServerID, groupSID)
}

// TestServerWaitsForAccesses checks that deleting a server waits for its TransferAccesses, and
// that deleting both leaves nothing in AWS.
func TestServerWaitsForAccesses(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyDirectoryServer(t, ns, "dir")
	acc := newAccess(ns, "partners", "dir", groupSID, nil)
	create(t, acc)
	waitReady(t, acc)

	g.Expect(k8s.Delete(context.Background(), srv)).To(Succeed())
	c := waitCondition(t, srv, v1alpha1.ConditionReconciling, v1alpha1.ReasonWaitingForUsers)
	g.Expect(c.Message).To(ContainSubstring("TransferAccess"))
	awsServer(g, srv.Status.ServerID)

	g.Expect(k8s.Delete(context.Background(), acc)).To(Succeed())
	waitGone(t, acc)
	waitGone(t, srv)
	g.Expect(serversOwnedBy(string(srv.UID))).To(BeEmpty())
}
