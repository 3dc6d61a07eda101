package transfer

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/google/go-cmp/cmp"
)

const testVpce = "vpce-0123456789abcdef0"

// fakeEC2 answers DescribeVpcEndpoints and DescribeNetworkInterfaces from fixed data and records
// every ModifyVpcEndpoint.
type fakeEC2 struct {
	endpoint   ec2types.VpcEndpoint
	interfaces []ec2types.NetworkInterface
	modified   []*ec2.ModifyVpcEndpointInput
	modifyErr  error
	calls      []string
}

func (f *fakeEC2) DescribeVpcEndpoints(_ context.Context, in *ec2.DescribeVpcEndpointsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	f.calls = append(f.calls, "DescribeVpcEndpoints")
	if len(in.VpcEndpointIds) != 1 || in.VpcEndpointIds[0] != aws.ToString(f.endpoint.VpcEndpointId) {
		return nil, apiError(CodeVpcEndpointNotFound)
	}
	return &ec2.DescribeVpcEndpointsOutput{VpcEndpoints: []ec2types.VpcEndpoint{f.endpoint}}, nil
}

func (f *fakeEC2) DescribeNetworkInterfaces(_ context.Context, in *ec2.DescribeNetworkInterfacesInput, _ ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error) {
	f.calls = append(f.calls, "DescribeNetworkInterfaces")
	var out []ec2types.NetworkInterface
	for _, ni := range f.interfaces {
		for _, id := range in.NetworkInterfaceIds {
			if aws.ToString(ni.NetworkInterfaceId) == id {
				out = append(out, ni)
			}
		}
	}
	return &ec2.DescribeNetworkInterfacesOutput{NetworkInterfaces: out}, nil
}

func (f *fakeEC2) ModifyVpcEndpoint(_ context.Context, in *ec2.ModifyVpcEndpointInput, _ ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error) {
	f.calls = append(f.calls, "ModifyVpcEndpoint")
	f.modified = append(f.modified, in)
	if f.modifyErr != nil {
		return nil, f.modifyErr
	}
	return &ec2.ModifyVpcEndpointOutput{Return: aws.Bool(true)}, nil
}

