package transfer

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/google/go-cmp/cmp"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

const (
	testConnectorRole   = "arn:aws:iam::111122223333:role/connector"
	testConnectorSecret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:partner-AbCdEf"
	testHostKeyA        = "ecdsa-sha2-nistp256 AAAAkeyA"
	testHostKeyB        = "ssh-rsa AAAAkeyB"
)

var testConnectorOwner = OwnerTags("TransferConnector", "ns", "partner", "uid-1")

// describedConnector is a connector as AWS describes one made from the base spec, with the
// defaults AWS reports for fields nobody set.
func describedConnector(mutate func(*types.DescribedConnector)) *Connector {
	d := &types.DescribedConnector{
		ConnectorId: aws.String("c-0123456789abcdef0"), Arn: aws.String("arn:aws:transfer:us-east-1:111122223333:connector/c-0123456789abcdef0"),
		Url: aws.String("sftp://partner.example"), AccessRole: aws.String(testConnectorRole),
		SecurityPolicyName: aws.String("TransferSFTPConnectorSecurityPolicy-2024-03"), IpAddressType: types.ConnectorsIpAddressTypeIpv4,
		Status: types.ConnectorStatusActive, EgressType: types.ConnectorEgressTypeServiceManaged,
		SftpConfig: &types.SftpConnectorConfig{UserSecretId: aws.String(testConnectorSecret), MaxConcurrentConnections: aws.Int32(1)},
		Tags:       tagList(testConnectorOwner),
	}
	if mutate != nil {
		mutate(d)
	}
	return connectorFromDescribed(d)
}

func desiredConnector(applied []string, mutate func(*v1alpha1.TransferConnectorSpec)) DesiredConnector {
	s := &v1alpha1.TransferConnectorSpec{
		URL: "sftp://partner.example", AccessRole: testConnectorRole,
		SFTPConfig: &v1alpha1.SFTPConnectorConfig{UserSecretID: testConnectorSecret},
	}
	if mutate != nil {
		mutate(s)
	}
	return DesiredConnector{Spec: s, UserSecretID: testConnectorSecret, Applied: applied, OwnerTags: testConnectorOwner}
}

