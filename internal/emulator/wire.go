package emulator

import (
	"encoding/json"
	"time"

	smithytime "github.com/aws/smithy-go/time"
)

// Request and response documents, with the member names of the service
// model. In requests, pointers and nil slices mark absent members, so an
// update can tell "not given" from "set to empty".

type endpointDetailsInput struct {
	AddressAllocationIDs []string `json:"AddressAllocationIds"`
	SubnetIDs            []string `json:"SubnetIds"`
	VpcEndpointID        *string  `json:"VpcEndpointId"`
	VpcID                *string  `json:"VpcId"`
	SecurityGroupIDs     []string `json:"SecurityGroupIds"`
}

type identityProviderDetailsInput struct {
	URL                       *string `json:"Url"`
	InvocationRole            *string
	DirectoryID               *string `json:"DirectoryId"`
	Function                  *string
	SftpAuthenticationMethods *string
}

type protocolDetailsInput struct {
	PassiveIP                *string `json:"PassiveIp"`
	TLSSessionResumptionMode *string `json:"TlsSessionResumptionMode"`
	SetStatOption            *string
	As2Transports            []string
}

type s3StorageOptionsInput struct {
	DirectoryListingOptimization *string
}

// serverSettingsInput is what CreateServer and UpdateServer have in common.
type serverSettingsInput struct {
	Certificate                   *string
	EndpointDetails               *endpointDetailsInput
	EndpointType                  *string
	HostKey                       *string
	IdentityProviderDetails       *identityProviderDetailsInput
	IdentityProviderType          *string
	IPAddressType                 *string `json:"IpAddressType"`
	LoggingRole                   *string
	PostAuthenticationLoginBanner *string
	PreAuthenticationLoginBanner  *string
	Protocols                     []string
	ProtocolDetails               *protocolDetailsInput
	SecurityPolicyName            *string
	StructuredLogDestinations     []string
	S3StorageOptions              *s3StorageOptionsInput
	WorkflowDetails               *WorkflowDetails
}

type createServerInput struct {
	serverSettingsInput
	Domain *string
	Tags   []Tag
}

type updateServerInput struct {
	serverSettingsInput
	ServerID string `json:"ServerId"`
}

type serverIDInput struct {
	ServerID string `json:"ServerId"`
}

type listInput struct {
	MaxResults *int
	NextToken  *string
}

type listUsersInput struct {
	listInput
	ServerID string `json:"ServerId"`
}

// homeSettingsInput are the members of HomeSettings in a request; a member
// left out is left as it is.
type homeSettingsInput struct {
	HomeDirectory         *string
	HomeDirectoryType     *string
	HomeDirectoryMappings []HomeDirectoryMapEntry
	Policy                *string
	PosixProfile          *PosixProfile
	Role                  *string
}

type userSettingsInput struct {
	homeSettingsInput
	ServerID string `json:"ServerId"`
	UserName string
}

// accessSettingsInput is the body of CreateAccess and UpdateAccess.
type accessSettingsInput struct {
	homeSettingsInput
	ServerID   string `json:"ServerId"`
	ExternalID string `json:"ExternalId"`
}

// accessIDInput is the body of DescribeAccess and DeleteAccess.
type accessIDInput struct {
	ServerID   string `json:"ServerId"`
	ExternalID string `json:"ExternalId"`
}

type listAccessesInput struct {
	listInput
	ServerID string `json:"ServerId"`
}

type createUserInput struct {
	userSettingsInput
	SSHPublicKeyBody *string `json:"SshPublicKeyBody"`
	Tags             []Tag
}

type userIDInput struct {
	ServerID string `json:"ServerId"`
	UserName string
}

type importSSHPublicKeyInput struct {
	ServerID         string `json:"ServerId"`
	UserName         string
	SSHPublicKeyBody string `json:"SshPublicKeyBody"`
}

type deleteSSHPublicKeyInput struct {
	ServerID       string `json:"ServerId"`
	UserName       string
	SSHPublicKeyID string `json:"SshPublicKeyId"`
}

type importHostKeyInput struct {
	ServerID    string `json:"ServerId"`
	HostKeyBody string
	Description *string
	Tags        []Tag
}

type hostKeyIDInput struct {
	ServerID  string `json:"ServerId"`
	HostKeyID string `json:"HostKeyId"`
}

type updateHostKeyInput struct {
	hostKeyIDInput
	Description string
}

type hostKeyIDOutput struct {
	HostKeyID string `json:"HostKeyId"`
	ServerID  string `json:"ServerId"`
}

type listedHostKey struct {
	Arn          string
	DateImported epochSeconds
	Description  string `json:",omitempty"`
	Fingerprint  string
	HostKeyID    string `json:"HostKeyId"`
	Type         string
}

type listHostKeysOutput struct {
	HostKeys  []listedHostKey
	NextToken string `json:",omitempty"`
	ServerID  string `json:"ServerId"`
}

