package emulator

import (
	"encoding/json"
	"maps"
	"net"
	"slices"
	"strings"
)

// Cross-field rules of the Transfer API that the model's shapes cannot
// express. Each rule quotes where it comes from: "SDK" is the doc comment in
// github.com/aws/aws-sdk-go-v2/service/transfer (api_op_*.go, types/types.go),
// which is the API reference text; "terraform" is an InvalidRequestException
// message of the real service quoted in terraform-provider-aws
// internal/service/transfer/server.go, where the doc comments are silent.

const (
	domainS3 = "S3"

	endpointPublic      = "PUBLIC"
	endpointVPC         = "VPC"
	endpointVPCEndpoint = "VPC_ENDPOINT"

	idpServiceManaged   = "SERVICE_MANAGED"
	idpAPIGateway       = "API_GATEWAY"
	idpDirectoryService = "AWS_DIRECTORY_SERVICE"
	idpLambda           = "AWS_LAMBDA"

	protocolSFTP = "SFTP"
	protocolFTP  = "FTP"
	protocolFTPS = "FTPS"
	protocolAS2  = "AS2"

	ipv4      = "IPV4"
	dualStack = "DUALSTACK"

	homeDirectoryPath    = "PATH"
	homeDirectoryLogical = "LOGICAL"

	// Defaults AWS applies to a field a request leaves out, and reports for it afterwards.
	//   - SDK CreateServerInput: Domain "The default value is S3", IdentityProviderType "The
	//     default value is SERVICE_MANAGED", IpAddressType "The default value is IPV4".
	//   - SDK ProtocolDetails: "If a TlsSessionResumptionMode value is not specified during
	//     CreateServer, it is set to ENFORCED by default"; "PassiveIp=AUTO is assigned by
	//     default to FTP and FTPS type servers". AWS reports AUTO, ENFORCED and DEFAULT for an SFTP
	//     server too, and no As2Transports (terraform TestAccTransferServer_basic, run against AWS:
	//     passive_ip "AUTO", set_stat_option "DEFAULT", tls_session_resumption_mode "ENFORCED",
	//     as2_transports.# 0). An AS2 server is given HTTP, "Currently, only HTTP is supported".
	//   - SDK S3StorageOptions: "If using the API or CLI, this is disabled by default".
	//   - SDK IdentityProviderDetails.SftpAuthenticationMethods: "PUBLIC_KEY_OR_PASSWORD ... This
	//     is the default value", for "SFTP-enabled servers, and for custom identity providers only".
	//   - Transfer Family user guide, "Security policies for AWS Transfer Family servers":
	//     "TransferSecurityPolicy-2024-01 is the default security policy attached to your server
	//     when creating a server using the console, API, or CLI" (the SDK is silent).
	//   - The endpoint type PUBLIC and the protocol SFTP: terraform's aws_transfer_server schema
	//     default and TestAccTransferServer_basic (endpoint_type "PUBLIC", protocols [SFTP]).
	//   - SDK HomeDirectoryMapEntry.Type: "By default, home directory mappings have a Type of
	//     DIRECTORY when you create a Transfer Family server."
	//   - HomeDirectoryType PATH: terraform's aws_transfer_user schema default (the SDK is silent).
	defaultEndpointType          = endpointPublic
	defaultSecurityPolicy        = "TransferSecurityPolicy-2024-01"
	defaultPassiveIP             = "AUTO"
	defaultTLSResumption         = "ENFORCED"
	defaultSetStatOption         = "DEFAULT"
	defaultAs2Transport          = "HTTP"
	defaultDirectoryListing      = "DISABLED"
	defaultSftpAuthMethods       = "PUBLIC_KEY_OR_PASSWORD"
	defaultHomeDirectoryType     = homeDirectoryPath
	defaultMapType               = "DIRECTORY"
	userNameVariable             = "${Transfer:UserName}"
	userNameVariableLowerVariant = "${transfer:UserName}"

	// maxSSHPublicKeysPerUser is the Transfer Family quota of SSH public keys
	// per service-managed user. The user guide ("Generate SSH keys for
	// service-managed users") defers to the service quotas; AWS's own
	// terraform-aws-transfer-family module (aws-ia, PR #69) raised its limit
	// "from 10 to 50 based on AWS Transfer Family capability". The model's
	// DescribedUser.SshPublicKeys max of 5 constrains an output, not inputs.
	maxSSHPublicKeysPerUser = 50
)

