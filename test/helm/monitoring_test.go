package helm

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"

	// The operator's packages, and controller-runtime's that they use, register their metrics
	// with controller-runtime's registry when they are loaded; exportedMetrics reads them there.
	_ "github.com/transfer-operator/transfer-operator/controllers"
)

var (
	promtoolOnce sync.Once
	promtoolPath string
	promtoolErr  error
)

// promtool runs promtool, building it (once) through hack/install-promtool.sh.
func promtool(t *testing.T, args ...string) result {
	t.Helper()
	promtoolOnce.Do(func() {
		cmd := exec.Command(filepath.Join(repoRoot, "hack", "install-promtool.sh"))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			promtoolErr = fmt.Errorf("hack/install-promtool.sh: %w", err)
			return
		}
		promtoolPath = strings.TrimSpace(string(out))
	})
	if promtoolErr != nil {
		t.Fatalf("getting promtool: %v", promtoolErr)
	}
	return execute(nil, nil, promtoolPath, args...)
}

// writeYAML writes v as YAML to name in dir and returns the file's path.
func writeYAML(t *testing.T, dir, name string, v any) string {
	t.Helper()
	data, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// renderAlerts renders the chart with its PrometheusRule on and the given flags, and returns
// the PrometheusRule and its alerting rules.
func renderAlerts(t *testing.T, args ...string) (*unstructured.Unstructured, []map[string]any) {
	t.Helper()
	rule := findOne(t, decode(t, render(t, append([]string{"--set", "metrics.prometheusRule.enabled=true"}, args...)...)), "PrometheusRule")
	groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	var alerts []map[string]any
	for _, g := range groups {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			alerts = append(alerts, r.(map[string]any))
		}
	}
	if len(alerts) == 0 {
		t.Fatal("the PrometheusRule has no rules")
	}
	return rule, alerts
}

// alertNames returns the names of alerting rules.
func alertNames(alerts []map[string]any) []string {
	var names []string
	for _, a := range alerts {
		names = append(names, a["alert"].(string))
	}
	return names
}

// ruleUnitTests is what TestPrometheusRuleAlertsFire reads of a promtool test file.
type ruleUnitTests struct {
	Tests []struct {
		AlertRuleTest []struct {
			Alertname string `json:"alertname"`
			ExpAlerts []any  `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

// markdownAnchors returns the anchors GitHub gives the headings of a Markdown file.
func markdownAnchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	drop := regexp.MustCompile(`[^a-z0-9 _-]`)
	for _, m := range regexp.MustCompile(`(?m)^#{1,6} (.+)$`).FindAllStringSubmatch(string(data), -1) {
		anchors[strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(m[1]), ""), " ", "-")] = true
	}
	return anchors
}

