package controllers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awstransfer "github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// Public keys for tests: three keys, and the first again with another comment.
const (
	keyA          = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop"
	keyARenamed   = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@desktop"
	keyB          = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB9Ld5wKPKz4vH0JqYlXxI8bSGWbDxA4V7hY9iyxDvo8 alice@phone"
	keyC          = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHbqRQZCs3Nyx1pL1K4mEqPG2v2eMoxJ7Tq4ayWD3ZKi alice@tablet"
	policy        = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket"}]}`
	policySpaced  = "{\n  \"Statement\": [ {\"Resource\": \"arn:aws:s3:::bucket\", \"Action\": \"s3:ListBucket\", \"Effect\": \"Allow\"} ],\n  \"Version\": \"2012-10-17\"\n}"
	policyChanged = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket"}]}`
)

func newUser(ns, name, server string, mutate func(*v1alpha1.TransferUserSpec)) *v1alpha1.TransferUser {
	u := &v1alpha1.TransferUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.TransferUserSpec{ServerRef: &v1alpha1.LocalObjectReference{Name: server}, Role: roleARN},
	}
	if mutate != nil {
		mutate(&u.Spec)
	}
	return u
}

// readyServer creates a TransferServer and waits until it is Ready.
func readyServer(t *testing.T, ns, name string) *v1alpha1.TransferServer {
	t.Helper()
	srv := newServer(ns, name, nil)
	create(t, srv)
	waitReady(t, srv)
	return srv
}

// awsUser returns the emulator's record of a user.
func awsUser(g Gomega, serverID, name string) emulator.UserRecord {
	s := awsServer(g, serverID)
	u, ok := s.User(name)
	g.Expect(ok).To(BeTrue(), "user %s is not on server %s", name, serverID)
	return u
}

func keyBodies(u emulator.UserRecord) []string {
	var out []string
	for _, k := range u.SSHPublicKeys {
		out = append(out, k.SSHPublicKeyBody)
	}
	return out
}

// material is an authorized_keys line without its comment.
func material(key string) string {
	pk, err := transfer.ParsePublicKey(key)
	if err != nil {
		panic(err)
	}
	return pk.Material
}

func materials(bodies []string) []string {
	var out []string
	for _, b := range bodies {
		out = append(out, material(b))
	}
	return out
}

