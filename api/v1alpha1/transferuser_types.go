package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TransferUserSpec is the desired state of a user of an AWS Transfer Family server. Only the
// fields set here are managed: a field left out is neither sent to AWS nor compared, except that
// policy and homeDirectory are cleared in AWS when they leave the spec after the operator applied
// them, and the removal of an applied posixProfile or homeDirectoryMappings, which AWS cannot
// clear, is reported in an Event (status.appliedFields; docs/field-removal.md).
//
// +kubebuilder:validation:XValidation:rule="has(self.serverRef) != has(self.serverId)",message="set exactly one of serverRef (a TransferServer in this namespace) and serverId (a server not managed here)"
// +kubebuilder:validation:XValidation:rule="has(self.serverRef) == has(oldSelf.serverRef) && (!has(self.serverRef) || self.serverRef.name == oldSelf.serverRef.name)",message="serverRef is immutable: create a new TransferUser to move a user to another server"
// +kubebuilder:validation:XValidation:rule="has(self.serverId) == has(oldSelf.serverId) && (!has(self.serverId) || self.serverId == oldSelf.serverId)",message="serverId is immutable: create a new TransferUser to move a user to another server"
// +kubebuilder:validation:XValidation:rule="has(self.userName) == has(oldSelf.userName) && (!has(self.userName) || self.userName == oldSelf.userName)",message="userName is immutable: AWS cannot rename a user; create a new TransferUser"
// +kubebuilder:validation:XValidation:rule="has(self.region) == has(oldSelf.region) && (!has(self.region) || self.region == oldSelf.region)",message="region is immutable"
// +kubebuilder:validation:XValidation:rule="has(self.account) == has(oldSelf.account) && (!has(self.account) || self.account == oldSelf.account)",message="account is immutable"
// +kubebuilder:validation:XValidation:rule="!has(self.homeDirectoryMappings) || (has(self.homeDirectoryType) && self.homeDirectoryType == 'LOGICAL')",message="homeDirectoryMappings need homeDirectoryType LOGICAL"
// +kubebuilder:validation:XValidation:rule="!has(self.homeDirectoryType) || self.homeDirectoryType != 'LOGICAL' || has(self.homeDirectoryMappings)",message="homeDirectoryType LOGICAL needs homeDirectoryMappings"
type TransferUserSpec struct {
	// ServerRef names the TransferServer, in this namespace, that the user belongs to. The user
	// waits until that server is Ready, and follows it if the server is replaced.
	// +optional
	ServerRef *LocalObjectReference `json:"serverRef,omitempty"`

	// ServerID is the ID of a server not managed by a TransferServer.
	// +kubebuilder:validation:MaxLength=19
	// +kubebuilder:validation:XValidation:rule="self.matches('^s-[0-9a-f]{17}$')",message="must be a server ID: s- and 17 lowercase hex digits, such as s-0123456789abcdef0"
	// +optional
	ServerID string `json:"serverId,omitempty"`

	// Region of a server given by serverId. Default: the operator's configured region. With
	// serverRef the user is always in its TransferServer's region.
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]{2,}(-[a-z]+)+-[0-9]+$')",message="must be an AWS region name, such as eu-west-1"
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Region string `json:"region,omitempty"`

	// Account names the AWSAccount whose AWS account holds the server given by serverId. It
	// must list this namespace in its spec.namespaces. Default: the one AWSAccount that lists
	// this namespace, or the operator's own account when none does. With serverRef the user is
	// always in its TransferServer's account. Immutable (docs/accounts.md).
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="must name an AWSAccount"
	// +optional
	Account string `json:"account,omitempty"`

	// UserName in AWS: 3 to 100 letters, digits, underscores, at signs, dots and hyphens, not
	// starting with an at sign, dot or hyphen. Default: metadata.name. Immutable.
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:XValidation:rule="size(self) >= 3 && self.matches('^[[:word:]][[:word:]@.-]{2,99}$')",message="must be 3 to 100 characters: letters, digits and _@.-, not starting with @, . or -"
	// +optional
	UserName string `json:"userName,omitempty"`

	// Role is the ARN of the IAM role that gives the user access to S3 or EFS.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="size(self) >= 20 && self.matches('^arn:.*role/[^[:space:]]+$')",message="must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"
	// +required
	Role string `json:"role"`

	// HomeDirectoryType is PATH (clients see bucket or file system paths) or LOGICAL (clients see
	// the paths of homeDirectoryMappings).
	// +kubebuilder:validation:Enum=PATH;LOGICAL
	// +optional
	HomeDirectoryType string `json:"homeDirectoryType,omitempty"`

	// HomeDirectory is the landing directory, such as /bucket/home/alice. With homeDirectoryType
	// LOGICAL it is a path of the logical tree.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^(|/.*)$`
	// +optional
	HomeDirectory string `json:"homeDirectory,omitempty"`

	// HomeDirectoryMappings map the paths clients see to bucket or file system paths, in order.
	// They are required by homeDirectoryType LOGICAL and refused with any other type.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50000
	// +listType=atomic
	// +optional
	HomeDirectoryMappings []HomeDirectoryMapEntry `json:"homeDirectoryMappings,omitempty"`

	// Policy is a session policy, as JSON, that narrows the role for this user. It is compared
	// with AWS as JSON: reformatting it changes nothing.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^\s*\{[\s\S]*\}\s*$`
	// +optional
	Policy string `json:"policy,omitempty"`

	// PosixProfile sets the POSIX identity of the user on EFS.
	// +optional
	PosixProfile *PosixProfile `json:"posixProfile,omitempty"`

	// SSHPublicKeys is the full set of the user's SSH public keys, in OpenSSH authorized_keys
	// form. Keys are compared by type and key material; the comment is ignored. Keys missing in
	// AWS are imported and keys not listed here are deleted: an empty list deletes them all,
	// while leaving the field out leaves the user's keys as they are.
	// +kubebuilder:validation:MaxItems=50
	// +listType=atomic
	// +optional
	SSHPublicKeys []SSHPublicKey `json:"sshPublicKeys"`

	// Tags are added to the user in AWS. Leaving the field out leaves the user's tags as they
	// are; an empty map removes them.
	// +optional
	Tags Tags `json:"tags"`

	// DeletionPolicy says whether deleting this object deletes the user in AWS (Delete, the
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

	// Adopt lets this object take over a user of the same name that already exists on the server
	// and was not created by it. Without it such a user is left alone and this object is Stalled.
	// +optional
	Adopt bool `json:"adopt,omitempty"`
}

