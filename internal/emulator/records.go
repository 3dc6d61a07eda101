package emulator

import (
	"slices"
	"time"

	"golang.org/x/crypto/ssh"
)

// Server states, the State enum of the service model.
const (
	StateOffline     = "OFFLINE"
	StateOnline      = "ONLINE"
	StateStarting    = "STARTING"
	StateStopping    = "STOPPING"
	StateStartFailed = "START_FAILED"
	StateStopFailed  = "STOP_FAILED"
)

// Tag is a key-value pair on a server or user.
type Tag struct {
	Key   string
	Value string
}

// EndpointDetails is a server's VPC settings. SecurityGroupIds is stored but,
// as in AWS, never returned by DescribeServer.
type EndpointDetails struct {
	AddressAllocationIDs []string `json:"AddressAllocationIds,omitempty"`
	SubnetIDs            []string `json:"SubnetIds,omitempty"`
	VpcEndpointID        string   `json:"VpcEndpointId,omitempty"`
	VpcID                string   `json:"VpcId,omitempty"`
	SecurityGroupIDs     []string `json:"SecurityGroupIds,omitempty"`
}

// IdentityProviderDetails is how a server with a custom identity provider
// authenticates users.
type IdentityProviderDetails struct {
	URL                       string `json:"Url,omitempty"`
	InvocationRole            string `json:",omitempty"`
	DirectoryID               string `json:"DirectoryId,omitempty"`
	Function                  string `json:",omitempty"`
	SftpAuthenticationMethods string `json:",omitempty"`
}

// ProtocolDetails is a server's protocol settings.
type ProtocolDetails struct {
	PassiveIP                string   `json:"PassiveIp,omitempty"`
	TLSSessionResumptionMode string   `json:"TlsSessionResumptionMode,omitempty"`
	SetStatOption            string   `json:",omitempty"`
	As2Transports            []string `json:",omitempty"`
}

// WorkflowDetail attaches a workflow to a server event.
type WorkflowDetail struct {
	WorkflowID    string `json:"WorkflowId"`
	ExecutionRole string
}

// WorkflowDetails lists the workflows a server runs on uploads.
type WorkflowDetails struct {
	OnUpload        []WorkflowDetail `json:",omitempty"`
	OnPartialUpload []WorkflowDetail `json:",omitempty"`
}

func (w WorkflowDetails) empty() bool { return len(w.OnUpload) == 0 && len(w.OnPartialUpload) == 0 }

// S3StorageOptions is a server's S3 storage settings.
type S3StorageOptions struct {
	DirectoryListingOptimization string `json:",omitempty"`
}

// HostKey is one of a server's SSH host keys (SDK ListedHostKey,
// DescribedHostKey). The private key is kept only as an ssh.Signer, which
// neither JSON nor the admin API ever shows.
type HostKey struct {
	HostKeyID    string `json:"HostKeyId"`
	Arn          string
	Type         string
	Fingerprint  string
	Description  string `json:",omitempty"`
	DateImported time.Time
	Tags         []Tag `json:",omitempty"`

	// seq orders a server's host keys by import; ListHostKeys pages by it.
	seq    uint64
	signer ssh.Signer
}

// Signer returns the key an SSH server presents for this host key.
func (k HostKey) Signer() ssh.Signer { return k.signer }

// ServerRecord is everything the emulator stores about a server, including
// the write-only fields AWS never returns (EndpointDetails.SecurityGroupIDs;
// the host keys' private halves). HostKeys is in import order; its first
// entry is the key CreateServer and UpdateServer's HostKey set (see
// hostkeys.go).
type ServerRecord struct {
	ServerID                           string `json:"ServerId"`
	Arn                                string
	State                              string
	Domain                             string
	EndpointType                       string
	EndpointDetails                    EndpointDetails
	IdentityProviderType               string
	IdentityProviderDetails            IdentityProviderDetails
	Protocols                          []string
	ProtocolDetails                    ProtocolDetails
	Certificate                        string `json:",omitempty"`
	LoggingRole                        string `json:",omitempty"`
	SecurityPolicyName                 string
	PreAuthenticationLoginBanner       string    `json:",omitempty"`
	PostAuthenticationLoginBanner      string    `json:",omitempty"`
	HostKeys                           []HostKey `json:",omitempty"`
	IPAddressType                      string    `json:"IpAddressType"`
	StructuredLogDestinations          []string  `json:",omitempty"`
	WorkflowDetails                    WorkflowDetails
	S3StorageOptions                   S3StorageOptions
	As2ServiceManagedEgressIPAddresses []string `json:"As2ServiceManagedEgressIpAddresses,omitempty"`
	Tags                               []Tag    `json:",omitempty"`
}

