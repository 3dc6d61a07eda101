package emulator_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"golang.org/x/crypto/ssh"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

const (
	testSecretARN     = "arn:aws:secretsmanager:us-east-1:111122223333:secret:partner-AbCdEf"
	testConnectorRole = "arn:aws:iam::111122223333:role/connector"
	testRcfgARN       = "arn:aws:vpc-lattice:us-east-1:111122223333:resourceconfiguration/rcfg-0123456789abcdef0"
)

// newECDSAKey returns an ECDSA P-256 signer and its public key as "key-type key-body".
func newECDSAKey(t testing.TB) (ssh.Signer, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mustNoErr(t, err, "generate ECDSA key")
	signer, err := ssh.NewSignerFromKey(k)
	mustNoErr(t, err, "signer")
	return signer, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
}

// sftpConnector is a CreateConnector input for an SFTP connector to url.
func sftpConnector(url string, cfg *types.SftpConnectorConfig) *transfer.CreateConnectorInput {
	if cfg == nil {
		cfg = &types.SftpConnectorConfig{}
	}
	if cfg.UserSecretId == nil {
		cfg.UserSecretId = aws.String(testSecretARN)
	}
	return &transfer.CreateConnectorInput{Url: aws.String(url), AccessRole: aws.String(testConnectorRole), SftpConfig: cfg}
}

func createConnector(t testing.TB, c *transfer.Client, in *transfer.CreateConnectorInput) string {
	t.Helper()
	out, err := c.CreateConnector(ctxT(t), in)
	mustNoErr(t, err, "CreateConnector")
	return aws.ToString(out.ConnectorId)
}

func describeConnector(t testing.TB, c *transfer.Client, id string) *types.DescribedConnector {
	t.Helper()
	out, err := c.DescribeConnector(ctxT(t), &transfer.DescribeConnectorInput{ConnectorId: aws.String(id)})
	mustNoErr(t, err, "DescribeConnector")
	return out.Connector
}

var connectorIDRE = regexp.MustCompile(`^c-[0-9a-f]{17}$`)

