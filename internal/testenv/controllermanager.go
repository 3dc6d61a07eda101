package testenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

const (
	// controllerManagerUser is the name kube-controller-manager authenticates as, as in a real
	// cluster, so that an audit log tells its requests apart.
	controllerManagerUser = "system:kube-controller-manager"
	// controllerManagerControllers are the controllers of a real cluster that act on the
	// operator's objects and their Secrets: the namespace controller deletes a deleted
	// namespace's objects, the garbage collector those whose ownerReferences are gone. The
	// controllers of Pods, nodes and service account tokens have nothing to act on here.
	controllerManagerControllers = "namespace,garbagecollector"
	// controllerManagerStopGrace is how long kube-controller-manager may take to stop after
	// SIGTERM before it is killed.
	controllerManagerStopGrace = 10 * time.Second
)

// controllerManager is kube-controller-manager running against a control plane, in a directory
// of its own (its kubeconfig and serving certificate) that stop removes.
type controllerManager struct {
	cmd  *exec.Cmd
	dir  string
	done chan struct{}
	err  error
}

// startControllerManager starts kube-controller-manager from assets against cp, with
// controllerManagerControllers, leader election off and its secure port on a free port of
// 127.0.0.1, and returns once its /healthz answers ok, within ControlPlaneStartTimeout. Its log
// goes to out (nil discards it). It authenticates as system:kube-controller-manager in the group
// system:masters: with --use-service-account-credentials off, as here, the namespace controller
// deletes every kind of object with the manager's own credentials.
func startControllerManager(cp *ControlPlane, assets string, out io.Writer) (*controllerManager, error) {
	dir, err := os.MkdirTemp("", "kube-controller-manager-")
	if err != nil {
		return nil, err
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := cp.WriteUserKubeconfig(controllerManagerUser, []string{"system:masters"}, kubeconfig); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(filepath.Join(assets, "kube-controller-manager"),
		"--kubeconfig="+kubeconfig,
		"--controllers="+controllerManagerControllers,
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--cert-dir="+dir,
	)
	if out == nil {
		out = io.Discard
	}
	cmd.Stdout, cmd.Stderr = out, out
	// A process group of its own, as the operator's: a terminal's Ctrl-C reaches only the
	// caller; Pdeathsig ends it if the caller dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting kube-controller-manager: %w", err)
	}
	cm := &controllerManager{cmd: cmd, dir: dir, done: make(chan struct{})}
	go func() {
		cm.err = cmd.Wait()
		close(cm.done)
	}()
	if err := cm.waitHealthy(port); err != nil {
		return nil, errors.Join(err, cm.stop())
	}
	return cm, nil
}

// waitHealthy waits until the /healthz of the manager's secure port answers ok, trusting the
// self-signed certificate it wrote to its directory. It fails at once when the process exits.
func (cm *controllerManager) waitHealthy(port int) error {
	url := fmt.Sprintf("https://127.0.0.1:%d/healthz", port)
	certFile := filepath.Join(cm.dir, "kube-controller-manager.crt")
	var last error
	healthy := func(ctx context.Context) (bool, error) {
		select {
		case <-cm.done:
			return false, fmt.Errorf("kube-controller-manager exited: %v", cm.err)
		default:
		}
		last = probe(ctx, url, certFile)
		return last == nil, nil
	}
	if err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, ControlPlaneStartTimeout, true, healthy); err != nil {
		if wait.Interrupted(err) {
			return fmt.Errorf("kube-controller-manager was not healthy within %s: %v", ControlPlaneStartTimeout, last)
		}
		return err
	}
	return nil
}

// probe asks url once for an ok, trusting the certificates in certFile.
func probe(ctx context.Context, url, certFile string) error {
	pem, err := os.ReadFile(certFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("no certificate in %s", certFile)
	}
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", url, resp.Status, body)
	}
	return nil
}

// stop asks kube-controller-manager to stop with SIGTERM, kills it after
// controllerManagerStopGrace, waits until it has exited and removes its directory.
func (cm *controllerManager) stop() error {
	_ = cm.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-cm.done:
	case <-time.After(controllerManagerStopGrace):
		_ = cm.cmd.Process.Signal(syscall.SIGKILL)
		<-cm.done
	}
	return os.RemoveAll(cm.dir)
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
