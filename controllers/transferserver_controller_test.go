package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awstransfer "github.com/aws/aws-sdk-go-v2/service/transfer"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

const (
	roleARN    = "arn:aws:iam::111122223333:role/transfer"
	lambdaARN  = "arn:aws:lambda:us-east-1:111122223333:function:idp"
	certARN    = "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d"
	logGroup   = "arn:aws:logs:us-east-1:111122223333:log-group:transfer:*"
	workflowID = "w-0123456789abcdef0"
)

func newServer(ns, name string, mutate func(*v1alpha1.TransferServerSpec)) *v1alpha1.TransferServer {
	s := &v1alpha1.TransferServer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if mutate != nil {
		mutate(&s.Spec)
	}
	return s
}

func vpcServer(ns, name string, mutate func(*v1alpha1.TransferServerSpec)) *v1alpha1.TransferServer {
	return newServer(ns, name, func(s *v1alpha1.TransferServerSpec) {
		s.EndpointType = "VPC"
		s.EndpointDetails = &v1alpha1.EndpointDetails{
			VpcID:            "vpc-0abc",
			SubnetIDs:        []string{"subnet-1", "subnet-2"},
			SecurityGroupIDs: []v1alpha1.SecurityGroupID{"sg-0123456789abcdef0"},
		}
		if mutate != nil {
			mutate(s)
		}
	})
}

// hostKeySecret returns a Secret holding a new ed25519 host key, and the key's fingerprint.
func hostKeySecret(t *testing.T, ns, name string) (*corev1.Secret, string) {
	t.Helper()
	pem, fingerprint := newHostKey(t)
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Data:       map[string][]byte{"ssh-privatekey": pem},
	}, fingerprint
}

func newHostKey(t *testing.T) (pemBytes []byte, fingerprint string) {
	t.Helper()
	pemBytes, fingerprint, err := testenv.NewHostKey()
	if err != nil {
		t.Fatal(err)
	}
	return pemBytes, fingerprint
}

// callsDuring resets the emulator's counters, runs f, and returns the calls made meanwhile.
func callsDuring(f func()) emulator.CallCounts {
	emu.ResetCalls()
	f()
	return emu.Calls()
}

// TestServerCreatedAndReady checks the happy path: one server, tagged, with its status filled
// in and Ready, which kstatus reads as Current.
func TestServerCreatedAndReady(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := newServer(ns, "public", func(s *v1alpha1.TransferServerSpec) {
		s.Protocols = []v1alpha1.Protocol{"SFTP"}
		s.Tags = v1alpha1.Tags{"team": "a"}
	})
	create(t, srv)
	waitReady(t, srv)

	g.Expect(srv.Finalizers).To(ContainElement("transfer.operators.dev/finalizer"))
	g.Expect(srv.Status.ServerID).To(MatchRegexp(`^s-[0-9a-f]{17}$`))
	g.Expect(srv.Status.ARN).To(Equal("arn:aws:transfer:us-east-1:111122223333:server/" + srv.Status.ServerID))
	g.Expect(srv.Status.State).To(Equal("ONLINE"))
	g.Expect(srv.Status.Endpoint).To(Equal(srv.Status.ServerID + ".server.transfer.us-east-1.amazonaws.com"))
	g.Expect(srv.Status.HostKeyFingerprint).To(HavePrefix("SHA256:"))
	g.Expect(srv.Status.ObservedGeneration).To(Equal(srv.Generation))
	g.Expect(srv.Status.CreatePending).To(BeFalse())
	g.Expect(kstatusOf(t, srv)).To(Equal(status.CurrentStatus))

	owned := serversOwnedBy(string(srv.UID))
	g.Expect(owned).To(HaveLen(1))
	g.Expect(tagMap(owned[0].Tags)).To(And(
		HaveKeyWithValue("team", "a"),
		HaveKeyWithValue(transfer.TagOwner, "TransferServer/"+ns+"/public"),
	))
	waitEvent(t, srv, "Created", srv.Status.ServerID)
}

