package testpartner

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TestOpenSSHClient puts files with the unmodified OpenSSH sftp client, in batch mode with
// strict host key checking against HostKey: one at an absolute path under Dir, one at a
// relative path, which resolves under Dir too.
func TestOpenSSHClient(t *testing.T) {
	p := Start(t, Options{})
	local := t.TempDir()
	if err := os.WriteFile(filepath.Join(local, "a.txt"), []byte("sent with OpenSSH\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	upload := path.Join(p.Dir, "upload")
	out, err := openSSH(t, p, local, p.HostKey(), "mkdir "+upload+"\nput a.txt "+upload+"/a.txt\nput a.txt relative.txt\n")
	if err != nil {
		t.Fatalf("sftp: %v\n%s", err, out)
	}
	for _, name := range []string{filepath.Join(p.Dir, "upload", "a.txt"), filepath.Join(p.Dir, "relative.txt")} {
		if got, err := os.ReadFile(name); err != nil || string(got) != "sent with OpenSSH\n" {
			t.Errorf("%s holds %q, %v", name, got, err)
		}
	}
}

// TestGoClient puts a file and gets one back with x/crypto/ssh and pkg/sftp, the libraries the
// emulator's connectors use, logging in with ClientPrivateKeyPEM.
func TestGoClient(t *testing.T) {
	p := Start(t, Options{})
	client, err := dial(t, p, p.HostKey())
	if err != nil {
		t.Fatal(err)
	}
	if wd, err := client.Getwd(); err != nil || wd != p.Dir {
		t.Errorf("the session starts in %q (%v), want Dir, %q", wd, err, p.Dir)
	}
	if err := client.MkdirAll(path.Join(p.Dir, "upload")); err != nil {
		t.Fatal(err)
	}
	f, err := client.Create(path.Join(p.Dir, "upload", "go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("sent with pkg/sftp\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(p.Dir, "upload", "go.txt")); err != nil || string(got) != "sent with pkg/sftp\n" {
		t.Errorf("the file sent holds %q, %v", got, err)
	}

	if err := os.WriteFile(filepath.Join(p.Dir, "outbox.txt"), []byte("for retrieval\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := client.Open("outbox.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got bytes.Buffer
	if _, err := r.WriteTo(&got); err != nil || got.String() != "for retrieval\n" {
		t.Errorf("the file retrieved holds %q, %v", got.String(), err)
	}
}

// TestRotateHostKey rotates a host key of each type: a session opened before goes on, new
// connections pinned to the old key fail with a host key mismatch, and those pinned to the new
// one log in, with both OpenSSH and x/crypto/ssh.
func TestRotateHostKey(t *testing.T) {
	for _, tc := range []struct {
		keyType KeyType
		prefix  string
	}{
		{"", "ssh-ed25519 "},
		{RSA, "ssh-rsa "},
		{ECDSA, "ecdsa-sha2-nistp256 "},
	} {
		t.Run(tc.prefix[:len(tc.prefix)-1], func(t *testing.T) {
			p := Start(t, Options{HostKeyType: tc.keyType})
			old := p.HostKey()
			if !strings.HasPrefix(old, tc.prefix) {
				t.Fatalf("the host key is %q, want one starting with %q", old, tc.prefix)
			}
			before, err := dial(t, p, old)
			if err != nil {
				t.Fatal(err)
			}

			rotated := p.RotateHostKey(t)
			if !strings.HasPrefix(rotated, tc.prefix) || rotated == old || p.HostKey() != rotated {
				t.Fatalf("RotateHostKey returned %q and HostKey says %q; want a new %q key, not %q", rotated, p.HostKey(), tc.prefix, old)
			}
			if _, err := before.Getwd(); err != nil {
				t.Errorf("the session opened before the rotation: %v", err)
			}
			if _, err := dial(t, p, old); err == nil || !strings.Contains(err.Error(), "host key mismatch") {
				t.Errorf("x/crypto/ssh pinned to the old key: %v, want a host key mismatch", err)
			}
			if _, err := dial(t, p, rotated); err != nil {
				t.Errorf("x/crypto/ssh pinned to the new key: %v", err)
			}
			local := t.TempDir()
			if out, err := openSSH(t, p, local, old, "pwd\n"); err == nil || !strings.Contains(out, "REMOTE HOST IDENTIFICATION HAS CHANGED") {
				t.Errorf("OpenSSH pinned to the old key (err %v):\n%s", err, out)
			}
			if out, err := openSSH(t, p, local, rotated, "pwd\n"); err != nil {
				t.Errorf("OpenSSH pinned to the new key: %v\n%s", err, out)
			}
		})
	}
}

// TestCleanupEndsEverySession leaves a session open when the partner's test ends: the cleanup
// ends sshd and the processes serving the session, and the client sees its connection go.
func TestCleanupEndsEverySession(t *testing.T) {
	var client *sftp.Client
	var pids []int
	if !t.Run("partner", func(st *testing.T) {
		p := Start(st, Options{})
		var err error
		// Closed by the outer test's cleanup, after the partner's.
		if client, err = dial(t, p, p.HostKey()); err != nil {
			st.Fatal(err)
		}
		if pids = tree(p.proc.cmd.Process.Pid); len(pids) < 2 {
			st.Fatalf("sshd %v serves the open session in no process of its own", pids)
		}
	}) {
		return
	}
	for _, pid := range pids {
		// Gone, or a zombie that init has yet to reap. SIGKILL takes effect when the kernel next
		// schedules the process, which on a busy machine may be a while after kill returns.
		var stat []byte
		deadline := time.Now().Add(30 * time.Second)
		for {
			var err error
			stat, err = os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
			if err != nil || strings.HasPrefix(string(stat[bytes.LastIndexByte(stat, ')')+1:]), " Z") || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if !time.Now().Before(deadline) {
			t.Errorf("process %d outlived the partner by 30 s: %s", pid, stat)
		}
	}
	if _, err := client.Getwd(); err == nil {
		t.Error("the session outlived the partner")
	}
}

// dial logs in to p with its client key over x/crypto/ssh, trusting only hostKey, and opens
// an SFTP session that t's cleanup closes.
func dial(t *testing.T, p *Partner, hostKey string) (*sftp.Client, error) {
	t.Helper()
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(hostKey))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey([]byte(p.ClientPrivateKeyPEM))
	if err != nil {
		t.Fatalf("ClientPrivateKeyPEM: %v", err)
	}
	conn, err := ssh.Dial("tcp", p.Addr, &ssh.ClientConfig{
		User:            p.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(pub),
		Timeout:         30 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	client, err := sftp.NewClient(conn)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	t.Cleanup(func() {
		_ = client.Close()
		_ = conn.Close()
	})
	return client, nil
}

// openSSH runs OpenSSH's sftp in batch mode from dir with p's client key, trusting only
// hostKey, and returns its output.
func openSSH(t *testing.T, p *Partner, dir, hostKey, batch string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("sftp"); err != nil {
		t.Fatal("sftp is not installed; run make test-tools (hack/install-test-tools.sh)")
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(hostKey))
	if err != nil {
		t.Fatal(err)
	}
	knownHosts := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, []byte(knownhosts.Line([]string{p.Addr}, pub)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(p.Addr)
	cmd := exec.Command("sftp", "-F", "/dev/null", "-b", "-", "-i", p.ClientKeyFile, "-P", port,
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+knownHosts, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=30", p.User+"@"+host)
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(batch)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