type describedHostKey struct {
	Arn                string
	DateImported       epochSeconds
	Description        string `json:",omitempty"`
	HostKeyFingerprint string
	HostKeyID          string `json:"HostKeyId"`
	Tags               []Tag  `json:",omitempty"`
	Type               string
}

type describeHostKeyOutput struct {
	HostKey describedHostKey
}

type tagResourceInput struct {
	Arn  string
	Tags []Tag
}

type untagResourceInput struct {
	Arn     string
	TagKeys []string
}

type listTagsInput struct {
	listInput
	Arn string
}

type serverIDOutput struct {
	ServerID string `json:"ServerId"`
}

type userIDOutput struct {
	ServerID string `json:"ServerId"`
	UserName string
}

type importSSHPublicKeyOutput struct {
	ServerID       string `json:"ServerId"`
	SSHPublicKeyID string `json:"SshPublicKeyId"`
	UserName       string
}

type describedServer struct {
	Arn                                string
	As2ServiceManagedEgressIPAddresses []string `json:"As2ServiceManagedEgressIpAddresses,omitempty"`
	Certificate                        string   `json:",omitempty"`
	Domain                             string
	EndpointDetails                    *EndpointDetails `json:",omitempty"`
	EndpointType                       string
	HostKeyFingerprint                 string                   `json:",omitempty"`
	IdentityProviderDetails            *IdentityProviderDetails `json:",omitempty"`
	IdentityProviderType               string
	IPAddressType                      string `json:"IpAddressType"`
	LoggingRole                        string `json:",omitempty"`
	PostAuthenticationLoginBanner      string `json:",omitempty"`
	PreAuthenticationLoginBanner       string `json:",omitempty"`
	ProtocolDetails                    ProtocolDetails
	Protocols                          []string
	S3StorageOptions                   S3StorageOptions
	SecurityPolicyName                 string
	ServerID                           string `json:"ServerId"`
	State                              string
	StructuredLogDestinations          []string         `json:",omitempty"`
	Tags                               []Tag            `json:",omitempty"`
	UserCount                          int              `json:"UserCount"`
	WorkflowDetails                    *WorkflowDetails `json:",omitempty"`
}

type describeServerOutput struct {
	Server describedServer
}

type listedServer struct {
	Arn                  string
	Domain               string
	EndpointType         string
	IdentityProviderType string
	LoggingRole          string `json:",omitempty"`
	ServerID             string `json:"ServerId"`
	State                string
	UserCount            int
}

type listServersOutput struct {
	NextToken string `json:",omitempty"`
	Servers   []listedServer
}

type sshPublicKeyOutput struct {
	DateImported     epochSeconds
	SSHPublicKeyBody string `json:"SshPublicKeyBody"`
	SSHPublicKeyID   string `json:"SshPublicKeyId"`
}

// describedHome is the members of DescribedUser and DescribedAccess that HomeSettings holds.
type describedHome struct {
	HomeDirectory         string                  `json:",omitempty"`
	HomeDirectoryMappings []HomeDirectoryMapEntry `json:",omitempty"`
	HomeDirectoryType     string
	Policy                string        `json:",omitempty"`
	PosixProfile          *PosixProfile `json:",omitempty"`
	Role                  string
}

// listedHome is the members of ListedUser and ListedAccess that HomeSettings holds.
type listedHome struct {
	HomeDirectory     string `json:",omitempty"`
	HomeDirectoryType string
	Role              string
}

type describedUser struct {
	Arn string
	describedHome
	SSHPublicKeys []sshPublicKeyOutput `json:"SshPublicKeys"`
	Tags          []Tag                `json:",omitempty"`
	UserName      string
}

type describeUserOutput struct {
	ServerID string `json:"ServerId"`
	User     describedUser
}

type listedUser struct {
	Arn string
	listedHome
	SSHPublicKeyCount int `json:"SshPublicKeyCount"`
	UserName          string
}

type listUsersOutput struct {
	NextToken string `json:",omitempty"`
	ServerID  string `json:"ServerId"`
	Users     []listedUser
}

type accessIDOutput struct {
	ServerID   string `json:"ServerId"`
	ExternalID string `json:"ExternalId"`
}

type describedAccess struct {
	ExternalID string `json:"ExternalId"`
	describedHome
}

type describeAccessOutput struct {
	ServerID string `json:"ServerId"`
	Access   describedAccess
}

type listedAccess struct {
	ExternalID string `json:"ExternalId"`
	listedHome
}

type listAccessesOutput struct {
	NextToken string `json:",omitempty"`
	ServerID  string `json:"ServerId"`
	Accesses  []listedAccess
}

type listTagsOutput struct {
	Arn       string
	NextToken string `json:",omitempty"`
	Tags      []Tag
}

// epochSeconds is a timestamp as awsJson encodes it: seconds since the Unix
// epoch, with millisecond precision.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	return json.Marshal(smithytime.FormatEpochSeconds(time.Time(t)))
}
