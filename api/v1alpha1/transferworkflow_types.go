package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TransferWorkflowSpec is the desired state of an AWS Transfer Family managed workflow. AWS cannot
// change a workflow once it exists (the API has no UpdateWorkflow): when description, steps or
// onExceptionSteps change, the operator creates a new workflow, moves every TransferServer that
// references this object to it, and deletes the old one once no server in AWS uses it. Tags are
// changed in place. The field limits are those of the SDK's CreateWorkflowInput and WorkflowStep
// types (github.com/aws/aws-sdk-go-v2/service/transfer, service model transfer-2018-11-05).
//
// +kubebuilder:validation:XValidation:rule="has(self.workflowId) == has(oldSelf.workflowId) && (!has(self.workflowId) || self.workflowId == oldSelf.workflowId)",message="workflowId can only be set when the TransferWorkflow is created, and never changed: create another TransferWorkflow to manage another workflow"
// +kubebuilder:validation:XValidation:rule="has(self.region) == has(oldSelf.region) && (!has(self.region) || self.region == oldSelf.region)",message="region is immutable: a workflow cannot move between regions; create a new TransferWorkflow"
// +kubebuilder:validation:XValidation:rule="has(self.account) == has(oldSelf.account) && (!has(self.account) || self.account == oldSelf.account)",message="account is immutable: a workflow cannot move between accounts; create a new TransferWorkflow"
type TransferWorkflowSpec struct {
	// Region is the AWS region of the workflow. Default: the operator's configured region. A
	// server can run only the workflows of its own region.
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]{2,}(-[a-z]+)+-[0-9]+$')",message="must be an AWS region name, such as eu-west-1"
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Region string `json:"region,omitempty"`

	// Account names the AWSAccount whose AWS account the workflow is managed in. It must list this
	// namespace in its spec.namespaces. Default: the one AWSAccount that lists this namespace, or
	// the operator's own account when none does. Immutable (docs/accounts.md).
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="must name an AWSAccount"
	// +optional
	Account string `json:"account,omitempty"`

	// WorkflowID adopts an existing workflow instead of creating one. Set it when the
	// TransferWorkflow is created; it cannot be changed afterwards. An adopted workflow whose
	// steps differ from the spec is replaced like any other.
	// +kubebuilder:validation:MaxLength=19
	// +kubebuilder:validation:XValidation:rule="self.matches('^w-[a-z0-9]{17}$')",message="must be a workflow ID: w- and 17 lowercase letters or digits, such as w-0123456789abcdef0"
	// +optional
	WorkflowID string `json:"workflowId,omitempty"`

	// DeletionPolicy says whether deleting this object deletes the workflow in AWS (Delete, the
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

	// Description of the workflow: letters, digits, underscores, hyphens and spaces (SDK
	// CreateWorkflowInput.Description; model WorkflowDescription).
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[\w- ]*$`
	// +optional
	Description string `json:"description,omitempty"`

	// Steps run in order after a file is uploaded (SDK CreateWorkflowInput.Steps: at most 8).
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Steps []WorkflowStep `json:"steps,omitempty"`

	// OnExceptionSteps run when a step fails (SDK CreateWorkflowInput.OnExceptionSteps: at most
	// 8). A custom step fails when its Lambda function reports FAILURE or does not report SUCCESS
	// before its timeout.
	// +kubebuilder:validation:MaxItems=8
	// +optional
	OnExceptionSteps []WorkflowStep `json:"onExceptionSteps,omitempty"`

	// Tags of the workflow. They are changed in place, without replacing the workflow.
	// +optional
	Tags Tags `json:"tags,omitempty"`
}

// WorkflowStepType is the action of a workflow step (SDK WorkflowStepType).
// +kubebuilder:validation:Enum=COPY;CUSTOM;TAG;DELETE;DECRYPT
type WorkflowStepType string

// Workflow step types.
const (
	// WorkflowStepCopy copies the file to another location.
	WorkflowStepCopy WorkflowStepType = "COPY"
	// WorkflowStepCustom calls a Lambda function.
	WorkflowStepCustom WorkflowStepType = "CUSTOM"
	// WorkflowStepTag tags the file (S3 only).
	WorkflowStepTag WorkflowStepType = "TAG"
	// WorkflowStepDelete deletes the file.
	WorkflowStepDelete WorkflowStepType = "DELETE"
	// WorkflowStepDecrypt decrypts a PGP-encrypted file.
	WorkflowStepDecrypt WorkflowStepType = "DECRYPT"
)

// WorkflowStep is one step of a workflow: its type and the details block of that type (SDK
// WorkflowStep).
//
// +kubebuilder:validation:XValidation:rule="has(self.copyStepDetails) == (self.type == 'COPY')",message="a COPY step needs copyStepDetails, and only a COPY step takes them"
// +kubebuilder:validation:XValidation:rule="has(self.customStepDetails) == (self.type == 'CUSTOM')",message="a CUSTOM step needs customStepDetails, and only a CUSTOM step takes them"
// +kubebuilder:validation:XValidation:rule="has(self.tagStepDetails) == (self.type == 'TAG')",message="a TAG step needs tagStepDetails, and only a TAG step takes them"
// +kubebuilder:validation:XValidation:rule="has(self.deleteStepDetails) == (self.type == 'DELETE')",message="a DELETE step needs deleteStepDetails, and only a DELETE step takes them"
// +kubebuilder:validation:XValidation:rule="has(self.decryptStepDetails) == (self.type == 'DECRYPT')",message="a DECRYPT step needs decryptStepDetails, and only a DECRYPT step takes them"
type WorkflowStep struct {
	// Type of the step: COPY, CUSTOM, TAG, DELETE or DECRYPT.
	// +required
	Type WorkflowStepType `json:"type"`

	// CopyStepDetails configure a COPY step.
	// +optional
	CopyStepDetails *CopyStepDetails `json:"copyStepDetails,omitempty"`

	// CustomStepDetails configure a CUSTOM step.
	// +optional
	CustomStepDetails *CustomStepDetails `json:"customStepDetails,omitempty"`

	// TagStepDetails configure a TAG step.
	// +optional
	TagStepDetails *TagStepDetails `json:"tagStepDetails,omitempty"`

	// DeleteStepDetails configure a DELETE step.
	// +optional
	DeleteStepDetails *DeleteStepDetails `json:"deleteStepDetails,omitempty"`

	// DecryptStepDetails configure a DECRYPT step.
	// +optional
	DecryptStepDetails *DecryptStepDetails `json:"decryptStepDetails,omitempty"`
}

// OverwriteExisting says whether a step replaces a file of the same name (SDK OverwriteExisting).
// +kubebuilder:validation:Enum=TRUE;FALSE
type OverwriteExisting string

// CopyStepDetails copy the file to an S3 location (SDK CopyStepDetails; AWS copies only on S3).
type CopyStepDetails struct {
	// Name of the step, used as an identifier (model WorkflowStepName).
	// +kubebuilder:validation:MaxLength=30
	// +kubebuilder:validation:Pattern=`^[\w-]*$`
	// +optional
	Name string `json:"name,omitempty"`

	// DestinationFileLocation is where the file is copied to. ${Transfer:UserName} and
	// ${Transfer:UploadDate} in the key are replaced by the user's name and the upload date.
	// +optional
	DestinationFileLocation *InputFileLocation `json:"destinationFileLocation,omitempty"`

	// OverwriteExisting TRUE replaces a file of the same name; with FALSE, the default, the
	// workflow stops instead.
	// +optional
	OverwriteExisting OverwriteExisting `json:"overwriteExisting,omitempty"`

	// SourceFileLocation is the step's input: ${previous.file}, the default, or ${original.file}.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^\$\{(\w+.)+\w+\}$`
	// +optional
	SourceFileLocation string `json:"sourceFileLocation,omitempty"`
}