// TestServerFieldGroupsCreatedAndUpdated creates a server with every field group set, checks
// AWS holds them, then changes every group and checks one UpdateServer carried the changes.
func TestServerFieldGroupsCreatedAndUpdated(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := vpcServer(ns, "full", func(s *v1alpha1.TransferServerSpec) {
		s.Protocols = []v1alpha1.Protocol{"SFTP", "FTPS"}
		s.Certificate = certARN
		s.IdentityProviderType = "AWS_LAMBDA"
		s.IdentityProviderDetails = &v1alpha1.IdentityProviderDetails{Function: lambdaARN, SftpAuthenticationMethods: "PUBLIC_KEY"}
		s.LoggingRole = roleARN
		s.StructuredLogDestinations = []v1alpha1.LogDestinationARN{logGroup}
		s.SecurityPolicyName = "TransferSecurityPolicy-2024-01"
		s.PreAuthenticationLoginBanner = "Authorized use only"
		s.PostAuthenticationLoginBanner = "Welcome"
		s.ProtocolDetails = &v1alpha1.ProtocolDetails{TLSSessionResumptionMode: "ENFORCED", SetStatOption: "ENABLE_NO_OP"}
		s.S3StorageOptions = &v1alpha1.S3StorageOptions{DirectoryListingOptimization: "ENABLED"}
		s.WorkflowDetails = &v1alpha1.WorkflowDetails{OnUpload: []v1alpha1.WorkflowDetail{{WorkflowID: workflowID, ExecutionRole: roleARN}}}
		s.Tags = v1alpha1.Tags{"team": "a", "env": "dev"}
	})
	create(t, srv)
	waitReady(t, srv)

	got := awsServer(g, srv.Status.ServerID)
	g.Expect(got.Protocols).To(ConsistOf("SFTP", "FTPS"))
	g.Expect(got.Certificate).To(Equal(certARN))
	g.Expect(got.EndpointType).To(Equal("VPC"))
	g.Expect(got.EndpointDetails.VpcID).To(Equal("vpc-0abc"))
	g.Expect(got.EndpointDetails.SubnetIDs).To(ConsistOf("subnet-1", "subnet-2"))
	g.Expect(got.EndpointDetails.SecurityGroupIDs).To(ConsistOf("sg-0123456789abcdef0"))
	g.Expect(got.IdentityProviderType).To(Equal("AWS_LAMBDA"))
	g.Expect(got.IdentityProviderDetails.Function).To(Equal(lambdaARN))
	g.Expect(got.LoggingRole).To(Equal(roleARN))
	g.Expect(got.StructuredLogDestinations).To(ConsistOf(logGroup))
	g.Expect(got.SecurityPolicyName).To(Equal("TransferSecurityPolicy-2024-01"))
	g.Expect(got.PreAuthenticationLoginBanner).To(Equal("Authorized use only"))
	g.Expect(got.ProtocolDetails.TLSSessionResumptionMode).To(Equal("ENFORCED"))
	g.Expect(got.S3StorageOptions.DirectoryListingOptimization).To(Equal("ENABLED"))
	g.Expect(got.WorkflowDetails.OnUpload).To(HaveLen(1))
	g.Expect(tagMap(got.Tags)).To(HaveKeyWithValue("env", "dev"))

	calls := callsDuring(func() {
		update(t, srv, func(s *v1alpha1.TransferServer) {
			s.Spec.Protocols = []v1alpha1.Protocol{"SFTP"}
			s.Spec.IdentityProviderDetails.SftpAuthenticationMethods = "PUBLIC_KEY_AND_PASSWORD"
			s.Spec.LoggingRole = "arn:aws:iam::111122223333:role/other"
			s.Spec.StructuredLogDestinations = []v1alpha1.LogDestinationARN{}
			s.Spec.SecurityPolicyName = "TransferSecurityPolicy-2023-05"
			s.Spec.PreAuthenticationLoginBanner = "Go away"
			s.Spec.PostAuthenticationLoginBanner = "Hello"
			s.Spec.ProtocolDetails.SetStatOption = "DEFAULT"
			s.Spec.S3StorageOptions.DirectoryListingOptimization = "DISABLED"
			s.Spec.WorkflowDetails.OnUpload = []v1alpha1.WorkflowDetail{}
			s.Spec.Tags = v1alpha1.Tags{"team": "b"}
		})
		waitReady(t, srv)
	})
	got = awsServer(g, srv.Status.ServerID)
	g.Expect(got.Protocols).To(ConsistOf("SFTP"))
	g.Expect(got.IdentityProviderDetails.SftpAuthenticationMethods).To(Equal("PUBLIC_KEY_AND_PASSWORD"))
	g.Expect(got.LoggingRole).To(Equal("arn:aws:iam::111122223333:role/other"))
	g.Expect(got.StructuredLogDestinations).To(BeEmpty())
	g.Expect(got.SecurityPolicyName).To(Equal("TransferSecurityPolicy-2023-05"))
	g.Expect(got.PreAuthenticationLoginBanner).To(Equal("Go away"))
	g.Expect(got.PostAuthenticationLoginBanner).To(Equal("Hello"))
	g.Expect(got.ProtocolDetails.SetStatOption).To(Equal("DEFAULT"))
	g.Expect(got.S3StorageOptions.DirectoryListingOptimization).To(Equal("DISABLED"))
	g.Expect(got.WorkflowDetails.OnUpload).To(BeEmpty())
	tags := tagMap(got.Tags)
	g.Expect(tags).To(HaveKeyWithValue("team", "b"))
	g.Expect(tags).NotTo(HaveKey("env"))
	g.Expect(tags).To(HaveKey(transfer.TagOwnerUID))
	g.Expect(calls.Of("UpdateServer")).To(Equal(1), "calls: %v", calls)
	g.Expect(calls.Of("StopServer")).To(Equal(0))
	waitEvent(t, srv, "Updated", "securityPolicyName")
}

