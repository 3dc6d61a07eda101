package controllers_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awstransfer "github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testpartner"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

const connectorRole = "arn:aws:iam::111122223333:role/connector"

// credentialsSecret is a Secret with the partner's user and private key.
func credentialsSecret(ns, name string, p *testpartner.Partner) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: map[string]string{
		"username": p.User, "privateKey": p.ClientPrivateKeyPEM,
	}}
}

// newConnector is a TransferConnector to p whose credentials are in Secret secret.
func newConnector(ns, name, secret string, p *testpartner.Partner, mutate func(*v1alpha1.TransferConnectorSpec)) *v1alpha1.TransferConnector {
	c := &v1alpha1.TransferConnector{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: v1alpha1.TransferConnectorSpec{
		URL: p.URL, AccessRole: connectorRole,
		SFTPConfig: &v1alpha1.SFTPConnectorConfig{CredentialsSecretRef: &v1alpha1.ConnectorCredentialsRef{Name: secret}},
		Tags:       v1alpha1.Tags{"partner": "acme"},
	}}
	if mutate != nil {
		mutate(&c.Spec)
	}
	return c
}

// awsConnector returns the emulator's record of the connector id.
func awsConnector(g Gomega, id string) emulator.ConnectorRecord {
	for _, c := range emu.Snapshot().Regions[region].Connectors {
		if c.ConnectorID == id {
			return c
		}
	}
	g.Expect(id).To(BeEmpty(), "connector %s is not in AWS", id)
	return emulator.ConnectorRecord{}
}

// connectorsOwnedBy returns the emulator's connectors that carry uid's ownership tag.
func connectorsOwnedBy(uid string) []emulator.ConnectorRecord {
	var out []emulator.ConnectorRecord
	for _, c := range emu.Snapshot().Regions[region].Connectors {
		if tagMap(c.Tags)[transfer.TagOwnerUID] == uid {
			out = append(out, c)
		}
	}
	return out
}

// secretsOwnedBy returns the emulator's live Secrets Manager secrets that carry uid's ownership tag.
func secretsOwnedBy(uid string) []emulator.SecretRecord {
	var out []emulator.SecretRecord
	for _, s := range emu.Snapshot().Regions[region].Secrets {
		if tagMap(s.Tags)[transfer.TagOwnerUID] == uid && s.DeletedDate.IsZero() {
			out = append(out, s)
		}
	}
	return out
}

// secretValue reads a Secrets Manager secret's value from the emulator, as the connector does.
func secretValue(g Gomega, arn string) map[string]string {
	out, err := secretsAPI.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	g.Expect(err).NotTo(HaveOccurred())
	var v map[string]string
	g.Expect(json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v)).To(Succeed())
	return v
}

