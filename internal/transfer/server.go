package transfer

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// Server states, as DescribeServer reports them.
const (
	StateOnline      = string(types.StateOnline)
	StateOffline     = string(types.StateOffline)
	StateStarting    = string(types.StateStarting)
	StateStopping    = string(types.StateStopping)
	StateStartFailed = string(types.StateStartFailed)
	StateStopFailed  = string(types.StateStopFailed)
)

// DesiredServer is everything a server should be: the spec, the host key read from its Secret,
// and the bookkeeping tags.
type DesiredServer struct {
	Spec *v1alpha1.TransferServerSpec
	// HostKey is the host private key, empty when the spec names none.
	HostKey Sensitive
	// HostKeyFingerprint is the fingerprint of HostKey, compared with what AWS reports.
	HostKeyFingerprint string
	// OwnerTags are the bookkeeping tags (OwnerTags).
	OwnerTags map[string]string
	// Applied lists the clearable fields a successful pass applied (status.appliedFields); those
	// the spec no longer sets are cleared in AWS.
	Applied []string
	// WorkflowIDs holds the workflow ID of each TransferWorkflow that spec.workflowDetails names
	// by workflowRef, by name. The caller resolves every reference before planning.
	WorkflowIDs map[string]string
	// CreatedWithSpec is true when the server was created with this spec: CreateServer applied
	// every field it takes, so a field AWS does not report back is not sent again; Elastic IPs,
	// which CreateServer does not take, still are.
	CreatedWithSpec bool
}

// spec returns the spec with every workflowRef of workflowDetails replaced by the workflow ID it
// resolves to (WorkflowIDs), so that requests and comparisons see IDs only. A spec without
// references is returned as it is.
func (d DesiredServer) spec() *v1alpha1.TransferServerSpec {
	w := d.Spec.WorkflowDetails
	if w == nil {
		return d.Spec
	}
	resolve := func(ds []v1alpha1.WorkflowDetail) []v1alpha1.WorkflowDetail {
		if ds == nil {
			return nil
		}
		out := make([]v1alpha1.WorkflowDetail, 0, len(ds))
		for _, detail := range ds {
			if detail.WorkflowRef != nil {
				detail = v1alpha1.WorkflowDetail{WorkflowID: d.WorkflowIDs[detail.WorkflowRef.Name], ExecutionRole: detail.ExecutionRole}
			}
			out = append(out, detail)
		}
		return out
	}
	s := *d.Spec
	s.WorkflowDetails = &v1alpha1.WorkflowDetails{OnUpload: resolve(w.OnUpload), OnPartialUpload: resolve(w.OnPartialUpload)}
	return &s
}

// WorkflowRefs returns the names of the TransferWorkflows spec.workflowDetails references.
func WorkflowRefs(s *v1alpha1.TransferServerSpec) []string {
	if s.WorkflowDetails == nil {
		return nil
	}
	var names []string
	for _, d := range slices.Concat(s.WorkflowDetails.OnUpload, s.WorkflowDetails.OnPartialUpload) {
		if d.WorkflowRef != nil && !slices.Contains(names, d.WorkflowRef.Name) {
			names = append(names, d.WorkflowRef.Name)
		}
	}
	return names
}

// Server is a server as DescribeServer reported it.
type Server struct {
	ID                 string
	ARN                string
	State              string
	HostKeyFingerprint string
	UserCount          *int32
	Tags               map[string]string

	described types.DescribedServer
}

// Endpoint returns the server's own host name in region, serverId.server.transfer.REGION.SUFFIX,
// with the DNS suffix of the region's partition (amazonaws.com, amazonaws.com.cn in China, and so
// on). Terraform's aws_transfer_server computes its endpoint attribute the same way (its
// RegionalHostname of "serverId.server.transfer"). Clients of a PUBLIC server and of an
// internet-facing VPC server connect to it; ClientEndpoint says what clients of the others use.
func (s *Server) Endpoint(region string) string {
	return fmt.Sprintf("%s.server.transfer.%s.%s", s.ID, region, DNSSuffix(region))
}

