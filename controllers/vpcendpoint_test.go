package controllers_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	. "github.com/onsi/gomega"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// awsEndpoint returns the emulator's record of the VPC endpoint id.
func awsEndpoint(g Gomega, id string) emulator.VpcEndpointRecord {
	ep, ok := emu.Snapshot().VpcEndpoint(region, id)
	g.Expect(ok).To(BeTrue(), "VPC endpoint %s is not in EC2", id)
	return ep
}

// TestVpcServerShowsItsEndpoint checks that a VPC server's status shows the endpoint AWS made for
// it, with its groups, DNS names and private IPs, and that clients are pointed at its DNS name;
// and that with Elastic IPs the status shows the public IPs and the server's own host name.
func TestVpcServerShowsItsEndpoint(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := vpcServer(ns, "vpc", nil)
	create(t, srv)
	waitReady(t, srv)

	id := awsServer(g, srv.Status.ServerID).EndpointDetails.VpcEndpointID
	ep := awsEndpoint(g, id)
	g.Expect(srv.Status.VpcEndpoint).NotTo(BeNil())
	g.Expect(srv.Status.VpcEndpoint.ID).To(Equal(id))
	g.Expect(srv.Status.VpcEndpoint.State).To(Equal("available"))
	g.Expect(srv.Status.VpcEndpoint.SecurityGroupIDs).To(Equal([]string{"sg-0123456789abcdef0"}))
	g.Expect(srv.Status.VpcEndpoint.DNSNames).To(Equal(ep.DNSNames))
	var privateIPs []string
	for _, ni := range emu.Snapshot().Regions[region].NetworkInterfaces {
		if ni.VpcEndpointID == id {
			privateIPs = append(privateIPs, ni.PrivateIPAddress)
		}
	}
	g.Expect(privateIPs).To(HaveLen(2))
	g.Expect(srv.Status.VpcEndpoint.PrivateIPs).To(ConsistOf(privateIPs))
	g.Expect(srv.Status.VpcEndpoint.PublicIPs).To(BeEmpty())
	g.Expect(srv.Status.Endpoint).To(Equal(ep.DNSNames[0]), "an internal VPC server is reached at its endpoint's DNS name")

	update(t, srv, func(s *v1alpha1.TransferServer) {
		s.Spec.EndpointDetails.AddressAllocationIDs = []string{"eipalloc-1", "eipalloc-2"}
	})
	g.Eventually(func(g Gomega) {
		get(g, srv)
		g.Expect(srv.Status.VpcEndpoint).NotTo(BeNil())
		g.Expect(srv.Status.VpcEndpoint.PublicIPs).To(HaveLen(2))
		g.Expect(srv.Status.Endpoint).To(Equal(srv.Status.ServerID + ".server.transfer." + region + ".amazonaws.com"))
	}).WithTimeout(timeout).Should(Succeed())
	waitReady(t, srv)
}

// TestVpcSecurityGroupsFollowTheSpec checks that a change of spec.endpointDetails.securityGroupIds
// is applied to the server's VPC endpoint with EC2 ModifyVpcEndpoint, and that groups changed in
// EC2 by someone else are set back.
func TestVpcSecurityGroupsFollowTheSpec(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := vpcServer(ns, "vpc-groups", nil)
	create(t, srv)
	waitReady(t, srv)
	g.Expect(srv.Status.VpcEndpoint).NotTo(BeNil(), "status shows no VPC endpoint")
	id := srv.Status.VpcEndpoint.ID
	modifies := emu.Calls().Outcome("ModifyVpcEndpoint", emulator.OutcomeOK)

	update(t, srv, func(s *v1alpha1.TransferServer) {
		s.Spec.EndpointDetails.SecurityGroupIDs = []v1alpha1.SecurityGroupID{"sg-0000000000000000b", "sg-0000000000000000c"}
	})
	g.Eventually(func(g Gomega) {
		g.Expect(awsEndpoint(g, id).SecurityGroupIDs).To(Equal([]string{"sg-0000000000000000b", "sg-0000000000000000c"}))
	}).WithTimeout(timeout).Should(Succeed())
	waitReady(t, srv)
	g.Expect(srv.Status.VpcEndpoint).NotTo(BeNil())
	g.Expect(srv.Status.VpcEndpoint.SecurityGroupIDs).To(Equal([]string{"sg-0000000000000000b", "sg-0000000000000000c"}))
	g.Expect(emu.Calls().Outcome("ModifyVpcEndpoint", emulator.OutcomeOK)).To(BeNumerically(">", modifies))
	waitEvent(t, srv, "Updated", "endpointDetails.securityGroupIds on VPC endpoint "+id)

	out, err := ec2Client().ModifyVpcEndpoint(context.Background(), &ec2.ModifyVpcEndpointInput{
		VpcEndpointId: aws.String(id), AddSecurityGroupIds: []string{"sg-0000000000000000d"}, RemoveSecurityGroupIds: []string{"sg-0000000000000000b"},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(aws.ToBool(out.Return)).To(BeTrue())
	g.Eventually(func(g Gomega) {
		g.Expect(awsEndpoint(g, id).SecurityGroupIDs).To(Equal([]string{"sg-0000000000000000b", "sg-0000000000000000c"}))
	}).WithTimeout(timeout).Should(Succeed(), "the groups changed in EC2 were not set back")
	waitEvent(t, srv, "DriftCorrected", "endpointDetails.securityGroupIds on VPC endpoint "+id)
}

// TestChinaRegionServer checks that a server in a China region is reached at a host name in the
// aws-cn partition's DNS suffix, and carries that partition's ARN, as does its user.
func TestChinaRegionServer(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := newServer(ns, "cn", func(s *v1alpha1.TransferServerSpec) { s.Region = "cn-north-1" })
	create(t, srv)
	waitReady(t, srv)
	g.Expect(srv.Status.Endpoint).To(Equal(srv.Status.ServerID + ".server.transfer.cn-north-1.amazonaws.com.cn"))
	g.Expect(srv.Status.ARN).To(HavePrefix("arn:aws-cn:transfer:cn-north-1:"))

	usr := &v1alpha1.TransferUser{}
	usr.Namespace, usr.Name = ns, "cn-user"
	usr.Spec.ServerRef = &v1alpha1.LocalObjectReference{Name: srv.Name}
	usr.Spec.Role = "arn:aws-cn:iam::111122223333:role/transfer"
	create(t, usr)
	waitReady(t, usr)
	g.Expect(usr.Status.ARN).To(Equal(strings.Replace(srv.Status.ARN, ":server/", ":user/", 1) + "/cn-user"))
	g.Expect(slices.ContainsFunc(emu.Snapshot().Regions["cn-north-1"].Servers, func(s emulator.ServerSnapshot) bool {
		return s.ServerID == srv.Status.ServerID
	})).To(BeTrue())
}

// ec2Client is an EC2 client for the emulator, acting as someone outside the operator.
func ec2Client() *ec2.Client {
	return ec2.NewFromConfig(aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
		BaseEndpoint: aws.String(emu.URL()),
	})
}
