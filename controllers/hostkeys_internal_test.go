package controllers

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// TestHostKeySecretNames checks the values of the Secret watch's index: every Secret a server's
// host keys come from, once each, so that a change to any of them reconciles the server.
func TestHostKeySecretNames(t *testing.T) {
	entry := func(name, key string) v1alpha1.HostKeySource {
		return v1alpha1.HostKeySource{SecretRef: v1alpha1.SecretKeySelector{Name: name, Key: key}}
	}
	for _, tc := range []struct {
		name string
		spec v1alpha1.TransferServerSpec
		want []string
	}{
		{name: "no host keys"},
		{name: "hostKeySecretRef", spec: v1alpha1.TransferServerSpec{HostKeySecretRef: &v1alpha1.SecretKeySelector{Name: "old", Key: "k"}}, want: []string{"old"}},
		{name: "hostKeys", spec: v1alpha1.TransferServerSpec{HostKeys: []v1alpha1.HostKeySource{entry("a", "k"), entry("b", "k")}}, want: []string{"a", "b"}},
		{name: "two keys of one Secret", spec: v1alpha1.TransferServerSpec{HostKeys: []v1alpha1.HostKeySource{entry("a", "rsa"), entry("a", "ed25519")}}, want: []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, hostKeySecretNames(&tc.spec)); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}