// TestServerNoCallsWhenNothingChanged checks that an unchanged server costs no AWS write and one
// describe a resync period, and that write-only fields (security groups, the host key) cause no
// perpetual update.
func TestServerNoCallsWhenNothingChanged(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	secret, _ := hostKeySecret(t, ns, "hostkey")
	create(t, secret)
	srv := vpcServer(ns, "quiet", func(s *v1alpha1.TransferServerSpec) {
		s.HostKeySecretRef = &v1alpha1.SecretKeySelector{Name: "hostkey", Key: "ssh-privatekey"}
		s.Tags = v1alpha1.Tags{"team": "a"}
	})
	create(t, srv)
	waitReady(t, srv)

	window := 2*resync + resync/2
	start := time.Now()
	calls := callsDuring(func() { time.Sleep(window) })
	g.Expect(calls.Writes()).To(BeZero(), "calls: %v", calls)
	g.Expect(calls.Of("DescribeServer")).To(And(BeNumerically(">=", 1), BeNumerically("<=", 1+resyncsSince(start))), "calls: %v", calls)
}

// TestServerHostKeyRotation checks that the host key comes from the Secret, is compared by
// fingerprint, follows a rotation of the Secret, and never appears in status, Events or logs.
func TestServerHostKeyRotation(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	secret, fingerprint := hostKeySecret(t, ns, "hostkey")
	create(t, secret)
	srv := newServer(ns, "keyed", func(s *v1alpha1.TransferServerSpec) {
		s.HostKeySecretRef = &v1alpha1.SecretKeySelector{Name: "hostkey", Key: "ssh-privatekey"}
	})
	create(t, srv)
	waitReady(t, srv)
	g.Expect(srv.Status.HostKeyFingerprint).To(Equal(fingerprint))
	g.Expect(awsServer(g, srv.Status.ServerID).HostKeyFingerprint()).To(Equal(fingerprint))
	first := secret.Data["ssh-privatekey"]

	rotated, newFingerprint := newHostKey(t)
	update(t, secret, func(s *corev1.Secret) { s.Data["ssh-privatekey"] = rotated })
	g.Eventually(func(g Gomega) {
		get(g, srv)
		g.Expect(srv.Status.HostKeyFingerprint).To(Equal(newFingerprint))
		g.Expect(awsServer(g, srv.Status.ServerID).HostKeyFingerprint()).To(Equal(newFingerprint))
	}).WithTimeout(timeout).Should(Succeed())

	for _, key := range [][]byte{first, rotated} {
		body := keyBody(key)
		g.Expect(logs.String()).NotTo(ContainSubstring(body))
		g.Expect(eventsText(g, ns)).NotTo(ContainSubstring(body))
		g.Expect(statusText(g, srv)).NotTo(ContainSubstring(body))
	}
}