// TestUserWaitsForServer checks that a user whose TransferServer is missing waits, says why, and
// is created as soon as the server is Ready, in one AWS call.
func TestUserWaitsForServer(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	usr := newUser(ns, "early", "later", func(u *v1alpha1.TransferUserSpec) { u.SSHPublicKeys = []v1alpha1.SSHPublicKey{keyA} })
	create(t, usr)
	c := waitCondition(t, usr, v1alpha1.ConditionReconciling, v1alpha1.ReasonServerNotReady)
	g.Expect(c.Message).To(Equal("waiting for TransferServer later, which does not exist in namespace " + ns + ": create it, or correct spec.serverRef.name"))
	g.Expect(condition(usr, v1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(kstatusOf(t, usr)).To(Equal(status.InProgressStatus))
	waitEvent(t, usr, "ServerNotFound", "waiting for TransferServer later, which does not exist")

	start := time.Now()
	calls := callsDuring(func() {
		srv := readyServer(t, ns, "later")
		waitReady(t, usr)
		g.Expect(usr.Status.ServerID).To(Equal(srv.Status.ServerID))
	})
	g.Expect(calls.Of("CreateUser")).To(Equal(1))
	g.Expect(calls.Of("DescribeUser")).To(BeNumerically("<=", resyncsSince(start)), "a new user needs no describe, only its resyncs do: %v", calls)
	g.Expect(usr.Status.UserName).To(Equal("early"))
	g.Expect(usr.Status.ARN).To(Equal(fmt.Sprintf("arn:aws:transfer:us-east-1:111122223333:user/%s/early", usr.Status.ServerID)))
	g.Expect(kstatusOf(t, usr)).To(Equal(status.CurrentStatus))
}

// TestUserFieldGroupsCreatedAndUpdated creates a user with every field group and changes each,
// checking AWS after each step and that one UpdateUser carried the field changes.
func TestUserFieldGroupsCreatedAndUpdated(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	usr := newUser(ns, "alice", "srv", func(u *v1alpha1.TransferUserSpec) {
		u.HomeDirectoryType = "LOGICAL"
		u.HomeDirectoryMappings = []v1alpha1.HomeDirectoryMapEntry{
			{Entry: "/", Target: "/bucket/home/${Transfer:UserName}", Type: "DIRECTORY"},
			{Entry: "/shared", Target: "/bucket/shared"},
		}
		u.Policy = policy
		u.PosixProfile = &v1alpha1.PosixProfile{UID: 1000, GID: 1000, SecondaryGIDs: []int64{2000, 3000}}
		u.SSHPublicKeys = []v1alpha1.SSHPublicKey{keyA, keyB}
		u.Tags = v1alpha1.Tags{"team": "a"}
	})
	create(t, usr)
	waitReady(t, usr)
	got := awsUser(g, srv.Status.ServerID, "alice")
	g.Expect(got.Role).To(Equal(roleARN))
	g.Expect(got.HomeDirectoryType).To(Equal("LOGICAL"))
	g.Expect(got.HomeDirectoryMappings).To(HaveLen(2))
	g.Expect(got.PosixProfile.SecondaryGIDs).To(ConsistOf(int64(2000), int64(3000)))
	g.Expect(materials(keyBodies(got))).To(ConsistOf(material(keyA), material(keyB)))
	g.Expect(tagMap(got.Tags)).To(HaveKeyWithValue("team", "a"))
	g.Expect(tagMap(got.Tags)).To(HaveKeyWithValue(transfer.TagOwnerUID, string(usr.UID)))
	g.Expect(usr.Status.SSHPublicKeys).To(HaveLen(2))

	calls := callsDuring(func() {
		update(t, usr, func(u *v1alpha1.TransferUser) {
			u.Spec.Role = "arn:aws:iam::111122223333:role/other"
			u.Spec.HomeDirectoryMappings = []v1alpha1.HomeDirectoryMapEntry{{Entry: "/", Target: "/bucket/other", Type: "DIRECTORY"}}
			u.Spec.Policy = policyChanged
			u.Spec.PosixProfile = &v1alpha1.PosixProfile{UID: 1001, GID: 1001}
			u.Spec.Tags = v1alpha1.Tags{"team": "b"}
		})
		waitReady(t, usr)
	})
	got = awsUser(g, srv.Status.ServerID, "alice")
	g.Expect(got.Role).To(Equal("arn:aws:iam::111122223333:role/other"))
	g.Expect(got.HomeDirectoryMappings).To(Equal([]emulator.HomeDirectoryMapEntry{{Entry: "/", Target: "/bucket/other", Type: "DIRECTORY"}}))
	g.Expect(got.Policy).To(MatchJSON(policyChanged))
	g.Expect(got.PosixProfile.UID).To(Equal(int64(1001)))
	g.Expect(tagMap(got.Tags)).To(HaveKeyWithValue("team", "b"))
	g.Expect(calls.Of("UpdateUser")).To(Equal(1), "calls: %v", calls)
	waitEvent(t, usr, "Updated", "homeDirectoryMappings, policy, posixProfile, role, tags")

	update(t, usr, func(u *v1alpha1.TransferUser) {
		u.Spec.HomeDirectoryType = "PATH"
		u.Spec.HomeDirectoryMappings = nil
		u.Spec.HomeDirectory = "/bucket/home/alice"
	})
	waitReady(t, usr)
	got = awsUser(g, srv.Status.ServerID, "alice")
	g.Expect(got.HomeDirectoryType).To(Equal("PATH"))
	g.Expect(got.HomeDirectory).To(Equal("/bucket/home/alice"))
}

// TestUserNoCallsWhenNothingChanged checks that an unchanged user costs no AWS write and about one
// describe a resync period, despite ${Transfer:UserName} that AWS expands, and that a reformatted
// policy sends no update.
func TestUserNoCallsWhenNothingChanged(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	readyServer(t, ns, "srv")
	usr := newUser(ns, "quiet", "srv", func(u *v1alpha1.TransferUserSpec) {
		u.HomeDirectoryType = "LOGICAL"
		u.HomeDirectoryMappings = []v1alpha1.HomeDirectoryMapEntry{{Entry: "/", Target: "/bucket/home/${Transfer:UserName}"}}
		u.Policy = policy
		u.PosixProfile = &v1alpha1.PosixProfile{UID: 1, GID: 2, SecondaryGIDs: []int64{4, 3}}
		u.SSHPublicKeys = []v1alpha1.SSHPublicKey{keyA, keyB}
		u.Tags = v1alpha1.Tags{"team": "a"}
	})
	create(t, usr)
	waitReady(t, usr)

	start := time.Now()
	calls := callsDuring(func() { time.Sleep(2*resync + resync/2) })
	g.Expect(calls.Writes()).To(BeZero(), "calls: %v", calls)
	g.Expect(calls.Of("DescribeUser")).To(And(BeNumerically(">=", 1), BeNumerically("<=", 1+resyncsSince(start))), "calls: %v", calls)

	calls = callsDuring(func() {
		update(t, usr, func(u *v1alpha1.TransferUser) { u.Spec.Policy = policySpaced })
		waitReady(t, usr)
	})
	g.Expect(calls.Writes()).To(BeZero(), "a reformatted policy is the same policy: %v", calls)
}

// TestUserUntypedMappingSendsNoUpdate checks that a LOGICAL user whose mapping leaves out the
// type, which AWS (and so the emulator) reports as its default DIRECTORY, sends no UpdateUser
// however many resyncs look at it: the describe that finds it in sync, and the listings of its
// server after it.
func TestUserUntypedMappingSendsNoUpdate(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	usr := newUser(ns, "untyped", "srv", func(u *v1alpha1.TransferUserSpec) {
		u.HomeDirectoryType = "LOGICAL"
		u.HomeDirectoryMappings = []v1alpha1.HomeDirectoryMapEntry{{Entry: "/", Target: "/bucket/home/${Transfer:UserName}"}}
	})
	create(t, usr)
	waitReady(t, usr)
	g.Expect(awsUser(g, srv.Status.ServerID, "untyped").HomeDirectoryMappings).To(Equal(
		[]emulator.HomeDirectoryMapEntry{{Entry: "/", Target: "/bucket/home/untyped", Type: "DIRECTORY"}}))

	// A resync describes the user and sends what differs before the pass ends; listings begin a
	// resync period after a pass found it in sync, and queue it again if it looks changed.
	emu.ResetCalls()
	g.Eventually(func(g Gomega) {
		calls := emu.Calls()
		g.Expect(calls.Of("DescribeUser")).To(BeNumerically(">=", 1), "calls: %v", calls)
		g.Expect(calls.Of("ListUsers")).To(BeNumerically(">=", 3), "calls: %v", calls)
	}).WithTimeout(2 * timeout).WithPolling(100 * time.Millisecond).Should(Succeed())
	calls := emu.Calls()
	g.Expect(calls.Of("UpdateUser")).To(BeZero(), "calls: %v", calls)
	g.Expect(calls.Writes()).To(BeZero(), "calls: %v", calls)
}

// TestUserSSHKeysAsASet checks that keys are imported and deleted to match the spec, and that
// reordering keys or changing a comment changes nothing.
func TestUserSSHKeysAsASet(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	usr := newUser(ns, "keys", "srv", func(u *v1alpha1.TransferUserSpec) { u.SSHPublicKeys = []v1alpha1.SSHPublicKey{keyA, keyB} })
	create(t, usr)
	waitReady(t, usr)

	for _, step := range []struct {
		name             string
		keys             []v1alpha1.SSHPublicKey
		imports, deletes int
	}{
		{"add one", []v1alpha1.SSHPublicKey{keyA, keyB, keyC}, 1, 0},
		{"reorder", []v1alpha1.SSHPublicKey{keyC, keyA, keyB}, 0, 0},
		{"change a comment", []v1alpha1.SSHPublicKey{keyC, keyARenamed, keyB}, 0, 0},
		{"remove two", []v1alpha1.SSHPublicKey{keyB}, 0, 2},
		{"replace", []v1alpha1.SSHPublicKey{keyA}, 1, 1},
		{"remove all", []v1alpha1.SSHPublicKey{}, 0, 1},
	} {
		calls := callsDuring(func() {
			update(t, usr, func(u *v1alpha1.TransferUser) { u.Spec.SSHPublicKeys = step.keys })
			waitReady(t, usr)
		})
		g.Expect(calls.Of("ImportSshPublicKey")).To(Equal(step.imports), "%s: %v", step.name, calls)
		g.Expect(calls.Of("DeleteSshPublicKey")).To(Equal(step.deletes), "%s: %v", step.name, calls)
		var want []string
		for _, k := range step.keys {
			want = append(want, material(string(k)))
		}
		g.Expect(materials(keyBodies(awsUser(g, srv.Status.ServerID, "keys")))).To(ConsistOf(want), step.name)
		g.Expect(usr.Status.SSHPublicKeys).To(HaveLen(len(want)), step.name)
	}
}

// TestUserAdoption checks that a user that exists and was not created by the object is left
// alone (Stalled AlreadyExists, saying how to adopt) until spec.adopt is true, and then managed.
func TestUserAdoption(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	_, err := awsAPI.CreateUser(context.Background(), &awstransfer.CreateUserInput{
		ServerId: aws.String(srv.Status.ServerID), UserName: aws.String("bob"), Role: aws.String("arn:aws:iam::111122223333:role/legacy"),
	})
	g.Expect(err).NotTo(HaveOccurred())

	usr := newUser(ns, "bob", "srv", nil)
	create(t, usr)
	c := waitCondition(t, usr, v1alpha1.ConditionStalled, v1alpha1.ReasonAlreadyExists)
	g.Expect(c.Message).To(ContainSubstring("spec.adopt: true"))
	g.Expect(kstatusOf(t, usr)).To(Equal(status.FailedStatus))
	g.Expect(awsUser(g, srv.Status.ServerID, "bob").Role).To(Equal("arn:aws:iam::111122223333:role/legacy"))

	update(t, usr, func(u *v1alpha1.TransferUser) { u.Spec.Adopt = true })
	waitReady(t, usr)
	got := awsUser(g, srv.Status.ServerID, "bob")
	g.Expect(got.Role).To(Equal(roleARN))
	g.Expect(tagMap(got.Tags)).To(HaveKeyWithValue(transfer.TagOwnerUID, string(usr.UID)))
	waitEvent(t, usr, "Adopted", "bob")
}

// TestUserLostCreateResponse checks that a CreateUser that took effect but whose response was
// lost is recognised by its UID tag and adopted silently: one user, described once, Ready, no
// Stalled.
func TestUserLostCreateResponse(t *testing.T) {
	for _, kind := range []emulator.ErrorKind{emulator.FailCommitThenError, emulator.FailCommitThenDrop} {
		t.Run(string(kind), func(t *testing.T) {
			g := NewWithT(t)
			ns := newNamespace(t)
			srv := readyServer(t, ns, "srv")
			g.Expect(emu.FailNext("CreateUser", 1, kind)).To(Succeed())
			usr := newUser(ns, "carol", "srv", func(u *v1alpha1.TransferUserSpec) { u.SSHPublicKeys = []v1alpha1.SSHPublicKey{keyA} })
			start := time.Now()
			calls := callsDuring(func() {
				create(t, usr)
				waitReady(t, usr)
			})
			g.Expect(awsServer(g, srv.Status.ServerID).Users).To(HaveLen(1))
			g.Expect(calls.Of("DescribeUser")).To(And(BeNumerically(">=", 1), BeNumerically("<=", 1+resyncsSince(start))),
				"the user taken over is described once, and then by its resyncs: %v", calls)
			g.Expect(eventsFor(g, usr, "Stalled")).To(BeEmpty())
			g.Expect(eventsFor(g, usr, "Adopted")).To(BeEmpty())
		})
	}
}

// TestUserDriftCorrected checks that a user changed in AWS behind the operator's back is set
// right within a resync period, with an Event naming the fields.
func TestUserDriftCorrected(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	usr := newUser(ns, "drifty", "srv", func(u *v1alpha1.TransferUserSpec) {
		u.HomeDirectory = "/bucket/home/drifty"
		u.SSHPublicKeys = []v1alpha1.SSHPublicKey{keyA, keyB}
		u.Tags = v1alpha1.Tags{"team": "a"}
	})
	create(t, usr)
	waitReady(t, usr)

	g.Expect(emu.ModifyUser(region, srv.Status.ServerID, "drifty", func(u *emulator.UserRecord) {
		u.HomeDirectory = "/elsewhere"
		u.SSHPublicKeys = u.SSHPublicKeys[:1]
		u.Tags = append(u.Tags, emulator.Tag{Key: "intruder", Value: "x"})
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		got := awsUser(g, srv.Status.ServerID, "drifty")
		g.Expect(got.HomeDirectory).To(Equal("/bucket/home/drifty"))
		g.Expect(materials(keyBodies(got))).To(ConsistOf(material(keyA), material(keyB)))
		g.Expect(tagMap(got.Tags)).NotTo(HaveKey("intruder"))
	}).WithTimeout(resync + timeout).Should(Succeed())
	waitEvent(t, usr, "DriftCorrected", "homeDirectory, sshPublicKeys, tags")
}

// TestUserDriftSeenInListing checks that a user found in sync is then watched through its
// server's listing (ListUsers once a resync period): a change to its home directory in AWS is
// corrected before its full comparison is due (fullCompare is longer than timeout).
func TestUserDriftSeenInListing(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	usr := newUser(ns, "listed", "srv", func(u *v1alpha1.TransferUserSpec) { u.HomeDirectory = "/bucket/home/listed" })
	create(t, usr)
	waitReady(t, usr)
	// Watched once a resync found it in sync: its server is listed from then on.
	emu.ResetCalls()
	g.Eventually(func() int { return emu.Calls().Of("ListUsers") }).WithTimeout(timeout).Should(BeNumerically(">", 0))

	g.Expect(emu.ModifyUser(region, srv.Status.ServerID, "listed", func(u *emulator.UserRecord) { u.HomeDirectory = "/elsewhere" })).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(awsUser(g, srv.Status.ServerID, "listed").HomeDirectory).To(Equal("/bucket/home/listed"))
	}).WithTimeout(timeout).Should(Succeed(), "corrected within %s, before the full comparison %s later", timeout, fullCompare)
	waitEvent(t, usr, "DriftCorrected", "homeDirectory")
}

// TestUserReadyWhenServerReturnsDuringItsWait checks that a user whose server is Ready again
// while the user's pass still writes that it waits for it ends Ready. The server's event queues
// the user during that pass, so the next pass starts as soon as the write returns, maybe before
// the watch brought the write to the cache: that pass must still compare its status with the
// wait just written, not with the Ready from before, which would skip the write and leave the
// user waiting until its full comparison, fullCompare later. The wait's write is held back, as a
// slow API server would, and then lags in the cache, as a slow watch would.
func TestUserReadyWhenServerReturnsDuringItsWait(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	usr := newUser(ns, "patient", "srv", nil)
	create(t, usr)
	waitReady(t, usr)
	// Watched once a resync found it in sync: its own next pass is fullCompare away.
	emu.ResetCalls()
	g.Eventually(func() int { return emu.Calls().Of("ListUsers") }).WithTimeout(timeout).Should(BeNumerically(">", 0))

	wait := faults.lagOnce(func(obj client.Object) bool {
		u, ok := obj.(*v1alpha1.TransferUser)
		return ok && u.Namespace == ns && condition(u, v1alpha1.ConditionReady).Reason == v1alpha1.ReasonServerNotReady
	})
	defer wait.thaw()
	defer wait.send()
	update(t, srv, func(s *v1alpha1.TransferServer) { s.Spec.State = v1alpha1.ServerOffline })
	g.Eventually(wait.arrived).WithTimeout(timeout).Should(BeClosed(), "the user's pass never wrote that it waits for its server")
	g.Eventually(func(g Gomega) {
		cached := &v1alpha1.TransferServer{}
		g.Expect(operatorCache.Get(context.Background(), client.ObjectKeyFromObject(srv), cached)).To(Succeed())
		ready := condition(cached, v1alpha1.ConditionReady)
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), "Ready: %s %s", ready.Reason, ready.Message)
		g.Expect(ready.ObservedGeneration).To(Equal(cached.Generation))
	}).WithTimeout(timeout).Should(Succeed(), "the operator never saw the stopped server Ready")
	wait.send()
	g.Eventually(wait.staleRead).WithTimeout(timeout).Should(BeClosed(), "the operator never read the user after its wait was written")
	wait.thaw()
	waitReady(t, usr)
}

