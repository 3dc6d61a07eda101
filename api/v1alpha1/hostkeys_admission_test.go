package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

func hostKey(secret, description string) v1alpha1.HostKeySource {
	return v1alpha1.HostKeySource{SecretRef: v1alpha1.SecretKeySelector{Name: secret, Key: "id_ed25519"}, Description: description}
}

// TestHostKeysAdmission checks the schema and CEL rules of spec.hostKeys: what they refuse is
// refused with a message that names it, and a rotation's two keys are accepted.
func TestHostKeysAdmission(t *testing.T) {
	ctx := context.Background()
	ten := make([]v1alpha1.HostKeySource, 10)
	for i := range ten {
		ten[i] = hostKey(fmt.Sprintf("key-%d", i), "")
	}
	for i, s := range []*v1alpha1.TransferServer{
		server("rotation", func(s *v1alpha1.TransferServerSpec) {
			s.HostKeys = []v1alpha1.HostKeySource{hostKey("old", "2025 key"), hostKey("new", strings.Repeat("d", 200))}
		}),
		server("exclusive", func(s *v1alpha1.TransferServerSpec) {
			s.HostKeys = []v1alpha1.HostKeySource{hostKey("only", "")}
			s.ExclusiveHostKeys = true
		}),
		server("ten-keys", func(s *v1alpha1.TransferServerSpec) { s.HostKeys = ten }),
		server("same-secret-other-key", func(s *v1alpha1.TransferServerSpec) {
			other := hostKey("keys", "")
			other.SecretRef.Key = "id_rsa"
			s.HostKeys = []v1alpha1.HostKeySource{hostKey("keys", ""), other}
		}),
	} {
		s.Name = fmt.Sprintf("hostkeys-valid-%d", i)
		if err := k8s.Create(ctx, s); err != nil {
			t.Errorf("creating %s: %v", s.Name, err)
		}
	}

	for _, tc := range []struct {
		name string
		spec func(*v1alpha1.TransferServerSpec)
		want string
	}{
		{"both fields", func(s *v1alpha1.TransferServerSpec) {
			s.HostKeySecretRef = &v1alpha1.SecretKeySelector{Name: "old", Key: "id_ed25519"}
			s.HostKeys = []v1alpha1.HostKeySource{hostKey("new", "")}
		}, "set hostKeys or hostKeySecretRef, not both"},
		{"the same Secret key twice", func(s *v1alpha1.TransferServerSpec) {
			s.HostKeys = []v1alpha1.HostKeySource{hostKey("a", "one"), hostKey("a", "two")}
		}, "each hostKeys entry must name a different Secret key"},
		{"eleven keys", func(s *v1alpha1.TransferServerSpec) {
			s.HostKeys = append(append([]v1alpha1.HostKeySource{}, ten...), hostKey("key-10", ""))
		}, "spec.hostKeys: Too many"},
		{"description too long", func(s *v1alpha1.TransferServerSpec) {
			s.HostKeys = []v1alpha1.HostKeySource{hostKey("a", strings.Repeat("d", 201))}
		}, "spec.hostKeys[0].description"},
		{"description with a tab", func(s *v1alpha1.TransferServerSpec) {
			s.HostKeys = []v1alpha1.HostKeySource{hostKey("a", "rsa\t2026")}
		}, "spec.hostKeys[0].description"},
		{"exclusive without keys", func(s *v1alpha1.TransferServerSpec) { s.ExclusiveHostKeys = true }, "exclusiveHostKeys needs hostKeys"},
		{"a key without a Secret name", func(s *v1alpha1.TransferServerSpec) {
			s.HostKeys = []v1alpha1.HostKeySource{hostKey("", "")}
		}, "spec.hostKeys[0].secretRef.name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := k8s.Create(ctx, server("hostkeys-invalid", tc.spec))
			if err == nil {
				t.Fatalf("created; want a refusal naming %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
	empty := unstructuredServer(t, map[string]any{"hostKeys": []any{}})
	if err := k8s.Create(ctx, empty); err == nil || !strings.Contains(err.Error(), "spec.hostKeys") {
		t.Errorf("an empty hostKeys list: %v, want a refusal naming spec.hostKeys", err)
	}
}
