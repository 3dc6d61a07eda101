package emulator_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// newEC2Client returns the unmodified SDK EC2 client pointed at url, without retries.
func newEC2Client(url, region string, secret string) *ec2.Client {
	return ec2.NewFromConfig(aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, secret, ""),
		BaseEndpoint: aws.String(url),
	}, func(o *ec2.Options) { o.Retryer = aws.NopRetryer{} })
}

func describeEndpoint(t *testing.T, c *ec2.Client, id string) ec2types.VpcEndpoint {
	t.Helper()
	out, err := c.DescribeVpcEndpoints(ctxT(t), &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	mustNoErr(t, err, "DescribeVpcEndpoints")
	if len(out.VpcEndpoints) != 1 {
		t.Fatalf("DescribeVpcEndpoints %s returned %d endpoints", id, len(out.VpcEndpoints))
	}
	return out.VpcEndpoints[0]
}

func groupIDs(e ec2types.VpcEndpoint) []string {
	var out []string
	for _, g := range e.Groups {
		out = append(out, aws.ToString(g.GroupId))
	}
	return out
}

// TestVpcServerHasAnEndpoint checks the endpoint AWS creates for a VPC server, as the EC2 SDK
// reads it: the ID DescribeServer reports, the server's subnets with a network interface and a
// private IP in each, the groups of the request, PrivateLink DNS names, and the Elastic IPs once
// they are set; and that deleting the server deletes the endpoint and its interfaces.
func TestVpcServerHasAnEndpoint(t *testing.T) {
	srv := startEmulator(t, emulator.Options{StrictSigV4: &emulator.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}})
	c := newClient(srv.URL(), testRegion, noRetries)
	e := newEC2Client(srv.URL(), testRegion, testSecretKey)
	ctx := ctxT(t)
	in := vpcServer(2)
	in.EndpointDetails.SecurityGroupIds = []string{"sg-0123456789abcdef1"}
	id := createServer(t, c, in)
	vpce := aws.ToString(describeServer(t, c, id).EndpointDetails.VpcEndpointId)

	ep := describeEndpoint(t, e, vpce)
	if aws.ToString(ep.VpcId) != "vpc-0123456789abcdef0" || ep.VpcEndpointType != ec2types.VpcEndpointTypeInterface {
		t.Errorf("endpoint in %s of type %s, want the server's VPC and Interface", aws.ToString(ep.VpcId), ep.VpcEndpointType)
	}
	if !slices.Equal(ep.SubnetIds, in.EndpointDetails.SubnetIds) || len(ep.NetworkInterfaceIds) != 2 {
		t.Errorf("subnets %v with interfaces %v, want the server's subnets with one interface each", ep.SubnetIds, ep.NetworkInterfaceIds)
	}
	if got := groupIDs(ep); !slices.Equal(got, []string{"sg-0123456789abcdef1"}) {
		t.Errorf("groups %v, want those of CreateServer", got)
	}
	if len(ep.DnsEntries) != 3 || !strings.HasPrefix(aws.ToString(ep.DnsEntries[0].DnsName), vpce+"-") ||
		!strings.HasSuffix(aws.ToString(ep.DnsEntries[0].DnsName), ".us-east-1.vpce.amazonaws.com") {
		t.Errorf("DNS entries %v, want the regional name and one for each zone", ep.DnsEntries)
	}
	nis, err := e.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ep.NetworkInterfaceIds})
	mustNoErr(t, err, "DescribeNetworkInterfaces")
	if len(nis.NetworkInterfaces) != 2 {
		t.Fatalf("%d network interfaces, want 2", len(nis.NetworkInterfaces))
	}
	for _, ni := range nis.NetworkInterfaces {
		if !strings.HasPrefix(aws.ToString(ni.PrivateIpAddress), "10.") || ni.Association != nil {
			t.Errorf("interface %s: private IP %q, association %v; want a 10/8 address and no Elastic IP", aws.ToString(ni.NetworkInterfaceId), aws.ToString(ni.PrivateIpAddress), ni.Association)
		}
	}

	_, err = c.StopServer(ctx, &transfer.StopServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "StopServer")
	_, err = c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{AddressAllocationIds: []string{"eipalloc-1", "eipalloc-2"}}})
	mustNoErr(t, err, "UpdateServer AddressAllocationIds")
	nis, err = e.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ep.NetworkInterfaceIds})
	mustNoErr(t, err, "DescribeNetworkInterfaces")
	for _, ni := range nis.NetworkInterfaces {
		if ni.Association == nil || !strings.HasPrefix(aws.ToString(ni.Association.PublicIp), "203.0.113.") {
			t.Errorf("interface %s has association %v, want an Elastic IP", aws.ToString(ni.NetworkInterfaceId), ni.Association)
		}
	}

	_, err = c.DeleteServer(ctx, &transfer.DeleteServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "DeleteServer")
	_, err = e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{vpce}})
	wantAPIError(t, err, "InvalidVpcEndpointId.NotFound", vpce)
	_, err = e.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ep.NetworkInterfaceIds[:1]})
	wantAPIError(t, err, "InvalidNetworkInterfaceID.NotFound")
}

