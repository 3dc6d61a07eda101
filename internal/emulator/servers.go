package emulator

import (
	"fmt"
	"slices"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"golang.org/x/crypto/ssh"
)

// region holds the resources of one AWS region; regions never share
// resources.
type region struct {
	servers records[serverState]
	// endpoints and interfaces are the EC2 side: the VPC endpoints of VPC servers (and those
	// VPC_ENDPOINT servers name) and their network interfaces, by ID.
	endpoints  map[string]*vpcEndpointState
	interfaces map[string]*NetworkInterfaceRecord
	workflows  records[WorkflowRecord]
	// executions are the runs of the workflows on uploads (executions.go).
	executions executions
	// connectors are the region's SFTP and AS2 connectors (connectors.go).
	connectors records[ConnectorRecord]
	// fileTransfers are the StartFileTransfer runs of its connectors, by connector and transfer
	// ID (connector_dataplane.go).
	fileTransfers records[fileTransfer]
	// secrets are the region's Secrets Manager secrets by name (secretsmanager.go).
	secrets records[SecretRecord]
	// pgpKeys are the keys of DECRYPT steps by the name of the secret AWS reads them from (pgp.go).
	pgpKeys map[string]openpgp.EntityList
}

// serverState is a server, its users and its accesses.
type serverState struct {
	rec   ServerRecord
	users records[UserRecord]
	// accesses are the server's accesses by ExternalId.
	accesses records[AccessRecord]
	// transitionAt is when a STARTING or STOPPING state completes.
	transitionAt time.Time
	// failTransition makes the next transition end in START_FAILED or
	// STOP_FAILED.
	failTransition bool
	// hostKeySeq is the seq of the server's newest host key.
	hostKeySeq uint64
}

func (serverState) family() family {
	return family{resourceType: resourceTypeServer, unknown: "Unknown server"}
}

// regionLocked returns the resources of a region, creating them on first
// use; e.mu must be held.
func (e *Emulator) regionLocked(name string) *region {
	r := e.regions[name]
	if r == nil {
		r = &region{endpoints: map[string]*vpcEndpointState{}, interfaces: map[string]*NetworkInterfaceRecord{}}
		e.regions[name] = r
	}
	return r
}

// serverLocked returns a server with its state brought up to date, or
// ResourceNotFoundException; e.mu must be held.
func (e *Emulator) serverLocked(regionName, id string) (*serverState, error) {
	s, err := e.regionLocked(regionName).servers.get(id)
	if err != nil {
		return nil, err
	}
	e.settleLocked(s)
	return s, nil
}

// settleLocked completes a STARTING or STOPPING transition whose time has
// come. Transitions are evaluated lazily against the clock, so no timers run.
func (e *Emulator) settleLocked(s *serverState) {
	if s.rec.State != StateStarting && s.rec.State != StateStopping {
		return
	}
	if e.clock.Now().Before(s.transitionAt) {
		return
	}
	switch {
	case s.rec.State == StateStarting && s.failTransition:
		s.rec.State = StateStartFailed
	case s.rec.State == StateStarting:
		s.rec.State = StateOnline
	case s.failTransition:
		s.rec.State = StateStopFailed
	default:
		s.rec.State = StateOffline
	}
	s.failTransition = false
}

// beginTransitionLocked puts a server into STARTING or STOPPING for the
// emulator's transition delay.
func (e *Emulator) beginTransitionLocked(s *serverState, state string) {
	s.rec.State = state
	s.transitionAt = e.clock.Now().Add(e.delay)
}

// newServerRecord is a server as CreateServer makes it before applying the
// request: the defaults AWS documents for each field a request leaves out
// (sources in rules.go). The defaults that depend on the rest of the server
// (SftpAuthenticationMethods, As2Transports) are filled in once the request
// is applied.
func newServerRecord() ServerRecord {
	return ServerRecord{
		Domain:               domainS3,
		EndpointType:         defaultEndpointType,
		IdentityProviderType: idpServiceManaged,
		Protocols:            []string{protocolSFTP},
		ProtocolDetails: ProtocolDetails{
			PassiveIP:                defaultPassiveIP,
			TLSSessionResumptionMode: defaultTLSResumption,
			SetStatOption:            defaultSetStatOption,
		},
		SecurityPolicyName: defaultSecurityPolicy,
		IPAddressType:      ipv4,
		S3StorageOptions:   S3StorageOptions{DirectoryListingOptimization: defaultDirectoryListing},
	}
}