// TestPlanConnector checks what PlanConnector sends: only what the spec sets, AWS's defaults
// for what it leaves out never read as drift, and what a pass applied set back when it leaves.
func TestPlanConnector(t *testing.T) {
	for _, tc := range []struct {
		name     string
		desired  DesiredConnector
		observed *Connector
		want     []string
		check    func(t *testing.T, p ConnectorPlan)
	}{
		{name: "what AWS defaults, left out of the spec: in sync", desired: desiredConnector(nil, nil), observed: describedConnector(nil)},
		{name: "no connections reported: AWS's default of 1", desired: desiredConnector(nil, func(s *v1alpha1.TransferConnectorSpec) {
			s.SFTPConfig.MaxConcurrentConnections = new(int32(1))
		}), observed: describedConnector(func(d *types.DescribedConnector) { d.SftpConfig.MaxConcurrentConnections = nil })},
		{name: "hand-set connections the spec leaves out: left alone", desired: desiredConnector(nil, nil),
			observed: describedConnector(func(d *types.DescribedConnector) { d.SftpConfig.MaxConcurrentConnections = aws.Int32(5) })},
		{name: "connections removed from the spec after a pass applied them: back to 1",
			desired:  desiredConnector([]string{fieldMaxConcurrentConnections}, nil),
			observed: describedConnector(func(d *types.DescribedConnector) { d.SftpConfig.MaxConcurrentConnections = aws.Int32(3) }),
			want:     []string{fieldMaxConcurrentConnections},
			check: func(t *testing.T, p ConnectorPlan) {
				if got := aws.ToInt32(p.Update.SftpConfig.MaxConcurrentConnections); got != 1 {
					t.Errorf("MaxConcurrentConnections = %d, want 1", got)
				}
				if p.Update.SftpConfig.TrustedHostKeys != nil {
					t.Errorf("TrustedHostKeys sent though the spec does not manage them: %v", p.Update.SftpConfig.TrustedHostKeys)
				}
			}},
		{name: "trusted host keys compare as a set", desired: desiredConnector(nil, func(s *v1alpha1.TransferConnectorSpec) {
			s.SFTPConfig.TrustedHostKeys = []string{testHostKeyA, testHostKeyB}
		}), observed: describedConnector(func(d *types.DescribedConnector) { d.SftpConfig.TrustedHostKeys = []string{testHostKeyB, testHostKeyA} })},
		{name: "a host key added", desired: desiredConnector(nil, func(s *v1alpha1.TransferConnectorSpec) {
			s.SFTPConfig.TrustedHostKeys = []string{testHostKeyA, testHostKeyB}
		}), observed: describedConnector(func(d *types.DescribedConnector) { d.SftpConfig.TrustedHostKeys = []string{testHostKeyA} }),
			want: []string{fieldTrustedHostKeys}},
		{name: "trusted host keys removed after a pass applied them: cleared",
			desired:  desiredConnector([]string{fieldTrustedHostKeys}, nil),
			observed: describedConnector(func(d *types.DescribedConnector) { d.SftpConfig.TrustedHostKeys = []string{testHostKeyA} }),
			want:     []string{fieldTrustedHostKeys},
			check: func(t *testing.T, p ConnectorPlan) {
				if keys := p.Update.SftpConfig.TrustedHostKeys; keys == nil || len(keys) != 0 {
					t.Errorf("TrustedHostKeys = %#v, want an empty list, which clears them", keys)
				}
			}},
		{name: "logging role removed after a pass applied it: cleared", desired: desiredConnector([]string{fieldLoggingRole}, nil),
			observed: describedConnector(func(d *types.DescribedConnector) { d.LoggingRole = aws.String(testConnectorRole) }),
			want:     []string{fieldLoggingRole},
			check: func(t *testing.T, p ConnectorPlan) {
				if p.Update.LoggingRole == nil || *p.Update.LoggingRole != "" {
					t.Errorf("LoggingRole = %v, want an empty string, which clears it", p.Update.LoggingRole)
				}
			}},
		{name: "a hand-set logging role the spec never set: left alone", desired: desiredConnector(nil, nil),
			observed: describedConnector(func(d *types.DescribedConnector) { d.LoggingRole = aws.String(testConnectorRole) })},
		{name: "url, role, policy and address type changed", desired: desiredConnector(nil, func(s *v1alpha1.TransferConnectorSpec) {
			s.URL, s.AccessRole = "sftp://other.example:2222", "arn:aws:iam::111122223333:role/other"
			s.SecurityPolicyName, s.IPAddressType = "TransferSFTPConnectorSecurityPolicy-2023-07", "DUALSTACK"
		}), observed: describedConnector(nil), want: []string{"accessRole", "ipAddressType", "securityPolicyName", "url"}},
		{name: "another secret", desired: desiredConnector(nil, nil),
			observed: describedConnector(func(d *types.DescribedConnector) { d.SftpConfig.UserSecretId = aws.String("arn:other") }),
			want:     []string{"sftpConfig.userSecret"}},
		{name: "lattice port left out: AWS's 22", desired: desiredConnector(nil, func(s *v1alpha1.TransferConnectorSpec) {
			s.URL = ""
			s.EgressConfig = &v1alpha1.ConnectorEgressConfig{VpcLattice: &v1alpha1.VpcLatticeEgressConfig{ResourceConfigurationARN: "arn:rcfg"}}
		}), observed: describedConnector(func(d *types.DescribedConnector) {
			d.Url, d.EgressType = nil, types.ConnectorEgressTypeVpcLattice
			d.EgressConfig = &types.DescribedConnectorEgressConfigMemberVpcLattice{Value: types.DescribedConnectorVpcLatticeEgressConfig{ResourceConfigurationArn: aws.String("arn:rcfg"), PortNumber: aws.Int32(22)}}
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := PlanConnector(tc.desired, tc.observed)
			if diff := cmp.Diff(tc.want, p.Changed); diff != "" {
				t.Errorf("Changed (-want +got):\n%s", diff)
			}
			if (p.Update != nil) != (len(tc.want) > 0) {
				t.Errorf("Update = %+v, want one only when a field differs", p.Update)
			}
			if len(p.AddTags) > 0 || len(p.RemoveTags) > 0 {
				t.Errorf("tags to change: %v, %v; want none", p.AddTags, p.RemoveTags)
			}
			if tc.check != nil {
				tc.check(t, p)
			}
		})
	}
}

// TestCreateConnectorInput checks that a create sends what the spec sets and leaves AWS's
// defaults to AWS.
func TestCreateConnectorInput(t *testing.T) {
	in := createConnectorInput(desiredConnector(nil, nil))
	if in.SftpConfig.MaxConcurrentConnections != nil || in.SftpConfig.TrustedHostKeys != nil || in.LoggingRole != nil || in.SecurityPolicyName != nil || in.IpAddressType != "" {
		t.Errorf("request sends members the spec does not set: %+v %+v", in, in.SftpConfig)
	}
	if aws.ToString(in.SftpConfig.UserSecretId) != testConnectorSecret || aws.ToString(in.Url) != "sftp://partner.example" {
		t.Errorf("request = %+v, want the url and the secret", in)
	}
	if got := tagsToMap(in.Tags); got[TagOwnerUID] != "uid-1" {
		t.Errorf("tags = %v, want the bookkeeping tags", got)
	}
}

// TestConnectorCredentialsSecretString checks the JSON keys AWS's connectors read.
func TestConnectorCredentialsSecretString(t *testing.T) {
	got := ConnectorCredentials{Username: "acme", PrivateKey: "KEY"}.secretString()
	if want := `{"Username":"acme","PrivateKey":"KEY"}`; got != want {
		t.Errorf("secretString() = %s, want %s", got, want)
	}
}