// keyBody returns the longest base64 line of a PEM key: what a leak would contain.
func keyBody(pemBytes []byte) string {
	var longest string
	for _, line := range strings.Split(string(pemBytes), "\n") {
		if len(line) > len(longest) && !strings.HasPrefix(line, "-----") {
			longest = line
		}
	}
	return longest
}

func eventsText(g Gomega, ns string) string {
	var b strings.Builder
	list := &eventsv1.EventList{}
	g.Expect(k8s.List(context.Background(), list, client.InNamespace(ns))).To(Succeed())
	for _, e := range list.Items {
		b.WriteString(e.Note)
		b.WriteString("\n")
	}
	return b.String()
}

func statusText(g Gomega, srv *v1alpha1.TransferServer) string {
	get(g, srv)
	var b strings.Builder
	for _, c := range srv.Status.Conditions {
		b.WriteString(c.Message)
	}
	b.WriteString(srv.Status.HostKeyFingerprint)
	return b.String()
}

// TestServerHostKeyProblems checks that a missing Secret, a missing key and a key that is not an
// SSH key each give a Stalled condition that says which, without creating a server; and that
// creating the Secret unblocks the server through the Secret watch.
func TestServerHostKeyProblems(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := newServer(ns, "waits-for-key", func(s *v1alpha1.TransferServerSpec) {
		s.HostKeySecretRef = &v1alpha1.SecretKeySelector{Name: "hostkey", Key: "ssh-privatekey"}
	})
	create(t, srv)
	c := waitCondition(t, srv, v1alpha1.ConditionStalled, v1alpha1.ReasonSecretNotFound)
	g.Expect(c.Message).To(ContainSubstring("hostkey"))
	g.Expect(kstatusOf(t, srv)).To(Equal(status.FailedStatus))

	bad := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hostkey"}, Data: map[string][]byte{"other": []byte("x")}}
	create(t, bad)
	g.Eventually(func(g Gomega) {
		get(g, srv)
		g.Expect(condition(srv, v1alpha1.ConditionStalled).Message).To(ContainSubstring(`no key "ssh-privatekey"`))
	}).WithTimeout(timeout).Should(Succeed())

	update(t, bad, func(s *corev1.Secret) {
		s.Data = map[string][]byte{"ssh-privatekey": []byte("-----BEGIN SECRET-----\nc2VjcmV0LWJvZHk=\n")}
	})
	c = waitCondition(t, srv, v1alpha1.ConditionStalled, v1alpha1.ReasonInvalidHostKey)
	g.Expect(c.Message).NotTo(ContainSubstring("c2VjcmV0LWJvZHk="))
	g.Expect(serversOwnedBy(string(srv.UID))).To(BeEmpty())

	good, fingerprint := newHostKey(t)
	update(t, bad, func(s *corev1.Secret) { s.Data = map[string][]byte{"ssh-privatekey": good} })
	waitReady(t, srv)
	g.Expect(srv.Status.HostKeyFingerprint).To(Equal(fingerprint))
}

