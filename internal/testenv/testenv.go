// Package testenv starts the real Kubernetes control plane the integration tests run against:
// kube-apiserver and etcd (controller-runtime envtest) with the operator's CRDs installed and,
// on request, kube-controller-manager.
package testenv

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// ControlPlane is a running kube-apiserver and etcd with the CRDs installed, and
// kube-controller-manager when Options.ControllerManager asked for it.
type ControlPlane struct {
	env *envtest.Environment
	cm  *controllerManager
	// Config reaches the API server as a cluster administrator.
	Config *rest.Config
	// Client is a client of Config that knows the operator's kinds.
	Client client.Client
	// Scheme holds the built-in and the operator's kinds.
	Scheme *k8sruntime.Scheme
}

// RepoRoot returns the repository's root directory: where this source file lives, or, when the
// binary was built with -trimpath and that path is unknown, the nearest directory above the
// working directory that holds go.mod.
func RepoRoot() string {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		return filepath.Join(filepath.Dir(file), "..", "..")
	}
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// Assets returns the directory of the envtest binaries: $KUBEBUILDER_ASSETS, or what
// hack/setup-envtest.sh builds (once) and prints.
func Assets() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	cmd := exec.Command(filepath.Join(RepoRoot(), "hack", "setup-envtest.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/setup-envtest.sh: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Bounds for a control plane on a busy machine, where envtest's defaults (20 s to start or stop
// each of etcd and kube-apiserver, 10 s for the CRDs to be served) are too short.
const (
	// ControlPlaneStartTimeout bounds the start of etcd, and of kube-apiserver, each.
	ControlPlaneStartTimeout = 2 * time.Minute
	// ControlPlaneStopTimeout bounds the stop of each, after which envtest kills it.
	ControlPlaneStopTimeout = time.Minute
	// crdTimeout bounds the wait for the CRDs to be served.
	crdTimeout = time.Minute
)

// Options configure a control plane.
type Options struct {
	// AuditLogPath, when set, makes the API server write an audit event (at Metadata level) for
	// every request to this file, one JSON object a line.
	AuditLogPath string
	// ControllerManager also runs kube-controller-manager with the controllers of a real
	// cluster that act on the operator's objects: the namespace controller (a deleted
	// namespace's objects are deleted, then the namespace) and the garbage collector
	// (ownerReferences are followed).
	ControllerManager bool
	// ControllerManagerOutput receives kube-controller-manager's log; nil discards it.
	ControllerManagerOutput io.Writer
}

// Start starts a control plane with the CRDs of config/crd/bases installed. Stop it with Stop.
func Start() (*ControlPlane, error) { return StartWith(Options{}) }

// StartWith starts a control plane configured by opts.
func StartWith(opts Options) (*ControlPlane, error) {
	assets, err := Assets()
	if err != nil {
		return nil, err
	}
	scheme := k8sruntime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		CRDDirectoryPaths:        []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing:    true,
		Scheme:                   scheme,
		CRDInstallOptions:        envtest.CRDInstallOptions{MaxTime: crdTimeout},
		ControlPlaneStartTimeout: ControlPlaneStartTimeout,
		ControlPlaneStopTimeout:  ControlPlaneStopTimeout,
	}
	if opts.AuditLogPath != "" {
		policy := filepath.Join(filepath.Dir(opts.AuditLogPath), "audit-policy.yaml")
		if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
			return nil, err
		}
		env.ControlPlane.GetAPIServer().Configure().
			Set("audit-policy-file", policy).
			Set("audit-log-path", opts.AuditLogPath)
	}
	cfg, err := env.Start()
	if err != nil {
		// envtest leaves kube-apiserver and etcd running when a later step fails, such as
		// installing a CRD the API server refuses.
		return nil, errors.Join(fmt.Errorf("starting the control plane: %w", err), env.Stop())
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	cp := &ControlPlane{env: env, Config: cfg, Client: c, Scheme: scheme}
	if opts.ControllerManager {
		if cp.cm, err = startControllerManager(cp, assets, opts.ControllerManagerOutput); err != nil {
			_ = env.Stop()
			return nil, err
		}
	}
	return cp, nil
}

// Stop stops kube-controller-manager, if it runs, then the API server and etcd, and removes
// their data.
func (cp *ControlPlane) Stop() error {
	var err error
	if cp.cm != nil {
		err = cp.cm.stop()
	}
	return errors.Join(err, cp.env.Stop())
}

// auditPolicy records who did what to which resource, without request or response bodies.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
`
