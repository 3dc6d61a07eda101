package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// WriteKubeconfig writes a kubeconfig for a cluster administrator of the control plane to path,
// for kubectl, helm and the operator binary.
func (cp *ControlPlane) WriteKubeconfig(path string) error {
	return cp.WriteUserKubeconfig("admin", []string{"system:masters"}, path)
}

// WriteUserKubeconfig writes a kubeconfig for the user name, member of groups, to path. The user
// may do only what RBAC grants it.
func (cp *ControlPlane) WriteUserKubeconfig(name string, groups []string, path string) error {
	user, err := cp.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return fmt.Errorf("adding user %s: %w", name, err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	return os.WriteFile(path, data, 0o600)
}

// BuildOperator builds the operator binary into dir and returns its path.
func BuildOperator(dir string) (string, error) {
	bin := filepath.Join(dir, "transfer-operator")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = RepoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the operator: %w\n%s", err, out)
	}
	return bin, nil
}

// The static AWS credentials StartOperator gives the operator, for an emulator that checks
// signatures.
const (
	OperatorAccessKeyID     = "AKIDEMULATOR"
	OperatorSecretAccessKey = "emulator-secret"
)

// OperatorConfig says how to run the operator binary.
type OperatorConfig struct {
	// Binary is the path BuildOperator returned.
	Binary string
	// Kubeconfig reaches the control plane.
	Kubeconfig string
	// EndpointURL is the Transfer endpoint, such as an emulator's URL; the operator reaches EC2
	// and Secrets Manager there too, as the emulator serves them all.
	EndpointURL string
	// Region is the default AWS region.
	Region string
	// Args are further flags.
	Args []string
	// Output receives the operator's logs; nil discards them.
	Output io.Writer
	// WebIdentityRoleARN and WebIdentityTokenFile, when set, replace the static credentials
	// with web identity ones, as EKS gives them (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE).
	WebIdentityRoleARN, WebIdentityTokenFile string
}

// Operator is the operator binary running as a process of its own, as in a cluster.
type Operator struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	once sync.Once
}

// StartOperator starts the operator with probes and metrics off, static dummy AWS credentials
// (or web identity ones, with cfg.WebIdentityRoleARN) and the instance metadata service disabled, so that it reaches nothing but the control plane
// and the endpoint it is given.
func StartOperator(cfg OperatorConfig) (*Operator, error) {
	args := append([]string{
		"--kubeconfig=" + cfg.Kubeconfig,
		"--aws-endpoint-url=" + cfg.EndpointURL,
		"--aws-ec2-endpoint-url=" + cfg.EndpointURL,
		"--aws-secretsmanager-endpoint-url=" + cfg.EndpointURL,
		"--aws-region=" + cfg.Region,
		"--metrics-bind-address=0",
		"--health-probe-bind-address=0",
	}, cfg.Args...)
	cmd := exec.Command(cfg.Binary, args...)
	credentials := []string{"AWS_ACCESS_KEY_ID=" + OperatorAccessKeyID, "AWS_SECRET_ACCESS_KEY=" + OperatorSecretAccessKey}
	if cfg.WebIdentityRoleARN != "" {
		credentials = []string{"AWS_ROLE_ARN=" + cfg.WebIdentityRoleARN, "AWS_WEB_IDENTITY_TOKEN_FILE=" + cfg.WebIdentityTokenFile}
	}
	cmd.Env = append(append(os.Environ(), credentials...),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
	out := cfg.Output
	if out == nil {
		out = io.Discard
	}
	cmd.Stdout, cmd.Stderr = out, out
	// A process group of its own: a terminal's Ctrl-C reaches only the caller, which alone
	// decides how the operator stops; Pdeathsig ends the operator if the caller dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the operator: %w", err)
	}
	op := &Operator{cmd: cmd, done: make(chan struct{})}
	go func() {
		op.err = cmd.Wait()
		close(op.done)
	}()
	return op, nil
}

// PID is the operator's process ID.
func (op *Operator) PID() int { return op.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (op *Operator) Exited() bool {
	select {
	case <-op.done:
		return true
	default:
		return false
	}
}

// Kill ends the operator at once with SIGKILL, as a crash or an evicted Pod would, and waits
// for the process to be gone.
func (op *Operator) Kill() {
	op.once.Do(func() { _ = op.cmd.Process.Signal(syscall.SIGKILL) })
	<-op.done
}

// Stop asks the operator to shut down with SIGTERM and waits up to timeout before killing it.
// It returns an error when the operator did not stop by itself or exited with an error.
func (op *Operator) Stop(timeout time.Duration) error {
	if op.Exited() {
		return op.exitError()
	}
	_ = op.cmd.Process.Signal(syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	select {
	case <-op.done:
		return op.exitError()
	case <-ctx.Done():
		op.Kill()
		return fmt.Errorf("the operator did not stop within %s after SIGTERM", timeout)
	}
}

func (op *Operator) exitError() error {
	var exit *exec.ExitError
	if errors.As(op.err, &exit) && exit.Exited() && exit.ExitCode() == 0 {
		return nil
	}
	return op.err
}