// TestServerOfflineOnlyChange checks that a change AWS allows only while the server is offline is
// applied by stopping, updating and starting the server, with an Event that says why.
func TestServerOfflineOnlyChange(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := vpcServer(ns, "dualstack", func(s *v1alpha1.TransferServerSpec) { s.IPAddressType = "IPV4" })
	create(t, srv)
	waitReady(t, srv)

	calls := callsDuring(func() {
		update(t, srv, func(s *v1alpha1.TransferServer) { s.Spec.IPAddressType = "DUALSTACK" })
		waitReady(t, srv)
	})
	got := awsServer(g, srv.Status.ServerID)
	g.Expect(got.IPAddressType).To(Equal("DUALSTACK"))
	g.Expect(got.State).To(Equal("ONLINE"))
	g.Expect(calls.Of("StopServer")).To(Equal(1), "calls: %v", calls)
	g.Expect(calls.Of("StartServer")).To(Equal(1), "calls: %v", calls)
	g.Expect(calls.Outcome("UpdateServer", "ok")).To(Equal(1), "calls: %v", calls)
	reads := calls.Of("DescribeServer") + calls.Of("DescribeVpcEndpoints") + calls.Of("DescribeNetworkInterfaces")
	g.Expect(calls.Total()-calls.Outcome("UpdateServer", "ok")-calls.Of("StopServer")-calls.Of("StartServer")-reads).To(BeZero(), "calls: %v", calls)
	waitEvent(t, srv, "Stopping", "ipAddressType")
}

// TestServerElasticIPs checks that Elastic IPs are applied in the order AWS demands: never in
// CreateServer but while the server is stopped afterwards; new subnets first and the Elastic IPs
// after them; and, to change the subnets of a server that has Elastic IPs, those removed first.
func TestServerElasticIPs(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := newServer(ns, "eip", func(s *v1alpha1.TransferServerSpec) {
		s.EndpointType = "VPC"
		s.EndpointDetails = &v1alpha1.EndpointDetails{
			VpcID: "vpc-0abc", SubnetIDs: []string{"subnet-1"}, AddressAllocationIDs: []string{"eipalloc-1"},
		}
	})
	create(t, srv)
	waitReady(t, srv)
	got := awsServer(g, srv.Status.ServerID)
	g.Expect(got.EndpointDetails.AddressAllocationIDs).To(ConsistOf("eipalloc-1"))
	g.Expect(got.State).To(Equal("ONLINE"))

	calls := callsDuring(func() {
		update(t, srv, func(s *v1alpha1.TransferServer) {
			s.Spec.EndpointDetails.SubnetIDs = []string{"subnet-3", "subnet-4"}
			s.Spec.EndpointDetails.AddressAllocationIDs = []string{"eipalloc-3", "eipalloc-4"}
		})
		waitReady(t, srv)
	})
	got = awsServer(g, srv.Status.ServerID)
	g.Expect(got.EndpointDetails.SubnetIDs).To(ConsistOf("subnet-3", "subnet-4"))
	g.Expect(got.EndpointDetails.AddressAllocationIDs).To(ConsistOf("eipalloc-3", "eipalloc-4"))
	g.Expect(got.State).To(Equal("ONLINE"))
	g.Expect(calls.Outcome("UpdateServer", "ok")).To(Equal(3), "remove Elastic IPs, set subnets, set Elastic IPs: %v", calls)
	g.Expect(calls.Of("UpdateServer")).To(Equal(3), "no refused update: %v", calls)
	g.Expect(calls.Of("StopServer")).To(Equal(1), "calls: %v", calls)
	g.Expect(calls.Of("StartServer")).To(Equal(1), "calls: %v", calls)
}

