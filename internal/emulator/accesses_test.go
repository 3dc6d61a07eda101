package emulator_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

const testGroupSID = "S-1-5-21-1004336348-1177238915-682003330-512"

// directoryServer creates a server with the AWS_DIRECTORY_SERVICE identity provider.
func directoryServer(t testing.TB, c *transfer.Client) string {
	return createServer(t, c, &transfer.CreateServerInput{
		IdentityProviderType:    types.IdentityProviderTypeAwsDirectoryService,
		IdentityProviderDetails: &types.IdentityProviderDetails{DirectoryId: aws.String("d-1234567890")},
	})
}

// TestAccessLifecycle drives the access operations through the SDK: create with the documented
// default home directory type, describe, update, list, a second access of the same group, delete,
// and the errors for what does not exist.
func TestAccessLifecycle(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	serverID := directoryServer(t, c)

	_, err := c.CreateAccess(ctx, &transfer.CreateAccessInput{
		ServerId: aws.String(serverID), ExternalId: aws.String(testGroupSID), Role: aws.String(testRole),
		HomeDirectory: aws.String("/bucket/partners"),
	})
	mustNoErr(t, err, "CreateAccess")
	d, err := c.DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: aws.String(serverID), ExternalId: aws.String(testGroupSID)})
	mustNoErr(t, err, "DescribeAccess")
	if a := d.Access; aws.ToString(a.ExternalId) != testGroupSID || a.HomeDirectoryType != types.HomeDirectoryTypePath ||
		aws.ToString(a.HomeDirectory) != "/bucket/partners" || aws.ToString(a.Role) != testRole {
		t.Errorf("access = %+v", a)
	}

	_, err = c.CreateAccess(ctx, &transfer.CreateAccessInput{ServerId: aws.String(serverID), ExternalId: aws.String(testGroupSID), Role: aws.String(testRole)})
	wantAPIError(t, err, "ResourceExistsException")

	_, err = c.UpdateAccess(ctx, &transfer.UpdateAccessInput{
		ServerId: aws.String(serverID), ExternalId: aws.String(testGroupSID),
		HomeDirectoryType:     types.HomeDirectoryTypeLogical,
		HomeDirectoryMappings: []types.HomeDirectoryMapEntry{{Entry: aws.String("/"), Target: aws.String("/bucket/partners")}},
		Policy:                aws.String(`{"Version":"2012-10-17","Statement":[]}`),
	})
	mustNoErr(t, err, "UpdateAccess")
	d, err = c.DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: aws.String(serverID), ExternalId: aws.String(testGroupSID)})
	mustNoErr(t, err, "DescribeAccess")
	if a := d.Access; a.HomeDirectoryType != types.HomeDirectoryTypeLogical || len(a.HomeDirectoryMappings) != 1 ||
		a.HomeDirectoryMappings[0].Type != types.MapTypeDirectory || aws.ToString(a.Policy) == "" {
		t.Errorf("updated access = %+v", a)
	}

	l, err := c.ListAccesses(ctx, &transfer.ListAccessesInput{ServerId: aws.String(serverID)})
	mustNoErr(t, err, "ListAccesses")
	if len(l.Accesses) != 1 || aws.ToString(l.Accesses[0].ExternalId) != testGroupSID {
		t.Errorf("ListAccesses = %+v", l.Accesses)
	}

	_, err = c.DeleteAccess(ctx, &transfer.DeleteAccessInput{ServerId: aws.String(serverID), ExternalId: aws.String(testGroupSID)})
	mustNoErr(t, err, "DeleteAccess")
	_, err = c.DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: aws.String(serverID), ExternalId: aws.String(testGroupSID)})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.DeleteAccess(ctx, &transfer.DeleteAccessInput{ServerId: aws.String(serverID), ExternalId: aws.String(testGroupSID)})
	wantAPIError(t, err, "ResourceNotFoundException")
}

// TestAccessValidation checks what CreateAccess refuses: an ExternalId that is not a SID (the
// model's pattern), a missing role, mappings without LOGICAL, and a server whose users are not
// in a directory.
func TestAccessValidation(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	serverID := directoryServer(t, c)
	managed := createServer(t, c, nil)
	for name, in := range map[string]*transfer.CreateAccessInput{
		"not a SID":      {ServerId: aws.String(serverID), ExternalId: aws.String("partners"), Role: aws.String(testRole)},
		"no role":        {ServerId: aws.String(serverID), ExternalId: aws.String(testGroupSID)},
		"mappings":       {ServerId: aws.String(serverID), ExternalId: aws.String(testGroupSID), Role: aws.String(testRole), HomeDirectoryMappings: []types.HomeDirectoryMapEntry{{Entry: aws.String("/"), Target: aws.String("/b")}}},
		"service idp":    {ServerId: aws.String(managed), ExternalId: aws.String(testGroupSID), Role: aws.String(testRole)},
		"no such server": {ServerId: aws.String("s-00000000000000000"), ExternalId: aws.String(testGroupSID), Role: aws.String(testRole)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.CreateAccess(ctx, in)
			if err == nil {
				t.Fatal("CreateAccess succeeded")
			}
			if name == "no such server" {
				wantAPIError(t, err, "ResourceNotFoundException")
			}
		})
	}
}
