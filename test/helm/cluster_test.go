package helm

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var monitoringCRDs sync.Once

// installMonitoringCRDs installs the Prometheus Operator's ServiceMonitor and PrometheusRule CRDs
// (copies of the real ones, see testdata/) into the package's cluster, so that the chart's
// ServiceMonitor and PrometheusRule are validated against their real schemas.
func installMonitoringCRDs(t *testing.T) {
	t.Helper()
	monitoringCRDs.Do(func() {
		for _, plural := range []string{"servicemonitors", "prometheusrules"} {
			mustKubectl(t, nil, "apply", "--server-side", "-f", filepath.Join(repoRoot, "test", "helm", "testdata", "monitoring.coreos.com_"+plural+".yaml"))
			mustKubectl(t, nil, "wait", "--for=condition=Established", "--timeout=60s", "crd/"+plural+".monitoring.coreos.com")
		}
	})
}

// ensureNamespaces creates namespaces that do not exist yet.
func ensureNamespaces(t *testing.T, names ...string) {
	t.Helper()
	for _, ns := range names {
		mustKubectl(t, []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"`+ns+`"}}`), "apply", "--server-side", "-f", "-")
	}
}

// dryRunApply applies manifests with a server-side dry run: the API server validates every
// object against its schema (strict field validation: unknown fields fail), runs admission, and
// persists nothing.
func dryRunApply(t *testing.T, manifests string) result {
	t.Helper()
	return kubectl(t, []byte(manifests), "apply", "--server-side", "--force-conflicts", "--field-manager=dry-run",
		"--dry-run=server", "--validate=strict", "-f", "-")
}

func TestRenderedManifestsPassServerValidation(t *testing.T) {
	installMonitoringCRDs(t)
	ensureNamespaces(t, "transfer-operator-system", "team-a", "team-b")
	for name, args := range map[string][]string{
		"defaults": nil,
		// AWSAccounts need their CRD served before the API server can validate them, which a dry
		// run of one batch with the CRD does not give (a first helm install cannot create them
		// either); the helm upgrade of TestHelmInstallOnABareCluster creates one for real.
		"all features": append(slices.Clone(allFeatures), "--set", "accounts=null"),
		"metrics off":  {"--set", "metrics.enabled=false", "--set", "networkPolicy.enabled=true", "--set", "leaderElection.enabled=false"},
		"plain HTTP metrics": {"--set", "metrics.secure=false", "--set", "metrics.serviceMonitor.enabled=true",
			"--set", "podDisruptionBudget.enabled=true", "--set", "podDisruptionBudget.minAvailable=50%", "--set", "podDisruptionBudget.maxUnavailable=null"},
		"metrics scraped without verification": {"--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.tlsConfig.insecureSkipVerify=true"},
		"metrics verified with a CA ConfigMap": {"--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.certSecret=metrics-cert",
			"--set-json", `metrics.serviceMonitor.tlsConfig.ca={"configMap":{"name":"metrics-ca","key":"ca.crt"}}`},
	} {
		t.Run(name, func(t *testing.T) {
			manifests := render(t, args...)
			if r := dryRunApply(t, manifests); r.err != nil {
				t.Fatalf("the API server rejects the chart's manifests: %s", r)
			} else if n := strings.Count(r.stdout, "(server dry run)"); n != len(decode(t, manifests)) {
				t.Errorf("%d objects applied, the chart renders %d:\n%s", n, len(decode(t, manifests)), r.stdout)
			}
		})
	}
	// The same check fails when the chart renders what the API does not know: the validation
	// above does bite.
	t.Run("an unknown field is rejected", func(t *testing.T) {
		r := dryRunApply(t, render(t, "--set", "podSecurityContext.runAsUsr=1000"))
		if r.err == nil || !strings.Contains(r.stderr, "runAsUsr") {
			t.Fatalf("want the API server to reject the unknown field runAsUsr, got: %s", r)
		}
	})
	t.Run("an invalid ServiceMonitor is rejected", func(t *testing.T) {
		r := dryRunApply(t, render(t, "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.certSecret=metrics-cert", "--set", "metrics.serviceMonitor.interval=often"))
		if r.err == nil || !strings.Contains(r.stderr, "interval") {
			t.Fatalf("want the API server to reject the ServiceMonitor interval, got: %s", r)
		}
	})
}

// podFromDeployment makes a Pod of a Deployment's Pod template, as the ReplicaSet controller
// would: Pod Security admission checks Pods, and envtest runs no controllers.
func podFromDeployment(t *testing.T, deploy *unstructured.Unstructured, namespace string) []byte {
	t.Helper()
	d := convert[appsv1.Deployment](t, deploy)
	pod := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-pod", Namespace: namespace, Labels: d.Spec.Template.Labels},
		Spec:       d.Spec.Template.Spec,
	}
	data, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkRestricted creates a Pod from the Deployment in a namespace that enforces the restricted
// Pod Security Standard (server-side dry run) and fails the test on any violation or warning.
func checkRestricted(t *testing.T, deploy *unstructured.Unstructured) {
	t.Helper()
	r := kubectl(t, podFromDeployment(t, deploy, "restricted"), "create", "--dry-run=server", "-f", "-")
	if r.err != nil || strings.Contains(r.stderr, "PodSecurity") {
		t.Fatalf("the Pod violates the restricted Pod Security Standard: %s", r)
	}
}

// restrictedNamespace creates the namespace "restricted", which enforces (and warns about) the
// restricted Pod Security Standard, and checks that it does reject a Pod that violates it.
func restrictedNamespace(t *testing.T) {
	t.Helper()
	mustKubectl(t, []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"restricted","labels":{
		"pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/enforce-version":"latest",
		"pod-security.kubernetes.io/warn":"restricted","pod-security.kubernetes.io/warn-version":"latest"}}}`),
		"apply", "--server-side", "-f", "-")
	r := kubectl(t, []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"root","namespace":"restricted"},
		"spec":{"containers":[{"name":"c","image":"busybox"}]}}`), "create", "--dry-run=server", "-f", "-")
	if r.err == nil || !strings.Contains(r.stderr, "violates PodSecurity") {
		t.Fatalf("the restricted namespace admits a Pod without a security context: %s", r)
	}
}

func TestChartPassesRestrictedPodSecurity(t *testing.T) {
	restrictedNamespace(t)
	for name, args := range map[string][]string{"defaults": nil, "all features": allFeatures} {
		t.Run(name, func(t *testing.T) {
			checkRestricted(t, findOne(t, decode(t, render(t, args...)), "Deployment"))
		})
	}
}

// canI asks the API server whether a ServiceAccount ("namespace:name") may do something.
func canI(t *testing.T, serviceAccount string, args ...string) (bool, error) {
	r := kubectl(t, nil, append([]string{"auth", "can-i", "--as", "system:serviceaccount:" + serviceAccount}, args...)...)
	answer := strings.TrimSpace(r.stdout)
	if answer != "yes" && answer != "no" {
		return false, fmt.Errorf("kubectl auth can-i %v: %s", args, r)
	}
	return answer == "yes", nil
}

// checkAccess checks what the operator's ServiceAccount may do, as the API server's RBAC
// authorizer decides. The questions are asked in parallel.
func checkAccess(t *testing.T, serviceAccount string, want map[string]bool) {
	t.Helper()
	getCluster(t)
	awaitGrants(t, serviceAccount, want)
	var wg sync.WaitGroup
	for question, allowed := range want {
		wg.Go(func() {
			got, err := canI(t, serviceAccount, strings.Fields(question)...)
			switch {
			case err != nil:
				t.Error(err)
			case got != allowed:
				t.Errorf("%s may %s: %v, want %v", serviceAccount, question, got, allowed)
			}
		})
	}
	wg.Wait()
}

// awaitGrants waits, for up to a minute, until the ServiceAccount may do everything want allows.
// The RBAC authorizer reads the roles and bindings from a cache that learns of those helm just
// created a moment later, and on a busy machine that moment is long enough for a question asked
// at once to be denied.
func awaitGrants(t *testing.T, serviceAccount string, want map[string]bool) {
	t.Helper()
	var wg sync.WaitGroup
	for question, allowed := range want {
		if !allowed {
			continue
		}
		wg.Go(func() {
			for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				if got, err := canI(t, serviceAccount, strings.Fields(question)...); err == nil && got {
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestHelmInstallOnABareCluster(t *testing.T) {
	const ns = "transfer-operator-system"
	ensureNamespaces(t, ns)
	crds := []string{"crd/transferservers.transfer.operators.dev", "crd/transferusers.transfer.operators.dev"}
	if r := kubectl(t, nil, append([]string{"get"}, crds...)...); r.err == nil {
		t.Fatalf("the CRDs exist before the install; the cluster is not bare:\n%s", r.stdout)
	}

	r := helm(t, "install", "transfer-operator", chartDir, "--namespace", ns, "--set", "aws.region=eu-west-1")
	if r.err != nil {
		t.Fatalf("helm install: %s", r)
	}
	t.Run("the CRDs are served", func(t *testing.T) {
		mustKubectl(t, nil, append([]string{"wait", "--for=condition=Established", "--timeout=60s"}, crds...)...)
		resources := mustKubectl(t, nil, "api-resources", "--api-group=transfer.operators.dev", "-o", "name")
		for _, want := range []string{"transferservers.transfer.operators.dev", "transferusers.transfer.operators.dev"} {
			if !strings.Contains(resources, want) {
				t.Errorf("api-resources lacks %s:\n%s", want, resources)
			}
		}
		ensureNamespaces(t, "team-a")
		mustKubectl(t, []byte(`{"apiVersion":"transfer.operators.dev/v1alpha1","kind":"TransferServer",
			"metadata":{"name":"partners","namespace":"team-a"},"spec":{"protocols":["SFTP"]}}`), "create", "-f", "-")
		bad := kubectl(t, []byte(`{"apiVersion":"transfer.operators.dev/v1alpha1","kind":"TransferServer",
			"metadata":{"name":"bad","namespace":"team-a"},"spec":{"protocols":["SMTP"]}}`), "create", "-f", "-")
		if bad.err == nil {
			t.Error("a TransferServer with protocol SMTP was accepted: the CRD's schema is not in force")
		}
	})
	t.Run("the operator has the access it needs and no more", func(t *testing.T) {
		checkAccess(t, ns+":transfer-operator", map[string]bool{
			"get secrets -n team-a":                                       true,
			"watch secrets --all-namespaces":                              true,
			"create secrets -n team-a":                                    false,
			"update secrets -n team-a":                                    false,
			"patch transferservers.transfer.operators.dev -A":             true,
			"patch transferusers.transfer.operators.dev/status -n team-a": true,
			"delete transferservers.transfer.operators.dev -n team-a":     false,
			"create events -n team-a":                                     true,
			"update leases.coordination.k8s.io -n " + ns:                  true,
			"update leases.coordination.k8s.io -n team-a":                 false,
			"create tokenreviews.authentication.k8s.io":                   true,
			"create subjectaccessreviews.authorization.k8s.io":            true,
			"get pods -n team-a":                                          false,
		})
	})
	t.Run("helm upgrade", func(t *testing.T) {
		if r := helm(t, "upgrade", "transfer-operator", chartDir, "--namespace", ns, "--reuse-values", "--set", "replicaCount=2",
			"--set", "accounts[0].name=b2b,accounts[0].roleARN=arn:aws:iam::222233334444:role/transfer-operator,accounts[0].namespaces={team-a}"); r.err != nil {
			t.Fatalf("helm upgrade: %s", r)
		}
		if got := mustKubectl(t, nil, "-n", ns, "get", "deployment/transfer-operator", "-o", "jsonpath={.spec.replicas}"); got != "2" {
			t.Errorf("replicas after the upgrade: %s, want 2", got)
		}
		if got := mustKubectl(t, nil, "get", "awsaccount/b2b", "-o", "jsonpath={.spec.namespaces}"); got != `["team-a"]` {
			t.Errorf("AWSAccount b2b serves %s after the upgrade, want [\"team-a\"]", got)
		}
	})
	t.Run("helm uninstall keeps the CRDs and the objects", func(t *testing.T) {
		r := helm(t, "uninstall", "transfer-operator", "--namespace", ns, "--wait")
		if r.err != nil {
			t.Fatalf("helm uninstall: %s", r)
		}
		if !strings.Contains(r.stdout+r.stderr, "kept due to the resource policy") {
			t.Errorf("helm uninstall does not report kept resources:\n%s", r)
		}
		mustKubectl(t, nil, append([]string{"get"}, crds...)...)
		mustKubectl(t, nil, "-n", "team-a", "get", "transferserver/partners")
		for _, gone := range []string{"-n " + ns + " deployment/transfer-operator", "clusterrole/transfer-operator-manager", "-n " + ns + " serviceaccount/transfer-operator"} {
			if r := kubectl(t, nil, append([]string{"get"}, strings.Fields(gone)...)...); r.err == nil {
				t.Errorf("%s is still there after helm uninstall", gone)
			}
		}
	})
}

func TestHelmInstallWatchingNamespaces(t *testing.T) {
	const ns = "scoped-system"
	ensureNamespaces(t, ns, "team-x", "team-y", "team-z")
	r := helm(t, "install", "scoped", chartDir, "--namespace", ns,
		"--set", "crds.install=false", "--set", "watchNamespaces={team-x,team-y}")
	if r.err != nil {
		t.Fatalf("helm install: %s", r)
	}
	defer func() {
		if r := helm(t, "uninstall", "scoped", "--namespace", ns); r.err != nil {
			t.Errorf("helm uninstall: %s", r)
		}
	}()
	checkAccess(t, ns+":scoped-transfer-operator", map[string]bool{
		"get secrets -n team-x":                                  true,
		"watch secrets -n team-y":                                true,
		"get secrets -n team-z":                                  false,
		"get secrets -n " + ns:                                   false,
		"list secrets --all-namespaces":                          false,
		"patch transferservers.transfer.operators.dev -n team-y": true,
		"list transferservers.transfer.operators.dev -n team-z":  false,
		"list transferservers.transfer.operators.dev -A":         false,
		"create events -n team-x":                                true,
		"update leases.coordination.k8s.io -n " + ns:             true,
	})
}
