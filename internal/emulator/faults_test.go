package emulator_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

func TestRateLimitWithoutRetries(t *testing.T) {
	clock := clocktesting.NewFakeClock(time.Now())
	srv := startEmulator(t, emulator.Options{Clock: clock})
	c := newClient(srv.URL(), testRegion, noRetries)
	srv.SetRateLimit(1, 2)
	list := func() error {
		_, err := c.ListServers(ctxT(t), &transfer.ListServersInput{})
		return err
	}
	mustNoErr(t, list(), "first call of the burst")
	mustNoErr(t, list(), "second call of the burst")
	wantAPIError(t, list(), "ThrottlingException")
	// UpdateServer models ThrottlingException, so the SDK decodes its
	// members; for ListServers it is a generic API error with the same code.
	_, err := c.UpdateServer(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String("s-0123456789abcdef0")})
	var th *types.ThrottlingException
	if !errors.As(err, &th) || aws.ToString(th.RetryAfterSeconds) == "" || httpStatus(err) != 400 {
		t.Errorf("throttling error = %+v (HTTP %d), want RetryAfterSeconds and HTTP 400", th, httpStatus(err))
	}
	clock.Step(time.Second)
	mustNoErr(t, list(), "call after a token refilled")
	srv.SetRateLimit(0, 0)
	for range 5 {
		mustNoErr(t, list(), "call without a rate limit")
	}
	if n := srv.Calls().Outcome("ListServers", "ThrottlingException"); n != 1 {
		t.Errorf("%d throttled ListServers calls counted, want 1", n)
	}
}

func TestRateLimitRetriedBySDK(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, fastRetries(20))
	srv.SetRateLimit(200, 1)
	for range 5 {
		_, err := c.ListServers(ctxT(t), &transfer.ListServersInput{})
		mustNoErr(t, err, "ListServers under a rate limit, with SDK retries")
	}
	calls := srv.Calls()
	if calls.Outcome("ListServers", "ok") != 5 || calls.Outcome("ListServers", "ThrottlingException") == 0 {
		t.Errorf("calls = %v, want 5 ok and some throttled attempts the SDK retried", calls)
	}
}

func TestFailNextRetriedBySDK(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, fastRetries(5))
	id := createServer(t, c, nil)
	mustNoErr(t, srv.FailNext("UpdateServer", 2, emulator.FailThrottling), "FailNext")
	mustNoErr(t, srv.FailNext("UpdateServer", 1, emulator.FailServiceUnavailable), "FailNext")
	_, err := c.UpdateServer(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), LoggingRole: aws.String("")})
	mustNoErr(t, err, "UpdateServer after 3 injected failures")
	calls := srv.Calls()
	if calls.Outcome("UpdateServer", "ThrottlingException") != 2 || calls.Outcome("UpdateServer", "ServiceUnavailableException") != 1 ||
		calls.Outcome("UpdateServer", "ok") != 1 {
		t.Errorf("UpdateServer calls = %v", calls["UpdateServer"])
	}
}

func TestInjectedServerErrors(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	mustNoErr(t, srv.FailNext(emulator.AnyOperation, 1, emulator.FailInternalError), "FailNext")
	_, err := c.ListServers(ctxT(t), &transfer.ListServersInput{})
	wantAPIError(t, err, "InternalServiceError")
	if httpStatus(err) != 500 {
		t.Errorf("HTTP status %d, want 500", httpStatus(err))
	}
	mustNoErr(t, srv.FailNext("CreateServer", 1, emulator.FailAccessDenied), "FailNext")
	_, err = c.CreateServer(ctxT(t), &transfer.CreateServerInput{})
	wantAPIError(t, err, "AccessDeniedException")
	if n := len(srv.Snapshot().Regions[testRegion].Servers); n != 0 {
		t.Errorf("a failed CreateServer created %d servers", n)
	}

	mustNoErr(t, srv.SetFaultRate(1), "SetFaultRate")
	codes := map[string]int{}
	for range 20 {
		_, err := c.ListServers(ctxT(t), &transfer.ListServersInput{})
		if httpStatus(err) != 500 {
			t.Fatalf("with fault rate 1 a call ended with %v", err)
		}
		codes[wantAPIErrorCode(t, err)]++
	}
	if codes["InternalServiceError"] == 0 || codes["ServiceUnavailableException"] == 0 {
		t.Errorf("fault codes %v, want both 5xx errors", codes)
	}
	mustNoErr(t, srv.SetFaultRate(0), "SetFaultRate")
	_, err = c.ListServers(ctxT(t), &transfer.ListServersInput{})
	mustNoErr(t, err, "call with fault rate 0")
	if err := srv.SetFaultRate(1.5); err == nil {
		t.Error("SetFaultRate(1.5) accepted")
	}
	if err := srv.FailNext("NoSuchOperation", 1, emulator.FailDrop); err == nil {
		t.Error("FailNext accepted an unknown operation")
	}
}