// TestUserDeletedOutOfBand checks that a user deleted in AWS is created again.
func TestUserDeletedOutOfBand(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	usr := newUser(ns, "phoenix", "srv", func(u *v1alpha1.TransferUserSpec) { u.SSHPublicKeys = []v1alpha1.SSHPublicKey{keyA, keyB} })
	create(t, usr)
	waitReady(t, usr)
	g.Expect(emu.DeleteUserOutOfBand(region, srv.Status.ServerID, "phoenix")).To(Succeed())
	g.Eventually(func(g Gomega) {
		got := awsUser(g, srv.Status.ServerID, "phoenix")
		g.Expect(materials(keyBodies(got))).To(ConsistOf(material(keyA), material(keyB)))
	}).WithTimeout(resync + timeout).Should(Succeed())
	waitEvent(t, usr, "Recreating", "phoenix")
	waitReady(t, usr)
}

// TestUserFollowsReplacedServer checks that when a TransferServer's server is replaced (deleted
// in AWS and created anew), its users move to the new server.
func TestUserFollowsReplacedServer(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	usr := newUser(ns, "mover", "srv", func(u *v1alpha1.TransferUserSpec) { u.SSHPublicKeys = []v1alpha1.SSHPublicKey{keyA} })
	create(t, usr)
	waitReady(t, usr)
	old := srv.Status.ServerID

	g.Expect(emu.DeleteServerOutOfBand(region, old)).To(Succeed())
	g.Eventually(func(g Gomega) {
		get(g, usr)
		get(g, srv)
		g.Expect(srv.Status.ServerID).NotTo(Or(BeEmpty(), Equal(old)))
		g.Expect(usr.Status.ServerID).To(Equal(srv.Status.ServerID))
	}).WithTimeout(2*resync + timeout).Should(Succeed())
	waitReady(t, usr)
	g.Expect(materials(keyBodies(awsUser(g, srv.Status.ServerID, "mover")))).To(ConsistOf(material(keyA)))
}