// EndpointType is the endpoint type AWS reports, or PUBLIC, the type of a server AWS reports
// none for.
func (s *Server) EndpointType() string {
	return cmp.Or(string(s.described.EndpointType), defaultEndpointType)
}

// VpcEndpointID is the VPC endpoint AWS reports for the server: the one AWS created for a VPC
// server, or the one a VPC_ENDPOINT server names; "" for a PUBLIC server.
func (s *Server) VpcEndpointID() string {
	if d := s.described.EndpointDetails; d != nil && s.EndpointType() != defaultEndpointType {
		return aws.ToString(d.VpcEndpointId)
	}
	return ""
}

// InternetFacing reports whether the server is a VPC server with Elastic IPs, which makes its
// endpoint reachable from the internet (SDK EndpointDetails.AddressAllocationIds).
func (s *Server) InternetFacing() bool {
	d := s.described.EndpointDetails
	return s.EndpointType() == string(types.EndpointTypeVpc) && d != nil && len(d.AddressAllocationIds) > 0
}

// ClientEndpoint returns the host name clients of the server connect to in region: the server's
// own host name (Server.Endpoint) for a PUBLIC server and for an internet-facing VPC server, whose
// name resolves to its Elastic IPs; otherwise the first DNS name of its VPC endpoint, which EC2
// lists first as the endpoint's regional name. Before the endpoint is known (vpce nil or without
// DNS names), it is the server's own host name.
func ClientEndpoint(s *Server, region string, vpce *VpcEndpoint) string {
	if s.EndpointType() == defaultEndpointType || s.InternetFacing() || vpce == nil || len(vpce.DNSNames) == 0 {
		return s.Endpoint(region)
	}
	return vpce.DNSNames[0]
}

func serverFromDescribed(d *types.DescribedServer) *Server {
	return &Server{
		ID:                 aws.ToString(d.ServerId),
		ARN:                aws.ToString(d.Arn),
		State:              string(d.State),
		HostKeyFingerprint: aws.ToString(d.HostKeyFingerprint),
		UserCount:          d.UserCount,
		Tags:               tagsToMap(d.Tags),
		described:          *d,
	}
}

// createServerInput is the CreateServer request for d: the fields the spec sets (but Elastic
// IPs), the host key, and the spec's and bookkeeping tags. The custom hostname tags are left to
// the first pass after the create, which sets them with TagResource: the way every public
// example sets them on a server (Terraform's aws_transfer_tag, the CLI's tag-resource), while
// no source says CreateServer takes them.
func createServerInput(d DesiredServer) *transfer.CreateServerInput {
	s := d.spec()
	in := &transfer.CreateServerInput{
		Certificate:                   optString(s.Certificate),
		Domain:                        types.Domain(s.Domain),
		EndpointType:                  types.EndpointType(s.EndpointType),
		IdentityProviderType:          types.IdentityProviderType(s.IdentityProviderType),
		IpAddressType:                 types.IpAddressType(s.IPAddressType),
		LoggingRole:                   optString(s.LoggingRole),
		PostAuthenticationLoginBanner: optString(s.PostAuthenticationLoginBanner),
		PreAuthenticationLoginBanner:  optString(s.PreAuthenticationLoginBanner),
		SecurityPolicyName:            optString(s.SecurityPolicyName),
		Protocols:                     convertStrings[types.Protocol](s.Protocols),
		StructuredLogDestinations:     convertStrings[string](s.StructuredLogDestinations),
		Tags:                          tagsFromMap(mergeTags(s.Tags, d.OwnerTags)),
	}
	if d.HostKey != "" {
		in.HostKey = aws.String(string(d.HostKey))
	}
	if e := s.EndpointDetails; e != nil {
		// AWS takes Elastic IPs only in an UpdateServer while the server is OFFLINE; the first
		// pass after the create plans that.
		in.EndpointDetails = &types.EndpointDetails{
			VpcId:            optString(e.VpcID),
			SubnetIds:        e.SubnetIDs,
			SecurityGroupIds: convertStrings[string](e.SecurityGroupIDs),
			VpcEndpointId:    optString(e.VpcEndpointID),
		}
	}
	if s.IdentityProviderDetails != nil {
		in.IdentityProviderDetails = identityProviderDetails(s.IdentityProviderDetails)
	}
	if s.ProtocolDetails != nil {
		in.ProtocolDetails = protocolDetails(s.ProtocolDetails)
	}
	if s.S3StorageOptions != nil {
		in.S3StorageOptions = &types.S3StorageOptions{
			DirectoryListingOptimization: types.DirectoryListingOptimization(s.S3StorageOptions.DirectoryListingOptimization),
		}
	}
	if s.WorkflowDetails != nil {
		in.WorkflowDetails = workflowDetails(s.WorkflowDetails)
	}
	return in
}

