package transfer

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// DesiredConnector is everything an SFTP connector should be: the spec, the credentials secret
// it uses (spec.sftpConfig.userSecretId, or the one the operator keeps for it) and its
// bookkeeping tags.
type DesiredConnector struct {
	Spec *v1alpha1.TransferConnectorSpec
	// UserSecretID is the ARN of the Secrets Manager secret of the SFTP user's credentials.
	UserSecretID string
	// Applied lists the clearable fields a successful pass applied (status.appliedFields); those
	// the spec no longer sets are cleared in AWS.
	Applied   []string
	OwnerTags map[string]string
}

// Connector is a connector as DescribeConnector reported it.
type Connector struct {
	ID, ARN string
	// State is AWS's status: PENDING, ACTIVE or ERRORED (SDK ConnectorStatus).
	State        string
	ErrorMessage string
	EgressType   string
	// EgressIPs are the addresses the connector connects from (ServiceManagedEgressIpAddresses).
	EgressIPs []string
	Tags      map[string]string

	described *types.DescribedConnector
}

// Connector states, as DescribeConnector reports them (SDK ConnectorStatus: "PENDING indicates
// creation/update in progress, ACTIVE means ready for operations, and ERRORED indicates a failure
// requiring attention").
const (
	ConnectorPending = string(types.ConnectorStatusPending)
	ConnectorActive  = string(types.ConnectorStatusActive)
	ConnectorErrored = string(types.ConnectorStatusErrored)
)

// Defaults AWS applies to fields nobody set: MaxConcurrentConnections "The default value is 1"
// (SDK SftpConnectorConfig; the console's default of 5 is the console's), PortNumber "Defaults
// to 22 if not specified" (SDK ConnectorVpcLatticeEgressConfig).
const (
	defaultMaxConcurrentConnections = 1
	defaultLatticePort              = 22
)

// The clearable fields of a connector: removed from the spec after a pass applied them, they are
// set back to what AWS has when nobody sets them.
const (
	fieldLoggingRole              = "loggingRole"
	fieldTrustedHostKeys          = "sftpConfig.trustedHostKeys"
	fieldMaxConcurrentConnections = "sftpConfig.maxConcurrentConnections"
)

// AppliedConnectorFields returns the clearable fields s sets, in a fixed order: what a successful
// pass records in status.appliedFields.
func AppliedConnectorFields(s *v1alpha1.TransferConnectorSpec) []string {
	var out []string
	if s.LoggingRole != "" {
		out = append(out, fieldLoggingRole)
	}
	if c := s.SFTPConfig; c != nil {
		if len(c.TrustedHostKeys) > 0 {
			out = append(out, fieldTrustedHostKeys)
		}
		if c.MaxConcurrentConnections != nil {
			out = append(out, fieldMaxConcurrentConnections)
		}
	}
	return out
}

// ConnectorPlan is what must be done to make a described connector match a DesiredConnector.
type ConnectorPlan struct {
	// Changed lists every spec field that differs from AWS, sorted.
	Changed []string
	// Update is the UpdateConnector request, nil when nothing but tags differ.
	Update *transfer.UpdateConnectorInput
	// AddTags are tags to set; RemoveTags are tag keys to delete.
	AddTags    map[string]string
	RemoveTags []string
}

// InSync reports whether nothing needs doing.
func (p ConnectorPlan) InSync() bool {
	return len(p.Changed) == 0 && len(p.AddTags) == 0 && len(p.RemoveTags) == 0
}

// PlanConnector compares a DesiredConnector with the described connector. It is pure. A field
// the spec sets is compared with AWS; one it does not set is left alone, unless a pass applied it
// (d.Applied), when it is set back to AWS's default (loggingRole cleared, no trusted host keys,
// one connection). Trusted host keys compare as a set.
func PlanConnector(d DesiredConnector, observed *Connector) ConnectorPlan {
	s, o := d.Spec, observed.described
	in := &transfer.UpdateConnectorInput{ConnectorId: aws.String(observed.ID)}
	var changed []string
	differs := func(field string, set func()) {
		changed = append(changed, field)
		set()
	}
	if s.URL != "" && s.URL != aws.ToString(o.Url) {
		differs("url", func() { in.Url = aws.String(s.URL) })
	}
	if s.AccessRole != aws.ToString(o.AccessRole) {
		differs("accessRole", func() { in.AccessRole = aws.String(s.AccessRole) })
	}
	if wantsField(s.LoggingRole != "", fieldLoggingRole, d.Applied) && s.LoggingRole != aws.ToString(o.LoggingRole) {
		differs(fieldLoggingRole, func() { in.LoggingRole = aws.String(s.LoggingRole) })
	}
	if s.SecurityPolicyName != "" && s.SecurityPolicyName != aws.ToString(o.SecurityPolicyName) {
		differs("securityPolicyName", func() { in.SecurityPolicyName = aws.String(s.SecurityPolicyName) })
	}
	if s.IPAddressType != "" && s.IPAddressType != string(o.IpAddressType) {
		differs("ipAddressType", func() { in.IpAddressType = types.ConnectorsIpAddressType(s.IPAddressType) })
	}
	if want, ok := latticeEgress(s.EgressConfig); ok {
		got, _ := o.EgressConfig.(*types.DescribedConnectorEgressConfigMemberVpcLattice)
		if got == nil || aws.ToString(got.Value.ResourceConfigurationArn) != aws.ToString(want.ResourceConfigurationArn) ||
			aws.ToInt32(got.Value.PortNumber) != aws.ToInt32(want.PortNumber) {
			differs("egressConfig.vpcLattice", func() {
				in.EgressConfig = &types.UpdateConnectorEgressConfigMemberVpcLattice{Value: types.UpdateConnectorVpcLatticeEgressConfig{
					ResourceConfigurationArn: want.ResourceConfigurationArn, PortNumber: want.PortNumber,
				}}
			})
		}
	}
	if sftp, fields := planSFTPConfig(d, o.SftpConfig); len(fields) > 0 {
		changed = append(changed, fields...)
		in.SftpConfig = sftp
	}
	p := ConnectorPlan{Changed: changed}
	slices.Sort(p.Changed)
	if len(changed) > 0 {
		p.Update = in
	}
	p.AddTags, p.RemoveTags = DiffTags(s.Tags, d.OwnerTags, observed.Tags)
	return p
}

