package transfer

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
)

// Service speaks to AWS Transfer Family in one region on behalf of the reconcilers. Its methods
// take and return the operator's own types; SDK types stay inside this package.
type Service struct {
	api     API
	ec2api  EC2API
	secrets SecretsAPI
	region  string
	account Account
}

// NewService returns a Service that sends requests for region through api.
func NewService(api API, region string) *Service {
	return &Service{api: api, region: region}
}

// UseEC2 returns a copy of the Service that reaches the VPC endpoints of its servers through
// ec2API, in the same region. A Service without it fails every VPC endpoint call.
func (s *Service) UseEC2(ec2API EC2API) *Service {
	return &Service{api: s.api, ec2api: ec2API, secrets: s.secrets, region: s.region, account: s.account}
}

// UseSecrets returns a copy of the Service that keeps connectors' credentials in Secrets
// Manager through secrets, in the same region. A Service without it fails every secret call.
func (s *Service) UseSecrets(secrets SecretsAPI) *Service {
	return &Service{api: s.api, ec2api: s.ec2api, secrets: secrets, region: s.region, account: s.account}
}

// inAccount returns a copy of the Service that says it acts in account.
func (s *Service) inAccount(account Account) *Service {
	c := *s
	c.account = account
	return &c
}

// AccountID is the 12-digit account of the role the Service acts through, or "" when it uses
// the operator's own credentials.
func (s *Service) AccountID() string { return s.account.ID() }

// Region is the AWS region the Service speaks to.
func (s *Service) Region() string { return s.region }

// DescribeServer returns the server with the given ID. A missing server is an error for which
// IsNotFound is true.
func (s *Service) DescribeServer(ctx context.Context, id string) (*Server, error) {
	out, err := s.api.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("describing server %s: %w", id, err)
	}
	if out.Server == nil {
		return nil, fmt.Errorf("describing server %s: the response holds no server", id)
	}
	return serverFromDescribed(out.Server), nil
}

// CreateServer creates the server d describes, with its tags, and returns its ID. It is sent
// once, never retried by the SDK: CreateServer is not idempotent, and a retry after a response
// that was lost would create a second server. The caller recovers instead, by looking the server
// up by its ownership tag (FindServerByTag).
func (s *Service) CreateServer(ctx context.Context, d DesiredServer) (string, error) {
	out, err := s.api.CreateServer(ctx, createServerInput(d), func(o *transfer.Options) {
		o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 1)
	})
	if err != nil {
		return "", fmt.Errorf("creating server: %w", err)
	}
	return aws.ToString(out.ServerId), nil
}

// FindServerByTag returns the ID of the first server that carries the tag key=value, or "" when
// none does. It lists every server and its tags: it is for the rare case in which the outcome of
// an earlier create is unknown, never for the normal path.
func (s *Service) FindServerByTag(ctx context.Context, key, value string) (string, error) {
	servers := transfer.NewListServersPaginator(s.api, &transfer.ListServersInput{MaxResults: aws.Int32(1000)})
	for servers.HasMorePages() {
		page, err := servers.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("listing servers: %w", err)
		}
		for _, srv := range page.Servers {
			tags, err := s.listTags(ctx, aws.ToString(srv.Arn))
			if IsNotFound(err) {
				continue
			}
			if err != nil {
				return "", err
			}
			if tags[key] == value {
				return aws.ToString(srv.ServerId), nil
			}
		}
	}
	return "", nil
}

func (s *Service) listTags(ctx context.Context, arn string) (map[string]string, error) {
	tags := map[string]string{}
	pages := transfer.NewListTagsForResourcePaginator(s.api, &transfer.ListTagsForResourceInput{Arn: aws.String(arn)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing tags of %s: %w", arn, err)
		}
		for k, v := range tagsToMap(page.Tags) {
			tags[k] = v
		}
	}
	return tags, nil
}

// UpdateServer sends u for the server id. An empty update sends nothing.
func (s *Service) UpdateServer(ctx context.Context, id string, u ServerUpdate) error {
	if u.IsEmpty() {
		return nil
	}
	if _, err := s.api.UpdateServer(ctx, u.updateServerInput(id)); err != nil {
		return fmt.Errorf("updating server %s: %w", id, err)
	}
	return nil
}

// StartServer starts the server id.
func (s *Service) StartServer(ctx context.Context, id string) error {
	if _, err := s.api.StartServer(ctx, &transfer.StartServerInput{ServerId: aws.String(id)}); err != nil {
		return fmt.Errorf("starting server %s: %w", id, err)
	}
	return nil
}

