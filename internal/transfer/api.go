// Package transfer is the operator's only seam to AWS Transfer Family: a narrow interface over the
// SDK client, conversion between the API types and the SDK's, the pure diff that decides what to
// send, tag bookkeeping and the classification of AWS errors. It never touches Kubernetes clients.
package transfer

import (
	"context"

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
	ImportSshPublicKey(ctx context.Context, in *transfer.ImportSshPublicKeyInput, opts ...func(*transfer.Options)) (*transfer.ImportSshPublicKeyOutput, error)
	DeleteSshPublicKey(ctx context.Context, in *transfer.DeleteSshPublicKeyInput, opts ...func(*transfer.Options)) (*transfer.DeleteSshPublicKeyOutput, error)
	CreateWorkflow(ctx context.Context, in *transfer.CreateWorkflowInput, opts ...func(*transfer.Options)) (*transfer.CreateWorkflowOutput, error)
	DescribeWorkflow(ctx context.Context, in *transfer.DescribeWorkflowInput, opts ...func(*transfer.Options)) (*transfer.DescribeWorkflowOutput, error)
	DeleteWorkflow(ctx context.Context, in *transfer.DeleteWorkflowInput, opts ...func(*transfer.Options)) (*transfer.DeleteWorkflowOutput, error)
	ListWorkflows(ctx context.Context, in *transfer.ListWorkflowsInput, opts ...func(*transfer.Options)) (*transfer.ListWorkflowsOutput, error)
	TagResource(ctx context.Context, in *transfer.TagResourceInput, opts ...func(*transfer.Options)) (*transfer.TagResourceOutput, error)
	UntagResource(ctx context.Context, in *transfer.UntagResourceInput, opts ...func(*transfer.Options)) (*transfer.UntagResourceOutput, error)
	ListTagsForResource(ctx context.Context, in *transfer.ListTagsForResourceInput, opts ...func(*transfer.Options)) (*transfer.ListTagsForResourceOutput, error)
}

var _ API = (*transfer.Client)(nil)