// ServerPlan is what must be done to make a described server match a DesiredServer. Its field
// lists name spec paths, such as "endpointDetails.subnetIds"; the same list goes into logs,
// Events and condition messages.
type ServerPlan struct {
	// Changed lists every spec field that differs from AWS, sorted.
	Changed []string
	// Immutable lists fields that differ but that AWS cannot change.
	Immutable []string
	// Update holds the fields AWS changes on a running server.
	Update ServerUpdate
	// OfflineUpdate holds the fields AWS changes only while the server is OFFLINE. It is sent
	// after Update.
	OfflineUpdate ServerUpdate
	// Deferred is true when some change must wait for another pass: AWS takes Elastic IPs only
	// once the server's subnets are set, so new subnets go first and the Elastic IPs follow.
	Deferred bool
	// AddTags are tags to set; RemoveTags are tag keys to delete.
	AddTags    map[string]string
	RemoveTags []string
}

// fieldsAfterCreate are the spec fields CreateServer cannot take: the custom hostname tags, which
// every public example sets with TagResource on a server that exists (createServerInput), and
// Elastic IPs, which AWS takes only in an UpdateServer while the server is OFFLINE.
var fieldsAfterCreate = []string{"customHostname", "endpointDetails.addressAllocationIds"}

// AfterCreateOnly reports whether every field the plan changes is one CreateServer cannot take.
func (p ServerPlan) AfterCreateOnly() bool {
	return !slices.ContainsFunc(p.Changed, func(f string) bool { return !slices.Contains(fieldsAfterCreate, f) })
}

// InSync reports whether nothing needs doing.
func (p ServerPlan) InSync() bool {
	return len(p.Changed) == 0 && !p.Deferred
}

// ServerUpdate is one UpdateServer request and the spec fields it carries.
type ServerUpdate struct {
	Fields []string
	input  transfer.UpdateServerInput
}

// IsEmpty reports whether the update carries no field.
func (u ServerUpdate) IsEmpty() bool { return len(u.Fields) == 0 }

// Defaults AWS applies to server fields nobody set, and so the value of a field AWS does not
// report:
//   - SDK CreateServerInput: IdentityProviderType "The default value is SERVICE_MANAGED",
//     IpAddressType "The default value is IPV4".
//   - SDK ProtocolDetails: "PassiveIp=AUTO is assigned by default"; TlsSessionResumptionMode "is
//     set to ENFORCED by default"; As2Transports "Currently, only HTTP is supported".
//   - SDK S3StorageOptions.DirectoryListingOptimization: "If using the API or CLI, this is disabled
//     by default".
//   - SDK IdentityProviderDetails.SftpAuthenticationMethods: "PUBLIC_KEY_OR_PASSWORD ... This is
//     the default value".
//   - EndpointType PUBLIC, Protocols [SFTP] and SetStatOption DEFAULT are what AWS reports for a
//     server created with none of them (terraform-provider-aws TestAccTransferServer_basic).
//
// The security policy has a default too, but AWS says it "is subject to change", so a policy AWS
// does not report is not taken to be any particular one.
const (
	defaultEndpointType         = string(types.EndpointTypePublic)
	defaultProtocol             = string(types.ProtocolSftp)
	defaultIPAddressType        = string(types.IpAddressTypeIpv4)
	defaultIdentityProviderType = string(types.IdentityProviderTypeServiceManaged)
	defaultSftpAuthentication   = string(types.SftpAuthenticationMethodsPublicKeyOrPassword)
	defaultPassiveIP            = "AUTO"
	defaultTLSSessionResumption = string(types.TlsSessionResumptionModeEnforced)
	defaultSetStatOption        = string(types.SetStatOptionDefault)
	defaultAs2Transport         = string(types.As2TransportHttp)
	defaultDirectoryListing     = string(types.DirectoryListingOptimizationDisabled)
)

