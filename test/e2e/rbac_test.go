package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
	"github.com/transfer-operator/transfer-operator/internal/testpartner"
)

// operatorUser is the identity the operator runs as in this test, as its ServiceAccount would.
const operatorUser = "system:serviceaccount:transfer-operator-system:transfer-operator"

// TestRBACIsLeastPrivilege runs the operator binary as a user that holds only the ClusterRole
// generated from the kubebuilder markers (config/rbac/role.yaml), through a whole lifecycle with
// a host key Secret, drift and deletion. The API server's audit log then shows what it did:
// nothing was forbidden, every request is allowed by the role, and every rule of the role was
// used. It also scans everything the operator emitted for the host key.
func TestRBACIsLeastPrivilege(t *testing.T) {
	dir := t.TempDir()
	auditLog := filepath.Join(dir, "audit.log")
	cp, err := testenv.StartWith(testenv.Options{AuditLogPath: auditLog, ControllerManager: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	emu, err := emulator.Start(emulator.Options{Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	const accountRole = "arn:aws:iam::222233334444:role/rbac"
	if err := emu.DefineRole(emulator.Role{ARN: accountRole, TrustedAccounts: []string{emulator.DefaultAccountID}}); err != nil {
		t.Fatal(err)
	}

	adminConfig, operatorConfig := filepath.Join(dir, "admin"), filepath.Join(dir, "operator")
	if err := cp.WriteKubeconfig(adminConfig); err != nil {
		t.Fatal(err)
	}
	if err := cp.WriteUserKubeconfig(operatorUser, []string{"system:serviceaccounts", "system:authenticated"}, operatorConfig); err != nil {
		t.Fatal(err)
	}
	kubectl := kubectlFor(t, adminConfig)
	role := readRole(t)
	kubectl("apply", "-f", filepath.Join(testenv.RepoRoot(), "config", "rbac", "role.yaml"))
	kubectl("create", "clusterrolebinding", "transfer-operator", "--clusterrole="+role.Name, "--user="+operatorUser)

	bin, err := testenv.BuildOperator(dir)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testenv.SyncBuffer{}
	op, err := testenv.StartOperator(testenv.OperatorConfig{
		Binary: bin, Kubeconfig: operatorConfig, EndpointURL: emu.URL(), Region: "us-east-1",
		Args: []string{"--leader-elect=false", "--resync-period=2s", "--aws-sts-endpoint-url=" + emu.URL()}, Output: logs,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(op.Kill)

	hostKeyPEM, _, err := testenv.NewHostKey()
	if err != nil {
		t.Fatal(err)
	}
	hostKey := string(hostKeyPEM)
	kubectl("create", "secret", "generic", "hostkey", "--from-literal=ssh-privatekey="+hostKey)
	partner := testpartner.Start(t, testpartner.Options{HostKeyType: testpartner.ECDSA})
	kubectl("create", "secret", "generic", "partner", "--from-literal=username="+partner.User, "--from-file=privateKey="+partner.ClientKeyFile)
	kubectl("apply", "-f", "-", `
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferServer
metadata: {name: rbac, namespace: default}
spec:
  hostKeySecretRef: {name: hostkey, key: ssh-privatekey}
  workflowDetails:
    onUpload: [{workflowRef: {name: rbac}, executionRole: "arn:aws:iam::111122223333:role/workflow"}]
  tags: {suite: rbac}
---
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferWorkflow
metadata: {name: rbac, namespace: default}
spec:
  steps: [{type: DELETE, deleteStepDetails: {name: discard}}]
  tags: {suite: rbac}
---
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferUser
metadata: {name: rita, namespace: default}
spec:
  serverRef: {name: rbac}
  role: arn:aws:iam::111122223333:role/transfer
  homeDirectory: /bucket/rita
  tags: {suite: rbac}
---
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferServer
metadata: {name: rbac-directory, namespace: default}
spec:
  identityProviderType: AWS_DIRECTORY_SERVICE
  identityProviderDetails: {directoryId: d-1234567890}
  tags: {suite: rbac}
---
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferAccess
metadata: {name: rbac-group, namespace: default}
spec:
  serverRef: {name: rbac-directory}
  externalId: S-1-5-21-1004336348-1177238915-682003330-512
  role: arn:aws:iam::111122223333:role/transfer
---
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferConnector
metadata: {name: rbac, namespace: default}
spec:
  url: `+partner.URL+`
  accessRole: arn:aws:iam::111122223333:role/connector
  sftpConfig:
    credentialsSecretRef: {name: partner}
    trustedHostKeys: ["`+partner.HostKey()+`"]
---
apiVersion: transfer.operators.dev/v1alpha1
kind: AWSAccount
metadata: {name: rbac}
spec:
  roleARN: `+accountRole+`
  namespaces: [rbac-elsewhere]
`)
	kubectl("wait", "--for=condition=Ready", "--timeout=2m", "transferserver/rbac", "transferuser/rita", "transferworkflow/rbac",
		"transferserver/rbac-directory", "transferaccess/rbac-group", "transferconnector/rbac", "awsaccount/rbac")
	serverID := kubectl("get", "transferserver", "rbac", "-o", "jsonpath={.status.serverId}")

	// The same drift twice: the second Event repeats the first, which the event recorder
	// records by patching the first.
	for range 2 {
		if err := emu.ModifyUser("us-east-1", serverID, "rita", func(u *emulator.UserRecord) { u.HomeDirectory = "/elsewhere" }); err != nil {
			t.Fatal(err)
		}
		waitFor(t, time.Minute, func() bool {
			srv, _ := emu.Snapshot().Server("us-east-1", serverID)
			u, _ := srv.User("rita")
			return u.HomeDirectory == "/bucket/rita"
		})
	}
	// The recorder patches the first Event in the background: wait for the patch, which the
	// audit log must show, before the operator is stopped.
	waitFor(t, time.Minute, func() bool { return driftEventSeries(t, kubectl) >= 2 })
	kubectl("delete", "transferuser/rita", "transferaccess/rbac-group", "transferserver/rbac", "transferserver/rbac-directory",
		"transferworkflow/rbac", "transferconnector/rbac", "awsaccount/rbac", "--timeout=2m")
	if err := op.Stop(time.Minute); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	output := logs.String()
	if strings.Contains(output, "forbidden") {
		t.Errorf("the operator was refused something the role should grant:\n%s", grepLines(output, "forbidden"))
	}
	used := requestsBy(t, auditLog, operatorUser)
	granted := grantsOf(role)
	for req := range used {
		if !granted[req] {
			t.Errorf("the operator made request %s, which the role does not grant", req)
		}
	}
	for grant := range granted {
		// Informers list before they watch on API servers that cannot stream the initial state
		// in the watch itself (WatchList); this one can, so list shows up as watch alone.
		if verb, what, _ := strings.Cut(grant, " "); verb == "list" && used["watch "+what] {
			continue
		}
		if !used[grant] {
			t.Errorf("the role grants %s, which the operator never used: remove it from the +kubebuilder:rbac markers", grant)
		}
	}

	emitted := output + kubectl("get", "events", "-A", "-o", "yaml") + kubectl("get", "transferservers,transferusers,transferconnectors", "-A", "-o", "yaml")
	if strings.Contains(emitted, strings.Split(hostKey, "\n")[1]) {
		t.Error("the host key appears in the operator's logs, Events or status")
	}
	if strings.Contains(emitted, strings.Split(partner.ClientPrivateKeyPEM, "\n")[1]) {
		t.Error("the connector's private key appears in the operator's logs, Events or status")
	}
}

// driftEventSeries returns how many times the DriftCorrected Event of TransferUser rita has been
// recorded: its count (the core/v1 recorder patches deprecatedCount; a series counts too), 1 for
// an Event recorded once.
func driftEventSeries(t *testing.T, kubectl func(args ...string) string) int32 {
	t.Helper()
	var events eventsv1.EventList
	if err := json.Unmarshal([]byte(kubectl("get", "events.events.k8s.io", "-n", "default", "-o", "json")), &events); err != nil {
		t.Fatalf("decoding the Events: %v", err)
	}
	var n int32
	for _, e := range events.Items {
		if e.Reason != "DriftCorrected" || e.Regarding.Kind != "TransferUser" || e.Regarding.Name != "rita" {
			continue
		}
		n = max(n, 1, e.DeprecatedCount)
		if e.Series != nil {
			n = max(n, e.Series.Count)
		}
	}
	return n
}

func readRole(t *testing.T) rbacv1.ClusterRole {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal(data, &role); err != nil {
		t.Fatal(err)
	}
	return role
}

// grantsOf expands a role into "verb group/resource" strings.
func grantsOf(role rbacv1.ClusterRole) map[string]bool {
	out := map[string]bool{}
	for _, rule := range role.Rules {
		for _, g := range rule.APIGroups {
			for _, r := range rule.Resources {
				for _, v := range rule.Verbs {
					out[fmt.Sprintf("%s %s/%s", v, g, r)] = true
				}
			}
		}
	}
	return out
}

// requestsBy returns the resource requests user made, from the audit log, as "verb group/resource".
func requestsBy(t *testing.T, path, user string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		var ev struct {
			Verb string `json:"verb"`
			User struct {
				Username string `json:"username"`
			} `json:"user"`
			ObjectRef *struct {
				Resource    string `json:"resource"`
				Subresource string `json:"subresource"`
				APIGroup    string `json:"apiGroup"`
			} `json:"objectRef"`
		}
		if err := json.Unmarshal(scanner.Bytes(), &ev); err != nil {
			t.Fatalf("reading the audit log: %v", err)
		}
		if ev.User.Username != user || ev.ObjectRef == nil {
			continue
		}
		resource := ev.ObjectRef.Resource
		if ev.ObjectRef.Subresource != "" {
			resource += "/" + ev.ObjectRef.Subresource
		}
		out[fmt.Sprintf("%s %s/%s", ev.Verb, ev.ObjectRef.APIGroup, resource)] = true
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("the audit log holds no request by the operator")
	}
	return out
}

func waitFor(t *testing.T, timeout time.Duration, done func() bool) {
	t.Helper()
	if wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(context.Context) (bool, error) { return done(), nil }) != nil {
		t.Fatal("timed out waiting")
	}
}

func grepLines(s, sub string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(slices.Compact(out), "\n")
}
