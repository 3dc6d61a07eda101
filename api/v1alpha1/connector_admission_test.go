package v1alpha1_test

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

const partnerHostKey = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFjAOc4DMvoeSaTKPbX1tEcw/C9BXj3pAIPTbJfMZ/I1rbxApENtEjej45cNhdbrUv3yfYr09s4xLY4tVMZ5q2o="

func connector(name string, mutate func(*v1alpha1.TransferConnectorSpec)) *v1alpha1.TransferConnector {
	c := &v1alpha1.TransferConnector{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: v1alpha1.TransferConnectorSpec{
			URL: "sftp://sftp.partner.example", AccessRole: role,
			SFTPConfig: &v1alpha1.SFTPConnectorConfig{CredentialsSecretRef: &v1alpha1.ConnectorCredentialsRef{Name: "partner"}},
		}}
	if mutate != nil {
		mutate(&c.Spec)
	}
	return c
}

func TestConnectorObjectsAccepted(t *testing.T) {
	ctx := context.Background()
	for _, obj := range []client.Object{
		connector("service-managed", func(s *v1alpha1.TransferConnectorSpec) {
			s.URL = "sftp://sftp.partner.example:2222"
			s.SecurityPolicyName = "TransferSFTPConnectorSecurityPolicy-2024-03"
			s.IPAddressType = "DUALSTACK"
			s.LoggingRole = role
			s.SFTPConfig.TrustedHostKeys = []string{partnerHostKey}
			s.SFTPConfig.MaxConcurrentConnections = new(int32(5))
			s.Tags = tags(3)
		}),
		connector("vpc-lattice", func(s *v1alpha1.TransferConnectorSpec) {
			s.URL = ""
			s.EgressConfig = &v1alpha1.ConnectorEgressConfig{VpcLattice: &v1alpha1.VpcLatticeEgressConfig{
				ResourceConfigurationARN: "arn:aws:vpc-lattice:eu-west-1:111122223333:resourceconfiguration/rcfg-0123456789abcdef0", PortNumber: new(int32(2222)),
			}}
		}),
		connector("user-secret-id", func(s *v1alpha1.TransferConnectorSpec) {
			s.SFTPConfig = &v1alpha1.SFTPConnectorConfig{UserSecretID: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:partner-AbCdEf"}
		}),
	} {
		if err := k8s.Create(ctx, obj); err != nil {
			t.Errorf("creating %s: %v", obj.GetName(), err)
		}
	}
}

func TestConnectorObjectsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  client.Object
		want string
	}{
		{"no url nor egress", connector("x", func(s *v1alpha1.TransferConnectorSpec) { s.URL = "" }), "set url (a service-managed connector) or egressConfig.vpcLattice"},
		{"url with egress", connector("x", func(s *v1alpha1.TransferConnectorSpec) {
			s.EgressConfig = &v1alpha1.ConnectorEgressConfig{VpcLattice: &v1alpha1.VpcLatticeEgressConfig{ResourceConfigurationARN: "arn:aws:vpc-lattice:eu-west-1:111122223333:resourceconfiguration/rcfg-0123456789abcdef0"}}
		}), "not both"},
		{"not an sftp url", connector("x", func(s *v1alpha1.TransferConnectorSpec) { s.URL = "https://partner.example" }), "must be sftp://host or sftp://host:port"},
		{"both credentials", connector("x", func(s *v1alpha1.TransferConnectorSpec) {
			s.SFTPConfig.UserSecretID = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:partner-AbCdEf"
		}), "set sftpConfig.userSecretId"},
		{"no credentials", connector("x", func(s *v1alpha1.TransferConnectorSpec) { s.SFTPConfig.CredentialsSecretRef = nil }), "not neither"},
		{"ed25519 host key", connector("x", func(s *v1alpha1.TransferConnectorSpec) {
			s.SFTPConfig.TrustedHostKeys = []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"}
		}), "an RSA or ECDSA key"},
		{"host key with host name", connector("x", func(s *v1alpha1.TransferConnectorSpec) {
			s.SFTPConfig.TrustedHostKeys = []string{"sftp.partner.example " + partnerHostKey}
		}), "without host name or comment"},
		{"six connections", connector("x", func(s *v1alpha1.TransferConnectorSpec) { s.SFTPConfig.MaxConcurrentConnections = new(int32(6)) }),
			"spec.sftpConfig.maxConcurrentConnections"},
		{"bad connector id", connector("x", func(s *v1alpha1.TransferConnectorSpec) { s.ConnectorID = "c-123" }), "must be a connector ID"},
		{"bad access role", connector("x", func(s *v1alpha1.TransferConnectorSpec) { s.AccessRole = "connector-role" }), "spec.accessRole"},
		{"bad security policy", connector("x", func(s *v1alpha1.TransferConnectorSpec) { s.SecurityPolicyName = "TransferSecurityPolicy-2024-01" }), "spec.securityPolicyName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := k8s.Create(context.Background(), tc.obj)
			if err == nil {
				_ = k8s.Delete(context.Background(), tc.obj)
				t.Fatalf("the API server accepted it; want a refusal naming %q", tc.want)
			}
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an Invalid error naming %q", err, tc.want)
			}
		})
	}
}

func TestConnectorImmutableFields(t *testing.T) {
	ctx := context.Background()
	con := connector("immutable-connector", nil)
	if err := k8s.Create(ctx, con); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		mutate func()
		want   string
	}{
		{"connectorId added", func() { con.Spec.ConnectorID = "c-0123456789abcdef0" }, "connectorId can only be set when the TransferConnector is created"},
		{"region added", func() { con.Spec.Region = "eu-west-1" }, "region is immutable"},
		{"routing changed", func() {
			con.Spec.URL = ""
			con.Spec.EgressConfig = &v1alpha1.ConnectorEgressConfig{VpcLattice: &v1alpha1.VpcLatticeEgressConfig{ResourceConfigurationARN: "arn:aws:vpc-lattice:eu-west-1:111122223333:resourceconfiguration/rcfg-0123456789abcdef0"}}
		}, "egressConfig cannot be added or removed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(con), con); err != nil {
				t.Fatal(err)
			}
			tc.mutate()
			err := k8s.Update(ctx, con)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want a refusal saying %q", err, tc.want)
			}
		})
	}
}
