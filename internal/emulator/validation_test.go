package emulator_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"golang.org/x/crypto/ssh"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// validationFixture is what the validation rows act on.
type validationFixture struct {
	server       string // SERVICE_MANAGED, PUBLIC, SFTP
	lambdaServer string // AWS_LAMBDA
}

type validationRow struct {
	name      string
	call      func(context.Context, *transfer.Client, validationFixture) error
	code      string
	fragments []string
}

func createServerCall(in *transfer.CreateServerInput) func(context.Context, *transfer.Client, validationFixture) error {
	return func(ctx context.Context, c *transfer.Client, _ validationFixture) error {
		_, err := c.CreateServer(ctx, in)
		return err
	}
}

func createUserCall(mod func(*transfer.CreateUserInput)) func(context.Context, *transfer.Client, validationFixture) error {
	return func(ctx context.Context, c *transfer.Client, f validationFixture) error {
		in := &transfer.CreateUserInput{ServerId: aws.String(f.server), UserName: aws.String("alice"), Role: aws.String(testRole)}
		mod(in)
		_, err := c.CreateUser(ctx, in)
		return err
	}
}

func lambdaVPC(mod func(*transfer.CreateServerInput)) *transfer.CreateServerInput {
	in := vpcServer(1)
	in.IdentityProviderType = types.IdentityProviderTypeAwsLambda
	in.IdentityProviderDetails = &types.IdentityProviderDetails{Function: aws.String("arn:aws:lambda:us-east-1:111122223333:function:idp")}
	mod(in)
	return in
}

