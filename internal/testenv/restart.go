package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
	"k8s.io/apimachinery/pkg/util/wait"
)

const (
	// keptCertDir is the directory, inside etcd's data directory, that holds the API server's
	// certificates once it has been restarted.
	keptCertDir = "kube-apiserver-certs"
	// apiServerStopGrace is how long the API server may take to stop after SIGTERM before it is
	// killed. Its graceful shutdown waits for open watches, which a running operator always
	// has, longer than envtest's 20 s stop timeout; a kubelet would kill it after its grace
	// period just the same.
	apiServerStopGrace = 5 * time.Second
)

// RestartAPIServer stops the kube-apiserver (SIGTERM, then SIGKILL after 5 s) and starts it
// again, while etcd keeps running with all the data: clients see an outage of the API server and
// nothing else. The restarted server listens on the same address with the same serving
// certificate, service account keys and client CA, so Config, Client and every kubeconfig
// WriteKubeconfig wrote stay valid.
//
// envtest removes the API server's certificate directory when the server stops and makes a new
// CA on the next start. So, on the first restart, the certificates are first copied into a
// directory inside etcd's data directory, which etcd never reads and Stop removes with the rest
// of etcd's data; the API server then runs from that copy.
func (cp *ControlPlane) RestartAPIServer() error {
	api := cp.env.ControlPlane.GetAPIServer()
	etcd := cp.env.ControlPlane.Etcd
	if etcd == nil || etcd.DataDir == "" || api.CertDir == "" {
		return errors.New("restarting the API server: the control plane is not running")
	}
	kept := filepath.Join(etcd.DataDir, keptCertDir)
	if api.CertDir != kept {
		if err := copyDir(api.CertDir, kept); err != nil {
			return fmt.Errorf("keeping the API server's certificates: %w", err)
		}
	}
	pid, err := apiServerPID(api.CertDir)
	if err != nil {
		return err
	}
	if err := terminate(pid, apiServerStopGrace); err != nil {
		return fmt.Errorf("stopping the API server: %w", err)
	}
	// The process is gone; Stop lets envtest see it so and clean up. It fails until envtest has
	// noticed the exit, which on a busy machine may take a while.
	stopped := func(context.Context) (bool, error) {
		err = api.Stop()
		return err == nil, nil
	}
	if wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, ControlPlaneStopTimeout, true, stopped) != nil {
		return fmt.Errorf("stopping the API server: %w", err)
	}
	api.CertDir = kept
	if err := api.Start(); err != nil {
		return fmt.Errorf("starting the API server again: %w", err)
	}
	return nil
}

// apiServerPID finds the kube-apiserver process that serves from certDir.
func apiServerPID(certDir string) (int, error) {
	procs, err := procfs.AllProcs()
	if err != nil {
		return 0, err
	}
	want := "--cert-dir=" + certDir
	for _, p := range procs {
		argv, err := p.CmdLine()
		if err == nil && len(argv) > 0 && filepath.Base(argv[0]) == "kube-apiserver" && slices.Contains(argv, want) {
			return p.PID, nil
		}
	}
	return 0, fmt.Errorf("no kube-apiserver process serves from %s", certDir)
}

// terminate sends SIGTERM to pid, then SIGKILL once grace has passed, and waits until the
// process has exited.
func terminate(pid int, grace time.Duration) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return err
	}
	exited := func(context.Context) (bool, error) { return !alive(pid), nil }
	if wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, grace, true, exited) == nil {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return wait.PollUntilContextCancel(context.Background(), 50*time.Millisecond, true, exited)
}

// alive reports whether pid is a process that has not exited (a zombie has).
func alive(pid int) bool {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return false
	}
	stat, err := p.Stat()
	return err == nil && stat.State != "Z"
}

// copyDir copies the regular files of src into dst, which it creates.
func copyDir(src, dst string) error {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}
