package controllers_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// TestTenantsGetWhatThePlatformTeamGrants checks what an AWSAccount grants the namespaces it
// serves: a server in a region the account does not declare is refused before any AWS call; a
// server, workflow or user taken over by ID is refused unless the account allows adoption, and
// deleting the refused object leaves the resource it named alone; once granted, the same objects
// go on.
func TestTenantsGetWhatThePlatformTeamGrants(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	const tenant = "555566667777"
	acct := newAWSAccount(t, newRole(t, tenant, ""), "", ns)

	far := newServer(ns, "far", func(s *v1alpha1.TransferServerSpec) { s.Region = "ap-southeast-2" })
	create(t, far)
	c := waitCondition(t, far, v1alpha1.ConditionStalled, v1alpha1.ReasonRegionNotAllowed)
	g.Expect(c.Message).To(ContainSubstring("serves " + region + ", not ap-southeast-2"))
	g.Expect(c.Message).To(ContainSubstring("spec.regions of AWSAccount " + acct.Name))

	made := newServer(ns, "made", nil)
	create(t, made)
	waitReady(t, made)

	taken := newServer(ns, "taken", func(s *v1alpha1.TransferServerSpec) { s.ServerID = made.Status.ServerID })
	create(t, taken)
	c = waitCondition(t, taken, v1alpha1.ConditionStalled, v1alpha1.ReasonAdoptionNotAllowed)
	g.Expect(c.Message).To(ContainSubstring("taking over server " + made.Status.ServerID))
	g.Expect(c.Message).To(ContainSubstring("spec.allowAdoption of AWSAccount " + acct.Name))
	g.Expect(k8s.Delete(context.Background(), taken)).To(Succeed())
	waitGone(t, taken)
	g.Expect(serversIn(tenant)).To(ContainElement(made.Status.ServerID), "deleting an object that never took the server over leaves the server")

	update(t, acct, func(a *v1alpha1.AWSAccount) {
		a.Spec.Regions = []string{region, "ap-southeast-2"}
	})
	waitReady(t, far)
	g.Expect(far.Status.Region).To(Equal("ap-southeast-2"))
}