func TestConnectorLifecycle(t *testing.T) {
	clock := clocktesting.NewFakeClock(time.Now())
	srv := startEmulator(t, emulator.Options{TransitionDelay: 5 * time.Second, Clock: clock})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	_, hostKey := newECDSAKey(t)
	id := createConnector(t, c, &transfer.CreateConnectorInput{
		Url: aws.String("sftp://partner.example.com"), AccessRole: aws.String(testConnectorRole),
		SftpConfig: &types.SftpConnectorConfig{UserSecretId: aws.String(testSecretARN), TrustedHostKeys: []string{"partner.example.com " + hostKey}},
		Tags:       []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
	})
	if !connectorIDRE.MatchString(id) {
		t.Fatalf("ConnectorId %q", id)
	}

	d := describeConnector(t, c, id)
	if got, want := aws.ToString(d.Arn), "arn:aws:transfer:us-east-1:111122223333:connector/"+id; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if d.Status != types.ConnectorStatusPending || d.EgressType != types.ConnectorEgressTypeServiceManaged || d.EgressConfig != nil {
		t.Errorf("Status %s, EgressType %s, EgressConfig %v; want PENDING, SERVICE_MANAGED and none", d.Status, d.EgressType, d.EgressConfig)
	}
	// Defaults the SDK and the user guide document; IpAddressType is documented with none.
	if aws.ToString(d.SecurityPolicyName) != "TransferSFTPConnectorSecurityPolicy-2024-03" || aws.ToInt32(d.SftpConfig.MaxConcurrentConnections) != 1 || d.IpAddressType != "" {
		t.Errorf("SecurityPolicyName %v, MaxConcurrentConnections %v, IpAddressType %q", aws.ToString(d.SecurityPolicyName), d.SftpConfig.MaxConcurrentConnections, d.IpAddressType)
	}
	if len(d.ServiceManagedEgressIpAddresses) != 3 {
		t.Fatalf("ServiceManagedEgressIpAddresses = %v, want 3", d.ServiceManagedEgressIpAddresses)
	}
	_, testNet3, _ := net.ParseCIDR("203.0.113.0/24")
	for _, ip := range d.ServiceManagedEgressIpAddresses {
		if !testNet3.Contains(net.ParseIP(ip)) {
			t.Errorf("egress address %s is not in 203.0.113.0/24", ip)
		}
	}
	clock.Step(5 * time.Second)
	if d2 := describeConnector(t, c, id); d2.Status != types.ConnectorStatusActive || !slices.Equal(d2.ServiceManagedEgressIpAddresses, d.ServiceManagedEgressIpAddresses) {
		t.Errorf("after the transition delay: Status %s, egress %v (was %v)", d2.Status, d2.ServiceManagedEgressIpAddresses, d.ServiceManagedEgressIpAddresses)
	}

	_, err := c.UpdateConnector(ctx, &transfer.UpdateConnectorInput{ConnectorId: aws.String(id),
		SecurityPolicyName: aws.String("TransferSFTPConnectorSecurityPolicy-2023-07"),
		SftpConfig:         &types.SftpConnectorConfig{MaxConcurrentConnections: aws.Int32(5)},
		IpAddressType:      types.ConnectorsIpAddressTypeDualstack,
	})
	mustNoErr(t, err, "UpdateConnector")
	d = describeConnector(t, c, id)
	if d.Status != types.ConnectorStatusPending || aws.ToInt32(d.SftpConfig.MaxConcurrentConnections) != 5 || len(d.SftpConfig.TrustedHostKeys) != 1 ||
		aws.ToString(d.SftpConfig.UserSecretId) != testSecretARN || d.IpAddressType != types.ConnectorsIpAddressTypeDualstack ||
		aws.ToString(d.SecurityPolicyName) != "TransferSFTPConnectorSecurityPolicy-2023-07" {
		t.Errorf("after UpdateConnector: %+v %+v", d, d.SftpConfig)
	}

	_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: d.Arn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	mustNoErr(t, err, "TagResource on a connector")
	_, err = c.UntagResource(ctx, &transfer.UntagResourceInput{Arn: d.Arn, TagKeys: []string{"team"}})
	mustNoErr(t, err, "UntagResource on a connector")
	tags, err := c.ListTagsForResource(ctx, &transfer.ListTagsForResourceInput{Arn: d.Arn})
	mustNoErr(t, err, "ListTagsForResource on a connector")
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("tags = %+v", tags.Tags)
	}

	ids := []string{id, createConnector(t, c, sftpConnector("sftp://b.example.com", nil)), createConnector(t, c, sftpConnector("sftp://c.example.com:2222", nil))}
	slices.Sort(ids)
	var listed []string
	var next *string
	for {
		page, err := c.ListConnectors(ctx, &transfer.ListConnectorsInput{MaxResults: aws.Int32(2), NextToken: next})
		mustNoErr(t, err, "ListConnectors")
		for _, l := range page.Connectors {
			listed = append(listed, aws.ToString(l.ConnectorId))
			if l.Url == nil || l.Arn == nil {
				t.Errorf("listed connector without Url or Arn: %+v", l)
			}
		}
		if next = page.NextToken; next == nil {
			break
		}
	}
	if !slices.Equal(listed, ids) {
		t.Errorf("ListConnectors = %v, want %v", listed, ids)
	}

	_, err = c.DeleteConnector(ctx, &transfer.DeleteConnectorInput{ConnectorId: aws.String(id)})
	mustNoErr(t, err, "DeleteConnector")
	_, err = c.DescribeConnector(ctx, &transfer.DescribeConnectorInput{ConnectorId: aws.String(id)})
	var nf *types.ResourceNotFoundException
	if wantAPIError(t, err, "ResourceNotFoundException", "Unknown connector"); !errors.As(err, &nf) || aws.ToString(nf.ResourceType) != "Connector" {
		t.Errorf("DescribeConnector of a deleted connector: %v", err)
	}
}

