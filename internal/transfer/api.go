// Package transfer is the operator's only seam to AWS Transfer Family: a narrow interface over the
// SDK client (and over the EC2 client, for the VPC endpoints of VPC servers), conversion between the API types and the SDK's, the pure diff that decides what to
// send, tag bookkeeping and the classification of AWS errors. It never touches Kubernetes clients.
package transfer

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
)

// API is the part of the AWS Transfer client the operator uses. Its methods are the SDK's own,
// so *transfer.Client satisfies it and tests can point a real client at the emulator.
type API interface {
	CreateServer(ctx context.Context, in *transfer.CreateServerInput, opts ...func(*transfer.Options)) (*transfer.CreateServerOutput, error)
	DescribeServer(ctx context.Context, in *transfer.DescribeServerInput, opts ...func(*transfer.Options)) (*transfer.DescribeServerOutput, error)
	UpdateServer(ctx context.Context, in *transfer.UpdateServerInput, opts ...func(*transfer.Options)) (*transfer.UpdateServerOutput, error)
	DeleteServer(ctx context.Context, in *transfer.DeleteServerInput, opts ...func(*transfer.Options)) (*transfer.DeleteServerOutput, error)
	StartServer(ctx context.Context, in *transfer.StartServerInput, opts ...func(*transfer.Options)) (*transfer.StartServerOutput, error)
	StopServer(ctx context.Context, in *transfer.StopServerInput, opts ...func(*transfer.Options)) (*transfer.StopServerOutput, error)
	ListServers(ctx context.Context, in *transfer.ListServersInput, opts ...func(*transfer.Options)) (*transfer.ListServersOutput, error)
	CreateUser(ctx context.Context, in *transfer.CreateUserInput, opts ...func(*transfer.Options)) (*transfer.CreateUserOutput, error)
	DescribeUser(ctx context.Context, in *transfer.DescribeUserInput, opts ...func(*transfer.Options)) (*transfer.DescribeUserOutput, error)
	UpdateUser(ctx context.Context, in *transfer.UpdateUserInput, opts ...func(*transfer.Options)) (*transfer.UpdateUserOutput, error)
	DeleteUser(ctx context.Context, in *transfer.DeleteUserInput, opts ...func(*transfer.Options)) (*transfer.DeleteUserOutput, error)
	ListUsers(ctx context.Context, in *transfer.ListUsersInput, opts ...func(*transfer.Options)) (*transfer.ListUsersOutput, error)
	ImportSshPublicKey(ctx context.Context, in *transfer.ImportSshPublicKeyInput, opts ...func(*transfer.Options)) (*transfer.ImportSshPublicKeyOutput, error)
	DeleteSshPublicKey(ctx context.Context, in *transfer.DeleteSshPublicKeyInput, opts ...func(*transfer.Options)) (*transfer.DeleteSshPublicKeyOutput, error)
	CreateAccess(ctx context.Context, in *transfer.CreateAccessInput, opts ...func(*transfer.Options)) (*transfer.CreateAccessOutput, error)
	DescribeAccess(ctx context.Context, in *transfer.DescribeAccessInput, opts ...func(*transfer.Options)) (*transfer.DescribeAccessOutput, error)
	UpdateAccess(ctx context.Context, in *transfer.UpdateAccessInput, opts ...func(*transfer.Options)) (*transfer.UpdateAccessOutput, error)
	DeleteAccess(ctx context.Context, in *transfer.DeleteAccessInput, opts ...func(*transfer.Options)) (*transfer.DeleteAccessOutput, error)
	ImportHostKey(ctx context.Context, in *transfer.ImportHostKeyInput, opts ...func(*transfer.Options)) (*transfer.ImportHostKeyOutput, error)
	ListHostKeys(ctx context.Context, in *transfer.ListHostKeysInput, opts ...func(*transfer.Options)) (*transfer.ListHostKeysOutput, error)
	UpdateHostKey(ctx context.Context, in *transfer.UpdateHostKeyInput, opts ...func(*transfer.Options)) (*transfer.UpdateHostKeyOutput, error)
	DeleteHostKey(ctx context.Context, in *transfer.DeleteHostKeyInput, opts ...func(*transfer.Options)) (*transfer.DeleteHostKeyOutput, error)
	CreateWorkflow(ctx context.Context, in *transfer.CreateWorkflowInput, opts ...func(*transfer.Options)) (*transfer.CreateWorkflowOutput, error)
	DescribeWorkflow(ctx context.Context, in *transfer.DescribeWorkflowInput, opts ...func(*transfer.Options)) (*transfer.DescribeWorkflowOutput, error)
	DeleteWorkflow(ctx context.Context, in *transfer.DeleteWorkflowInput, opts ...func(*transfer.Options)) (*transfer.DeleteWorkflowOutput, error)
	ListWorkflows(ctx context.Context, in *transfer.ListWorkflowsInput, opts ...func(*transfer.Options)) (*transfer.ListWorkflowsOutput, error)
	CreateConnector(ctx context.Context, in *transfer.CreateConnectorInput, opts ...func(*transfer.Options)) (*transfer.CreateConnectorOutput, error)
	DescribeConnector(ctx context.Context, in *transfer.DescribeConnectorInput, opts ...func(*transfer.Options)) (*transfer.DescribeConnectorOutput, error)
	UpdateConnector(ctx context.Context, in *transfer.UpdateConnectorInput, opts ...func(*transfer.Options)) (*transfer.UpdateConnectorOutput, error)
	DeleteConnector(ctx context.Context, in *transfer.DeleteConnectorInput, opts ...func(*transfer.Options)) (*transfer.DeleteConnectorOutput, error)
	ListConnectors(ctx context.Context, in *transfer.ListConnectorsInput, opts ...func(*transfer.Options)) (*transfer.ListConnectorsOutput, error)
	TestConnection(ctx context.Context, in *transfer.TestConnectionInput, opts ...func(*transfer.Options)) (*transfer.TestConnectionOutput, error)
	TagResource(ctx context.Context, in *transfer.TagResourceInput, opts ...func(*transfer.Options)) (*transfer.TagResourceOutput, error)
	UntagResource(ctx context.Context, in *transfer.UntagResourceInput, opts ...func(*transfer.Options)) (*transfer.UntagResourceOutput, error)
	ListTagsForResource(ctx context.Context, in *transfer.ListTagsForResourceInput, opts ...func(*transfer.Options)) (*transfer.ListTagsForResourceOutput, error)
}

