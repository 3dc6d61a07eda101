package emulator_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

func TestUserLifecycle(t *testing.T) {
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := clocktesting.NewFakeClock(start)
	srv := startEmulator(t, emulator.Options{Clock: clock})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	serverID := createServer(t, c, nil)
	key1 := newUserKey(t, "alice@laptop")

	_, err := c.CreateUser(ctx, &transfer.CreateUserInput{
		ServerId:          aws.String(serverID),
		UserName:          aws.String("alice"),
		Role:              aws.String(testRole),
		HomeDirectoryType: types.HomeDirectoryTypeLogical,
		HomeDirectoryMappings: []types.HomeDirectoryMapEntry{
			{Entry: aws.String("/"), Target: aws.String("/bucket/home/${Transfer:UserName}")},
		},
		PosixProfile:     &types.PosixProfile{Uid: aws.Int64(1000), Gid: aws.Int64(100), SecondaryGids: []int64{10}},
		Policy:           aws.String(`{"Version":"2012-10-17","Statement":[]}`),
		SshPublicKeyBody: aws.String(key1),
		Tags:             []types.Tag{{Key: aws.String("owner"), Value: aws.String("alice")}},
	})
	mustNoErr(t, err, "CreateUser")
	if n := aws.ToInt32(describeServer(t, c, serverID).UserCount); n != 1 {
		t.Errorf("UserCount = %d, want 1", n)
	}

	d, err := c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: aws.String(serverID), UserName: aws.String("alice")})
	mustNoErr(t, err, "DescribeUser")
	u := d.User
	if got, want := aws.ToString(u.Arn), "arn:aws:transfer:us-east-1:111122223333:user/"+serverID+"/alice"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if got := aws.ToString(u.HomeDirectoryMappings[0].Target); got != "/bucket/home/alice" {
		t.Errorf("mapping target = %s, want ${Transfer:UserName} expanded as the service returns it", got)
	}
	if u.HomeDirectoryType != types.HomeDirectoryTypeLogical || aws.ToInt64(u.PosixProfile.Uid) != 1000 || len(u.Tags) != 1 {
		t.Errorf("user = %+v", u)
	}
	if len(u.SshPublicKeys) != 1 {
		t.Fatalf("SshPublicKeys = %+v, want the key given at creation", u.SshPublicKeys)
	}
	k := u.SshPublicKeys[0]
	if !regexp.MustCompile(`^key-[0-9a-f]{17}$`).MatchString(aws.ToString(k.SshPublicKeyId)) ||
		aws.ToString(k.SshPublicKeyBody) != key1 || !aws.ToTime(k.DateImported).Equal(start) {
		t.Errorf("key = id %s body %q imported %v, want key-<17 hex>, the body, %v",
			aws.ToString(k.SshPublicKeyId), aws.ToString(k.SshPublicKeyBody), aws.ToTime(k.DateImported), start)
	}

	_, err = c.UpdateUser(ctx, &transfer.UpdateUserInput{
		ServerId: aws.String(serverID), UserName: aws.String("alice"),
		HomeDirectoryType: types.HomeDirectoryTypePath, HomeDirectory: aws.String("/bucket/alice"),
	})
	mustNoErr(t, err, "UpdateUser")
	d, err = c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: aws.String(serverID), UserName: aws.String("alice")})
	mustNoErr(t, err, "DescribeUser")
	if u := d.User; u.HomeDirectoryType != types.HomeDirectoryTypePath || len(u.HomeDirectoryMappings) != 0 ||
		aws.ToString(u.HomeDirectory) != "/bucket/alice" || aws.ToString(u.Role) != testRole || aws.ToString(u.Policy) == "" {
		t.Errorf("after UpdateUser: %+v", u)
	}

	clock.Step(time.Hour)
	key2 := newUserKey(t, "alice@ci")
	imp, err := c.ImportSshPublicKey(ctx, &transfer.ImportSshPublicKeyInput{
		ServerId: aws.String(serverID), UserName: aws.String("alice"), SshPublicKeyBody: aws.String(key2),
	})
	mustNoErr(t, err, "ImportSshPublicKey")
	_, err = c.ImportSshPublicKey(ctx, &transfer.ImportSshPublicKeyInput{
		ServerId: aws.String(serverID), UserName: aws.String("alice"),
		SshPublicKeyBody: aws.String(strings.TrimSuffix(key1, "alice@laptop") + "another comment"),
	})
	wantAPIError(t, err, "ResourceExistsException")

	list, err := c.ListUsers(ctx, &transfer.ListUsersInput{ServerId: aws.String(serverID)})
	mustNoErr(t, err, "ListUsers")
	if len(list.Users) != 1 || aws.ToInt32(list.Users[0].SshPublicKeyCount) != 2 || aws.ToString(list.ServerId) != serverID {
		t.Errorf("ListUsers = %+v", list)
	}

	_, err = c.DeleteSshPublicKey(ctx, &transfer.DeleteSshPublicKeyInput{
		ServerId: aws.String(serverID), UserName: aws.String("alice"), SshPublicKeyId: imp.SshPublicKeyId,
	})
	mustNoErr(t, err, "DeleteSshPublicKey")
	_, err = c.DeleteSshPublicKey(ctx, &transfer.DeleteSshPublicKeyInput{
		ServerId: aws.String(serverID), UserName: aws.String("alice"), SshPublicKeyId: imp.SshPublicKeyId,
	})
	wantAPIError(t, err, "ResourceNotFoundException")

	_, err = c.DeleteUser(ctx, &transfer.DeleteUserInput{ServerId: aws.String(serverID), UserName: aws.String("alice")})
	mustNoErr(t, err, "DeleteUser")
	_, err = c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: aws.String(serverID), UserName: aws.String("alice")})
	var nf *types.ResourceNotFoundException
	if wantAPIError(t, err, "ResourceNotFoundException"); !errors.As(err, &nf) || aws.ToString(nf.ResourceType) != "User" || aws.ToString(nf.Resource) != "alice" {
		t.Errorf("not found error = %+v, want ResourceType User, Resource alice", nf)
	}
	if n := aws.ToInt32(describeServer(t, c, serverID).UserCount); n != 0 {
		t.Errorf("UserCount = %d after deleting the user", n)
	}
}