// applyServerSettings applies the members of a CreateServer or UpdateServer
// request to rec and checks the result with the cross-field rules. Changing
// the endpoint type starts the endpoint details afresh; changing the
// identity provider type replaces its details; other structures are merged
// member by member and lists are replaced.
func applyServerSettings(rec *ServerRecord, in *serverSettingsInput) error {
	oldType := rec.EndpointType
	if in.EndpointType != nil && *in.EndpointType != rec.EndpointType {
		rec.EndpointType = *in.EndpointType
		rec.EndpointDetails = EndpointDetails{}
	}
	currentVpce := ""
	if oldType == endpointVPC && rec.EndpointType == endpointVPC {
		currentVpce = rec.EndpointDetails.VpcEndpointID
	}
	if err := checkEndpointMembers(rec.EndpointType, in.EndpointDetails, currentVpce); err != nil {
		return err
	}
	if d := in.EndpointDetails; d != nil {
		setString(&rec.EndpointDetails.VpcID, d.VpcID)
		setList(&rec.EndpointDetails.SubnetIDs, d.SubnetIDs)
		setList(&rec.EndpointDetails.AddressAllocationIDs, d.AddressAllocationIDs)
		setList(&rec.EndpointDetails.SecurityGroupIDs, d.SecurityGroupIDs)
		if rec.EndpointType == endpointVPCEndpoint {
			setString(&rec.EndpointDetails.VpcEndpointID, d.VpcEndpointID)
		}
	}

	if in.IdentityProviderType != nil && *in.IdentityProviderType != rec.IdentityProviderType {
		rec.IdentityProviderType = *in.IdentityProviderType
		rec.IdentityProviderDetails = IdentityProviderDetails{}
	}
	if d := in.IdentityProviderDetails; d != nil {
		setString(&rec.IdentityProviderDetails.URL, d.URL)
		setString(&rec.IdentityProviderDetails.InvocationRole, d.InvocationRole)
		setString(&rec.IdentityProviderDetails.DirectoryID, d.DirectoryID)
		setString(&rec.IdentityProviderDetails.Function, d.Function)
		setString(&rec.IdentityProviderDetails.SftpAuthenticationMethods, d.SftpAuthenticationMethods)
	}
	setList(&rec.Protocols, in.Protocols)
	if (rec.IdentityProviderType == idpAPIGateway || rec.IdentityProviderType == idpLambda) &&
		slices.Contains(rec.Protocols, protocolSFTP) && rec.IdentityProviderDetails.SftpAuthenticationMethods == "" {
		rec.IdentityProviderDetails.SftpAuthenticationMethods = defaultSftpAuthMethods
	}
	if d := in.ProtocolDetails; d != nil {
		setString(&rec.ProtocolDetails.PassiveIP, d.PassiveIP)
		setString(&rec.ProtocolDetails.TLSSessionResumptionMode, d.TLSSessionResumptionMode)
		setString(&rec.ProtocolDetails.SetStatOption, d.SetStatOption)
		setList(&rec.ProtocolDetails.As2Transports, d.As2Transports)
	}
	setString(&rec.Certificate, in.Certificate)
	setString(&rec.LoggingRole, in.LoggingRole)
	setString(&rec.PreAuthenticationLoginBanner, in.PreAuthenticationLoginBanner)
	setString(&rec.PostAuthenticationLoginBanner, in.PostAuthenticationLoginBanner)
	setString(&rec.SecurityPolicyName, in.SecurityPolicyName)
	setString(&rec.IPAddressType, in.IPAddressType)
	setList(&rec.StructuredLogDestinations, in.StructuredLogDestinations)
	if in.S3StorageOptions != nil {
		setString(&rec.S3StorageOptions.DirectoryListingOptimization, in.S3StorageOptions.DirectoryListingOptimization)
	}
	if in.WorkflowDetails != nil {
		rec.WorkflowDetails = WorkflowDetails{
			OnUpload:        slices.Clone(in.WorkflowDetails.OnUpload),
			OnPartialUpload: slices.Clone(in.WorkflowDetails.OnPartialUpload),
		}
	}
	if err := checkSftpAuthenticationMethods(rec, in.IdentityProviderDetails); err != nil {
		return err
	}
	return checkServerConfig(rec)
}

