package v1alpha1_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

// These tests apply objects to a real kube-apiserver with the generated CRDs installed: what the
// schema and its CEL rules refuse never reaches the operator, let alone AWS.

var k8s client.Client

func TestMain(m *testing.M) {
	cp, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	k8s = cp.Client
	code := m.Run()
	if err := cp.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

const (
	namespace = "default"
	role      = "arn:aws:iam::111122223333:role/sftp-access"
	edKey     = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop"
	// dsaKey has the form the model's SshPublicKeyBody pattern allows, but a type AWS refuses.
	dsaKey = "ssh-dss AAAAB3NzaC1kc3MAAACBAP old@host"
)

// tags returns n distinct tags.
func tags(n int) v1alpha1.Tags {
	t := v1alpha1.Tags{}
	for i := range n {
		t[fmt.Sprintf("key-%02d", i)] = "value"
	}
	return t
}

// publicKeyLine returns the authorized_keys line of a new public key of k's type.
func publicKeyLine(t *testing.T, k crypto.PublicKey) v1alpha1.SSHPublicKey {
	t.Helper()
	pub, err := ssh.NewPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return v1alpha1.SSHPublicKey(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " bob@laptop")
}

// unstructuredServer returns a TransferServer named x with the given spec, for specs that Go
// types cannot express, such as an empty list where the field has omitempty.
func unstructuredServer(t *testing.T, spec map[string]any) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("TransferServer"))
	u.SetNamespace(namespace)
	u.SetName("x")
	return u
}