func rsaPEM(t *testing.T, bits int) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	mustNoErr(t, err, "rsa key")
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// TestModelValidation drives each constraint of the service model through
// the SDK: the service answers InvalidRequestException and names the member.
func TestModelValidation(t *testing.T) {
	longKey := strings.Repeat("k", 129)
	tags51 := make([]types.Tag, 51)
	for i := range tags51 {
		tags51[i] = types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")}
	}
	rows := []validationRow{
		{"UserName shorter than 3", createUserCall(func(in *transfer.CreateUserInput) { in.UserName = aws.String("ab") }),
			"InvalidRequestException", []string{"'userName'", "length greater than or equal to 3"}},
		{"UserName starting with a hyphen", createUserCall(func(in *transfer.CreateUserInput) { in.UserName = aws.String("-alice") }),
			"InvalidRequestException", []string{"'userName'", "regular expression pattern"}},
		{"UserName longer than 100", createUserCall(func(in *transfer.CreateUserInput) { in.UserName = aws.String(strings.Repeat("a", 101)) }),
			"InvalidRequestException", []string{"'userName'", "length less than or equal to 100"}},
		{"ServerId pattern", func(ctx context.Context, c *transfer.Client, _ validationFixture) error {
			_, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: aws.String("s-0123456789abcdefg")})
			return err
		}, "InvalidRequestException", []string{"'serverId'", "pattern"}},
		{"Role pattern", createUserCall(func(in *transfer.CreateUserInput) { in.Role = aws.String("arn:aws:iam::111122223333:user/bob") }),
			"InvalidRequestException", []string{"'role'"}},
		{"HomeDirectory must be absolute", createUserCall(func(in *transfer.CreateUserInput) { in.HomeDirectory = aws.String("bucket/home") }),
			"InvalidRequestException", []string{"'homeDirectory'"}},
		{"mapping Entry pattern in a list of structures", createUserCall(func(in *transfer.CreateUserInput) {
			in.HomeDirectoryType = types.HomeDirectoryTypeLogical
			in.HomeDirectoryMappings = []types.HomeDirectoryMapEntry{{Entry: aws.String("relative"), Target: aws.String("/b/x")}}
		}), "InvalidRequestException", []string{"'homeDirectoryMappings.1.member.entry'"}},
		{"HomeDirectoryType enum", createUserCall(func(in *transfer.CreateUserInput) { in.HomeDirectoryType = "CHROOT" }),
			"InvalidRequestException", []string{"'homeDirectoryType'", "enum value set: [PATH, LOGICAL]"}},
		{"SecondaryGids at most 16", createUserCall(func(in *transfer.CreateUserInput) {
			in.PosixProfile = &types.PosixProfile{Uid: aws.Int64(1), Gid: aws.Int64(1), SecondaryGids: make([]int64, 17)}
		}), "InvalidRequestException", []string{"'posixProfile.secondaryGids'", "length less than or equal to 16"}},
		{"Uid at most 4294967295", createUserCall(func(in *transfer.CreateUserInput) {
			in.PosixProfile = &types.PosixProfile{Uid: aws.Int64(4294967296), Gid: aws.Int64(1)}
		}), "InvalidRequestException", []string{"'posixProfile.uid'", "value less than or equal to 4294967295"}},
		{"SshPublicKeyBody pattern", createUserCall(func(in *transfer.CreateUserInput) { in.SshPublicKeyBody = aws.String("not a key") }),
			"InvalidRequestException", []string{"'sshPublicKeyBody'"}},
		{"Protocols enum", createServerCall(&transfer.CreateServerInput{Protocols: []types.Protocol{"SCP"}}),
			"InvalidRequestException", []string{"'protocols.1.member'", "enum value set"}},
		{"Protocols at most 4", createServerCall(&transfer.CreateServerInput{Protocols: []types.Protocol{"SFTP", "SFTP", "SFTP", "SFTP", "SFTP"}}),
			"InvalidRequestException", []string{"'protocols'", "length less than or equal to 4"}},
		{"Tags at most 50", createServerCall(&transfer.CreateServerInput{Tags: tags51}),
			"InvalidRequestException", []string{"'tags'", "length less than or equal to 50"}},
		{"tag key at most 128", createServerCall(&transfer.CreateServerInput{Tags: []types.Tag{{Key: aws.String(longKey), Value: aws.String("v")}}}),
			"InvalidRequestException", []string{"'tags.1.member.key'", "128"}},
		{"SecurityPolicyName pattern", createServerCall(&transfer.CreateServerInput{SecurityPolicyName: aws.String("MyPolicy")}),
			"InvalidRequestException", []string{"'securityPolicyName'"}},
		{"banner pattern", createServerCall(&transfer.CreateServerInput{PreAuthenticationLoginBanner: aws.String("caf\u00e9")}),
			"InvalidRequestException", []string{"'preAuthenticationLoginBanner'"}},
		{"LoggingRole pattern", createServerCall(&transfer.CreateServerInput{LoggingRole: aws.String("logging")}),
			"InvalidRequestException", []string{"'loggingRole'"}},
		{"Certificate at most 1600", createServerCall(&transfer.CreateServerInput{Certificate: aws.String(strings.Repeat("c", 1601))}),
			"InvalidRequestException", []string{"'certificate'"}},
		{"SecurityGroupId pattern in a list", createServerCall(&transfer.CreateServerInput{
			EndpointType:    types.EndpointTypeVpc,
			EndpointDetails: &types.EndpointDetails{VpcId: aws.String("vpc-1"), SubnetIds: []string{"subnet-1"}, SecurityGroupIds: []string{"sg-nothex!"}},
		}), "InvalidRequestException", []string{"'endpointDetails.securityGroupIds.1.member'"}},
		{"VpcEndpointId pattern", createServerCall(&transfer.CreateServerInput{
			EndpointType: types.EndpointTypeVpcEndpoint, EndpointDetails: &types.EndpointDetails{VpcEndpointId: aws.String("vpce-1")},
		}), "InvalidRequestException", []string{"'endpointDetails.vpcEndpointId'"}},
		{"WorkflowId pattern in nested structure list", createServerCall(&transfer.CreateServerInput{WorkflowDetails: &types.WorkflowDetails{
			OnUpload: []types.WorkflowDetail{{WorkflowId: aws.String("w-bad"), ExecutionRole: aws.String(testRole)}},
		}}), "InvalidRequestException", []string{"'workflowDetails.onUpload.1.member.workflowId'"}},
		{"DirectoryId pattern", createServerCall(&transfer.CreateServerInput{
			IdentityProviderType:    types.IdentityProviderTypeAwsDirectoryService,
			IdentityProviderDetails: &types.IdentityProviderDetails{DirectoryId: aws.String("d-1")},
		}), "InvalidRequestException", []string{"'identityProviderDetails.directoryId'"}},
		{"MaxResults at least 1", func(ctx context.Context, c *transfer.Client, _ validationFixture) error {
			_, err := c.ListServers(ctx, &transfer.ListServersInput{MaxResults: aws.Int32(0)})
			return err
		}, "InvalidRequestException", []string{"'maxResults'", "value greater than or equal to 1"}},
		{"MaxResults at most 1000", func(ctx context.Context, c *transfer.Client, f validationFixture) error {
			_, err := c.ListUsers(ctx, &transfer.ListUsersInput{ServerId: aws.String(f.server), MaxResults: aws.Int32(1001)})
			return err
		}, "InvalidRequestException", []string{"'maxResults'", "1000"}},
		{"NextToken at least 1 character", func(ctx context.Context, c *transfer.Client, _ validationFixture) error {
			_, err := c.ListServers(ctx, &transfer.ListServersInput{NextToken: aws.String("")})
			return err
		}, "InvalidRequestException", []string{"'nextToken'"}},
		{"TagKeys at least 1", func(ctx context.Context, c *transfer.Client, f validationFixture) error {
			_, err := c.UntagResource(ctx, &transfer.UntagResourceInput{Arn: aws.String("arn:aws:transfer:us-east-1:111122223333:server/" + f.server), TagKeys: []string{}})
			return err
		}, "InvalidRequestException", []string{"'tagKeys'", "greater than or equal to 1"}},
		{"several violations are reported together", createUserCall(func(in *transfer.CreateUserInput) {
			in.UserName = aws.String("ab")
			in.HomeDirectory = aws.String("relative")
		}), "InvalidRequestException", []string{"3 validation errors detected", "'userName'", "'homeDirectory'"}},
	}
	runValidationRows(t, rows)
}

