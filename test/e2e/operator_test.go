// Package e2e drives the built operator binary, as a process of its own, with kubectl against a
// real control plane and the Transfer emulator.
package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

// TestOperatorBinary runs the binary the Dockerfile ships against a control plane and the
// emulator, which checks every request's SigV4 signature against the credentials the operator
// is given: objects applied with kubectl become Ready, the user is created on the server, and
// SIGTERM stops the operator cleanly.
func TestOperatorBinary(t *testing.T) {
	s := startStack(t, "eu-west-1", strictSigV4(7), "--leader-elect", "--leader-election-namespace=default")
	emu, op, logs, kubectl := s.emu, s.op, s.logs, s.kubectl
	const erin = `
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferUser
metadata: {name: erin, namespace: default}
spec:
  serverRef: {name: e2e}
  role: arn:aws:iam::111122223333:role/transfer
  homeDirectory: /bucket/erin
`
	kubectl("apply", "-f", "-", `
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferServer
metadata: {name: e2e, namespace: default}
spec: {protocols: [SFTP], tags: {suite: e2e}}
---`+erin+`  sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl erin"]
`)
	kubectl("wait", "--for=condition=Ready", "--timeout=2m", "transferserver/e2e", "transferuser/erin")
	serverID := kubectl("get", "transferserver", "e2e", "-o", "jsonpath={.status.serverId}")
	srv, ok := emu.Snapshot().Server("eu-west-1", serverID)
	if !ok {
		t.Fatalf("server %q is not in the emulator's eu-west-1", serverID)
	}
	if _, ok := srv.User("erin"); !ok {
		t.Fatalf("user erin is not on server %s", serverID)
	}
	if out := kubectl("get", "transfer"); !strings.Contains(out, serverID) || !strings.Contains(out, "erin") {
		t.Fatalf("kubectl get transfer does not list both objects:\n%s", out)
	}

	// kubectl apply removes what a manifest no longer has by its last-applied-configuration
	// annotation, which the operator's cache drops: its writes must leave it where it is.
	if !strings.Contains(kubectl("get", "transferuser", "erin", "-o", "yaml"), "kubectl.kubernetes.io/last-applied-configuration") {
		t.Fatal("erin lost its last-applied-configuration annotation")
	}
	kubectl("apply", "-f", "-", erin)
	if keys := kubectl("get", "transferuser", "erin", "-o", "jsonpath={.spec.sshPublicKeys}"); keys != "" {
		t.Fatalf("kubectl apply of a manifest without sshPublicKeys left %s", keys)
	}

	kubectl("delete", "transferuser/erin", "transferserver/e2e", "--timeout=2m")
	if n := len(emu.Snapshot().Regions["eu-west-1"].Servers); n != 0 {
		t.Fatalf("%d servers left in the emulator after delete", n)
	}
	if err := op.Stop(time.Minute); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, logs)
	}
}

// kubectlFor returns a function that runs the built kubectl against kubeconfig; an argument
// list ending in "-f", "-" takes one more argument, the manifest for standard input.
func kubectlFor(t *testing.T, kubeconfig string) func(args ...string) string {
	assets, err := testenv.Assets()
	if err != nil {
		t.Fatal(err)
	}
	return func(args ...string) string {
		t.Helper()
		var stdin string
		if n := len(args); n >= 3 && args[n-3] == "-f" && args[n-2] == "-" {
			stdin, args = args[n-1], args[:n-1]
		}
		cmd := exec.Command(filepath.Join(assets, "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
}

// stack is what the operator binary's tests run: a control plane like a real cluster's (with
// kube-controller-manager), the emulator and the built operator against both, each stopped when
// the test ends.
type stack struct {
	cp         *testenv.ControlPlane
	emu        *emulator.Server
	dir        string
	kubeconfig string
	op         *testenv.Operator
	// logs is the operator's log, controllerManagerLogs kube-controller-manager's.
	logs, controllerManagerLogs *testenv.SyncBuffer
	kubectl                     func(args ...string) string
}

// startStack starts a stack whose emulator runs with opts and whose operator runs in region
// with args.
func startStack(t *testing.T, region string, opts emulator.Options, args ...string) *stack {
	t.Helper()
	return startStackWith(t, region, opts, nil, args...)
}

// startStackWith is startStack with prepare, when not nil, called with the emulator and the
// operator's configuration before the operator starts.
func startStackWith(t *testing.T, region string, opts emulator.Options, prepare func(*stack, *testenv.OperatorConfig), args ...string) *stack {
	t.Helper()
	controllerManagerLogs := &testenv.SyncBuffer{}
	cp, err := testenv.StartWith(testenv.Options{ControllerManager: true, ControllerManagerOutput: controllerManagerLogs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	emu, err := emulator.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	s := &stack{cp: cp, emu: emu, dir: t.TempDir(), logs: &testenv.SyncBuffer{}, controllerManagerLogs: controllerManagerLogs}
	s.kubeconfig = filepath.Join(s.dir, "kubeconfig")
	if err := cp.WriteKubeconfig(s.kubeconfig); err != nil {
		t.Fatal(err)
	}
	bin, err := testenv.BuildOperator(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testenv.OperatorConfig{
		Binary: bin, Kubeconfig: s.kubeconfig, EndpointURL: emu.URL(), Region: region, Args: args, Output: s.logs,
	}
	if prepare != nil {
		prepare(s, &cfg)
	}
	s.op, err = testenv.StartOperator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.op.Kill)
	s.kubectl = kubectlFor(t, s.kubeconfig)
	return s
}

// strictSigV4 are emulator options that check every request's signature against the
// operator's credentials.
func strictSigV4(seed int64) emulator.Options {
	return emulator.Options{Seed: seed, StrictSigV4: &emulator.Credentials{
		AccessKeyID: testenv.OperatorAccessKeyID, SecretAccessKey: testenv.OperatorSecretAccessKey,
	}}
}
