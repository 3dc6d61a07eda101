package emulator_test

import (
	"errors"
	"regexp"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

func TestServerLifecycle(t *testing.T) {
	srv := startEmulator(t, emulator.Options{AccountID: "123456789012"})
	c := newClient(srv.URL(), "eu-west-1")
	ctx := ctxT(t)
	hostKey, fingerprint := newHostKey(t)

	id := createServer(t, c, &transfer.CreateServerInput{
		HostKey: aws.String(hostKey),
		Tags:    []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}},
	})
	if !regexp.MustCompile(`^s-[0-9a-f]{17}$`).MatchString(id) {
		t.Fatalf("server ID %q does not match s-[0-9a-f]{17}", id)
	}
	s := describeServer(t, c, id)
	checks := []struct{ field, got, want string }{
		{"Arn", aws.ToString(s.Arn), "arn:aws:transfer:eu-west-1:123456789012:server/" + id},
		{"ServerId", aws.ToString(s.ServerId), id},
		{"State", string(s.State), "ONLINE"},
		{"Domain", string(s.Domain), "S3"},
		{"EndpointType", string(s.EndpointType), "PUBLIC"},
		{"IdentityProviderType", string(s.IdentityProviderType), "SERVICE_MANAGED"},
		{"IpAddressType", string(s.IpAddressType), "IPV4"},
		{"SecurityPolicyName", aws.ToString(s.SecurityPolicyName), "TransferSecurityPolicy-2024-01"},
		{"HostKeyFingerprint", aws.ToString(s.HostKeyFingerprint), fingerprint},
		{"ProtocolDetails.TlsSessionResumptionMode", string(s.ProtocolDetails.TlsSessionResumptionMode), "ENFORCED"},
		{"ProtocolDetails.PassiveIp", aws.ToString(s.ProtocolDetails.PassiveIp), "AUTO"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if !slices.Equal(s.Protocols, []types.Protocol{types.ProtocolSftp}) {
		t.Errorf("Protocols = %v, want [SFTP]", s.Protocols)
	}
	if aws.ToInt32(s.UserCount) != 0 || len(s.Tags) != 1 || aws.ToString(s.Tags[0].Key) != "team" {
		t.Errorf("UserCount = %d, Tags = %v; want 0 and team=data", aws.ToInt32(s.UserCount), s.Tags)
	}
	if s.EndpointDetails != nil || s.IdentityProviderDetails != nil {
		t.Errorf("a PUBLIC SERVICE_MANAGED server returned EndpointDetails %v / IdentityProviderDetails %v", s.EndpointDetails, s.IdentityProviderDetails)
	}

	_, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{
		ServerId:                     aws.String(id),
		LoggingRole:                  aws.String("arn:aws:iam::123456789012:role/logging"),
		PreAuthenticationLoginBanner: aws.String("authorized users only"),
		SecurityPolicyName:           aws.String("TransferSecurityPolicy-2099-01"),
	})
	mustNoErr(t, err, "UpdateServer")
	s = describeServer(t, c, id)
	if aws.ToString(s.LoggingRole) != "arn:aws:iam::123456789012:role/logging" ||
		aws.ToString(s.PreAuthenticationLoginBanner) != "authorized users only" ||
		aws.ToString(s.SecurityPolicyName) != "TransferSecurityPolicy-2099-01" {
		t.Errorf("update not applied: %+v", s)
	}

	_, err = c.StopServer(ctx, &transfer.StopServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "StopServer")
	if st := describeServer(t, c, id).State; st != types.StateOffline {
		t.Errorf("after StopServer state = %s, want OFFLINE", st)
	}
	_, err = c.StartServer(ctx, &transfer.StartServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "StartServer")
	if st := describeServer(t, c, id).State; st != types.StateOnline {
		t.Errorf("after StartServer state = %s, want ONLINE", st)
	}

	list, err := c.ListServers(ctx, &transfer.ListServersInput{})
	mustNoErr(t, err, "ListServers")
	if len(list.Servers) != 1 || aws.ToString(list.Servers[0].ServerId) != id || list.Servers[0].State != types.StateOnline ||
		aws.ToString(list.Servers[0].LoggingRole) == "" || list.NextToken != nil {
		t.Errorf("ListServers = %+v", list)
	}

	_, err = c.DeleteServer(ctx, &transfer.DeleteServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "DeleteServer")
	_, err = c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: aws.String(id)})
	wantAPIError(t, err, "ResourceNotFoundException")
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Resource) != id || aws.ToString(nf.ResourceType) != "Server" {
		t.Errorf("ResourceNotFoundException = %+v, want Resource %s ResourceType Server", nf, id)
	}
	if httpStatus(err) != 400 {
		t.Errorf("HTTP status %d, want 400", httpStatus(err))
	}
	_, err = c.DeleteServer(ctx, &transfer.DeleteServerInput{ServerId: aws.String(id)})
	wantAPIError(t, err, "ResourceNotFoundException")
}

func TestGeneratedHostKeys(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	a := describeServer(t, c, createServer(t, c, nil)).HostKeyFingerprint
	b := describeServer(t, c, createServer(t, c, nil)).HostKeyFingerprint
	re := regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(aws.ToString(a)) || !re.MatchString(aws.ToString(b)) || aws.ToString(a) == aws.ToString(b) {
		t.Errorf("generated fingerprints %q and %q: want two different SHA256:<43 base64> values", aws.ToString(a), aws.ToString(b))
	}
}