// TestVpcEndpointDefaultGroupAndPartition checks that an endpoint created without groups has the
// VPC's default group, and that a China region's DNS names end in amazonaws.com.cn.
func TestVpcEndpointDefaultGroupAndPartition(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), "cn-north-1", noRetries)
	e := newEC2Client(srv.URL(), "cn-north-1", testSecretKey)
	id := createServer(t, c, vpcServer(1))
	d := describeServer(t, c, id)
	if !strings.HasPrefix(aws.ToString(d.Arn), "arn:aws-cn:transfer:cn-north-1:") {
		t.Errorf("ARN %s, want the aws-cn partition", aws.ToString(d.Arn))
	}
	ep := describeEndpoint(t, e, aws.ToString(d.EndpointDetails.VpcEndpointId))
	if len(ep.Groups) != 1 || aws.ToString(ep.Groups[0].GroupName) != "default" {
		t.Errorf("groups %v, want the VPC's default group", ep.Groups)
	}
	if name := aws.ToString(ep.DnsEntries[0].DnsName); !strings.HasSuffix(name, ".cn-north-1.vpce.amazonaws.com.cn") {
		t.Errorf("DNS name %s, want the China partition's suffix", name)
	}
}

// TestModifyVpcEndpointSecurityGroups checks ModifyVpcEndpoint: groups are added and removed,
// the endpoint is pending for the transition delay and refuses another change meanwhile, and
// the emulator's server record follows.
func TestModifyVpcEndpointSecurityGroups(t *testing.T) {
	clock := clocktesting.NewFakeClock(time.Now())
	srv := startEmulator(t, emulator.Options{Clock: clock, TransitionDelay: 2 * time.Second})
	c := newClient(srv.URL(), testRegion, noRetries)
	e := newEC2Client(srv.URL(), testRegion, testSecretKey)
	ctx := ctxT(t)
	in := vpcServer(1)
	in.EndpointDetails.SecurityGroupIds = []string{"sg-0000000000000000a", "sg-0000000000000000b"}
	id := createServer(t, c, in)
	vpce := aws.ToString(describeServer(t, c, id).EndpointDetails.VpcEndpointId)
	if s := describeEndpoint(t, e, vpce).State; s != "pending" {
		t.Fatalf("a new endpoint is %s, want pending", s)
	}
	modify := &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(vpce), AddSecurityGroupIds: []string{"sg-0000000000000000c"}, RemoveSecurityGroupIds: []string{"sg-0000000000000000a"}}
	_, err := e.ModifyVpcEndpoint(ctx, modify)
	wantAPIError(t, err, "IncorrectState", "pending")
	clock.Step(2 * time.Second)
	if s := describeEndpoint(t, e, vpce).State; s != "available" {
		t.Fatalf("2s after create the endpoint is %s, want available", s)
	}
	out, err := e.ModifyVpcEndpoint(ctx, modify)
	mustNoErr(t, err, "ModifyVpcEndpoint")
	if !aws.ToBool(out.Return) {
		t.Error("ModifyVpcEndpoint returned false")
	}
	ep := describeEndpoint(t, e, vpce)
	if got := groupIDs(ep); !slices.Equal(got, []string{"sg-0000000000000000b", "sg-0000000000000000c"}) || ep.State != "pending" {
		t.Errorf("after the change: groups %v in state %s, want [b c] pending", got, ep.State)
	}
	clock.Step(2 * time.Second)
	if s := describeEndpoint(t, e, vpce).State; s != "available" {
		t.Errorf("2s after the change the endpoint is %s, want available", s)
	}
	snap, _ := srv.Snapshot().Server(testRegion, id)
	if !slices.Equal(snap.EndpointDetails.SecurityGroupIDs, []string{"sg-0000000000000000b", "sg-0000000000000000c"}) {
		t.Errorf("the server record holds groups %v, want the endpoint's", snap.EndpointDetails.SecurityGroupIDs)
	}
	if ep, ok := srv.Snapshot().VpcEndpoint(testRegion, vpce); !ok || ep.ServerID != id {
		t.Errorf("snapshot of the endpoint: %+v, %v", ep, ok)
	}
}