func server(name string, mutate func(*v1alpha1.TransferServerSpec)) *v1alpha1.TransferServer {
	s := &v1alpha1.TransferServer{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	if mutate != nil {
		mutate(&s.Spec)
	}
	return s
}

func user(name string, mutate func(*v1alpha1.TransferUserSpec)) *v1alpha1.TransferUser {
	u := &v1alpha1.TransferUser{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec:       v1alpha1.TransferUserSpec{ServerRef: &v1alpha1.LocalObjectReference{Name: "srv"}, Role: role},
	}
	if mutate != nil {
		mutate(&u.Spec)
	}
	return u
}

func access(name string, mutate func(*v1alpha1.TransferAccessSpec)) *v1alpha1.TransferAccess {
	a := &v1alpha1.TransferAccess{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: v1alpha1.TransferAccessSpec{
			ServerRef: &v1alpha1.LocalObjectReference{Name: "srv"}, ExternalID: "S-1-5-21-1004336348-1177238915-682003330-512", Role: role,
		},
	}
	if mutate != nil {
		mutate(&a.Spec)
	}
	return a
}

func TestValidObjectsAreAccepted(t *testing.T) {
	ctx := context.Background()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var everyCurve []v1alpha1.SSHPublicKey
	for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		everyCurve = append(everyCurve, publicKeyLine(t, mustECDSA(t, curve).Public()))
	}
	bigRSA, err := rsa.GenerateKey(rand.Reader, 4096)
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range []client.Object{
		server("public-sftp", nil),
		server("vpc-eip", func(s *v1alpha1.TransferServerSpec) {
			s.EndpointType = "VPC"
			s.EndpointDetails = &v1alpha1.EndpointDetails{
				VpcID: "vpc-0abc", SubnetIDs: []string{"subnet-1", "subnet-2"},
				SecurityGroupIDs:     []v1alpha1.SecurityGroupID{"sg-0123456789abcdef0"},
				AddressAllocationIDs: []string{"eipalloc-1", "eipalloc-2"},
			}
		}),
		server("ftps-lambda", func(s *v1alpha1.TransferServerSpec) {
			s.Protocols = []v1alpha1.Protocol{"SFTP", "FTPS"}
			s.EndpointType = "VPC"
			s.EndpointDetails = &v1alpha1.EndpointDetails{VpcID: "vpc-0abc", SubnetIDs: []string{"subnet-1"}}
			s.Certificate = "arn:aws:acm:eu-west-1:111122223333:certificate/abc"
			s.IdentityProviderType = "AWS_LAMBDA"
			s.IdentityProviderDetails = &v1alpha1.IdentityProviderDetails{
				Function: "arn:aws:lambda:eu-west-1:111122223333:function:idp", SftpAuthenticationMethods: "PUBLIC_KEY",
			}
			s.SecurityPolicyName = "TransferSecurityPolicy-2099-01"
			s.Tags = v1alpha1.Tags{"team": "a"}
		}),
		user("alice", func(u *v1alpha1.TransferUserSpec) {
			u.HomeDirectoryType = "LOGICAL"
			u.HomeDirectoryMappings = []v1alpha1.HomeDirectoryMapEntry{{Entry: "/", Target: "/bucket/home/${Transfer:UserName}", Type: "DIRECTORY"}}
			u.Policy = `{"Version": "2012-10-17", "Statement": []}`
			u.PosixProfile = &v1alpha1.PosixProfile{UID: 1000, GID: 1000, SecondaryGIDs: []int64{2000}}
			u.SSHPublicKeys = []v1alpha1.SSHPublicKey{edKey}
		}),
		server("most-tags", func(s *v1alpha1.TransferServerSpec) { s.Tags = tags(48) }),
		server("custom-hostname", func(s *v1alpha1.TransferServerSpec) {
			s.CustomHostname = &v1alpha1.CustomHostname{Hostname: "sftp.partners.example.com", Route53HostedZoneID: "/hostedzone/Z0123456789ABCDEFGHIJ"}
		}),
		server("custom-hostname-other-dns", func(s *v1alpha1.TransferServerSpec) {
			s.CustomHostname = &v1alpha1.CustomHostname{Hostname: "files-1.example.org"}
		}),
		user("most-tags", func(u *v1alpha1.TransferUserSpec) { u.Tags = tags(48) }),
		user("logical-landing-directory", func(u *v1alpha1.TransferUserSpec) {
			u.HomeDirectoryType = "LOGICAL"
			u.HomeDirectory = "/projects"
			u.HomeDirectoryMappings = []v1alpha1.HomeDirectoryMapEntry{{Entry: "/projects", Target: "/bucket/projects", Type: "DIRECTORY"}}
		}),
		user("rsa-and-ecdsa-keys", func(u *v1alpha1.TransferUserSpec) {
			u.SSHPublicKeys = []v1alpha1.SSHPublicKey{publicKeyLine(t, rsaKey.Public()), publicKeyLine(t, ecKey.Public())}
		}),
		user("every-key-shape", func(u *v1alpha1.TransferUserSpec) {
			u.SSHPublicKeys = append(everyCurve, publicKeyLine(t, bigRSA.Public()), "  "+edKey+"  ", v1alpha1.SSHPublicKey(strings.TrimSuffix(edKey, " alice@laptop")))
		}),
		access("partners", func(a *v1alpha1.TransferAccessSpec) {
			a.HomeDirectoryType = "LOGICAL"
			a.HomeDirectoryMappings = []v1alpha1.HomeDirectoryMapEntry{{Entry: "/", Target: "/bucket/partners"}}
			a.Policy = `{"Version": "2012-10-17", "Statement": []}`
			a.PosixProfile = &v1alpha1.PosixProfile{UID: 1000, GID: 1000}
		}),
		access("unmanaged-server", func(a *v1alpha1.TransferAccessSpec) {
			a.ServerRef, a.ServerID, a.Region = nil, "s-0123456789abcdef0", "eu-west-1"
		}),
	} {
		if err := k8s.Create(ctx, obj); err != nil {
			t.Errorf("creating %s: %v", obj.GetName(), err)
		}
	}
}

