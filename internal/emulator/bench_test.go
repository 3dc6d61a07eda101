package emulator

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
)

// BenchmarkUserOperations measures per-user operations through the SDK
// client over HTTP on a server holding 100 users and one holding 100,000:
// the per-operation cost must not grow with the number of users.
//
//	go test ./internal/emulator -run '^$' -bench UserOperations -benchtime 2000x
func BenchmarkUserOperations(b *testing.B) {
	for _, users := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			srv, err := Start(Options{Seed: 7})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			const region = "us-east-1"
			out, err := srv.createServer(region, &createServerInput{})
			if err != nil {
				b.Fatal(err)
			}
			serverID := out.(serverIDOutput).ServerID
			name := func(i int) string { return fmt.Sprintf("user%07d", i) }
			for i := range users {
				in := &createUserInput{userSettingsInput: userSettingsInput{ServerID: serverID, UserName: name(i), homeSettingsInput: homeSettingsInput{Role: aws.String("arn:aws:iam::111122223333:role/r")}}}
				if _, err := srv.createUser(region, in); err != nil {
					b.Fatal(err)
				}
			}
			c := transfer.NewFromConfig(aws.Config{
				Region:       region,
				Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
				BaseEndpoint: aws.String(srv.URL()),
			})
			ctx := context.Background()
			middle := srv.encodeToken(pageToken{Op: "ListUsers", Scope: serverID, After: name(users / 4)})

			b.Run("DescribeUser", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					if _, err := c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: aws.String(serverID), UserName: aws.String(name(i % users))}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("ListUsersPageOf50", func(b *testing.B) {
				for b.Loop() {
					page, err := c.ListUsers(ctx, &transfer.ListUsersInput{ServerId: aws.String(serverID), MaxResults: aws.Int32(50), NextToken: aws.String(middle)})
					if err != nil || len(page.Users) != 50 {
						b.Fatalf("page of %d users: %v", len(page.Users), err)
					}
				}
			})
			b.Run("CreateAndDeleteUser", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					n := aws.String(fmt.Sprintf("extra%07d", i))
					if _, err := c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: aws.String(serverID), UserName: n, Role: aws.String("arn:aws:iam::111122223333:role/r")}); err != nil {
						b.Fatal(err)
					}
					if _, err := c.DeleteUser(ctx, &transfer.DeleteUserInput{ServerId: aws.String(serverID), UserName: n}); err != nil {
						b.Fatal(err)
					}
				}
			})
			// The same operations without HTTP and the SDK, where a scan
			// over the users would dominate.
			b.Run("InProcessDescribeUser", func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					if _, err := srv.describeUser(region, &userIDInput{ServerID: serverID, UserName: name(i % users)}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("InProcessListUsersPageOf50", func(b *testing.B) {
				for b.Loop() {
					if _, err := srv.listUsers(region, &listUsersInput{listInput: listInput{MaxResults: aws.Int(50), NextToken: aws.String(middle)}, ServerID: serverID}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("DescribeServer", func(b *testing.B) {
				for b.Loop() {
					if _, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: aws.String(serverID)}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