// planSFTPConfig returns the SftpConfig to send and the fields of it that differ. It carries
// the credentials secret and the fields the spec manages; what it leaves out AWS leaves as is.
func planSFTPConfig(d DesiredConnector, got *types.SftpConnectorConfig) (*types.SftpConnectorConfig, []string) {
	want := d.Spec.SFTPConfig
	if got == nil {
		got = &types.SftpConnectorConfig{}
	}
	out := &types.SftpConnectorConfig{UserSecretId: aws.String(d.UserSecretID)}
	var fields []string
	if d.UserSecretID != aws.ToString(got.UserSecretId) {
		fields = append(fields, "sftpConfig.userSecret")
	}
	if wantsField(len(want.TrustedHostKeys) > 0, fieldTrustedHostKeys, d.Applied) {
		out.TrustedHostKeys = nonNil(want.TrustedHostKeys)
		if !sameSet(want.TrustedHostKeys, got.TrustedHostKeys) {
			fields = append(fields, fieldTrustedHostKeys)
		}
	}
	if wantsField(want.MaxConcurrentConnections != nil, fieldMaxConcurrentConnections, d.Applied) {
		n := int32(defaultMaxConcurrentConnections)
		if want.MaxConcurrentConnections != nil {
			n = *want.MaxConcurrentConnections
		}
		out.MaxConcurrentConnections = aws.Int32(n)
		if n != connectionsOf(got) {
			fields = append(fields, fieldMaxConcurrentConnections)
		}
	}
	return out, fields
}

// wantsField reports whether a clearable field is managed: set in the spec, or applied by an
// earlier pass and now to be cleared.
func wantsField(set bool, field string, applied []string) bool {
	return set || slices.Contains(applied, field)
}

// connectionsOf returns the connections AWS makes, its default when it reports none.
func connectionsOf(c *types.SftpConnectorConfig) int32 {
	if c.MaxConcurrentConnections == nil {
		return defaultMaxConcurrentConnections
	}
	return *c.MaxConcurrentConnections
}

// latticeEgress returns the VPC Lattice egress e asks for, with its port's default filled in.
func latticeEgress(e *v1alpha1.ConnectorEgressConfig) (types.ConnectorVpcLatticeEgressConfig, bool) {
	if e == nil || e.VpcLattice == nil {
		return types.ConnectorVpcLatticeEgressConfig{}, false
	}
	port := int32(defaultLatticePort)
	if e.VpcLattice.PortNumber != nil {
		port = *e.VpcLattice.PortNumber
	}
	return types.ConnectorVpcLatticeEgressConfig{ResourceConfigurationArn: aws.String(e.VpcLattice.ResourceConfigurationARN), PortNumber: aws.Int32(port)}, true
}

func createConnectorInput(d DesiredConnector) *transfer.CreateConnectorInput {
	s := d.Spec
	in := &transfer.CreateConnectorInput{
		AccessRole:         aws.String(s.AccessRole),
		Url:                optString(s.URL),
		LoggingRole:        optString(s.LoggingRole),
		SecurityPolicyName: optString(s.SecurityPolicyName),
		IpAddressType:      types.ConnectorsIpAddressType(s.IPAddressType),
		SftpConfig: &types.SftpConnectorConfig{
			UserSecretId:             aws.String(d.UserSecretID),
			TrustedHostKeys:          s.SFTPConfig.TrustedHostKeys,
			MaxConcurrentConnections: s.SFTPConfig.MaxConcurrentConnections,
		},
		Tags: tagsFromMap(mergeTags(s.Tags, d.OwnerTags)),
	}
	if want, ok := latticeEgress(s.EgressConfig); ok {
		in.EgressConfig = &types.ConnectorEgressConfigMemberVpcLattice{Value: want}
	}
	return in
}

