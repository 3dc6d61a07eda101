package emulator_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

func TestStrictSigV4WithSDK(t *testing.T) {
	clock := clocktesting.NewFakeClock(time.Now())
	srv := startEmulator(t, emulator.Options{Clock: clock, StrictSigV4: &emulator.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}})
	list := func(opts ...clientOption) error {
		_, err := newClient(srv.URL(), "ap-southeast-2", append(opts, noRetries)...).ListServers(ctxT(t), &transfer.ListServersInput{})
		return err
	}
	mustNoErr(t, list(), "correctly signed request")
	createServer(t, newClient(srv.URL(), "ap-southeast-2"), nil)
	if n := len(srv.Snapshot().Regions["ap-southeast-2"].Servers); n != 1 {
		t.Errorf("signed CreateServer made %d servers in the signing region", n)
	}

	err := list(withCredentials(testAccessKey, "wrong-secret"))
	wantAPIError(t, err, "InvalidSignatureException", "signature we calculated does not match")
	if httpStatus(err) != 400 {
		t.Errorf("HTTP status %d, want 400", httpStatus(err))
	}
	wantAPIError(t, list(withCredentials("AKIDUNKNOWN", testSecretKey)), "UnrecognizedClientException", "security token")

	clock.Step(20 * time.Minute)
	wantAPIError(t, list(), "InvalidSignatureException", "Signature expired")
}

func TestStrictSigV4RawRequests(t *testing.T) {
	srv := startEmulator(t, emulator.Options{StrictSigV4: &emulator.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}})
	signed := func(t *testing.T, service, body string) *http.Request {
		req, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, srv.URL()+"/", strings.NewReader(body))
		mustNoErr(t, err, "request")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "TransferService.ListServers")
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
		mustNoErr(t, v4.NewSigner().SignHTTP(ctxT(t), creds, req, hex.EncodeToString(sum[:]), service, testRegion, time.Now()), "sign")
		return req
	}
	do := func(t *testing.T, req *http.Request) (int, string, string) {
		resp, err := http.DefaultClient.Do(req)
		mustNoErr(t, err, "do")
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var doc map[string]any
		_ = json.Unmarshal(b, &doc)
		code, _ := doc["__type"].(string)
		msg, _ := doc["Message"].(string)
		return resp.StatusCode, code, msg
	}

	if status, code, msg := do(t, signed(t, "transfer", `{}`)); status != 200 {
		t.Fatalf("signed raw request: %d %s %s", status, code, msg)
	}
	tampered := signed(t, "transfer", `{}`)
	tampered.Body = io.NopCloser(strings.NewReader(`{ }`))
	tampered.ContentLength = 3
	tampered.Header.Set("Content-Length", "3")
	if status, code, _ := do(t, tampered); status != 400 || code != "InvalidSignatureException" {
		t.Errorf("request with a body changed after signing: %d %s", status, code)
	}
	retargeted := signed(t, "transfer", `{}`)
	retargeted.Header.Set("X-Amz-Target", "TransferService.CreateServer")
	if _, code, _ := do(t, retargeted); code != "InvalidSignatureException" {
		t.Errorf("request with a signed header changed after signing: %s", code)
	}
	if _, code, msg := do(t, signed(t, "lambda", `{}`)); code != "InvalidSignatureException" || !strings.Contains(msg, "'transfer'") {
		t.Errorf("request signed for another service: %s %s", code, msg)
	}
	unsigned, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, srv.URL()+"/", strings.NewReader(`{}`))
	mustNoErr(t, err, "request")
	unsigned.Header.Set("X-Amz-Target", "TransferService.ListServers")
	if _, code, _ := do(t, unsigned); code != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned request: %s", code)
	}
	unsigned.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=garbage")
	unsigned.Body = io.NopCloser(strings.NewReader(`{}`))
	if _, code, _ := do(t, unsigned); code != "IncompleteSignatureException" {
		t.Errorf("malformed Authorization: %s", code)
	}
}
