package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ServerDesiredState is whether the server should accept connections.
// +kubebuilder:validation:Enum=Online;Offline
type ServerDesiredState string

const (
	// ServerOnline asks for a running server (StartServer when it is OFFLINE).
	ServerOnline ServerDesiredState = "Online"
	// ServerOffline asks for a stopped server (StopServer when it is ONLINE).
	ServerOffline ServerDesiredState = "Offline"
)

// Protocol is a file transfer protocol a server speaks.
// +kubebuilder:validation:Enum=SFTP;FTP;FTPS;AS2
type Protocol string

// Protocols that AWS Transfer Family servers speak.
const (
	ProtocolSFTP Protocol = "SFTP"
	ProtocolFTP  Protocol = "FTP"
	ProtocolFTPS Protocol = "FTPS"
	ProtocolAS2  Protocol = "AS2"
)

// TransferServerSpec is the desired state of an AWS Transfer Family server. Only the fields set
// here are managed: a field left out is neither sent to AWS nor compared with what AWS reports,
// except that a field AWS can clear (loggingRole, the login banners, structuredLogDestinations,
// workflowDetails) is cleared in AWS when it leaves the spec after the operator applied it
// (status.appliedFields; docs/field-removal.md).
//
// +kubebuilder:validation:XValidation:rule="has(self.serverId) == has(oldSelf.serverId) && (!has(self.serverId) || self.serverId == oldSelf.serverId)",message="serverId can only be set when the TransferServer is created, and never changed: create another TransferServer to manage another server"
// +kubebuilder:validation:XValidation:rule="has(self.domain) == has(oldSelf.domain) && (!has(self.domain) || self.domain == oldSelf.domain)",message="domain is immutable: AWS cannot change the storage domain of a server; create a new TransferServer"
// +kubebuilder:validation:XValidation:rule="has(self.region) == has(oldSelf.region) && (!has(self.region) || self.region == oldSelf.region)",message="region is immutable: a server cannot move between regions; create a new TransferServer"
// +kubebuilder:validation:XValidation:rule="has(self.account) == has(oldSelf.account) && (!has(self.account) || self.account == oldSelf.account)",message="account is immutable: a server cannot move between accounts; create a new TransferServer"
// +kubebuilder:validation:XValidation:rule="!has(self.protocols) || !self.protocols.exists(p, p == 'FTPS') || (has(self.certificate) && size(self.certificate) > 0)",message="certificate is required when protocols include FTPS"
// +kubebuilder:validation:XValidation:rule="!has(self.protocols) || !self.protocols.exists(p, p == 'FTP' || p == 'FTPS') || (has(self.endpointType) && self.endpointType == 'VPC')",message="FTP and FTPS need endpointType VPC"
// +kubebuilder:validation:XValidation:rule="!has(self.protocols) || !self.protocols.exists(p, p == 'FTP' || p == 'FTPS') || (has(self.identityProviderType) && self.identityProviderType != 'SERVICE_MANAGED')",message="FTP and FTPS need identityProviderType AWS_DIRECTORY_SERVICE, AWS_LAMBDA or API_GATEWAY"
// +kubebuilder:validation:XValidation:rule="!has(self.protocols) || !self.protocols.exists(p, p == 'AS2') || (has(self.endpointType) && self.endpointType == 'VPC' && (!has(self.domain) || self.domain == 'S3'))",message="AS2 needs endpointType VPC and the S3 domain"
// +kubebuilder:validation:XValidation:rule="!has(self.endpointType) || self.endpointType != 'VPC' || (has(self.endpointDetails) && has(self.endpointDetails.vpcId))",message="endpointType VPC needs endpointDetails.vpcId"
// +kubebuilder:validation:XValidation:rule="!has(self.endpointType) || self.endpointType != 'VPC' || (has(self.endpointDetails) && has(self.endpointDetails.subnetIds))",message="endpointType VPC needs endpointDetails.subnetIds"
// +kubebuilder:validation:XValidation:rule="!has(self.endpointDetails) || !has(self.endpointDetails.vpcId) || (has(self.endpointType) && self.endpointType == 'VPC')",message="endpointDetails.vpcId can only be used with endpointType VPC"
// +kubebuilder:validation:XValidation:rule="!has(self.endpointDetails) || !has(self.endpointDetails.subnetIds) || (has(self.endpointType) && self.endpointType == 'VPC')",message="endpointDetails.subnetIds can only be used with endpointType VPC"
// +kubebuilder:validation:XValidation:rule="!has(self.endpointDetails) || !has(self.endpointDetails.securityGroupIds) || (has(self.endpointType) && self.endpointType == 'VPC')",message="endpointDetails.securityGroupIds can only be used with endpointType VPC"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.endpointDetails) || !has(oldSelf.endpointDetails.vpcId) || !has(self.endpointDetails) || !has(self.endpointDetails.vpcId) || self.endpointDetails.vpcId == oldSelf.endpointDetails.vpcId",message="endpointDetails.vpcId cannot change: AWS cannot move a server's endpoint to another VPC; create a new TransferServer"
// +kubebuilder:validation:XValidation:rule="!has(self.endpointType) || self.endpointType != 'VPC_ENDPOINT' || (has(self.endpointDetails) && has(self.endpointDetails.vpcEndpointId))",message="endpointType VPC_ENDPOINT needs endpointDetails.vpcEndpointId"
// +kubebuilder:validation:XValidation:rule="!has(self.endpointDetails) || !has(self.endpointDetails.vpcEndpointId) || (has(self.endpointType) && self.endpointType == 'VPC_ENDPOINT')",message="endpointDetails.vpcEndpointId is only for endpointType VPC_ENDPOINT: with VPC, AWS creates the endpoint itself"
// +kubebuilder:validation:XValidation:rule="!has(self.endpointDetails) || !has(self.endpointDetails.addressAllocationIds) || (has(self.endpointType) && self.endpointType == 'VPC')",message="endpointDetails.addressAllocationIds can only be used with endpointType VPC"
// +kubebuilder:validation:XValidation:rule="!has(self.endpointDetails) || !has(self.endpointDetails.addressAllocationIds) || !has(self.protocols) || !self.protocols.exists(p, p == 'FTP')",message="endpointDetails.addressAllocationIds cannot be used with the FTP protocol"
// +kubebuilder:validation:XValidation:rule="!has(self.endpointDetails) || !has(self.endpointDetails.addressAllocationIds) || (has(self.endpointDetails.subnetIds) && size(self.endpointDetails.subnetIds) == size(self.endpointDetails.addressAllocationIds))",message="endpointDetails.addressAllocationIds must have one entry for each of endpointDetails.subnetIds"
// +kubebuilder:validation:XValidation:rule="!has(self.endpointDetails) || !has(self.endpointDetails.addressAllocationIds) || !has(self.ipAddressType) || self.ipAddressType != 'DUALSTACK'",message="endpointDetails.addressAllocationIds cannot be used with ipAddressType DUALSTACK"
// +kubebuilder:validation:XValidation:rule="!has(self.identityProviderType) || self.identityProviderType != 'API_GATEWAY' || (has(self.identityProviderDetails) && has(self.identityProviderDetails.url) && has(self.identityProviderDetails.invocationRole))",message="identityProviderType API_GATEWAY needs identityProviderDetails.url and identityProviderDetails.invocationRole"
// +kubebuilder:validation:XValidation:rule="!has(self.identityProviderType) || self.identityProviderType != 'AWS_DIRECTORY_SERVICE' || (has(self.identityProviderDetails) && has(self.identityProviderDetails.directoryId))",message="identityProviderType AWS_DIRECTORY_SERVICE needs identityProviderDetails.directoryId"
// +kubebuilder:validation:XValidation:rule="!has(self.identityProviderType) || self.identityProviderType != 'AWS_LAMBDA' || (has(self.identityProviderDetails) && has(self.identityProviderDetails.function))",message="identityProviderType AWS_LAMBDA needs identityProviderDetails.function"
// +kubebuilder:validation:XValidation:rule="!has(self.identityProviderDetails) || (has(self.identityProviderType) && self.identityProviderType != 'SERVICE_MANAGED')",message="identityProviderDetails needs identityProviderType API_GATEWAY, AWS_DIRECTORY_SERVICE or AWS_LAMBDA"
// +kubebuilder:validation:XValidation:rule="!has(self.identityProviderDetails) || ((!has(self.identityProviderDetails.url) && !has(self.identityProviderDetails.invocationRole)) || (has(self.identityProviderType) && self.identityProviderType == 'API_GATEWAY'))",message="identityProviderDetails.url and invocationRole are only for identityProviderType API_GATEWAY"
// +kubebuilder:validation:XValidation:rule="!has(self.identityProviderDetails) || !has(self.identityProviderDetails.directoryId) || (has(self.identityProviderType) && self.identityProviderType == 'AWS_DIRECTORY_SERVICE')",message="identityProviderDetails.directoryId is only for identityProviderType AWS_DIRECTORY_SERVICE"
// +kubebuilder:validation:XValidation:rule="!has(self.identityProviderDetails) || !has(self.identityProviderDetails.function) || (has(self.identityProviderType) && self.identityProviderType == 'AWS_LAMBDA')",message="identityProviderDetails.function is only for identityProviderType AWS_LAMBDA"
// +kubebuilder:validation:XValidation:rule="!has(self.hostKeySecretRef) || !has(self.hostKeys)",message="set hostKeys or hostKeySecretRef, not both: list the hostKeySecretRef key as the first hostKeys entry to move to the list (docs/upgrading.md)"
// +kubebuilder:validation:XValidation:rule="!has(self.exclusiveHostKeys) || !self.exclusiveHostKeys || has(self.hostKeys)",message="exclusiveHostKeys needs hostKeys: without the list, the operator does not manage the server's host keys as a set"
// +kubebuilder:validation:XValidation:rule="!has(self.identityProviderDetails) || !has(self.identityProviderDetails.sftpAuthenticationMethods) || (has(self.identityProviderType) && self.identityProviderType in ['API_GATEWAY', 'AWS_LAMBDA'])",message="identityProviderDetails.sftpAuthenticationMethods is only for the custom identity providers API_GATEWAY and AWS_LAMBDA"
type TransferServerSpec struct {
	// Region is the AWS region of the server. Default: the operator's configured region.
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]{2,}(-[a-z]+)+-[0-9]+$')",message="must be an AWS region name, such as eu-west-1"
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Region string `json:"region,omitempty"`

	// Account names the AWSAccount whose AWS account the server is managed in. It must list this
	// namespace in its spec.namespaces. Default: the one AWSAccount that lists this namespace, or
	// the operator's own account when none does. Immutable (docs/accounts.md).
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="must name an AWSAccount"
	// +optional
	Account string `json:"account,omitempty"`

	// ServerID adopts an existing server instead of creating one. Set it when the
	// TransferServer is created; it cannot be changed afterwards.
	// +kubebuilder:validation:MaxLength=19
	// +kubebuilder:validation:XValidation:rule="self.matches('^s-[0-9a-f]{17}$')",message="must be a server ID: s- and 17 lowercase hex digits, such as s-0123456789abcdef0"
	// +optional
	ServerID string `json:"serverId,omitempty"`

	// DeletionPolicy says whether deleting this object deletes the server in AWS (Delete, the
	// default) or leaves it there (Retain).
	// +kubebuilder:default=Delete
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// ManagementPolicy is Manage (the default: the operator creates, updates and deletes the
	// resource) or Observe (it only reads it, reports in the Ready and Drifted conditions what
	// differs from the spec, and deleting the object only releases it). docs/observe.md.
	// +kubebuilder:default=Manage
	// +optional
	ManagementPolicy ManagementPolicy `json:"managementPolicy,omitempty"`

	// State is whether the server should run (Online, the default) or be stopped (Offline).
	// The operator calls StartServer and StopServer to get there.
	// +kubebuilder:default=Online
	// +optional
	State ServerDesiredState `json:"state,omitempty"`

	// Domain is the storage the server's users reach: S3 or EFS. AWS defaults to S3. It cannot
	// change after the server exists.
	// +kubebuilder:validation:Enum=S3;EFS
	// +optional
	Domain string `json:"domain,omitempty"`

	// Protocols the server speaks. AWS defaults to SFTP. FTP and FTPS need endpointType VPC and
	// a custom or directory identity provider, and FTPS a certificate; AS2 needs endpointType VPC
	// and the S3 domain.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=4
	// +listType=set
	// +optional
	Protocols []Protocol `json:"protocols,omitempty"`

	// EndpointType is where the server is reachable: PUBLIC (the default), VPC, or the legacy
	// VPC_ENDPOINT.
	// +kubebuilder:validation:Enum=PUBLIC;VPC;VPC_ENDPOINT
	// +optional
	EndpointType string `json:"endpointType,omitempty"`

	// EndpointDetails places a VPC-hosted server in subnets, security groups and Elastic IPs.
	// +optional
	EndpointDetails *EndpointDetails `json:"endpointDetails,omitempty"`

	// IPAddressType is IPV4 or DUALSTACK. Changing it needs the server stopped: the operator
	// stops the server, changes it, and starts the server again.
	// +kubebuilder:validation:Enum=IPV4;DUALSTACK
	// +optional
	IPAddressType string `json:"ipAddressType,omitempty"`

	// IdentityProviderType is how users authenticate: SERVICE_MANAGED (the default, with users
	// and keys kept in AWS), API_GATEWAY, AWS_DIRECTORY_SERVICE or AWS_LAMBDA.
	// +kubebuilder:validation:Enum=SERVICE_MANAGED;API_GATEWAY;AWS_DIRECTORY_SERVICE;AWS_LAMBDA
	// +optional
	IdentityProviderType string `json:"identityProviderType,omitempty"`

	// IdentityProviderDetails configures the identity provider named by identityProviderType.
	// +optional
	IdentityProviderDetails *IdentityProviderDetails `json:"identityProviderDetails,omitempty"`

	// HostKeySecretRef names the Secret key that holds the server's SSH host private key (PEM or
	// OpenSSH format). The key never appears in the spec or status; the operator compares it
	// with AWS by fingerprint, so rotating the Secret rotates the server's key, at once, for
	// every client. Superseded by hostKeys, which rotates without breaking clients that pinned
	// the old key (docs/host-key-rotation.md); it keeps working, and cannot be set together with
	// hostKeys. docs/upgrading.md says how to move to the list.
	// +optional
	HostKeySecretRef *SecretKeySelector `json:"hostKeySecretRef,omitempty"`

	// HostKeys are the server's SSH host keys, each read from a Secret. The operator keeps the
	// set of keys in AWS equal to this list by fingerprint: it imports the keys AWS lacks,
	// deletes the ones it imported that left the list (always after importing the new ones, so
	// the server is never without a key) and keeps descriptions equal. A new server is created
	// with the first key. Keys added outside the operator are listed in status.hostKeys and
	// left alone, unless exclusiveHostKeys is set. AWS presents, for each key type, the oldest
	// key of that type; adding a key, waiting until clients trust it and then removing the old
	// one rotates without breaking clients (docs/host-key-rotation.md). At most 10: AWS states
	// no quota of host keys per server, and a rotation of each of the three key types needs six.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:XValidation:rule="self.all(a, self.exists_one(b, a.secretRef.name == b.secretRef.name && a.secretRef.key == b.secretRef.key))",message="each hostKeys entry must name a different Secret key"
	// +listType=atomic
	// +optional
	HostKeys []HostKeySource `json:"hostKeys,omitempty"`

	// ExclusiveHostKeys makes hostKeys the whole set: host keys added outside the operator (in
	// the console, with the CLI, or the key AWS generated for an adopted server) are deleted.
	// By default they are only reported in status.hostKeys.
	// +optional
	ExclusiveHostKeys bool `json:"exclusiveHostKeys,omitempty"`

	// Certificate is the ARN of the ACM certificate for FTPS.
	// +kubebuilder:validation:MaxLength=1600
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:[a-z0-9-]+:acm:[a-z0-9-]+:[0-9]{12}:certificate/[^[:space:]]+$')",message="must be an ACM certificate ARN: arn:aws:acm:<region>:<12-digit account>:certificate/<id>"
	// +optional
	Certificate string `json:"certificate,omitempty"`

	// LoggingRole is the ARN of the IAM role that lets the server write CloudWatch logs.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:.*role/[^[:space:]]+$')",message="must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"
	// +optional
	LoggingRole string `json:"loggingRole,omitempty"`

	// StructuredLogDestinations are the ARNs of CloudWatch log groups for structured JSON logs.
	// An empty list removes them; leaving the field out removes them if the operator applied
	// them (status.appliedFields) and otherwise leaves them as they are.
	// +kubebuilder:validation:MaxItems=1
	// +optional
	StructuredLogDestinations []LogDestinationARN `json:"structuredLogDestinations"`

	// SecurityPolicyName names the server's cryptographic security policy, for example
	// TransferSecurityPolicy-2024-01. Any name of the AWS form is accepted, because AWS adds
	// policies often; AWS itself says whether the name exists.
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:XValidation:rule="self.matches('^Transfer[A-Za-z0-9]*SecurityPolicy-[A-Za-z0-9-]+$')",message="must be a Transfer Family security policy name, such as TransferSecurityPolicy-2024-01"
	// +optional
	SecurityPolicyName string `json:"securityPolicyName,omitempty"`

	// PreAuthenticationLoginBanner is shown to clients before they authenticate.
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:Pattern=`^[\x09-\x0D\x20-\x7E]*$`
	// +optional
	PreAuthenticationLoginBanner string `json:"preAuthenticationLoginBanner,omitempty"`

	// PostAuthenticationLoginBanner is shown to clients after they authenticate.
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:Pattern=`^[\x09-\x0D\x20-\x7E]*$`
	// +optional
	PostAuthenticationLoginBanner string `json:"postAuthenticationLoginBanner,omitempty"`

	// ProtocolDetails tunes FTP, FTPS, SFTP and AS2 behaviour.
	// +optional
	ProtocolDetails *ProtocolDetails `json:"protocolDetails,omitempty"`

	// S3StorageOptions tunes how an S3-domain server lists directories.
	// +optional
	S3StorageOptions *S3StorageOptions `json:"s3StorageOptions,omitempty"`

	// WorkflowDetails names the managed workflows run after uploads.
	// +optional
	WorkflowDetails *WorkflowDetails `json:"workflowDetails,omitempty"`

	// CustomHostname is the DNS name clients use instead of the server's endpoint. AWS keeps it
	// in two tags reserved for the purpose, aws:transfer:customHostname and
	// aws:transfer:route53HostedZoneId, and shows it in the console. This field is the one way to
	// set them: spec.tags refuses every aws: key, so that no two fields write one tag. Leaving
	// the field out (or setting it to null) leaves both tags as they are in AWS, even when an
	// earlier generation of the spec set them. The operator writes the tags only: it creates no
	// DNS record, so point the hostname at status.endpoint yourself.
	// +optional
	CustomHostname *CustomHostname `json:"customHostname,omitempty"`

	// Tags are added to the server in AWS. Leaving the field out leaves the server's tags as
	// they are; an empty map removes them. The operator adds its own bookkeeping tags under
	// transfer.operators.dev/; they are never shown as drift or removed.
	// +optional
	Tags Tags `json:"tags"`
}

