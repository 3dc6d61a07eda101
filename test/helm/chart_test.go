package helm

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// keepAnnotation is the annotation that makes Helm leave a resource behind on uninstall.
const keepAnnotation = "helm.sh/resource-policy"

func TestHelmLint(t *testing.T) {
	for name, args := range map[string][]string{"defaults": nil, "all features": allFeatures} {
		t.Run(name, func(t *testing.T) {
			r := helm(t, append([]string{"lint", "--strict", chartDir}, args...)...)
			if r.err != nil || !strings.Contains(r.stdout, "0 chart(s) failed") {
				t.Fatalf("helm lint --strict: %s", r)
			}
		})
	}
}

func TestValuesSchemaRejectsWrongValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // in helm's error
	}{
		{"replicaCount as a word", []string{"--set", "replicaCount=two"}, "/replicaCount"},
		{"replicaCount negative", []string{"--set", "replicaCount=-1"}, "/replicaCount"},
		{"crds.install as a string", []string{"--set-string", "crds.install=yes"}, "/crds/install"},
		{"unknown pull policy", []string{"--set", "image.pullPolicy=Sometimes"}, "/image/pullPolicy"},
		{"watchNamespaces as a string", []string{"--set", "watchNamespaces=team-a"}, "/watchNamespaces"},
		{"watchNamespaces not DNS labels", []string{"--set", "watchNamespaces={Team_A}"}, "/watchNamespaces/0"},
		{"metrics port out of range", []string{"--set", "metrics.port=70000"}, "/metrics/port"},
		{"resync period not a duration", []string{"--set", "resyncPeriod=ten minutes"}, "/resyncPeriod"},
		{"log format", []string{"--set", "logging.format=xml"}, "/logging/format"},
		{"log level", []string{"--set", "logging.level=verbose"}, "/logging/level"},
		{"rate limit as a word", []string{"--set", "aws.rateLimit=fast"}, "/aws/rateLimit"},
		{"region", []string{"--set", "aws.region=Ireland"}, "/aws/region"},
		{"env without a name", []string{"--set-json", `extraEnv=[{"value":"x"}]`}, "/extraEnv/0"},
		{"args that are not flags", []string{"--set", "extraArgs={verbose}"}, "/extraArgs/0"},
		{"node selector values", []string{"--set-json", `nodeSelector={"disk":1}`}, "/nodeSelector/disk"},
		{"a misspelt key", []string{"--set", "replicas=2"}, "replicas"},
		{"a misspelt nested key", []string{"--set", "metrics.serviceMonitor.enable=true"}, "enable"},
		{"a metrics CA without its key", []string{"--set-json", `metrics.serviceMonitor.tlsConfig.ca={"secret":{"name":"metrics-ca"}}`}, "/metrics/serviceMonitor/tlsConfig/ca/secret"},
		{"a metrics CA from two sources", []string{"--set-json", `metrics.serviceMonitor.tlsConfig.ca={"secret":{"name":"a","key":"ca.crt"},"configMap":{"name":"b","key":"ca.crt"}}`}, "/metrics/serviceMonitor/tlsConfig/ca"},
		{"an alert's for not a duration", []string{"--set", "metrics.prometheusRule.alerts.TransferOperatorAWSThrottled.for=an hour"}, "/metrics/prometheusRule/alerts/TransferOperatorAWSThrottled/for"},
		{"an alert change the chart does not know", []string{"--set", "metrics.prometheusRule.alerts.TransferOperatorAWSThrottled.threshold=1"}, "threshold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := helm(t, append([]string{"template", "x", chartDir}, tc.args...)...)
			if r.err == nil {
				t.Fatalf("helm template %v succeeded; want a schema error", tc.args)
			}
			if !strings.Contains(r.stderr, "values don't meet the specifications of the schema") ||
				!strings.Contains(r.stderr, tc.want) {
				t.Fatalf("want a schema error about %q, got:\n%s", tc.want, r.stderr)
			}
		})
	}
}