// TestConnectorToPartner checks a connector's life with a real OpenSSH partner: created with its
// credentials copied into a Secrets Manager secret it owns, Connected=False naming the host key
// the partner presented until it is trusted, then True; the Secret's change copied and tested;
// drift corrected; and the connector and its secret deleted with the object. No credential
// appears in the status or an Event.
func TestConnectorToPartner(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	partner := testpartner.Start(t, testpartner.Options{HostKeyType: testpartner.ECDSA})
	create(t, credentialsSecret(ns, "partner", partner))
	con := newConnector(ns, "acme", "partner", partner, nil)
	create(t, con)
	waitReady(t, con)
	g.Expect(con.Status.ConnectorID).To(MatchRegexp(`^c-[0-9a-f]{17}$`))
	g.Expect(con.Status.State).To(Equal("ACTIVE"))
	g.Expect(con.Status.EgressIPAddresses).To(HaveLen(3))
	g.Expect(con.Status.Region).To(Equal(region))
	g.Expect(kstatusOf(t, con)).To(Equal(status.CurrentStatus))

	owned := secretsOwnedBy(string(con.UID))
	g.Expect(owned).To(HaveLen(1))
	g.Expect(con.Status.UserSecretARN).To(Equal(owned[0].ARN))
	g.Expect(secretValue(g, con.Status.UserSecretARN)).To(Equal(map[string]string{"Username": partner.User, "PrivateKey": partner.ClientPrivateKeyPEM}))
	c := awsConnector(g, con.Status.ConnectorID)
	g.Expect(c.SftpConfig.UserSecretID).To(Equal(con.Status.UserSecretARN))
	g.Expect(tagMap(c.Tags)).To(HaveKeyWithValue("partner", "acme"))

	// Nothing trusted yet: the key the partner presented is named, and how to trust it.
	connected := waitConnected(t, con, metav1.ConditionFalse, v1alpha1.ReasonHostKeyNotTrusted)
	g.Expect(connected.Message).To(ContainSubstring(partner.HostKey()))
	g.Expect(con.Status.Connection.HostKey).To(Equal(partner.HostKey()))

	update(t, con, func(c *v1alpha1.TransferConnector) { c.Spec.SFTPConfig.TrustedHostKeys = []string{partner.HostKey()} })
	waitConnected(t, con, metav1.ConditionTrue, v1alpha1.ReasonConnectionSucceeded)
	g.Expect(awsConnector(g, con.Status.ConnectorID).SftpConfig.TrustedHostKeys).To(Equal([]string{partner.HostKey()}))

	// The partner rotates its key: the next test names the new one.
	rotated := partner.RotateHostKey(t)
	update(t, con, func(c *v1alpha1.TransferConnector) { c.Spec.SFTPConfig.MaxConcurrentConnections = aws.Int32(2) })
	connected = waitConnected(t, con, metav1.ConditionFalse, v1alpha1.ReasonHostKeyNotTrusted)
	g.Expect(connected.Message).To(ContainSubstring(rotated))
	g.Expect(awsConnector(g, con.Status.ConnectorID).SftpConfig.MaxConcurrentConnections).To(BeEquivalentTo(2))

	// Changed credentials are copied into the same secret.
	update(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "partner"}}, func(s *corev1.Secret) {
		s.Data["username"] = []byte("someone-else")
	})
	g.Eventually(func(g Gomega) {
		g.Expect(secretValue(g, con.Status.UserSecretARN)).To(HaveKeyWithValue("Username", "someone-else"))
	}).WithTimeout(timeout).Should(Succeed())
	waitEvent(t, con, "Updated", "copied the changed credentials of Secret partner")

	// Drift: a change in AWS is corrected.
	_, err := awsAPI.UpdateConnector(context.Background(), &awstransfer.UpdateConnectorInput{
		ConnectorId: aws.String(con.Status.ConnectorID), SftpConfig: &types.SftpConnectorConfig{MaxConcurrentConnections: aws.Int32(5)},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func(g Gomega) {
		g.Expect(awsConnector(g, con.Status.ConnectorID).SftpConfig.MaxConcurrentConnections).To(BeEquivalentTo(2))
	}).WithTimeout(timeout).Should(Succeed())

	// No credential in the status or the Events.
	get(g, con)
	statusJSON, _ := json.Marshal(con.Status)
	g.Expect(string(statusJSON)).NotTo(ContainSubstring("PRIVATE KEY"))
	g.Expect(allEventNotes(g, con)).NotTo(ContainSubstring("PRIVATE KEY"))

	id, secretARN := con.Status.ConnectorID, con.Status.UserSecretARN
	g.Expect(k8s.Delete(context.Background(), con)).To(Succeed())
	waitGone(t, con)
	g.Expect(connectorsOwnedBy(string(con.UID))).To(BeEmpty(), "connector %s was left in AWS", id)
	g.Expect(secretsOwnedBy(string(con.UID))).To(BeEmpty(), "secret %s was left in AWS", secretARN)
}

// waitConnected waits until con's Connected condition has the given status and reason.
func waitConnected(t *testing.T, con *v1alpha1.TransferConnector, want metav1.ConditionStatus, reason string) metav1.Condition {
	t.Helper()
	var c metav1.Condition
	NewWithT(t).Eventually(func(g Gomega) {
		get(g, con)
		c = condition(con, v1alpha1.ConditionConnected)
		g.Expect(c.Status).To(Equal(want), "Connected: %+v", c)
		g.Expect(c.Reason).To(Equal(reason))
	}).WithTimeout(timeout).WithPolling(50 * time.Millisecond).Should(Succeed())
	return c
}

// allEventNotes returns the notes of every Event of obj, joined.
func allEventNotes(g Gomega, obj client.Object) string {
	list := &eventsv1.EventList{}
	g.Expect(k8s.List(context.Background(), list, client.InNamespace(obj.GetNamespace()))).To(Succeed())
	var notes []string
	for _, e := range list.Items {
		if e.Regarding.UID == obj.GetUID() {
			notes = append(notes, e.Note)
		}
	}
	return strings.Join(notes, "\n")
}

