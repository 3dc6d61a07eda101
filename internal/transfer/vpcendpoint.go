package transfer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// VPC endpoint states as EC2 reports them: in lowercase, unlike the SDK's State enum
// (Terraform's internal/service/ec2 consts, citing the PrivateLink guide's "interface endpoint
// lifecycle"). An endpoint is pending while it is created or modified and available once it
// serves clients and takes changes.
const (
	VpcEndpointAvailable = "available"
	VpcEndpointPending   = "pending"
)

// VpcEndpoint is the VPC endpoint of a server as EC2 reports it, with the addresses of its network
// interfaces.
type VpcEndpoint struct {
	ID string
	// State is EC2's state of the endpoint, such as pending or available.
	State string
	// SecurityGroupIDs are the groups of the endpoint's network interfaces, sorted.
	SecurityGroupIDs []string
	// DNSNames are the endpoint's DNS names in EC2's order: the regional name, then one for each
	// Availability Zone.
	DNSNames []string
	// PrivateIPs are the private IPv4 addresses of the endpoint's network interfaces, one in each
	// of its subnets.
	PrivateIPs []string
	// PublicIPs are the Elastic IPs associated with the network interfaces, which AWS Transfer
	// associates for an internet-facing server (spec.endpointDetails.addressAllocationIds).
	PublicIPs []string
}

// Available reports whether the endpoint is in state available.
func (e *VpcEndpoint) Available() bool { return strings.EqualFold(e.State, VpcEndpointAvailable) }

// DescribeVpcEndpoint returns the VPC endpoint id with its addresses. EC2's DescribeVpcEndpoints
// lists only the IDs of an endpoint's network interfaces, so their addresses are read with
// DescribeNetworkInterfaces: each interface holds its private IP and, in its association, the
// Elastic IP. A missing endpoint is an error for which IsNotFound is true.
func (s *Service) DescribeVpcEndpoint(ctx context.Context, id string) (*VpcEndpoint, error) {
	if s.ec2api == nil {
		return nil, fmt.Errorf("describing VPC endpoint %s: no EC2 client for %s", id, s.region)
	}
	out, err := s.ec2api.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if err != nil {
		return nil, fmt.Errorf("describing VPC endpoint %s: %w", id, err)
	}
	i := slices.IndexFunc(out.VpcEndpoints, func(e ec2types.VpcEndpoint) bool { return aws.ToString(e.VpcEndpointId) == id })
	if i < 0 {
		return nil, fmt.Errorf("describing VPC endpoint %s: the response holds no such endpoint", id)
	}
	e := out.VpcEndpoints[i]
	vpce := &VpcEndpoint{ID: id, State: strings.ToLower(string(e.State))}
	for _, g := range e.Groups {
		vpce.SecurityGroupIDs = append(vpce.SecurityGroupIDs, aws.ToString(g.GroupId))
	}
	slices.Sort(vpce.SecurityGroupIDs)
	for _, d := range e.DnsEntries {
		if name := aws.ToString(d.DnsName); name != "" {
			vpce.DNSNames = append(vpce.DNSNames, name)
		}
	}
	if len(e.NetworkInterfaceIds) == 0 {
		return vpce, nil
	}
	nis := ec2.NewDescribeNetworkInterfacesPaginator(s.ec2api, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: e.NetworkInterfaceIds})
	for nis.HasMorePages() {
		page, err := nis.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing the network interfaces of VPC endpoint %s: %w", id, err)
		}
		for _, ni := range page.NetworkInterfaces {
			if ip := aws.ToString(ni.PrivateIpAddress); ip != "" {
				vpce.PrivateIPs = append(vpce.PrivateIPs, ip)
			}
			if ni.Association != nil && aws.ToString(ni.Association.PublicIp) != "" {
				vpce.PublicIPs = append(vpce.PublicIPs, aws.ToString(ni.Association.PublicIp))
			}
		}
	}
	return vpce, nil
}

// SecurityGroupChange is one ModifyVpcEndpoint of an endpoint's security groups.
type SecurityGroupChange struct {
	// Add and Remove are the groups to associate and to disassociate, sorted.
	Add, Remove []string
}

// IsEmpty reports whether the change adds and removes nothing.
func (c SecurityGroupChange) IsEmpty() bool { return len(c.Add) == 0 && len(c.Remove) == 0 }

// PlanSecurityGroups returns the change that makes an endpoint's groups, observed, the groups in
// want. It is pure. A nil want leaves the groups unmanaged: the empty change.
func PlanSecurityGroups(want []string, observed []string) SecurityGroupChange {
	if want == nil {
		return SecurityGroupChange{}
	}
	w, o := sets.New(want...), sets.New(observed...)
	return SecurityGroupChange{Add: sets.List(w.Difference(o)), Remove: sets.List(o.Difference(w))}
}

// ModifySecurityGroups sends c for the endpoint id in one ModifyVpcEndpoint and returns the change
// it sent; an empty change sends nothing. EC2 then reports the endpoint pending until the change
// is in place: the caller waits for it to be available again.
func (s *Service) ModifySecurityGroups(ctx context.Context, id string, c SecurityGroupChange) (SecurityGroupChange, error) {
	if c.IsEmpty() {
		return SecurityGroupChange{}, nil
	}
	if s.ec2api == nil {
		return SecurityGroupChange{}, fmt.Errorf("modifying VPC endpoint %s: no EC2 client for %s", id, s.region)
	}
	out, err := s.ec2api.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{
		VpcEndpointId: aws.String(id), AddSecurityGroupIds: c.Add, RemoveSecurityGroupIds: c.Remove,
	})
	if err != nil {
		return SecurityGroupChange{}, fmt.Errorf("modifying the security groups of VPC endpoint %s: %w", id, err)
	}
	if !aws.ToBool(out.Return) {
		return SecurityGroupChange{}, fmt.Errorf("modifying the security groups of VPC endpoint %s: EC2 returned false", id)
	}
	return c, nil
}