// TestPrometheusRuleAlertsFire runs promtool's checks and the unit tests of
// testdata/alerts-test.yaml on the rules of the rendered PrometheusRule, and checks that every
// alert fires in a case there, stays quiet in another, and links a runbook section that exists.
func TestPrometheusRuleAlertsFire(t *testing.T) {
	_, alerts := renderAlerts(t)
	dir := t.TempDir()
	rules := writeYAML(t, dir, "rules.yaml", map[string]any{"groups": []any{map[string]any{"name": "transfer-operator", "rules": alerts}}})
	testData, err := os.ReadFile(filepath.Join(repoRoot, "test", "helm", "testdata", "alerts-test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := filepath.Join(dir, "alerts-test.yaml")
	if err := os.WriteFile(tests, testData, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := promtool(t, "check", "rules", rules); r.err != nil {
		t.Fatalf("promtool check rules: %s", r)
	}
	if r := promtool(t, "test", "rules", tests); r.err != nil {
		t.Fatalf("promtool test rules: %s", r)
	}

	var unit ruleUnitTests
	if err := yaml.Unmarshal(testData, &unit); err != nil {
		t.Fatal(err)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range unit.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	troubleshooting := filepath.Join(repoRoot, "docs", "troubleshooting.md")
	anchors := markdownAnchors(t, troubleshooting)
	for _, a := range alerts {
		name := a["alert"].(string)
		if !fires[name] || !quiet[name] {
			t.Errorf("%s: testdata/alerts-test.yaml has a case where it fires: %v, where it does not: %v; want both", name, fires[name], quiet[name])
		}
		annotations, _ := a["annotations"].(map[string]any)
		for _, key := range []string{"summary", "description"} {
			if s, _ := annotations[key].(string); s == "" {
				t.Errorf("%s has no %s annotation", name, key)
			}
		}
		url, _ := annotations["runbook_url"].(string)
		page, anchor, _ := strings.Cut(url, "#")
		if !strings.HasSuffix(page, "/docs/troubleshooting.md") || !anchors[anchor] {
			t.Errorf("%s: runbook_url %q is not a section of docs/troubleshooting.md", name, url)
		}
	}
}

// TestPrometheusRuleValues checks what metrics.prometheusRule changes in the rendered rule.
func TestPrometheusRuleValues(t *testing.T) {
	_, defaults := renderAlerts(t)
	rule, alerts := renderAlerts(t, allFeatures...)
	byName := map[string]map[string]any{}
	for _, a := range alerts {
		byName[a["alert"].(string)] = a
	}
	if _, ok := byName["TransferOperatorDriftDetectionBehind"]; ok || len(alerts) != len(defaults)-1 {
		t.Errorf("alerts %v; want those of the defaults %v but TransferOperatorDriftDetectionBehind", alertNames(alerts), alertNames(defaults))
	}
	throttled := byName["TransferOperatorAWSThrottled"]
	if throttled["for"] != "1h" || !reflect.DeepEqual(throttled["labels"], map[string]any{"severity": "info", "team": "platform"}) {
		t.Errorf("TransferOperatorAWSThrottled: for %v, labels %v; want 1h and severity info, team platform", throttled["for"], throttled["labels"])
	}
	for _, a := range alerts {
		labels := a["labels"].(map[string]any)
		if labels["team"] != "platform" || labels["severity"] == "" {
			t.Errorf("%s: labels %v lack team=platform or a severity", a["alert"], labels)
		}
		url := a["annotations"].(map[string]any)["runbook_url"]
		if want := "https://wiki.example.com/transfer-operator/troubleshooting#" + strings.ToLower(a["alert"].(string)); url != want {
			t.Errorf("%s: runbook_url %v, want %s", a["alert"], url, want)
		}
	}
	if rule.GetLabels()["release"] != "prometheus" || rule.GetNamespace() != "transfer-operator-system" {
		t.Errorf("PrometheusRule labels %v in %s; want release=prometheus, in the release namespace", rule.GetLabels(), rule.GetNamespace())
	}
	if other, _ := renderAlerts(t, "--set", "metrics.prometheusRule.namespace=monitoring"); other.GetNamespace() != "monitoring" {
		t.Errorf("PrometheusRule in %s, want monitoring", other.GetNamespace())
	}
}

// dashboardConfigMap returns the ConfigMap holding the Grafana dashboard, rendered with flags.
func dashboardConfigMap(t *testing.T, args ...string) *unstructured.Unstructured {
	t.Helper()
	return findOne(t, decode(t, render(t, append([]string{"--set", "metrics.grafanaDashboard.enabled=true"}, args...)...)), "ConfigMap")
}

// dashboardQueries returns the PromQL queries of a Grafana dashboard: the expr of every panel
// target, rows' panels included, and the selector of every label_values variable.
func dashboardQueries(t *testing.T, dashboard map[string]any) []string {
	t.Helper()
	var queries []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if expr, ok := v["expr"].(string); ok {
				queries = append(queries, expr)
			}
			for _, k := range slices.Sorted(maps.Keys(v)) {
				walk(v[k])
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(dashboard["panels"])
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)
	variables, _, _ := unstructured.NestedSlice(dashboard, "templating", "list")
	for _, v := range variables {
		if v.(map[string]any)["type"] != "query" {
			continue
		}
		q, _, _ := unstructured.NestedString(v.(map[string]any), "query", "query")
		m := labelValues.FindStringSubmatch(q)
		if m == nil {
			t.Fatalf("dashboard variable %v: query %q is not label_values(selector, label)", v.(map[string]any)["name"], q)
		}
		queries = append(queries, m[1])
	}
	return queries
}

// exportedMetrics returns the names of the metrics the operator serves. Those registered when
// its packages are loaded (controller-runtime's, the Go and process collectors', and the
// operator's own) are read from controller-runtime's registry, whose descriptors name them.
// transfer_operator_objects is registered only with a manager; it comes from the table of
// docs/metrics.md, which controllers' TestMetricsDocumented keeps equal to the
// transfer_operator_ metrics a running operator serves.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	descs := make(chan *prometheus.Desc)
	go func() {
		metrics.Registry.(prometheus.Collector).Describe(descs)
		close(descs)
	}()
	fqName := regexp.MustCompile(`^Desc\{fqName: "([^"]+)"`)
	for d := range descs {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			names[m[1]] = true
		}
	}
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := regexp.MustCompile("(?m)^\\| `(transfer_operator_[a-z_]+)` \\|").FindAllStringSubmatch(string(doc), -1)
	if len(documented) == 0 {
		t.Fatal("docs/metrics.md has no table of the operator's metrics")
	}
	for _, m := range documented {
		names[m[1]] = true
	}
	return names
}

// exported reports whether a PromQL series name is one of names, or a series of a histogram
// or summary among them.
func exported(names map[string]bool, series string) bool {
	if names[series] {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(series, suffix); ok && names[base] {
			return true
		}
	}
	return false
}

var (
	promqlStrings  = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	promqlMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promqlRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promqlGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlIdent    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	// promqlKeywords are PromQL's words that are not followed by a parenthesis.
	promqlKeywords = map[string]bool{"and": true, "or": true, "unless": true, "offset": true, "bool": true,
		"group_left": true, "group_right": true, "inf": true, "nan": true, "atan2": true}
)

// metricNames returns the metric names a PromQL expression selects: its identifiers outside
// strings, label matchers, ranges and grouping labels that are neither a function or
// aggregation (followed by a parenthesis) nor a keyword. It follows PromQL's lexical shape
// only (promtool checks the syntax), and does not see names given as __name__ matchers.
func metricNames(expr string) []string {
	expr = promqlStrings.ReplaceAllString(expr, `""`)
	expr = promqlMatchers.ReplaceAllString(expr, "{}")
	expr = promqlRanges.ReplaceAllString(expr, "[]")
	expr = promqlGrouping.ReplaceAllString(expr, "")
	var names []string
	for _, loc := range promqlIdent.FindAllStringIndex(expr, -1) {
		word := expr[loc[0]:loc[1]]
		if loc[0] > 0 && strings.ContainsRune("0123456789.", rune(expr[loc[0]-1])) {
			continue // the exponent of a number, the unit of a duration
		}
		if strings.HasPrefix(strings.TrimLeft(expr[loc[1]:], " \t\n"), "(") || promqlKeywords[word] {
			continue
		}
		if !slices.Contains(names, word) {
			names = append(names, word)
		}
	}
	return names
}

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`sum by (kind, ready) (transfer_operator_objects{namespace=~"$namespace", ready!="True"})`:                     {"transfer_operator_objects"},
		`histogram_quantile(0.99, sum by (le, name) (rate(workqueue_queue_duration_seconds_bucket{name=~"a|b"}[5m])))`: {"workqueue_queue_duration_seconds_bucket"},
		`sum(rate(a[10m])) without (b) / on (region) group_left (x) c > bool 1e3`:                                      {"a", "c"},
		`max_over_time(a[1h:5m] offset 5m) unless b or label_replace(c, "dst", "$1", "src", "(d)")`:                    {"a", "b", "c"},
		`sum by(x)(d:recorded:rate5m) and -inf < e`:                                                                    {"d:recorded:rate5m", "e"},
	} {
		if got := metricNames(expr); !slices.Equal(got, want) {
			t.Errorf("metricNames(%s) = %v, want %v", expr, got, want)
		}
	}
}

