package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testpartner"
)

// TestConnectorMovesFiles applies a TransferConnector to Debian's OpenSSH sshd, run as a partner
// on 127.0.0.1, with its credentials in a Kubernetes Secret, and waits for Ready and Connected.
// The AWS CLI, pointed at the emulator's one endpoint, then puts a file in S3, sends it to the
// partner with start-file-transfer (it is found on the partner's disk), retrieves another one
// back into S3, and reads the results. When the partner rotates its host key, Connected turns
// False with the new key named.
func TestConnectorMovesFiles(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("aws is not installed; run make test-tools (hack/install-test-tools.sh)")
	}
	g := NewWithT(t)
	partner := testpartner.Start(t, testpartner.Options{HostKeyType: testpartner.ECDSA})
	for _, d := range []string{"upload", "download"} {
		g.Expect(os.MkdirAll(filepath.Join(partner.Dir, d), 0o755)).To(Succeed())
	}
	s := startStack(t, "eu-west-1", emulator.Options{Seed: 28}, "--resync-period=15s")
	kubectl := s.kubectl
	kubectl("create", "secret", "generic", "partner-acme", "--from-literal=username="+partner.User, "--from-file=privateKey="+partner.ClientKeyFile)
	kubectl("apply", "-f", "-", `
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferConnector
metadata: {name: partner-acme, namespace: default}
spec:
  url: `+partner.URL+`
  accessRole: arn:aws:iam::111122223333:role/connector
  sftpConfig:
    credentialsSecretRef: {name: partner-acme}
    trustedHostKeys: ["`+partner.HostKey()+`"]
`)
	kubectl("wait", "--for=condition=Ready", "--for=condition=Connected", "--timeout=2m", "transferconnector/partner-acme")
	id := kubectl("get", "transferconnector", "partner-acme", "-o", "jsonpath={.status.connectorId}")

	aws := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("aws", append(args, "--endpoint-url", s.emu.URL(), "--region", "eu-west-1")...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=e2e", "AWS_SECRET_ACCESS_KEY=e2e")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	transferred := func(transferID string) {
		t.Helper()
		g.Eventually(func(g Gomega) {
			var out struct {
				FileTransferResults []struct{ FilePath, StatusCode string }
			}
			g.Expect(json.Unmarshal([]byte(aws("transfer", "list-file-transfer-results", "--connector-id", id, "--transfer-id", transferID)), &out)).To(Succeed())
			g.Expect(out.FileTransferResults).To(HaveLen(1))
			g.Expect(out.FileTransferResults[0].StatusCode).To(Equal("COMPLETED"))
		}).WithTimeout(sftpWait).Should(Succeed())
	}
	transferID := func(out string) string {
		var v struct{ TransferId string }
		g.Expect(json.Unmarshal([]byte(out), &v)).To(Succeed())
		return v.TransferId
	}

	// Send: from S3 to the partner's disk.
	invoice := filepath.Join(t.TempDir(), "invoice.csv")
	g.Expect(os.WriteFile(invoice, []byte("id,amount\n1,42\n"), 0o600)).To(Succeed())
	aws("s3", "cp", invoice, "s3://e2e-bucket/outbound/invoice.csv")
	sent := transferID(aws("transfer", "start-file-transfer", "--connector-id", id,
		"--send-file-paths", "/e2e-bucket/outbound/invoice.csv", "--remote-directory-path", filepath.Join(partner.Dir, "upload")))
	transferred(sent)
	g.Expect(os.ReadFile(filepath.Join(partner.Dir, "upload", "invoice.csv"))).To(Equal([]byte("id,amount\n1,42\n")))

	// Retrieve: from the partner's disk into S3.
	g.Expect(os.WriteFile(filepath.Join(partner.Dir, "download", "report.csv"), []byte("report\n"), 0o644)).To(Succeed())
	got := transferID(aws("transfer", "start-file-transfer", "--connector-id", id,
		"--retrieve-file-paths", filepath.Join(partner.Dir, "download", "report.csv"), "--local-directory-path", "/e2e-bucket/inbound"))
	transferred(got)
	g.Expect(aws("s3", "cp", "s3://e2e-bucket/inbound/report.csv", "-")).To(Equal("report\n"))

	// The partner rotates its host key: the next test names the new one.
	rotated := partner.RotateHostKey(t)
	g.Eventually(func(g Gomega) {
		g.Expect(kubectl("get", "transferconnector", "partner-acme", "-o", `jsonpath={.status.conditions[?(@.type=="Connected")].status}`)).To(Equal("False"))
		g.Expect(kubectl("get", "transferconnector", "partner-acme", "-o", `jsonpath={.status.conditions[?(@.type=="Connected")].message}`)).To(ContainSubstring(rotated))
	}).WithTimeout(sftpWait).WithPolling(time.Second).Should(Succeed())

	kubectl("delete", "transferconnector", "partner-acme", "--timeout=2m")
	for _, c := range s.emu.Snapshot().Regions["eu-west-1"].Connectors {
		t.Errorf("connector %s was left in AWS", c.ConnectorID)
	}
	for _, sec := range s.emu.Snapshot().Regions["eu-west-1"].Secrets {
		if sec.DeletedDate.IsZero() {
			t.Errorf("secret %s was left in AWS", sec.Name)
		}
	}
}
