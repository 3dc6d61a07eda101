// Package testpartner runs Debian's OpenSSH sshd as the partner server an SFTP connector
// reaches, for tests: on 127.0.0.1, as the test's own user, with a config, host key and client
// key of its own in temporary directories. hack/install-test-tools.sh installs sshd.
package testpartner

import (
	"cmp"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

const (
	// sshdPath is where Debian's openssh-server installs sshd; sshd re-executes itself, so it
	// must be started by an absolute path.
	sshdPath = "/usr/sbin/sshd"
	// readyTimeout bounds the wait for sshd to serve a login after a start or a reload: well
	// under a second on an idle machine, far more on a loaded CI box.
	readyTimeout = time.Minute
	// loginTimeout bounds each login waitReady tries.
	loginTimeout = 10 * time.Second
	// startAttempts is how many free ports Start tries, should another process take the port
	// between the moment it was found free and sshd's bind.
	startAttempts = 3
)

// Options says how to run a partner.
type Options struct {
	// HostKeyType is the type of the host key sshd presents, and of those RotateHostKey makes;
	// Ed25519 when empty.
	HostKeyType KeyType
	// ClientKeyType is the type of User's key; ECDSA when empty, which AWS's SFTP connectors
	// take (they refuse ED25519 keys).
	ClientKeyType KeyType
}

// Partner is a running sshd that serves SFTP only, to User, authenticated by the public key of
// ClientPrivateKeyPEM. Password authentication is not offered: an sshd that runs without PAM
// and, as a non-root user, cannot read /etc/shadow has no password to check.
type Partner struct {
	// Addr is where sshd listens: "127.0.0.1:port".
	Addr string
	// URL is Addr as an SFTP connector's Url takes it: "sftp://127.0.0.1:port".
	URL string
	// User is the login name: the user the test runs as.
	User string
	// ClientPrivateKeyPEM is User's private key (Options.ClientKeyType) in OpenSSH format, as the
	// PrivateKey of an SFTP connector's secret takes it.
	ClientPrivateKeyPEM string
	// ClientKeyFile holds ClientPrivateKeyPEM, readable by its owner only, for OpenSSH's -i.
	ClientKeyFile string
	// Dir is the directory every SFTP session starts in, so relative paths resolve under it.
	// Sessions are not confined to it (sshd can chroot only as root): an absolute path names
	// the same file on the partner and on the host, so a file sent to remote directory
	// path.Join(p.Dir, "upload") is found at filepath.Join(p.Dir, "upload", name).
	Dir string

	hostKeyType KeyType
	hostKeyFile string
	client      ssh.Signer
	logFile     string
	proc        *sshd

	mu      sync.Mutex
	hostKey key
}

// Start starts a partner for a test and returns once it serves a login (Run); it fails t if
// sshd is missing or never serves one. The partner, and every session it serves, is ended when
// t's cleanup runs, which logs sshd's output if t failed.
func Start(t testing.TB, opts Options) *Partner {
	t.Helper()
	p, err := Run(t.TempDir(), t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		if t.Failed() {
			t.Logf("sshd's log:\n%s", p.log())
		}
	})
	return p
}

// Run starts a partner whose configuration, keys and log live in state and whose SFTP sessions
// start in dir, and returns once it serves a login; Close ends it. It is Start for programs
// that are not tests, such as the demo. Run as root, sshd separates privileges as it does in
// production, and Run creates the directory that needs, /run/sshd, if it is missing. Without
// PAM, sshd refuses a user whose password is locked ("!"), as nss-systemd reports nobody's.
func Run(state, dir string, opts Options) (*Partner, error) {
	if _, err := os.Stat(sshdPath); err != nil {
		return nil, fmt.Errorf("%s is not installed; run make test-tools (hack/install-test-tools.sh)", sshdPath)
	}
	me, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("looking up the current user: %w", err)
	}
	hostKey, err := newKey(opts.HostKeyType)
	if err != nil {
		return nil, err
	}
	clientKey, err := newKey(cmp.Or(opts.ClientKeyType, ECDSA))
	if err != nil {
		return nil, err
	}
	client, err := ssh.ParsePrivateKey(clientKey.privatePEM)
	if err != nil {
		return nil, err
	}
	p := &Partner{
		User:                me.Username,
		ClientPrivateKeyPEM: string(clientKey.privatePEM),
		ClientKeyFile:       filepath.Join(state, "client_key"),
		Dir:                 dir,
		hostKeyType:         opts.HostKeyType,
		hostKeyFile:         filepath.Join(state, "ssh_host_key"),
		logFile:             filepath.Join(state, "sshd.log"),
		client:              client,
		hostKey:             hostKey,
	}
	authorizedKeys := filepath.Join(state, "authorized_keys")
	for _, f := range []struct {
		path string
		data []byte
	}{
		{p.hostKeyFile, hostKey.privatePEM},
		{p.ClientKeyFile, clientKey.privatePEM},
		{authorizedKeys, []byte(clientKey.line() + "\n")},
	} {
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			return nil, err
		}
	}
	if os.Geteuid() == 0 {
		// What Debian's service unit creates (RuntimeDirectory=sshd): root's sshd chroots its
		// unprivileged pre-authentication process there and refuses to start without it.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return nil, err
		}
	}
	for attempt := 1; ; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		p.Addr = l.Addr().String()
		_ = l.Close()
		p.URL = "sftp://" + p.Addr
		config := filepath.Join(state, "sshd_config")
		if err := os.WriteFile(config, []byte(p.config(state)), 0o600); err != nil {
			return nil, err
		}
		logged := len(p.log())
		if p.proc, err = startSSHD(config, p.logFile); err != nil {
			return nil, fmt.Errorf("starting sshd: %w", err)
		}
		err = p.waitReady(hostKey.public)
		if err == nil {
			return p, nil
		}
		p.proc.kill()
		if attempt == startAttempts || !strings.Contains(p.log()[logged:], "Address already in use") {
			return nil, fmt.Errorf("sshd on %s: %w\n%s", p.Addr, err, p.log())
		}
	}
}