// TestUserOfUnmanagedServer checks a user that names its server by ID, and that a policy the
// schema lets through but that is not JSON gives Stalled before any AWS call.
func TestUserOfUnmanagedServer(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	out, err := awsAPI.CreateServer(context.Background(), &awstransfer.CreateServerInput{IdentityProviderType: types.IdentityProviderTypeServiceManaged})
	g.Expect(err).NotTo(HaveOccurred())
	id := aws.ToString(out.ServerId)
	usr := &v1alpha1.TransferUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "dave"},
		Spec:       v1alpha1.TransferUserSpec{ServerID: id, Role: roleARN, HomeDirectory: "/bucket/dave"},
	}
	// The last pass that found the user in AWS began after this.
	start := time.Now()
	create(t, usr)
	waitReady(t, usr)
	g.Expect(awsUser(g, id, "dave").HomeDirectory).To(Equal("/bucket/dave"))

	calls := callsDuring(func() {
		update(t, usr, func(u *v1alpha1.TransferUser) { u.Spec.Policy = "{not json}" })
		c := waitCondition(t, usr, v1alpha1.ConditionStalled, v1alpha1.ReasonInvalidSpec)
		g.Expect(c.Message).To(ContainSubstring("spec.policy is not valid JSON"))
	})
	// Only the resyncs of the valid spec, due before the operator saw the change, describe.
	g.Expect(calls.Total()-calls.Of("DescribeUser")).To(BeZero(), "calls: %v", calls)
	g.Expect(calls.Of("DescribeUser")).To(BeNumerically("<=", resyncsSince(start)), "calls: %v", calls)

	g.Expect(k8s.Delete(context.Background(), usr)).To(Succeed())
	waitGone(t, usr)
	_, exists := awsServer(g, id).User("dave")
	g.Expect(exists).To(BeFalse())
}

