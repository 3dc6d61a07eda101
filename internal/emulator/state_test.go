package emulator_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

func TestStateTransitionsFollowTheClock(t *testing.T) {
	clock := clocktesting.NewFakeClock(time.Now())
	srv := startEmulator(t, emulator.Options{Clock: clock, TransitionDelay: 2 * time.Second})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	id := createServer(t, c, nil)
	state := func() types.State { return describeServer(t, c, id).State }

	if s := state(); s != types.StateStarting {
		t.Fatalf("new server is %s, want STARTING", s)
	}
	_, err := c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: aws.String(id), LoggingRole: aws.String("")})
	wantAPIError(t, err, "ConflictException", "STARTING")
	clock.Step(1999 * time.Millisecond)
	if s := state(); s != types.StateStarting {
		t.Fatalf("1.999s after create the server is %s, want STARTING", s)
	}
	clock.Step(time.Millisecond)
	if s := state(); s != types.StateOnline {
		t.Fatalf("2s after create the server is %s, want ONLINE", s)
	}

	_, err = c.StopServer(ctx, &transfer.StopServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "StopServer")
	list, err := c.ListServers(ctx, &transfer.ListServersInput{})
	mustNoErr(t, err, "ListServers")
	if list.Servers[0].State != types.StateStopping {
		t.Fatalf("ListServers state = %s, want STOPPING", list.Servers[0].State)
	}
	_, err = c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: aws.String(id), LoggingRole: aws.String("")})
	wantAPIError(t, err, "ConflictException", "STOPPING")
	clock.Step(2 * time.Second)
	if s := state(); s != types.StateOffline {
		t.Fatalf("after stopping the server is %s, want OFFLINE", s)
	}
	_, err = c.StartServer(ctx, &transfer.StartServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "StartServer")
	if s := state(); s != types.StateStarting {
		t.Fatalf("after StartServer the server is %s, want STARTING", s)
	}
	clock.Step(2 * time.Second)
	if s := state(); s != types.StateOnline {
		t.Fatalf("after starting the server is %s, want ONLINE", s)
	}
}

// TestStartStopByState checks StartServer and StopServer in every state.
func TestStartStopByState(t *testing.T) {
	clock := clocktesting.NewFakeClock(time.Now())
	srv := startEmulator(t, emulator.Options{Clock: clock, TransitionDelay: time.Second})
	c := newClient(srv.URL(), testRegion, noRetries)
	rows := []struct {
		state                 string
		startErr, stopErr     bool
		afterStart, afterStop string
	}{
		{emulator.StateOnline, false, false, "ONLINE", "STOPPING"},
		{emulator.StateOffline, false, true, "STARTING", "OFFLINE"},
		{emulator.StateStarting, true, true, "STARTING", "STARTING"},
		{emulator.StateStopping, true, true, "STOPPING", "STOPPING"},
		{emulator.StateStartFailed, false, true, "STARTING", "START_FAILED"},
		{emulator.StateStopFailed, true, false, "STOP_FAILED", "STOPPING"},
	}
	for _, row := range rows {
		t.Run(row.state, func(t *testing.T) {
			for _, op := range []string{"StartServer", "StopServer"} {
				id := createServer(t, c, nil)
				clock.Step(time.Second)
				mustNoErr(t, srv.ModifyServer(testRegion, id, func(r *emulator.ServerRecord) { r.State = row.state }), "ModifyServer")
				var err error
				wantErr, wantState := row.startErr, row.afterStart
				if op == "StartServer" {
					_, err = c.StartServer(ctxT(t), &transfer.StartServerInput{ServerId: aws.String(id)})
				} else {
					_, err = c.StopServer(ctxT(t), &transfer.StopServerInput{ServerId: aws.String(id)})
					wantErr, wantState = row.stopErr, row.afterStop
				}
				if wantErr {
					wantAPIError(t, err, "InvalidRequestException", row.state)
				} else {
					mustNoErr(t, err, op)
				}
				if got := string(describeServer(t, c, id).State); got != wantState {
					t.Errorf("%s from %s: state %s, want %s", op, row.state, got, wantState)
				}
			}
		})
	}
}

