package controllers_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awstransfer "github.com/aws/aws-sdk-go-v2/service/transfer"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

const hostKeyDataKey = "id_ed25519"

// hostKeysSecret returns a Secret holding one new host key under hostKeyDataKey, and its
// fingerprint.
func hostKeysSecret(t *testing.T, ns, name string) (*corev1.Secret, string) {
	t.Helper()
	pem, fingerprint := newHostKey(t)
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{hostKeyDataKey: pem}}, fingerprint
}

func hostKeyEntry(secret, description string) v1alpha1.HostKeySource {
	return v1alpha1.HostKeySource{SecretRef: v1alpha1.SecretKeySelector{Name: secret, Key: hostKeyDataKey}, Description: description}
}

// awsHostKeys returns the fingerprint and description of each host key of server id in AWS, in
// list order.
func awsHostKeys(g Gomega, id string) []string {
	var out []string
	for _, k := range awsServer(g, id).HostKeys {
		out = append(out, k.Fingerprint+" "+k.Description)
	}
	return out
}

// statusHostKeys returns status.hostKeys as "fingerprint managed secret" lines.
func statusHostKeys(srv *v1alpha1.TransferServer) []string {
	var out []string
	for _, k := range srv.Status.HostKeys {
		line := k.Fingerprint + " unmanaged"
		if k.Managed {
			line = k.Fingerprint + " managed " + k.SecretRef.Name
		}
		out = append(out, line)
	}
	return out
}