// TestEC2Validation checks the answers to requests EC2 refuses, with EC2's codes and HTTP
// statuses.
func TestEC2Validation(t *testing.T) {
	srv := startEmulator(t, emulator.Options{StrictSigV4: &emulator.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}})
	e := newEC2Client(srv.URL(), testRegion, testSecretKey)
	ctx := ctxT(t)
	for _, tc := range []struct {
		name   string
		call   func() error
		code   string
		status int
		text   string
	}{
		{"unknown endpoint", func() error {
			_, err := e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-0123456789abcdef0"}})
			return err
		}, "InvalidVpcEndpointId.NotFound", 400, "vpce-0123456789abcdef0"},
		{"malformed endpoint ID", func() error {
			_, err := e.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("endpoint-1")})
			return err
		}, "InvalidVpcEndpointId.Malformed", 400, "endpoint-1"},
		{"modify unknown endpoint", func() error {
			_, err := e.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("vpce-0123456789abcdef0"), AddSecurityGroupIds: []string{"sg-0123456789abcdef0"}})
			return err
		}, "InvalidVpcEndpointId.NotFound", 400, "does not exist"},
		{"malformed group", func() error {
			_, err := e.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("vpce-0123456789abcdef0"), AddSecurityGroupIds: []string{"web"}})
			return err
		}, "InvalidGroupId.Malformed", 400, "web"},
		{"unknown filter", func() error {
			_, err := e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{{Name: aws.String("colour"), Values: []string{"red"}}}})
			return err
		}, "InvalidParameterValue", 400, "colour"},
		{"max results out of range", func() error {
			_, err := e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{MaxResults: aws.Int32(2)})
			return err
		}, "InvalidParameterValue", 400, "between 5 and 1000"},
		{"dry run", func() error {
			_, err := e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation", 412, "DryRun"},
		{"parameter the emulator does not implement", func() error {
			_, err := e.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("vpce-0123456789abcdef0"), AddSubnetIds: []string{"subnet-1"}})
			return err
		}, "UnsupportedOperation", 400, "AddSubnetId"},
		{"action the emulator does not implement", func() error {
			_, err := e.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
			return err
		}, "InvalidAction", 400, "DescribeVpcs"},
		{"wrong secret", func() error {
			_, err := newEC2Client(srv.URL(), testRegion, "wrong").DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
			return err
		}, "SignatureDoesNotMatch", 401, "signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			wantAPIError(t, err, tc.code, tc.text)
			if s := httpStatus(err); s != tc.status {
				t.Errorf("HTTP status %d, want %d", s, tc.status)
			}
		})
	}
	out, err := e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	mustNoErr(t, err, "DescribeVpcEndpoints of an empty region")
	if len(out.VpcEndpoints) != 0 {
		t.Errorf("an empty region has endpoints %v", out.VpcEndpoints)
	}
}

// TestEC2Faults checks that FailNext applies to EC2 actions too, answered with EC2's codes.
func TestEC2Faults(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	e := newEC2Client(srv.URL(), testRegion, testSecretKey)
	if err := srv.FailNext("DescribeVpcEndpoints", 1, emulator.FailThrottling); err != nil {
		t.Fatal(err)
	}
	_, err := e.DescribeVpcEndpoints(ctxT(t), &ec2.DescribeVpcEndpointsInput{})
	wantAPIError(t, err, "RequestLimitExceeded")
	if n := srv.Calls().Outcome("DescribeVpcEndpoints", "RequestLimitExceeded"); n != 1 {
		t.Errorf("calls recorded %d RequestLimitExceeded answers, want 1", n)
	}
}

// TestEC2WireFormat checks an unsigned request by hand: the answer is XML in the EC2 namespace
// with a requestId, and an error has EC2's <Response><Errors><Error> form.
func TestEC2WireFormat(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	post := func(form url.Values) (int, string) {
		resp, err := http.Post(srv.URL()+"/", "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	status, body := post(url.Values{"Action": {"DescribeVpcEndpoints"}, "Version": {"2016-11-15"}})
	if status != 200 || !strings.Contains(body, `<DescribeVpcEndpointsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>`) {
		t.Errorf("answer %d %s", status, body)
	}
	status, body = post(url.Values{"Action": {"ModifyVpcEndpoint"}, "Version": {"2016-11-15"}})
	if status != 400 || !strings.Contains(body, "<Response><Errors><Error><Code>MissingParameter</Code>") || !strings.Contains(body, "<RequestID>") {
		t.Errorf("answer %d %s", status, body)
	}
	status, body = post(url.Values{"Action": {"DescribeVpcEndpoints"}, "Version": {"2016-11-15"}, "Colour": {"red"}})
	if status != 400 || !strings.Contains(body, "<Code>UnknownParameter</Code>") {
		t.Errorf("answer %d %s", status, body)
	}
}
