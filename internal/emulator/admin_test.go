package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// admin sends one request to the admin endpoint and returns the status and
// body.
func admin(t *testing.T, base, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), method, base+path, strings.NewReader(body))
	mustNoErr(t, err, "admin request")
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(t, err, method+" "+path)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestAdminEndpoint(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	id := createServer(t, c, nil)
	createUser(t, c, id, "ivan")
	want := func(method, path, body string, wantStatus int) []byte {
		t.Helper()
		got, b := admin(t, srv.URL(), method, path, body)
		if got != wantStatus {
			t.Fatalf("%s %s: %d %s, want %d", method, path, got, b, wantStatus)
		}
		return b
	}
	server := "/_emulator/regions/us-east-1/servers/" + id

	var calls emulator.CallCounts
	mustNoErr(t, json.Unmarshal(want("GET", "/_emulator/calls", "", 200), &calls), "decode calls")
	if calls.Of("CreateServer") != 1 || calls.Of("CreateUser") != 1 {
		t.Errorf("calls = %v", calls)
	}
	want("DELETE", "/_emulator/calls", "", 204)
	if n := srv.Calls().Total(); n != 0 {
		t.Errorf("%d calls after DELETE /_emulator/calls", n)
	}

	want("POST", "/_emulator/fail-next", `{"operation":"DescribeServer","count":1,"kind":"ThrottlingException"}`, 204)
	_, err := c.DescribeServer(ctxT(t), &transfer.DescribeServerInput{ServerId: aws.String(id)})
	wantAPIError(t, err, "ThrottlingException")
	want("PUT", "/_emulator/fault-rate", `{"rate":1}`, 204)
	_, err = c.ListServers(ctxT(t), &transfer.ListServersInput{})
	if httpStatus(err) != 500 {
		t.Errorf("with fault rate 1 over HTTP: %v", err)
	}
	want("PUT", "/_emulator/rate-limit", `{"rps":5,"burst":1}`, 204)
	want("PUT", "/_emulator/latency", `{"latency":"1ms"}`, 204)
	want("PUT", "/_emulator/commit-then-fail", `{"operation":"CreateServer","rate":0.5}`, 204)
	want("DELETE", "/_emulator/faults", "", 204)
	_, err = c.ListServers(ctxT(t), &transfer.ListServersInput{})
	mustNoErr(t, err, "ListServers after DELETE /_emulator/faults")

	want("PATCH", server, `{"State":"OFFLINE","Tags":[{"Key":"k","Value":"v"}]}`, 204)
	if s := describeServer(t, c, id); s.State != types.StateOffline || len(s.Tags) != 1 {
		t.Errorf("after PATCH server: state %s tags %v", s.State, s.Tags)
	}
	want("POST", server+"/fail-next-transition", "", 204)
	_, err = c.StartServer(ctxT(t), &transfer.StartServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "StartServer")
	if s := describeServer(t, c, id).State; s != types.StateStartFailed {
		t.Errorf("state %s after an injected transition failure, want START_FAILED", s)
	}
	want("PATCH", server+"/users/ivan", `{"Role":"arn:aws:iam::111122223333:role/other"}`, 204)
	d, err := c.DescribeUser(ctxT(t), &transfer.DescribeUserInput{ServerId: aws.String(id), UserName: aws.String("ivan")})
	mustNoErr(t, err, "DescribeUser")
	if aws.ToString(d.User.Role) != "arn:aws:iam::111122223333:role/other" {
		t.Errorf("Role = %s after PATCH user", aws.ToString(d.User.Role))
	}

	var snap emulator.Snapshot
	mustNoErr(t, json.Unmarshal(want("GET", "/_emulator/snapshot", "", 200), &snap), "decode snapshot")
	s, ok := snap.Server(testRegion, id)
	if !ok || len(s.Users) != 1 || s.Users[0].Role != "arn:aws:iam::111122223333:role/other" {
		t.Errorf("snapshot = %+v", snap)
	}

	want("DELETE", server+"/users/ivan", "", 204)
	want("DELETE", server+"/users/ivan", "", 404)
	want("DELETE", server, "", 204)
	want("PATCH", server, `{}`, 404)
	_, err = c.DescribeServer(ctxT(t), &transfer.DescribeServerInput{ServerId: aws.String(id)})
	wantAPIError(t, err, "ResourceNotFoundException")

	bad := []struct{ method, path, body string }{
		{"PUT", "/_emulator/latency", `{"latency":"soon"}`},
		{"PUT", "/_emulator/fault-rate", `{"rate":2}`},
		{"POST", "/_emulator/fail-next", `{"operation":"UpdateServer","count":1,"kind":"Boom"}`},
		{"POST", "/_emulator/fail-next", `{"operation":"UpdateServer","count":1,"kind":"Drop","extra":1}`},
		{"PATCH", server, `{"NoSuchField":1}`},
	}
	for _, b := range bad {
		want(b.method, b.path, b.body, 400)
	}
}