// TestServerEndpointTypeChange checks that a server moved from PUBLIC to VPC is stopped for the
// change, gets its security groups in that call, and runs again afterwards.
func TestServerEndpointTypeChange(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := newServer(ns, "moving", nil)
	create(t, srv)
	waitReady(t, srv)

	calls := callsDuring(func() {
		update(t, srv, func(s *v1alpha1.TransferServer) {
			s.Spec.EndpointType = "VPC"
			s.Spec.EndpointDetails = &v1alpha1.EndpointDetails{
				VpcID: "vpc-0abc", SubnetIDs: []string{"subnet-1"},
				SecurityGroupIDs:     []v1alpha1.SecurityGroupID{"sg-0123456789abcdef0"},
				AddressAllocationIDs: []string{"eipalloc-1"},
			}
		})
		waitReady(t, srv)
	})
	got := awsServer(g, srv.Status.ServerID)
	g.Expect(got.EndpointType).To(Equal("VPC"))
	g.Expect(got.EndpointDetails.SecurityGroupIDs).To(ConsistOf("sg-0123456789abcdef0"))
	g.Expect(got.EndpointDetails.AddressAllocationIDs).To(ConsistOf("eipalloc-1"))
	g.Expect(got.State).To(Equal("ONLINE"))
	g.Expect(calls.Of("UpdateServer")).To(Equal(calls.Outcome("UpdateServer", "ok")), "no refused update: %v", calls)
	g.Expect(calls.Of("StopServer")).To(Equal(1), "calls: %v", calls)
	waitEvent(t, srv, "Stopping", "endpointType")
}

// TestServerDeclaredState checks that spec.state Offline stops the server and Online starts it,
// each Ready once AWS is in the state asked for.
func TestServerDeclaredState(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := newServer(ns, "stoppable", nil)
	create(t, srv)
	waitReady(t, srv)

	update(t, srv, func(s *v1alpha1.TransferServer) { s.Spec.State = v1alpha1.ServerOffline })
	waitReady(t, srv)
	g.Expect(srv.Status.State).To(Equal("OFFLINE"))
	g.Expect(awsServer(g, srv.Status.ServerID).State).To(Equal("OFFLINE"))
	waitEvent(t, srv, "Stopping", "spec.state is Offline")

	update(t, srv, func(s *v1alpha1.TransferServer) { s.Spec.State = v1alpha1.ServerOnline })
	waitReady(t, srv)
	g.Expect(srv.Status.State).To(Equal("ONLINE"))
	g.Expect(awsServer(g, srv.Status.ServerID).State).To(Equal("ONLINE"))
}

// TestServerAdoption checks that spec.serverId adopts an existing server without creating one,
// and that a server ID that does not exist gives Stalled.
func TestServerAdoption(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	out, err := awsAPI.CreateServer(context.Background(), &awstransfer.CreateServerInput{})
	g.Expect(err).NotTo(HaveOccurred())
	id := aws.ToString(out.ServerId)

	calls := callsDuring(func() {
		srv := newServer(ns, "adopted", func(s *v1alpha1.TransferServerSpec) {
			s.ServerID = id
			s.DeletionPolicy = v1alpha1.DeletionPolicyRetain
			s.Tags = v1alpha1.Tags{"adopted": "yes"}
		})
		create(t, srv)
		waitReady(t, srv)
		g.Expect(srv.Status.ServerID).To(Equal(id))
		waitEvent(t, srv, "Adopted", id)
	})
	g.Expect(calls.Of("CreateServer")).To(BeZero())
	g.Expect(tagMap(awsServer(g, id).Tags)).To(HaveKeyWithValue("adopted", "yes"))

	missing := newServer(ns, "missing", func(s *v1alpha1.TransferServerSpec) { s.ServerID = "s-0000000000000000f" })
	create(t, missing)
	c := waitCondition(t, missing, v1alpha1.ConditionStalled, v1alpha1.ReasonNotFound)
	g.Expect(c.Message).To(ContainSubstring("s-0000000000000000f"))
}

// TestServerLostCreateResponse checks that a CreateServer that took effect but whose response was
// lost (a 500, or a dropped connection) still leaves exactly one server, adopted by its tag.
func TestServerLostCreateResponse(t *testing.T) {
	for _, kind := range []emulator.ErrorKind{emulator.FailCommitThenError, emulator.FailCommitThenDrop} {
		t.Run(string(kind), func(t *testing.T) {
			g := NewWithT(t)
			ns := newNamespace(t)
			g.Expect(emu.FailNext("CreateServer", 1, kind)).To(Succeed())
			srv := newServer(ns, "lost", nil)
			create(t, srv)
			waitReady(t, srv)
			owned := serversOwnedBy(string(srv.UID))
			g.Expect(owned).To(HaveLen(1))
			g.Expect(srv.Status.ServerID).To(Equal(owned[0].ServerID))
			waitEvent(t, srv, "Adopted", "response was lost")
		})
	}
}