// checkEndpointMembers applies the per-member endpoint rules to the members
// given in a request, for a server whose endpoint type will be endpointType.
// currentVpce is the VPC endpoint the service created for a server that is
// already of type VPC.
//
// SDK EndpointDetails: SubnetIds, VpcId, SecurityGroupIds and
// AddressAllocationIds "can only be set when EndpointType is set to VPC";
// VpcEndpointId "can only be set when EndpointType is set to VPC_ENDPOINT".
// terraform: "VPC Endpoint ID unsupported for EndpointType: VPC" (an ID other
// than the server's own endpoint).
func checkEndpointMembers(endpointType string, d *endpointDetailsInput, currentVpce string) error {
	if d == nil {
		return nil
	}
	vpcOnly := map[string]bool{
		"EndpointDetails.VpcId":                d.VpcID != nil && *d.VpcID != "",
		"EndpointDetails.SubnetIds":            len(d.SubnetIDs) > 0,
		"EndpointDetails.AddressAllocationIds": len(d.AddressAllocationIDs) > 0,
		"EndpointDetails.SecurityGroupIds":     len(d.SecurityGroupIDs) > 0,
	}
	if endpointType != endpointVPC {
		for _, member := range slices.Sorted(maps.Keys(vpcOnly)) {
			if vpcOnly[member] {
				return errInvalidRequest("%s can only be set when EndpointType is VPC (EndpointType is %s)", member, endpointType)
			}
		}
	}
	vpce := ""
	if d.VpcEndpointID != nil {
		vpce = *d.VpcEndpointID
	}
	switch {
	case vpce == "":
	case endpointType == endpointVPC && vpce != currentVpce:
		return errInvalidRequest("VPC Endpoint ID unsupported for EndpointType: VPC (EndpointDetails.VpcEndpointId)")
	case endpointType == endpointPublic:
		return errInvalidRequest("EndpointDetails.VpcEndpointId can only be set when EndpointType is VPC_ENDPOINT (EndpointType is %s)", endpointType)
	}
	return nil
}

// checkServerConfig applies the rules that concern a server's settings as a
// whole; CreateServer and UpdateServer check the server as it would be after
// the call.
func checkServerConfig(s *ServerRecord) error {
	for _, rule := range []func(*ServerRecord) error{
		checkEndpointComplete,
		checkAddressAllocations,
		checkProtocols,
		checkIdentityProvider,
		checkPassiveIP,
	} {
		if err := rule(s); err != nil {
			return err
		}
	}
	return nil
}

// checkEndpointComplete: a VPC endpoint needs its VPC and subnets, a
// VPC_ENDPOINT endpoint its VPC endpoint ID. SDK EndpointDetails: VpcId is
// "The VPC identifier of the VPC in which a server's endpoint will be
// hosted", SubnetIds "A list of subnet IDs that are required to host your
// server endpoint in your VPC", VpcEndpointId "The identifier of the VPC
// endpoint" for EndpointType VPC_ENDPOINT.
func checkEndpointComplete(s *ServerRecord) error {
	d := s.EndpointDetails
	switch s.EndpointType {
	case endpointVPC:
		if d.VpcID == "" {
			return errInvalidRequest("EndpointDetails.VpcId is required when EndpointType is VPC")
		}
		if len(d.SubnetIDs) == 0 {
			return errInvalidRequest("EndpointDetails.SubnetIds is required when EndpointType is VPC")
		}
	case endpointVPCEndpoint:
		if d.VpcEndpointID == "" {
			return errInvalidRequest("EndpointDetails.VpcEndpointId is required when EndpointType is VPC_ENDPOINT")
		}
	}
	return nil
}

