package emulator_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// TestUpdateServerClearsFields checks that UpdateServer takes the values that clear a field, as
// AWS documents them, and that DescribeServer then omits the field: LoggingRole and the banners
// "" (service model: NullableRole "(|arn:.*role/\S+)", banners min 0), StructuredLogDestinations
// [] (SDK: "you can clear it ... by providing an empty value"), WorkflowDetails {"OnUpload":[]}
// (SDK: "To remove an associated workflow from a server, you can provide an empty OnUpload
// object").
func TestUpdateServerClearsFields(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	workflow := []types.WorkflowDetail{{WorkflowId: aws.String("w-0123456789abcdef0"), ExecutionRole: aws.String(testRole)}}
	id := createServer(t, c, &transfer.CreateServerInput{
		LoggingRole:                   aws.String(testRole),
		PreAuthenticationLoginBanner:  aws.String("Authorized use only"),
		PostAuthenticationLoginBanner: aws.String("Welcome"),
		StructuredLogDestinations:     []string{"arn:aws:logs:us-east-1:111122223333:log-group:transfer:*"},
		WorkflowDetails:               &types.WorkflowDetails{OnUpload: workflow, OnPartialUpload: workflow},
	})
	d := describeServer(t, c, id)
	if d.LoggingRole == nil || d.PreAuthenticationLoginBanner == nil || d.PostAuthenticationLoginBanner == nil ||
		len(d.StructuredLogDestinations) == 0 || d.WorkflowDetails == nil {
		t.Fatalf("created server lacks a field the test clears: %+v", d)
	}
	_, err := c.UpdateServer(ctxT(t), &transfer.UpdateServerInput{
		ServerId:                      aws.String(id),
		LoggingRole:                   aws.String(""),
		PreAuthenticationLoginBanner:  aws.String(""),
		PostAuthenticationLoginBanner: aws.String(""),
		StructuredLogDestinations:     []string{},
		WorkflowDetails:               &types.WorkflowDetails{OnUpload: []types.WorkflowDetail{}},
	})
	mustNoErr(t, err, "UpdateServer with clearing values")
	d = describeServer(t, c, id)
	if d.LoggingRole != nil || d.PreAuthenticationLoginBanner != nil || d.PostAuthenticationLoginBanner != nil ||
		d.StructuredLogDestinations != nil || d.WorkflowDetails != nil {
		t.Errorf("after clearing, DescribeServer reports LoggingRole %v, banners %v/%v, StructuredLogDestinations %v, WorkflowDetails %+v; want none",
			d.LoggingRole, d.PreAuthenticationLoginBanner, d.PostAuthenticationLoginBanner, d.StructuredLogDestinations, d.WorkflowDetails)
	}
}

// TestUpdateUserClearsFields checks that UpdateUser takes "" for Policy and HomeDirectory (service
// model: Policy min 0, HomeDirectory "(|/.*)") and that DescribeUser then omits them.
func TestUpdateUserClearsFields(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	id := createServer(t, c, nil)
	_, err := c.CreateUser(ctxT(t), &transfer.CreateUserInput{
		ServerId: aws.String(id), UserName: aws.String("alice"), Role: aws.String(testRole),
		Policy:        aws.String(`{"Version":"2012-10-17","Statement":[]}`),
		HomeDirectory: aws.String("/bucket/home/alice"),
	})
	mustNoErr(t, err, "CreateUser")
	_, err = c.UpdateUser(ctxT(t), &transfer.UpdateUserInput{
		ServerId: aws.String(id), UserName: aws.String("alice"), Policy: aws.String(""), HomeDirectory: aws.String(""),
	})
	mustNoErr(t, err, "UpdateUser with clearing values")
	out, err := c.DescribeUser(ctxT(t), &transfer.DescribeUserInput{ServerId: aws.String(id), UserName: aws.String("alice")})
	mustNoErr(t, err, "DescribeUser")
	if u := out.User; u.Policy != nil || u.HomeDirectory != nil {
		t.Errorf("after clearing, DescribeUser reports Policy %v, HomeDirectory %v; want neither", u.Policy, u.HomeDirectory)
	}
}