func TestInjectedTransitionFailures(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	id := createServer(t, c, nil)

	mustNoErr(t, srv.FailNextTransition(testRegion, id), "FailNextTransition")
	_, err := c.StopServer(ctx, &transfer.StopServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "StopServer")
	if s := describeServer(t, c, id).State; s != types.StateStopFailed {
		t.Fatalf("state %s, want STOP_FAILED", s)
	}
	_, err = c.StopServer(ctx, &transfer.StopServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "StopServer again")
	if s := describeServer(t, c, id).State; s != types.StateOffline {
		t.Fatalf("state %s, want OFFLINE after retrying the stop", s)
	}

	mustNoErr(t, srv.FailNextTransition(testRegion, id), "FailNextTransition")
	_, err = c.StartServer(ctx, &transfer.StartServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "StartServer")
	waiter := transfer.NewServerOnlineWaiter(c, func(o *transfer.ServerOnlineWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, time.Millisecond
	})
	err = waiter.Wait(ctx, &transfer.DescribeServerInput{ServerId: aws.String(id)}, 5*time.Second)
	if err == nil {
		t.Fatal("the SDK's ServerOnline waiter succeeded on a server in START_FAILED")
	}
	_, err = c.StartServer(ctx, &transfer.StartServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "StartServer from START_FAILED")
	mustNoErr(t, waiter.Wait(ctx, &transfer.DescribeServerInput{ServerId: aws.String(id)}, 30*time.Second), "ServerOnline waiter")
}