func TestPlanSecurityGroups(t *testing.T) {
	for _, tc := range []struct {
		name           string
		want, observed []string
		plan           SecurityGroupChange
	}{
		{"unmanaged", nil, []string{"sg-1"}, SecurityGroupChange{}},
		{"in sync, any order", []string{"sg-2", "sg-1"}, []string{"sg-1", "sg-2"}, SecurityGroupChange{}},
		{"one added", []string{"sg-1", "sg-2"}, []string{"sg-1"}, SecurityGroupChange{Add: []string{"sg-2"}}},
		{"one removed", []string{"sg-1"}, []string{"sg-1", "sg-2"}, SecurityGroupChange{Remove: []string{"sg-2"}}},
		{"replaced, sorted", []string{"sg-c", "sg-b"}, []string{"sg-z", "sg-a"}, SecurityGroupChange{Add: []string{"sg-b", "sg-c"}, Remove: []string{"sg-a", "sg-z"}}},
		{"repeats ignored", []string{"sg-1", "sg-1"}, []string{"sg-1"}, SecurityGroupChange{}},
		{"endpoint without groups", []string{"sg-1"}, nil, SecurityGroupChange{Add: []string{"sg-1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := PlanSecurityGroups(tc.want, tc.observed)
			if diff := cmp.Diff(tc.plan, got, equateEmpty); diff != "" {
				t.Errorf("PlanSecurityGroups(%v, %v) (-want +got):\n%s", tc.want, tc.observed, diff)
			}
			if got.IsEmpty() != (len(tc.plan.Add)+len(tc.plan.Remove) == 0) {
				t.Errorf("IsEmpty() = %v for %+v", got.IsEmpty(), got)
			}
		})
	}
}

// TestDescribeVpcEndpoint checks that the endpoint's groups and DNS names come from
// DescribeVpcEndpoints and its addresses from its network interfaces.
func TestDescribeVpcEndpoint(t *testing.T) {
	f := &fakeEC2{
		endpoint: ec2types.VpcEndpoint{
			VpcEndpointId: aws.String(testVpce), State: "available",
			Groups:              []ec2types.SecurityGroupIdentifier{{GroupId: aws.String("sg-b")}, {GroupId: aws.String("sg-a")}},
			DnsEntries:          []ec2types.DnsEntry{{DnsName: aws.String("regional.example")}, {DnsName: aws.String("zonal.example")}},
			NetworkInterfaceIds: []string{"eni-1", "eni-2"},
		},
		interfaces: []ec2types.NetworkInterface{
			{NetworkInterfaceId: aws.String("eni-1"), PrivateIpAddress: aws.String("10.0.1.5"), Association: &ec2types.NetworkInterfaceAssociation{PublicIp: aws.String("203.0.113.5")}},
			{NetworkInterfaceId: aws.String("eni-2"), PrivateIpAddress: aws.String("10.0.2.6")},
			{NetworkInterfaceId: aws.String("eni-other"), PrivateIpAddress: aws.String("10.9.9.9")},
		},
	}
	got, err := NewService(&fakeAPI{}, testRegion).UseEC2(f).DescribeVpcEndpoint(context.Background(), testVpce)
	if err != nil {
		t.Fatal(err)
	}
	want := &VpcEndpoint{
		ID: testVpce, State: "available", SecurityGroupIDs: []string{"sg-a", "sg-b"},
		DNSNames: []string{"regional.example", "zonal.example"}, PrivateIPs: []string{"10.0.1.5", "10.0.2.6"}, PublicIPs: []string{"203.0.113.5"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DescribeVpcEndpoint (-want +got):\n%s", diff)
	}
	if !got.Available() {
		t.Error("an available endpoint is not Available()")
	}
	if _, err := NewService(&fakeAPI{}, testRegion).UseEC2(f).DescribeVpcEndpoint(context.Background(), "vpce-00000000000000000"); !IsNotFound(err) {
		t.Errorf("a missing endpoint: %v, want an error for which IsNotFound is true", err)
	}
}

// TestModifySecurityGroups checks that a change is sent in one ModifyVpcEndpoint, an empty one
// not at all, and that a refusal keeps its AWS class.
func TestModifySecurityGroups(t *testing.T) {
	f := &fakeEC2{}
	s := NewService(&fakeAPI{}, testRegion).UseEC2(f)
	ctx := context.Background()
	if done, err := s.ModifySecurityGroups(ctx, testVpce, SecurityGroupChange{}); err != nil || !done.IsEmpty() || len(f.calls) != 0 {
		t.Fatalf("empty change: sent %v, returned %+v, %v; want nothing sent", f.calls, done, err)
	}
	change := SecurityGroupChange{Add: []string{"sg-new"}, Remove: []string{"sg-old"}}
	done, err := s.ModifySecurityGroups(ctx, testVpce, change)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(change, done); diff != "" {
		t.Errorf("returned change (-want +got):\n%s", diff)
	}
	want := []*ec2.ModifyVpcEndpointInput{{VpcEndpointId: aws.String(testVpce), AddSecurityGroupIds: []string{"sg-new"}, RemoveSecurityGroupIds: []string{"sg-old"}}}
	if diff := cmp.Diff(want, f.modified, sdkOpts); diff != "" {
		t.Errorf("ModifyVpcEndpoint requests (-want +got):\n%s", diff)
	}
	f.modifyErr = apiError("InvalidGroup.NotFound")
	if done, err := s.ModifySecurityGroups(ctx, testVpce, change); Classify(err) != Invalid || !done.IsEmpty() {
		t.Errorf("refused change: %+v, %v; want nothing done and an Invalid error", done, err)
	}
	if _, err := NewService(&fakeAPI{}, testRegion).ModifySecurityGroups(ctx, testVpce, change); err == nil {
		t.Error("a Service without an EC2 client modified an endpoint")
	}
}

// TestClientEndpoint checks the host name clients use for each endpoint type and partition.
func TestClientEndpoint(t *testing.T) {
	vpce := &VpcEndpoint{ID: testVpce, DNSNames: []string{"vpce-1-abc.vpce-svc-1.us-east-1.vpce.amazonaws.com", "zonal"}}
	server := func(typ types.EndpointType, eips ...string) *Server {
		d := types.DescribedServer{ServerId: aws.String(testServerID), EndpointType: typ}
		if typ != types.EndpointTypePublic && typ != "" {
			d.EndpointDetails = &types.EndpointDetails{VpcEndpointId: aws.String(testVpce), AddressAllocationIds: eips}
		}
		return serverFromDescribed(&d)
	}
	for _, tc := range []struct {
		name   string
		server *Server
		region string
		vpce   *VpcEndpoint
		want   string
	}{
		{"public", server(types.EndpointTypePublic), testRegion, nil, testServerID + ".server.transfer.us-east-1.amazonaws.com"},
		{"type not reported is public", server(""), testRegion, vpce, testServerID + ".server.transfer.us-east-1.amazonaws.com"},
		{"public in China", server(types.EndpointTypePublic), "cn-north-1", nil, testServerID + ".server.transfer.cn-north-1.amazonaws.com.cn"},
		{"public in GovCloud", server(types.EndpointTypePublic), "us-gov-west-1", nil, testServerID + ".server.transfer.us-gov-west-1.amazonaws.com"},
		{"internet-facing VPC", server(types.EndpointTypeVpc, "eipalloc-1"), "cn-northwest-1", vpce, testServerID + ".server.transfer.cn-northwest-1.amazonaws.com.cn"},
		{"internal VPC", server(types.EndpointTypeVpc), testRegion, vpce, vpce.DNSNames[0]},
		{"internal VPC, endpoint not known yet", server(types.EndpointTypeVpc), testRegion, nil, testServerID + ".server.transfer.us-east-1.amazonaws.com"},
		{"VPC_ENDPOINT", server(types.EndpointTypeVpcEndpoint), testRegion, vpce, vpce.DNSNames[0]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ClientEndpoint(tc.server, tc.region, tc.vpce); got != tc.want {
				t.Errorf("ClientEndpoint = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestDNSSuffix checks the partition DNS suffixes read from the SDK's endpoint rules.
func TestDNSSuffix(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":      "amazonaws.com",
		"eu-central-1":   "amazonaws.com",
		"cn-north-1":     "amazonaws.com.cn",
		"cn-northwest-1": "amazonaws.com.cn",
		"us-gov-west-1":  "amazonaws.com",
		"us-iso-east-1":  "c2s.ic.gov",
		"xx-future-1":    "amazonaws.com",
	} {
		if got := DNSSuffix(region); got != want {
			t.Errorf("DNSSuffix(%q) = %q, want %q", region, got, want)
		}
	}
}

// TestUserARNKeepsPartition checks that a user's ARN is built in the partition of its server's.
func TestUserARNKeepsPartition(t *testing.T) {
	for server, want := range map[string]string{
		testServerARN: testUserARN,
		"arn:aws-cn:transfer:cn-north-1:111122223333:server/s-0123456789abcdef0":        "arn:aws-cn:transfer:cn-north-1:111122223333:user/s-0123456789abcdef0/alice",
		"arn:aws-us-gov:transfer:us-gov-west-1:111122223333:server/s-0123456789abcdef0": "arn:aws-us-gov:transfer:us-gov-west-1:111122223333:user/s-0123456789abcdef0/alice",
	} {
		if got := UserARN(server, testUserName); got != want {
			t.Errorf("UserARN(%q) = %q, want %q", server, got, want)
		}
	}
}
