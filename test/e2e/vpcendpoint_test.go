package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// TestVpcEndpointWithOperatorBinary runs the built operator against a control plane and the
// emulator, with every request (Transfer's and EC2's) checked for its SigV4 signature: a VPC
// server applied with kubectl shows its VPC endpoint in status, a change of its security groups
// with kubectl reaches the endpoint in EC2, and deleting the server deletes the endpoint.
func TestVpcEndpointWithOperatorBinary(t *testing.T) {
	const region = "eu-west-1"
	s := startStack(t, region, strictSigV4(8))
	emu, op, logs, kubectl := s.emu, s.op, s.logs, s.kubectl
	kubectl("apply", "-f", "-", `
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferServer
metadata: {name: vpc, namespace: default}
spec:
  endpointType: VPC
  endpointDetails:
    vpcId: vpc-0a1b2c3d4e5f67890
    subnetIds: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002]
    securityGroupIds: [sg-0a1b2c3d4e5f67890]
`)
	kubectl("wait", "--for=condition=Ready", "--timeout=2m", "transferserver/vpc")
	serverID := kubectl("get", "transferserver", "vpc", "-o", "jsonpath={.status.serverId}")
	srv, ok := emu.Snapshot().Server(region, serverID)
	if !ok {
		t.Fatalf("server %q is not in the emulator's %s", serverID, region)
	}
	vpce := srv.EndpointDetails.VpcEndpointID
	ep, ok := emu.Snapshot().VpcEndpoint(region, vpce)
	if !ok {
		t.Fatalf("VPC endpoint %q of server %s is not in the emulator", vpce, serverID)
	}
	if got := kubectl("get", "transferserver", "vpc", "-o", "jsonpath={.status.vpcEndpoint.id} {.status.endpoint}"); got != vpce+" "+ep.DNSNames[0] {
		t.Errorf("status shows endpoint and host name %q, want %q", got, vpce+" "+ep.DNSNames[0])
	}
	if ips := strings.Fields(kubectl("get", "transferserver", "vpc", "-o", "jsonpath={.status.vpcEndpoint.privateIPs[*]}")); len(ips) != 2 {
		t.Errorf("status shows private IPs %v, want one for each subnet", ips)
	}

	kubectl("patch", "transferserver", "vpc", "--type=merge", "-p", `{"spec":{"endpointDetails":{"securityGroupIds":["sg-0a1b2c3d4e5f60003","sg-0a1b2c3d4e5f60004"]}}}`)
	want := []string{"sg-0a1b2c3d4e5f60003", "sg-0a1b2c3d4e5f60004"}
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 2*time.Minute, true, func(context.Context) (bool, error) {
		ep, ok := emu.Snapshot().VpcEndpoint(region, vpce)
		return ok && slices.Equal(ep.SecurityGroupIDs, want), nil
	})
	if err != nil {
		ep, _ := emu.Snapshot().VpcEndpoint(region, vpce)
		t.Fatalf("the endpoint's groups are %v, want %v; operator log:\n%s", ep.SecurityGroupIDs, want, logs)
	}
	err = wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 2*time.Minute, true, func(context.Context) (bool, error) {
		got := kubectl("get", "transferserver", "vpc", "-o", "jsonpath={.status.vpcEndpoint.securityGroupIds[*]} {.status.observedGeneration} {.metadata.generation}")
		f := strings.Fields(got)
		return len(f) == 4 && f[0] == want[0] && f[1] == want[1] && f[2] == f[3], nil
	})
	if err != nil {
		t.Fatalf("status does not show the new groups for the new generation: %s", kubectl("get", "transferserver", "vpc", "-o", "yaml"))
	}

	kubectl("delete", "transferserver/vpc", "--timeout=2m")
	if _, ok := emu.Snapshot().VpcEndpoint(region, vpce); ok {
		t.Errorf("VPC endpoint %s is left after its server was deleted", vpce)
	}
	if err := op.Stop(time.Minute); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, logs)
	}
}