func TestTemplatesRefuseContradictions(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"replicas without leader election", []string{"--set", "replicaCount=2", "--set", "leaderElection.enabled=false"}, "leaderElection.enabled=false"},
		{"both disruption budget limits", []string{"--set", "podDisruptionBudget.enabled=true", "--set", "podDisruptionBudget.minAvailable=1"}, "not both"},
		{"existing service account without a name", []string{"--set", "serviceAccount.create=false"}, "serviceAccount.name is required"},
		{"service monitor without metrics", []string{"--set", "metrics.enabled=false", "--set", "metrics.serviceMonitor.enabled=true"}, "needs metrics.enabled"},
		{"prometheus rule without metrics", []string{"--set", "metrics.enabled=false", "--set", "metrics.prometheusRule.enabled=true"}, "needs metrics.enabled"},
		{"grafana dashboard without metrics", []string{"--set", "metrics.enabled=false", "--set", "metrics.grafanaDashboard.enabled=true"}, "needs metrics.enabled"},
		{"a change to an alert the chart does not have", []string{"--set", "metrics.prometheusRule.enabled=true",
			"--set", "metrics.prometheusRule.alerts.TransferOperatorAWSThrotled.for=1h"}, "TransferOperatorAWSThrotled: the chart has no such alert"},
		{"service monitor with nothing to verify the metrics certificate", []string{"--set", "metrics.serviceMonitor.enabled=true"}, "needs metrics.certSecret"},
		{"service monitor in another namespace than the certificate's CA", []string{"--set", "metrics.serviceMonitor.enabled=true",
			"--set", "metrics.certSecret=cert", "--set", "metrics.serviceMonitor.namespace=monitoring"}, "Prometheus reads the CA from the ServiceMonitor's namespace monitoring"},
		{"service monitor with a CA and no verification", []string{"--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.tlsConfig.insecureSkipVerify=true",
			"--set-json", `metrics.serviceMonitor.tlsConfig.ca={"secret":{"name":"a","key":"ca.crt"}}`}, "not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := helm(t, append([]string{"template", "x", chartDir}, tc.args...)...)
			if r.err == nil || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("want helm template %v to fail with %q, got: %s", tc.args, tc.want, r)
			}
		})
	}
}

// readDir returns the YAML files of a directory by file name.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".yaml" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = data
	}
	return files
}

// parseYAML parses one YAML document.
func parseYAML(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096).Decode(&obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func TestChartCRDsAreTheGeneratedOnes(t *testing.T) {
	generated := readDir(t, filepath.Join(repoRoot, "config", "crd", "bases"))
	copies := readDir(t, filepath.Join(chartDir, "files", "crds"))
	if len(generated) == 0 {
		t.Fatal("config/crd/bases has no CRDs")
	}
	if !reflect.DeepEqual(slices.Sorted(maps.Keys(generated)), slices.Sorted(maps.Keys(copies))) {
		t.Fatalf("charts/transfer-operator/files/crds has %v, config/crd/bases has %v: run make helm-sync",
			slices.Sorted(maps.Keys(copies)), slices.Sorted(maps.Keys(generated)))
	}
	for name, data := range generated {
		if !bytes.Equal(data, copies[name]) {
			t.Errorf("charts/transfer-operator/files/crds/%s differs from config/crd/bases: run make helm-sync", name)
		}
	}

	rendered := find(decode(t, render(t, "--set", "crds.annotations.example\\.com/owner=platform")), "CustomResourceDefinition")
	if len(rendered) != len(generated) {
		t.Fatalf("the chart renders %d CRDs, config/crd/bases has %d", len(rendered), len(generated))
	}
	byName := map[string]map[string]any{}
	for _, data := range generated {
		crd := parseYAML(t, data)
		byName[crd["metadata"].(map[string]any)["name"].(string)] = crd
	}
	for _, crd := range rendered {
		annotations := crd.GetAnnotations()
		if annotations[keepAnnotation] != "keep" || annotations["example.com/owner"] != "platform" {
			t.Errorf("CRD %s: annotations %v, want %s=keep and the crds.annotations", crd.GetName(), annotations, keepAnnotation)
		}
		if crd.GetLabels()["app.kubernetes.io/managed-by"] != "Helm" {
			t.Errorf("CRD %s: labels %v lack the chart's", crd.GetName(), crd.GetLabels())
		}
		// Without what the template adds, the rendered CRD is the generated one.
		stripped := crd.DeepCopy()
		delete(annotations, keepAnnotation)
		delete(annotations, "example.com/owner")
		stripped.SetAnnotations(annotations)
		stripped.SetLabels(nil)
		want, ok := byName[crd.GetName()]
		if !ok {
			t.Errorf("the chart renders CRD %s, which config/crd/bases does not have", crd.GetName())
			continue
		}
		if !reflect.DeepEqual(stripped.Object, want) {
			t.Errorf("the rendered CRD %s differs from config/crd/bases beyond labels and annotations", crd.GetName())
		}
	}

	t.Run("crds.keep=false", func(t *testing.T) {
		for _, crd := range find(decode(t, render(t, "--set", "crds.keep=false")), "CustomResourceDefinition") {
			if _, ok := crd.GetAnnotations()[keepAnnotation]; ok {
				t.Errorf("CRD %s keeps %s with crds.keep=false", crd.GetName(), keepAnnotation)
			}
		}
	})
	t.Run("crds.install=false", func(t *testing.T) {
		if crds := find(decode(t, render(t, "--set", "crds.install=false")), "CustomResourceDefinition"); len(crds) != 0 {
			t.Errorf("crds.install=false still renders %d CRDs", len(crds))
		}
	})
}

// generatedRules returns the rules of config/rbac/role.yaml, which `make manifests` generates.
func generatedRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	role := convert[rbacv1.ClusterRole](t, &unstructured.Unstructured{Object: parseYAML(t, data)})
	if len(role.Rules) == 0 {
		t.Fatal("config/rbac/role.yaml has no rules")
	}
	return role.Rules
}