func TestUserNameUniquePerServer(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	a, b := createServer(t, c, nil), createServer(t, c, nil)
	createUser(t, c, a, "bob")
	createUser(t, c, b, "bob")
	_, err := c.CreateUser(ctxT(t), &transfer.CreateUserInput{ServerId: aws.String(a), UserName: aws.String("bob"), Role: aws.String(testRole)})
	wantAPIError(t, err, "ResourceExistsException")
	var exists *types.ResourceExistsException
	if !errors.As(err, &exists) || aws.ToString(exists.Resource) != "bob" || aws.ToString(exists.ResourceType) != "User" {
		t.Errorf("ResourceExistsException = %+v, want Resource bob, ResourceType User", exists)
	}
}

func TestUserOnMissingServer(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	_, err := c.CreateUser(ctxT(t), &transfer.CreateUserInput{ServerId: aws.String("s-0123456789abcdef0"), UserName: aws.String("bob"), Role: aws.String(testRole)})
	var nf *types.ResourceNotFoundException
	if wantAPIError(t, err, "ResourceNotFoundException"); !errors.As(err, &nf) || aws.ToString(nf.ResourceType) != "Server" {
		t.Errorf("error = %+v, want the server reported missing", nf)
	}
}

func TestSSHPublicKeyQuota(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	serverID := createServer(t, c, nil)
	createUser(t, c, serverID, "carol")
	for i := range 50 {
		_, err := c.ImportSshPublicKey(ctxT(t), &transfer.ImportSshPublicKeyInput{
			ServerId: aws.String(serverID), UserName: aws.String("carol"), SshPublicKeyBody: aws.String(newUserKey(t, "k")),
		})
		mustNoErr(t, err, fmt.Sprint("ImportSshPublicKey ", i+1))
	}
	_, err := c.ImportSshPublicKey(ctxT(t), &transfer.ImportSshPublicKeyInput{
		ServerId: aws.String(serverID), UserName: aws.String("carol"), SshPublicKeyBody: aws.String(newUserKey(t, "k")),
	})
	wantAPIError(t, err, "InvalidRequestException", "50")
}

func TestDeleteServerDeletesItsUsers(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	serverID := createServer(t, c, nil)
	createUser(t, c, serverID, "dave")
	_, err := c.DeleteServer(ctxT(t), &transfer.DeleteServerInput{ServerId: aws.String(serverID)})
	mustNoErr(t, err, "DeleteServer of a server with users")
	if n := len(srv.Snapshot().Regions[testRegion].Servers); n != 0 {
		t.Errorf("%d servers left", n)
	}
	_, err = c.DescribeUser(ctxT(t), &transfer.DescribeUserInput{ServerId: aws.String(serverID), UserName: aws.String("dave")})
	wantAPIError(t, err, "ResourceNotFoundException")
}
