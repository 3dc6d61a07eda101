package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"golang.org/x/crypto/ssh"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// sftpWait bounds each wait for the operator to carry a change to the emulator.
const sftpWait = 2 * time.Minute

// TestSFTPLogin applies a TransferServer and a TransferUser with kubectl and logs in as the user
// with the unmodified OpenSSH sftp client, in batch mode and with strict host key checking
// against a known_hosts built from the server's host key: the user puts and gets a file and
// sees only its logical home; a key added to the spec logs in, a key removed from it no longer
// does, and spec.state Offline refuses logins. The AWS CLI reads the uploaded object from the
// emulator's S3 API.
func TestSFTPLogin(t *testing.T) {
	for _, tool := range []string{"sftp", "ssh-keyscan", "aws"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed; run make test-tools (hack/install-test-tools.sh)", tool)
		}
	}
	g := NewWithT(t)
	s := startStack(t, "eu-west-1", emulator.Options{Seed: 16, DataPlane: &emulator.DataPlaneOptions{EFSRoot: t.TempDir(), Logf: t.Logf}})
	emu, op, logs, kubectl, dir := s.emu, s.op, s.logs, s.kubectl, s.dir

	first, firstPub := writeUserKey(t, dir, "first")
	second, secondPub := writeUserKey(t, dir, "second")
	user := func(keys ...string) string {
		return fmt.Sprintf(`
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferUser
metadata: {name: erin, namespace: default}
spec:
  serverRef: {name: sftp-e2e}
  role: arn:aws:iam::111122223333:role/transfer
  homeDirectoryType: LOGICAL
  homeDirectoryMappings:
  - {entry: /, target: "/e2e-bucket/home/${Transfer:UserName}"}
  sshPublicKeys: [%s]
`, `"`+strings.Join(keys, `", "`)+`"`)
	}
	kubectl("apply", "-f", "-", `
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferServer
metadata: {name: sftp-e2e, namespace: default}
spec: {protocols: [SFTP]}
---`+user(firstPub))
	kubectl("wait", "--for=condition=Ready", "--timeout=2m", "transferserver/sftp-e2e", "transferuser/erin")
	serverID := kubectl("get", "transferserver", "sftp-e2e", "-o", "jsonpath={.status.serverId}")
	fingerprint := kubectl("get", "transferserver", "sftp-e2e", "-o", "jsonpath={.status.hostKeyFingerprint}")
	addr, ok := emu.SFTPAddress("eu-west-1", serverID)
	if !ok {
		t.Fatalf("the emulator serves no SFTP endpoint for %s", serverID)
	}
	_, port, _ := net.SplitHostPort(addr)
	knownHosts := scanHostKey(t, dir, port, fingerprint)

	aws := func(args ...string) (string, error) {
		cmd := exec.Command("aws", append(args, "--endpoint-url", emu.S3URL(), "--region", "eu-west-1")...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=e2e", "AWS_SECRET_ACCESS_KEY=e2e")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := aws("s3", "cp", "-", "s3://e2e-bucket/outside.txt"); err != nil {
		t.Fatalf("aws s3 cp: %v\n%s", err, out)
	}
	upload := filepath.Join(dir, "upload.txt")
	if err := os.WriteFile(upload, []byte("uploaded with OpenSSH sftp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sftp := func(key, batch string) (string, error) {
		cmd := exec.Command("sftp", "-F", "/dev/null", "-b", "-", "-i", key, "-P", port,
			"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+knownHosts, "-o", "IdentitiesOnly=yes",
			"-o", "ConnectTimeout=30", "erin@127.0.0.1")
		cmd.Dir, cmd.Stdin = dir, strings.NewReader(batch)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := sftp(first, "put upload.txt\nget upload.txt downloaded.txt\ncd /..\npwd\nls -1 /\nget /../outside.txt\n")
	if err == nil || !strings.Contains(out, "outside.txt") {
		t.Fatalf("sftp: the last command, a get above the logical home, should fail (err %v):\n%s", err, out)
	}
	if !strings.Contains(out, "Remote working directory: /\n") {
		t.Errorf("cd /.. did not stay at the logical root:\n%s", out)
	}
	listed := out[strings.Index(out, "ls -1 /"):strings.Index(out, "get /../outside.txt")]
	if !strings.Contains(listed, "upload.txt") || strings.Contains(listed, "outside") || strings.Contains(listed, "home") {
		t.Errorf("ls of / should show exactly the home's upload.txt:\n%s", listed)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "downloaded.txt")); err != nil || string(got) != "uploaded with OpenSSH sftp\n" {
		t.Errorf("the file got back is %q, %v", got, err)
	}
	if out, err := aws("s3", "cp", "s3://e2e-bucket/home/erin/upload.txt", "-"); err != nil || out != "uploaded with OpenSSH sftp\n" {
		t.Errorf("aws s3 cp of the upload: %v\n%s", err, out)
	}
	if out, err := aws("s3", "ls", "s3://e2e-bucket/home/erin/"); err != nil || !strings.Contains(out, "upload.txt") {
		t.Errorf("aws s3 ls: %v\n%s", err, out)
	}

	kubectl("apply", "-f", "-", user(firstPub, secondPub))
	g.Eventually(func() error { return loginError(sftp(second, "pwd\n")) }).WithTimeout(sftpWait).WithPolling(time.Second).
		Should(Succeed(), "the key added to the spec never logged in")

	kubectl("apply", "-f", "-", user(secondPub))
	g.Eventually(func() error { return loginError(sftp(first, "pwd\n")) }).WithTimeout(sftpWait).WithPolling(time.Second).
		Should(MatchError(ContainSubstring("Permission denied")), "the key removed from the spec still logs in")
	g.Expect(loginError(sftp(second, "pwd\n"))).To(Succeed(), "the key left in the spec stopped working")

	kubectl("patch", "transferserver", "sftp-e2e", "--type=merge", "-p", `{"spec":{"state":"Offline"}}`)
	g.Eventually(func() error { return loginError(sftp(second, "pwd\n")) }).WithTimeout(sftpWait).WithPolling(time.Second).
		Should(MatchError(MatchRegexp(`Connection (closed|reset)`)), "an Offline server still accepts logins")

	kubectl("delete", "transferuser/erin", "transferserver/sftp-e2e", "--timeout=2m")
	if err := op.Stop(time.Minute); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, logs)
	}
}

// loginError turns an sftp run into an error carrying its output, nil when it succeeded.
func loginError(out string, err error) error {
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}

// writeUserKey writes a new ED25519 private key, readable by its owner only as OpenSSH
// requires, and returns its path and its authorized_keys line.
func writeUserKey(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, name)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return path, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + name
}

// scanHostKey writes a known_hosts file with the host keys ssh-keyscan reads from the server
// and fails unless they are the key whose fingerprint the TransferServer's status reports.
func scanHostKey(t *testing.T, dir, port, fingerprint string) string {
	t.Helper()
	out, err := exec.Command("ssh-keyscan", "-p", port, "127.0.0.1").Output()
	if err != nil {
		t.Fatalf("ssh-keyscan: %v", err)
	}
	var found []string
	for rest := out; len(rest) > 0; {
		_, _, key, _, next, err := ssh.ParseKnownHosts(rest)
		if err != nil {
			break
		}
		found = append(found, ssh.FingerprintSHA256(key))
		rest = next
	}
	if len(found) != 1 || found[0] != fingerprint {
		t.Fatalf("ssh-keyscan found host keys %v, want the one of status.hostKeyFingerprint, %s:\n%s", found, fingerprint, out)
	}
	path := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