// TestServerCrashBeforeStatus checks that an operator that dies after CreateServer but before
// recording the server ID does not create a second server.
func TestServerCrashBeforeStatus(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	faults.failOnce(func(obj client.Object) bool {
		s, ok := obj.(*v1alpha1.TransferServer)
		return ok && s.Namespace == ns && s.Status.ServerID != ""
	})
	srv := newServer(ns, "crashy", nil)
	create(t, srv)
	waitReady(t, srv)
	g.Expect(serversOwnedBy(string(srv.UID))).To(HaveLen(1))
	g.Expect(srv.Status.ServerID).To(Equal(serversOwnedBy(string(srv.UID))[0].ServerID))
}

// TestServerDriftCorrected checks that changes made in AWS behind the operator's back are undone
// within a resync period, with an Event naming the fields, and that a server stopped by hand is
// started again.
func TestServerDriftCorrected(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := newServer(ns, "drifty", func(s *v1alpha1.TransferServerSpec) {
		s.Protocols = []v1alpha1.Protocol{"SFTP"}
		s.PreAuthenticationLoginBanner = "Authorized use only"
		s.Tags = v1alpha1.Tags{"team": "a"}
	})
	create(t, srv)
	waitReady(t, srv)
	id := srv.Status.ServerID

	g.Expect(emu.ModifyServer(region, id, func(r *emulator.ServerRecord) {
		r.PreAuthenticationLoginBanner = "changed by hand"
		r.Tags = append(r.Tags, emulator.Tag{Key: "intruder", Value: "x"})
		r.State = "OFFLINE"
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		got := awsServer(g, id)
		g.Expect(got.PreAuthenticationLoginBanner).To(Equal("Authorized use only"))
		g.Expect(tagMap(got.Tags)).NotTo(HaveKey("intruder"))
		g.Expect(got.State).To(Equal("ONLINE"))
	}).WithTimeout(resync + timeout).Should(Succeed())
	waitEvent(t, srv, "DriftCorrected", "preAuthenticationLoginBanner")
	waitEvent(t, srv, "Starting", "starting")
}

// TestServerDeletedOutOfBand checks that a server deleted in AWS is created again with a Warning,
// and that an adopted server deleted in AWS gives Stalled instead.
func TestServerDeletedOutOfBand(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := newServer(ns, "phoenix", nil)
	create(t, srv)
	waitReady(t, srv)
	old := srv.Status.ServerID
	g.Expect(emu.DeleteServerOutOfBand(region, old)).To(Succeed())
	g.Eventually(func(g Gomega) {
		get(g, srv)
		g.Expect(srv.Status.ServerID).NotTo(BeEmpty())
		g.Expect(srv.Status.ServerID).NotTo(Equal(old))
	}).WithTimeout(resync + timeout).Should(Succeed())
	waitReady(t, srv)
	g.Expect(serversOwnedBy(string(srv.UID))).To(HaveLen(1))
	waitEvent(t, srv, "Recreating", old)

	out, err := awsAPI.CreateServer(context.Background(), &awstransfer.CreateServerInput{})
	g.Expect(err).NotTo(HaveOccurred())
	adopted := newServer(ns, "adopted", func(s *v1alpha1.TransferServerSpec) { s.ServerID = aws.ToString(out.ServerId) })
	create(t, adopted)
	waitReady(t, adopted)
	g.Expect(emu.DeleteServerOutOfBand(region, adopted.Spec.ServerID)).To(Succeed())
	waitCondition(t, adopted, v1alpha1.ConditionStalled, v1alpha1.ReasonNotFound)
}

// TestServerDeleteAndRetain checks that deletion removes the server in AWS, or leaves it with
// deletionPolicy Retain, and releases the object either way.
func TestServerDeleteAndRetain(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	deleted := newServer(ns, "deleted", nil)
	retained := newServer(ns, "retained", func(s *v1alpha1.TransferServerSpec) { s.DeletionPolicy = v1alpha1.DeletionPolicyRetain })
	create(t, deleted)
	create(t, retained)
	waitReady(t, deleted)
	waitReady(t, retained)

	g.Expect(k8s.Delete(context.Background(), deleted)).To(Succeed())
	g.Expect(k8s.Delete(context.Background(), retained)).To(Succeed())
	waitGone(t, deleted)
	waitGone(t, retained)
	_, exists := emu.Snapshot().Server(region, deleted.Status.ServerID)
	g.Expect(exists).To(BeFalse())
	_, exists = emu.Snapshot().Server(region, retained.Status.ServerID)
	g.Expect(exists).To(BeTrue())
}

// TestServerDeleteWaitsForUsers checks that a server with TransferUsers waits for them, says how
// many in its condition, and is deleted once they are gone.
func TestServerDeleteWaitsForUsers(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := newServer(ns, "busy", nil)
	create(t, srv)
	waitReady(t, srv)
	usr := newUser(ns, "alice", "busy", nil)
	create(t, usr)
	waitReady(t, usr)

	g.Expect(k8s.Delete(context.Background(), srv)).To(Succeed())
	c := waitCondition(t, srv, v1alpha1.ConditionReconciling, v1alpha1.ReasonWaitingForUsers)
	g.Expect(c.Message).To(ContainSubstring("1 TransferUser"))
	g.Expect(kstatusOf(t, srv)).To(Equal(status.TerminatingStatus))
	_, exists := emu.Snapshot().Server(region, srv.Status.ServerID)
	g.Expect(exists).To(BeTrue())

	g.Expect(k8s.Delete(context.Background(), usr)).To(Succeed())
	waitGone(t, usr)
	waitGone(t, srv)
	_, exists = emu.Snapshot().Server(region, srv.Status.ServerID)
	g.Expect(exists).To(BeFalse())
}

// TestServerTerminalErrorStalls checks that an error retrying cannot fix gives Stalled with the
// AWS code and message, kstatus Failed, and a bounded number of calls until the spec changes.
func TestServerTerminalErrorStalls(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	g.Expect(emu.FailNext("CreateServer", 1000, emulator.FailAccessDenied)).To(Succeed())
	defer emu.ClearFaults()
	srv := newServer(ns, "denied", nil)
	create(t, srv)
	c := waitCondition(t, srv, v1alpha1.ConditionStalled, v1alpha1.ReasonAccessDenied)
	g.Expect(c.Message).To(ContainSubstring("AccessDeniedException"))
	g.Expect(kstatusOf(t, srv)).To(Equal(status.FailedStatus))
	waitEvent(t, srv, "Stalled", "AccessDeniedException")

	start := time.Now()
	calls := callsDuring(func() { time.Sleep(2 * resync) })
	g.Expect(calls.Of("CreateServer")).To(BeNumerically("<=", 1+resyncsSince(start)), "calls: %v", calls)

	emu.ClearFaults()
	update(t, srv, func(s *v1alpha1.TransferServer) { s.Spec.Tags = v1alpha1.Tags{"retry": "now"} })
	waitReady(t, srv)
	g.Expect(serversOwnedBy(string(srv.UID))).To(HaveLen(1))
}

// TestServerFailedTransition checks that a server AWS could not stop (STOP_FAILED) gives Stalled
// with the state in the message, which kstatus reads as Failed.
func TestServerFailedTransition(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := newServer(ns, "fragile", nil)
	create(t, srv)
	waitReady(t, srv)
	g.Expect(emu.FailNextTransition(region, srv.Status.ServerID)).To(Succeed())

	update(t, srv, func(s *v1alpha1.TransferServer) { s.Spec.State = v1alpha1.ServerOffline })
	c := waitCondition(t, srv, v1alpha1.ConditionStalled, v1alpha1.ReasonServerFailed)
	g.Expect(c.Message).To(ContainSubstring("STOP_FAILED"))
	g.Expect(kstatusOf(t, srv)).To(Equal(status.FailedStatus))
}