func TestUpdateServerHostKey(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	id := createServer(t, c, nil)
	before := aws.ToString(describeServer(t, c, id).HostKeyFingerprint)
	key, fingerprint := newHostKey(t)
	_, err := c.UpdateServer(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), HostKey: aws.String(key)})
	mustNoErr(t, err, "UpdateServer")
	if after := aws.ToString(describeServer(t, c, id).HostKeyFingerprint); after != fingerprint || after == before {
		t.Errorf("fingerprint after update = %q, want %q (was %q)", after, fingerprint, before)
	}
}

func TestWriteOnlyEndpointFields(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	in := vpcServer(2)
	in.EndpointDetails.SecurityGroupIds = []string{"sg-0123456789abcdef0"}
	id := createServer(t, c, in)

	d := describeServer(t, c, id).EndpointDetails
	if d == nil {
		t.Fatal("a VPC server returned no EndpointDetails")
	}
	if len(d.SecurityGroupIds) != 0 {
		t.Errorf("DescribeServer returned SecurityGroupIds %v; AWS never does", d.SecurityGroupIds)
	}
	if !regexp.MustCompile(`^vpce-[0-9a-f]{17}$`).MatchString(aws.ToString(d.VpcEndpointId)) {
		t.Errorf("VpcEndpointId = %q, want the endpoint the service created", aws.ToString(d.VpcEndpointId))
	}
	if aws.ToString(d.VpcId) != "vpc-0123456789abcdef0" || len(d.SubnetIds) != 2 {
		t.Errorf("EndpointDetails = %+v", d)
	}
	snap, _ := srv.Snapshot().Server(testRegion, id)
	if !slices.Equal(snap.EndpointDetails.SecurityGroupIDs, []string{"sg-0123456789abcdef0"}) {
		t.Errorf("stored SecurityGroupIds = %v, want them accepted", snap.EndpointDetails.SecurityGroupIDs)
	}

	// Round-tripping the returned VpcEndpointId in a VPC-to-VPC update is
	// accepted, as terraform does.
	_, err := c.UpdateServer(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{
		VpcEndpointId: d.VpcEndpointId, SubnetIds: d.SubnetIds, AddressAllocationIds: []string{},
	}})
	mustNoErr(t, err, "UpdateServer with the server's own VpcEndpointId")
}

func TestIdentityProviderDetailsInDescribe(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	lambda := createServer(t, c, &transfer.CreateServerInput{
		IdentityProviderType:    types.IdentityProviderTypeAwsLambda,
		IdentityProviderDetails: &types.IdentityProviderDetails{Function: aws.String("arn:aws:lambda:us-east-1:111122223333:function:idp")},
	})
	d := describeServer(t, c, lambda).IdentityProviderDetails
	if d == nil || aws.ToString(d.Function) != "arn:aws:lambda:us-east-1:111122223333:function:idp" ||
		d.SftpAuthenticationMethods != types.SftpAuthenticationMethodsPublicKeyOrPassword {
		t.Errorf("AWS_LAMBDA IdentityProviderDetails = %+v, want Function and the default SftpAuthenticationMethods", d)
	}
	directory := createServer(t, c, &transfer.CreateServerInput{
		IdentityProviderType:    types.IdentityProviderTypeAwsDirectoryService,
		IdentityProviderDetails: &types.IdentityProviderDetails{DirectoryId: aws.String("d-0123456789")},
	})
	if d := describeServer(t, c, directory).IdentityProviderDetails; d != nil {
		t.Errorf("AWS_DIRECTORY_SERVICE server returned IdentityProviderDetails %+v; the API reference says it is not populated", d)
	}
}

func TestUpdateServerIdentityProviderType(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	id := createServer(t, c, &transfer.CreateServerInput{
		IdentityProviderType: types.IdentityProviderTypeApiGateway,
		IdentityProviderDetails: &types.IdentityProviderDetails{
			Url: aws.String("https://idp.example.com"), InvocationRole: aws.String("arn:aws:iam::111122223333:role/invoke"),
		},
	})
	_, err := c.UpdateServer(ctxT(t), &transfer.UpdateServerInput{
		ServerId:                aws.String(id),
		IdentityProviderType:    types.IdentityProviderTypeAwsLambda,
		IdentityProviderDetails: &types.IdentityProviderDetails{Function: aws.String("arn:aws:lambda:us-east-1:111122223333:function:f")},
	})
	mustNoErr(t, err, "UpdateServer to AWS_LAMBDA")
	d := describeServer(t, c, id).IdentityProviderDetails
	if d == nil || d.Url != nil || d.InvocationRole != nil || aws.ToString(d.Function) == "" {
		t.Errorf("after changing the identity provider type the details are %+v, want only Function", d)
	}
}

func TestAS2EgressAddresses(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	in := vpcServer(1)
	in.Protocols = []types.Protocol{types.ProtocolAs2}
	s := describeServer(t, c, createServer(t, c, in))
	if len(s.As2ServiceManagedEgressIpAddresses) == 0 {
		t.Error("an AS2 server has no As2ServiceManagedEgressIpAddresses")
	}
}
