package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

// TestDeleteNamespace deletes, with `kubectl delete namespace`, a namespace that holds every kind
// the operator manages and the Secrets they name, as a real cluster's namespace controller
// deletes it: all at once, the host key Secrets at the same moment as the server that reads them,
// the users and accesses as their servers, the workflow as the server that runs it. Everything
// is deleted in AWS, and the namespace is gone, so no object was left holding the operator's
// finalizer.
func TestDeleteNamespace(t *testing.T) {
	const (
		region = "eu-west-1"
		ns     = "doomed"
	)
	s := startStack(t, region, strictSigV4(13))
	emu, kubectl := s.emu, s.kubectl

	kubectl("create", "namespace", ns)
	for _, name := range []string{"host-key-2025", "host-key-2026"} {
		pem, _, err := testenv.NewHostKey()
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(s.dir, name)
		if err := os.WriteFile(file, pem, 0o600); err != nil {
			t.Fatal(err)
		}
		kubectl("create", "secret", "generic", "-n", ns, name, "--from-file=id_ed25519="+file)
	}
	kubectl("apply", "-n", ns, "-f", "-", `
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferServer
metadata: {name: keys}
spec:
  hostKeys:
  - secretRef: {name: host-key-2025, key: id_ed25519}
  - secretRef: {name: host-key-2026, key: id_ed25519}
---
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferServer
metadata: {name: plain}
spec:
  workflowDetails:
    onUpload: [{workflowRef: {name: archive}, executionRole: "arn:aws:iam::111122223333:role/workflow"}]
---
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferWorkflow
metadata: {name: archive}
spec:
  steps: [{type: DELETE, deleteStepDetails: {name: discard}}]
---
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferServer
metadata: {name: directory}
spec:
  identityProviderType: AWS_DIRECTORY_SERVICE
  identityProviderDetails: {directoryId: d-1234567890}
---
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferAccess
metadata: {name: partners}
spec:
  serverRef: {name: directory}
  externalId: S-1-5-21-1004336348-1177238915-682003330-512
  role: arn:aws:iam::111122223333:role/transfer
`+user("ursula", "keys")+user("uwe", "keys")+user("vera", "plain"))
	kubectl("wait", "--for=condition=Ready", "--timeout=3m", "-n", ns,
		"transferserver/keys", "transferserver/plain", "transferserver/directory", "transferworkflow/archive",
		"transferaccess/partners", "transferuser/ursula", "transferuser/uwe", "transferuser/vera")

	held := emu.Snapshot().Regions[region]
	users, accesses := 0, 0
	for _, srv := range held.Servers {
		users, accesses = users+len(srv.Users), accesses+len(srv.Accesses)
	}
	if len(held.Servers) != 3 || len(held.Workflows) != 1 || users != 3 || accesses != 1 {
		t.Fatalf("before the deletion the emulator holds %d servers, %d workflows, %d users and %d accesses, want 3, 1, 3 and 1",
			len(held.Servers), len(held.Workflows), users, accesses)
	}

	kubectl("delete", "namespace", ns, "--wait=false")
	waitNamespaceGone(t, s, ns, 5*time.Minute)

	for _, list := range []client.ObjectList{
		&v1alpha1.TransferServerList{}, &v1alpha1.TransferUserList{}, &v1alpha1.TransferAccessList{}, &v1alpha1.TransferWorkflowList{},
	} {
		if err := s.cp.Client.List(context.Background(), list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		if n := meta.LenList(list); n != 0 {
			t.Errorf("%d %T objects outlived their namespace", n, list)
		}
	}
	left := emu.Snapshot().Regions[region]
	if len(left.Servers) != 0 || len(left.Workflows) != 0 {
		t.Errorf("the emulator still holds %d servers (with their users and accesses) and %d workflows:\n%+v", len(left.Servers), len(left.Workflows), left)
	}
	calls := emu.Calls()
	for op, want := range map[string]int{"DeleteServer": 3, "DeleteWorkflow": 1} {
		if got := calls.Outcome(op, emulator.OutcomeOK); got != want {
			t.Errorf("%s succeeded %d times, want %d", op, got, want)
		}
	}
	if err := s.op.Stop(time.Minute); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, s.logs)
	}
}

// user is a TransferUser manifest of name on the TransferServer server, after a separator.
func user(name, server string) string {
	return fmt.Sprintf(`---
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferUser
metadata: {name: %s}
spec:
  serverRef: {name: %s}
  role: arn:aws:iam::111122223333:role/transfer
  homeDirectory: /bucket/%s
`, name, server, name)
}

// waitNamespaceGone waits up to timeout for the namespace ns to be gone. Otherwise it fails
// with what is left in it, the namespace's conditions, and the logs of the operator and
// kube-controller-manager.
func waitNamespaceGone(t *testing.T, s *stack, ns string, timeout time.Duration) {
	t.Helper()
	gone := func(ctx context.Context) (bool, error) {
		err := s.cp.Client.Get(ctx, client.ObjectKey{Name: ns}, &corev1.Namespace{})
		return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
	}
	err := wait.PollUntilContextTimeout(context.Background(), 250*time.Millisecond, timeout, true, gone)
	if err == nil {
		return
	}
	kubectl := kubectlRunner(t, s.kubeconfig)
	var left strings.Builder
	for _, kind := range []string{"transferservers", "transferusers", "transferaccesses", "transferworkflows", "secrets"} {
		out, _ := kubectl("get", "-n", ns, kind, "-o",
			`jsonpath={range .items[*]}{.kind}/{.metadata.name} finalizers={.metadata.finalizers} {range .status.conditions[*]}{.type}={.status}({.reason}: {.message}) {end}{"\n"}{end}`)
		left.WriteString(out)
	}
	conditions, _ := kubectl("get", "namespace", ns, "-o", "jsonpath={.status.conditions}")
	t.Fatalf("namespace %s is not gone %s after kubectl delete namespace: %v\nleft in it:\n%s\nits conditions: %s\nthe operator's log:\n%s\nkube-controller-manager's log:\n%s",
		ns, timeout, err, left.String(), conditions, s.logs, s.controllerManagerLogs)
}