// checkLeastPrivilege fails the test when a rule grants a wildcard or writes to Secrets.
func checkLeastPrivilege(t *testing.T, where string, rules []rbacv1.PolicyRule) {
	t.Helper()
	for _, r := range rules {
		for _, list := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.NonResourceURLs} {
			if slices.Contains(list, "*") {
				t.Errorf("%s: rule %v grants a wildcard", where, r)
			}
		}
		if slices.Contains(r.Resources, "secrets") {
			for _, v := range r.Verbs {
				if !slices.Contains([]string{"get", "list", "watch"}, v) {
					t.Errorf("%s: rule %v may %s Secrets; the operator only reads them", where, r, v)
				}
			}
		}
	}
}

// secretReaders returns where the rendered roles let anyone read Secrets: "cluster" for a
// ClusterRole, the namespace for a Role.
func secretReaders(t *testing.T, objs []*unstructured.Unstructured) []string {
	t.Helper()
	var where []string
	for _, o := range objs {
		var rules []rbacv1.PolicyRule
		switch o.GetKind() {
		case "ClusterRole":
			rules = convert[rbacv1.ClusterRole](t, o).Rules
		case "Role":
			rules = convert[rbacv1.Role](t, o).Rules
		default:
			continue
		}
		for _, r := range rules {
			if slices.Contains(r.Resources, "secrets") {
				if o.GetKind() == "ClusterRole" {
					where = append(where, "cluster")
				} else {
					where = append(where, o.GetNamespace())
				}
			}
		}
	}
	slices.Sort(where)
	return where
}

