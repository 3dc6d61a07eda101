package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TransferConnectorSpec is the desired state of an AWS Transfer Family SFTP connector: the
// operator's way to a partner's SFTP server, for StartFileTransfer and StartDirectoryListing.
// The field limits are those of the SDK's CreateConnectorInput and SftpConnectorConfig types
// (github.com/aws/aws-sdk-go-v2/service/transfer).
//
// +kubebuilder:validation:XValidation:rule="has(self.connectorId) == has(oldSelf.connectorId) && (!has(self.connectorId) || self.connectorId == oldSelf.connectorId)",message="connectorId can only be set when the TransferConnector is created, and never changed: create another TransferConnector to manage another connector"
// +kubebuilder:validation:XValidation:rule="has(self.region) == has(oldSelf.region) && (!has(self.region) || self.region == oldSelf.region)",message="region is immutable: a connector cannot move between regions; create a new TransferConnector"
// +kubebuilder:validation:XValidation:rule="has(self.account) == has(oldSelf.account) && (!has(self.account) || self.account == oldSelf.account)",message="account is immutable: a connector cannot move between accounts; create a new TransferConnector"
// +kubebuilder:validation:XValidation:rule="has(self.egressConfig) == has(oldSelf.egressConfig)",message="egressConfig cannot be added or removed: the SDK documents no way to change a connector's routing type (service-managed or VPC Lattice); create a new TransferConnector"
// +kubebuilder:validation:XValidation:rule="has(self.url) != has(self.egressConfig)",message="set url (a service-managed connector) or egressConfig.vpcLattice (a VPC Lattice connector, whose url must be left out), not both"
// +kubebuilder:validation:XValidation:rule="!has(self.sftpConfig) || has(self.sftpConfig.userSecretId) != has(self.sftpConfig.credentialsSecretRef)",message="set sftpConfig.userSecretId (a Secrets Manager secret you manage) or sftpConfig.credentialsSecretRef (a Kubernetes Secret the operator copies into Secrets Manager), not both and not neither"
type TransferConnectorSpec struct {
	// Region is the AWS region of the connector. Default: the operator's configured region.
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]{2,}(-[a-z]+)+-[0-9]+$')",message="must be an AWS region name, such as eu-west-1"
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Region string `json:"region,omitempty"`

	// Account names the AWSAccount whose AWS account the connector is managed in. It must list
	// this namespace in its spec.namespaces. Default: the one AWSAccount that lists this
	// namespace, or the operator's own account when none does. Immutable (docs/accounts.md).
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="must name an AWSAccount"
	// +optional
	Account string `json:"account,omitempty"`

	// ConnectorID adopts an existing connector instead of creating one. Set it when the
	// TransferConnector is created; it cannot be changed afterwards.
	// +kubebuilder:validation:MaxLength=19
	// +kubebuilder:validation:XValidation:rule="self.matches('^c-([0-9a-f]{17})$')",message="must be a connector ID: c- and 17 lowercase hexadecimal digits, such as c-0123456789abcdef0"
	// +optional
	ConnectorID string `json:"connectorId,omitempty"`

	// DeletionPolicy says whether deleting this object deletes the connector in AWS (Delete, the
	// default), with the Secrets Manager secret the operator made for it, or leaves both there
	// (Retain).
	// +kubebuilder:default=Delete
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// ManagementPolicy is Manage (the default: the operator creates, updates and deletes the
	// resource) or Observe (it only reads it, reports in the Ready and Drifted conditions what
	// differs from the spec, and deleting the object only releases it). docs/observe.md.
	// +kubebuilder:default=Manage
	// +optional
	ManagementPolicy ManagementPolicy `json:"managementPolicy,omitempty"`

	// URL of the partner's SFTP server: sftp://host or sftp://host:port (SDK
	// CreateConnectorInput.Url). Required for a service-managed connector; left out for a VPC
	// Lattice connector, whose egressConfig names the server.
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self.matches('^sftp://[^/:@[:space:]]+(:[0-9]{1,5})?/?$')",message="must be sftp://host or sftp://host:port"
	// +optional
	URL string `json:"url,omitempty"`

	// AccessRole is the IAM role the connector uses: it reads and writes the S3 locations of
	// StartFileTransfer and reads the credentials secret (secretsmanager:GetSecretValue).
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="size(self) >= 20 && self.matches('^arn:.*role/[^[:space:]]+$')",message="must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"
	// +required
	AccessRole string `json:"accessRole"`

	// LoggingRole is the IAM role that lets the connector log to CloudWatch. Removing it from the
	// spec clears it in AWS.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="size(self) >= 20 && self.matches('^arn:.*role/[^[:space:]]+$')",message="must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"
	// +optional
	LoggingRole string `json:"loggingRole,omitempty"`

	// SecurityPolicyName is the connector's security policy, such as
	// TransferSFTPConnectorSecurityPolicy-2024-03. Left out, AWS chooses its default and the
	// operator leaves whatever AWS reports alone.
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:Pattern=`^TransferSFTPConnectorSecurityPolicy-[A-Za-z0-9-]+$`
	// +optional
	SecurityPolicyName string `json:"securityPolicyName,omitempty"`

	// IPAddressType is IPV4 or DUALSTACK (SDK ConnectorsIpAddressType). Left out, the operator
	// leaves whatever AWS reports alone.
	// +kubebuilder:validation:Enum=IPV4;DUALSTACK
	// +optional
	IPAddressType string `json:"ipAddressType,omitempty"`

	// EgressConfig routes the connector through a VPC with VPC Lattice instead of Transfer
	// Family's managed egress. Cannot be added or removed once the connector exists.
	// +optional
	EgressConfig *ConnectorEgressConfig `json:"egressConfig,omitempty"`

	// SFTPConfig is the connector's SFTP settings: its credentials and the partner's host keys.
	// +required
	SFTPConfig *SFTPConnectorConfig `json:"sftpConfig"`

	// Tags of the connector. Keys starting with aws: and the operator's own transfer.operators.dev/
	// keys are reserved.
	// +optional
	Tags Tags `json:"tags,omitempty"`
}