// TestServerHostKeysOverlappedRotation walks the documented rotation: the server is created with
// the first key of spec.hostKeys (and no generated one), a second key is added, then the first
// removed, the new one imported before the old one is deleted; a key added outside the operator
// is reported and kept until exclusiveHostKeys is set. Key material never reaches status, Events
// or logs.
func TestServerHostKeysOverlappedRotation(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	oldSecret, oldFP := hostKeysSecret(t, ns, "key-2025")
	newSecret, newFP := hostKeysSecret(t, ns, "key-2026")
	create(t, oldSecret)
	create(t, newSecret)
	srv := newServer(ns, "rotating", func(s *v1alpha1.TransferServerSpec) {
		s.HostKeys = []v1alpha1.HostKeySource{hostKeyEntry("key-2025", "")}
	})
	create(t, srv)
	waitReady(t, srv)
	id := srv.Status.ServerID
	g.Expect(awsHostKeys(g, id)).To(Equal([]string{oldFP + " "}), "the server is created with the first key and no other")
	g.Expect(srv.Status.HostKeyFingerprint).To(Equal(oldFP))
	g.Eventually(func(g Gomega) {
		get(g, srv)
		g.Expect(statusHostKeys(srv)).To(Equal([]string{oldFP + " managed key-2025"}))
	}).WithTimeout(timeout).Should(Succeed())

	// A key added in the console is reported, not deleted.
	outside, outsideFP := newHostKey(t)
	_, err := awsAPI.ImportHostKey(context.Background(), &awstransfer.ImportHostKeyInput{ServerId: aws.String(id), HostKeyBody: aws.String(string(outside)), Description: aws.String("console")})
	g.Expect(err).NotTo(HaveOccurred())
	waitEvent(t, srv, "UnmanagedHostKey", outsideFP)
	g.Eventually(func(g Gomega) {
		get(g, srv)
		g.Expect(statusHostKeys(srv)).To(ConsistOf(oldFP+" managed key-2025", outsideFP+" unmanaged"))
	}).WithTimeout(timeout).Should(Succeed())

	// Step 1: add the new key next to the old one.
	update(t, srv, func(s *v1alpha1.TransferServer) {
		s.Spec.HostKeys = append(s.Spec.HostKeys, hostKeyEntry("key-2026", "ed25519, 2026"))
	})
	waitEvent(t, srv, "HostKeyImported", "key-2026/"+hostKeyDataKey+" ("+newFP+")")
	g.Eventually(func(g Gomega) {
		g.Expect(awsHostKeys(g, id)).To(Equal([]string{oldFP + " ", outsideFP + " console", newFP + " ed25519, 2026"}))
		get(g, srv)
		g.Expect(statusHostKeys(srv)).To(ConsistOf(oldFP+" managed key-2025", outsideFP+" unmanaged", newFP+" managed key-2026"))
	}).WithTimeout(timeout).Should(Succeed())
	waitReady(t, srv)

	// Step 2, once clients trust the new key: remove the old one.
	update(t, srv, func(s *v1alpha1.TransferServer) { s.Spec.HostKeys = s.Spec.HostKeys[1:] })
	waitEvent(t, srv, "HostKeyDeleted", oldFP)
	g.Eventually(func(g Gomega) {
		g.Expect(awsHostKeys(g, id)).To(Equal([]string{outsideFP + " console", newFP + " ed25519, 2026"}))
	}).WithTimeout(timeout).Should(Succeed())
	waitReady(t, srv)
	described, err := awsAPI.DescribeServer(context.Background(), &awstransfer.DescribeServerInput{ServerId: aws.String(id)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(srv.Status.HostKeyFingerprint).To(Equal(aws.ToString(described.Server.HostKeyFingerprint)),
		"the pass that deleted a key records the fingerprint AWS reports after the deletion")
	g.Expect(srv.Status.HostKeyFingerprint).NotTo(Equal(oldFP))

	// A description change is sent with UpdateHostKey.
	update(t, srv, func(s *v1alpha1.TransferServer) { s.Spec.HostKeys[0].Description = "current" })
	g.Eventually(func(g Gomega) {
		g.Expect(awsHostKeys(g, id)).To(ContainElement(newFP + " current"))
	}).WithTimeout(timeout).Should(Succeed())

	// exclusiveHostKeys deletes what the operator did not add.
	update(t, srv, func(s *v1alpha1.TransferServer) { s.Spec.ExclusiveHostKeys = true })
	g.Eventually(func(g Gomega) {
		g.Expect(awsHostKeys(g, id)).To(Equal([]string{newFP + " current"}))
		get(g, srv)
		g.Expect(statusHostKeys(srv)).To(Equal([]string{newFP + " managed key-2026"}))
	}).WithTimeout(timeout).Should(Succeed())
	waitReady(t, srv)
	g.Expect(srv.Status.HostKeyFingerprint).To(Equal(newFP))

	statusJSON, err := json.Marshal(srv.Status)
	g.Expect(err).NotTo(HaveOccurred())
	for _, key := range [][]byte{oldSecret.Data[hostKeyDataKey], newSecret.Data[hostKeyDataKey], outside} {
		body := keyBody(key)
		g.Expect(logs.String()).NotTo(ContainSubstring(body))
		g.Expect(eventsText(g, ns)).NotTo(ContainSubstring(body))
		g.Expect(string(statusJSON)).NotTo(ContainSubstring(body))
	}
}

// offeredHostKeys returns the fingerprints status.hostKeys marks as offered to clients.
func offeredHostKeys(srv *v1alpha1.TransferServer) []string {
	var out []string
	for _, k := range srv.Status.HostKeys {
		if k.Offered {
			out = append(out, k.Fingerprint)
		}
	}
	return out
}

// TestServerHostKeysOnServerWithGeneratedKey follows the rotation recipe on a server created
// without host keys: AWS generated its key, which stays the oldest of its type, so clients keep
// being offered it after spec.hostKeys adds a key of the same type; the Ready message says so,
// and spec.exclusiveHostKeys deletes it, after which clients are offered the listed key.
func TestServerHostKeysOnServerWithGeneratedKey(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	secret, fingerprint := hostKeysSecret(t, ns, "key-2026")
	create(t, secret)
	srv := newServer(ns, "generated", nil)
	create(t, srv)
	waitReady(t, srv)
	generatedFP := srv.Status.HostKeyFingerprint
	g.Expect(generatedFP).NotTo(BeEmpty())

	update(t, srv, func(s *v1alpha1.TransferServer) {
		s.Spec.HostKeys = []v1alpha1.HostKeySource{hostKeyEntry("key-2026", "")}
	})
	waitEvent(t, srv, "HostKeyImported", fingerprint)
	waitReady(t, srv)
	g.Expect(offeredHostKeys(srv)).To(Equal([]string{generatedFP}))
	ready := condition(srv, v1alpha1.ConditionReady)
	g.Expect(ready.Message).To(ContainSubstring("clients are offered host key"))
	g.Expect(ready.Message).To(ContainSubstring(generatedFP))
	g.Expect(ready.Message).To(ContainSubstring("spec.exclusiveHostKeys"))

	update(t, srv, func(s *v1alpha1.TransferServer) { s.Spec.ExclusiveHostKeys = true })
	waitEvent(t, srv, "HostKeyDeleted", generatedFP)
	waitReady(t, srv)
	g.Expect(offeredHostKeys(srv)).To(Equal([]string{fingerprint}))
	g.Expect(srv.Status.HostKeyFingerprint).To(Equal(fingerprint))
	g.Expect(condition(srv, v1alpha1.ConditionReady).Message).NotTo(ContainSubstring("clients are offered"))
}

// TestServerHostKeysLostImportResponse checks that an ImportHostKey whose response is lost after
// AWS added the key, and a second copy of a fingerprint on the server (as an endpoint that
// accepts a repeated import would leave), both end with each fingerprint on the server once.
func TestServerHostKeysLostImportResponse(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	first, firstFP := hostKeysSecret(t, ns, "first")
	second, secondFP := hostKeysSecret(t, ns, "second")
	create(t, first)
	create(t, second)
	srv := newServer(ns, "lossy", func(s *v1alpha1.TransferServerSpec) {
		s.HostKeys = []v1alpha1.HostKeySource{hostKeyEntry("first", "")}
	})
	create(t, srv)
	waitReady(t, srv)
	id := srv.Status.ServerID

	g.Expect(emu.FailNext("ImportHostKey", 1, emulator.FailCommitThenDrop)).To(Succeed())
	update(t, srv, func(s *v1alpha1.TransferServer) {
		s.Spec.HostKeys = append(s.Spec.HostKeys, hostKeyEntry("second", ""))
	})
	g.Eventually(func(g Gomega) {
		g.Expect(awsHostKeys(g, id)).To(Equal([]string{firstFP + " ", secondFP + " "}))
		get(g, srv)
		g.Expect(statusHostKeys(srv)).To(Equal([]string{firstFP + " managed first", secondFP + " managed second"}))
	}).WithTimeout(timeout).Should(Succeed())
	waitReady(t, srv)
	g.Expect(emu.Calls().Of("ImportHostKey")).To(BeNumerically(">=", 1))

	g.Expect(emu.ModifyServer(region, id, func(r *emulator.ServerRecord) {
		dup := r.HostKeys[1]
		dup.HostKeyID = "hostkey-00000000000000dd1"
		dup.DateImported = dup.DateImported.Add(time.Second)
		r.HostKeys = append(r.HostKeys, dup)
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		var ids []string
		for _, k := range awsServer(g, id).HostKeys {
			ids = append(ids, k.HostKeyID)
		}
		g.Expect(awsHostKeys(g, id)).To(Equal([]string{firstFP + " ", secondFP + " "}))
		g.Expect(ids).NotTo(ContainElement("hostkey-00000000000000dd1"), "the later copy is the one deleted")
	}).WithTimeout(timeout).Should(Succeed())
}

// TestServerHostKeysMissingSecret checks that a Secret of spec.hostKeys that does not exist
// stalls the server with a condition that names it, that no server is created meanwhile, and
// that the server is created, with both keys, once the Secret exists.
func TestServerHostKeysMissingSecret(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	present, _ := hostKeysSecret(t, ns, "present")
	create(t, present)
	srv := newServer(ns, "waits", func(s *v1alpha1.TransferServerSpec) {
		s.HostKeys = []v1alpha1.HostKeySource{hostKeyEntry("present", ""), hostKeyEntry("later", "")}
	})
	create(t, srv)
	c := waitCondition(t, srv, v1alpha1.ConditionStalled, v1alpha1.ReasonSecretNotFound)
	g.Expect(c.Message).To(Equal("hostKeys[1]: the Secret later does not exist or has no key \"" + hostKeyDataKey + "\""))
	g.Expect(serversOwnedBy(string(srv.UID))).To(BeEmpty())

	later, laterFP := hostKeysSecret(t, ns, "later")
	create(t, later)
	waitReady(t, srv)
	g.Eventually(func(g Gomega) {
		g.Expect(awsHostKeys(g, srv.Status.ServerID)).To(ContainElement(laterFP + " "))
	}).WithTimeout(timeout).Should(Succeed())
}