func TestChartRBACIsTheGeneratedRole(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	copied, err := os.ReadFile(filepath.Join(chartDir, "files", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, copied) {
		t.Fatal("charts/transfer-operator/files/rbac/role.yaml differs from config/rbac/role.yaml: run make helm-sync")
	}
	want := generatedRules(t)
	checkLeastPrivilege(t, "config/rbac/role.yaml", want)

	objs := decode(t, render(t))
	var manager *rbacv1.ClusterRole
	for _, o := range find(objs, "ClusterRole") {
		role := convert[rbacv1.ClusterRole](t, o)
		checkLeastPrivilege(t, "ClusterRole "+role.Name, role.Rules)
		if role.Name == "transfer-operator-manager" {
			manager = role
		}
	}
	if manager == nil {
		t.Fatal("no ClusterRole transfer-operator-manager")
	}
	if !reflect.DeepEqual(manager.Rules, want) {
		t.Errorf("ClusterRole rules:\n%v\nwant those of config/rbac/role.yaml:\n%v", manager.Rules, want)
	}
	for _, o := range find(objs, "Role") {
		checkLeastPrivilege(t, "Role "+o.GetName(), convert[rbacv1.Role](t, o).Rules)
	}
	if got := secretReaders(t, objs); !reflect.DeepEqual(got, []string{"cluster"}) {
		t.Errorf("Secrets are readable through %v, want only the manager ClusterRole", got)
	}
	checkBindings(t, objs, "transfer-operator-system", "transfer-operator")
}

// checkBindings checks that every binding refers to a role of the same manifests and that the
// operator's own roles are bound to its ServiceAccount.
func checkBindings(t *testing.T, objs []*unstructured.Unstructured, namespace, serviceAccount string) {
	t.Helper()
	roles := map[string]bool{}
	for _, o := range objs {
		switch o.GetKind() {
		case "ClusterRole":
			roles["ClusterRole/"+o.GetName()] = true
		case "Role":
			roles["Role/"+o.GetNamespace()+"/"+o.GetName()] = true
		}
	}
	sa := findOne(t, objs, "ServiceAccount")
	if sa.GetName() != serviceAccount || sa.GetNamespace() != namespace {
		t.Errorf("ServiceAccount %s/%s, want %s/%s", sa.GetNamespace(), sa.GetName(), namespace, serviceAccount)
	}
	bound := 0
	for _, o := range objs {
		var subjects []rbacv1.Subject
		key := ""
		switch o.GetKind() {
		case "ClusterRoleBinding":
			b := convert[rbacv1.ClusterRoleBinding](t, o)
			subjects, key = b.Subjects, "ClusterRole/"+b.RoleRef.Name
		case "RoleBinding":
			b := convert[rbacv1.RoleBinding](t, o)
			subjects, key = b.Subjects, "Role/"+b.Namespace+"/"+b.RoleRef.Name
			if b.RoleRef.Kind == "ClusterRole" {
				key = "ClusterRole/" + b.RoleRef.Name
			}
		default:
			continue
		}
		if !roles[key] {
			t.Errorf("%s %s binds %s, which the manifests do not create", o.GetKind(), o.GetName(), key)
		}
		for _, s := range subjects {
			if s.Kind == "ServiceAccount" && s.Name == serviceAccount && s.Namespace == namespace {
				bound++
			}
		}
	}
	if bound == 0 {
		t.Error("nothing is bound to the operator's ServiceAccount")
	}
}

func TestWatchNamespacesGetRolesNotClusterRoles(t *testing.T) {
	objs := decode(t, render(t, "--set", "watchNamespaces={team-a,team-b}"))
	want := generatedRules(t)

	for _, o := range find(objs, "ClusterRole") {
		for _, r := range convert[rbacv1.ClusterRole](t, o).Rules {
			if slices.Contains(r.APIGroups, "transfer.operators.dev") && slices.ContainsFunc(r.Verbs, func(v string) bool {
				return v == "patch" || v == "update"
			}) && !strings.HasSuffix(o.GetName(), "-edit") && !onlyAWSAccounts(r) {
				t.Errorf("ClusterRole %s still grants the operator's rules: %v", o.GetName(), r)
			}
		}
	}
	accountsBound := false
	for _, o := range find(objs, "ClusterRoleBinding") {
		accountsBound = accountsBound || convert[rbacv1.ClusterRoleBinding](t, o).RoleRef.Name == "transfer-operator-accounts"
	}
	if !accountsBound {
		t.Error("no ClusterRoleBinding lets the operator read the cluster-scoped AWSAccounts with watchNamespaces set")
	}
	for _, o := range find(objs, "ClusterRoleBinding") {
		b := convert[rbacv1.ClusterRoleBinding](t, o)
		if strings.HasSuffix(b.RoleRef.Name, "-manager") {
			t.Errorf("ClusterRoleBinding %s binds the manager ClusterRole with watchNamespaces set", b.Name)
		}
	}
	namespaces := map[string]bool{}
	for _, o := range find(objs, "Role") {
		role := convert[rbacv1.Role](t, o)
		if role.Name != "transfer-operator-manager" {
			continue
		}
		namespaces[role.Namespace] = true
		if !reflect.DeepEqual(role.Rules, want) {
			t.Errorf("Role %s/%s rules %v, want those of config/rbac/role.yaml", role.Namespace, role.Name, role.Rules)
		}
	}
	if !reflect.DeepEqual(namespaces, map[string]bool{"team-a": true, "team-b": true}) {
		t.Errorf("manager Roles in %v, want team-a and team-b", namespaces)
	}
	if got := secretReaders(t, objs); !reflect.DeepEqual(got, []string{"team-a", "team-b"}) {
		t.Errorf("Secrets are readable through roles in %v, want only team-a and team-b", got)
	}
	checkBindings(t, objs, "transfer-operator-system", "transfer-operator")
	deploy := convert[appsv1.Deployment](t, findOne(t, objs, "Deployment"))
	if args := deploy.Spec.Template.Spec.Containers[0].Args; !slices.Contains(args, "--watch-namespaces=team-a,team-b") {
		t.Errorf("args %v lack --watch-namespaces=team-a,team-b", args)
	}
}

// defaultArgs are the operator flags the chart's defaults give, and config/manager's.
var defaultArgs = []string{
	"--leader-elect=true",
	"--health-probe-bind-address=:8081",
	"--metrics-bind-address=:8443",
	"--metrics-secure=true",
	"--aws-rate-limit=10",
	"--aws-rate-burst=20",
	"--resync-period=10m",
	"--drift-budget=0.5",
	"--full-compare-period=1h",
	"--server-concurrency=4",
	"--user-concurrency=16",
	"--graceful-shutdown-timeout=30s",
	"--zap-log-level=info",
	"--zap-encoder=json",
}

// chartAppVersion reads appVersion from Chart.yaml.
func chartAppVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := parseYAML(t, data)["appVersion"].(string)
	if v == "" {
		t.Fatal("Chart.yaml has no appVersion")
	}
	return v
}

