package emulator_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// admin sends one request to the admin endpoint, a write as JSON, and
// returns the status and body.
func admin(t *testing.T, base, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), method, base+path, strings.NewReader(body))
	mustNoErr(t, err, "admin request")
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(t, req)
}

// do sends req and returns the status and body of the answer.
func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(t, err, req.Method+" "+req.URL.Path)
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

// TestAdminRefusesForeignRequests: requests a web page could send are
// refused before they take effect: a Host that is not localhost or a
// loopback address (DNS rebinding), and writes that are not JSON (a form or
// text/plain POST, or none at all).
func TestAdminRefusesForeignRequests(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL(), "http://"))
	mustNoErr(t, err, "port")
	request := func(method, host, contentType, body string) *http.Request {
		req, err := http.NewRequestWithContext(ctxT(t), method, srv.URL()+"/_emulator/fail-next", strings.NewReader(body))
		mustNoErr(t, err, "request")
		if method == http.MethodGet {
			req.URL.Path = "/_emulator/calls"
		}
		req.Host = host
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		return req
	}
	const failNext = `{"operation":"ListServers","count":1,"kind":"ThrottlingException"}`
	for _, tc := range []struct {
		name                      string
		method, host, media, body string
		want                      int
	}{
		{"rebound host name", http.MethodGet, "attacker.example:" + port, "", "", http.StatusForbidden},
		{"private address", http.MethodGet, "192.168.1.10:" + port, "", "", http.StatusForbidden},
		{"localhost", http.MethodGet, "localhost:" + port, "", "", http.StatusOK},
		{"IPv6 loopback", http.MethodGet, "[::1]:" + port, "", "", http.StatusOK},
		{"rebound write", http.MethodPost, "attacker.example", "application/json", failNext, http.StatusForbidden},
		{"text/plain write", http.MethodPost, "127.0.0.1:" + port, "text/plain", failNext, http.StatusUnsupportedMediaType},
		{"form write", http.MethodPost, "127.0.0.1:" + port, "application/x-www-form-urlencoded", failNext, http.StatusUnsupportedMediaType},
		{"write without a content type", http.MethodPost, "127.0.0.1:" + port, "", failNext, http.StatusUnsupportedMediaType},
	} {
		if got, body := do(t, request(tc.method, tc.host, tc.media, tc.body)); got != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, got, body, tc.want)
		}
	}
	c := newClient(srv.URL(), testRegion, noRetries)
	_, err = c.ListServers(ctxT(t), &transfer.ListServersInput{})
	mustNoErr(t, err, "ListServers after the refused fail-next requests")
	if got, body := do(t, request(http.MethodPost, "127.0.0.1:"+port, "application/json; charset=utf-8", failNext)); got != http.StatusNoContent {
		t.Fatalf("JSON write: %d %s, want 204", got, body)
	}
	_, err = c.ListServers(ctxT(t), &transfer.ListServersInput{})
	wantAPIError(t, err, "ThrottlingException")
}

// TestAdminStrictSigV4: with strict SigV4 the admin API answers only
// requests signed with the emulator's key (SignAdminRequest).
func TestAdminStrictSigV4(t *testing.T) {
	creds := emulator.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	srv := startEmulator(t, emulator.Options{StrictSigV4: &creds})
	request := func(method, path, body string, signer *emulator.Credentials) *http.Request {
		req, err := http.NewRequestWithContext(ctxT(t), method, srv.URL()+path, strings.NewReader(body))
		mustNoErr(t, err, "request")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if signer != nil {
			mustNoErr(t, emulator.SignAdminRequest(req, []byte(body), *signer), "sign")
		}
		return req
	}
	const latency = `{"latency":"0s"}`
	wrong := emulator.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: "wrong"}
	for _, tc := range []struct {
		name string
		req  *http.Request
		want int
	}{
		{"unsigned read", request(http.MethodGet, "/_emulator/calls", "", nil), http.StatusForbidden},
		{"unsigned write", request(http.MethodPut, "/_emulator/latency", latency, nil), http.StatusForbidden},
		{"wrong secret", request(http.MethodGet, "/_emulator/calls", "", &wrong), http.StatusForbidden},
		{"signed read", request(http.MethodGet, "/_emulator/calls", "", &creds), http.StatusOK},
		{"signed write", request(http.MethodPut, "/_emulator/latency", latency, &creds), http.StatusNoContent},
	} {
		if got, body := do(t, tc.req); got != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, got, body, tc.want)
		}
	}
	changed := request(http.MethodPut, "/_emulator/latency", latency, &creds)
	changed.Body = io.NopCloser(strings.NewReader(`{"latency":"1h"}`))
	if got, body := do(t, changed); got != http.StatusForbidden {
		t.Errorf("signed write with another body: %d %s, want 403", got, body)
	}
}