// maxAddressAllocations is the number of Elastic IPs a server's endpoint takes.
const maxAddressAllocations = 3

// checkAddressAllocations: SDK EndpointDetails.AddressAllocationIds: "You
// cannot set this parameter for Transfer Family servers that use the FTP
// protocol"; "AddressAllocationIds can't contain duplicates, and must be
// equal in length to SubnetIds"; "You can't set address allocation IDs for
// servers that have an IpAddressType set to DUALSTACK". SDK IpAddressType:
// "It cannot be updated to DUALSTACK if the server has AddressAllocationIds
// specified." SDK EndpointType: "directly associate up to three Elastic IPv4
// addresses (BYO IP included) with your server's endpoint".
func checkAddressAllocations(s *ServerRecord) error {
	ids := s.EndpointDetails.AddressAllocationIDs
	if len(ids) == 0 {
		return nil
	}
	if len(ids) > maxAddressAllocations {
		return errInvalidRequest("EndpointDetails.AddressAllocationIds has %d entries; a server takes at most %d Elastic IPs", len(ids), maxAddressAllocations)
	}
	if slices.Contains(s.Protocols, protocolFTP) {
		return errInvalidRequest("EndpointDetails.AddressAllocationIds cannot be set for a server whose Protocols include FTP")
	}
	if s.IPAddressType == dualStack {
		return errInvalidRequest("EndpointDetails.AddressAllocationIds cannot be set when IpAddressType is DUALSTACK")
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return errInvalidRequest("EndpointDetails.AddressAllocationIds contains %s more than once", id)
		}
		seen[id] = true
	}
	if len(ids) != len(s.EndpointDetails.SubnetIDs) {
		return errInvalidRequest("EndpointDetails.AddressAllocationIds has %d entries but SubnetIds has %d; they must be equal in length",
			len(ids), len(s.EndpointDetails.SubnetIDs))
	}
	return nil
}

// checkProtocols applies SDK CreateServerInput.Protocols:
//   - "If you select FTPS, you must choose a certificate stored in
//     Certificate Manager (ACM)"; Certificate: "Required when Protocols is
//     set to FTPS".
//   - "If Protocol includes either FTP or FTPS, then the EndpointType must be
//     VPC and the IdentityProviderType must be either AWS_DIRECTORY_SERVICE,
//     AWS_LAMBDA, or API_GATEWAY."
//   - "If Protocol includes AS2, then the EndpointType must be VPC, and
//     domain must be Amazon S3."
func checkProtocols(s *ServerRecord) error {
	has := func(p string) bool { return slices.Contains(s.Protocols, p) }
	if has(protocolFTPS) && s.Certificate == "" {
		return errInvalidRequest("Certificate is required when Protocols includes FTPS")
	}
	for _, p := range []string{protocolFTP, protocolFTPS} {
		if !has(p) {
			continue
		}
		if s.EndpointType != endpointVPC {
			return errInvalidRequest("Protocols includes %s, which requires EndpointType VPC (EndpointType is %s)", p, s.EndpointType)
		}
		if s.IdentityProviderType == idpServiceManaged {
			return errInvalidRequest("Protocols includes %s, which requires IdentityProviderType AWS_DIRECTORY_SERVICE, AWS_LAMBDA or API_GATEWAY (IdentityProviderType is SERVICE_MANAGED)", p)
		}
	}
	if has(protocolAS2) {
		if s.EndpointType != endpointVPC {
			return errInvalidRequest("Protocols includes AS2, which requires EndpointType VPC (EndpointType is %s)", s.EndpointType)
		}
		if s.Domain != domainS3 {
			return errInvalidRequest("Protocols includes AS2, which requires Domain S3 (Domain is %s)", s.Domain)
		}
	}
	return nil
}