func TestConnectorRules(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	_, ecKey := newECDSAKey(t)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	edKey, _ := ssh.NewPublicKey(edPub)
	lattice := &types.ConnectorEgressConfigMemberVpcLattice{Value: types.ConnectorVpcLatticeEgressConfig{ResourceConfigurationArn: aws.String(testRcfgARN)}}
	with := func(in *transfer.CreateConnectorInput, f func(*transfer.CreateConnectorInput)) *transfer.CreateConnectorInput {
		f(in)
		return in
	}
	for _, tc := range []struct {
		name      string
		in        *transfer.CreateConnectorInput
		fragments []string
	}{
		{"no configuration", &transfer.CreateConnectorInput{Url: aws.String("sftp://p"), AccessRole: aws.String(testConnectorRole)}, []string{"exactly one configuration object"}},
		{"both configurations", with(sftpConnector("sftp://p", nil), func(in *transfer.CreateConnectorInput) { in.As2Config = &types.As2ConnectorConfig{} }), []string{"exactly one configuration object"}},
		{"empty secret", with(sftpConnector("sftp://p", nil), func(in *transfer.CreateConnectorInput) { in.SftpConfig.UserSecretId = aws.String("") }), []string{"'sftpConfig.userSecretId'"}},
		{"no secret", with(sftpConnector("sftp://p", nil), func(in *transfer.CreateConnectorInput) { in.SftpConfig.UserSecretId = nil }), []string{"UserSecretId is required"}},
		{"secret by name", sftpConnector("sftp://p", &types.SftpConnectorConfig{UserSecretId: aws.String("partner")}), []string{"not the ARN"}},
		{"http URL", sftpConnector("http://p", nil), []string{"sftp://"}},
		{"no URL", with(sftpConnector("sftp://p", nil), func(in *transfer.CreateConnectorInput) { in.Url = nil }), []string{"Url is required"}},
		{"URL with VPC Lattice", with(sftpConnector("sftp://p", nil), func(in *transfer.CreateConnectorInput) { in.EgressConfig = lattice }), []string{"Url must be null"}},
		{"six connections", sftpConnector("sftp://p", &types.SftpConnectorConfig{MaxConcurrentConnections: aws.Int32(6)}), []string{"'sftpConfig.maxConcurrentConnections'", "less than or equal to 5"}},
		{"no connection", sftpConnector("sftp://p", &types.SftpConnectorConfig{MaxConcurrentConnections: aws.Int32(0)}), []string{"greater than or equal to 1"}},
		{"access role not a role", with(sftpConnector("sftp://p", nil), func(in *transfer.CreateConnectorInput) {
			in.AccessRole = aws.String("arn:aws:iam::111122223333:user/x")
		}), []string{"'accessRole'"}},
		{"unknown policy", with(sftpConnector("sftp://p", nil), func(in *transfer.CreateConnectorInput) {
			in.SecurityPolicyName = aws.String("TransferSFTPConnectorSecurityPolicy-1999-01")
		}), []string{"TransferSFTPConnectorSecurityPolicy-2024-03"}},
		{"ED25519 host key", sftpConnector("sftp://p", &types.SftpConnectorConfig{TrustedHostKeys: []string{strings.TrimSpace(string(ssh.MarshalAuthorizedKey(edKey)))}}), []string{"RSA and ECDSA"}},
		{"host key with a comment", sftpConnector("sftp://p", &types.SftpConnectorConfig{TrustedHostKeys: []string{ecKey + " me@host"}}), []string{"without a comment"}},
		{"host name for VPC Lattice", with(sftpConnector("", &types.SftpConnectorConfig{TrustedHostKeys: []string{"p " + ecKey}}), func(in *transfer.CreateConnectorInput) {
			in.Url, in.EgressConfig = nil, lattice
		}), []string{"without the host name"}},
		{"AS2 with egress", &transfer.CreateConnectorInput{AccessRole: aws.String(testConnectorRole), As2Config: &types.As2ConnectorConfig{}, EgressConfig: lattice}, []string{"SFTP connectors only"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateConnector(ctxT(t), tc.in)
			wantAPIError(t, err, "InvalidRequestException", tc.fragments...)
		})
	}
	if n := len(srv.Snapshot().Regions[testRegion].Connectors); n != 0 {
		t.Errorf("refused requests made %d connectors", n)
	}
}