// comparer decides whether PlanServer sends a field the spec sets.
type comparer struct {
	// specChanged is true when the spec changed since it was last applied.
	specChanged bool
}

// differs reports whether a field must be sent: the spec sets it (set) and AWS reports a
// different value, or AWS did not report it (known false) and the spec has just changed.
func (c comparer) differs(set, known, equal bool) bool {
	if !set {
		return false
	}
	if !known {
		return c.specChanged
	}
	return !equal
}

// differsFromDefault is differs for a field that AWS gives a default when nobody sets it: a field
// AWS did not report holds that default, so a spec that asks for it (wantsDefault) is in sync.
func (c comparer) differsFromDefault(set, known, equal, wantsDefault bool) bool {
	if !known && wantsDefault {
		return false
	}
	return c.differs(set, known, equal)
}

// PlanServer compares a DesiredServer with the described server and returns what to send. It is
// pure. Only fields the spec sets are compared. Write-only fields are never compared with what
// AWS returns: the host key is compared by fingerprint, and security groups are sent only when
// the endpoint type becomes VPC (the only update in which AWS takes them). A field AWS did not
// report holds the default AWS documents for it, if any, so a spec asking for that default is in
// sync; otherwise it is taken as matching unless the spec changed since it was last applied
// (specChanged), so an endpoint that omits a field does not cause an update on every pass. A
// clearable field that d.Applied lists, that the spec no longer sets and that AWS still reports
// is cleared.
func PlanServer(d DesiredServer, observed *Server, specChanged bool) ServerPlan {
	s, o := d.spec(), &observed.described
	var p ServerPlan
	online := &p.Update
	offline := &p.OfflineUpdate
	c := comparer{specChanged: specChanged && !d.CreatedWithSpec}

	if s.Domain != "" && o.Domain != "" && string(o.Domain) != s.Domain {
		p.Immutable = append(p.Immutable, "domain")
	}
	wantProtocols := convertStrings[string](s.Protocols)
	if c.differsFromDefault(s.Protocols != nil, o.Protocols != nil, sameSet(wantProtocols, convertStrings[string](o.Protocols)),
		sameSet(wantProtocols, []string{defaultProtocol})) {
		online.add("protocols", func(in *transfer.UpdateServerInput) { in.Protocols = convertStrings[types.Protocol](s.Protocols) })
	}
	planEndpointDetails(s, o, c, comparer{specChanged: specChanged}, &p)

	if c.differsFromDefault(s.IPAddressType != "", o.IpAddressType != "", string(o.IpAddressType) == s.IPAddressType,
		s.IPAddressType == defaultIPAddressType) {
		offline.add("ipAddressType", func(in *transfer.UpdateServerInput) { in.IpAddressType = types.IpAddressType(s.IPAddressType) })
	}
	if c.differsFromDefault(s.IdentityProviderType != "", o.IdentityProviderType != "", string(o.IdentityProviderType) == s.IdentityProviderType,
		s.IdentityProviderType == defaultIdentityProviderType) {
		online.add("identityProviderType", func(in *transfer.UpdateServerInput) {
			in.IdentityProviderType = types.IdentityProviderType(s.IdentityProviderType)
		})
	}
	if ipd := s.IdentityProviderDetails; ipd != nil {
		for _, f := range identityProviderDetailFields(ipd, o.IdentityProviderDetails) {
			if c.differsFromDefault(f.set, f.known, f.equal, f.wantsDefault) {
				online.add("identityProviderDetails."+f.name, func(in *transfer.UpdateServerInput) {
					in.IdentityProviderDetails = identityProviderDetails(ipd)
				})
			}
		}
	}
	if c.differs(d.HostKeyFingerprint != "", o.HostKeyFingerprint != nil, aws.ToString(o.HostKeyFingerprint) == d.HostKeyFingerprint) {
		online.add("hostKeySecretRef", func(in *transfer.UpdateServerInput) { in.HostKey = aws.String(string(d.HostKey)) })
	}
	for _, f := range []struct {
		name     string
		want     string
		got      *string
		setInput func(in *transfer.UpdateServerInput, v *string)
	}{
		{"certificate", s.Certificate, o.Certificate, func(in *transfer.UpdateServerInput, v *string) { in.Certificate = v }},
		{"loggingRole", s.LoggingRole, o.LoggingRole, func(in *transfer.UpdateServerInput, v *string) { in.LoggingRole = v }},
		{"securityPolicyName", s.SecurityPolicyName, o.SecurityPolicyName, func(in *transfer.UpdateServerInput, v *string) { in.SecurityPolicyName = v }},
		{"preAuthenticationLoginBanner", s.PreAuthenticationLoginBanner, o.PreAuthenticationLoginBanner, func(in *transfer.UpdateServerInput, v *string) { in.PreAuthenticationLoginBanner = v }},
		{"postAuthenticationLoginBanner", s.PostAuthenticationLoginBanner, o.PostAuthenticationLoginBanner, func(in *transfer.UpdateServerInput, v *string) { in.PostAuthenticationLoginBanner = v }},
	} {
		if c.differs(f.want != "", f.got != nil, aws.ToString(f.got) == f.want) {
			online.add(f.name, func(in *transfer.UpdateServerInput) { f.setInput(in, aws.String(f.want)) })
		}
	}
	// A server has no structured log destinations unless they are set; AWS then reports none.
	if c.differsFromDefault(s.StructuredLogDestinations != nil, o.StructuredLogDestinations != nil,
		sameSet(convertStrings[string](s.StructuredLogDestinations), o.StructuredLogDestinations), len(s.StructuredLogDestinations) == 0) {
		online.add("structuredLogDestinations", func(in *transfer.UpdateServerInput) {
			in.StructuredLogDestinations = nonNil(convertStrings[string](s.StructuredLogDestinations))
		})
	}
	planProtocolDetails(s, o, c, &p)
	if so := s.S3StorageOptions; so != nil && so.DirectoryListingOptimization != "" {
		var got string
		if o.S3StorageOptions != nil {
			got = string(o.S3StorageOptions.DirectoryListingOptimization)
		}
		if c.differsFromDefault(true, got != "", got == so.DirectoryListingOptimization, so.DirectoryListingOptimization == defaultDirectoryListing) {
			online.add("s3StorageOptions.directoryListingOptimization", func(in *transfer.UpdateServerInput) {
				in.S3StorageOptions = &types.S3StorageOptions{DirectoryListingOptimization: types.DirectoryListingOptimization(so.DirectoryListingOptimization)}
			})
		}
	}
	planWorkflowDetails(s, o, c, &p)
	removedFields(clearableServerFields, d.Applied, s, o, online.add)

	p.AddTags, p.RemoveTags = DiffTags(s.Tags, d.OwnerTags, observed.Tags)
	if len(p.AddTags) > 0 || len(p.RemoveTags) > 0 {
		p.Changed = append(p.Changed, "tags")
	}
	if add, remove := DiffHostnameTags(hostnameTags(s.CustomHostname), observed.Tags); len(add) > 0 || len(remove) > 0 {
		p.Changed = append(p.Changed, "customHostname")
		maps.Copy(p.AddTags, add)
		p.RemoveTags = append(p.RemoveTags, remove...)
		slices.Sort(p.RemoveTags)
	}
	p.Changed = append(p.Changed, online.Fields...)
	p.Changed = append(p.Changed, offline.Fields...)
	p.Changed = append(p.Changed, p.Immutable...)
	slices.Sort(p.Changed)
	p.Changed = slices.Compact(p.Changed)
	return p
}