// TestCrossFieldRules drives the rules of the API reference that span
// members; each row names the member the message must mention.
func TestCrossFieldRules(t *testing.T) {
	rows := []validationRow{
		{"FTPS needs a Certificate", createServerCall(lambdaVPC(func(in *transfer.CreateServerInput) {
			in.Protocols = []types.Protocol{types.ProtocolFtps}
		})), "InvalidRequestException", []string{"Certificate", "FTPS"}},
		{"FTP needs EndpointType VPC", createServerCall(&transfer.CreateServerInput{
			Protocols:               []types.Protocol{types.ProtocolFtp},
			IdentityProviderType:    types.IdentityProviderTypeAwsLambda,
			IdentityProviderDetails: &types.IdentityProviderDetails{Function: aws.String("arn:aws:lambda:us-east-1:111122223333:function:idp")},
		}), "InvalidRequestException", []string{"FTP", "EndpointType"}},
		{"FTPS needs a custom identity provider", createServerCall(func() *transfer.CreateServerInput {
			in := vpcServer(1)
			in.Protocols = []types.Protocol{types.ProtocolFtps}
			in.Certificate = aws.String("arn:aws:acm:us-east-1:111122223333:certificate/abc")
			return in
		}()), "InvalidRequestException", []string{"IdentityProviderType", "SERVICE_MANAGED"}},
		{"AS2 needs EndpointType VPC", createServerCall(&transfer.CreateServerInput{Protocols: []types.Protocol{types.ProtocolAs2}}),
			"InvalidRequestException", []string{"AS2", "EndpointType"}},
		{"AS2 needs Domain S3", createServerCall(func() *transfer.CreateServerInput {
			in := vpcServer(1)
			in.Protocols = []types.Protocol{types.ProtocolAs2}
			in.Domain = types.DomainEfs
			return in
		}()), "InvalidRequestException", []string{"AS2", "Domain"}},
		{"VPC needs VpcId", createServerCall(&transfer.CreateServerInput{
			EndpointType: types.EndpointTypeVpc, EndpointDetails: &types.EndpointDetails{SubnetIds: []string{"subnet-1"}},
		}), "InvalidRequestException", []string{"VpcId"}},
		{"VPC needs SubnetIds", createServerCall(&transfer.CreateServerInput{
			EndpointType: types.EndpointTypeVpc, EndpointDetails: &types.EndpointDetails{VpcId: aws.String("vpc-1")},
		}), "InvalidRequestException", []string{"SubnetIds"}},
		{"VPC_ENDPOINT needs VpcEndpointId", createServerCall(&transfer.CreateServerInput{EndpointType: types.EndpointTypeVpcEndpoint}),
			"InvalidRequestException", []string{"VpcEndpointId"}},
		{"PUBLIC takes no SubnetIds", createServerCall(&transfer.CreateServerInput{EndpointDetails: &types.EndpointDetails{SubnetIds: []string{"subnet-1"}}}),
			"InvalidRequestException", []string{"SubnetIds", "VPC"}},
		{"PUBLIC takes no VpcEndpointId", createServerCall(&transfer.CreateServerInput{
			EndpointDetails: &types.EndpointDetails{VpcEndpointId: aws.String("vpce-0123456789abcdef0")},
		}), "InvalidRequestException", []string{"VpcEndpointId"}},
		{"VPC takes no VpcEndpointId", createServerCall(func() *transfer.CreateServerInput {
			in := vpcServer(1)
			in.EndpointDetails.VpcEndpointId = aws.String("vpce-0123456789abcdef0")
			return in
		}()), "InvalidRequestException", []string{"VpcEndpointId", "VPC"}},
		{"VPC_ENDPOINT takes no SecurityGroupIds", createServerCall(&transfer.CreateServerInput{
			EndpointType: types.EndpointTypeVpcEndpoint,
			EndpointDetails: &types.EndpointDetails{
				VpcEndpointId: aws.String("vpce-0123456789abcdef0"), SecurityGroupIds: []string{"sg-0123456789abcdef0"},
			},
		}), "InvalidRequestException", []string{"SecurityGroupIds"}},
		{"CreateServer takes no AddressAllocationIds", createServerCall(func() *transfer.CreateServerInput {
			in := vpcServer(1)
			in.EndpointDetails.AddressAllocationIds = []string{"eipalloc-1"}
			return in
		}()), "InvalidRequestException", []string{"AddressAllocationIds", "CreateServer"}},
		{"API_GATEWAY needs InvocationRole", createServerCall(&transfer.CreateServerInput{
			IdentityProviderType:    types.IdentityProviderTypeApiGateway,
			IdentityProviderDetails: &types.IdentityProviderDetails{Url: aws.String("https://idp.example.com")},
		}), "InvalidRequestException", []string{"InvocationRole", "API_GATEWAY"}},
		{"API_GATEWAY needs Url", createServerCall(&transfer.CreateServerInput{
			IdentityProviderType:    types.IdentityProviderTypeApiGateway,
			IdentityProviderDetails: &types.IdentityProviderDetails{InvocationRole: aws.String(testRole)},
		}), "InvalidRequestException", []string{"Url"}},
		{"AWS_DIRECTORY_SERVICE needs DirectoryId", createServerCall(&transfer.CreateServerInput{IdentityProviderType: types.IdentityProviderTypeAwsDirectoryService}),
			"InvalidRequestException", []string{"DirectoryId"}},
		{"AWS_LAMBDA needs Function", createServerCall(&transfer.CreateServerInput{IdentityProviderType: types.IdentityProviderTypeAwsLambda}),
			"InvalidRequestException", []string{"Function"}},
		{"SERVICE_MANAGED takes no IdentityProviderDetails", createServerCall(&transfer.CreateServerInput{
			IdentityProviderDetails: &types.IdentityProviderDetails{Url: aws.String("https://idp.example.com")},
		}), "InvalidRequestException", []string{"IdentityProviderDetails.Url", "SERVICE_MANAGED"}},
		{"AWS_LAMBDA takes no DirectoryId", createServerCall(lambdaVPC(func(in *transfer.CreateServerInput) {
			in.IdentityProviderDetails.DirectoryId = aws.String("d-0123456789")
		})), "InvalidRequestException", []string{"DirectoryId", "AWS_LAMBDA"}},
		{"InvocationRole is for API_GATEWAY only", createServerCall(lambdaVPC(func(in *transfer.CreateServerInput) {
			in.IdentityProviderDetails.InvocationRole = aws.String(testRole)
		})), "InvalidRequestException", []string{"InvocationRole"}},
		{"SftpAuthenticationMethods is for custom identity providers", createServerCall(&transfer.CreateServerInput{
			IdentityProviderType:    types.IdentityProviderTypeAwsDirectoryService,
			IdentityProviderDetails: &types.IdentityProviderDetails{DirectoryId: aws.String("d-0123456789"), SftpAuthenticationMethods: types.SftpAuthenticationMethodsPassword},
		}), "InvalidRequestException", []string{"SftpAuthenticationMethods"}},
		{"SftpAuthenticationMethods is for SFTP servers", createServerCall(lambdaVPC(func(in *transfer.CreateServerInput) {
			in.Protocols = []types.Protocol{types.ProtocolFtp}
			in.IdentityProviderDetails.SftpAuthenticationMethods = types.SftpAuthenticationMethodsPassword
		})), "InvalidRequestException", []string{"SftpAuthenticationMethods", "SFTP"}},
		{"PassiveIp is an IPv4 address", createServerCall(lambdaVPC(func(in *transfer.CreateServerInput) {
			in.Protocols = []types.Protocol{types.ProtocolFtp}
			in.ProtocolDetails = &types.ProtocolDetails{PassiveIp: aws.String("nat-gw")}
		})), "InvalidRequestException", []string{"PassiveIp"}},
		{"HostKey must parse", createServerCall(&transfer.CreateServerInput{HostKey: aws.String("-----BEGIN OPENSSH PRIVATE KEY-----\nnope\n-----END OPENSSH PRIVATE KEY-----\n")}),
			"InvalidRequestException", []string{"HostKey"}},
		{"HostKey RSA at least 2048 bits", createServerCall(&transfer.CreateServerInput{HostKey: aws.String(rsaPEM(t, 1024))}),
			"InvalidRequestException", []string{"HostKey", "2048"}},
		{"users only on SERVICE_MANAGED servers", func(ctx context.Context, c *transfer.Client, f validationFixture) error {
			_, err := c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: aws.String(f.lambdaServer), UserName: aws.String("alice"), Role: aws.String(testRole)})
			return err
		}, "InvalidRequestException", []string{"IdentityProviderType", "SERVICE_MANAGED"}},
		{"no user listing on custom identity providers", func(ctx context.Context, c *transfer.Client, f validationFixture) error {
			_, err := c.ListUsers(ctx, &transfer.ListUsersInput{ServerId: aws.String(f.lambdaServer)})
			return err
		}, "InvalidRequestException", []string{"Cannot list users", "AWS_LAMBDA"}},
		{"HomeDirectoryMappings only with LOGICAL", createUserCall(func(in *transfer.CreateUserInput) {
			in.HomeDirectoryMappings = []types.HomeDirectoryMapEntry{{Entry: aws.String("/"), Target: aws.String("/bucket/alice")}}
		}), "InvalidRequestException", []string{"HomeDirectoryMappings", "LOGICAL"}},
		{"LOGICAL needs HomeDirectoryMappings", createUserCall(func(in *transfer.CreateUserInput) { in.HomeDirectoryType = types.HomeDirectoryTypeLogical }),
			"InvalidRequestException", []string{"HomeDirectoryMappings", "LOGICAL"}},
		{"Policy is a JSON document", createUserCall(func(in *transfer.CreateUserInput) { in.Policy = aws.String("{not json") }),
			"InvalidRequestException", []string{"Policy"}},
		{"SshPublicKeyBody must parse", createUserCall(func(in *transfer.CreateUserInput) {
			in.SshPublicKeyBody = aws.String("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBroken")
		}), "InvalidRequestException", []string{"SshPublicKeyBody"}},
		{"DSA user keys are refused", createUserCall(func(in *transfer.CreateUserInput) {
			in.SshPublicKeyBody = aws.String(dsaPublicKey())
		}), "InvalidRequestException", []string{"SshPublicKeyBody", "ssh-dss"}},
		{"RSA user keys of less than 2048 bits are refused", createUserCall(func(in *transfer.CreateUserInput) {
			in.SshPublicKeyBody = aws.String(rsaPublicKey(1024))
		}), "InvalidRequestException", []string{"SshPublicKeyBody", "1024-bit RSA"}},
		{"aws: tag prefix is reserved", createServerCall(&transfer.CreateServerInput{Tags: []types.Tag{{Key: aws.String("aws:owner"), Value: aws.String("me")}}}),
			"InvalidRequestException", []string{"Tags", "aws:"}},
		{"a tag key once per request", createServerCall(&transfer.CreateServerInput{Tags: []types.Tag{
			{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")},
		}}), "InvalidRequestException", []string{"Tags", `"a"`}},
	}
	runValidationRows(t, rows)
}