// TestConnectorLostCreateResponse checks that a CreateConnector that took effect but whose
// response was lost leaves exactly one connector, found by its ownership tag, and one secret.
func TestConnectorLostCreateResponse(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	partner := testpartner.Start(t, testpartner.Options{HostKeyType: testpartner.ECDSA})
	create(t, credentialsSecret(ns, "partner", partner))
	g.Expect(emu.FailNext("CreateConnector", 1, emulator.FailCommitThenDrop)).To(Succeed())
	g.Expect(emu.FailNext("secretsmanager.CreateSecret", 1, emulator.FailCommitThenError)).To(Succeed())
	con := newConnector(ns, "lost", "partner", partner, nil)
	create(t, con)
	waitReady(t, con)
	g.Expect(connectorsOwnedBy(string(con.UID))).To(HaveLen(1))
	g.Expect(secretsOwnedBy(string(con.UID))).To(HaveLen(1))
	waitEvent(t, con, "Adopted", "response was lost")
}

// TestConnectorRetainAndMissingSecret checks deletionPolicy Retain, and that a connector whose
// credentials Secret does not exist is Stalled with SecretNotFound, creating nothing, until it
// does.
func TestConnectorRetainAndMissingSecret(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	partner := testpartner.Start(t, testpartner.Options{HostKeyType: testpartner.ECDSA})
	con := newConnector(ns, "kept", "later", partner, func(s *v1alpha1.TransferConnectorSpec) { s.DeletionPolicy = v1alpha1.DeletionPolicyRetain })
	create(t, con)
	c := waitCondition(t, con, v1alpha1.ConditionStalled, v1alpha1.ReasonSecretNotFound)
	g.Expect(c.Message).To(ContainSubstring("Secret later"))
	g.Expect(connectorsOwnedBy(string(con.UID))).To(BeEmpty())

	create(t, credentialsSecret(ns, "later", partner))
	waitReady(t, con)
	id := con.Status.ConnectorID
	g.Expect(k8s.Delete(context.Background(), con)).To(Succeed())
	waitGone(t, con)
	g.Expect(connectorsOwnedBy(string(con.UID))).To(HaveLen(1), "connector %s was deleted despite Retain", id)
	g.Expect(secretsOwnedBy(string(con.UID))).To(HaveLen(1))
}

// TestConnectorAdoption checks that spec.connectorId takes over a connector made outside the
// operator, tags it with its owner, and that a second object naming it is refused
// (OwnedByAnother) and, deleted, leaves it alone.
func TestConnectorAdoption(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	partner := testpartner.Start(t, testpartner.Options{HostKeyType: testpartner.ECDSA})
	out, err := awsAPI.CreateConnector(context.Background(), &awstransfer.CreateConnectorInput{
		Url: aws.String(partner.URL), AccessRole: aws.String(connectorRole),
		SftpConfig: &types.SftpConnectorConfig{UserSecretId: aws.String("arn:aws:secretsmanager:" + region + ":111122223333:secret:made-by-hand-AbCdEf")},
	})
	g.Expect(err).NotTo(HaveOccurred())
	id := aws.ToString(out.ConnectorId)
	byHand := func(s *v1alpha1.TransferConnectorSpec) {
		s.ConnectorID = id
		s.SFTPConfig = &v1alpha1.SFTPConnectorConfig{UserSecretID: "arn:aws:secretsmanager:" + region + ":111122223333:secret:made-by-hand-AbCdEf"}
	}
	first := newConnector(ns, "first", "", partner, byHand)
	create(t, first)
	waitReady(t, first)
	g.Expect(first.Status.ConnectorID).To(Equal(id))
	waitEvent(t, first, "Adopted", "adopted connector "+id)
	g.Expect(tagMap(awsConnector(g, id).Tags)).To(HaveKeyWithValue(transfer.TagOwnerUID, string(first.UID)))

	second := newConnector(ns, "second", "", partner, byHand)
	create(t, second)
	c := waitCondition(t, second, v1alpha1.ConditionStalled, v1alpha1.ReasonOwnedByAnother)
	g.Expect(c.Message).To(ContainSubstring("TransferConnector " + ns + "/first"))
	g.Expect(k8s.Delete(context.Background(), second)).To(Succeed())
	waitGone(t, second)
	g.Expect(awsConnector(g, id).ConnectorID).To(Equal(id), "deleting the refused object deleted the connector")

	g.Expect(k8s.Delete(context.Background(), first)).To(Succeed())
	waitGone(t, first)
	g.Expect(connectorsOwnedBy(string(first.UID))).To(BeEmpty())
}