func connectorFromDescribed(d *types.DescribedConnector) *Connector {
	return &Connector{
		ID: aws.ToString(d.ConnectorId), ARN: aws.ToString(d.Arn),
		State: string(d.Status), ErrorMessage: aws.ToString(d.ErrorMessage), EgressType: string(d.EgressType),
		EgressIPs: d.ServiceManagedEgressIpAddresses,
		Tags:      tagsToMap(d.Tags),
		described: d,
	}
}

// DescribeConnector returns the connector with the given ID. A missing connector is an error
// for which IsNotFound is true.
func (s *Service) DescribeConnector(ctx context.Context, id string) (*Connector, error) {
	out, err := s.api.DescribeConnector(ctx, &transfer.DescribeConnectorInput{ConnectorId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("describing connector %s: %w", id, err)
	}
	if out.Connector == nil {
		return nil, fmt.Errorf("describing connector %s: the response holds no connector", id)
	}
	return connectorFromDescribed(out.Connector), nil
}

// CreateConnector creates the connector d describes, with its tags, and returns its ID. It is
// sent once, never retried by the SDK: CreateConnector is not idempotent. A lost response is
// recovered by looking the connector up by its ownership tag (ObserveConnector).
func (s *Service) CreateConnector(ctx context.Context, d DesiredConnector) (string, error) {
	out, err := s.api.CreateConnector(ctx, createConnectorInput(d), func(o *transfer.Options) {
		o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 1)
	})
	if err != nil {
		return "", fmt.Errorf("creating connector: %w", err)
	}
	return aws.ToString(out.ConnectorId), nil
}

// ApplyConnectorPlan sends the plan: UpdateConnector, then the tag changes.
func (s *Service) ApplyConnectorPlan(ctx context.Context, c *Connector, plan ConnectorPlan) error {
	if plan.Update != nil {
		if _, err := s.api.UpdateConnector(ctx, plan.Update); err != nil {
			return fmt.Errorf("updating connector %s: %w", c.ID, err)
		}
	}
	return s.SetTags(ctx, c.ARN, plan.AddTags, plan.RemoveTags)
}

// DeleteConnector deletes the connector id. A connector that is already gone counts as deleted.
func (s *Service) DeleteConnector(ctx context.Context, id string) error {
	_, err := s.api.DeleteConnector(ctx, &transfer.DeleteConnectorInput{ConnectorId: aws.String(id)})
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("deleting connector %s: %w", id, err)
	}
	return nil
}

// findConnectorByTag returns the ID of the first connector that carries the tag key=value, or ""
// when none does. It lists every connector and its tags: it is for the rare case in which the
// outcome of an earlier create is unknown.
func (s *Service) findConnectorByTag(ctx context.Context, key, value string) (string, error) {
	pages := transfer.NewListConnectorsPaginator(s.api, &transfer.ListConnectorsInput{MaxResults: aws.Int32(1000)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("listing connectors: %w", err)
		}
		for _, c := range page.Connectors {
			tags, err := s.listTags(ctx, aws.ToString(c.Arn))
			if IsNotFound(err) {
				continue
			}
			if err != nil {
				return "", err
			}
			if tags[key] == value {
				return aws.ToString(c.ConnectorId), nil
			}
		}
	}
	return "", nil
}

// ObserveConnector returns the connector rec names, or the one a lost create made.
func (s *Service) ObserveConnector(ctx context.Context, rec Recorded) (Observation[*Connector], error) {
	return observe(ctx, rec, s.DescribeConnector, func(ctx context.Context) (string, error) {
		return s.findConnectorByTag(ctx, TagOwnerUID, rec.OwnerUID)
	})
}

// DeleteRecordedConnector deletes the connector rec names (or a lost create made) unless another
// live object manages it. A connector that does not exist counts as deleted.
func (s *Service) DeleteRecordedConnector(ctx context.Context, rec Recorded, otherOwner OwnerCheck) (Deletion, error) {
	o, err := s.ObserveConnector(ctx, rec)
	return deleteObserved(ctx, o, err, func(c *Connector) map[string]string { return c.Tags }, otherOwner, s.DeleteConnector)
}

// ConnectionTest is what TestConnection answered.
type ConnectionTest struct {
	// OK says that the connector reached the partner and logged in.
	OK bool
	// Message is AWS's StatusMessage.
	Message string
	// HostKey is the key the partner presented, when AWS reports it.
	HostKey string
}

// TestConnection asks AWS to connect the connector to its partner and log in.
func (s *Service) TestConnection(ctx context.Context, id string) (ConnectionTest, error) {
	out, err := s.api.TestConnection(ctx, &transfer.TestConnectionInput{ConnectorId: aws.String(id)})
	if err != nil {
		return ConnectionTest{}, fmt.Errorf("testing connector %s: %w", id, err)
	}
	t := ConnectionTest{OK: aws.ToString(out.Status) == "OK", Message: aws.ToString(out.StatusMessage)}
	if out.SftpConnectionDetails != nil {
		t.HostKey = aws.ToString(out.SftpConnectionDetails.HostKey)
	}
	return t, nil
}