// TestOfflineOnlyChanges checks the UpdateServer rules that need the server
// stopped or depend on its current endpoint.
func TestOfflineOnlyChanges(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	update := func(ctx context.Context, in *transfer.UpdateServerInput) error {
		_, err := c.UpdateServer(ctx, in)
		return err
	}
	stop := func(t *testing.T, id string) {
		_, err := c.StopServer(ctxT(t), &transfer.StopServerInput{ServerId: aws.String(id)})
		mustNoErr(t, err, "StopServer")
	}

	t.Run("IpAddressType", func(t *testing.T) {
		id := createServer(t, c, nil)
		in := &transfer.UpdateServerInput{ServerId: aws.String(id), IpAddressType: types.IpAddressTypeDualstack}
		wantAPIError(t, update(ctxT(t), in), "InvalidRequestException", "OFFLINE", "IpAddressType")
		mustNoErr(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), IpAddressType: types.IpAddressTypeIpv4}), "unchanged IpAddressType while ONLINE")
		stop(t, id)
		mustNoErr(t, update(ctxT(t), in), "IpAddressType while OFFLINE")
		if got := describeServer(t, c, id).IpAddressType; got != types.IpAddressTypeDualstack {
			t.Errorf("IpAddressType = %s", got)
		}
	})
	t.Run("EndpointType", func(t *testing.T) {
		id := createServer(t, c, nil)
		in := &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointType: types.EndpointTypeVpc, EndpointDetails: &types.EndpointDetails{
			VpcId: aws.String("vpc-1"), SubnetIds: []string{"subnet-a"}, SecurityGroupIds: []string{"sg-0123456789abcdef0"},
		}}
		wantAPIError(t, update(ctxT(t), in), "InvalidRequestException", "OFFLINE", "EndpointType")
		stop(t, id)
		withEIPs := *in
		withEIPs.EndpointDetails = &types.EndpointDetails{VpcId: aws.String("vpc-1"), SubnetIds: []string{"subnet-a"}, AddressAllocationIds: []string{"eipalloc-a"}}
		wantAPIError(t, update(ctxT(t), &withEIPs), "InvalidRequestException", "AddressAllocationIds", "EndpointType: VPC")
		mustNoErr(t, update(ctxT(t), in), "PUBLIC to VPC with security groups while OFFLINE")
		snap, _ := srv.Snapshot().Server(testRegion, id)
		if len(snap.EndpointDetails.SecurityGroupIDs) != 1 || snap.EndpointDetails.VpcEndpointID == "" {
			t.Errorf("after PUBLIC to VPC: %+v", snap.EndpointDetails)
		}
		back := &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointType: types.EndpointTypePublic}
		mustNoErr(t, update(ctxT(t), back), "VPC to PUBLIC")
		if d := describeServer(t, c, id).EndpointDetails; d != nil {
			t.Errorf("a PUBLIC server kept EndpointDetails %+v", d)
		}
	})
	t.Run("AddressAllocationIds", func(t *testing.T) {
		id := createServer(t, c, vpcServer(2))
		eips := &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{AddressAllocationIds: []string{"eipalloc-a", "eipalloc-b"}}}
		wantAPIError(t, update(ctxT(t), eips), "InvalidRequestException", "OFFLINE", "AddressAllocationIds")
		stop(t, id)
		wantAPIError(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{
			AddressAllocationIds: []string{"eipalloc-a"},
		}}), "InvalidRequestException", "AddressAllocationIds", "equal in length")
		wantAPIError(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{
			AddressAllocationIds: []string{"eipalloc-a", "eipalloc-a"},
		}}), "InvalidRequestException", "AddressAllocationIds", "more than once")
		wantAPIError(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{
			SubnetIds: []string{"subnet-x", "subnet-y"}, AddressAllocationIds: []string{"eipalloc-a", "eipalloc-b"},
		}}), "InvalidRequestException", "SubnetIds", "same call")
		mustNoErr(t, update(ctxT(t), eips), "AddressAllocationIds while OFFLINE")
		d := describeServer(t, c, id).EndpointDetails
		if len(d.AddressAllocationIds) != 2 || len(d.SubnetIds) != 2 || aws.ToString(d.VpcId) == "" {
			t.Errorf("UpdateServer with only AddressAllocationIds must keep the other endpoint details: %+v", d)
		}
		wantAPIError(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), IpAddressType: types.IpAddressTypeDualstack}),
			"InvalidRequestException", "AddressAllocationIds", "DUALSTACK")
		wantAPIError(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{
			SubnetIds: []string{"subnet-x", "subnet-y"},
		}}), "InvalidRequestException", "AddressAllocationIds must be removed before SubnetIds")
		mustNoErr(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{
			AddressAllocationIds: []string{},
		}}), "removing AddressAllocationIds")
		mustNoErr(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{
			SubnetIds: []string{"subnet-x", "subnet-y"},
		}}), "changing SubnetIds without AddressAllocationIds")
	})
	t.Run("at most three Elastic IPs", func(t *testing.T) {
		id := createServer(t, c, vpcServer(4))
		stop(t, id)
		wantAPIError(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{
			AddressAllocationIds: []string{"eipalloc-a", "eipalloc-b", "eipalloc-c", "eipalloc-d"},
		}}), "InvalidRequestException", "AddressAllocationIds", "at most 3")
	})
	t.Run("VPC endpoint identity", func(t *testing.T) {
		id := createServer(t, c, vpcServer(1))
		wantAPIError(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{VpcId: aws.String("vpc-other")}}),
			"InvalidRequestException", "VpcId")
		wantAPIError(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{
			SecurityGroupIds: []string{"sg-0123456789abcdef0"},
		}}), "InvalidRequestException", "SecurityGroupIds")
		wantAPIError(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{
			VpcEndpointId: aws.String("vpce-0123456789abcdef0"),
		}}), "InvalidRequestException", "VpcEndpointId")
	})
	t.Run("FTP and AddressAllocationIds", func(t *testing.T) {
		in := lambdaVPC(func(*transfer.CreateServerInput) {})
		id := createServer(t, c, in)
		stop(t, id)
		mustNoErr(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), EndpointDetails: &types.EndpointDetails{
			AddressAllocationIds: []string{"eipalloc-a"},
		}}), "AddressAllocationIds")
		wantAPIError(t, update(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), Protocols: []types.Protocol{types.ProtocolFtp}}),
			"InvalidRequestException", "AddressAllocationIds", "FTP")
	})
}