// TestInvalidObjectsAreRefused applies one invalid object a row and expects the API server to
// refuse it with a message that names the problem.
func TestInvalidObjectsAreRefused(t *testing.T) {
	long := strings.Repeat("a", 4097)
	for _, tc := range []struct {
		name string
		obj  client.Object
		want string
	}{
		{"unknown protocol", server("x", func(s *v1alpha1.TransferServerSpec) { s.Protocols = []v1alpha1.Protocol{"SCP"} }), "spec.protocols[0]"},
		{"too many protocols", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.Protocols = []v1alpha1.Protocol{"SFTP", "FTP", "FTPS", "AS2", "SFTP"}
		}), "spec.protocols"},
		{"unknown endpoint type", server("x", func(s *v1alpha1.TransferServerSpec) { s.EndpointType = "INTERNET" }), "spec.endpointType"},
		{"unknown domain", server("x", func(s *v1alpha1.TransferServerSpec) { s.Domain = "FSX" }), "spec.domain"},
		{"unknown state", server("x", func(s *v1alpha1.TransferServerSpec) { s.State = "Paused" }), "spec.state"},
		{"unknown deletion policy", server("x", func(s *v1alpha1.TransferServerSpec) { s.DeletionPolicy = "Orphan" }), "spec.deletionPolicy"},
		{"bad server id", server("x", func(s *v1alpha1.TransferServerSpec) { s.ServerID = "s-123" }), "spec.serverId"},
		{"bad region", server("x", func(s *v1alpha1.TransferServerSpec) { s.Region = "Europe" }), "spec.region"},
		{"bad security policy name", server("x", func(s *v1alpha1.TransferServerSpec) { s.SecurityPolicyName = "MyPolicy" }), "spec.securityPolicyName"},
		{"banner too long", server("x", func(s *v1alpha1.TransferServerSpec) { s.PreAuthenticationLoginBanner = long }), "spec.preAuthenticationLoginBanner"},
		{"banner with a control character", server("x", func(s *v1alpha1.TransferServerSpec) { s.PostAuthenticationLoginBanner = "hi\x00" }), "spec.postAuthenticationLoginBanner"},
		{"bad logging role", server("x", func(s *v1alpha1.TransferServerSpec) { s.LoggingRole = "admin" }), "spec.loggingRole"},
		{"FTPS without certificate", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.Protocols = []v1alpha1.Protocol{"FTPS"}
			s.IdentityProviderType = "AWS_LAMBDA"
			s.IdentityProviderDetails = &v1alpha1.IdentityProviderDetails{Function: "arn:aws:lambda:eu-west-1:1:function:f"}
		}), "certificate is required when protocols include FTPS"},
		{"FTP on a public endpoint", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.Protocols = []v1alpha1.Protocol{"FTP"}
			s.IdentityProviderType = "AWS_LAMBDA"
			s.IdentityProviderDetails = &v1alpha1.IdentityProviderDetails{Function: "arn:aws:lambda:eu-west-1:1:function:f"}
		}), "FTP and FTPS need endpointType VPC"},
		{"FTPS on a VPC_ENDPOINT endpoint", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.Protocols = []v1alpha1.Protocol{"FTPS"}
			s.Certificate = "arn:aws:acm:eu-west-1:1:certificate/c"
			s.EndpointType = "VPC_ENDPOINT"
			s.EndpointDetails = &v1alpha1.EndpointDetails{VpcEndpointID: "vpce-0123456789abcdef0"}
			s.IdentityProviderType = "AWS_LAMBDA"
			s.IdentityProviderDetails = &v1alpha1.IdentityProviderDetails{Function: "arn:aws:lambda:eu-west-1:1:function:f"}
		}), "FTP and FTPS need endpointType VPC"},
		{"FTP with service-managed users", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.Protocols = []v1alpha1.Protocol{"FTP"}
			s.EndpointType = "VPC"
			s.EndpointDetails = &v1alpha1.EndpointDetails{VpcID: "vpc-1"}
		}), "FTP and FTPS need identityProviderType"},
		{"VPC without vpcId", server("x", func(s *v1alpha1.TransferServerSpec) { s.EndpointType = "VPC" }), "endpointType VPC needs endpointDetails.vpcId"},
		{"Elastic IPs on a public endpoint", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.EndpointDetails = &v1alpha1.EndpointDetails{SubnetIDs: []string{"subnet-1"}, AddressAllocationIDs: []string{"eipalloc-1"}}
		}), "can only be used with endpointType VPC"},
		{"Elastic IPs not matching subnets", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.EndpointType = "VPC"
			s.EndpointDetails = &v1alpha1.EndpointDetails{VpcID: "vpc-1", SubnetIDs: []string{"subnet-1"}, AddressAllocationIDs: []string{"eipalloc-1", "eipalloc-2"}}
		}), "one entry for each of endpointDetails.subnetIds"},
		{"bad security group", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.EndpointType = "VPC"
			s.EndpointDetails = &v1alpha1.EndpointDetails{VpcID: "vpc-1", SecurityGroupIDs: []v1alpha1.SecurityGroupID{"default"}}
		}), "spec.endpointDetails.securityGroupIds[0]"},
		{"VPC endpoint ID with endpointType VPC", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.EndpointType = "VPC"
			s.EndpointDetails = &v1alpha1.EndpointDetails{VpcID: "vpc-1", VpcEndpointID: "vpce-0123456789abcdef0"}
		}), "vpcEndpointId is only for endpointType VPC_ENDPOINT"},
		{"VPC without subnets", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.EndpointType = "VPC"
			s.EndpointDetails = &v1alpha1.EndpointDetails{VpcID: "vpc-1"}
		}), "endpointType VPC needs endpointDetails.subnetIds"},
		{"empty subnet list", unstructuredServer(t, map[string]any{
			"endpointType": "VPC", "endpointDetails": map[string]any{"vpcId": "vpc-1", "subnetIds": []any{}},
		}), "spec.endpointDetails.subnetIds: Invalid value"},
		{"VPC ID on a public endpoint", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.EndpointDetails = &v1alpha1.EndpointDetails{VpcID: "vpc-1"}
		}), "endpointDetails.vpcId can only be used with endpointType VPC"},
		{"subnets on a VPC_ENDPOINT endpoint", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.EndpointType = "VPC_ENDPOINT"
			s.EndpointDetails = &v1alpha1.EndpointDetails{VpcEndpointID: "vpce-0123456789abcdef0", SubnetIDs: []string{"subnet-1"}}
		}), "endpointDetails.subnetIds can only be used with endpointType VPC"},
		{"security groups on a public endpoint", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.EndpointType = "PUBLIC"
			s.EndpointDetails = &v1alpha1.EndpointDetails{SecurityGroupIDs: []v1alpha1.SecurityGroupID{"sg-0123456789abcdef0"}}
		}), "endpointDetails.securityGroupIds can only be used with endpointType VPC"},
		{"four Elastic IPs", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.EndpointType = "VPC"
			s.EndpointDetails = &v1alpha1.EndpointDetails{
				VpcID: "vpc-1", SubnetIDs: []string{"subnet-1", "subnet-2", "subnet-3", "subnet-4"},
				AddressAllocationIDs: []string{"eipalloc-1", "eipalloc-2", "eipalloc-3", "eipalloc-4"},
			}
		}), "spec.endpointDetails.addressAllocationIds"},
		{"certificate is not an ACM certificate ARN", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.Certificate = "arn:aws:iam::111122223333:server-certificate/ftps"
		}), "spec.certificate"},
		{"API gateway without url", server("x", func(s *v1alpha1.TransferServerSpec) { s.IdentityProviderType = "API_GATEWAY" }), "needs identityProviderDetails.url"},
		{"directory id for a lambda idp", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.IdentityProviderType = "AWS_LAMBDA"
			s.IdentityProviderDetails = &v1alpha1.IdentityProviderDetails{Function: "arn:aws:lambda:eu-west-1:1:function:f", DirectoryID: "d-0123456789"}
		}), "directoryId is only for identityProviderType AWS_DIRECTORY_SERVICE"},
		{"bad workflow id", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.WorkflowDetails = &v1alpha1.WorkflowDetails{OnUpload: []v1alpha1.WorkflowDetail{{WorkflowID: "w-1", ExecutionRole: role}}}
		}), "spec.workflowDetails.onUpload[0].workflowId"},
		{"passive IP is no IPv4 address", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.ProtocolDetails = &v1alpha1.ProtocolDetails{PassiveIP: "not-an-ip"}
		}), "spec.protocolDetails.passiveIp"},
		{"AS2 transport", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.ProtocolDetails = &v1alpha1.ProtocolDetails{As2Transports: []string{"HTTPS"}}
		}), "spec.protocolDetails.as2Transports[0]"},
		{"reserved tag", server("x", func(s *v1alpha1.TransferServerSpec) { s.Tags = v1alpha1.Tags{"aws:owner": "me"} }), "reserved by AWS"},
		{"other aws:transfer tag", server("x", func(s *v1alpha1.TransferServerSpec) { s.Tags = v1alpha1.Tags{"aws:transfer:other": "v"} }), "reserved by AWS"},
		{"custom hostname tag in tags", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.Tags = v1alpha1.Tags{"aws:transfer:customHostname": "sftp.example.com"}
		}), "set a server's custom hostname with spec.customHostname"},
		{"hostname with an underscore", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.CustomHostname = &v1alpha1.CustomHostname{Hostname: "sftp_1.example.com"}
		}), "spec.customHostname.hostname"},
		{"hostname with a trailing dot", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.CustomHostname = &v1alpha1.CustomHostname{Hostname: "sftp.example.com."}
		}), "spec.customHostname.hostname"},
		{"hostname label over 63 characters", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.CustomHostname = &v1alpha1.CustomHostname{Hostname: strings.Repeat("a", 64) + ".example.com"}
		}), "spec.customHostname.hostname"},
		{"custom hostname without hostname", unstructuredServer(t, map[string]any{
			"customHostname": map[string]any{"route53HostedZoneId": "/hostedzone/Z1"},
		}), "spec.customHostname.hostname: Required value"},
		{"hosted zone ID without /hostedzone/", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.CustomHostname = &v1alpha1.CustomHostname{Hostname: "sftp.example.com", Route53HostedZoneID: "Z0123456789ABCDEFGHIJ"}
		}), "spec.customHostname.route53HostedZoneId"},
		{"bookkeeping tag", server("x", func(s *v1alpha1.TransferServerSpec) {
			s.Tags = v1alpha1.Tags{"transfer.operators.dev/owner-uid": "x"}
		}), "reserved for the operator"},
		{"49 tags on a server", server("x", func(s *v1alpha1.TransferServerSpec) { s.Tags = tags(49) }), "spec.tags: Too many: 49: must have at most 48"},
		{"49 tags on a user", user("bob", func(u *v1alpha1.TransferUserSpec) { u.Tags = tags(49) }), "spec.tags: Too many: 49: must have at most 48"},
		{"both serverRef and serverId", user("bob", func(u *v1alpha1.TransferUserSpec) { u.ServerID = "s-0123456789abcdef0" }), "set exactly one of serverRef"},
		{"neither serverRef nor serverId", user("bob", func(u *v1alpha1.TransferUserSpec) { u.ServerRef = nil }), "set exactly one of serverRef"},
		{"bad user name", user("bob", func(u *v1alpha1.TransferUserSpec) { u.UserName = "-bob" }), "spec.userName"},
		{"metadata.name is no user name", user("b", nil), "set spec.userName"},
		{"role is not a role ARN", user("bob", func(u *v1alpha1.TransferUserSpec) { u.Role = "arn:aws:iam::111122223333:user/bob" }), "spec.role"},
		{"home directory type", user("bob", func(u *v1alpha1.TransferUserSpec) { u.HomeDirectoryType = "VIRTUAL" }), "spec.homeDirectoryType"},
		{"relative home directory", user("bob", func(u *v1alpha1.TransferUserSpec) { u.HomeDirectory = "bucket/home" }), "spec.homeDirectory"},
		{"mappings with PATH", user("bob", func(u *v1alpha1.TransferUserSpec) {
			u.HomeDirectoryType = "PATH"
			u.HomeDirectoryMappings = []v1alpha1.HomeDirectoryMapEntry{{Entry: "/", Target: "/bucket"}}
		}), "homeDirectoryMappings need homeDirectoryType LOGICAL"},
		{"relative mapping target", user("bob", func(u *v1alpha1.TransferUserSpec) {
			u.HomeDirectoryType = "LOGICAL"
			u.HomeDirectoryMappings = []v1alpha1.HomeDirectoryMapEntry{{Entry: "/", Target: "bucket"}}
		}), "spec.homeDirectoryMappings[0].target"},
		{"mapping type", user("bob", func(u *v1alpha1.TransferUserSpec) {
			u.HomeDirectoryType = "LOGICAL"
			u.HomeDirectoryMappings = []v1alpha1.HomeDirectoryMapEntry{{Entry: "/", Target: "/b", Type: "LINK"}}
		}), "spec.homeDirectoryMappings[0].type"},
		{"policy is not JSON", user("bob", func(u *v1alpha1.TransferUserSpec) { u.Policy = "allow everything" }), "spec.policy"},
		{"too many secondary gids", user("bob", func(u *v1alpha1.TransferUserSpec) {
			u.PosixProfile = &v1alpha1.PosixProfile{UID: 1, GID: 1, SecondaryGIDs: make([]int64, 17)}
		}), "spec.posixProfile.secondaryGids"},
		{"uid out of range", user("bob", func(u *v1alpha1.TransferUserSpec) { u.PosixProfile = &v1alpha1.PosixProfile{UID: 1 << 32, GID: 1} }), "spec.posixProfile.uid"},
		{"malformed ssh key", user("bob", func(u *v1alpha1.TransferUserSpec) { u.SSHPublicKeys = []v1alpha1.SSHPublicKey{"not a key"} }), "spec.sshPublicKeys[0]"},
		{"DSA ssh key", user("bob", func(u *v1alpha1.TransferUserSpec) {
			u.SSHPublicKeys = []v1alpha1.SSHPublicKey{edKey, dsaKey}
		}), `spec.sshPublicKeys[1]: Invalid value: "` + dsaKey + `": AWS accepts only ssh-rsa, ssh-ed25519`},
		{"LOGICAL without mappings", user("bob", func(u *v1alpha1.TransferUserSpec) { u.HomeDirectoryType = "LOGICAL" }),
			"homeDirectoryType LOGICAL needs homeDirectoryMappings"},
		{"access: external ID is not a SID", access("grp", func(a *v1alpha1.TransferAccessSpec) { a.ExternalID = "partners" }), "spec.externalId"},
		{"access: no external ID", access("grp", func(a *v1alpha1.TransferAccessSpec) { a.ExternalID = "" }), "spec.externalId"},
		{"access: both server fields", access("grp", func(a *v1alpha1.TransferAccessSpec) { a.ServerID = "s-0123456789abcdef0" }),
			"set exactly one of serverRef"},
		{"access: mappings without LOGICAL", access("grp", func(a *v1alpha1.TransferAccessSpec) {
			a.HomeDirectoryMappings = []v1alpha1.HomeDirectoryMapEntry{{Entry: "/", Target: "/bucket"}}
		}), "homeDirectoryMappings need homeDirectoryType LOGICAL"},
		{"access: LOGICAL without mappings", access("grp", func(a *v1alpha1.TransferAccessSpec) { a.HomeDirectoryType = "LOGICAL" }),
			"homeDirectoryType LOGICAL needs homeDirectoryMappings"},
		{"access: bad role", access("grp", func(a *v1alpha1.TransferAccessSpec) { a.Role = "admin" }),
			"spec.role: Invalid value: \"admin\": must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"},
		{"short role", user("bob", func(u *v1alpha1.TransferUserSpec) { u.Role = "arn:x:role/a" }), "must be an IAM role ARN"},
		{"server ID", user("bob", func(u *v1alpha1.TransferUserSpec) { u.ServerRef, u.ServerID = nil, "s-123" }),
			"must be a server ID: s- and 17 lowercase hex digits"},
		{"empty serverRef name", user("bob", func(u *v1alpha1.TransferUserSpec) { u.ServerRef.Name = "" }),
			"spec.serverRef.name: Invalid value: \"\": must name an object in the same namespace"},
		{"ed25519 key cut short", user("bob", func(u *v1alpha1.TransferUserSpec) {
			u.SSHPublicKeys = []v1alpha1.SSHPublicKey{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9 alice@laptop"}
		}), "an ssh-ed25519 key's body is 68 characters"},
		{"ed25519 key cut mid-base64", user("bob", func(u *v1alpha1.TransferUserSpec) {
			u.SSHPublicKeys = []v1alpha1.SSHPublicKey{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJ"}
		}), "this one is cut short, damaged or more than one line"},
		{"ecdsa key of another curve's length", user("bob", func(u *v1alpha1.TransferUserSpec) {
			k := string(publicKeyLine(t, mustECDSA(t, elliptic.P256()).Public()))
			u.SSHPublicKeys = []v1alpha1.SSHPublicKey{v1alpha1.SSHPublicKey(strings.Replace(k, "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", 1))}
		}), "an ECDSA key's body has the length of its curve"},
		{"rsa key cut short", user("bob", func(u *v1alpha1.TransferUserSpec) {
			u.SSHPublicKeys = []v1alpha1.SSHPublicKey{"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob@laptop"}
		}), "an ssh-rsa key's body starts AAAAB3NzaC1yc2E and is at least 372 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := k8s.Create(context.Background(), tc.obj)
			if err == nil {
				_ = k8s.Delete(context.Background(), tc.obj)
				t.Fatalf("the API server accepted it; want a refusal naming %q", tc.want)
			}
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an Invalid error naming %q", err, tc.want)
			}
		})
	}
}

