package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

// TestOperatorBinaryInAnotherAccount runs the binary as on EKS with IRSA: its own credentials come
// from web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, so AssumeRoleWithWebIdentity), and
// --aws-sts-endpoint-url points STS at the emulator, which checks every signature. An AWSAccount
// applied with kubectl maps a namespace to a second account through a role with an external ID:
// the server and its user are made there and nowhere else, and deleted there.
func TestOperatorBinaryInAnotherAccount(t *testing.T) {
	const (
		region      = "eu-west-1"
		ownRole     = "arn:aws:iam::111122223333:role/transfer-operator"
		partnerRole = "arn:aws:iam::222233334444:role/transfer-operator"
		partner     = "222233334444"
	)
	s := startStackWith(t, region, strictSigV4(11), func(s *stack, cfg *testenv.OperatorConfig) {
		token := filepath.Join(s.dir, "token")
		if err := os.WriteFile(token, []byte("eyJhbGciOiJSUzI1NiJ9.e2e.signature"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, role := range []emulator.Role{
			{ARN: ownRole, WebIdentity: true},
			{ARN: partnerRole, TrustedAccounts: []string{emulator.DefaultAccountID}, ExternalID: "platform-b2b"},
		} {
			if err := s.emu.DefineRole(role); err != nil {
				t.Fatal(err)
			}
		}
		cfg.WebIdentityRoleARN, cfg.WebIdentityTokenFile = ownRole, token
		cfg.Args = append(cfg.Args, "--aws-sts-endpoint-url="+s.emu.URL())
	})
	emu, kubectl := s.emu, s.kubectl
	kubectl("apply", "-f", "-", `
apiVersion: v1
kind: Namespace
metadata: {name: partners}
---
apiVersion: transfer.operators.dev/v1alpha1
kind: AWSAccount
metadata: {name: b2b}
spec:
  roleARN: `+partnerRole+`
  externalID: platform-b2b
  namespaces: [partners]
---
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferServer
metadata: {name: b2b, namespace: partners}
spec: {protocols: [SFTP]}
---
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferUser
metadata: {name: acme, namespace: partners}
spec:
  serverRef: {name: b2b}
  role: arn:aws:iam::222233334444:role/transfer
  homeDirectory: /bucket/acme
`)
	kubectl("wait", "--for=condition=Ready", "--timeout=2m", "awsaccount/b2b")
	kubectl("wait", "--for=condition=Ready", "--timeout=2m", "-n", "partners", "transferserver/b2b", "transferuser/acme")
	if out := kubectl("get", "awsaccounts"); !strings.Contains(out, partner) {
		t.Errorf("kubectl get awsaccounts does not show the account ID:\n%s", out)
	}
	serverID := kubectl("get", "-n", "partners", "transferserver", "b2b", "-o", "jsonpath={.status.serverId}")
	srv, ok := emu.SnapshotOf(partner).Server(region, serverID)
	if !ok {
		t.Fatalf("server %q is not in account %s\n%s", serverID, partner, s.logs)
	}
	if _, ok := srv.User("acme"); !ok {
		t.Errorf("user acme is not on server %s in account %s", serverID, partner)
	}
	if n := len(emu.Snapshot().Regions[region].Servers); n != 0 {
		t.Errorf("%d server(s) in the operator's own account, want none", n)
	}
	if got := kubectl("get", "-n", "partners", "transferserver", "b2b", "-o", "jsonpath={.status.account}/{.status.accountId}"); got != "b2b/"+partner {
		t.Errorf("status.account/accountId = %q, want b2b/%s", got, partner)
	}
	if n := emu.CallsIn(emulator.DefaultAccountID).Of("AssumeRoleWithWebIdentity"); n == 0 {
		t.Error("the operator's own credentials did not come from AssumeRoleWithWebIdentity")
	}

	kubectl("delete", "-n", "partners", "transferuser/acme", "transferserver/b2b", "--timeout=2m")
	kubectl("delete", "awsaccount/b2b", "--timeout=1m")
	if n := len(emu.SnapshotOf(partner).Regions[region].Servers); n != 0 {
		t.Errorf("%d server(s) left in account %s after delete", n, partner)
	}
	if err := s.op.Stop(time.Minute); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, s.logs)
	}
}
