package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AWSAccountSpec says which AWS account serves which namespaces, and the IAM role the operator
// assumes to act there.
//
// +kubebuilder:validation:XValidation:rule="self.roleARN.split(':')[4] == oldSelf.roleARN.split(':')[4]",message="the account of roleARN is immutable: the objects recorded in it are managed there; create another AWSAccount for another account (a role may be renamed within the account)"
type AWSAccountSpec struct {
	// RoleARN is the IAM role the operator assumes (sts:AssumeRole) to manage resources in the
	// account, such as arn:aws:iam::222233334444:role/transfer-operator. The account part cannot
	// change; the role's name can. docs/iam.md#several-accounts shows the trust policy it needs.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:aws[a-z-]*:iam::[0-9]{12}:role/[[:word:]+=,.@/-]+$')",message="must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>"
	// +required
	RoleARN string `json:"roleARN"`

	// ExternalID is passed to AssumeRole, for a role whose trust policy requires sts:ExternalId.
	// +kubebuilder:validation:MaxLength=1224
	// +kubebuilder:validation:XValidation:rule="size(self) >= 2 && self.matches('^[[:word:]+=,.@:/-]+$')",message="must be letters, digits and the characters _+=,.@:/- only (the characters STS allows in an external ID)"
	// +optional
	ExternalID string `json:"externalID,omitempty"`

	// Namespaces are those whose TransferServers, TransferUsers, TransferAccesses and
	// TransferWorkflows are managed in this account. An object in one of them that names no
	// spec.account is managed here when this is the only AWSAccount that lists its namespace;
	// an object's spec.account may name this AWSAccount only if its namespace is listed.
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=63
	// +optional
	Namespaces []string `json:"namespaces,omitempty"`

	// Regions are the AWS regions objects may create or adopt resources in through this
	// account; an object placed in another region is Stalled with reason RegionNotAllowed.
	// Empty: the operator's default region only. Resources already recorded in a region stay
	// managed there, whatever the list becomes.
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=32
	// +kubebuilder:validation:items:Pattern=`^[a-z]{2,}(-[a-z]+)+-[0-9]+$`
	// +optional
	Regions []string `json:"regions,omitempty"`

	// AllowAdoption lets objects in this account take over AWS resources they did not create
	// (a TransferServer's spec.serverId, a TransferWorkflow's spec.workflowId, spec.adopt of a
	// TransferUser or TransferAccess), which they then manage and, with deletionPolicy Delete,
	// delete. Off, such an object is Stalled with reason AdoptionNotAllowed: whoever edits a
	// namespace cannot take over, and delete, any resource in the account.
	// +optional
	AllowAdoption bool `json:"allowAdoption,omitempty"`
}

// AWSAccountStatus is what the operator last observed of the account.
type AWSAccountStatus struct {
	// AccountID is the 12-digit account of the role, as STS reported it once the role was
	// assumed.
	// +optional
	AccountID string `json:"accountId,omitempty"`

	// ObservedGeneration is the generation of the spec the conditions describe.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready when the operator assumed the role; Stalled (AssumeRoleFailed) when AWS
	// refused; Reconciling (InUse) while a deleted AWSAccount waits for the objects recorded in
	// it to be deleted.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AWSAccount maps namespaces to an AWS account, and names the IAM role the operator assumes
// there. It is cluster-scoped, so that only whoever may manage cluster-wide objects (the
// platform team) decides which namespaces are served in which account.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=awsacct,categories=transfer
// +kubebuilder:printcolumn:name="AccountID",type=string,JSONPath=`.status.accountId`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AWSAccount struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the account and the namespaces it serves.
	// +required
	Spec AWSAccountSpec `json:"spec"`

	// Status is the account as last observed.
	// +optional
	Status AWSAccountStatus `json:"status,omitempty"`
}

// AWSAccountList is a list of AWSAccounts.
// +kubebuilder:object:root=true
type AWSAccountList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AWSAccount `json:"items"`
}

// GetConditions returns the object's conditions.
func (a *AWSAccount) GetConditions() []metav1.Condition { return a.Status.Conditions }

// SetConditions replaces the object's conditions.
func (a *AWSAccount) SetConditions(c []metav1.Condition) { a.Status.Conditions = c }

// SetObservedGeneration records the generation of the spec the conditions describe.
func (a *AWSAccount) SetObservedGeneration(g int64) { a.Status.ObservedGeneration = g }

// SetAppliedFields does nothing: an AWSAccount applies no fields to AWS.
func (a *AWSAccount) SetAppliedFields([]string) {}
