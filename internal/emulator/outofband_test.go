package emulator_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

func TestOutOfBandChanges(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	id := createServer(t, c, nil)
	createUser(t, c, id, "heidi")

	mustNoErr(t, srv.ModifyServer(testRegion, id, func(r *emulator.ServerRecord) {
		r.ServerID = "s-ffffffffffffffff0" // identity cannot change
		r.SecurityPolicyName = "TransferSecurityPolicy-2024-01"
		r.Tags = append(r.Tags, emulator.Tag{Key: "changed-by", Value: "console"})
	}), "ModifyServer")
	s := describeServer(t, c, id)
	if aws.ToString(s.SecurityPolicyName) != "TransferSecurityPolicy-2024-01" || len(s.Tags) != 1 || aws.ToString(s.ServerId) != id {
		t.Errorf("after ModifyServer: %+v", s)
	}

	mustNoErr(t, srv.ModifyUser(testRegion, id, "heidi", func(u *emulator.UserRecord) {
		u.HomeDirectory = "/drifted"
	}), "ModifyUser")
	d, err := c.DescribeUser(ctxT(t), &transfer.DescribeUserInput{ServerId: aws.String(id), UserName: aws.String("heidi")})
	mustNoErr(t, err, "DescribeUser")
	if aws.ToString(d.User.HomeDirectory) != "/drifted" {
		t.Errorf("HomeDirectory = %q after ModifyUser", aws.ToString(d.User.HomeDirectory))
	}

	mustNoErr(t, srv.DeleteUserOutOfBand(testRegion, id, "heidi"), "DeleteUserOutOfBand")
	_, err = c.DescribeUser(ctxT(t), &transfer.DescribeUserInput{ServerId: aws.String(id), UserName: aws.String("heidi")})
	wantAPIError(t, err, "ResourceNotFoundException")

	mustNoErr(t, srv.DeleteServerOutOfBand(testRegion, id), "DeleteServerOutOfBand")
	_, err = c.DescribeServer(ctxT(t), &transfer.DescribeServerInput{ServerId: aws.String(id)})
	wantAPIError(t, err, "ResourceNotFoundException")

	if err := srv.ModifyServer(testRegion, id, func(*emulator.ServerRecord) {}); err == nil {
		t.Error("ModifyServer of a deleted server succeeded")
	}
	if err := srv.DeleteUserOutOfBand("eu-west-1", id, "heidi"); err == nil {
		t.Error("DeleteUserOutOfBand in a region without the server succeeded")
	}
	if n := srv.Calls().Writes(); n != 2 {
		t.Errorf("out-of-band changes were counted as API calls: %d writes, want the 2 made through the API", n)
	}
}

func TestOutOfBandStateChange(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	id := createServer(t, c, nil)
	mustNoErr(t, srv.ModifyServer(testRegion, id, func(r *emulator.ServerRecord) { r.State = emulator.StateOffline }), "ModifyServer")
	if st := describeServer(t, c, id).State; st != types.StateOffline {
		t.Errorf("state %s after stopping the server out of band", st)
	}
}
