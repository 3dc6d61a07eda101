package e2e

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

// TestSecureMetrics runs the operator binary on its default of secure metrics, as a user that
// holds only the roles of config/rbac, and scrapes it with ServiceAccount tokens: only one bound
// to the metrics-reader ClusterRole gets the metrics.
func TestSecureMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	s := startStackWith(t, "us-east-1", emulator.Options{Seed: 21}, func(s *stack, cfg *testenv.OperatorConfig) {
		admin := kubectlFor(t, s.kubeconfig)
		for _, f := range []string{"role.yaml", "metrics_auth_role.yaml", "metrics_reader_role.yaml"} {
			admin("apply", "-f", filepath.Join(testenv.RepoRoot(), "config", "rbac", f))
		}
		admin("create", "clusterrolebinding", "transfer-operator", "--clusterrole="+readRole(t).Name, "--user="+operatorUser)
		admin("create", "clusterrolebinding", "transfer-operator-metrics-auth", "--clusterrole=metrics-auth-role", "--user="+operatorUser)
		cfg.Kubeconfig = filepath.Join(s.dir, "operator")
		if err := s.cp.WriteUserKubeconfig(operatorUser, []string{"system:serviceaccounts", "system:authenticated"}, cfg.Kubeconfig); err != nil {
			t.Fatal(err)
		}
	}, "--leader-elect=false", "--metrics-bind-address="+addr, "--metrics-secure=true")

	s.kubectl("create", "serviceaccount", "prometheus")
	s.kubectl("create", "serviceaccount", "stranger")
	s.kubectl("create", "clusterrolebinding", "prometheus-metrics", "--clusterrole=metrics-reader", "--serviceaccount=default:prometheus")
	prometheus := strings.TrimSpace(s.kubectl("create", "token", "prometheus"))
	stranger := strings.TrimSpace(s.kubectl("create", "token", "stranger"))

	// The operator serves a self-signed certificate; what is under test is who may read.
	scraper := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	scrape := func(token string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, "https://"+addr+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := scraper.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	var status int
	var body string
	waitFor(t, 2*time.Minute, func() bool {
		status, body = scrape(prometheus)
		return status != 0
	})
	if status != http.StatusOK || !strings.Contains(body, "\ngo_goroutines ") {
		t.Fatalf("scrape with a metrics-reader token: status %d, body %.300s\noperator log:\n%s", status, body, s.logs.String())
	}
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"a forged token", "forged", http.StatusUnauthorized},
		{"a token not bound to metrics-reader", stranger, http.StatusForbidden},
	} {
		if got, body := scrape(tc.token); got != tc.want {
			t.Errorf("%s: status %d, want %d; body %.200s", tc.name, got, tc.want, body)
		}
	}
}