// CustomStepDetails call a Lambda function (SDK CustomStepDetails).
type CustomStepDetails struct {
	// Name of the step, used as an identifier.
	// +kubebuilder:validation:MaxLength=30
	// +kubebuilder:validation:Pattern=`^[\w-]*$`
	// +optional
	Name string `json:"name,omitempty"`

	// Target is the ARN of the Lambda function (model CustomStepTarget).
	// +kubebuilder:validation:MaxLength=170
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:[a-z-]+:lambda:.*$')",message="must be a Lambda function ARN: arn:aws:lambda:<region>:<12-digit account>:function:<name>"
	// +optional
	Target string `json:"target,omitempty"`

	// TimeoutSeconds the function has to report SUCCESS or FAILURE: 1 to 1800.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1800
	// +optional
	TimeoutSeconds *int32 `json:"timeoutSeconds,omitempty"`

	// SourceFileLocation is the step's input: ${previous.file}, the default, or ${original.file}.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^\$\{(\w+.)+\w+\}$`
	// +optional
	SourceFileLocation string `json:"sourceFileLocation,omitempty"`
}

// TagStepDetails tag the file in S3 (SDK TagStepDetails).
type TagStepDetails struct {
	// Name of the step, used as an identifier.
	// +kubebuilder:validation:MaxLength=30
	// +kubebuilder:validation:Pattern=`^[\w-]*$`
	// +optional
	Name string `json:"name,omitempty"`

	// Tags to put on the file: 1 to 10 (model S3Tags).
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	// +optional
	Tags []S3Tag `json:"tags,omitempty"`

	// SourceFileLocation is the step's input: ${previous.file}, the default, or ${original.file}.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^\$\{(\w+.)+\w+\}$`
	// +optional
	SourceFileLocation string `json:"sourceFileLocation,omitempty"`
}

