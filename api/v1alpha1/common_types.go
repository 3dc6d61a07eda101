package v1alpha1

// DeletionPolicy says what happens in AWS when the Kubernetes object is deleted.
// +kubebuilder:validation:Enum=Delete;Retain
type DeletionPolicy string

const (
	// DeletionPolicyDelete deletes the AWS resource, then releases the object.
	DeletionPolicyDelete DeletionPolicy = "Delete"
	// DeletionPolicyRetain releases the object and leaves the AWS resource as it is.
	DeletionPolicyRetain DeletionPolicy = "Retain"
)

// ManagementPolicy says what the operator may do with an object's AWS resource.
// +kubebuilder:validation:Enum=Manage;Observe
type ManagementPolicy string

const (
	// ManagementPolicyManage creates, updates and deletes the resource to match the spec.
	ManagementPolicyManage ManagementPolicy = "Manage"
	// ManagementPolicyObserve only reads the resource: the operator reports it, and the fields
	// that differ from the spec, in the conditions, and never writes to AWS; deleting the object
	// only releases it.
	ManagementPolicyObserve ManagementPolicy = "Observe"
)

// SecretKeySelector names one key of a Secret in the object's own namespace.
type SecretKeySelector struct {
	// Name of the Secret, in the same namespace as the object that refers to it.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="must name a Secret in the same namespace"
	// +required
	Name string `json:"name"`

	// Key within the Secret's data.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-._a-zA-Z0-9]+$')",message="must be a Secret data key: letters, digits, '-', '_' and '.'"
	// +required
	Key string `json:"key"`
}

// LocalObjectReference names an object in the referring object's own namespace. It has no
// namespace field on purpose: references across namespaces are impossible by construction.
type LocalObjectReference struct {
	// Name of the object.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="size(self) > 0",message="must name an object in the same namespace"
	// +required
	Name string `json:"name"`
}

// Tags are AWS resource tags as a map. Keys under the operator's own prefix
// (transfer.operators.dev/) and AWS reserved keys (aws:) cannot be set here; the only aws: tags
// AWS lets users write, a server's custom hostname tags, are set with spec.customHostname. At
// most 48 fit: AWS allows 50 tags on a server or user (the model's Tags shape: max 50), and the
// operator adds two bookkeeping tags of its own (owner-uid and owner) to every resource it
// manages. The model sets no character rules for tag keys and values, only their lengths.
// +kubebuilder:validation:MaxProperties=48
// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) >= 1 && size(k) <= 128)",message="tag keys must be 1 to 128 characters"
// +kubebuilder:validation:XValidation:rule="self.all(k, size(self[k]) <= 256)",message="tag values must be at most 256 characters"
// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('aws:'))",message="tag keys starting with aws: are reserved by AWS; set a server's custom hostname with spec.customHostname"
// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('transfer.operators.dev/'))",message="tag keys starting with transfer.operators.dev/ are reserved for the operator's bookkeeping"
type Tags map[string]string

// ReconcileRequestAnnotation, set or changed on a TransferServer or TransferUser, makes the
// operator compare it with AWS at once, as a resync would: the way to retry a Stalled object after
// fixing its cause outside Kubernetes.
const ReconcileRequestAnnotation = "transfer.operators.dev/reconcile-requested-at"

// PausedAnnotation, set to "true" on an object of any kind, pauses its reconciliation: the
// operator reads nothing from AWS and writes nothing there, does not delete the object's
// resource (a deleted object keeps its finalizer), and says so in the Paused condition, until
// the annotation is removed or set to anything else. Crossplane's crossplane.io/paused is the
// model.
const PausedAnnotation = "transfer.operators.dev/paused"