// planEndpointDetails plans the endpoint type and VPC settings in the order AWS demands:
//   - the endpoint type changes only while the server is OFFLINE, and that call is the only one
//     that takes security groups, and it may not carry Elastic IPs;
//   - subnets change only once the server has no Elastic IPs, so existing ones are removed first;
//   - Elastic IPs are set only while the server is OFFLINE, once its subnets are in place.
//
// A step that must wait for an earlier one sets Deferred; the next pass plans it again. eips
// compares the Elastic IPs, which CreateServer never takes (DesiredServer.CreatedWithSpec).
func planEndpointDetails(s *v1alpha1.TransferServerSpec, o *types.DescribedServer, c, eips comparer, p *ServerPlan) {
	typeChanges := c.differsFromDefault(s.EndpointType != "", o.EndpointType != "", string(o.EndpointType) == s.EndpointType,
		s.EndpointType == defaultEndpointType)
	e := s.EndpointDetails
	if e == nil {
		e = &v1alpha1.EndpointDetails{}
	}
	got := o.EndpointDetails
	known := got != nil
	if got == nil {
		got = &types.EndpointDetails{}
	}
	wantType := s.EndpointType
	if wantType == "" {
		wantType = string(o.EndpointType)
	}
	vpce := e.VpcEndpointID
	if wantType != string(types.EndpointTypeVpcEndpoint) {
		vpce = ""
	}
	var placement []string
	for _, f := range []struct {
		name         string
		set, equal   bool
		knownMembers bool
	}{
		{"endpointDetails.vpcId", e.VpcID != "", aws.ToString(got.VpcId) == e.VpcID, got.VpcId != nil},
		{"endpointDetails.subnetIds", e.SubnetIDs != nil, sameSet(e.SubnetIDs, got.SubnetIds), got.SubnetIds != nil},
		{"endpointDetails.vpcEndpointId", vpce != "", aws.ToString(got.VpcEndpointId) == vpce, got.VpcEndpointId != nil},
	} {
		if c.differs(f.set, known && f.knownMembers, f.equal) {
			placement = append(placement, f.name)
		}
	}
	// A server has no Elastic IPs unless they are set; an empty list in the spec asks for none.
	eipsDiffer := eips.differsFromDefault(e.AddressAllocationIDs != nil, known && got.AddressAllocationIds != nil,
		sameSet(e.AddressAllocationIDs, got.AddressAllocationIds), len(e.AddressAllocationIDs) == 0)
	deferEIPs := func() {
		if eipsDiffer {
			p.Deferred = true
			p.Changed = append(p.Changed, "endpointDetails.addressAllocationIds")
		}
	}
	placementDetails := func() *types.EndpointDetails {
		if s.EndpointDetails == nil {
			return nil
		}
		return &types.EndpointDetails{VpcId: optString(e.VpcID), SubnetIds: e.SubnetIDs, VpcEndpointId: optString(vpce)}
	}

	switch {
	case typeChanges:
		p.OfflineUpdate.add("endpointType", func(in *transfer.UpdateServerInput) {
			in.EndpointType = types.EndpointType(s.EndpointType)
			in.EndpointDetails = placementDetails()
			if s.EndpointType == string(types.EndpointTypeVpc) && in.EndpointDetails != nil {
				in.EndpointDetails.SecurityGroupIds = convertStrings[string](e.SecurityGroupIDs)
			}
		})
		p.OfflineUpdate.Fields = append(p.OfflineUpdate.Fields, placement...)
		deferEIPs()
	case slices.Contains(placement, "endpointDetails.subnetIds") && len(got.AddressAllocationIds) > 0:
		p.OfflineUpdate.add("endpointDetails.addressAllocationIds", func(in *transfer.UpdateServerInput) {
			in.EndpointDetails = &types.EndpointDetails{AddressAllocationIds: []string{}}
		})
		p.Deferred = true
		p.Changed = append(p.Changed, placement...)
	default:
		if len(placement) > 0 {
			p.Update.Fields = append(p.Update.Fields, placement...)
			p.Update.add("", func(in *transfer.UpdateServerInput) { in.EndpointDetails = placementDetails() })
		}
		subnetsPending := slices.Contains(placement, "endpointDetails.subnetIds") || len(got.SubnetIds) == 0 && len(e.SubnetIDs) > 0
		if subnetsPending {
			deferEIPs()
		} else if eipsDiffer {
			p.OfflineUpdate.add("endpointDetails.addressAllocationIds", func(in *transfer.UpdateServerInput) {
				in.EndpointDetails = &types.EndpointDetails{AddressAllocationIds: nonNil(e.AddressAllocationIDs)}
			})
		}
	}
}