// Close ends sshd and every session it serves.
func (p *Partner) Close() {
	if p.proc != nil {
		p.proc.kill()
	}
}

// config is the sshd_config of a partner keeping its files in state. No PAM and no strict
// modes let sshd run as any user with files in a temporary directory; internal-sftp, forced
// whatever the client asks, serves SFTP in sshd's own process from Dir. Paths go unquoted, as
// internal-sftp would keep the quotes; temporary directories hold no spaces.
func (p *Partner) config(state string) string {
	return fmt.Sprintf(`# Written by internal/testpartner.
ListenAddress %s
HostKey %s
PidFile %s
AuthorizedKeysFile %s
AllowUsers %s
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
ForceCommand internal-sftp -d %s
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTTY no
LogLevel VERBOSE
`, p.Addr, p.hostKeyFile, filepath.Join(state, "sshd.pid"), filepath.Join(state, "authorized_keys"), p.User, p.Dir)
}

// log is what sshd, and the processes it forked, have logged so far.
func (p *Partner) log() string {
	b, _ := os.ReadFile(p.logFile) // none before sshd's first start
	return string(b)
}

// HostKey is the public host key sshd presents, as an SFTP connector's TrustedHostKeys takes
// it: "ssh-ed25519 AAAA...".
func (p *Partner) HostKey() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hostKey.line()
}

// RotateHostKey replaces the host key with a new one of the same type (Rotate), failing t if it
// cannot.
func (p *Partner) RotateHostKey(t testing.TB) string {
	t.Helper()
	line, err := p.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// Rotate replaces the host key with a new one of the same type and returns its public line once
// new connections are served with it. sshd reloads on SIGHUP, on the same port; sessions
// already open go on with the old key.
func (p *Partner) Rotate() (string, error) {
	k, err := newKey(p.hostKeyType)
	if err != nil {
		return "", err
	}
	// Renamed into place, so that sshd never reads half a key.
	next := p.hostKeyFile + ".next"
	if err := os.WriteFile(next, k.privatePEM, 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(next, p.hostKeyFile); err != nil {
		return "", err
	}
	if err := p.proc.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		return "", fmt.Errorf("reloading sshd: %w", err)
	}
	if err := p.waitReady(k.public); err != nil {
		return "", fmt.Errorf("sshd after the host key rotation: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hostKey = k
	return k.line(), nil
}

// waitReady polls until sshd presents hostKey and accepts the client key, and fails if sshd
// exits first or readyTimeout passes.
func (p *Partner) waitReady(hostKey ssh.PublicKey) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		err := p.login(hostKey)
		if err == nil {
			return nil
		}
		if p.proc.exited() {
			return fmt.Errorf("sshd exited: %v", p.proc.err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no login after %s: %w", readyTimeout, err)
		}
		select {
		case <-p.proc.done:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// login logs in to sshd with the client key, requiring hostKey, within loginTimeout.
func (p *Partner) login(hostKey ssh.PublicKey) error {
	conn, err := net.DialTimeout("tcp", p.Addr, loginTimeout)
	if err != nil {
		return err
	}
	// ssh.ClientConfig's Timeout bounds the TCP connect only; a port that another process took
	// before sshd could bind it may accept the connection and never answer the handshake.
	if err := conn.SetDeadline(time.Now().Add(loginTimeout)); err != nil {
		_ = conn.Close()
		return err
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, p.Addr, &ssh.ClientConfig{
		User:            p.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(p.client)},
		HostKeyCallback: ssh.FixedHostKey(hostKey),
	})
	if err != nil {
		_ = conn.Close()
		return err
	}
	return ssh.NewClient(c, chans, reqs).Close()
}