var _ API = (*transfer.Client)(nil)

// EC2API is the part of the AWS EC2 client the operator uses: the VPC endpoint AWS Transfer
// creates for a server with endpointType VPC, whose security groups only EC2 changes (SDK
// transfer EndpointDetails.SecurityGroupIds: "To change security groups associated with your
// server's VPC endpoint after creation, use the Amazon EC2 ModifyVpcEndpoint API"), and the
// network interfaces that hold its addresses.
type EC2API interface {
	DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
	ModifyVpcEndpoint(ctx context.Context, in *ec2.ModifyVpcEndpointInput, opts ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error)
	DescribeNetworkInterfaces(ctx context.Context, in *ec2.DescribeNetworkInterfacesInput, opts ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
}

// ec2Calls is the EC2 client seen through EC2API, by way of its method values. Neither the
// client nor a struct holding it is ever stored in an interface: a program that reaches
// reflection by method name (text/template, which controller-runtime links through
// net/http/pprof) keeps every exported method of every type that can reach an interface, and
// EC2's 800 operations would add 19 MB of code to the binary (docs/benchmarks.md).
type ec2Calls struct {
	describeVpcEndpoints      func(context.Context, *ec2.DescribeVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
	modifyVpcEndpoint         func(context.Context, *ec2.ModifyVpcEndpointInput, ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error)
	describeNetworkInterfaces func(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
}

func newEC2Calls(client *ec2.Client) ec2Calls {
	return ec2Calls{
		describeVpcEndpoints:      client.DescribeVpcEndpoints,
		modifyVpcEndpoint:         client.ModifyVpcEndpoint,
		describeNetworkInterfaces: client.DescribeNetworkInterfaces,
	}
}

func (c ec2Calls) DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	return c.describeVpcEndpoints(ctx, in, opts...)
}

func (c ec2Calls) ModifyVpcEndpoint(ctx context.Context, in *ec2.ModifyVpcEndpointInput, opts ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error) {
	return c.modifyVpcEndpoint(ctx, in, opts...)
}

func (c ec2Calls) DescribeNetworkInterfaces(ctx context.Context, in *ec2.DescribeNetworkInterfacesInput, opts ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error) {
	return c.describeNetworkInterfaces(ctx, in, opts...)
}
