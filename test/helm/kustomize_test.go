package helm

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// kustomize renders a kustomization directory with kubectl's built-in kustomize.
func kustomize(t *testing.T, dir string) string {
	t.Helper()
	r := execute(nil, nil, getTools(t).kubectl, "kustomize", dir)
	if r.err != nil {
		t.Fatalf("kubectl kustomize %s: %s", dir, r)
	}
	return r.stdout
}

func TestKustomizeDefault(t *testing.T) {
	const ns = "transfer-operator-system"
	manifests := kustomize(t, filepath.Join(repoRoot, "config", "default"))
	objs := decode(t, manifests)

	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GetKind()]++
		if !strings.HasPrefix(o.GetName(), "transfer-operator-") && o.GetKind() != "CustomResourceDefinition" {
			t.Errorf("%s %s lacks the transfer-operator- name prefix", o.GetKind(), o.GetName())
		}
		if ns := o.GetNamespace(); ns != "" && ns != "transfer-operator-system" {
			t.Errorf("%s %s is in namespace %s", o.GetKind(), o.GetName(), ns)
		}
	}
	crds := len(readDir(t, filepath.Join(repoRoot, "config", "crd", "bases")))
	for kind, n := range map[string]int{"Namespace": 1, "CustomResourceDefinition": crds, "ServiceAccount": 1, "Deployment": 1, "Service": 1, "Role": 1, "RoleBinding": 1, "ClusterRoleBinding": 2} {
		if kinds[kind] != n {
			t.Errorf("%d %s, want %d", kinds[kind], kind, n)
		}
	}

	t.Run("the CRDs are config/crd/bases", func(t *testing.T) {
		generated := readDir(t, filepath.Join(repoRoot, "config", "crd", "bases"))
		byName := map[string]map[string]any{}
		for _, data := range generated {
			crd := parseYAML(t, data)
			byName[crd["metadata"].(map[string]any)["name"].(string)] = crd
		}
		for _, crd := range find(objs, "CustomResourceDefinition") {
			stripped := crd.DeepCopy()
			labels := stripped.GetLabels()
			delete(labels, "app.kubernetes.io/part-of")
			if len(labels) == 0 {
				labels = nil
			}
			stripped.SetLabels(labels)
			if !reflect.DeepEqual(stripped.Object, byName[crd.GetName()]) {
				t.Errorf("CRD %s differs from config/crd/bases", crd.GetName())
			}
		}
	})
	t.Run("the manager role is the generated one", func(t *testing.T) {
		var found bool
		for _, o := range find(objs, "ClusterRole") {
			role := convert[rbacv1.ClusterRole](t, o)
			checkLeastPrivilege(t, "ClusterRole "+role.Name, role.Rules)
			if role.Name == "transfer-operator-manager-role" {
				found = true
				if !reflect.DeepEqual(role.Rules, generatedRules(t)) {
					t.Errorf("rules %v differ from config/rbac/role.yaml", role.Rules)
				}
			}
		}
		if !found {
			t.Error("no ClusterRole transfer-operator-manager-role")
		}
		checkBindings(t, objs, ns, "transfer-operator-controller-manager")
	})
	t.Run("the Deployment is the chart's", func(t *testing.T) {
		got := convert[appsv1.Deployment](t, findOne(t, objs, "Deployment")).Spec.Template.Spec
		want := convert[appsv1.Deployment](t, findOne(t, decode(t, render(t)), "Deployment")).Spec.Template.Spec
		if got.ServiceAccountName != "transfer-operator-controller-manager" {
			t.Errorf("serviceAccountName %s", got.ServiceAccountName)
		}
		if !reflect.DeepEqual(got.SecurityContext, want.SecurityContext) {
			t.Errorf("pod security context %+v, the chart's is %+v", got.SecurityContext, want.SecurityContext)
		}
		if !reflect.DeepEqual(got.Volumes, want.Volumes) || *got.TerminationGracePeriodSeconds != *want.TerminationGracePeriodSeconds {
			t.Errorf("volumes or grace period differ from the chart's")
		}
		gc, wc := got.Containers[0], want.Containers[0]
		if gc.Image != "ghcr.io/transfer-operator/transfer-operator:"+chartAppVersion(t) {
			t.Errorf("image %s, want the chart's appVersion", gc.Image)
		}
		for field, pair := range map[string][2]any{
			"securityContext": {gc.SecurityContext, wc.SecurityContext},
			"livenessProbe":   {gc.LivenessProbe, wc.LivenessProbe},
			"readinessProbe":  {gc.ReadinessProbe, wc.ReadinessProbe},
			"ports":           {gc.Ports, wc.Ports},
			"resources":       {gc.Resources, wc.Resources},
			"volumeMounts":    {gc.VolumeMounts, wc.VolumeMounts},
			"imagePullPolicy": {gc.ImagePullPolicy, wc.ImagePullPolicy},
		} {
			got, _ := json.Marshal(pair[0])
			want, _ := json.Marshal(pair[1])
			if string(got) != string(want) {
				t.Errorf("container %s:\n%s\nthe chart's:\n%s", field, got, want)
			}
		}
		if !reflect.DeepEqual(gc.Args, defaultArgs) {
			t.Errorf("args %v, want %v", gc.Args, defaultArgs)
		}
	})
	t.Run("the namespace enforces restricted Pod Security and the Pods pass", func(t *testing.T) {
		namespace := findOne(t, objs, "Namespace")
		if namespace.GetName() != ns || namespace.GetLabels()["pod-security.kubernetes.io/enforce"] != "restricted" {
			t.Errorf("Namespace %s labels %v", namespace.GetName(), namespace.GetLabels())
		}
		restrictedNamespace(t)
		checkRestricted(t, findOne(t, objs, "Deployment"))
	})
	t.Run("the API server accepts it", func(t *testing.T) {
		// A dry run creates no namespace: create it first, as `kubectl apply` would.
		ensureNamespaces(t, ns)
		r := dryRunApply(t, manifests)
		if r.err != nil {
			t.Fatalf("the API server rejects config/default: %s", r)
		}
		if n := strings.Count(r.stdout, "(server dry run)"); n != len(objs) {
			t.Errorf("%d objects applied, config/default renders %d", n, len(objs))
		}
	})
}