func (r ServerRecord) clone() ServerRecord {
	c := r
	c.EndpointDetails.AddressAllocationIDs = slices.Clone(r.EndpointDetails.AddressAllocationIDs)
	c.EndpointDetails.SubnetIDs = slices.Clone(r.EndpointDetails.SubnetIDs)
	c.EndpointDetails.SecurityGroupIDs = slices.Clone(r.EndpointDetails.SecurityGroupIDs)
	c.Protocols = slices.Clone(r.Protocols)
	c.ProtocolDetails.As2Transports = slices.Clone(r.ProtocolDetails.As2Transports)
	c.StructuredLogDestinations = slices.Clone(r.StructuredLogDestinations)
	c.WorkflowDetails.OnUpload = slices.Clone(r.WorkflowDetails.OnUpload)
	c.WorkflowDetails.OnPartialUpload = slices.Clone(r.WorkflowDetails.OnPartialUpload)
	c.As2ServiceManagedEgressIPAddresses = slices.Clone(r.As2ServiceManagedEgressIPAddresses)
	c.Tags = slices.Clone(r.Tags)
	c.HostKeys = make([]HostKey, len(r.HostKeys))
	for i, k := range r.HostKeys {
		k.Tags = slices.Clone(k.Tags)
		c.HostKeys[i] = k
	}
	if len(r.HostKeys) == 0 {
		c.HostKeys = nil
	}
	return c
}

// HostKeyFingerprint is the fingerprint DescribeServer reports: that of the
// server's first host key, or "" when it has none.
func (r ServerRecord) HostKeyFingerprint() string {
	if len(r.HostKeys) == 0 {
		return ""
	}
	return r.HostKeys[0].Fingerprint
}

// HomeDirectoryMapEntry maps a logical path to a storage path.
type HomeDirectoryMapEntry struct {
	Entry  string
	Target string
	Type   string `json:",omitempty"`
}

// PosixProfile is the POSIX identity of an EFS user.
type PosixProfile struct {
	UID           int64   `json:"Uid"`
	GID           int64   `json:"Gid"`
	SecondaryGIDs []int64 `json:"SecondaryGids,omitempty"`
}

// SSHPublicKey is one public key of a user.
type SSHPublicKey struct {
	SSHPublicKeyID   string `json:"SshPublicKeyId"`
	SSHPublicKeyBody string `json:"SshPublicKeyBody"`
	DateImported     time.Time
}

// HomeSettings are what a user, or the members of a directory group given
// access, get on a server: a role, a home directory, a session policy and a
// POSIX identity.
type HomeSettings struct {
	HomeDirectory         string                  `json:",omitempty"`
	HomeDirectoryType     string                  `json:",omitempty"`
	HomeDirectoryMappings []HomeDirectoryMapEntry `json:",omitempty"`
	Policy                string                  `json:",omitempty"`
	PosixProfile          *PosixProfile           `json:",omitempty"`
	Role                  string
}

func (h HomeSettings) clone() HomeSettings {
	c := h
	c.HomeDirectoryMappings = slices.Clone(h.HomeDirectoryMappings)
	if h.PosixProfile != nil {
		p := *h.PosixProfile
		p.SecondaryGIDs = slices.Clone(p.SecondaryGIDs)
		c.PosixProfile = &p
	}
	return c
}

// UserRecord is everything the emulator stores about a user.
type UserRecord struct {
	ServerID string `json:"ServerId"`
	UserName string
	Arn      string
	HomeSettings
	SSHPublicKeys []SSHPublicKey `json:"SshPublicKeys,omitempty"`
	Tags          []Tag          `json:",omitempty"`
}