// TestGrafanaDashboardQueriesExportedMetrics checks that every query of the chart's Grafana
// dashboard is valid PromQL and names only metrics the operator serves, and that the dashboard
// shows every metric of the operator's own.
func TestGrafanaDashboardQueriesExportedMetrics(t *testing.T) {
	cm := dashboardConfigMap(t)
	if cm.GetLabels()["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap labels %v lack grafana_dashboard=1, which Grafana's sidecar looks for", cm.GetLabels())
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	var dashboard map[string]any
	if err := json.Unmarshal([]byte(data["transfer-operator.json"]), &dashboard); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	queries := dashboardQueries(t, dashboard)
	if len(queries) < 10 {
		t.Fatalf("the dashboard has %d queries: %v", len(queries), queries)
	}

	names := exportedMetrics(t)
	shown := map[string]bool{}
	grafanaInterval := regexp.MustCompile(`\$__\w+`)
	var rules []any
	for i, q := range queries {
		for _, name := range metricNames(q) {
			if !exported(names, name) {
				t.Errorf("query %q names %s, which the operator does not serve", q, name)
			}
			shown[name] = true
		}
		rules = append(rules, map[string]any{"record": fmt.Sprintf("dashboard:query_%d", i), "expr": grafanaInterval.ReplaceAllString(q, "5m")})
	}
	for name := range names {
		if strings.HasPrefix(name, "transfer_operator_") && !shown[name] && !shown[name+"_bucket"] {
			t.Errorf("no panel shows %s", name)
		}
	}
	file := writeYAML(t, t.TempDir(), "dashboard-rules.yaml", map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if r := promtool(t, "check", "rules", file); r.err != nil {
		t.Errorf("the dashboard's queries are not valid PromQL (promtool check rules on them as recording rules): %s", r)
	}

	t.Run("values", func(t *testing.T) {
		cm := dashboardConfigMap(t, allFeatures...)
		if cm.GetLabels()["grafana_dashboard"] != "1" || cm.GetLabels()["dashboards"] != "platform" || cm.GetAnnotations()["grafana_folder"] != "Platform" {
			t.Errorf("labels %v, annotations %v; want the default label, dashboards=platform and grafana_folder=Platform", cm.GetLabels(), cm.GetAnnotations())
		}
		other := dashboardConfigMap(t, "--set", "metrics.grafanaDashboard.namespace=monitoring", "--set-json", `metrics.grafanaDashboard.labels={"grafana_dashboard":null,"dashboards":"x"}`)
		if other.GetNamespace() != "monitoring" || other.GetLabels()["dashboards"] != "x" || other.GetLabels()["grafana_dashboard"] != "" {
			t.Errorf("namespace %s, labels %v; want monitoring, and dashboards=x instead of grafana_dashboard", other.GetNamespace(), other.GetLabels())
		}
	})
}