// ConnectorEgressConfig is how a connector's traffic leaves AWS (SDK ConnectorEgressConfig).
type ConnectorEgressConfig struct {
	// VpcLattice routes the connector through a VPC Lattice resource configuration that points
	// at the partner's server.
	// +required
	VpcLattice *VpcLatticeEgressConfig `json:"vpcLattice"`
}

// VpcLatticeEgressConfig is a VPC Lattice route to an SFTP server (SDK
// ConnectorVpcLatticeEgressConfig).
type VpcLatticeEgressConfig struct {
	// ResourceConfigurationARN is the VPC Lattice resource configuration of the SFTP server.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:[a-z-]+:vpc-lattice:[a-z0-9-]+:[0-9]{12}:resourceconfiguration/rcfg-[0-9a-z]+$')",message="must be a VPC Lattice resource configuration ARN: arn:aws:vpc-lattice:<region>:<account>:resourceconfiguration/rcfg-..."
	// +required
	ResourceConfigurationARN string `json:"resourceConfigurationArn"`

	// PortNumber of the SFTP server. AWS's default is 22 (SDK ConnectorVpcLatticeEgressConfig).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	PortNumber *int32 `json:"portNumber,omitempty"`
}

// SFTPConnectorConfig is an SFTP connector's settings (SDK SftpConnectorConfig).
type SFTPConnectorConfig struct {
	// UserSecretID is the ARN of a Secrets Manager secret, managed elsewhere, that holds the SFTP
	// user's credentials: a JSON object with Username and PrivateKey and/or Password.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$')",message="must be a Secrets Manager secret ARN: arn:aws:secretsmanager:<region>:<account>:secret:<name>"
	// +optional
	UserSecretID string `json:"userSecretId,omitempty"`

	// CredentialsSecretRef names a Kubernetes Secret of this namespace that holds the SFTP
	// user's credentials. The operator keeps a copy in a Secrets Manager secret it owns (tagged
	// with this object), updates it when the Secret changes, and deletes it with the connector.
	// +optional
	CredentialsSecretRef *ConnectorCredentialsRef `json:"credentialsSecretRef,omitempty"`

	// TrustedHostKeys are the partner server's public host keys, as "key-type base64-body"
	// (ssh-keyscan's output without the host name). AWS accepts RSA and ECDSA keys (SDK
	// SftpConnectorConfig.TrustedHostKeys). Left empty, the connector trusts nothing: the
	// Connected condition names the key the partner presented, to be checked and added here.
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=2048
	// +kubebuilder:validation:items:XValidation:rule="self.matches('^(ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) [A-Za-z0-9+/]+={0,3}$')",message="must be key-type and base64 body, such as 'ecdsa-sha2-nistp256 AAAAE2Vj...': an RSA or ECDSA key, without host name or comment"
	// +listType=atomic
	// +optional
	TrustedHostKeys []string `json:"trustedHostKeys,omitempty"`

	// MaxConcurrentConnections the connector opens to the partner, 1 to 5. AWS's default is 1
	// (SDK SftpConnectorConfig.MaxConcurrentConnections).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5
	// +optional
	MaxConcurrentConnections *int32 `json:"maxConcurrentConnections,omitempty"`
}

// ConnectorCredentialsRef names a Kubernetes Secret with an SFTP user's credentials and the keys
// that hold them. The private key is in OpenSSH or PEM format.
type ConnectorCredentialsRef struct {
	// Name of the Secret, in the TransferConnector's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// UsernameKey is the Secret key of the user name. Default: username.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	UsernameKey string `json:"usernameKey,omitempty"`

	// PrivateKeyKey is the Secret key of the private key. Default: privateKey. At least one of
	// the private key and the password must be in the Secret.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	PrivateKeyKey string `json:"privateKeyKey,omitempty"`

	// PasswordKey is the Secret key of the password. Default: password.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	PasswordKey string `json:"passwordKey,omitempty"`
}