// dsaPublicKey returns an ssh-dss public key, a type Transfer Family does
// not accept.
func dsaPublicKey() string {
	one := big.NewInt(1)
	p := new(big.Int).Add(new(big.Int).Lsh(one, 1023), one)
	q := new(big.Int).Add(new(big.Int).Lsh(one, 159), one)
	blob := ssh.Marshal(struct {
		Name       string
		P, Q, G, Y *big.Int
	}{"ssh-dss", p, q, big.NewInt(2), big.NewInt(3)})
	return "ssh-dss " + base64.StdEncoding.EncodeToString(blob) + " legacy"
}

// rsaPublicKey returns a new RSA public key of the given size in authorized_keys form.
func rsaPublicKey(bits int) string {
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	pub, err := ssh.NewPublicKey(&key.PublicKey)
	if err != nil {
		panic(err)
	}
	return string(ssh.MarshalAuthorizedKey(pub))
}

func runValidationRows(t *testing.T, rows []validationRow) {
	t.Helper()
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	f := validationFixture{
		server:       createServer(t, c, nil),
		lambdaServer: createServer(t, c, lambdaVPC(func(*transfer.CreateServerInput) {})),
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			before := len(srv.Snapshot().Regions[testRegion].Servers)
			err := row.call(ctxT(t), c, f)
			wantAPIError(t, err, row.code, row.fragments...)
			if s := httpStatus(err); s != 400 {
				t.Errorf("HTTP status %d, want 400", s)
			}
			if after := len(srv.Snapshot().Regions[testRegion].Servers); after != before {
				t.Errorf("a rejected request changed the number of servers from %d to %d", before, after)
			}
		})
	}
}