// completeServerLocked fills in what the service assigns itself: the VPC
// endpoint of a VPC server (DescribeServer returns its VpcEndpointId; SDK
// EndpointDetails.SecurityGroupIds: "use the EC2 DescribeVpcEndpoints API
// with the VpcEndpointId returned in the response") and the AS2 egress
// addresses (SDK DescribedServer.As2ServiceManagedEgressIpAddresses: "assigned
// automatically when you create an AS2 server ... if you update an existing
// server and add the AS2 protocol, static IP addresses are assigned as
// well") and the transport of AS2 messages (SDK ProtocolDetails.As2Transports:
// "Currently, only HTTP is supported"; an SFTP server reports none, see
// rules.go); e.mu must be held.
func (e *Emulator) completeServerLocked(rec *ServerRecord) {
	if rec.EndpointType == endpointVPC && rec.EndpointDetails.VpcEndpointID == "" {
		rec.EndpointDetails.VpcEndpointID = "vpce-" + e.randomHex(17)
	}
	if slices.Contains(rec.Protocols, protocolAS2) && len(rec.ProtocolDetails.As2Transports) == 0 {
		rec.ProtocolDetails.As2Transports = []string{defaultAs2Transport}
	}
	if slices.Contains(rec.Protocols, protocolAS2) && len(rec.As2ServiceManagedEgressIPAddresses) == 0 {
		for range 2 {
			rec.As2ServiceManagedEgressIPAddresses = append(rec.As2ServiceManagedEgressIPAddresses,
				fmt.Sprintf("198.51.100.%d", 1+e.rng.IntN(254)))
		}
	}
}

