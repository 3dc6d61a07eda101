package emulator_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

func TestListServersPages(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	var want []string
	for range 7 {
		want = append(want, createServer(t, c, nil))
	}
	slices.Sort(want)
	var got []string
	pages := 0
	p := transfer.NewListServersPaginator(c, &transfer.ListServersInput{MaxResults: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctxT(t))
		mustNoErr(t, err, "ListServers page")
		pages++
		if len(page.Servers) > 3 {
			t.Errorf("page of %d servers with MaxResults 3", len(page.Servers))
		}
		for _, s := range page.Servers {
			got = append(got, aws.ToString(s.ServerId))
		}
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Errorf("got %d pages %v, want 3 pages %v", pages, got, want)
	}
}

func TestListUsersPagesWhileUsersChange(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	serverID := createServer(t, c, nil)
	for i := range 25 {
		createUser(t, c, serverID, fmt.Sprintf("user%02d", i))
	}
	var got []string
	p := transfer.NewListUsersPaginator(c, &transfer.ListUsersInput{ServerId: aws.String(serverID), MaxResults: aws.Int32(10)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctxT(t))
		mustNoErr(t, err, "ListUsers page")
		for _, u := range page.Users {
			got = append(got, aws.ToString(u.UserName))
		}
		if len(got) == 10 {
			// A user before the position and one after it change while
			// paging: the listing continues after the last name returned.
			mustNoErr(t, srv.DeleteUserOutOfBand(testRegion, serverID, "user03"), "delete user03")
			mustNoErr(t, srv.DeleteUserOutOfBand(testRegion, serverID, "user15"), "delete user15")
			createUser(t, c, serverID, "user15b")
		}
	}
	var want []string
	for i := range 25 {
		if i != 15 {
			want = append(want, fmt.Sprintf("user%02d", i))
		}
		if i == 15 {
			want = append(want, "user15b")
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %v,\nwant %v", got, want)
	}
}

func TestListTagsForResourcePages(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	var tags []types.Tag
	for i := range 12 {
		tags = append(tags, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	arn := describeServer(t, c, createServer(t, c, &transfer.CreateServerInput{Tags: tags})).Arn
	var keys []string
	var token *string
	for {
		out, err := c.ListTagsForResource(ctxT(t), &transfer.ListTagsForResourceInput{Arn: arn, MaxResults: aws.Int32(5), NextToken: token})
		mustNoErr(t, err, "ListTagsForResource")
		if aws.ToString(out.Arn) != aws.ToString(arn) {
			t.Errorf("Arn = %s", aws.ToString(out.Arn))
		}
		for _, tag := range out.Tags {
			keys = append(keys, aws.ToString(tag.Key))
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if len(keys) != 12 || keys[0] != "k00" || keys[11] != "k11" {
		t.Errorf("listed tag keys %v", keys)
	}
}

func TestInvalidNextToken(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	a, b := createServer(t, c, nil), createServer(t, c, nil)
	for _, id := range []string{a, b} {
		createUser(t, c, id, "user1")
		createUser(t, c, id, "user2")
	}
	page, err := c.ListUsers(ctxT(t), &transfer.ListUsersInput{ServerId: aws.String(a), MaxResults: aws.Int32(1)})
	mustNoErr(t, err, "ListUsers")
	if page.NextToken == nil {
		t.Fatal("no NextToken with more users to list")
	}
	token := aws.ToString(page.NextToken)
	cases := map[string]func() error{
		"garbage": func() error {
			_, err := c.ListServers(ctxT(t), &transfer.ListServersInput{NextToken: aws.String("garbage")})
			return err
		},
		"tampered": func() error {
			_, err := c.ListUsers(ctxT(t), &transfer.ListUsersInput{ServerId: aws.String(a), NextToken: aws.String("x" + token[1:])})
			return err
		},
		"another server's token": func() error {
			_, err := c.ListUsers(ctxT(t), &transfer.ListUsersInput{ServerId: aws.String(b), NextToken: page.NextToken})
			return err
		},
		"another operation's token": func() error {
			_, err := c.ListServers(ctxT(t), &transfer.ListServersInput{NextToken: page.NextToken})
			return err
		},
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) { wantAPIError(t, call(), "InvalidNextTokenException") })
	}
	next, err := c.ListUsers(ctxT(t), &transfer.ListUsersInput{ServerId: aws.String(a), NextToken: page.NextToken, MaxResults: aws.Int32(1)})
	mustNoErr(t, err, "ListUsers with its own token")
	if len(next.Users) != 1 || aws.ToString(next.Users[0].UserName) != "user2" || next.NextToken != nil {
		t.Errorf("second page = %+v", next)
	}
}