func TestDefaultDeployment(t *testing.T) {
	objs := decode(t, render(t))
	deploy := convert[appsv1.Deployment](t, findOne(t, objs, "Deployment"))
	pod := deploy.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if want := "ghcr.io/transfer-operator/transfer-operator:" + chartAppVersion(t); c.Image != want {
		t.Errorf("image %s, want %s (the tag defaults to appVersion)", c.Image, want)
	}
	if !reflect.DeepEqual(c.Args, defaultArgs) {
		t.Errorf("args:\n%v\nwant:\n%v", c.Args, defaultArgs)
	}
	if *deploy.Spec.Replicas != 1 {
		t.Errorf("replicas %d, want 1", *deploy.Spec.Replicas)
	}
	for name, probe := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != name || probe.HTTPGet.Port.String() != "health" {
			t.Errorf("probe of %s: %+v", name, probe)
		}
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if !reflect.DeepEqual(ports, map[string]int32{"health": 8081, "https": 8443}) {
		t.Errorf("ports %v, want health 8081 and https 8443", ports)
	}
	sc := c.SecurityContext
	if sc == nil || !*sc.RunAsNonRoot || *sc.RunAsUser != 65532 || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation ||
		!reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("container security context %+v is not the restricted one", sc)
	}
	if psc := pod.SecurityContext; psc == nil || !*psc.RunAsNonRoot || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security context %+v is not the restricted one", psc)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v lack a CPU request or a memory limit", c.Resources)
	}
	for _, kind := range []string{"ServiceMonitor", "PrometheusRule", "ConfigMap", "PodDisruptionBudget", "NetworkPolicy"} {
		if len(find(objs, kind)) != 0 {
			t.Errorf("the defaults render a %s; it must be optional and off", kind)
		}
	}
	svc := convert[corev1.Service](t, findOne(t, objs, "Service"))
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 8443 || svc.Spec.Ports[0].Name != "https" {
		t.Errorf("metrics Service ports %+v, want https 8443", svc.Spec.Ports)
	}
	for k, v := range svc.Spec.Selector {
		if deploy.Spec.Template.Labels[k] != v {
			t.Errorf("the metrics Service selects %s=%s, which the Pods do not have", k, v)
		}
	}
}

