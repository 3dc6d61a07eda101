package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/controllers"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// writesOf returns the calls in c that change something in AWS, by operation.
func writesOf(c emulator.CallCounts) map[string]int {
	out := map[string]int{}
	for _, op := range []string{"CreateUser", "UpdateUser", "DeleteUser", "ImportSshPublicKey", "DeleteSshPublicKey",
		"CreateServer", "UpdateServer", "DeleteServer", "StartServer", "StopServer", "TagResource", "UntagResource"} {
		if n := c.Of(op); n > 0 {
			out[op] = n
		}
	}
	return out
}

// TestUserOwnedByAnother checks the one-owner rule for users: a second TransferUser with
// adopt: true for a user another live TransferUser manages is Stalled, names the owner, makes no
// write over several resyncs, and deleting it leaves the user alone. Once the owner is gone
// (deleted with Retain, as in a rebuilt cluster), adoption takes the user over.
func TestUserOwnedByAnother(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	owner := newUser(ns, "alice", "srv", func(u *v1alpha1.TransferUserSpec) { u.HomeDirectory = "/bucket/alice" })
	create(t, owner)
	waitReady(t, owner)

	newcomer := func(name string) *v1alpha1.TransferUser {
		return newUser(ns, name, "srv", func(u *v1alpha1.TransferUserSpec) {
			u.UserName, u.Adopt, u.HomeDirectory = "alice", true, "/bucket/other"
		})
	}
	second := newcomer("alice-again")
	calls := callsDuring(func() {
		create(t, second)
		c := waitCondition(t, second, v1alpha1.ConditionStalled, v1alpha1.ReasonOwnedByAnother)
		g.Expect(c.Message).To(ContainSubstring("TransferUser " + ns + "/alice"))
		g.Expect(kstatusOf(t, second)).To(Equal(status.FailedStatus))
		time.Sleep(2*resync + resync/2)
	})
	g.Expect(writesOf(calls)).To(HaveKeyWithValue("CreateUser", 1), "only the first CreateUser, refused, is a write: %v", calls)
	g.Expect(writesOf(calls)).To(HaveLen(1), "calls: %v", calls)
	g.Expect(calls.Of("DescribeUser")).To(BeNumerically(">=", 2), "no resync pass looked at the refused user in the window: %v", calls)
	got := awsUser(g, srv.Status.ServerID, "alice")
	g.Expect(got.HomeDirectory).To(Equal("/bucket/alice"))
	g.Expect(tagMap(got.Tags)).To(HaveKeyWithValue(transfer.TagOwnerUID, string(owner.UID)))
	waitReady(t, owner)

	g.Expect(k8s.Delete(context.Background(), second)).To(Succeed())
	waitGone(t, second)
	_, exists := awsServer(g, srv.Status.ServerID).User("alice")
	g.Expect(exists).To(BeTrue(), "deleting the refused object deleted the owner's user")

	update(t, owner, func(u *v1alpha1.TransferUser) { u.Spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain })
	g.Expect(k8s.Delete(context.Background(), owner)).To(Succeed())
	waitGone(t, owner)
	heir := newcomer("alice-heir")
	create(t, heir)
	waitReady(t, heir)
	got = awsUser(g, srv.Status.ServerID, "alice")
	g.Expect(got.HomeDirectory).To(Equal("/bucket/other"))
	g.Expect(tagMap(got.Tags)).To(HaveKeyWithValue(transfer.TagOwnerUID, string(heir.UID)))
}

// TestServerOwnedByAnother checks the one-owner rule for servers: a TransferServer adopting by
// spec.serverId a server another live TransferServer manages is Stalled, names the owner, makes
// no write, and deleting it leaves the server alone.
func TestServerOwnedByAnother(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	owner := readyServer(t, ns, "owner")
	id := owner.Status.ServerID

	second := newServer(ns, "second", func(s *v1alpha1.TransferServerSpec) {
		s.ServerID = id
		s.Tags = v1alpha1.Tags{"team": "b"}
	})
	calls := callsDuring(func() {
		create(t, second)
		c := waitCondition(t, second, v1alpha1.ConditionStalled, v1alpha1.ReasonOwnedByAnother)
		g.Expect(c.Message).To(ContainSubstring("TransferServer " + ns + "/owner"))
		time.Sleep(2*resync + resync/2)
	})
	g.Expect(writesOf(calls)).To(BeEmpty(), "calls: %v", calls)
	g.Expect(calls.Of("DescribeServer")).To(BeNumerically(">=", 2), "no resync pass looked at the refused server in the window: %v", calls)
	g.Expect(tagMap(awsServer(g, id).Tags)).To(HaveKeyWithValue(transfer.TagOwnerUID, string(owner.UID)))
	g.Expect(tagMap(awsServer(g, id).Tags)).NotTo(HaveKey("team"))

	g.Expect(k8s.Delete(context.Background(), second)).To(Succeed())
	waitGone(t, second)
	awsServer(g, id)
	waitReady(t, owner)
}