// StopServer stops the server id.
func (s *Service) StopServer(ctx context.Context, id string) error {
	if _, err := s.api.StopServer(ctx, &transfer.StopServerInput{ServerId: aws.String(id)}); err != nil {
		return fmt.Errorf("stopping server %s: %w", id, err)
	}
	return nil
}

// DeleteServer deletes the server id. A server that is already gone counts as deleted.
func (s *Service) DeleteServer(ctx context.Context, id string) error {
	_, err := s.api.DeleteServer(ctx, &transfer.DeleteServerInput{ServerId: aws.String(id)})
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("deleting server %s: %w", id, err)
	}
	return nil
}

// SetTags adds (or overwrites) the tags in add and removes the keys in remove on the resource arn.
func (s *Service) SetTags(ctx context.Context, arn string, add map[string]string, remove []string) error {
	if len(add) > 0 {
		if _, err := s.api.TagResource(ctx, &transfer.TagResourceInput{Arn: aws.String(arn), Tags: tagsFromMap(add)}); err != nil {
			return fmt.Errorf("tagging %s: %w", arn, err)
		}
	}
	if len(remove) > 0 {
		if _, err := s.api.UntagResource(ctx, &transfer.UntagResourceInput{Arn: aws.String(arn), TagKeys: remove}); err != nil {
			return fmt.Errorf("untagging %s: %w", arn, err)
		}
	}
	return nil
}

// DescribeUser returns the user userName of the server serverID. A missing user or server is an
// error for which IsNotFound is true.
func (s *Service) DescribeUser(ctx context.Context, serverID, userName string) (*User, error) {
	out, err := s.api.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: aws.String(serverID), UserName: aws.String(userName)})
	if err != nil {
		return nil, fmt.Errorf("describing user %s on server %s: %w", userName, serverID, err)
	}
	if out.User == nil {
		return nil, fmt.Errorf("describing user %s on server %s: the response holds no user", userName, serverID)
	}
	return userFromDescribed(serverID, out.User), nil
}

// CreateUser creates the user d describes, with its tags and its first SSH key.
func (s *Service) CreateUser(ctx context.Context, d DesiredUser) error {
	if _, err := s.api.CreateUser(ctx, createUserInput(d)); err != nil {
		return fmt.Errorf("creating user %s on server %s: %w", d.UserName, d.ServerID, err)
	}
	return nil
}

// UpdateUser sends u for the user. An empty update sends nothing.
func (s *Service) UpdateUser(ctx context.Context, serverID, userName string, u UserUpdate) error {
	if u.IsEmpty() {
		return nil
	}
	if _, err := s.api.UpdateUser(ctx, u.updateUserInput(serverID, userName)); err != nil {
		return fmt.Errorf("updating user %s on server %s: %w", userName, serverID, err)
	}
	return nil
}

// ImportSSHKey adds the public key material to the user and returns the key's ID.
func (s *Service) ImportSSHKey(ctx context.Context, serverID, userName, material string) (string, error) {
	out, err := s.api.ImportSshPublicKey(ctx, &transfer.ImportSshPublicKeyInput{
		ServerId: aws.String(serverID), UserName: aws.String(userName), SshPublicKeyBody: aws.String(material),
	})
	if err != nil {
		return "", fmt.Errorf("importing an SSH key for user %s on server %s: %w", userName, serverID, err)
	}
	return aws.ToString(out.SshPublicKeyId), nil
}

// DeleteSSHKey deletes the key keyID of the user. A key that is already gone counts as deleted.
func (s *Service) DeleteSSHKey(ctx context.Context, serverID, userName, keyID string) error {
	_, err := s.api.DeleteSshPublicKey(ctx, &transfer.DeleteSshPublicKeyInput{
		ServerId: aws.String(serverID), UserName: aws.String(userName), SshPublicKeyId: aws.String(keyID),
	})
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("deleting SSH key %s of user %s on server %s: %w", keyID, userName, serverID, err)
	}
	return nil
}

// DeleteUser deletes the user. A user or server that is already gone counts as deleted.
func (s *Service) DeleteUser(ctx context.Context, serverID, userName string) error {
	_, err := s.api.DeleteUser(ctx, &transfer.DeleteUserInput{ServerId: aws.String(serverID), UserName: aws.String(userName)})
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("deleting user %s on server %s: %w", userName, serverID, err)
	}
	return nil
}
