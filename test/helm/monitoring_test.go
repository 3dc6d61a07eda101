package helm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
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
