package emulator_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// TestDescribeServerReportsDocumentedDefaults checks that a server created with nothing set
// reports what AWS documents for every field left out (sources in rules.go), and nothing for the
// fields AWS leaves empty.
func TestDescribeServerReportsDocumentedDefaults(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	s := describeServer(t, c, createServer(t, c, nil))
	for _, f := range []struct{ field, got, want string }{
		{"Domain", string(s.Domain), "S3"},
		{"EndpointType", string(s.EndpointType), "PUBLIC"},
		{"IdentityProviderType", string(s.IdentityProviderType), "SERVICE_MANAGED"},
		{"IpAddressType", string(s.IpAddressType), "IPV4"},
		{"SecurityPolicyName", aws.ToString(s.SecurityPolicyName), "TransferSecurityPolicy-2024-01"},
		{"ProtocolDetails.PassiveIp", aws.ToString(s.ProtocolDetails.PassiveIp), "AUTO"},
		{"ProtocolDetails.TlsSessionResumptionMode", string(s.ProtocolDetails.TlsSessionResumptionMode), "ENFORCED"},
		{"ProtocolDetails.SetStatOption", string(s.ProtocolDetails.SetStatOption), "DEFAULT"},
		{"S3StorageOptions.DirectoryListingOptimization", string(s.S3StorageOptions.DirectoryListingOptimization), "DISABLED"},
	} {
		if f.got != f.want {
			t.Errorf("%s = %q, want %q", f.field, f.got, f.want)
		}
	}
	if diff := cmp.Diff([]types.Protocol{types.ProtocolSftp}, s.Protocols); diff != "" {
		t.Errorf("Protocols (-want +got):\n%s", diff)
	}
	if s.ProtocolDetails.As2Transports != nil {
		t.Errorf("an SFTP server reports As2Transports %v, want none", s.ProtocolDetails.As2Transports)
	}
	if s.EndpointDetails != nil || s.IdentityProviderDetails != nil || s.WorkflowDetails != nil ||
		s.StructuredLogDestinations != nil || s.Certificate != nil || s.LoggingRole != nil {
		t.Errorf("a default server reports fields nobody set: %+v", s)
	}
}

// TestDescribeServerDefaultsThatDependOnTheServer checks the defaults AWS applies only to some
// servers: the SFTP authentication methods of a custom identity provider and the AS2 transport
// of an AS2 server, whether it is created with AS2 or gains it later.
func TestDescribeServerDefaultsThatDependOnTheServer(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	lambda := describeServer(t, c, createServer(t, c, &transfer.CreateServerInput{
		IdentityProviderType:    types.IdentityProviderTypeAwsLambda,
		IdentityProviderDetails: &types.IdentityProviderDetails{Function: aws.String("arn:aws:lambda:us-east-1:111122223333:function:idp")},
	}))
	if got := lambda.IdentityProviderDetails.SftpAuthenticationMethods; got != types.SftpAuthenticationMethodsPublicKeyOrPassword {
		t.Errorf("AWS_LAMBDA SFTP server SftpAuthenticationMethods = %q, want PUBLIC_KEY_OR_PASSWORD", got)
	}

	http := []types.As2Transport{types.As2TransportHttp}
	in := vpcServer(1)
	in.Protocols = []types.Protocol{types.ProtocolAs2}
	if got := describeServer(t, c, createServer(t, c, in)).ProtocolDetails.As2Transports; !cmp.Equal(got, http) {
		t.Errorf("AS2 server As2Transports = %v, want [HTTP]", got)
	}

	id := createServer(t, c, vpcServer(1))
	_, err := c.UpdateServer(ctxT(t), &transfer.UpdateServerInput{
		ServerId: aws.String(id), Protocols: []types.Protocol{types.ProtocolSftp, types.ProtocolAs2},
	})
	mustNoErr(t, err, "UpdateServer adding AS2")
	if got := describeServer(t, c, id).ProtocolDetails.As2Transports; !cmp.Equal(got, http) {
		t.Errorf("server that gained AS2 As2Transports = %v, want [HTTP]", got)
	}
}

// TestDescribeUserReportsDocumentedDefaults checks that a user reports the type PATH when none
// was given, no home directory when none was set, and the type DIRECTORY for a mapping given
// without a type, by CreateUser and by UpdateUser; a FILE mapping stays FILE.
func TestDescribeUserReportsDocumentedDefaults(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	ctx := ctxT(t)
	serverID := createServer(t, c, nil)
	describe := func(name string) *types.DescribedUser {
		t.Helper()
		out, err := c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: aws.String(serverID), UserName: aws.String(name)})
		mustNoErr(t, err, "DescribeUser "+name)
		return out.User
	}
	mapping := func(entry, target string, typ types.MapType) types.HomeDirectoryMapEntry {
		return types.HomeDirectoryMapEntry{Entry: aws.String(entry), Target: aws.String(target), Type: typ}
	}
	opts := cmpopts.IgnoreUnexported(types.HomeDirectoryMapEntry{})

	createUser(t, c, serverID, "plain")
	if u := describe("plain"); u.HomeDirectoryType != types.HomeDirectoryTypePath || u.HomeDirectory != nil {
		t.Errorf("user created with nothing set: HomeDirectoryType %q, HomeDirectory %v; want PATH and none",
			u.HomeDirectoryType, aws.ToString(u.HomeDirectory))
	}

	_, err := c.CreateUser(ctx, &transfer.CreateUserInput{
		ServerId: aws.String(serverID), UserName: aws.String("logical"), Role: aws.String(testRole),
		HomeDirectoryType: types.HomeDirectoryTypeLogical,
		HomeDirectoryMappings: []types.HomeDirectoryMapEntry{
			mapping("/", "/bucket/home", ""),
			mapping("/report.csv", "/bucket/report.csv", types.MapTypeFile),
		},
	})
	mustNoErr(t, err, "CreateUser")
	want := []types.HomeDirectoryMapEntry{
		mapping("/", "/bucket/home", types.MapTypeDirectory),
		mapping("/report.csv", "/bucket/report.csv", types.MapTypeFile),
	}
	if diff := cmp.Diff(want, describe("logical").HomeDirectoryMappings, opts); diff != "" {
		t.Errorf("mappings after CreateUser (-want +got):\n%s", diff)
	}

	_, err = c.UpdateUser(ctx, &transfer.UpdateUserInput{
		ServerId: aws.String(serverID), UserName: aws.String("logical"),
		HomeDirectoryMappings: []types.HomeDirectoryMapEntry{mapping("/", "/bucket/other", "")},
	})
	mustNoErr(t, err, "UpdateUser")
	want = []types.HomeDirectoryMapEntry{mapping("/", "/bucket/other", types.MapTypeDirectory)}
	if diff := cmp.Diff(want, describe("logical").HomeDirectoryMappings, opts); diff != "" {
		t.Errorf("mappings after UpdateUser (-want +got):\n%s", diff)
	}
}