// TestImmutableFields changes fields that AWS cannot change on an existing resource, and expects
// each change to be refused with a message saying so.
func TestImmutableFields(t *testing.T) {
	ctx := context.Background()
	srv := server("immutable", func(s *v1alpha1.TransferServerSpec) { s.Domain = "S3"; s.ServerID = "s-0123456789abcdef0" })
	usr := user("immutable", func(u *v1alpha1.TransferUserSpec) { u.UserName = "carol" })
	acc := access("immutable", nil)
	vpc := server("immutable-vpc", func(s *v1alpha1.TransferServerSpec) {
		s.EndpointType = "VPC"
		s.EndpointDetails = &v1alpha1.EndpointDetails{VpcID: "vpc-0abc", SubnetIDs: []string{"subnet-1"}}
	})
	for _, obj := range []client.Object{srv, usr, vpc, acc} {
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("creating %s: %v", obj.GetName(), err)
		}
	}
	for _, tc := range []struct {
		name   string
		obj    client.Object
		mutate func()
		want   string
	}{
		{"domain changed", srv, func() { srv.Spec.Domain = "EFS" }, "domain is immutable"},
		{"domain removed", srv, func() { srv.Spec.Domain = "" }, "domain is immutable"},
		{"serverId changed", srv, func() { srv.Spec.ServerID = "s-0123456789abcdef1" }, "serverId can only be set when the TransferServer is created"},
		{"region added", srv, func() { srv.Spec.Region = "eu-west-1" }, "region is immutable"},
		{"userName changed", usr, func() { usr.Spec.UserName = "dave" }, "userName is immutable"},
		{"serverRef changed", usr, func() { usr.Spec.ServerRef.Name = "other" }, "serverRef is immutable"},
		{"vpcId changed", vpc, func() { vpc.Spec.EndpointDetails.VpcID = "vpc-0def" }, "endpointDetails.vpcId cannot change"},
		{"access externalId changed", acc, func() { acc.Spec.ExternalID = "S-1-5-21-1" }, "externalId is immutable"},
		{"access serverRef changed", acc, func() { acc.Spec.ServerRef.Name = "other" }, "serverRef is immutable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(tc.obj), tc.obj); err != nil {
				t.Fatal(err)
			}
			tc.mutate()
			err := k8s.Update(ctx, tc.obj)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want a refusal saying %q", err, tc.want)
			}
		})
	}
}