// planProtocolDetails plans the protocol settings. A new passive IP takes effect only when the
// server restarts, so it goes in the offline update.
func planProtocolDetails(s *v1alpha1.TransferServerSpec, o *types.DescribedServer, c comparer, p *ServerPlan) {
	pd := s.ProtocolDetails
	if pd == nil {
		return
	}
	got := o.ProtocolDetails
	known := got != nil
	if got == nil {
		got = &types.ProtocolDetails{}
	}
	send := func(in *transfer.UpdateServerInput) { in.ProtocolDetails = protocolDetails(pd) }
	if c.differsFromDefault(pd.PassiveIP != "", known && got.PassiveIp != nil, aws.ToString(got.PassiveIp) == pd.PassiveIP,
		pd.PassiveIP == defaultPassiveIP) {
		p.OfflineUpdate.add("protocolDetails.passiveIp", send)
	}
	for _, f := range []struct {
		name                            string
		set, known, equal, wantsDefault bool
	}{
		{"protocolDetails.tlsSessionResumptionMode", pd.TLSSessionResumptionMode != "", got.TlsSessionResumptionMode != "",
			string(got.TlsSessionResumptionMode) == pd.TLSSessionResumptionMode, pd.TLSSessionResumptionMode == defaultTLSSessionResumption},
		{"protocolDetails.setStatOption", pd.SetStatOption != "", got.SetStatOption != "",
			string(got.SetStatOption) == pd.SetStatOption, pd.SetStatOption == defaultSetStatOption},
		{"protocolDetails.as2Transports", pd.As2Transports != nil, got.As2Transports != nil,
			sameSet(pd.As2Transports, convertStrings[string](got.As2Transports)), sameSet(pd.As2Transports, []string{defaultAs2Transport})},
	} {
		if c.differsFromDefault(f.set, known && f.known, f.equal, f.wantsDefault) {
			p.Update.add(f.name, send)
		}
	}
}