// SSHPublicKey is a public key in OpenSSH authorized_keys form: type, base64 key, optional comment.
// AWS accepts RSA (ssh-rsa), ED25519 (ssh-ed25519) and ECDSA (ecdsa-sha2-nistp256, -nistp384,
// -nistp521) keys, and no other type, such as ssh-dss. Admission refuses a key whose body cannot
// be one of its type: ED25519 and ECDSA bodies have a fixed length and start with the encoded
// type, RSA bodies of 2048 bits or more are at least 372 characters (RFC 4253 section 6.6, RFC
// 5656 section 3.1, RFC 8709 section 4), so a key cut short when pasted is refused with a message.
// +kubebuilder:validation:MaxLength=2048
// +kubebuilder:validation:XValidation:rule="self.matches('^[[:space:]]*[a-z0-9-]+[[:blank:]]+([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?([[:blank:]]+[^[:cntrl:]]*)?[[:space:]]*$')",message="must be one line of a .pub file: the key type, its base64 body and an optional comment; this one is cut short, damaged or more than one line"
// +kubebuilder:validation:XValidation:rule="self.matches('^[[:space:]]*(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521)[[:space:]]')",message="AWS accepts only ssh-rsa, ssh-ed25519 and ecdsa-sha2-nistp256, -nistp384 and -nistp521 keys"
// +kubebuilder:validation:XValidation:rule="!self.matches('^[[:space:]]*ssh-ed25519[[:blank:]]') || self.matches('^[[:space:]]*ssh-ed25519[[:blank:]]+AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}([[:space:]]|$)')",message="an ssh-ed25519 key's body is 68 characters starting AAAAC3NzaC1lZDI1NTE5AAAAI; this one is cut short or damaged: paste the whole line of the .pub file"
// +kubebuilder:validation:XValidation:rule="!self.matches('^[[:space:]]*ecdsa-sha2-') || self.matches('^[[:space:]]*(ecdsa-sha2-nistp256[[:blank:]]+AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBB[A-Za-z0-9+/]{86}=|ecdsa-sha2-nistp384[[:blank:]]+AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhB[A-Za-z0-9+/]{129}==|ecdsa-sha2-nistp521[[:blank:]]+AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFB[A-Za-z0-9+/]{177}==)([[:space:]]|$)')",message="an ECDSA key's body has the length of its curve and starts with the curve's name encoded (AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY for nistp256); this one is cut short, damaged or of another curve: paste the whole line of the .pub file"
// +kubebuilder:validation:XValidation:rule="!self.matches('^[[:space:]]*ssh-rsa[[:blank:]]') || self.matches('^[[:space:]]*ssh-rsa[[:blank:]]+AAAAB3NzaC1yc2E[A-Za-z0-9+/]{357,}')",message="an ssh-rsa key's body starts AAAAB3NzaC1yc2E and is at least 372 characters (2048 bits, the least AWS accepts); this one is cut short, damaged or too small"
type SSHPublicKey string