func TestConnectorVpcLattice(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	_, key := newECDSAKey(t)
	id := createConnector(t, c, &transfer.CreateConnectorInput{AccessRole: aws.String(testConnectorRole),
		SftpConfig:   &types.SftpConnectorConfig{UserSecretId: aws.String(testSecretARN), TrustedHostKeys: []string{key}},
		EgressConfig: &types.ConnectorEgressConfigMemberVpcLattice{Value: types.ConnectorVpcLatticeEgressConfig{ResourceConfigurationArn: aws.String(testRcfgARN)}},
	})
	latticeOf := func(d *types.DescribedConnector) types.DescribedConnectorVpcLatticeEgressConfig {
		m, ok := d.EgressConfig.(*types.DescribedConnectorEgressConfigMemberVpcLattice)
		if !ok {
			t.Fatalf("EgressConfig = %#v, want VpcLattice", d.EgressConfig)
		}
		return m.Value
	}
	d := describeConnector(t, c, id)
	if l := latticeOf(d); d.EgressType != types.ConnectorEgressTypeVpcLattice || aws.ToString(l.ResourceConfigurationArn) != testRcfgARN || aws.ToInt32(l.PortNumber) != 22 ||
		d.Url != nil || len(d.ServiceManagedEgressIpAddresses) != 0 {
		t.Errorf("VPC Lattice connector: %+v, egress %+v", d, l)
	}
	_, err := c.UpdateConnector(ctx, &transfer.UpdateConnectorInput{ConnectorId: aws.String(id),
		EgressConfig: &types.UpdateConnectorEgressConfigMemberVpcLattice{Value: types.UpdateConnectorVpcLatticeEgressConfig{PortNumber: aws.Int32(2222)}}})
	mustNoErr(t, err, "UpdateConnector port")
	if l := latticeOf(describeConnector(t, c, id)); aws.ToInt32(l.PortNumber) != 2222 || aws.ToString(l.ResourceConfigurationArn) != testRcfgARN {
		t.Errorf("after the port update: %+v", l)
	}
	_, err = c.UpdateConnector(ctx, &transfer.UpdateConnectorInput{ConnectorId: aws.String(id), Url: aws.String("sftp://p")})
	wantAPIError(t, err, "InvalidRequestException", "Url must be null")

	managed := createConnector(t, c, sftpConnector("sftp://p", nil))
	_, err = c.UpdateConnector(ctx, &transfer.UpdateConnectorInput{ConnectorId: aws.String(managed),
		EgressConfig: &types.UpdateConnectorEgressConfigMemberVpcLattice{Value: types.UpdateConnectorVpcLatticeEgressConfig{ResourceConfigurationArn: aws.String(testRcfgARN)}}})
	wantAPIError(t, err, "InvalidRequestException", "egress type cannot change")
	if d := describeConnector(t, c, managed); d.EgressType != types.ConnectorEgressTypeServiceManaged || d.EgressConfig != nil {
		t.Errorf("a refused update changed the connector: %+v", d)
	}
}