// TestVpcIDTransitions checks the changes of endpointDetails.vpcId that AWS allows: it is set
// together with the switch to endpointType VPC, and removed with the switch away from it.
// (terraform-provider-aws aws_transfer_server forces a new server only when a set vpc_id
// changes: "InvalidRequestException: Changing VpcId is not supported".)
func TestVpcIDTransitions(t *testing.T) {
	ctx := context.Background()
	srv := server("vpc-transitions", nil)
	if err := k8s.Create(ctx, srv); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name   string
		mutate func(*v1alpha1.TransferServerSpec)
	}{
		{"PUBLIC to VPC with a vpcId", func(s *v1alpha1.TransferServerSpec) {
			s.EndpointType = "VPC"
			s.EndpointDetails = &v1alpha1.EndpointDetails{VpcID: "vpc-0abc", SubnetIDs: []string{"subnet-1"}}
		}},
		{"VPC to PUBLIC without it", func(s *v1alpha1.TransferServerSpec) {
			s.EndpointType = "PUBLIC"
			s.EndpointDetails = nil
		}},
	} {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(srv), srv); err != nil {
			t.Fatal(err)
		}
		step.mutate(&srv.Spec)
		if err := k8s.Update(ctx, srv); err != nil {
			t.Errorf("%s: %v", step.name, err)
		}
	}
}

// mustECDSA returns a new ECDSA key on curve.
func mustECDSA(t *testing.T, curve elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