func TestEveryOptionalFeature(t *testing.T) {
	objs := decode(t, render(t, allFeatures...))
	deploy := convert[appsv1.Deployment](t, findOne(t, objs, "Deployment"))
	pod := deploy.Spec.Template.Spec
	c := pod.Containers[0]
	for _, arg := range []string{
		"--leader-elect=true",
		"--watch-namespaces=team-a,team-b",
		"--aws-region=eu-west-1",
		"--aws-endpoint-url=https://transfer.eu-west-1.amazonaws.com",
		"--aws-ec2-endpoint-url=https://ec2.eu-west-1.amazonaws.com",
		"--aws-sts-endpoint-url=https://sts.eu-west-1.amazonaws.com",
		"--aws-rate-limit=2.5",
		"--aws-rate-burst=5",
		"--resync-period=5m",
		"--server-concurrency=2",
		"--user-concurrency=8",
		"--graceful-shutdown-timeout=20s",
		"--zap-log-level=debug",
		"--zap-encoder=console",
		"--zap-stacktrace-level=panic",
	} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("args %v lack %s", c.Args, arg)
		}
	}
	checks := map[string]bool{
		"replicas 2":          *deploy.Spec.Replicas == 2,
		"image":               c.Image == "registry.example.com/platform/transfer-operator:v0.1.0-rc.1" && c.ImagePullPolicy == corev1.PullAlways,
		"imagePullSecrets":    reflect.DeepEqual(pod.ImagePullSecrets, []corev1.LocalObjectReference{{Name: "registry-credentials"}}),
		"priorityClassName":   pod.PriorityClassName == "system-cluster-critical",
		"nodeSelector":        pod.NodeSelector["kubernetes.io/os"] == "linux",
		"tolerations":         len(pod.Tolerations) == 1 && pod.Tolerations[0].Key == "dedicated",
		"affinity":            pod.Affinity != nil && pod.Affinity.PodAntiAffinity != nil,
		"topology spread":     len(pod.TopologySpreadConstraints) == 1,
		"extraEnv":            len(c.Env) == 1 && c.Env[0].Name == "AWS_STS_REGIONAL_ENDPOINTS" && c.Env[0].Value == "regional",
		"podAnnotations":      deploy.Spec.Template.Annotations["example.com/team"] == "platform",
		"podLabels":           deploy.Spec.Template.Labels["example.com/tier"] == "control",
		"ServiceMonitor":      len(find(objs, "ServiceMonitor")) == 1,
		"PrometheusRule":      len(find(objs, "PrometheusRule")) == 1,
		"Grafana dashboard":   len(find(objs, "ConfigMap")) == 1 && find(objs, "ConfigMap")[0].GetLabels()["grafana_dashboard"] == "1",
		"PodDisruptionBudget": len(find(objs, "PodDisruptionBudget")) == 1,
		"NetworkPolicy":       len(find(objs, "NetworkPolicy")) == 1,
		"IRSA annotation": findOne(t, objs, "ServiceAccount").GetAnnotations()["eks.amazonaws.com/role-arn"] ==
			"arn:aws:iam::111122223333:role/transfer-operator",
		"AWSAccount": reflect.DeepEqual(findOne(t, objs, "AWSAccount").Object["spec"], map[string]any{
			"roleARN": "arn:aws:iam::222233334444:role/transfer-operator", "externalID": "platform-b2b", "namespaces": []any{"team-a", "team-b"},
		}),
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("%s: not rendered as the values ask", name)
		}
	}
	var readerBound, aggregated bool
	for _, o := range find(objs, "ClusterRoleBinding") {
		b := convert[rbacv1.ClusterRoleBinding](t, o)
		if b.RoleRef.Name == "transfer-operator-metrics-reader" && len(b.Subjects) == 1 && b.Subjects[0].Name == "prometheus-k8s" {
			readerBound = true
		}
	}
	for _, o := range find(objs, "ClusterRole") {
		if o.GetLabels()["rbac.authorization.k8s.io/aggregate-to-edit"] == "true" {
			aggregated = true
		}
	}
	if !readerBound || !aggregated {
		t.Errorf("metrics reader bound: %v, edit role aggregated: %v; want both", readerBound, aggregated)
	}
}

// onlyAWSAccounts reports whether a rule is about AWSAccounts alone, which are cluster-scoped.
func onlyAWSAccounts(r rbacv1.PolicyRule) bool {
	return len(r.Resources) > 0 && !slices.ContainsFunc(r.Resources, func(res string) bool {
		return res != "awsaccounts" && res != "awsaccounts/status"
	})
}