func wantAPIErrorCode(t *testing.T, err error) string {
	t.Helper()
	var apiErr interface{ ErrorCode() string }
	if !errors.As(err, &apiErr) {
		t.Fatalf("%v is not an API error", err)
	}
	return apiErr.ErrorCode()
}

func TestCommitThenFail(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	mustNoErr(t, srv.SetCommitThenFail("CreateServer", 1), "SetCommitThenFail")
	for range 6 {
		_, err := c.CreateServer(ctxT(t), &transfer.CreateServerInput{})
		if err == nil {
			t.Fatal("CreateServer succeeded with commit-then-fail rate 1")
		}
	}
	calls := srv.Calls()
	if n := len(srv.Snapshot().Regions[testRegion].Servers); n != 6 {
		t.Errorf("%d servers exist, want the 6 whose responses were lost", n)
	}
	if calls.Outcome("CreateServer", "InternalServiceError") == 0 || calls.Outcome("CreateServer", "dropped") == 0 {
		t.Errorf("CreateServer outcomes %v, want both 500s and dropped connections", calls["CreateServer"])
	}
	mustNoErr(t, srv.SetCommitThenFail("CreateServer", 0), "SetCommitThenFail off")
	_, err := c.CreateServer(ctxT(t), &transfer.CreateServerInput{})
	mustNoErr(t, err, "CreateServer with commit-then-fail off")
}

// TestLostResponseRetried shows what a client's retry meets after a lost
// response: the resource already exists.
func TestLostResponseRetried(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, fastRetries(3))
	serverID := createServer(t, c, nil)
	mustNoErr(t, srv.FailNext("CreateUser", 1, emulator.FailCommitThenDrop), "FailNext")
	_, err := c.CreateUser(ctxT(t), &transfer.CreateUserInput{ServerId: aws.String(serverID), UserName: aws.String("frank"), Role: aws.String(testRole)})
	wantAPIError(t, err, "ResourceExistsException")
	snap, _ := srv.Snapshot().Server(testRegion, serverID)
	if _, ok := snap.User("frank"); !ok {
		t.Error("the user whose creation response was dropped does not exist")
	}
	if calls := srv.Calls(); calls.Outcome("CreateUser", "dropped") != 1 || calls.Outcome("CreateUser", "ResourceExistsException") != 1 {
		t.Errorf("CreateUser outcomes %v", calls["CreateUser"])
	}
}

func TestDroppedConnectionBeforeEffect(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	mustNoErr(t, srv.FailNext("CreateServer", 1, emulator.FailDrop), "FailNext")
	_, err := c.CreateServer(ctxT(t), &transfer.CreateServerInput{})
	if err == nil || httpStatus(err) != 0 {
		t.Fatalf("CreateServer over a dropped connection: %v (HTTP %d), want a transport error", err, httpStatus(err))
	}
	if n := len(srv.Snapshot().Regions[testRegion].Servers); n != 0 {
		t.Errorf("%d servers exist after a connection dropped before the operation ran", n)
	}
	_, err = c.CreateServer(ctxT(t), &transfer.CreateServerInput{})
	mustNoErr(t, err, "the next CreateServer")
}

// TestLatency checks that SetLatency delays calls and ClearFaults removes the delay. That a call
// is quick after ClearFaults is not timed, as a busy machine may slow any call: the latency
// cleared is an hour, which the call could not wait out within its context.
func TestLatency(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	srv.SetLatency(80 * time.Millisecond)
	start := time.Now()
	_, err := c.ListServers(ctxT(t), &transfer.ListServersInput{})
	mustNoErr(t, err, "ListServers")
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("call took %v with 80ms latency", d)
	}
	srv.SetLatency(time.Hour)
	srv.ClearFaults()
	_, err = c.ListServers(ctxT(t), &transfer.ListServersInput{})
	mustNoErr(t, err, "ListServers after ClearFaults")
}

func TestCallCounters(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	id := createServer(t, c, nil)
	describeServer(t, c, id)
	describeServer(t, c, id)
	_, err := c.DescribeServer(ctxT(t), &transfer.DescribeServerInput{ServerId: aws.String("s-0123456789abcdef0")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.StopServer(ctxT(t), &transfer.StopServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "StopServer")

	calls := srv.Calls()
	if calls.Total() != 5 || calls.Of("DescribeServer") != 3 || calls.Outcome("DescribeServer", "ok") != 2 ||
		calls.Outcome("DescribeServer", "ResourceNotFoundException") != 1 || calls.Writes() != 2 {
		t.Errorf("calls = %v (total %d, writes %d)", calls, calls.Total(), calls.Writes())
	}
	srv.ResetCalls()
	if n := srv.Calls().Total(); n != 0 {
		t.Errorf("%d calls after ResetCalls", n)
	}
}
