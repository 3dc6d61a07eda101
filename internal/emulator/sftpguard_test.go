package emulator

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
)

// panickingStorage panics in every call, and so do the files it opens: the
// storage methods it does not define are those of a nil interface.
type panickingStorage struct{ storage }

func (panickingStorage) open(string, string) (io.ReaderAt, error) { return panickingFile{}, nil }

func (panickingStorage) create(string, string, *PosixProfile) (io.WriterAt, error) {
	return panickingFile{}, nil
}

type panickingFile struct{}

func (panickingFile) ReadAt([]byte, int64) (int, error)  { panic("ReadAt") }
func (panickingFile) WriteAt([]byte, int64) (int, error) { panic("WriteAt") }

// TestSFTPGuardRecoversPanics serves a session whose storage panics through
// pkg/sftp's request server: every request fails with SSH_FX_FAILURE, the
// panics are logged, and the process lives on (without the guard, the first
// panic ends the test binary).
func TestSFTPGuardRecoversPanics(t *testing.T) {
	var mu sync.Mutex
	var logged []string
	guard := &sftpGuard{
		h:       &sftpSession{view: newHomeView(UserRecord{UserName: "pam"}), store: panickingStorage{}},
		maxSize: 1 << 20,
		logf: func(format string, _ ...any) {
			mu.Lock()
			defer mu.Unlock()
			logged = append(logged, format)
		},
	}
	serverConn, clientConn := net.Pipe()
	server := sftp.NewRequestServer(serverConn, guard.handlers())
	served := make(chan error, 1)
	go func() { served <- server.Serve() }()
	client, err := sftp.NewClientPipe(clientConn, clientConn)
	if err != nil {
		t.Fatalf("SFTP client: %v", err)
	}

	wantFailure := func(what string, err error) {
		t.Helper()
		var status *sftp.StatusError
		if !errors.As(err, &status) || status.FxCode() != sftp.ErrSSHFxFailure {
			t.Errorf("%s: %v, want SSH_FX_FAILURE", what, err)
		}
	}
	_, err = client.Stat("/bucket/x")
	wantFailure("stat", err)
	_, err = client.ReadDir("/bucket")
	wantFailure("readdir", err)
	wantFailure("mkdir", client.Mkdir("/bucket/dir"))
	r, err := client.Open("/bucket/x")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	_, err = r.ReadAt(make([]byte, 8), 0)
	wantFailure("read", err)
	w, err := client.Create("/bucket/y")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	_, err = w.WriteAt([]byte("data"), 0)
	wantFailure("write", err)

	_ = client.Close()
	select {
	case <-served:
	case <-time.After(time.Minute):
		t.Fatal("the request server did not stop within a minute of the client closing")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logged) != 5 || !strings.Contains(logged[0], "panic") {
		t.Errorf("logged %q, want the 5 panics", logged)
	}
}