func (e *Emulator) createServer(regionName string, in *createServerInput) (any, error) {
	rec := newServerRecord()
	setString(&rec.Domain, in.Domain)
	// SDK EndpointDetails.AddressAllocationIds: "Call the UpdateServer API
	// to set or change this parameter"; terraform: "AddressAllocationIds
	// cannot be set in CreateServer".
	if d := in.EndpointDetails; d != nil && len(d.AddressAllocationIDs) > 0 {
		return nil, errInvalidRequest("EndpointDetails.AddressAllocationIds cannot be set in CreateServer; set them with UpdateServer while the server is OFFLINE")
	}
	if err := applyServerSettings(&rec, &in.serverSettingsInput); err != nil {
		return nil, err
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	rec.Tags = tags
	var hostKey ssh.Signer
	if in.HostKey != nil && *in.HostKey != "" {
		if hostKey, err = parseHostKey(*in.HostKey, "HostKey"); err != nil {
			return nil, err
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.regionLocked(regionName)
	id := r.servers.newID(e, "s-")
	rec.ServerID = id
	rec.Arn = e.arn(regionName, "server/"+id)
	if hostKey == nil {
		hostKey = generatedHostKey(readSecret(e.secrets, 32))
	}
	e.completeServerLocked(&rec)
	e.syncEndpointLocked(regionName, nil, &rec)
	s := &serverState{rec: rec}
	s.rec.HostKeys = []HostKey{e.newHostKeyLocked(regionName, s, hostKey, "", nil)}
	e.beginTransitionLocked(s, StateStarting)
	r.servers.insert(id, s)
	e.dp.serverCreated(e.accountID, regionName, id)
	return serverIDOutput{ServerID: id}, nil
}

func (e *Emulator) updateServer(regionName string, in *updateServerInput) (any, error) {
	var hostKey ssh.Signer
	if in.HostKey != nil && *in.HostKey != "" {
		var err error
		if hostKey, err = parseHostKey(*in.HostKey, "HostKey"); err != nil {
			return nil, err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.serverLocked(regionName, in.ServerID)
	if err != nil {
		return nil, err
	}
	old := s.rec
	if old.State == StateStarting || old.State == StateStopping {
		return nil, errConflict("Server %s is %s; it can be updated once the state change has completed", old.ServerID, old.State)
	}
	if err := checkUpdateAgainstState(&old, &in.serverSettingsInput); err != nil {
		return nil, err
	}
	next := old.clone()
	if err := applyServerSettings(&next, &in.serverSettingsInput); err != nil {
		return nil, err
	}
	if hostKey != nil {
		keys, err := e.replaceFirstHostKeyLocked(regionName, s, next.HostKeys, hostKey)
		if err != nil {
			return nil, err
		}
		next.HostKeys = keys
	}
	e.completeServerLocked(&next)
	e.syncEndpointLocked(regionName, &old, &next)
	s.rec = next
	return serverIDOutput{ServerID: next.ServerID}, nil
}

// checkUpdateAgainstState applies the UpdateServer rules that depend on the
// server's current settings and state.
//   - SDK IpAddressType: "It cannot be changed while the server is online.
//     You must stop the server before modifying this parameter."
//   - terraform: "Server must be OFFLINE to change EndpointType".
//   - SDK EndpointDetails.AddressAllocationIds: "The Transfer Family server
//     must be offline"; "The server must already have SubnetIds populated
//     (SubnetIds and AddressAllocationIds cannot be updated simultaneously)";
//     terraform: "Server must be OFFLINE to change AddressAllocationIds",
//     "AddressAllocationIds must be removed before SubnetIds can be
//     modified", "Cannot specify AddressAllocationids when updating server
//     to EndpointType: VPC".
//   - SDK EndpointDetails.SecurityGroupIds: "You can edit the
//     SecurityGroupIds property in the UpdateServer API only if you are
//     changing the EndpointType from PUBLIC or VPC_ENDPOINT to VPC";
//     terraform: "Changing Security Group is not supported".
//   - terraform: "Changing VpcId is not supported".
func checkUpdateAgainstState(old *ServerRecord, in *serverSettingsInput) error {
	offline := old.State == StateOffline
	newType := old.EndpointType
	if in.EndpointType != nil {
		newType = *in.EndpointType
	}
	typeChanging := newType != old.EndpointType
	if typeChanging && !offline {
		return errInvalidRequest("Server must be OFFLINE to change EndpointType (server %s is %s)", old.ServerID, old.State)
	}
	if in.IPAddressType != nil && *in.IPAddressType != old.IPAddressType && !offline {
		return errInvalidRequest("Server must be OFFLINE to change IpAddressType (server %s is %s)", old.ServerID, old.State)
	}
	d := in.EndpointDetails
	if d == nil || newType != endpointVPC {
		return nil
	}
	if typeChanging {
		if len(d.AddressAllocationIDs) > 0 {
			return errInvalidRequest("Cannot specify EndpointDetails.AddressAllocationIds when updating server to EndpointType: VPC; set them in a later UpdateServer")
		}
		return nil
	}
	if d.VpcID != nil && *d.VpcID != "" && *d.VpcID != old.EndpointDetails.VpcID {
		return errInvalidRequest("Changing EndpointDetails.VpcId is not supported")
	}
	if len(d.SecurityGroupIDs) > 0 {
		return errInvalidRequest("Changing EndpointDetails.SecurityGroupIds is not supported: they can be set in UpdateServer only when changing EndpointType from PUBLIC or VPC_ENDPOINT to VPC; modify the VPC endpoint with EC2 instead")
	}
	subnetsChanging := d.SubnetIDs != nil && !sameSet(d.SubnetIDs, old.EndpointDetails.SubnetIDs)
	allocationsChanging := d.AddressAllocationIDs != nil && !sameSet(d.AddressAllocationIDs, old.EndpointDetails.AddressAllocationIDs)
	if subnetsChanging && len(old.EndpointDetails.AddressAllocationIDs) > 0 {
		return errInvalidRequest("EndpointDetails.AddressAllocationIds must be removed before SubnetIds can be modified")
	}
	if allocationsChanging {
		if !offline {
			return errInvalidRequest("Server must be OFFLINE to change EndpointDetails.AddressAllocationIds (server %s is %s)", old.ServerID, old.State)
		}
		if len(d.AddressAllocationIDs) > 0 && subnetsChanging {
			return errInvalidRequest("EndpointDetails.SubnetIds and AddressAllocationIds cannot be updated in the same call; the server must already have its SubnetIds")
		}
	}
	return nil
}

func (e *Emulator) describeServer(regionName string, in *serverIDInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.serverLocked(regionName, in.ServerID)
	if err != nil {
		return nil, err
	}
	return describeServerOutput{Server: describeServerLocked(s)}, nil
}

// describeServerLocked renders a server as DescribeServer returns it. Not
// returned: EndpointDetails for a PUBLIC server (SDK DescribeServer: "When you
// set EndpointType to VPC, the response will contain the EndpointDetails"),
// EndpointDetails.SecurityGroupIds ("this field is not populated in
// DescribeServer responses"), IdentityProviderDetails for SERVICE_MANAGED and
// AWS_DIRECTORY_SERVICE servers (SDK DescribedServer: "This field is not
// populated when the IdentityProviderType of a server is
// AWS_DIRECTORY_SERVICE or SERVICE_MANAGED") and the host key itself.
func describeServerLocked(s *serverState) describedServer {
	r := s.rec.clone()
	out := describedServer{
		Arn:                                r.Arn,
		As2ServiceManagedEgressIPAddresses: r.As2ServiceManagedEgressIPAddresses,
		Certificate:                        r.Certificate,
		Domain:                             r.Domain,
		EndpointType:                       r.EndpointType,
		HostKeyFingerprint:                 r.HostKeyFingerprint(),
		IdentityProviderType:               r.IdentityProviderType,
		IPAddressType:                      r.IPAddressType,
		LoggingRole:                        r.LoggingRole,
		PostAuthenticationLoginBanner:      r.PostAuthenticationLoginBanner,
		PreAuthenticationLoginBanner:       r.PreAuthenticationLoginBanner,
		ProtocolDetails:                    r.ProtocolDetails,
		Protocols:                          r.Protocols,
		S3StorageOptions:                   r.S3StorageOptions,
		SecurityPolicyName:                 r.SecurityPolicyName,
		ServerID:                           r.ServerID,
		State:                              r.State,
		StructuredLogDestinations:          r.StructuredLogDestinations,
		Tags:                               r.Tags,
		UserCount:                          s.users.len(),
	}
	if r.EndpointType == endpointVPC || r.EndpointType == endpointVPCEndpoint {
		d := r.EndpointDetails
		d.SecurityGroupIDs = nil
		out.EndpointDetails = &d
	}
	if r.IdentityProviderType == idpAPIGateway || r.IdentityProviderType == idpLambda {
		d := r.IdentityProviderDetails
		out.IdentityProviderDetails = &d
	}
	if !r.WorkflowDetails.empty() {
		w := r.WorkflowDetails
		out.WorkflowDetails = &w
	}
	return out
}

// deleteServer removes a server and its users, and the VPC endpoint AWS created
// for a VPC server. SDK DeleteServer states no precondition on the server's
// state or users.
func (e *Emulator) deleteServer(regionName string, in *serverIDInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.regionLocked(regionName).servers.delete(in.ServerID)
	if err != nil {
		return nil, err
	}
	e.syncEndpointLocked(regionName, &s.rec, nil)
	e.dp.serverDeleted(e.accountID, regionName, in.ServerID)
	return nil, nil
}

// startServer: SDK StartServer: "Changes the state of a file transfer
// protocol-enabled server from OFFLINE to ONLINE. It has no impact on a
// server that is already ONLINE." A server in START_FAILED may be started
// again. Any other state is an InvalidRequestException, the only modeled
// client error of StartServer that fits (ConflictException is not among its
// errors).
func (e *Emulator) startServer(regionName string, in *serverIDInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.serverLocked(regionName, in.ServerID)
	if err != nil {
		return nil, err
	}
	switch s.rec.State {
	case StateOffline, StateStartFailed:
		e.beginTransitionLocked(s, StateStarting)
	case StateOnline:
	default:
		return nil, errInvalidRequest("Server %s is %s; only an OFFLINE server can be started", s.rec.ServerID, s.rec.State)
	}
	return nil, nil
}

// stopServer: SDK StopServer: "Changes the state of a file transfer
// protocol-enabled server from ONLINE to OFFLINE." A server in STOP_FAILED
// may be stopped again; any other state is an InvalidRequestException (the
// model lists no ConflictException for StopServer).
func (e *Emulator) stopServer(regionName string, in *serverIDInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.serverLocked(regionName, in.ServerID)
	if err != nil {
		return nil, err
	}
	switch s.rec.State {
	case StateOnline, StateStopFailed:
		e.beginTransitionLocked(s, StateStopping)
	default:
		return nil, errInvalidRequest("Server %s is %s; only an ONLINE server can be stopped", s.rec.ServerID, s.rec.State)
	}
	return nil, nil
}

func (e *Emulator) listServers(regionName string, in *listInput) (any, error) {
	servers, next, err := list(e, *in, "ListServers", regionName, e.serversIn(regionName), func(s *serverState) listedServer {
		e.settleLocked(s)
		return listedServer{
			Arn:                  s.rec.Arn,
			Domain:               s.rec.Domain,
			EndpointType:         s.rec.EndpointType,
			IdentityProviderType: s.rec.IdentityProviderType,
			LoggingRole:          s.rec.LoggingRole,
			ServerID:             s.rec.ServerID,
			State:                s.rec.State,
			UserCount:            s.users.len(),
		}
	})
	if err != nil {
		return nil, err
	}
	return listServersOutput{Servers: servers, NextToken: next}, nil
}

// serversIn is the servers of a region.
func (e *Emulator) serversIn(regionName string) scope[serverState] {
	return func() (*records[serverState], error) { return &e.regionLocked(regionName).servers, nil }
}

func setString(dst *string, src *string) {
	if src != nil {
		*dst = *src
	}
}

// setList replaces dst when the request carries the list; an empty list
// clears it.
func setList[T any](dst *[]T, src []T) {
	if src == nil {
		return
	}
	if len(src) == 0 {
		*dst = nil
		return
	}
	*dst = slices.Clone(src)
}