func TestConnectorAS2(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	id := createConnector(t, c, &transfer.CreateConnectorInput{Url: aws.String("https://as2.example.com/as2"), AccessRole: aws.String(testConnectorRole),
		As2Config: &types.As2ConnectorConfig{LocalProfileId: aws.String("p-0123456789abcdef0"), PartnerProfileId: aws.String("p-0123456789abcdef1"),
			MessageSubject: aws.String("invoices"), Compression: types.CompressionEnumZlib, SigningAlgorithm: types.SigningAlgSha256}})
	_, err := c.UpdateConnector(ctx, &transfer.UpdateConnectorInput{ConnectorId: aws.String(id), As2Config: &types.As2ConnectorConfig{MdnResponse: types.MdnResponseSync}})
	mustNoErr(t, err, "UpdateConnector As2Config")
	d := describeConnector(t, c, id)
	a := d.As2Config
	if a == nil || aws.ToString(a.PartnerProfileId) != "p-0123456789abcdef1" || aws.ToString(a.MessageSubject) != "invoices" || a.Compression != types.CompressionEnumZlib ||
		a.MdnResponse != types.MdnResponseSync || d.SftpConfig != nil || d.SecurityPolicyName != nil || len(d.ServiceManagedEgressIpAddresses) != 3 {
		t.Errorf("AS2 connector: %+v, As2Config %+v", d, a)
	}
	_, err = c.UpdateConnector(ctx, &transfer.UpdateConnectorInput{ConnectorId: aws.String(id), SftpConfig: &types.SftpConnectorConfig{UserSecretId: aws.String(testSecretARN)}})
	wantAPIError(t, err, "InvalidRequestException", "AS2 connector")
}

// TestConnectorErrored: a failure injected into a connector's transition ends it ERRORED with the
// message; the next update clears it. Injected API faults reach the connector operations.
func TestConnectorErrored(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	id := createConnector(t, c, sftpConnector("sftp://p", nil))
	mustNoErr(t, srv.FailNextConnectorTransition(testRegion, id, "resource configuration not found"), "FailNextConnectorTransition")
	_, err := c.UpdateConnector(ctxT(t), &transfer.UpdateConnectorInput{ConnectorId: aws.String(id), Url: aws.String("sftp://q")})
	mustNoErr(t, err, "UpdateConnector")
	if d := describeConnector(t, c, id); d.Status != types.ConnectorStatusErrored || aws.ToString(d.ErrorMessage) != "resource configuration not found" {
		t.Errorf("Status %s, ErrorMessage %q; want ERRORED with the injected message", d.Status, aws.ToString(d.ErrorMessage))
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/_emulator/regions/us-east-1/connectors/"+id+"/fail-next-transition", bytes.NewReader([]byte(`{"errorMessage":"again"}`)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(t, err, "admin fail-next-transition")
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("admin fail-next-transition: %d", resp.StatusCode)
	}
	_, err = c.UpdateConnector(ctxT(t), &transfer.UpdateConnectorInput{ConnectorId: aws.String(id), Url: aws.String("sftp://r")})
	mustNoErr(t, err, "UpdateConnector")
	if d := describeConnector(t, c, id); aws.ToString(d.ErrorMessage) != "again" {
		t.Errorf("ErrorMessage %q after the admin endpoint's failure", aws.ToString(d.ErrorMessage))
	}
	_, err = c.UpdateConnector(ctxT(t), &transfer.UpdateConnectorInput{ConnectorId: aws.String(id), Url: aws.String("sftp://s")})
	mustNoErr(t, err, "UpdateConnector")
	if d := describeConnector(t, c, id); d.Status != types.ConnectorStatusActive || d.ErrorMessage != nil {
		t.Errorf("after a clean update: Status %s, ErrorMessage %v", d.Status, d.ErrorMessage)
	}

	mustNoErr(t, srv.FailNext("CreateConnector", 1, emulator.FailCommitThenError), "FailNext")
	_, err = c.CreateConnector(ctxT(t), sftpConnector("sftp://p", nil))
	wantAPIError(t, err, "InternalServiceError")
	if n := len(srv.Snapshot().Regions[testRegion].Connectors); n != 2 || srv.Calls().Outcome("CreateConnector", "InternalServiceError") != 1 {
		t.Errorf("after a commit-then-fail CreateConnector: %d connectors, calls %v", n, srv.Calls()["CreateConnector"])
	}
}