func (UserRecord) family() family {
	return family{resourceType: resourceTypeUser, unknown: "Unknown user", exists: "User already exists"}
}

func (u UserRecord) clone() UserRecord {
	c := u
	c.HomeSettings = u.HomeSettings.clone()
	c.SSHPublicKeys = slices.Clone(u.SSHPublicKeys)
	c.Tags = slices.Clone(u.Tags)
	return c
}

// AccessRecord is everything the emulator stores about the access of a
// directory group to a server, which its ExternalId (the group's SID) names.
type AccessRecord struct {
	ServerID   string `json:"ServerId"`
	ExternalID string `json:"ExternalId"`
	HomeSettings
}

func (AccessRecord) family() family {
	return family{resourceType: resourceTypeAccess, unknown: "Unknown access", exists: "Access already exists"}
}

func (a AccessRecord) clone() AccessRecord {
	c := a
	c.HomeSettings = a.HomeSettings.clone()
	return c
}

// Snapshot is a copy of every resource the emulator holds, by region.
type Snapshot struct {
	Regions map[string]RegionSnapshot
}

// RegionSnapshot is the servers of one region, ordered by ServerID, its workflows, ordered by
// WorkflowID, its connectors, ordered by ConnectorID, the VPC endpoints and network interfaces of
// the EC2 side, ordered by ID, and its Secrets Manager secrets, ordered by name, without their
// values.
type RegionSnapshot struct {
	Servers           []ServerSnapshot
	Workflows         []WorkflowRecord         `json:",omitempty"`
	Connectors        []ConnectorRecord        `json:",omitempty"`
	Secrets           []SecretRecord           `json:",omitempty"`
	VpcEndpoints      []VpcEndpointRecord      `json:",omitempty"`
	NetworkInterfaces []NetworkInterfaceRecord `json:",omitempty"`
}

// VpcEndpoint returns the snapshot of a VPC endpoint, or false when region has
// no such endpoint.
func (s Snapshot) VpcEndpoint(region, id string) (VpcEndpointRecord, bool) {
	for _, ep := range s.Regions[region].VpcEndpoints {
		if ep.VpcEndpointID == id {
			return ep, true
		}
	}
	return VpcEndpointRecord{}, false
}

// ServerSnapshot is a server with its users, ordered by UserName, and its
// accesses, ordered by ExternalId.
type ServerSnapshot struct {
	ServerRecord
	Users    []UserRecord
	Accesses []AccessRecord `json:",omitempty"`
}

// Server returns the snapshot of a server, or false when region has no such
// server.
func (s Snapshot) Server(region, serverID string) (ServerSnapshot, bool) {
	for _, srv := range s.Regions[region].Servers {
		if srv.ServerID == serverID {
			return srv, true
		}
	}
	return ServerSnapshot{}, false
}

// Workflow returns the snapshot of a workflow, or false when region has no such workflow.
func (s Snapshot) Workflow(region, workflowID string) (WorkflowRecord, bool) {
	for _, w := range s.Regions[region].Workflows {
		if w.WorkflowID == workflowID {
			return w, true
		}
	}
	return WorkflowRecord{}, false
}

// Connector returns the snapshot of a connector, or false when region has no such connector.
func (s Snapshot) Connector(region, connectorID string) (ConnectorRecord, bool) {
	for _, c := range s.Regions[region].Connectors {
		if c.ConnectorID == connectorID {
			return c, true
		}
	}
	return ConnectorRecord{}, false
}

// User returns the snapshot of a user, or false when there is no such user.
func (s ServerSnapshot) User(userName string) (UserRecord, bool) {
	for _, u := range s.Users {
		if u.UserName == userName {
			return u, true
		}
	}
	return UserRecord{}, false
}

// Access returns the snapshot of the access of the group externalID, or false
// when there is no such access.
func (s ServerSnapshot) Access(externalID string) (AccessRecord, bool) {
	for _, a := range s.Accesses {
		if a.ExternalID == externalID {
			return a, true
		}
	}
	return AccessRecord{}, false
}
