package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/transfer"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

func TestUnknownOperations(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	rows := []struct{ name, op, fragment string }{
		{"not in the model", "LaunchRocket", "unknown operation LaunchRocket"},
		{"in the model but not emulated", "CreateProfile", "not implemented"},
		{"no target", "", "X-Amz-Target"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			resp := rawCall(t, srv.URL(), row.op, `{}`, nil)
			b, _ := io.ReadAll(resp.Body)
			var doc map[string]string
			mustNoErr(t, json.Unmarshal(b, &doc), "decode error")
			if resp.StatusCode != 400 || doc["__type"] != "com.amazon.coral.service#UnknownOperationException" || !strings.Contains(doc["Message"], row.fragment) {
				t.Errorf("got %d %s", resp.StatusCode, b)
			}
		})
	}
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodGet, srv.URL()+"/", nil)
	mustNoErr(t, err, "request")
	req.Header.Set("X-Amz-Target", "TransferService.ListServers")
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(t, err, "GET")
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("x-amzn-ErrorType") != "UnknownOperationException" {
		t.Errorf("GET / answered %d %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"))
	}
}

func TestWireFormat(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

	resp := rawCall(t, srv.URL(), "CreateServer", `{}`, nil)
	var created struct{ ServerId string }
	mustNoErr(t, json.NewDecoder(resp.Body).Decode(&created), "decode CreateServer")
	first := resp.Header.Get("x-amzn-RequestId")
	if resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" || !uuid.MatchString(first) {
		t.Errorf("headers %v", resp.Header)
	}

	resp = rawCall(t, srv.URL(), "CreateUser", `{"ServerId":"`+created.ServerId+`","UserName":"judy","Role":"`+testRole+`","SshPublicKeyBody":"`+newUserKey(t, "j")+`"}`, nil)
	if resp.StatusCode != 200 || resp.Header.Get("x-amzn-RequestId") == first {
		t.Errorf("CreateUser: %d, request IDs %s and %s", resp.StatusCode, first, resp.Header.Get("x-amzn-RequestId"))
	}
	resp = rawCall(t, srv.URL(), "DescribeUser", `{"ServerId":"`+created.ServerId+`","UserName":"judy"}`, nil)
	var described struct {
		User struct {
			SshPublicKeys []map[string]any
		}
	}
	mustNoErr(t, json.NewDecoder(resp.Body).Decode(&described), "decode DescribeUser")
	if _, ok := described.User.SshPublicKeys[0]["DateImported"].(float64); !ok {
		t.Errorf("DateImported = %#v, want epoch seconds as a JSON number", described.User.SshPublicKeys[0]["DateImported"])
	}

	resp = rawCall(t, srv.URL(), "DeleteServer", `{"ServerId":"`+created.ServerId+`"}`, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != "{}" {
		t.Errorf("DeleteServer answered %d %q", resp.StatusCode, b)
	}
	resp = rawCall(t, srv.URL(), "DescribeServer", `{"ServerId":"`+created.ServerId+`"}`, nil)
	var nf map[string]string
	mustNoErr(t, json.NewDecoder(resp.Body).Decode(&nf), "decode error")
	if nf["__type"] != "ResourceNotFoundException" || nf["Resource"] != created.ServerId || nf["ResourceType"] != "Server" || nf["Message"] == "" ||
		resp.Header.Get("x-amzn-ErrorType") != "ResourceNotFoundException" {
		t.Errorf("not found answer %v, headers %v", nf, resp.Header)
	}
}

// TestEndpointFromEnvironment configures the SDK the way the operator does,
// through config.LoadDefaultConfig and AWS_ENDPOINT_URL_TRANSFER.
func TestEndpointFromEnvironment(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_ACCESS_KEY_ID", testAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecretKey)
	t.Setenv("AWS_REGION", "ca-central-1")
	t.Setenv("AWS_ENDPOINT_URL_TRANSFER", srv.URL())
	cfg, err := config.LoadDefaultConfig(ctxT(t))
	mustNoErr(t, err, "LoadDefaultConfig")
	c := transfer.NewFromConfig(cfg)
	out, err := c.CreateServer(ctxT(t), &transfer.CreateServerInput{})
	mustNoErr(t, err, "CreateServer through AWS_ENDPOINT_URL_TRANSFER")
	if _, ok := srv.Snapshot().Server("ca-central-1", aws.ToString(out.ServerId)); !ok {
		t.Error("the server is not in the region of the SDK configuration")
	}
}
