package emulator_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

func TestTagsOnServersAndUsers(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	serverID := createServer(t, c, &transfer.CreateServerInput{Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}})
	serverArn := describeServer(t, c, serverID).Arn
	createUser(t, c, serverID, "erin")
	userArn := aws.String("arn:aws:transfer:us-east-1:111122223333:user/" + serverID + "/erin")

	tagsOf := func(arn *string) map[string]string {
		out, err := c.ListTagsForResource(ctx, &transfer.ListTagsForResourceInput{Arn: arn})
		mustNoErr(t, err, "ListTagsForResource")
		m := map[string]string{}
		for _, tag := range out.Tags {
			m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		return m
	}

	_, err := c.TagResource(ctx, &transfer.TagResourceInput{Arn: serverArn, Tags: []types.Tag{
		{Key: aws.String("env"), Value: aws.String("prod")},
		{Key: aws.String("aws:transfer:customHostname"), Value: aws.String("sftp.example.com")},
	}})
	mustNoErr(t, err, "TagResource on the server")
	if got := tagsOf(serverArn); len(got) != 2 || got["env"] != "prod" || got["aws:transfer:customHostname"] != "sftp.example.com" {
		t.Errorf("server tags = %v", got)
	}
	_, err = c.UntagResource(ctx, &transfer.UntagResourceInput{Arn: serverArn, TagKeys: []string{"env", "absent"}})
	mustNoErr(t, err, "UntagResource")
	if got := tagsOf(serverArn); len(got) != 1 {
		t.Errorf("server tags after untag = %v", got)
	}

	_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: userArn, Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("erin")}}})
	mustNoErr(t, err, "TagResource on the user")
	d, err := c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: aws.String(serverID), UserName: aws.String("erin")})
	mustNoErr(t, err, "DescribeUser")
	if len(d.User.Tags) != 1 || aws.ToString(d.User.Tags[0].Value) != "erin" {
		t.Errorf("DescribeUser tags = %v", d.User.Tags)
	}
}

func TestTagLimits(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	arn := describeServer(t, c, createServer(t, c, nil)).Arn
	var tags []types.Tag
	for i := range 50 {
		tags = append(tags, types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")})
	}
	_, err := c.TagResource(ctx, &transfer.TagResourceInput{Arn: arn, Tags: tags})
	mustNoErr(t, err, "50 tags")
	_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: arn, Tags: []types.Tag{{Key: aws.String("k0"), Value: aws.String("updated")}}})
	mustNoErr(t, err, "updating one of 50 tags")
	_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: arn, Tags: []types.Tag{{Key: aws.String("k50"), Value: aws.String("v")}}})
	wantAPIError(t, err, "InvalidRequestException", "Tags", "50")
	_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: arn, Tags: []types.Tag{{Key: aws.String("aws:transfer:route53HostedZoneId"), Value: aws.String("/hostedzone/Z1")}}})
	mustNoErr(t, err, "the reserved Transfer hostname tag does not count towards 50")
	_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: arn, Tags: []types.Tag{{Key: aws.String("AWS:Other"), Value: aws.String("v")}}})
	wantAPIError(t, err, "InvalidRequestException", "aws:")
}

func TestTagResourceArns(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	id := createServer(t, c, nil)
	tag := []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}
	rows := []struct{ name, arn, code string }{
		{"missing server", "arn:aws:transfer:us-east-1:111122223333:server/s-0123456789abcdef0", "ResourceNotFoundException"},
		{"missing user", "arn:aws:transfer:us-east-1:111122223333:user/" + id + "/nobody", "ResourceNotFoundException"},
		{"other region", "arn:aws:transfer:eu-west-1:111122223333:server/" + id, "ResourceNotFoundException"},
		{"other account", "arn:aws:transfer:us-east-1:999999999999:server/" + id, "ResourceNotFoundException"},
		{"workflow", "arn:aws:transfer:us-east-1:111122223333:workflow/w-0123456789abcdef0", "ResourceNotFoundException"},
		{"not a Transfer ARN", "arn:aws:s3:::bucket-name-here", "InvalidRequestException"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			_, err := c.TagResource(ctxT(t), &transfer.TagResourceInput{Arn: aws.String(row.arn), Tags: tag})
			wantAPIError(t, err, row.code)
		})
	}
}

// TestCreateServerTakesCustomHostnameTags checks that CreateServer, like TagResource, accepts the
// two custom hostname tags, the only aws: keys users may set, and still refuses any other.
func TestCreateServerTakesCustomHostnameTags(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	hostname := []types.Tag{
		{Key: aws.String("aws:transfer:customHostname"), Value: aws.String("sftp.example.com")},
		{Key: aws.String("aws:transfer:route53HostedZoneId"), Value: aws.String("/hostedzone/Z1")},
	}
	id := createServer(t, c, &transfer.CreateServerInput{Tags: hostname})
	if got := describeServer(t, c, id).Tags; len(got) != 2 {
		t.Errorf("tags = %v, want the two custom hostname tags", got)
	}
	_, err := c.CreateServer(ctxT(t), &transfer.CreateServerInput{Tags: append(hostname, types.Tag{Key: aws.String("aws:transfer:other"), Value: aws.String("v")})})
	wantAPIError(t, err, "InvalidRequestException", "aws:")
}