func TestKustomizePrometheus(t *testing.T) {
	// config/default with `- ../prometheus` uncommented, without editing the repository.
	dir := t.TempDir()
	prometheus, err := filepath.Rel(dir, filepath.Join(repoRoot, "config", "prometheus"))
	if err != nil {
		t.Fatal(err)
	}
	overlay := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" +
		"namespace: transfer-operator-system\nnamePrefix: transfer-operator-\n" +
		"resources:\n- " + prometheus + "\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(overlay), 0o644); err != nil {
		t.Fatal(err)
	}
	manifests := kustomize(t, dir)
	monitor := findOne(t, decode(t, manifests), "ServiceMonitor")
	service := findOne(t, decode(t, kustomize(t, filepath.Join(repoRoot, "config", "default"))), "Service")

	selector, _, _ := unstructured.NestedStringMap(monitor.Object, "spec", "selector", "matchLabels")
	for k, v := range selector {
		if service.GetLabels()[k] != v {
			t.Errorf("the ServiceMonitor selects %s=%s, which the metrics Service lacks (%v)", k, v, service.GetLabels())
		}
	}
	endpoints, _, _ := unstructured.NestedSlice(monitor.Object, "spec", "endpoints")
	ports, _, _ := unstructured.NestedSlice(service.Object, "spec", "ports")
	if len(endpoints) != 1 || len(ports) != 1 || endpoints[0].(map[string]any)["port"] != ports[0].(map[string]any)["name"] {
		t.Fatalf("the ServiceMonitor scrapes %v, the Service serves %v", endpoints, ports)
	}
	wantTLS := map[string]any{
		"serverName": service.GetName() + "." + service.GetNamespace() + ".svc",
		"ca":         map[string]any{"secret": map[string]any{"name": metricsCertSecret, "key": "ca.crt"}},
	}
	if got := endpoints[0].(map[string]any)["tlsConfig"]; !reflect.DeepEqual(got, wantTLS) {
		t.Errorf("the ServiceMonitor's tlsConfig %v, want %v: verified against the metrics Service's name", got, wantTLS)
	}

	installMonitoringCRDs(t)
	ensureNamespaces(t, "transfer-operator-system")
	if r := dryRunApply(t, manifests); r.err != nil {
		t.Fatalf("the API server rejects config/prometheus: %s", r)
	}
}

// metricsCertSecret is the Secret whose certificate config/default/metrics_cert_patch.yaml has
// the operator serve, and config/prometheus verifies.
const metricsCertSecret = "transfer-operator-metrics-cert"

// TestKustomizeMetricsCertificate applies config/default/metrics_cert_patch.yaml as
// config/default's comment says, and checks that the Deployment then serves the certificate of
// metricsCertSecret as the chart's does with metrics.certSecret.
func TestKustomizeMetricsCertificate(t *testing.T) {
	dir := t.TempDir()
	def, err := filepath.Rel(dir, filepath.Join(repoRoot, "config", "default"))
	if err != nil {
		t.Fatal(err)
	}
	patch, err := os.ReadFile(filepath.Join(repoRoot, "config", "default", "metrics_cert_patch.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	overlay := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" +
		"resources:\n- " + def + "\n" +
		"patches:\n- path: metrics_cert_patch.yaml\n  target:\n    kind: Deployment\n"
	for name, data := range map[string][]byte{"kustomization.yaml": []byte(overlay), "metrics_cert_patch.yaml": patch} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := convert[appsv1.Deployment](t, findOne(t, decode(t, kustomize(t, dir)), "Deployment")).Spec.Template.Spec
	want := convert[appsv1.Deployment](t, findOne(t, decode(t, render(t, "--set", "metrics.certSecret="+metricsCertSecret)), "Deployment")).Spec.Template.Spec
	if !reflect.DeepEqual(got.Volumes, want.Volumes) || !reflect.DeepEqual(got.Containers[0].VolumeMounts, want.Containers[0].VolumeMounts) {
		t.Errorf("volumes %+v and mounts %+v, the chart's are %+v and %+v", got.Volumes, got.Containers[0].VolumeMounts, want.Volumes, want.Containers[0].VolumeMounts)
	}
	if gotArgs, wantArgs := slices.Sorted(slices.Values(got.Containers[0].Args)), slices.Sorted(slices.Values(want.Containers[0].Args)); !reflect.DeepEqual(gotArgs, wantArgs) {
		t.Errorf("args %v, the chart's are %v", gotArgs, wantArgs)
	}
}