// HostKeySource is one host key of spec.hostKeys.
type HostKeySource struct {
	// SecretRef names the Secret key that holds the SSH host private key (PEM or OpenSSH
	// format, without a passphrase; RSA of at least 2048 bits, ECDSA or ED25519).
	// +required
	SecretRef SecretKeySelector `json:"secretRef"`

	// Description of the key in AWS: at most 200 printable ASCII characters (the model's
	// HostKeyDescription: 0 to 200 characters of \p{Print}).
	// +kubebuilder:validation:MaxLength=200
	// +kubebuilder:validation:Pattern=`^[ -~]*$`
	// +optional
	Description string `json:"description,omitempty"`
}

// HostKeyStatus is one of a server's host keys as AWS lists it.
type HostKeyStatus struct {
	// HostKeyID is the key's ID in AWS (hostkey- and 17 hex digits).
	// +required
	HostKeyID string `json:"hostKeyId"`

	// Type is the key's algorithm: ssh-rsa, ssh-ed25519 or ecdsa-sha2-nistp256/384/521.
	// +optional
	Type string `json:"type,omitempty"`

	// Fingerprint is the key's SHA256 fingerprint, as ssh-keygen -l prints it.
	// +optional
	Fingerprint string `json:"fingerprint,omitempty"`

	// Description is the key's description in AWS.
	// +optional
	Description string `json:"description,omitempty"`

	// Managed is true for a key of spec.hostKeys (SecretRef names it) and false for a key added
	// outside the operator, which it leaves alone unless spec.exclusiveHostKeys is set.
	// +optional
	Managed bool `json:"managed,omitempty"`

	// SecretRef names the spec.hostKeys entry of a managed key.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`

	// DateImported is when the key was added to the server.
	// +optional
	DateImported *metav1.Time `json:"dateImported,omitempty"`

	// Offered is true for the key clients are offered for its type: AWS presents the oldest key
	// of each type (RSA, ECDSA, ED25519), so a newer key of the same type is offered only once
	// the older ones are deleted (AWS Transfer Family user guide, "Add an additional server host
	// key").
	// +optional
	Offered bool `json:"offered,omitempty"`
}