// HomeDirectoryMapEntry maps one path clients see to a bucket or file system path.
type HomeDirectoryMapEntry struct {
	// Entry is the path clients see, such as /. A trailing ${Transfer:UserName} is allowed.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/.*$`
	// +required
	Entry string `json:"entry"`

	// Target is the bucket or file system path, such as /bucket/home/alice.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/.*$`
	// +required
	Target string `json:"target"`

	// Type is FILE or DIRECTORY. AWS defaults to DIRECTORY; a type left out is not compared.
	// +kubebuilder:validation:Enum=FILE;DIRECTORY
	// +optional
	Type string `json:"type,omitempty"`
}

// PosixProfile is the POSIX identity of a user on EFS.
type PosixProfile struct {
	// UID is the user ID.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	// +required
	UID int64 `json:"uid"`

	// GID is the primary group ID.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	// +required
	GID int64 `json:"gid"`

	// SecondaryGIDs are further group IDs, at most 16.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:Minimum=0
	// +kubebuilder:validation:items:Maximum=4294967295
	// +listType=atomic
	// +optional
	SecondaryGIDs []int64 `json:"secondaryGids,omitempty"`
}

// ImportedSSHPublicKey is an SSH key the operator found on the user in AWS.
type ImportedSSHPublicKey struct {
	// ID of the key in AWS.
	ID string `json:"id"`
	// Fingerprint is the SHA256 fingerprint of the key.
	Fingerprint string `json:"fingerprint"`
}

// TransferUserStatus is what the operator last observed of the user in AWS.
type TransferUserStatus struct {
	// ServerID of the server the user exists on.
	// +optional
	ServerID string `json:"serverId,omitempty"`

	// UserName in AWS.
	// +optional
	UserName string `json:"userName,omitempty"`

	// ARN of the user.
	// +optional
	ARN string `json:"arn,omitempty"`

	// Placement is where the resource lives, recorded when the operator creates or adopts it.
	Placement `json:",inline"`

	// SSHPublicKeys are the keys of the user in AWS, by ID and fingerprint.
	// +listType=atomic
	// +optional
	SSHPublicKeys []ImportedSSHPublicKey `json:"sshPublicKeys,omitempty"`

	// ObservedGeneration is the generation of the spec that AWS was last made to match.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// AppliedFields are the spec fields, of policy, homeDirectory, posixProfile and
	// homeDirectoryMappings, that the last successful pass applied. When policy or homeDirectory
	// leaves the spec, the operator clears it in AWS; AWS cannot clear posixProfile or
	// homeDirectoryMappings, so their removal is reported once in a NotCleared Warning Event and
	// they keep their value in AWS. A field never listed here is left as it is in AWS when the
	// spec omits it. An object without this list (one written before the operator recorded it)
	// has nothing recorded, so nothing is cleared until a pass succeeds. See
	// docs/field-removal.md.
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

// TransferUser is a user of an AWS Transfer Family server with a service-managed identity
// provider, with its home directory, session policy, POSIX profile and SSH keys.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tusr,categories=transfer
// +kubebuilder:printcolumn:name="Server",type=string,JSONPath=`.status.serverId`
// +kubebuilder:printcolumn:name="UserName",type=string,JSONPath=`.status.userName`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="has(self.spec.userName) || self.metadata.name.matches('^[A-Za-z0-9_][A-Za-z0-9_@.-]{2,99}$')",message="metadata.name is not a valid AWS user name (3 to 100 characters): set spec.userName"
type TransferUser struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired user.
	// +required
	Spec TransferUserSpec `json:"spec"`

	// Status is the user as last observed.
	// +optional
	Status TransferUserStatus `json:"status,omitempty"`
}

// TransferUserList is a list of TransferUsers.
// +kubebuilder:object:root=true
type TransferUserList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TransferUser `json:"items"`
}

// AWSUserName is the user's name in AWS: spec.userName, or metadata.name when that is unset.
func (u *TransferUser) AWSUserName() string {
	if u.Spec.UserName != "" {
		return u.Spec.UserName
	}
	return u.Name
}

// GetConditions returns the object's conditions.
func (u *TransferUser) GetConditions() []metav1.Condition { return u.Status.Conditions }

// SetConditions replaces the object's conditions.
func (u *TransferUser) SetConditions(c []metav1.Condition) { u.Status.Conditions = c }

// SetObservedGeneration records the generation whose spec AWS was last made to match.
func (u *TransferUser) SetObservedGeneration(g int64) { u.Status.ObservedGeneration = g }

// SetAppliedFields records the clearable spec fields a successful pass applied.
func (u *TransferUser) SetAppliedFields(f []string) { u.Status.AppliedFields = f }

// GetPlacement returns where the resource lives, as the status records it.
func (u *TransferUser) GetPlacement() *Placement { return &u.Status.Placement }

// GetDeletionPolicy returns spec.deletionPolicy.
func (u *TransferUser) GetDeletionPolicy() DeletionPolicy { return u.Spec.DeletionPolicy }

// GetManagementPolicy returns spec.managementPolicy.
func (u *TransferUser) GetManagementPolicy() ManagementPolicy { return u.Spec.ManagementPolicy }
