// Package helm tests the Helm chart (charts/transfer-operator) and the kustomize configuration
// (config/) with the real tools: helm and kubectl built from source by hack/setup-envtest.sh,
// and a real kube-apiserver (envtest) that validates, admits and serves what they produce.
//
// The API server is started once for the package, on first use, without CRDs: the chart must
// work on a bare cluster. Tests that need only helm or kubectl locally never start it.
package helm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

var (
	repoRoot = testenv.RepoRoot()
	chartDir = filepath.Join(repoRoot, "charts", "transfer-operator")
)

// tools are the helm and kubectl binaries the tests drive, and a scratch home for helm.
type tools struct {
	helm, kubectl string
	home          string
}

var (
	toolsOnce sync.Once
	theTools  tools
	toolsErr  error
)

// getTools returns the helm and kubectl binaries, building them (once) through
// hack/setup-envtest.sh.
func getTools(t *testing.T) tools {
	t.Helper()
	toolsOnce.Do(func() {
		assets, err := testenv.Assets()
		if err != nil {
			toolsErr = err
			return
		}
		cmd := exec.Command(filepath.Join(repoRoot, "hack", "setup-envtest.sh"), "helm")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			toolsErr = fmt.Errorf("hack/setup-envtest.sh helm: %w", err)
			return
		}
		home, err := os.MkdirTemp("", "transfer-operator-helm-test-")
		if err != nil {
			toolsErr = err
			return
		}
		theTools = tools{
			helm:    filepath.Join(strings.TrimSpace(string(out)), "helm"),
			kubectl: filepath.Join(assets, "kubectl"),
			home:    home,
		}
	})
	if toolsErr != nil {
		t.Fatalf("getting helm and kubectl: %v", toolsErr)
	}
	return theTools
}

// cluster is the package's API server and a kubeconfig for a cluster administrator.
type cluster struct {
	env        *envtest.Environment
	kubeconfig string
}

var (
	clusterOnce sync.Once
	theCluster  *cluster
	clusterErr  error
)

// getCluster starts the package's kube-apiserver and etcd on first use. They have no CRDs
// installed, as a fresh cluster.
func getCluster(t *testing.T) *cluster {
	t.Helper()
	tl := getTools(t)
	clusterOnce.Do(func() {
		assets, err := testenv.Assets()
		if err != nil {
			clusterErr = err
			return
		}
		env := &envtest.Environment{
			BinaryAssetsDirectory:    assets,
			ControlPlaneStartTimeout: testenv.ControlPlaneStartTimeout,
			ControlPlaneStopTimeout:  testenv.ControlPlaneStopTimeout,
		}
		if _, err := env.Start(); err != nil {
			clusterErr = fmt.Errorf("starting the control plane: %w", err)
			return
		}
		c := &cluster{env: env, kubeconfig: filepath.Join(tl.home, "kubeconfig")}
		theCluster = c
		user, err := env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
		if err != nil {
			clusterErr = fmt.Errorf("adding an administrator: %w", err)
			return
		}
		data, err := user.KubeConfig()
		if err != nil {
			clusterErr = err
			return
		}
		clusterErr = os.WriteFile(c.kubeconfig, data, 0o600)
	})
	if clusterErr != nil {
		t.Fatalf("starting the API server: %v", clusterErr)
	}
	return theCluster
}

func TestMain(m *testing.M) {
	code := m.Run()
	if theCluster != nil {
		if err := theCluster.env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the API server:", err)
		}
	}
	if theTools.home != "" {
		_ = os.RemoveAll(theTools.home)
	}
	os.Exit(code)
}

// result is what a command printed, and how it ended.
type result struct {
	stdout, stderr string
	err            error
}

func (r result) String() string {
	return fmt.Sprintf("error: %v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
}

// execute runs a command with stdin, in the repository root, for at most two minutes.
func execute(stdin []byte, env []string, name string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// helmEnv keeps helm away from the user's configuration, cache and repositories.
func (tl tools) helmEnv() []string {
	return []string{
		"HELM_CACHE_HOME=" + filepath.Join(tl.home, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(tl.home, "config"),
		"HELM_DATA_HOME=" + filepath.Join(tl.home, "data"),
		"KUBECONFIG=" + filepath.Join(tl.home, "kubeconfig"),
	}
}

// helm runs helm, against the package's cluster when one has been started.
func helm(t *testing.T, args ...string) result {
	t.Helper()
	tl := getTools(t)
	return execute(nil, tl.helmEnv(), tl.helm, args...)
}

// kubectl runs kubectl against the package's cluster (started on first use).
func kubectl(t *testing.T, stdin []byte, args ...string) result {
	t.Helper()
	c := getCluster(t)
	return execute(stdin, nil, getTools(t).kubectl, append([]string{"--kubeconfig", c.kubeconfig}, args...)...)
}

// mustKubectl runs kubectl and fails the test when it fails.
func mustKubectl(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	r := kubectl(t, stdin, args...)
	if r.err != nil {
		t.Fatalf("kubectl %s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// render runs helm template on the chart with the given flags and returns its output.
func render(t *testing.T, args ...string) string {
	t.Helper()
	r := helm(t, append([]string{"template", "transfer-operator", chartDir, "--namespace", "transfer-operator-system"}, args...)...)
	if r.err != nil {
		t.Fatalf("helm template %s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// allFeatures are the helm flags that turn every optional feature of the chart on.
var allFeatures = []string{"--values", filepath.Join(repoRoot, "test", "helm", "testdata", "all-features.yaml")}

// decode splits a multi-document YAML stream into objects, skipping empty documents.
func decode(t *testing.T, manifests string) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifests), 4096)
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("decoding the manifests: %v\n%s", err, manifests)
		}
		if len(obj) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: obj})
	}
}

// find returns the objects of a kind.
func find(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// findOne returns the only object of a kind, failing the test when there is not exactly one.
func findOne(t *testing.T, objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	t.Helper()
	found := find(objs, kind)
	if len(found) != 1 {
		t.Fatalf("want exactly one %s, got %d", kind, len(found))
	}
	return found[0]
}

// convert turns an unstructured object into a typed one.
func convert[T any](t *testing.T, obj *unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, out); err != nil {
		t.Fatalf("converting %s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
	return out
}