// CustomHostname is a server's custom hostname, as AWS records it in the server's tags. Once set,
// both tags are managed: route53HostedZoneId left out removes the zone tag (the console's "Other
// DNS" choice). Sources: the AWS Transfer Family user guide, "Working with custom hostnames"
// (requirements-dns.html), and Terraform's aws_transfer_tag resource, which exists for tag keys
// with the aws: prefix and sets these two.
type CustomHostname struct {
	// Hostname is the fully qualified DNS name, such as sftp.example.com: lowercase labels of
	// letters, digits and hyphens, separated by dots (a DNS-1123 subdomain).
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?([.][a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$')",message="must be a DNS name in lowercase, such as sftp.example.com"
	// +required
	Hostname string `json:"hostname"`

	// Route53HostedZoneID is the Route 53 hosted zone that holds the hostname, in the form AWS
	// records it: /hostedzone/ followed by the zone ID, such as /hostedzone/Z0123456789ABCDEFGHIJ.
	// Route 53 zone IDs are uppercase letters and digits, at most 32 characters (the Route 53
	// API reference, ResourceId).
	// +kubebuilder:validation:MaxLength=44
	// +kubebuilder:validation:XValidation:rule="self.matches('^/hostedzone/[A-Z0-9]{1,32}$')",message="must be a Route 53 hosted zone as AWS records it: /hostedzone/ and the zone ID, such as /hostedzone/Z0123456789ABCDEFGHIJ"
	// +optional
	Route53HostedZoneID string `json:"route53HostedZoneId,omitempty"`
}

// LogDestinationARN is the ARN of a CloudWatch log group.
// +kubebuilder:validation:MaxLength=1600
// +kubebuilder:validation:XValidation:rule="size(self) >= 20 && self.matches('^arn:[^[:space:]]+$')",message="must be the ARN of a CloudWatch Logs log group: arn:aws:logs:<region>:<12-digit account>:log-group:<name>:*"
type LogDestinationARN string

// EndpointDetails are the VPC settings of a server with endpointType VPC or VPC_ENDPOINT.
type EndpointDetails struct {
	// VpcID is the VPC the server's endpoint lives in (endpointType VPC). It cannot change once
	// set, since AWS cannot move an endpoint to another VPC: create a new TransferServer instead.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +optional
	VpcID string `json:"vpcId,omitempty"`

	// SubnetIDs are the subnets of the endpoint (endpointType VPC, which needs at least one).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	// +optional
	SubnetIDs []string `json:"subnetIds,omitempty"`

	// SecurityGroupIDs are the security groups of the server's VPC endpoint (endpointType VPC).
	// AWS Transfer takes them when the server is created or moved to endpointType VPC; after
	// that, the operator compares them with the endpoint's groups (EC2 DescribeVpcEndpoints) and
	// changes them there (EC2 ModifyVpcEndpoint), so a change in the spec, or one made in EC2, is
	// applied or corrected like any other field. Left out, the endpoint's groups are unmanaged (a
	// new endpoint gets the VPC's default group). status.vpcEndpoint shows them.
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	// +optional
	SecurityGroupIDs []SecurityGroupID `json:"securityGroupIds,omitempty"`

	// AddressAllocationIDs attach Elastic IPs to the endpoint, one for each subnet, to make a
	// VPC server internet-facing. AWS allows changing them only while the server is stopped and
	// only once its subnets are set: the operator stops the server, sets subnets first, then
	// the Elastic IPs, and starts the server again. AWS takes at most three.
	// +kubebuilder:validation:MaxItems=3
	// +listType=set
	// +optional
	AddressAllocationIDs []string `json:"addressAllocationIds,omitempty"`

	// VpcEndpointID is the VPC endpoint of a server with endpointType VPC_ENDPOINT.
	// +kubebuilder:validation:MaxLength=22
	// +kubebuilder:validation:XValidation:rule="self.matches('^vpce-[0-9a-f]{17}$')",message="must be a VPC endpoint ID: vpce- and 17 lowercase hex digits"
	// +optional
	VpcEndpointID string `json:"vpcEndpointId,omitempty"`
}

// SecurityGroupID is the ID of an EC2 security group.
// +kubebuilder:validation:MaxLength=20
// +kubebuilder:validation:XValidation:rule="size(self) >= 11 && self.matches('^sg-[0-9a-f]{8,17}$')",message="must be a security group ID: sg- and 8 or 17 lowercase hex digits"
type SecurityGroupID string

// IdentityProviderDetails configures a custom or directory identity provider.
type IdentityProviderDetails struct {
	// URL of the API Gateway endpoint that authenticates users (API_GATEWAY).
	// +kubebuilder:validation:MaxLength=255
	// +optional
	URL string `json:"url,omitempty"`

	// InvocationRole is the ARN of the IAM role used to call the API Gateway (API_GATEWAY).
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="size(self) >= 20 && self.matches('^arn:.*role/[^[:space:]]+$')",message="must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"
	// +optional
	InvocationRole string `json:"invocationRole,omitempty"`

	// DirectoryID is the Directory Service directory that authenticates users
	// (AWS_DIRECTORY_SERVICE).
	// +kubebuilder:validation:MaxLength=12
	// +kubebuilder:validation:XValidation:rule="self.matches('^d-[0-9a-f]{10}$')",message="must be a Directory Service directory ID: d- and 10 lowercase hex digits"
	// +optional
	DirectoryID string `json:"directoryId,omitempty"`

	// Function is the ARN of the Lambda function that authenticates users (AWS_LAMBDA).
	// +kubebuilder:validation:MaxLength=170
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:[a-z-]+:lambda:.*$')",message="must be a Lambda function ARN: arn:aws:lambda:<region>:<12-digit account>:function:<name>"
	// +optional
	Function string `json:"function,omitempty"`

	// SftpAuthenticationMethods says whether SFTP users of a custom identity provider sign in
	// with a password, a key, either, or both.
	// +kubebuilder:validation:Enum=PASSWORD;PUBLIC_KEY;PUBLIC_KEY_OR_PASSWORD;PUBLIC_KEY_AND_PASSWORD
	// +optional
	SftpAuthenticationMethods string `json:"sftpAuthenticationMethods,omitempty"`
}

// ProtocolDetails are protocol settings of a server.
type ProtocolDetails struct {
	// PassiveIP is the IPv4 address given to FTP and FTPS clients in passive mode, such as a
	// firewall's public address, or AUTO. AWS applies a change when the server restarts.
	// +kubebuilder:validation:MaxLength=15
	// +kubebuilder:validation:Pattern=`^(AUTO|((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]))$`
	// +optional
	PassiveIP string `json:"passiveIp,omitempty"`

	// TLSSessionResumptionMode controls FTPS TLS session resumption: DISABLED, ENABLED or ENFORCED.
	// +kubebuilder:validation:Enum=DISABLED;ENABLED;ENFORCED
	// +optional
	TLSSessionResumptionMode string `json:"tlsSessionResumptionMode,omitempty"`

	// SetStatOption ENABLE_NO_OP makes SETSTAT requests succeed without effect, for clients that
	// insist on them with S3 storage.
	// +kubebuilder:validation:Enum=DEFAULT;ENABLE_NO_OP
	// +optional
	SetStatOption string `json:"setStatOption,omitempty"`

	// As2Transports are the transports of AS2 messages. Only HTTP exists.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=1
	// +kubebuilder:validation:items:Enum=HTTP
	// +optional
	As2Transports []string `json:"as2Transports,omitempty"`
}

// S3StorageOptions are settings for servers with the S3 domain.
type S3StorageOptions struct {
	// DirectoryListingOptimization ENABLED speeds up listings of large logical directories.
	// +kubebuilder:validation:Enum=ENABLED;DISABLED
	// +optional
	DirectoryListingOptimization string `json:"directoryListingOptimization,omitempty"`
}

// WorkflowDetails names the workflows a server runs after uploads. An empty list removes the
// workflow of that kind; leaving a list out leaves it as it is. Leaving workflowDetails out
// removes both workflows if the operator applied it (status.appliedFields). (These lists have no omitempty,
// so that Go clients can send an empty list; a nil list is sent as null, which the API server
// drops.)
type WorkflowDetails struct {
	// OnUpload runs after a file is uploaded completely.
	// +kubebuilder:validation:MaxItems=1
	// +optional
	OnUpload []WorkflowDetail `json:"onUpload"`

	// OnPartialUpload runs when an upload is interrupted.
	// +kubebuilder:validation:MaxItems=1
	// +optional
	OnPartialUpload []WorkflowDetail `json:"onPartialUpload"`
}

// WorkflowDetail is one workflow and the role that runs it.
//
// +kubebuilder:validation:XValidation:rule="has(self.workflowId) != has(self.workflowRef)",message="set exactly one of workflowId (a workflow not managed here) and workflowRef (a TransferWorkflow in this namespace)"
type WorkflowDetail struct {
	// WorkflowID of a managed workflow not managed by a TransferWorkflow.
	// +kubebuilder:validation:MaxLength=19
	// +kubebuilder:validation:XValidation:rule="self.matches('^w-[a-z0-9]{17}$')",message="must be a workflow ID: w- and 17 lowercase letters or digits, such as w-0123456789abcdef0"
	// +optional
	WorkflowID string `json:"workflowId,omitempty"`

	// WorkflowRef names a TransferWorkflow in this namespace. The server waits until it is
	// Ready, runs the workflow it records (status.workflowId), and follows it when the workflow
	// is replaced.
	// +optional
	WorkflowRef *LocalObjectReference `json:"workflowRef,omitempty"`

	// ExecutionRole is the ARN of the IAM role the workflow runs as.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="size(self) >= 20 && self.matches('^arn:.*role/[^[:space:]]+$')",message="must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"
	// +required
	ExecutionRole string `json:"executionRole"`
}

// TransferServerStatus is what the operator last observed of the server in AWS.
type TransferServerStatus struct {
	// ServerID of the server in AWS, recorded as soon as it is created or adopted.
	// +optional
	ServerID string `json:"serverId,omitempty"`

	// ARN of the server.
	// +optional
	ARN string `json:"arn,omitempty"`

	// Placement is where the resource lives, recorded when the operator creates or adopts it.
	Placement `json:",inline"`

	// State as DescribeServer reports it: OFFLINE, ONLINE, STARTING, STOPPING, START_FAILED or
	// STOP_FAILED.
	// +optional
	State string `json:"state,omitempty"`

	// Endpoint is the host name clients connect to: serverId.server.transfer.REGION followed by
	// the DNS suffix of the region's partition (amazonaws.com, amazonaws.com.cn in China) for a
	// PUBLIC server and for a VPC server with Elastic IPs; the DNS name of the VPC endpoint for
	// an internal VPC server and for endpointType VPC_ENDPOINT.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`

	// VpcEndpoint is the server's VPC endpoint as EC2 reports it (endpointType VPC or
	// VPC_ENDPOINT): its ID, state, security groups and the addresses clients use.
	// +optional
	VpcEndpoint *VpcEndpointStatus `json:"vpcEndpoint,omitempty"`

	// HostKeyFingerprint is the SHA256 fingerprint of the server's SSH host key, as DescribeServer
	// reports it after the pass's host key changes. A server with several keys offers clients the
	// oldest key of each type: status.hostKeys marks those as offered.
	// +optional
	HostKeyFingerprint string `json:"hostKeyFingerprint,omitempty"`

	// HostKeys are the server's host keys as AWS lists them, recorded when spec.hostKeys is set:
	// ID, type, fingerprint and description, and whether spec.hostKeys manages the key. Never
	// the key itself.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=hostKeyId
	// +optional
	HostKeys []HostKeyStatus `json:"hostKeys,omitempty"`

	// CustomHostname is the value of the server's aws:transfer:customHostname tag, whether or
	// not the spec manages it.
	// +optional
	CustomHostname string `json:"customHostname,omitempty"`

	// UserCount is the number of users AWS reports for the server.
	// +optional
	UserCount *int32 `json:"userCount,omitempty"`

	// CreatePending is true from just before CreateServer is sent until the new server's ID is
	// recorded. Seen without a serverId, it means an earlier create's outcome is unknown, and
	// the operator looks the server up by its ownership tag before creating another.
	// +optional
	CreatePending bool `json:"createPending,omitempty"`

	// CreatedGeneration is the generation of the spec the server was created with (recorded with
	// the create intent): CreateServer applied it whole, so the passes that finish the creation
	// do not send again what AWS does not report back.
	// +optional
	CreatedGeneration int64 `json:"createdGeneration,omitempty"`

	// ObservedGeneration is the generation of the spec that AWS was last made to match.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// AppliedFields are the spec fields, of those AWS can clear, that the last successful pass
	// applied: loggingRole, preAuthenticationLoginBanner, postAuthenticationLoginBanner,
	// structuredLogDestinations and workflowDetails. When one of them leaves the spec, the operator clears it in
	// AWS; a field never listed here is left as it is in AWS when the spec omits it. An object
	// without this list (one written before the operator recorded it) has nothing recorded, so
	// nothing is cleared until a pass succeeds. See docs/field-removal.md.
	// +listType=set
	// +optional
	AppliedFields []string `json:"appliedFields,omitempty"`

	// Conditions: Ready, Reconciling and Stalled, following the kstatus conventions, and
	// LocationChanged when the default region or the account mapping moved away from where the resource
	// was recorded.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// VpcEndpointStatus is the VPC endpoint of a server, as EC2 DescribeVpcEndpoints and
// DescribeNetworkInterfaces report it.
type VpcEndpointStatus struct {
	// ID of the endpoint: the one AWS created for endpointType VPC, or the one
	// spec.endpointDetails.vpcEndpointId names.
	// +required
	ID string `json:"id"`

	// State is EC2's state of the endpoint: pending while it is created or changed, available
	// once it serves clients.
	// +optional
	State string `json:"state,omitempty"`

	// SecurityGroupIDs are the security groups of the endpoint, sorted.
	// +optional
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`

	// DNSNames of the endpoint: its regional name first, then one for each Availability Zone.
	// +optional
	DNSNames []string `json:"dnsNames,omitempty"`

	// PrivateIPs are the endpoint's addresses inside the VPC, one in each subnet.
	// +optional
	PrivateIPs []string `json:"privateIPs,omitempty"`

	// PublicIPs are the Elastic IPs of an internet-facing server
	// (spec.endpointDetails.addressAllocationIds), one in each subnet.
	// +optional
	PublicIPs []string `json:"publicIPs,omitempty"`
}

// TransferServer is an AWS Transfer Family server (SFTP, FTPS, FTP or AS2) managed by the
// operator.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tsrv,categories=transfer
// +kubebuilder:printcolumn:name="ServerID",type=string,JSONPath=`.status.serverId`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.endpoint`
// +kubebuilder:printcolumn:name="Hostname",type=string,JSONPath=`.status.customHostname`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TransferServer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired server.
	// +optional
	Spec TransferServerSpec `json:"spec,omitempty"`

	// Status is the server as last observed.
	// +optional
	Status TransferServerStatus `json:"status,omitempty"`
}

// TransferServerList is a list of TransferServers.
// +kubebuilder:object:root=true
type TransferServerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TransferServer `json:"items"`
}

// GetConditions returns the object's conditions.
func (s *TransferServer) GetConditions() []metav1.Condition { return s.Status.Conditions }

// SetConditions replaces the object's conditions.
func (s *TransferServer) SetConditions(c []metav1.Condition) { s.Status.Conditions = c }

// SetObservedGeneration records the generation whose spec AWS was last made to match.
func (s *TransferServer) SetObservedGeneration(g int64) { s.Status.ObservedGeneration = g }

// SetAppliedFields records the clearable spec fields a successful pass applied.
func (s *TransferServer) SetAppliedFields(f []string) { s.Status.AppliedFields = f }

// GetPlacement returns where the resource lives, as the status records it.
func (s *TransferServer) GetPlacement() *Placement { return &s.Status.Placement }

// GetDeletionPolicy returns spec.deletionPolicy.
func (s *TransferServer) GetDeletionPolicy() DeletionPolicy { return s.Spec.DeletionPolicy }

// GetManagementPolicy returns spec.managementPolicy.
func (s *TransferServer) GetManagementPolicy() ManagementPolicy { return s.Spec.ManagementPolicy }
