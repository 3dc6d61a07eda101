package controllers_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// baseAccount is the emulator's account of the suite's static credentials.
const baseAccount = "111122223333"

// newRole defines a role in account that trusts the suite's base account, with externalID when
// it is not empty, and returns its ARN.
func newRole(t *testing.T, account, externalID string) string {
	t.Helper()
	arn := "arn:aws:iam::" + account + ":role/transfer-operator-" + rand.String(6)
	if err := emu.DefineRole(emulator.Role{ARN: arn, TrustedAccounts: []string{baseAccount}, ExternalID: externalID}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.DeleteRole(arn) })
	return arn
}

// newAWSAccount creates an AWSAccount for roleARN serving namespaces. At the end of the test the
// objects of those namespaces are deleted first, then the AWSAccount, which the test waits to be
// gone, so that no later test sees it.
func newAWSAccount(t *testing.T, roleARN, externalID string, namespaces ...string) *v1alpha1.AWSAccount {
	t.Helper()
	acct := &v1alpha1.AWSAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "acct-" + rand.String(8)},
		Spec:       v1alpha1.AWSAccountSpec{RoleARN: roleARN, ExternalID: externalID, Namespaces: namespaces},
	}
	create(t, acct)
	t.Cleanup(func() {
		for _, ns := range acct.Spec.Namespaces {
			deleteAllIn(t, ns)
		}
		if err := k8s.Delete(context.Background(), acct); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting AWSAccount %s: %v", acct.Name, err)
		}
		waitGone(t, acct)
	})
	return acct
}

func serverUser(ns, name, server string) *v1alpha1.TransferUser {
	return &v1alpha1.TransferUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.TransferUserSpec{ServerRef: &v1alpha1.LocalObjectReference{Name: server}, Role: roleARN},
	}
}

// serversIn returns the IDs of the servers of account in the suite's region.
func serversIn(account string) []string {
	var ids []string
	for _, s := range emu.SnapshotOf(account).Regions[region].Servers {
		ids = append(ids, s.ServerID)
	}
	return ids
}

// hasUser reports whether account's server id has the user name.
func hasUser(account, id, name string) bool {
	s, ok := emu.SnapshotOf(account).Server(region, id)
	if !ok {
		return false
	}
	for _, u := range s.Users {
		if u.UserName == name {
			return true
		}
	}
	return false
}

// TestAccountsServeTheirNamespaces checks that two namespaces mapped to two accounts get their
// servers and users there and nowhere else, with the account recorded in status and the AWS
// request metrics labelled with it; that remapping a namespace to the other account creates,
// moves and orphans nothing, says so in LocationChanged and keeps managing (and at last deleting)
// the server in the account it was recorded in; and that a deleted AWSAccount waits for the
// objects recorded in it.
func TestAccountsServeTheirNamespaces(t *testing.T) {
	const accountB, accountC = "222233334444", "444455556666"
	nsB, nsC := newNamespace(t), newNamespace(t)
	acctB := newAWSAccount(t, newRole(t, accountB, ""), "", nsB)
	acctC := newAWSAccount(t, newRole(t, accountC, ""), "", nsC)
	waitReady(t, acctB)
	waitReady(t, acctC)
	g := NewWithT(t)
	g.Expect(acctB.Status.AccountID).To(Equal(accountB))
	g.Expect(acctC.Status.AccountID).To(Equal(accountC))

	baseServers := len(serversIn(baseAccount))
	srvB, srvC := newServer(nsB, "sftp", nil), newServer(nsC, "sftp", nil)
	usrB, usrC := serverUser(nsB, "alice", "sftp"), serverUser(nsC, "alice", "sftp")
	for _, obj := range []conditioned{srvB, srvC, usrB, usrC} {
		create(t, obj)
	}
	for _, obj := range []conditioned{srvB, srvC, usrB, usrC} {
		waitReady(t, obj)
	}
	g.Expect(serversIn(accountB)).To(ConsistOf(srvB.Status.ServerID))
	g.Expect(serversIn(accountC)).To(ConsistOf(srvC.Status.ServerID))
	g.Expect(serversIn(baseAccount)).To(HaveLen(baseServers), "a server landed in the operator's own account")
	g.Expect(hasUser(accountB, srvB.Status.ServerID, "alice")).To(BeTrue())
	g.Expect(hasUser(accountC, srvC.Status.ServerID, "alice")).To(BeTrue())
	g.Expect([]string{srvB.Status.Account, srvB.Status.AccountID, usrB.Status.Account, usrB.Status.AccountID}).
		To(Equal([]string{acctB.Name, accountB, acctB.Name, accountB}))
	g.Expect(srvC.Status.AccountID).To(Equal(accountC))
	g.Expect(labelledRequests(g, accountB)).To(BeNumerically(">", 0), "no AWS request counted with account=%s", accountB)
	// The listings that watch a user in sync go to its account, through its role.
	g.Eventually(func() int { return emu.CallsIn(accountC).Of("ListUsers") }).WithTimeout(timeout).Should(BeNumerically(">", 0),
		"no listing of the users of a server in account %s", accountC)

	// Remap nsB to account C: nothing is created, moved or orphaned.
	emu.ResetCalls()
	update(t, acctB, func(a *v1alpha1.AWSAccount) { a.Spec.Namespaces = nil })
	update(t, acctC, func(a *v1alpha1.AWSAccount) { a.Spec.Namespaces = []string{nsC, nsB} })
	g.Eventually(func(g Gomega) {
		get(g, srvB)
		moved := condition(srvB, v1alpha1.ConditionLocationChanged)
		g.Expect(moved.Reason).To(Equal(v1alpha1.ReasonAccountMappingChanged))
		g.Expect(moved.Message).To(And(ContainSubstring("lives in account "+accountB), ContainSubstring("now resolves to account "+accountC),
			ContainSubstring("It stays in account "+accountB)))
	}).WithTimeout(timeout).Should(Succeed())
	update(t, srvB, func(s *v1alpha1.TransferServer) { s.Spec.Tags = v1alpha1.Tags{"team": "b"} })
	waitReady(t, srvB)
	g.Eventually(func() map[string]string { return tagMap(mustServerIn(g, accountB, srvB.Status.ServerID).Tags) }).
		WithTimeout(timeout).Should(HaveKeyWithValue("team", "b"), "the update went elsewhere than the recorded account")
	g.Expect(serversIn(accountB)).To(ConsistOf(srvB.Status.ServerID))
	g.Expect(serversIn(accountC)).To(ConsistOf(srvC.Status.ServerID))
	for _, account := range []string{accountB, accountC, baseAccount} {
		calls := emu.CallsIn(account)
		g.Expect(calls.Of("CreateServer")+calls.Of("CreateUser")+calls.Of("DeleteServer")+calls.Of("DeleteUser")).To(BeZero(), "the remap wrote in %s", account)
	}

	// Deleting the AWSAccount waits for the objects recorded in it; they are deleted in it.
	g.Expect(k8s.Delete(context.Background(), acctB)).To(Succeed())
	inUse := waitCondition(t, acctB, v1alpha1.ConditionReconciling, v1alpha1.ReasonInUse)
	g.Expect(inUse.Message).To(ContainSubstring("TransferServer " + nsB + "/sftp"))
	g.Expect(k8s.Delete(context.Background(), usrB)).To(Succeed())
	g.Expect(k8s.Delete(context.Background(), srvB)).To(Succeed())
	waitGone(t, srvB)
	waitGone(t, acctB)
	g.Expect(serversIn(accountB)).To(BeEmpty(), "the server was not deleted in the account it was recorded in")
	g.Expect(serversIn(accountC)).To(ConsistOf(srvC.Status.ServerID))
}