// checkIdentityProvider applies SDK CreateServerInput.IdentityProviderDetails
// ("Required when IdentityProviderType is set to AWS_DIRECTORY_SERVICE,
// Amazon Web Services_LAMBDA or API_GATEWAY ... Cannot be specified when
// IdentityProviderType is set to SERVICE_MANAGED") and IdentityProviderType
// (AWS_DIRECTORY_SERVICE "requires you to provide a Directory ID", API_GATEWAY
// "requires you to provide an Amazon API Gateway endpoint URL", AWS_LAMBDA
// "you must specify the ARN for the Lambda function in the Function
// parameter"); InvocationRole "is only applicable if your IdentityProviderType
// is API_GATEWAY"; SftpAuthenticationMethods is "For SFTP-enabled servers,
// and for custom identity providers only". Members that belong to another
// identity provider type are rejected.
func checkIdentityProvider(s *ServerRecord) error {
	d := s.IdentityProviderDetails
	given := map[string]bool{
		"IdentityProviderDetails.Url":                       d.URL != "",
		"IdentityProviderDetails.InvocationRole":            d.InvocationRole != "",
		"IdentityProviderDetails.DirectoryId":               d.DirectoryID != "",
		"IdentityProviderDetails.Function":                  d.Function != "",
		"IdentityProviderDetails.SftpAuthenticationMethods": d.SftpAuthenticationMethods != "",
	}
	var required, allowed []string
	switch s.IdentityProviderType {
	case idpServiceManaged:
	case idpAPIGateway:
		required = []string{"IdentityProviderDetails.Url", "IdentityProviderDetails.InvocationRole"}
		allowed = append(slices.Clone(required), "IdentityProviderDetails.SftpAuthenticationMethods")
	case idpDirectoryService:
		required = []string{"IdentityProviderDetails.DirectoryId"}
		allowed = required
	case idpLambda:
		required = []string{"IdentityProviderDetails.Function"}
		allowed = append(slices.Clone(required), "IdentityProviderDetails.SftpAuthenticationMethods")
	}
	for _, member := range required {
		if !given[member] {
			return errInvalidRequest("%s is required when IdentityProviderType is %s", member, s.IdentityProviderType)
		}
	}
	for _, member := range slices.Sorted(maps.Keys(given)) {
		if given[member] && !slices.Contains(allowed, member) {
			return errInvalidRequest("%s cannot be specified when IdentityProviderType is %s", member, s.IdentityProviderType)
		}
	}
	return nil
}

// checkSftpAuthenticationMethods: SftpAuthenticationMethods is "For
// SFTP-enabled servers" (SDK IdentityProviderDetails). It is checked only
// when a request sets it: the default stays stored if SFTP is removed later.
func checkSftpAuthenticationMethods(s *ServerRecord, d *identityProviderDetailsInput) error {
	if d == nil || d.SftpAuthenticationMethods == nil || *d.SftpAuthenticationMethods == "" {
		return nil
	}
	if !slices.Contains(s.Protocols, protocolSFTP) {
		return errInvalidRequest("IdentityProviderDetails.SftpAuthenticationMethods can only be set for a server whose Protocols include SFTP")
	}
	return nil
}

// checkPassiveIP: SDK ProtocolDetails.PassiveIp: "Enter a single IPv4
// address"; "The AUTO and 0.0.0.0 are special values".
func checkPassiveIP(s *ServerRecord) error {
	p := s.ProtocolDetails.PassiveIP
	if p == "" || p == defaultPassiveIP {
		return nil
	}
	if ip := net.ParseIP(p); ip == nil || ip.To4() == nil || strings.Contains(p, ":") {
		return errInvalidRequest("ProtocolDetails.PassiveIp must be AUTO or a single IPv4 address, not %q", p)
	}
	return nil
}

