package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TransferAccessSpec is the desired access of a directory group to an AWS Transfer Family server
// whose users are in a directory (identityProviderType AWS_DIRECTORY_SERVICE): what the members
// of the group get when they log in. Only the fields set here are managed, as for TransferUser:
// policy and homeDirectory are cleared in AWS when they leave the spec after the operator applied
// them, and the removal of an applied posixProfile or homeDirectoryMappings, which AWS cannot
// clear, is reported in an Event (docs/field-removal.md).
//
// +kubebuilder:validation:XValidation:rule="has(self.serverRef) != has(self.serverId)",message="set exactly one of serverRef (a TransferServer in this namespace) and serverId (a server not managed here)"
// +kubebuilder:validation:XValidation:rule="has(self.serverRef) == has(oldSelf.serverRef) && (!has(self.serverRef) || self.serverRef.name == oldSelf.serverRef.name)",message="serverRef is immutable: create a new TransferAccess to give a group access to another server"
// +kubebuilder:validation:XValidation:rule="has(self.serverId) == has(oldSelf.serverId) && (!has(self.serverId) || self.serverId == oldSelf.serverId)",message="serverId is immutable: create a new TransferAccess to give a group access to another server"
// +kubebuilder:validation:XValidation:rule="self.externalId == oldSelf.externalId",message="externalId is immutable: AWS names an access by its group; create a new TransferAccess"
// +kubebuilder:validation:XValidation:rule="has(self.region) == has(oldSelf.region) && (!has(self.region) || self.region == oldSelf.region)",message="region is immutable"
// +kubebuilder:validation:XValidation:rule="has(self.account) == has(oldSelf.account) && (!has(self.account) || self.account == oldSelf.account)",message="account is immutable"
// +kubebuilder:validation:XValidation:rule="!has(self.homeDirectoryMappings) || (has(self.homeDirectoryType) && self.homeDirectoryType == 'LOGICAL')",message="homeDirectoryMappings need homeDirectoryType LOGICAL"
// +kubebuilder:validation:XValidation:rule="!has(self.homeDirectoryType) || self.homeDirectoryType != 'LOGICAL' || has(self.homeDirectoryMappings)",message="homeDirectoryType LOGICAL needs homeDirectoryMappings"
type TransferAccessSpec struct {
	// ServerRef names the TransferServer, in this namespace, that the group gets access to. The
	// access waits until that server is Ready, and follows it if the server is replaced.
	// +optional
	ServerRef *LocalObjectReference `json:"serverRef,omitempty"`

	// ServerID is the ID of a server not managed by a TransferServer.
	// +kubebuilder:validation:MaxLength=19
	// +kubebuilder:validation:XValidation:rule="self.matches('^s-[0-9a-f]{17}$')",message="must be a server ID: s- and 17 lowercase hex digits, such as s-0123456789abcdef0"
	// +optional
	ServerID string `json:"serverId,omitempty"`

	// Region of a server given by serverId. Default: the operator's configured region. With
	// serverRef the access is always in its TransferServer's region.
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]{2,}(-[a-z]+)+-[0-9]+$')",message="must be an AWS region name, such as eu-west-1"
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Region string `json:"region,omitempty"`

	// Account names the AWSAccount whose AWS account holds the server given by serverId. It
	// must list this namespace in its spec.namespaces. Default: the one AWSAccount that lists
	// this namespace, or the operator's own account when none does. With serverRef the access is
	// always in its TransferServer's account. Immutable (docs/accounts.md).
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="must name an AWSAccount"
	// +optional
	Account string `json:"account,omitempty"`

	// ExternalID is the security identifier (SID) of the directory group, such as
	// S-1-5-21-1004336348-1177238915-682003330-512 (PowerShell: Get-ADGroup -Filter
	// {samAccountName -like "Group*"} -Properties * | Select SamAccountName,ObjectSid). Immutable.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.matches('^S-1-[0-9-]+$')",message="must be the SID of a directory group, such as S-1-1-12-1234567890-123456789-1234567890-1234"
	// +required
	ExternalID string `json:"externalId"`

	// Role is the ARN of the IAM role that gives the group's members access to S3 or EFS.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="size(self) >= 20 && self.matches('^arn:.*role/[^[:space:]]+$')",message="must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"
	// +required
	Role string `json:"role"`

	// HomeDirectoryType is PATH (clients see bucket or file system paths) or LOGICAL (clients see
	// the paths of homeDirectoryMappings).
	// +kubebuilder:validation:Enum=PATH;LOGICAL
	// +optional
	HomeDirectoryType string `json:"homeDirectoryType,omitempty"`

	// HomeDirectory is the landing directory, such as /bucket/partners. With homeDirectoryType
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

	// Policy is a session policy, as JSON, that narrows the role for the group's members. It is
	// compared with AWS as JSON: reformatting it changes nothing.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^\s*\{[\s\S]*\}\s*$`
	// +optional
	Policy string `json:"policy,omitempty"`

	// PosixProfile sets the POSIX identity of the group's members on EFS.
	// +optional
	PosixProfile *PosixProfile `json:"posixProfile,omitempty"`

	// DeletionPolicy says whether deleting this object deletes the access in AWS (Delete, the
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

	// Adopt lets this object take over an access of the same group that already exists on the
	// server and was not created by it. Without it such an access is left alone and this object
	// is Stalled. AWS keeps no tags on accesses, so ownership is told by status: an access that
	// another TransferAccess has recorded is never adopted.
	// +optional
	Adopt bool `json:"adopt,omitempty"`
}