// S3Tag is one tag a TAG step puts on a file (SDK S3Tag; model S3TagKey and S3TagValue).
type S3Tag struct {
	// Key of the tag.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`
	// +required
	Key string `json:"key"`

	// Value of the tag.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`
	// +required
	Value string `json:"value"`
}

// DeleteStepDetails delete the file (SDK DeleteStepDetails).
type DeleteStepDetails struct {
	// Name of the step, used as an identifier.
	// +kubebuilder:validation:MaxLength=30
	// +kubebuilder:validation:Pattern=`^[\w-]*$`
	// +optional
	Name string `json:"name,omitempty"`

	// SourceFileLocation is the step's input: ${previous.file}, the default, or ${original.file}.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^\$\{(\w+.)+\w+\}$`
	// +optional
	SourceFileLocation string `json:"sourceFileLocation,omitempty"`
}

// DecryptStepDetails decrypt a PGP-encrypted file (SDK DecryptStepDetails).
type DecryptStepDetails struct {
	// Name of the step, used as an identifier.
	// +kubebuilder:validation:MaxLength=30
	// +kubebuilder:validation:Pattern=`^[\w-]*$`
	// +optional
	Name string `json:"name,omitempty"`

	// Type of the encryption: only PGP exists.
	// +kubebuilder:validation:Enum=PGP
	// +required
	Type string `json:"type"`

	// DestinationFileLocation is where the decrypted file is written, in S3 or EFS.
	// +required
	DestinationFileLocation InputFileLocation `json:"destinationFileLocation"`

	// OverwriteExisting TRUE replaces a file of the same name; with FALSE, the default, the
	// workflow stops instead.
	// +optional
	OverwriteExisting OverwriteExisting `json:"overwriteExisting,omitempty"`

	// SourceFileLocation is the step's input: ${previous.file}, the default, or ${original.file}.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^\$\{(\w+.)+\w+\}$`
	// +optional
	SourceFileLocation string `json:"sourceFileLocation,omitempty"`
}

// InputFileLocation is a file location in S3 or in EFS (SDK InputFileLocation: "you specify
// either the Amazon S3 bucket and key, or the Amazon EFS file system ID and path").
//
// +kubebuilder:validation:XValidation:rule="has(self.s3FileLocation) != has(self.efsFileLocation)",message="set exactly one of s3FileLocation and efsFileLocation"
type InputFileLocation struct {
	// S3FileLocation is a bucket and key.
	// +optional
	S3FileLocation *S3InputFileLocation `json:"s3FileLocation,omitempty"`

	// EfsFileLocation is a file system and path.
	// +optional
	EfsFileLocation *EfsFileLocation `json:"efsFileLocation,omitempty"`
}

// S3InputFileLocation is a location in S3 (SDK S3InputFileLocation; model S3Bucket and S3Key).
type S3InputFileLocation struct {
	// Bucket name.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="size(self) >= 3 && self.matches('^[a-z0-9][.a-z0-9-]{1,61}[a-z0-9]$')",message="must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens"
	// +optional
	Bucket string `json:"bucket,omitempty"`

	// Key, or key prefix, in the bucket.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Key string `json:"key,omitempty"`
}

