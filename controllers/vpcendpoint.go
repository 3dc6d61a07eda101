package controllers

import (
	"context"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// convergeVpcEndpoint observes the VPC endpoint of a VPC or VPC_ENDPOINT server, records it in
// status with the host name clients use, and makes its security groups those of the spec. AWS
// Transfer takes the groups only when a server becomes a VPC server; after that EC2 alone changes
// them (SDK transfer EndpointDetails.SecurityGroupIds), so they are compared with the endpoint's
// and changed with ModifyVpcEndpoint. The pass waits while the endpoint is not available: EC2
// changes it in the background, and AWS Transfer refuses updates to the server meanwhile
// (Terraform's aws_transfer_server retries "VPC Endpoint state is not yet available").
func (r *serverKind) convergeVpcEndpoint(ctx context.Context, srv *v1alpha1.TransferServer, want serverWant, server *transfer.Server) error {
	svc := want.at.svc
	id := server.VpcEndpointID()
	if id == "" {
		srv.Status.VpcEndpoint = nil
		return nil
	}
	vpce, err := svc.DescribeVpcEndpoint(ctx, id)
	if err != nil {
		return err
	}
	srv.Status.VpcEndpoint = &v1alpha1.VpcEndpointStatus{
		ID: vpce.ID, State: vpce.State, SecurityGroupIDs: vpce.SecurityGroupIDs,
		DNSNames: vpce.DNSNames, PrivateIPs: vpce.PrivateIPs, PublicIPs: vpce.PublicIPs,
	}
	srv.Status.Endpoint = transfer.ClientEndpoint(server, svc.Region(), vpce)
	if !vpce.Available() {
		return waiting(v1alpha1.ReasonUpdating, r.Options.pollAfter(srv), "VPC endpoint %s is %s", id, vpce.State)
	}
	change := transfer.PlanSecurityGroups(managedSecurityGroups(srv, server), vpce.SecurityGroupIDs)
	if change.IsEmpty() {
		return nil
	}
	reason := changeEvent(srv, srv.Status.ObservedGeneration)
	done, err := svc.ModifySecurityGroups(ctx, id, change)
	if err != nil {
		return err
	}
	r.Notify.normal(ctx, srv, reason, "%s: endpointDetails.securityGroupIds on VPC endpoint %s (added: %s; removed: %s)",
		changeVerb(reason), id, groupList(done.Add), groupList(done.Remove))
	return waiting(v1alpha1.ReasonUpdating, r.Options.PollInterval, "changing the security groups of VPC endpoint %s", id)
}

// managedSecurityGroups returns the groups the spec asks of the endpoint of a VPC server, or nil
// when it leaves them unmanaged: the spec names none, or the server is not (or not yet, or no
// longer meant to be) a VPC server.
func managedSecurityGroups(srv *v1alpha1.TransferServer, server *transfer.Server) []string {
	e := srv.Spec.EndpointDetails
	if srv.Spec.EndpointType != "VPC" || server.EndpointType() != "VPC" || e == nil || e.SecurityGroupIDs == nil {
		return nil
	}
	groups := make([]string, 0, len(e.SecurityGroupIDs))
	for _, g := range e.SecurityGroupIDs {
		groups = append(groups, string(g))
	}
	return groups
}

// groupList names security groups for messages: "sg-1, sg-2", or "none".
func groupList(groups []string) string {
	if len(groups) == 0 {
		return "none"
	}
	return fieldList(groups)
}