// planWorkflowDetails plans the upload workflows. An empty list in the spec removes the workflow.
func planWorkflowDetails(s *v1alpha1.TransferServerSpec, o *types.DescribedServer, c comparer, p *ServerPlan) {
	w := s.WorkflowDetails
	if w == nil {
		return
	}
	var gotUpload, gotPartial []types.WorkflowDetail
	if o.WorkflowDetails != nil {
		gotUpload, gotPartial = o.WorkflowDetails.OnUpload, o.WorkflowDetails.OnPartialUpload
	}
	send := func(in *transfer.UpdateServerInput) { in.WorkflowDetails = workflowDetails(w) }
	// AWS reports no WorkflowDetails at all for a server without workflows, so an absent list
	// is known to be empty.
	if c.differs(w.OnUpload != nil, true, sameWorkflows(w.OnUpload, gotUpload)) {
		p.Update.add("workflowDetails.onUpload", send)
	}
	if c.differs(w.OnPartialUpload != nil, true, sameWorkflows(w.OnPartialUpload, gotPartial)) {
		p.Update.add("workflowDetails.onPartialUpload", send)
	}
}

// add records field (unless empty) and applies set to the request.
func (u *ServerUpdate) add(field string, set func(*transfer.UpdateServerInput)) {
	if field != "" && !slices.Contains(u.Fields, field) {
		u.Fields = append(u.Fields, field)
	}
	set(&u.input)
}

// updateServerInput returns the UpdateServer request of u for the server id.
func (u ServerUpdate) updateServerInput(id string) *transfer.UpdateServerInput {
	in := u.input
	in.ServerId = aws.String(id)
	return &in
}

type identityProviderDetailField struct {
	name              string
	set, known, equal bool
	// wantsDefault is true when the spec asks for the value AWS gives the field by default.
	wantsDefault bool
}