// TestTenantsCannotWriteAWSAccounts checks that the ClusterRoles the chart offers people (and may
// aggregate to the built-in admin, edit and view roles) grant no write on AWSAccounts: which
// account serves a namespace is the platform team's to say, never a namespace editor's.
func TestTenantsCannotWriteAWSAccounts(t *testing.T) {
	objs := decode(t, render(t, "--set", "rbac.aggregateToDefaultRoles=true"))
	viewable := false
	for _, o := range find(objs, "ClusterRole") {
		if !strings.HasSuffix(o.GetName(), "-edit") && !strings.HasSuffix(o.GetName(), "-view") {
			continue
		}
		for _, r := range convert[rbacv1.ClusterRole](t, o).Rules {
			if !slices.Contains(r.Resources, "awsaccounts") {
				continue
			}
			for _, v := range r.Verbs {
				if v != "get" && v != "list" && v != "watch" {
					t.Errorf("ClusterRole %s grants %s on AWSAccounts", o.GetName(), v)
				}
			}
			viewable = viewable || strings.HasSuffix(o.GetName(), "-view")
		}
	}
	if !viewable {
		t.Error("the view ClusterRole does not let people read AWSAccounts")
	}
}

// grants reports whether rules allow verb on resource (a plural, or plural/subresource) in group.
func grants(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
		return (slices.Contains(r.APIGroups, group) || slices.Contains(r.APIGroups, rbacv1.APIGroupAll)) &&
			(slices.Contains(r.Resources, resource) || slices.Contains(r.Resources, rbacv1.ResourceAll)) &&
			(slices.Contains(r.Verbs, verb) || slices.Contains(r.Verbs, rbacv1.VerbAll))
	})
}

// TestPeopleRolesCoverEveryKind checks the ClusterRoles offered to people, the chart's and
// config/rbac's, against every kind in config/crd/bases, so that a new kind cannot be left out
// of one: the view roles read each kind and its status; the edit roles manage each kind and read
// its status, but grant nothing on AWSAccounts (see TestTenantsCannotWriteAWSAccounts).
func TestPeopleRolesCoverEveryKind(t *testing.T) {
	type kind struct{ group, plural string }
	var kinds []kind
	for file, data := range readDir(t, filepath.Join(repoRoot, "config", "crd", "bases")) {
		crd := parseYAML(t, data)
		group, _, _ := unstructured.NestedString(crd, "spec", "group")
		plural, _, _ := unstructured.NestedString(crd, "spec", "names", "plural")
		if group == "" || plural == "" {
			t.Fatalf("%s has no spec.group or spec.names.plural", file)
		}
		kinds = append(kinds, kind{group, plural})
	}
	const notEditable = "awsaccounts"
	if !slices.Contains(kinds, kind{"transfer.operators.dev", notEditable}) {
		t.Fatalf("config/crd/bases has no %s; the edit roles' exception is stale", notEditable)
	}
	view := []string{"get", "list", "watch"}
	edit := []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	chart := decode(t, render(t))
	kustomized := decode(t, kustomize(t, filepath.Join(repoRoot, "config", "rbac")))
	for _, tc := range []struct {
		objs        []*unstructured.Unstructured
		name        string
		verbs       []string
		notEditable bool
	}{
		{chart, "transfer-operator-view", view, false},
		{chart, "transfer-operator-edit", edit, true},
		{kustomized, "transfer-viewer-role", view, false},
		{kustomized, "transfer-editor-role", edit, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := slices.IndexFunc(find(tc.objs, "ClusterRole"), func(o *unstructured.Unstructured) bool { return o.GetName() == tc.name })
			if i < 0 {
				t.Fatalf("no ClusterRole %s", tc.name)
			}
			rules := convert[rbacv1.ClusterRole](t, find(tc.objs, "ClusterRole")[i]).Rules
			for _, k := range kinds {
				if tc.notEditable && k.plural == notEditable {
					for _, v := range edit {
						if grants(rules, k.group, k.plural, v) || grants(rules, k.group, k.plural+"/status", v) {
							t.Errorf("grants %s on %s", v, k.plural)
						}
					}
					continue
				}
				for _, v := range tc.verbs {
					if !grants(rules, k.group, k.plural, v) {
						t.Errorf("does not grant %s on %s", v, k.plural)
					}
				}
				if !grants(rules, k.group, k.plural+"/status", "get") {
					t.Errorf("does not grant get on %s/status", k.plural)
				}
			}
		})
	}
}