// TestRefusedRole checks that a role AWS will not let the operator assume (a wrong external ID)
// leaves the AWSAccount and the server Stalled with AssumeRoleFailed and a message naming the
// operator's identity and the role, and that correcting the AWSAccount makes both Ready with one
// server, created in that account.
func TestRefusedRole(t *testing.T) {
	const account = "333344445555"
	ns := newNamespace(t)
	role := newRole(t, account, "the-right-one")
	acct := newAWSAccount(t, role, "a-wrong-one", ns)
	refused := waitCondition(t, acct, v1alpha1.ConditionStalled, v1alpha1.ReasonAssumeRoleFailed)
	g := NewWithT(t)
	g.Expect(refused.Message).To(And(
		ContainSubstring("the operator (arn:aws:"), ContainSubstring("may not assume role "+role),
		ContainSubstring("AccessDenied"), ContainSubstring("docs/iam.md#several-accounts")))

	srv := newServer(ns, "sftp", nil)
	create(t, srv)
	stall := waitCondition(t, srv, v1alpha1.ConditionStalled, v1alpha1.ReasonAssumeRoleFailed)
	g.Expect(stall.Message).To(ContainSubstring("may not assume role " + role))
	g.Expect(serversIn(account)).To(BeEmpty())

	update(t, acct, func(a *v1alpha1.AWSAccount) { a.Spec.ExternalID = "the-right-one" })
	waitReady(t, acct)
	waitReady(t, srv)
	g.Expect(serversIn(account)).To(ConsistOf(srv.Status.ServerID), "want exactly one server, in the corrected account")
	g.Expect(srv.Status.AccountID).To(Equal(account))
}

// TestAccountNotPermitted checks that a tenant's spec.account naming an AWSAccount that does not
// serve its namespace is Stalled AccountNotPermitted with nothing created anywhere, and that the
// platform team adding the namespace unblocks it at once, in that account.
func TestAccountNotPermitted(t *testing.T) {
	const account = "555566667777"
	ns, other := newNamespace(t), newNamespace(t)
	acct := newAWSAccount(t, newRole(t, account, ""), "", other)
	waitReady(t, acct)
	emu.ResetCalls()
	srv := newServer(ns, "sftp", func(s *v1alpha1.TransferServerSpec) { s.Account = acct.Name })
	create(t, srv)
	stall := waitCondition(t, srv, v1alpha1.ConditionStalled, v1alpha1.ReasonAccountNotPermitted)
	g := NewWithT(t)
	g.Expect(stall.Message).To(Equal("AWSAccount " + acct.Name + " does not serve namespace " + ns + "; the platform team adds " + ns + " to its spec.namespaces"))
	g.Expect(emu.Calls().Of("CreateServer")).To(BeZero())

	update(t, acct, func(a *v1alpha1.AWSAccount) { a.Spec.Namespaces = append(a.Spec.Namespaces, ns) })
	waitReady(t, srv)
	g.Expect(serversIn(account)).To(ConsistOf(srv.Status.ServerID))
}

func mustServerIn(g Gomega, account, id string) emulator.ServerSnapshot {
	s, ok := emu.SnapshotOf(account).Server(region, id)
	g.Expect(ok).To(BeTrue(), "server %s is not in account %s", id, account)
	return s
}

// labelledRequests sums transfer_operator_aws_api_requests_total with the account label.
func labelledRequests(g Gomega, account string) float64 {
	var n float64
	for _, m := range gather(g)["transfer_operator_aws_api_requests_total"].GetMetric() {
		if label(m, "account") == account {
			n += m.GetCounter().GetValue()
		}
	}
	return n
}