// TestRequiredAndTypedMembers sends documents the SDK would refuse to
// build: missing required members are InvalidRequestException naming the
// member; members of the wrong JSON type, and bodies that are not JSON, are
// SerializationException.
func TestRequiredAndTypedMembers(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	rows := []struct {
		name, op, body, code, fragment string
	}{
		{"missing Role", "CreateUser", `{"ServerId":"s-0123456789abcdef0","UserName":"alice"}`, "InvalidRequestException", "Value null at 'role' failed to satisfy constraint: Member must not be null"},
		{"missing ServerId", "DescribeServer", `{}`, "InvalidRequestException", "'serverId'"},
		{"empty body", "DescribeUser", ``, "InvalidRequestException", "2 validation errors detected"},
		{"null tag value", "TagResource", `{"Arn":"arn:aws:transfer:us-east-1:111122223333:server/s-0123456789abcdef0","Tags":[{"Key":"a","Value":null}]}`, "InvalidRequestException", "'tags.1.member.value'"},
		{"string for a number", "ListServers", `{"MaxResults":"10"}`, "SerializationException", "'maxResults'"},
		{"fraction for an integer", "ListServers", `{"MaxResults":1.5}`, "SerializationException", "'maxResults'"},
		{"object for a list", "CreateServer", `{"Protocols":{"0":"SFTP"}}`, "SerializationException", "'protocols'"},
		{"not JSON", "ListServers", `{"MaxResults":`, "SerializationException", "not valid JSON"},
		{"not an object", "ListServers", `[1]`, "SerializationException", "JSON object"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			resp := rawCall(t, srv.URL(), row.op, row.body, nil)
			body, _ := io.ReadAll(resp.Body)
			var doc map[string]string
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatalf("error body %q is not JSON: %v", body, err)
			}
			if resp.StatusCode != 400 || !strings.HasSuffix(doc["__type"], row.code) || !strings.Contains(doc["Message"], row.fragment) {
				t.Errorf("got %d %s, want 400 %s mentioning %q", resp.StatusCode, body, row.code, row.fragment)
			}
			if got := resp.Header.Get("x-amzn-ErrorType"); got != row.code {
				t.Errorf("x-amzn-ErrorType = %q, want %q", got, row.code)
			}
		})
	}
}