// TestServiceMonitorVerifiesTheMetricsCertificate checks that the ServiceMonitor sends
// Prometheus' token only to an endpoint it verifies: the certificate of metrics.certSecret,
// which the operator serves, checked against the metrics Service's name with the CA the values
// give; skipping verification takes an explicit value.
func TestServiceMonitorVerifiesTheMetricsCertificate(t *testing.T) {
	const certDir = "/etc/transfer-operator/metrics-cert"
	monitor := []string{"--set", "metrics.serviceMonitor.enabled=true"}
	withCert := append(slices.Clone(monitor), "--set", "metrics.certSecret=transfer-operator-metrics-cert")
	for _, tc := range []struct {
		name       string
		args       []string
		wantTLS    func(serverName string) map[string]any
		certSecret string
	}{
		{"the CA of the certificate's Secret", withCert, func(serverName string) map[string]any {
			return map[string]any{"serverName": serverName, "ca": map[string]any{"secret": map[string]any{"name": "transfer-operator-metrics-cert", "key": "ca.crt"}}}
		}, "transfer-operator-metrics-cert"},
		{"a CA of its own", append(slices.Clone(withCert), "--set-json", `metrics.serviceMonitor.tlsConfig.ca={"configMap":{"name":"metrics-ca","key":"ca.crt"}}`), func(serverName string) map[string]any {
			return map[string]any{"serverName": serverName, "ca": map[string]any{"configMap": map[string]any{"name": "metrics-ca", "key": "ca.crt"}}}
		}, "transfer-operator-metrics-cert"},
		{"no verification, asked for", append(slices.Clone(monitor), "--set", "metrics.serviceMonitor.tlsConfig.insecureSkipVerify=true"), func(string) map[string]any {
			return map[string]any{"insecureSkipVerify": true}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := decode(t, render(t, tc.args...))
			svc := findOne(t, objs, "Service")
			endpoints, _, _ := unstructured.NestedSlice(findOne(t, objs, "ServiceMonitor").Object, "spec", "endpoints")
			if len(endpoints) != 1 {
				t.Fatalf("endpoints %v, want one", endpoints)
			}
			got := endpoints[0].(map[string]any)["tlsConfig"]
			if want := tc.wantTLS(svc.GetName() + "." + svc.GetNamespace() + ".svc"); !reflect.DeepEqual(got, want) {
				t.Errorf("tlsConfig %v, want %v", got, want)
			}

			pod := convert[appsv1.Deployment](t, findOne(t, objs, "Deployment")).Spec.Template.Spec
			args := pod.Containers[0].Args
			if tc.certSecret == "" {
				if slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--metrics-cert-dir") }) {
					t.Errorf("args %v name a metrics certificate, but there is none", args)
				}
				return
			}
			if !slices.Contains(args, "--metrics-cert-dir="+certDir) {
				t.Errorf("args %v lack --metrics-cert-dir=%s", args, certDir)
			}
			var volume string
			for _, m := range pod.Containers[0].VolumeMounts {
				if m.MountPath == certDir {
					volume = m.Name
				}
			}
			i := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == volume })
			if volume == "" || i < 0 || pod.Volumes[i].Secret == nil || pod.Volumes[i].Secret.SecretName != tc.certSecret {
				t.Errorf("%s is not the Secret %s: mounts %+v, volumes %+v", certDir, tc.certSecret, pod.Containers[0].VolumeMounts, pod.Volumes)
			}
		})
	}
}

// TestEveryKindShowsWhyItIsNotReady checks that kubectl get shows, for every kind of
// config/crd/bases, Ready with its reason, and Ready's message with -o wide, so that a False is
// never shown without a word.
func TestEveryKindShowsWhyItIsNotReady(t *testing.T) {
	const ready = `.status.conditions[?(@.type=="Ready")]`
	for file, data := range readDir(t, filepath.Join(repoRoot, "config", "crd", "bases")) {
		crd := parseYAML(t, data)
		versions, _, _ := unstructured.NestedSlice(crd, "spec", "versions")
		for _, v := range versions {
			columns, _, _ := unstructured.NestedSlice(v.(map[string]any), "additionalPrinterColumns")
			got := map[string]string{}
			for _, c := range columns {
				col := c.(map[string]any)
				got[col["name"].(string)] = fmt.Sprintf("%s priority=%v", col["jsonPath"], cmp.Or(col["priority"], any(0)))
			}
			for name, want := range map[string]string{
				"Ready":   ready + ".status priority=0",
				"Reason":  ready + ".reason priority=0",
				"Message": ready + ".message priority=1",
			} {
				if got[name] != want {
					t.Errorf("%s: column %s is %q, want %q", file, name, got[name], want)
				}
			}
		}
	}
}