// EfsFileLocation is a location in EFS (SDK EfsFileLocation; model EfsFileSystemId and EfsPath).
type EfsFileLocation struct {
	// FileSystemID is the ID or ARN of the file system or access point.
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:XValidation:rule="self.matches('^(arn:aws[-a-z]*:elasticfilesystem:[0-9a-z:-]+:(access-point/fsap|file-system/fs)-[0-9a-f]{8,40}|fs(ap)?-[0-9a-f]{8,40})$')",message="must be an EFS file system or access point: its ID (fs-... or fsap-...) or ARN"
	// +optional
	FileSystemID string `json:"fileSystemId,omitempty"`

	// Path of the folder in the file system.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=65536
	// +optional
	Path string `json:"path,omitempty"`
}

// TransferWorkflowStatus is what the operator last observed of the workflow in AWS.
type TransferWorkflowStatus struct {
	// WorkflowID of the workflow in AWS that matches the spec, recorded as soon as it is created
	// or adopted. TransferServers that reference this object run this workflow.
	// +optional
	WorkflowID string `json:"workflowId,omitempty"`

	// ARN of the workflow.
	// +optional
	ARN string `json:"arn,omitempty"`

	// Placement is where the resource lives, recorded when the operator creates or adopts it.
	Placement `json:",inline"`

	// RetiredWorkflowIDs are workflows this object made or adopted that an earlier spec
	// described. Each is deleted once no server in AWS uses it any more; until then the object
	// is Reconciling with reason RetiringWorkflow.
	// +listType=set
	// +optional
	RetiredWorkflowIDs []string `json:"retiredWorkflowIds,omitempty"`

	// CreatePending is true from just before CreateWorkflow is sent until the new workflow's ID
	// is recorded. Seen without a workflowId, it means an earlier create's outcome is unknown,
	// and the operator looks the workflow up by its ownership tag before creating another.
	// +optional
	CreatePending bool `json:"createPending,omitempty"`

	// ObservedGeneration is the generation of the spec that AWS was last made to match.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready, Reconciling and Stalled, following the kstatus conventions, and
	// LocationChanged when the default region or the account mapping moved away from where the resource
	// was recorded.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// TransferWorkflow is an AWS Transfer Family managed workflow, run by servers after uploads.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tfw,categories=transfer
// +kubebuilder:printcolumn:name="WorkflowID",type=string,JSONPath=`.status.workflowId`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TransferWorkflow struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired workflow.
	// +optional
	Spec TransferWorkflowSpec `json:"spec,omitempty"`

	// Status is the workflow as last observed.
	// +optional
	Status TransferWorkflowStatus `json:"status,omitempty"`
}

// TransferWorkflowList is a list of TransferWorkflows.
// +kubebuilder:object:root=true
type TransferWorkflowList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TransferWorkflow `json:"items"`
}

// GetConditions returns the object's conditions.
func (w *TransferWorkflow) GetConditions() []metav1.Condition { return w.Status.Conditions }

// SetConditions replaces the object's conditions.
func (w *TransferWorkflow) SetConditions(c []metav1.Condition) { w.Status.Conditions = c }

// SetObservedGeneration records the generation whose spec AWS was last made to match.
func (w *TransferWorkflow) SetObservedGeneration(g int64) { w.Status.ObservedGeneration = g }

// SetAppliedFields does nothing: a workflow has no field AWS clears when it leaves the spec (a
// changed spec makes a new workflow).
func (w *TransferWorkflow) SetAppliedFields([]string) {}

// GetPlacement returns where the resource lives, as the status records it.
func (w *TransferWorkflow) GetPlacement() *Placement { return &w.Status.Placement }

// GetDeletionPolicy returns spec.deletionPolicy.
func (w *TransferWorkflow) GetDeletionPolicy() DeletionPolicy { return w.Spec.DeletionPolicy }

// GetManagementPolicy returns spec.managementPolicy.
func (w *TransferWorkflow) GetManagementPolicy() ManagementPolicy { return w.Spec.ManagementPolicy }