// TransferConnectorStatus is the connector as last observed.
type TransferConnectorStatus struct {
	// ConnectorID of the connector in AWS, recorded as soon as it is created or adopted.
	// +optional
	ConnectorID string `json:"connectorId,omitempty"`

	// ARN of the connector.
	// +optional
	ARN string `json:"arn,omitempty"`

	// Placement is where the connector lives, recorded when the operator creates or adopts it.
	Placement `json:",inline"`

	// State is AWS's status of the connector: PENDING while it is created or changed, ACTIVE,
	// or ERRORED (SDK ConnectorStatus).
	// +optional
	State string `json:"state,omitempty"`

	// ErrorMessage is AWS's explanation of an ERRORED connector.
	// +optional
	ErrorMessage string `json:"errorMessage,omitempty"`

	// EgressType is SERVICE_MANAGED or VPC_LATTICE.
	// +optional
	EgressType string `json:"egressType,omitempty"`

	// EgressIPAddresses are the public addresses the connector connects from: what a partner
	// allow-lists (SDK DescribedConnector.ServiceManagedEgressIpAddresses).
	// +listType=atomic
	// +optional
	EgressIPAddresses []string `json:"egressIpAddresses,omitempty"`

	// UserSecretARN is the Secrets Manager secret the operator made from
	// spec.sftpConfig.credentialsSecretRef, and deletes with the connector.
	// +optional
	UserSecretARN string `json:"userSecretArn,omitempty"`

	// CredentialsVersion is the resourceVersion of the credentials Secret last copied into
	// UserSecretARN.
	// +optional
	CredentialsVersion string `json:"credentialsVersion,omitempty"`

	// Connection is the outcome of the last TestConnection.
	// +optional
	Connection *ConnectionTest `json:"connection,omitempty"`

	// CreatePending is true from just before CreateConnector is sent until the new connector's
	// ID is recorded; the next pass looks for a connector carrying this object's UID tag first.
	// +optional
	CreatePending bool `json:"createPending,omitempty"`

	// ObservedGeneration is the generation of the spec that AWS was last made to match.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// AppliedFields are the clearable spec fields (loggingRole) that the last successful pass
	// applied; one that leaves the spec is cleared in AWS (docs/field-removal.md).
	// +listType=set
	// +optional
	AppliedFields []string `json:"appliedFields,omitempty"`

	// Conditions: Ready, Reconciling and Stalled (kstatus), Connected (the last TestConnection:
	// True when the connector reached the partner and logged in), LocationChanged.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ConnectionTest is the outcome of a TestConnection.
type ConnectionTest struct {
	// Status is AWS's answer: OK or ERROR.
	Status string `json:"status"`

	// Message is AWS's StatusMessage.
	// +optional
	Message string `json:"message,omitempty"`

	// HostKey is the host key the partner presented, as "key-type base64-body".
	// +optional
	HostKey string `json:"hostKey,omitempty"`

	// Time of the test.
	Time metav1.Time `json:"time"`

	// Generation of the spec the test was made for.
	Generation int64 `json:"generation"`

	// CredentialsVersion is the credentials the test was made with (status.credentialsVersion).
	// +optional
	CredentialsVersion string `json:"credentialsVersion,omitempty"`
}

// TransferConnector is an AWS Transfer Family SFTP connector managed by the operator.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tcon,categories=transfer
// +kubebuilder:printcolumn:name="ConnectorID",type=string,JSONPath=`.status.connectorId`
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.spec.url`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="EgressIPs",type=string,JSONPath=`.status.egressIpAddresses`
// +kubebuilder:printcolumn:name="Connected",type=string,JSONPath=`.status.conditions[?(@.type=="Connected")].status`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TransferConnector struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the connector.
	// +required
	Spec TransferConnectorSpec `json:"spec"`

	// Status is the connector as last observed.
	// +optional
	Status TransferConnectorStatus `json:"status,omitempty"`
}

// TransferConnectorList is a list of TransferConnectors.
// +kubebuilder:object:root=true
type TransferConnectorList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TransferConnector `json:"items"`
}

// GetConditions returns the object's conditions.
func (c *TransferConnector) GetConditions() []metav1.Condition { return c.Status.Conditions }

// SetConditions replaces the object's conditions.
func (c *TransferConnector) SetConditions(conds []metav1.Condition) { c.Status.Conditions = conds }

// SetObservedGeneration records the generation whose spec AWS was last made to match.
func (c *TransferConnector) SetObservedGeneration(g int64) { c.Status.ObservedGeneration = g }

// SetAppliedFields records the clearable spec fields the last successful pass applied.
func (c *TransferConnector) SetAppliedFields(f []string) { c.Status.AppliedFields = f }

// GetPlacement returns where the resource lives, as the status records it.
func (c *TransferConnector) GetPlacement() *Placement { return &c.Status.Placement }

// GetDeletionPolicy returns spec.deletionPolicy.
func (c *TransferConnector) GetDeletionPolicy() DeletionPolicy { return c.Spec.DeletionPolicy }

// GetManagementPolicy returns spec.managementPolicy.
func (c *TransferConnector) GetManagementPolicy() ManagementPolicy { return c.Spec.ManagementPolicy }