// TransferAccessStatus is what the operator last observed of the access in AWS.
type TransferAccessStatus struct {
	// ServerID of the server the access exists on.
	// +optional
	ServerID string `json:"serverId,omitempty"`

	// ExternalID of the group the access is for.
	// +optional
	ExternalID string `json:"externalId,omitempty"`

	// Placement is where the resource lives, recorded when the operator creates or adopts it.
	Placement `json:",inline"`

	// CreatePending is set, before CreateAccess is sent, to the server the access is being
	// created on; an access of the group found there on the next pass is this object's, made by
	// a create whose response was lost.
	// +optional
	CreatePending string `json:"createPending,omitempty"`

	// ObservedGeneration is the generation of the spec that AWS was last made to match.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// AppliedFields are the spec fields, of policy, homeDirectory, posixProfile and
	// homeDirectoryMappings, that the last successful pass applied; see TransferUser and
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

// TransferAccess is the access of a directory group (by its SID) to an AWS Transfer Family
// server whose users are in AWS Directory Service, with its role, home directory, session policy
// and POSIX profile.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tacc,categories=transfer
// +kubebuilder:printcolumn:name="Server",type=string,JSONPath=`.status.serverId`
// +kubebuilder:printcolumn:name="ExternalID",type=string,JSONPath=`.spec.externalId`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TransferAccess struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired access.
	// +required
	Spec TransferAccessSpec `json:"spec"`

	// Status is the access as last observed.
	// +optional
	Status TransferAccessStatus `json:"status,omitempty"`
}

// TransferAccessList is a list of TransferAccesses.
// +kubebuilder:object:root=true
type TransferAccessList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TransferAccess `json:"items"`
}

// GetConditions returns the object's conditions.
func (a *TransferAccess) GetConditions() []metav1.Condition { return a.Status.Conditions }

// SetConditions replaces the object's conditions.
func (a *TransferAccess) SetConditions(c []metav1.Condition) { a.Status.Conditions = c }

// SetObservedGeneration records the generation whose spec AWS was last made to match.
func (a *TransferAccess) SetObservedGeneration(g int64) { a.Status.ObservedGeneration = g }

// SetAppliedFields records the clearable spec fields a successful pass applied.
func (a *TransferAccess) SetAppliedFields(f []string) { a.Status.AppliedFields = f }

// GetPlacement returns where the resource lives, as the status records it.
func (a *TransferAccess) GetPlacement() *Placement { return &a.Status.Placement }

// GetDeletionPolicy returns spec.deletionPolicy.
func (a *TransferAccess) GetDeletionPolicy() DeletionPolicy { return a.Spec.DeletionPolicy }

// GetManagementPolicy returns spec.managementPolicy.
func (a *TransferAccess) GetManagementPolicy() ManagementPolicy { return a.Spec.ManagementPolicy }
