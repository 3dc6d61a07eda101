package transfer

import (
	"bytes"
	"crypto/ed25519"
	"go/token"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/crypto/ssh"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

const (
	testRegion    = "us-east-1"
	testServerID  = "s-0123456789abcdef0"
	testServerARN = "arn:aws:transfer:us-east-1:111122223333:server/s-0123456789abcdef0"
	testUserName  = "alice"
	testUserARN   = "arn:aws:transfer:us-east-1:111122223333:user/s-0123456789abcdef0/alice"
	testRole      = "arn:aws:iam::111122223333:role/transfer-access"
	otherRole     = "arn:aws:iam::111122223333:role/other-access"
	testCert      = "arn:aws:acm:us-east-1:111122223333:certificate/abc"
	testLambda    = "arn:aws:lambda:us-east-1:111122223333:function:auth"
	testLog1      = "arn:aws:logs:us-east-1:111122223333:log-group:one:*"
	testLog2      = "arn:aws:logs:us-east-1:111122223333:log-group:two:*"
	testWorkflow1 = "w-0123456789abcdef0"
	testWorkflow2 = "w-0123456789abcdef1"
	defaultPolicy = "TransferSecurityPolicy-2024-01"
	awsStackTag   = "aws:cloudformation:stack-name"
)

var (
	serverOwnerTags = OwnerTags("TransferServer", "team-a", "sftp", "uid-server")
	userOwnerTags   = OwnerTags("TransferUser", "team-a", "alice", "uid-user")
)

// sdkOpts compares SDK inputs and outputs: exported fields exactly (nil and empty lists differ,
// since [] clears a list in AWS), the SDK's unexported serde markers ignored.
var sdkOpts = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && !token.IsExported(sf.Name())
}, cmp.Ignore())

var equateEmpty = cmpopts.EquateEmpty()

// sshKey returns a deterministic ed25519 authorized_keys line for seed, with comment if not empty.
func sshKey(seed byte, comment string) string {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		panic(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	if comment != "" {
		line += " " + comment
	}
	return line
}

// keyFingerprint returns the SHA256 fingerprint of the key sshKey(seed, ...).
func keyFingerprint(seed byte) string {
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(sshKey(seed, "")))
	if err != nil {
		panic(err)
	}
	return ssh.FingerprintSHA256(pub)
}

func tagList(ms ...map[string]string) []types.Tag {
	return tagsFromMap(mergeTags(ms...))
}

// awsServer is a PUBLIC SFTP server as DescribeServer reports it with AWS's defaults (no
// As2Transports for a server without AS2), the server's bookkeeping tags and a tag AWS set,
// changed by mods.
func awsServer(mods ...func(*types.DescribedServer)) *Server {
	d := types.DescribedServer{
		Arn:                  aws.String(testServerARN),
		ServerId:             aws.String(testServerID),
		State:                types.StateOnline,
		Domain:               types.DomainS3,
		Protocols:            []types.Protocol{types.ProtocolSftp},
		EndpointType:         types.EndpointTypePublic,
		IdentityProviderType: types.IdentityProviderTypeServiceManaged,
		IpAddressType:        types.IpAddressTypeIpv4,
		SecurityPolicyName:   aws.String(defaultPolicy),
		HostKeyFingerprint:   aws.String("SHA256:generatedByAWS"),
		ProtocolDetails: &types.ProtocolDetails{
			PassiveIp:                aws.String("AUTO"),
			TlsSessionResumptionMode: types.TlsSessionResumptionModeEnforced,
			SetStatOption:            types.SetStatOptionDefault,
		},
		S3StorageOptions: &types.S3StorageOptions{DirectoryListingOptimization: types.DirectoryListingOptimizationDisabled},
		UserCount:        aws.Int32(0),
		Tags:             tagList(serverOwnerTags, map[string]string{awsStackTag: "infra"}),
	}
	for _, mod := range mods {
		mod(&d)
	}
	return serverFromDescribed(&d)
}

// vpcEndpoint makes the described server a VPC server in vpc-1 with the given subnets and
// Elastic IPs, as AWS reports it: with the endpoint AWS created and without security groups.
func vpcEndpoint(subnets, eips []string) func(*types.DescribedServer) {
	return func(d *types.DescribedServer) {
		d.EndpointType = types.EndpointTypeVpc
		d.EndpointDetails = &types.EndpointDetails{
			VpcId:                aws.String("vpc-1"),
			SubnetIds:            subnets,
			VpcEndpointId:        aws.String("vpce-0123456789abcdef0"),
			AddressAllocationIds: eips,
		}
	}
}

// vpcSpec is a spec for a VPC server in vpc-1 with the given subnets and Elastic IPs and one
// security group.
func vpcSpec(subnets, eips []string) v1alpha1.TransferServerSpec {
	return v1alpha1.TransferServerSpec{
		EndpointType: "VPC",
		EndpointDetails: &v1alpha1.EndpointDetails{
			VpcID:                "vpc-1",
			SubnetIDs:            subnets,
			SecurityGroupIDs:     []v1alpha1.SecurityGroupID{"sg-0123456789abcdef0"},
			AddressAllocationIDs: eips,
		},
	}
}

func desiredServer(spec v1alpha1.TransferServerSpec) DesiredServer {
	return DesiredServer{Spec: &spec, OwnerTags: serverOwnerTags}
}

// serverUpdate is the UpdateServer request for the test server with the fields set by set.
func serverUpdate(set func(*transfer.UpdateServerInput)) *transfer.UpdateServerInput {
	in := &transfer.UpdateServerInput{ServerId: aws.String(testServerID)}
	if set != nil {
		set(in)
	}
	return in
}

// awsUser is the user alice as DescribeUser reports it: the test role, AWS's default home
// directory type PATH without a home directory, and the user's bookkeeping tags, changed by mods.
func awsUser(mods ...func(*types.DescribedUser)) *User {
	d := types.DescribedUser{
		Arn:               aws.String(testUserARN),
		UserName:          aws.String(testUserName),
		Role:              aws.String(testRole),
		HomeDirectoryType: types.HomeDirectoryTypePath,
		Tags:              tagList(userOwnerTags),
	}
	for _, mod := range mods {
		mod(&d)
	}
	return userFromDescribed(testServerID, &d)
}

// withKeys gives the described user keys with IDs key-0, key-1, ... and the given bodies.
func withKeys(bodies ...string) func(*types.DescribedUser) {
	return func(d *types.DescribedUser) {
		d.SshPublicKeys = nil
		for i, b := range bodies {
			d.SshPublicKeys = append(d.SshPublicKeys, types.SshPublicKey{
				SshPublicKeyId:   aws.String("key-" + strconv.Itoa(i)),
				SshPublicKeyBody: aws.String(b),
			})
		}
	}
}

func desiredUser(spec v1alpha1.TransferUserSpec) DesiredUser {
	if spec.Role == "" {
		spec.Role = testRole
	}
	return DesiredUser{Spec: &spec, ServerID: testServerID, UserName: testUserName, OwnerTags: userOwnerTags}
}

// userUpdate is the UpdateUser request for alice with the fields set by set.
func userUpdate(set func(*transfer.UpdateUserInput)) *transfer.UpdateUserInput {
	in := &transfer.UpdateUserInput{ServerId: aws.String(testServerID), UserName: aws.String(testUserName)}
	if set != nil {
		set(in)
	}
	return in
}

func keys(lines ...string) []v1alpha1.SSHPublicKey {
	out := make([]v1alpha1.SSHPublicKey, 0, len(lines))
	for _, l := range lines {
		out = append(out, v1alpha1.SSHPublicKey(l))
	}
	return out
}