// TestUserOfMissingServer checks that a user whose spec.serverId names a server that does not
// exist is Stalled with a message that says so, rather than retried as a transient error.
func TestUserOfMissingServer(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	usr := &v1alpha1.TransferUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nobody"},
		Spec:       v1alpha1.TransferUserSpec{ServerID: "s-0000000000000000e", Role: roleARN},
	}
	create(t, usr)
	c := waitCondition(t, usr, v1alpha1.ConditionStalled, v1alpha1.ReasonNotFound)
	g.Expect(c.Message).To(ContainSubstring("server s-0000000000000000e named by spec.serverId does not exist in " + region))
	g.Expect(kstatusOf(t, usr)).To(Equal(status.FailedStatus))
	g.Expect(k8s.Delete(context.Background(), usr)).To(Succeed())
	waitGone(t, usr)
}

// TestDeletionSaysSo checks that an object being deleted says so from the first deletion pass
// on: a user whose DeleteUser keeps failing is Ready=False and Reconciling with reason Deleting,
// and is released once AWS answers.
func TestDeletionSaysSo(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	usr := newUser(ns, "leaving", "srv", nil)
	create(t, usr)
	waitReady(t, usr)

	// DeleteUser fails until the test has seen the condition: a deletion that a few failures
	// delay may be over before a look at the object, on a busy machine.
	g.Expect(emu.FailNext("DeleteUser", 1_000_000, emulator.FailServiceUnavailable)).To(Succeed())
	t.Cleanup(emu.ClearFaults)
	g.Expect(k8s.Delete(context.Background(), usr)).To(Succeed())
	c := waitCondition(t, usr, v1alpha1.ConditionReconciling, v1alpha1.ReasonDeleting)
	g.Expect(condition(usr, v1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Message).To(ContainSubstring("deleting"))
	emu.ClearFaults()
	waitGone(t, usr)
	_, exists := awsServer(g, srv.Status.ServerID).User("leaving")
	g.Expect(exists).To(BeFalse())
}

// TestFinalizerLeavesOtherWritersAlone checks that the operator's finalizer is added and removed
// without taking or dropping anything of other writers: a finalizer another controller holds
// stays, and labels written all the while, without a resourceVersion, never make the operator's
// writes fail. The object, kept by the other finalizer, says it is being deleted.
func TestFinalizerLeavesOtherWritersAlone(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	readyServer(t, ns, "srv")
	const other = "example.com/keep"
	usr := newUser(ns, "shared-meta", "srv", nil)
	usr.Finalizers = []string{other}
	create(t, usr)
	logStart := len(logs.String())

	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(func() {
		stop()
		// Whatever happened, the test's own finalizer must not keep the object.
		_ = k8s.Patch(context.Background(), usr.DeepCopy(), client.RawPatch(types.JSONPatchType,
			[]byte(`[{"op":"remove","path":"/metadata/finalizers/0"}]`)))
	})
	churned := make(chan int, 1)
	go func() {
		n := 0
		defer func() { churned <- n }()
		for ctx.Err() == nil {
			patch := fmt.Sprintf(`{"metadata":{"labels":{"churn":"%d"}}}`, n)
			if k8s.Patch(ctx, usr.DeepCopy(), client.RawPatch(types.MergePatchType, []byte(patch))) == nil {
				n++
			}
		}
	}()
	waitReady(t, usr)
	g.Expect(usr.Finalizers).To(ConsistOf(other, controllers.Finalizer))
	g.Expect(k8s.Delete(context.Background(), usr)).To(Succeed())
	g.Eventually(func(g Gomega) {
		get(g, usr)
		g.Expect(usr.Finalizers).To(Equal([]string{other}))
	}).WithTimeout(timeout).Should(Succeed())
	// Released by the operator but still there: it says it is being deleted, not Ready.
	g.Expect(condition(usr, v1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(condition(usr, v1alpha1.ConditionReconciling).Reason).To(Equal(v1alpha1.ReasonDeleting))
	stop()
	g.Expect(<-churned).To(BeNumerically(">", 0), "the label writer never wrote")
	for _, l := range strings.Split(logs.String()[logStart:], "\n") {
		if strings.Contains(l, "the object has been modified") {
			t.Log(l)
		}
	}
	g.Expect(logs.String()[logStart:]).NotTo(ContainSubstring("the object has been modified"))

	update(t, usr, func(u *v1alpha1.TransferUser) { u.Finalizers = nil })
	waitGone(t, usr)
}