// TestUserDeleteAndRetain checks that deletion removes the user in AWS, or leaves it with
// deletionPolicy Retain, and releases the object either way.
func TestUserDeleteAndRetain(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	deleted := newUser(ns, "gone", "srv", nil)
	retained := newUser(ns, "kept", "srv", func(u *v1alpha1.TransferUserSpec) { u.DeletionPolicy = v1alpha1.DeletionPolicyRetain })
	create(t, deleted)
	create(t, retained)
	waitReady(t, deleted)
	waitReady(t, retained)
	g.Expect(k8s.Delete(context.Background(), deleted)).To(Succeed())
	g.Expect(k8s.Delete(context.Background(), retained)).To(Succeed())
	waitGone(t, deleted)
	waitGone(t, retained)
	_, exists := awsServer(g, srv.Status.ServerID).User("gone")
	g.Expect(exists).To(BeFalse())
	_, exists = awsServer(g, srv.Status.ServerID).User("kept")
	g.Expect(exists).To(BeTrue())
}

// TestServerAndUsersDeletedTogether deletes a server and its 20 users at once, as Argo CD prunes
// or `kubectl delete -f dir/` do: everything converges, nothing is left in AWS or stuck.
func TestServerAndUsersDeletedTogether(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	var users []*v1alpha1.TransferUser
	for i := range 20 {
		u := newUser(ns, fmt.Sprintf("user-%02d", i), "srv", func(u *v1alpha1.TransferUserSpec) { u.SSHPublicKeys = []v1alpha1.SSHPublicKey{keyA} })
		create(t, u)
		users = append(users, u)
	}
	for _, u := range users {
		waitReady(t, u)
	}
	g.Expect(awsServer(g, srv.Status.ServerID).Users).To(HaveLen(20))

	g.Expect(k8s.Delete(context.Background(), srv)).To(Succeed())
	g.Expect(k8s.DeleteAllOf(context.Background(), &v1alpha1.TransferUser{}, client.InNamespace(ns))).To(Succeed())
	for _, u := range users {
		waitGone(t, u)
	}
	waitGone(t, srv)
	_, exists := emu.Snapshot().Server(region, srv.Status.ServerID)
	g.Expect(exists).To(BeFalse())
}