// checkHomeDirectory applies SDK CreateUserInput.HomeDirectoryMappings
// ("This value can be set only when HomeDirectoryType is set to LOGICAL")
// and HomeDirectoryType ("If HomeDirectoryType is LOGICAL, you must provide
// mappings, using the HomeDirectoryMappings parameter"). mappingsGiven says
// whether the request itself carries mappings.
func checkHomeDirectory(u *HomeSettings, mappingsGiven bool) error {
	if mappingsGiven && u.HomeDirectoryType != homeDirectoryLogical {
		return errInvalidRequest("HomeDirectoryMappings can be set only when HomeDirectoryType is LOGICAL (HomeDirectoryType is %s)", u.HomeDirectoryType)
	}
	if u.HomeDirectoryType == homeDirectoryLogical && len(u.HomeDirectoryMappings) == 0 {
		return errInvalidRequest("HomeDirectoryMappings is required when HomeDirectoryType is LOGICAL")
	}
	return nil
}

// checkPolicy: SDK CreateUserInput.Policy: "Transfer Family stores the
// policy as a JSON blob ... You save the policy as a JSON blob and pass it in
// the Policy argument."
func checkPolicy(policy string) error {
	if policy != "" && !json.Valid([]byte(policy)) {
		return errInvalidRequest("Policy must be a JSON policy document")
	}
	return nil
}

// expandUserName stores mapping targets the way the service returns them:
// with ${Transfer:UserName} replaced by the user's name (observed behaviour,
// cloudposse/terraform-aws-transfer-sftp issue #20: "AWS returns this value
// with the variable expanded").
func expandUserName(mappings []HomeDirectoryMapEntry, userName string) []HomeDirectoryMapEntry {
	out := slices.Clone(mappings)
	for i := range out {
		t := strings.ReplaceAll(out[i].Target, userNameVariable, userName)
		out[i].Target = strings.ReplaceAll(t, userNameVariableLowerVariant, userName)
	}
	return out
}

// reservedTagKeys are the aws:-prefixed tag keys Transfer Family lets users
// set: the custom hostname tags the console writes (terraform
// aws_transfer_tag exists for them: "the tag key has the aws: prefix").
var reservedTagKeys = []string{"aws:transfer:customHostname", "aws:transfer:route53HostedZoneId"}

// maxTagsPerResource: the model's Tags shape allows 50 tags; AWS tagging
// rules do not count aws:-prefixed keys towards the limit.
const maxTagsPerResource = 50

// mergeTags returns existing with add applied (new keys appended, existing
// keys updated in place). A request may not repeat a key, may not use the
// reserved aws: prefix (AWS tagging rules: "The aws: prefix is reserved for
// use by AWS"), except for reservedTagKeys, and may not take the resource
// over 50 user tags.
func mergeTags(existing, add []Tag) ([]Tag, error) {
	out := slices.Clone(existing)
	seen := map[string]bool{}
	for _, t := range add {
		if seen[t.Key] {
			return nil, errInvalidRequest("Tags contains the key %q more than once", t.Key)
		}
		seen[t.Key] = true
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") && !slices.Contains(reservedTagKeys, t.Key) {
			return nil, errInvalidRequest("Tags: the key %q uses the reserved prefix aws:", t.Key)
		}
		if i := slices.IndexFunc(out, func(e Tag) bool { return e.Key == t.Key }); i >= 0 {
			out[i].Value = t.Value
		} else {
			out = append(out, t)
		}
	}
	user := 0
	for _, t := range out {
		if !strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			user++
		}
	}
	if user > maxTagsPerResource {
		return nil, errInvalidRequest("Tags: a resource can have at most %d tags; this request would give it %d", maxTagsPerResource, user)
	}
	return out, nil
}

// sameSet reports whether a and b hold the same strings, ignoring order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