func identityProviderDetailFields(want *v1alpha1.IdentityProviderDetails, got *types.IdentityProviderDetails) []identityProviderDetailField {
	known := got != nil
	if got == nil {
		got = &types.IdentityProviderDetails{}
	}
	str := func(name, w string, g *string) identityProviderDetailField {
		return identityProviderDetailField{name: name, set: w != "", known: known && g != nil, equal: aws.ToString(g) == w}
	}
	return []identityProviderDetailField{
		str("url", want.URL, got.Url),
		str("invocationRole", want.InvocationRole, got.InvocationRole),
		str("directoryId", want.DirectoryID, got.DirectoryId),
		str("function", want.Function, got.Function),
		{"sftpAuthenticationMethods", want.SftpAuthenticationMethods != "", known && got.SftpAuthenticationMethods != "",
			string(got.SftpAuthenticationMethods) == want.SftpAuthenticationMethods, want.SftpAuthenticationMethods == defaultSftpAuthentication},
	}
}

func identityProviderDetails(d *v1alpha1.IdentityProviderDetails) *types.IdentityProviderDetails {
	return &types.IdentityProviderDetails{
		Url:                       optString(d.URL),
		InvocationRole:            optString(d.InvocationRole),
		DirectoryId:               optString(d.DirectoryID),
		Function:                  optString(d.Function),
		SftpAuthenticationMethods: types.SftpAuthenticationMethods(d.SftpAuthenticationMethods),
	}
}

func protocolDetails(d *v1alpha1.ProtocolDetails) *types.ProtocolDetails {
	out := &types.ProtocolDetails{
		PassiveIp:                optString(d.PassiveIP),
		TlsSessionResumptionMode: types.TlsSessionResumptionMode(d.TLSSessionResumptionMode),
		SetStatOption:            types.SetStatOption(d.SetStatOption),
	}
	for _, t := range d.As2Transports {
		out.As2Transports = append(out.As2Transports, types.As2Transport(t))
	}
	return out
}

func workflowDetails(w *v1alpha1.WorkflowDetails) *types.WorkflowDetails {
	conv := func(ds []v1alpha1.WorkflowDetail) []types.WorkflowDetail {
		out := []types.WorkflowDetail{}
		for _, d := range ds {
			out = append(out, types.WorkflowDetail{WorkflowId: aws.String(d.WorkflowID), ExecutionRole: aws.String(d.ExecutionRole)})
		}
		return out
	}
	out := &types.WorkflowDetails{}
	if w.OnUpload != nil {
		out.OnUpload = conv(w.OnUpload)
	}
	if w.OnPartialUpload != nil {
		out.OnPartialUpload = conv(w.OnPartialUpload)
	}
	return out
}

func sameWorkflows(want []v1alpha1.WorkflowDetail, got []types.WorkflowDetail) bool {
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if aws.ToString(got[i].WorkflowId) != want[i].WorkflowID || aws.ToString(got[i].ExecutionRole) != want[i].ExecutionRole {
			return false
		}
	}
	return true
}

// convertStrings converts a list of one string kind to another: spec types to SDK enums and
// back. A nil list stays nil.
func convertStrings[To, From ~string](in []From) []To {
	var out []To
	for _, v := range in {
		out = append(out, To(v))
	}
	return out
}

// sameSet reports whether a and b hold the same strings, in any order and ignoring repeats.
func sameSet(a, b []string) bool {
	return sets.New(a...).Equal(sets.New(b...))
}

// optString returns nil for the empty string: an unset field is not sent.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// nonNil returns s, or an empty slice when s is nil, so that "clear the list" is sent as [].
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// hostnameTags returns the custom hostname tags of h, or nil when h is nil (unmanaged).
func hostnameTags(h *v1alpha1.CustomHostname) map[string]string {
	if h == nil {
		return nil
	}
	tags := map[string]string{TagCustomHostname: h.Hostname}
	if h.Route53HostedZoneID != "" {
		tags[TagRoute53HostedZoneID] = h.Route53HostedZoneID
	}
	return tags
}

func tagsToMap(ts []types.Tag) map[string]string {
	out := make(map[string]string, len(ts))
	for _, t := range ts {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

func tagsFromMap(m map[string]string) []types.Tag {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]types.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}
