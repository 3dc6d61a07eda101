package emulator_test

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

func TestRegionsAreIsolated(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	east := newClient(srv.URL(), "us-east-1", noRetries)
	west := newClient(srv.URL(), "eu-west-1", noRetries)
	id := createServer(t, east, nil)
	createUser(t, east, id, "grace")

	_, err := west.DescribeServer(ctxT(t), &transfer.DescribeServerInput{ServerId: aws.String(id)})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = west.DescribeUser(ctxT(t), &transfer.DescribeUserInput{ServerId: aws.String(id), UserName: aws.String("grace")})
	wantAPIError(t, err, "ResourceNotFoundException")
	out, err := west.ListServers(ctxT(t), &transfer.ListServersInput{})
	mustNoErr(t, err, "ListServers in eu-west-1")
	if len(out.Servers) != 0 {
		t.Errorf("eu-west-1 lists %d servers of us-east-1", len(out.Servers))
	}
	westID := createServer(t, west, nil)
	if arn := aws.ToString(describeServer(t, west, westID).Arn); !strings.HasPrefix(arn, "arn:aws:transfer:eu-west-1:") {
		t.Errorf("eu-west-1 server ARN %s", arn)
	}
	snap := srv.Snapshot()
	if len(snap.Regions["us-east-1"].Servers) != 1 || len(snap.Regions["eu-west-1"].Servers) != 1 {
		t.Errorf("snapshot regions = %+v", snap.Regions)
	}
}

func TestUnsignedRequestsUseDefaultRegion(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	resp := rawCall(t, srv.URL(), "CreateServer", `{}`, nil)
	body, _ := io.ReadAll(resp.Body)
	var out struct{ ServerId string }
	if err := json.Unmarshal(body, &out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("unsigned CreateServer: %d %s", resp.StatusCode, body)
	}
	if _, ok := srv.Snapshot().Server("us-east-1", out.ServerId); !ok {
		t.Errorf("an unsigned request did not create its server in us-east-1")
	}
}