// Condition types, following the kstatus conventions (sigs.k8s.io/cli-utils/pkg/kstatus).
const (
	// ConditionReady is True when AWS matches the spec of observedGeneration.
	ConditionReady = "Ready"
	// ConditionReconciling is True while the operator is working towards the spec.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when retrying cannot help until the spec or AWS changes.
	ConditionStalled = "Stalled"
	// ConditionLocationChanged is True when the place the object would resolve to today (the
	// operator's default region, the AWSAccount that serves its namespace) is not where its AWS
	// resource was recorded. The operator keeps
	// managing the resource where it was recorded; the condition says what changed.
	ConditionLocationChanged = "LocationChanged"
	// ConditionConnected is the outcome of a TransferConnector's last TestConnection: True when
	// the connector reached its partner and logged in. It is not part of Ready: the partner's
	// side can change without the connector being wrong.
	ConditionConnected = "Connected"
	// ConditionDrifted is set while managementPolicy is Observe: True when the resource differs
	// from the spec, its message listing the fields that Manage would change; False when they
	// match.
	ConditionDrifted = "Drifted"
	// ConditionPaused is True while the object carries PausedAnnotation; the other conditions
	// then describe the last pass before the pause.
	ConditionPaused = "Paused"
)

// Condition reasons. Each is CamelCase and stable: alerts and runbooks may match on them.
const (
	// ReasonReconciled: AWS matches the spec.
	ReasonReconciled = "Reconciled"
	// ReasonCreating: the AWS resource is being created.
	ReasonCreating = "Creating"
	// ReasonUpdating: an update is being applied.
	ReasonUpdating = "Updating"
	// ReasonStopping: the server is stopping, because it was asked to or to apply an OFFLINE-only change.
	ReasonStopping = "Stopping"
	// ReasonStarting: the server is starting.
	ReasonStarting = "Starting"
	// ReasonDeleting: the AWS resource is being deleted.
	ReasonDeleting = "Deleting"
	// ReasonWaitingForUsers: deletion waits for the server's TransferUsers and TransferAccesses to be
	// deleted first.
	ReasonWaitingForUsers = "WaitingForUsers"
	// ReasonServerNotReady: the TransferServer of a user or an access is missing or not Ready.
	ReasonServerNotReady = "ServerNotReady"
	// ReasonWorkflowNotReady: a TransferWorkflow the server references is missing or not Ready.
	ReasonWorkflowNotReady = "WorkflowNotReady"
	// ReasonRetiringWorkflow: the workflow matches the spec; the workflows it replaced are
	// deleted once no server runs them.
	ReasonRetiringWorkflow = "RetiringWorkflow"
	// ReasonWorkflowInUse: deletion waits until no TransferServer references the workflow and
	// no server in AWS runs it.
	ReasonWorkflowInUse = "WorkflowInUse"
	// ReasonAlreadyExists: a user of that name exists and was not created by this object.
	ReasonAlreadyExists = "AlreadyExists"
	// ReasonNotFound: the AWS resource named in the spec does not exist.
	ReasonNotFound = "NotFound"
	// ReasonInvalidSpec: AWS rejected the request as invalid, or the spec cannot be sent as it is.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonAccessDenied: the operator's AWS identity may not do what the spec needs.
	ReasonAccessDenied = "AccessDenied"
	// ReasonInvalidCredentials: the operator has no AWS credentials, or AWS did not accept them
	// (unknown access key, bad signature, expired token).
	ReasonInvalidCredentials = "InvalidCredentials"
	// ReasonUnsupportedOperation: the AWS endpoint does not offer an operation the object needs.
	ReasonUnsupportedOperation = "UnsupportedOperation"
	// ReasonOwnedByAnother: the AWS resource is managed by another live object (its ownership
	// tags name it); this object makes no change to it and deleting this object leaves it alone.
	ReasonOwnedByAnother = "OwnedByAnother"
	// ReasonDefaultRegionChanged: the object names no region and the operator's default region
	// is no longer the one its AWS resource was recorded in; the resource stays where it is.
	ReasonDefaultRegionChanged = "DefaultRegionChanged"
	// ReasonAccountMappingChanged: the AWSAccount the object resolves to today (by spec.account
	// or by the namespaces AWSAccounts list) is not the account its AWS resource was recorded in;
	// the resource stays where it is.
	ReasonAccountMappingChanged = "AccountMappingChanged"
	// ReasonAssumeRoleFailed: AWS refused to let the operator assume an AWSAccount's role.
	ReasonAssumeRoleFailed = "AssumeRoleFailed"
	// ReasonAccountUnavailable: the AWSAccount the object was recorded in is gone, or now names
	// another account.
	ReasonAccountUnavailable = "AccountUnavailable"
	// ReasonAccountNotPermitted: spec.account names an AWSAccount that does not serve the
	// object's namespace, or that does not exist.
	ReasonAccountNotPermitted = "AccountNotPermitted"
	// ReasonAccountAmbiguous: several AWSAccounts serve the object's namespace and the object
	// names none of them in spec.account.
	ReasonAccountAmbiguous = "AccountAmbiguous"
	// ReasonRegionNotAllowed: the object's region is not one its account serves (AWSAccount
	// spec.regions, or the operator's --regions for its own account).
	ReasonRegionNotAllowed = "RegionNotAllowed"
	// ReasonAdoptionNotAllowed: the object would take over an AWS resource it did not create,
	// and its account does not allow adoption (AWSAccount spec.allowAdoption, or the operator's
	// --allow-adoption for its own account).
	ReasonAdoptionNotAllowed = "AdoptionNotAllowed"
	// ReasonInUse: a deleted AWSAccount waits until no object is recorded in it.
	ReasonInUse = "InUse"
	// ReasonSecretNotFound: a referenced Secret or key in it is missing.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonInvalidHostKey: the host key in the Secret cannot be parsed as an SSH private key.
	ReasonInvalidHostKey = "InvalidHostKey"
	// ReasonServerFailed: the server is in START_FAILED or STOP_FAILED.
	ReasonServerFailed = "ServerFailed"
	// ReasonAWSError: a transient AWS or network error; the operator retries with backoff.
	ReasonAWSError = "AWSError"
	// ReasonObserved: managementPolicy is Observe and the resource was read (Ready).
	ReasonObserved = "Observed"
	// ReasonFieldsDiffer: observed, the resource differs from the spec (Drifted).
	ReasonFieldsDiffer = "FieldsDiffer"
	// ReasonMatchesSpec: observed, the resource matches the spec (Drifted False).
	ReasonMatchesSpec = "MatchesSpec"
	// ReasonReconcilePaused: the object carries PausedAnnotation (Paused).
	ReasonReconcilePaused = "ReconcilePaused"
	// ReasonConnectorErrored: AWS reports the connector ERRORED, with its error message.
	ReasonConnectorErrored = "ConnectorErrored"
	// ReasonConnectionSucceeded: TestConnection reached the partner and logged in (Connected).
	ReasonConnectionSucceeded = "ConnectionSucceeded"
	// ReasonConnectionFailed: TestConnection did not reach the partner or log in (Connected).
	ReasonConnectionFailed = "ConnectionFailed"
	// ReasonHostKeyNotTrusted: the partner presented a host key spec.sftpConfig.trustedHostKeys
	// does not list (Connected).
	ReasonHostKeyNotTrusted = "HostKeyNotTrusted"
)

// Placement is where an object's AWS resource lives: the region and account recorded when the
// operator creates or adopts it, or writes its intent to create it. Every later call, and
// deletion, goes there, whatever the operator's default region or the mapping of namespaces to
// accounts becomes. Every kind's status holds it inline.
type Placement struct {
	// Region the resource lives in. Every later call, and deletion, goes to this region.
	// +optional
	Region string `json:"region,omitempty"`

	// Account is the AWSAccount the resource was created or adopted through; "" is the
	// operator's own credentials. Every later call, and deletion, goes through it, whatever the
	// mapping of namespaces to accounts becomes.
	// +optional
	Account string `json:"account,omitempty"`

	// AccountID is the 12-digit AWS account the resource lives in, recorded with it.
	// +optional
	AccountID string `json:"accountId,omitempty"`
}
