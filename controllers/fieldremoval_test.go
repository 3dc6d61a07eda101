package controllers_test

import (
	"testing"

	. "github.com/onsi/gomega"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

const banner = "Authorized use only"

// TestRemovedFieldsCleared checks that fields the operator applied are recorded in
// status.appliedFields and, once removed from the spec, cleared in AWS: a server's logging role
// and banner, a user's session policy.
func TestRemovedFieldsCleared(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := newServer(ns, "srv", func(s *v1alpha1.TransferServerSpec) {
		s.LoggingRole = roleARN
		s.PreAuthenticationLoginBanner = banner
	})
	create(t, srv)
	waitReady(t, srv)
	usr := newUser(ns, "alice", "srv", func(u *v1alpha1.TransferUserSpec) { u.Policy = policy })
	create(t, usr)
	waitReady(t, usr)
	id := srv.Status.ServerID

	g.Expect(srv.Status.AppliedFields).To(ConsistOf("loggingRole", "preAuthenticationLoginBanner"))
	g.Expect(usr.Status.AppliedFields).To(ConsistOf("policy"))
	got := awsServer(g, id)
	g.Expect(got.LoggingRole).To(Equal(roleARN))
	g.Expect(got.PreAuthenticationLoginBanner).To(Equal(banner))
	g.Expect(awsUser(g, id, "alice").Policy).NotTo(BeEmpty())

	calls := callsDuring(func() {
		update(t, srv, func(s *v1alpha1.TransferServer) {
			s.Spec.LoggingRole = ""
			s.Spec.PreAuthenticationLoginBanner = ""
		})
		waitReady(t, srv)
	})
	g.Expect(calls.Of("UpdateServer")).To(Equal(1), "calls: %v", calls)
	got = awsServer(g, id)
	g.Expect(got.LoggingRole).To(BeEmpty())
	g.Expect(got.PreAuthenticationLoginBanner).To(BeEmpty())
	g.Expect(srv.Status.AppliedFields).To(BeEmpty())
	waitEvent(t, srv, "Updated", "loggingRole, preAuthenticationLoginBanner")

	calls = callsDuring(func() {
		update(t, usr, func(u *v1alpha1.TransferUser) { u.Spec.Policy = "" })
		waitReady(t, usr)
	})
	g.Expect(calls.Of("UpdateUser")).To(Equal(1), "calls: %v", calls)
	g.Expect(awsUser(g, id, "alice").Policy).To(BeEmpty())
	g.Expect(usr.Status.AppliedFields).To(BeEmpty())
	waitEvent(t, usr, "Updated", "policy")
}

// TestNeverSetFieldsLeftAlone checks that a clearable field the spec never set stays unmanaged:
// set in AWS by someone else, it is neither sent nor cleared when the object is next reconciled.
func TestNeverSetFieldsLeftAlone(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	usr := newUser(ns, "bob", "srv", nil)
	create(t, usr)
	waitReady(t, usr)
	id := srv.Status.ServerID

	g.Expect(emu.ModifyServer(region, id, func(r *emulator.ServerRecord) {
		r.LoggingRole = roleARN
		r.PreAuthenticationLoginBanner = banner
	})).To(Succeed())
	g.Expect(emu.ModifyUser(region, id, "bob", func(u *emulator.UserRecord) { u.Policy = policy })).To(Succeed())

	calls := callsDuring(func() {
		update(t, srv, func(s *v1alpha1.TransferServer) { s.Spec.Tags = v1alpha1.Tags{"team": "a"} })
		waitReady(t, srv)
		update(t, usr, func(u *v1alpha1.TransferUser) { u.Spec.Tags = v1alpha1.Tags{"team": "a"} })
		waitReady(t, usr)
	})
	g.Expect(calls.Of("UpdateServer")).To(BeZero(), "calls: %v", calls)
	g.Expect(calls.Of("UpdateUser")).To(BeZero(), "calls: %v", calls)
	got := awsServer(g, id)
	g.Expect(got.LoggingRole).To(Equal(roleARN))
	g.Expect(got.PreAuthenticationLoginBanner).To(Equal(banner))
	g.Expect(awsUser(g, id, "bob").Policy).To(Equal(policy))
}

// TestUnclearableFieldReported checks that removing a field AWS cannot clear (a POSIX profile)
// sends nothing, says so once in a NotCleared Event, and leaves the field out of
// status.appliedFields, so that later passes do not report it again.
func TestUnclearableFieldReported(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	usr := newUser(ns, "carol", "srv", func(u *v1alpha1.TransferUserSpec) {
		u.PosixProfile = &v1alpha1.PosixProfile{UID: 1000, GID: 1000}
	})
	create(t, usr)
	waitReady(t, usr)
	g.Expect(usr.Status.AppliedFields).To(ConsistOf("posixProfile"))

	calls := callsDuring(func() {
		update(t, usr, func(u *v1alpha1.TransferUser) { u.Spec.PosixProfile = nil })
		waitReady(t, usr)
	})
	g.Expect(calls.Of("UpdateUser")).To(BeZero(), "calls: %v", calls)
	waitEvent(t, usr, "NotCleared", "posixProfile removed from the spec")
	g.Expect(usr.Status.AppliedFields).To(BeEmpty())
	g.Expect(awsUser(g, srv.Status.ServerID, "carol").PosixProfile).NotTo(BeNil())
}
