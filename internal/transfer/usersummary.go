package transfer

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
)

// listUsersPageSize is the most users one ListUsers request returns (SDK ListUsersInput.MaxResults,
// 1 to 1,000 in the service model).
const listUsersPageSize = 1000

// UserSummary is what ListUsers reports of a user (SDK types.ListedUser): its role, its home
// directory and the directory's type, and how many SSH keys it has. A change to any of them shows
// without describing the user; its policy, POSIX profile, home directory mappings, key bodies
// and tags show only in DescribeUser.
type UserSummary struct {
	Role, HomeDirectory, HomeDirectoryType string
	SSHPublicKeys                          int
}

// Summary returns what ListUsers reports of u.
func (u *User) Summary() UserSummary {
	return UserSummary{
		Role:              aws.ToString(u.described.Role),
		HomeDirectory:     aws.ToString(u.described.HomeDirectory),
		HomeDirectoryType: string(u.described.HomeDirectoryType),
		SSHPublicKeys:     len(u.described.SshPublicKeys),
	}
}

// ListUserSummaries returns the summary of every user of the server, by user name, with a
// request per 1,000 users.
func (s *Service) ListUserSummaries(ctx context.Context, serverID string) (map[string]UserSummary, error) {
	users := map[string]UserSummary{}
	pages := transfer.NewListUsersPaginator(s.api, &transfer.ListUsersInput{ServerId: aws.String(serverID), MaxResults: aws.Int32(listUsersPageSize)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the users of server %s: %w", serverID, err)
		}
		for _, u := range page.Users {
			users[aws.ToString(u.UserName)] = UserSummary{
				Role:              aws.ToString(u.Role),
				HomeDirectory:     aws.ToString(u.HomeDirectory),
				HomeDirectoryType: string(u.HomeDirectoryType),
				SSHPublicKeys:     int(aws.ToInt32(u.SshPublicKeyCount)),
			}
		}
	}
	return users, nil
}
