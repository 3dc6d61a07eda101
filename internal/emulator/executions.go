package emulator

import (
	"cmp"
	"maps"
	"slices"
)

// Workflow executions. With the data plane, a file an SFTP user uploads runs the workflow of
// the server's WorkflowDetails.OnUpload; a file still open when the session ends runs that of
// OnPartialUpload (SDK WorkflowDetails: "A partial upload occurs when a file is open when the
// session disconnects"). The steps run one after the other in the background (steps.go); the
// first that fails ends them, and the OnExceptionSteps run (user guide, "Exception handling for
// a workflow"). ListExecutions and DescribeExecution report an execution while it runs, and
// only then: SDK DescribeExecution, "This API call only returns details for in-progress
// workflows. If you provide an ID for an execution that is not in progress [...] you receive a
// ResourceNotFound exception"; ListExecutions "Lists all in-progress executions". Finished
// executions, which AWS reports in CloudWatch only, stay readable through Executions and the
// admin API.

// Execution statuses, the ExecutionStatus enum of the service model.
const (
	ExecutionInProgress        = "IN_PROGRESS"
	ExecutionCompleted         = "COMPLETED"
	ExecutionException         = "EXCEPTION"
	ExecutionHandlingException = "HANDLING_EXCEPTION"
)

const resourceTypeExecution = "Execution"

// Execution is one run of a workflow on an uploaded file, with the members of the SDK's
// DescribedExecution.
type Execution struct {
	ExecutionID string `json:"ExecutionId"`
	// WorkflowID is the workflow that runs; DescribeExecution answers it beside the execution.
	WorkflowID           string `json:"WorkflowId"`
	ExecutionRole        string
	InitialFileLocation  FileLocation
	LoggingConfiguration *LoggingConfiguration `json:",omitempty"`
	PosixProfile         *PosixProfile         `json:",omitempty"`
	Results              ExecutionResults
	ServiceMetadata      ServiceMetadata
	Status               string
}

// FileLocation is a file in S3 or EFS (SDK FileLocation).
type FileLocation struct {
	S3FileLocation  *S3FileLocation  `json:",omitempty"`
	EfsFileLocation *EfsFileLocation `json:",omitempty"`
}

// S3FileLocation is an S3 object and its ETag (SDK S3FileLocation); the emulator's S3 keeps no
// versions.
type S3FileLocation struct {
	Bucket string
	Key    string
	Etag   string `json:",omitempty"`
}

// LoggingConfiguration is the server's logging role (SDK LoggingConfiguration).
type LoggingConfiguration struct {
	LoggingRole string `json:",omitempty"`
}

// ExecutionResults are the results of the steps that ran, in order.
type ExecutionResults struct {
	Steps            []ExecutionStepResult `json:",omitempty"`
	OnExceptionSteps []ExecutionStepResult `json:",omitempty"`
}

// ExecutionStepResult is the result of one step: its type, the tags a TAG step applied (as
// JSON, the model's StepResultOutputsJson) and its error, if it failed.
type ExecutionStepResult struct {
	StepType string
	Outputs  string          `json:",omitempty"`
	Error    *ExecutionError `json:",omitempty"`
}

// ExecutionError is why a step failed; Type is one of the model's ExecutionErrorType.
type ExecutionError struct {
	Type    string
	Message string
}

// ServiceMetadata names the session whose upload started an execution.
type ServiceMetadata struct {
	UserDetails UserDetails
}

// UserDetails is the server, user and SSH session of an upload.
type UserDetails struct {
	UserName  string
	ServerID  string `json:"ServerId"`
	SessionID string `json:"SessionId"`
}

// executionState is an execution and what its steps need; rec and wait are guarded by the
// account's mu, the rest never changes.
type executionState struct {
	rec Execution
	// seq orders the executions of a region by start.
	seq uint64
	// wait is the CUSTOM step waiting for SendWorkflowStepState, or nil.
	wait *stepWait

	region     string
	original   fileRef
	uploadDate string
	serverID   string
	userName   string
	sessionID  string
}

// stepWait is a CUSTOM step's callback token and where SendWorkflowStepState sends its status.
type stepWait struct {
	token  string
	status chan string
}

// executions is what a region knows of executions: every one by ID, and those in progress by
// workflow.
type executions struct {
	byID    map[string]*executionState
	running map[string]*records[executionState]
	seq     uint64
}

// runningOf returns the executions of a workflow in progress.
func (x *executions) runningOf(workflowID string) *records[executionState] {
	if x.running == nil {
		x.running = map[string]*records[executionState]{}
	}
	if x.running[workflowID] == nil {
		x.running[workflowID] = &records[executionState]{}
	}
	return x.running[workflowID]
}

func (executionState) family() family {
	return family{resourceType: resourceTypeExecution, unknown: "Unknown execution"}
}

func (x *executionState) finished() bool {
	return x.rec.Status == ExecutionCompleted || x.rec.Status == ExecutionException
}

func (x *executionState) clone() Execution {
	c := x.rec
	c.Results.Steps = slices.Clone(x.rec.Results.Steps)
	c.Results.OnExceptionSteps = slices.Clone(x.rec.Results.OnExceptionSteps)
	if x.rec.PosixProfile != nil {
		p := *x.rec.PosixProfile
		p.SecondaryGIDs = slices.Clone(p.SecondaryGIDs)
		c.PosixProfile = &p
	}
	return c
}

// startExecution records a new execution of the workflow a server runs for an upload, or
// returns nil when the server runs none (or names a workflow that no longer exists).
func (e *Emulator) startExecution(key serverKey, userName, sessionID string, file fileRef, initial FileLocation, partial bool) (*executionState, WorkflowRecord) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.serverLocked(key.region, key.serverID)
	if err != nil {
		return nil, WorkflowRecord{}
	}
	details := s.rec.WorkflowDetails.OnUpload
	if partial {
		details = s.rec.WorkflowDetails.OnPartialUpload
	}
	if len(details) == 0 {
		return nil, WorkflowRecord{}
	}
	r := e.regionLocked(key.region)
	wf, ok := r.workflows.lookup(details[0].WorkflowID)
	if !ok {
		return nil, WorkflowRecord{}
	}
	r.executions.seq++
	x := &executionState{
		seq:        r.executions.seq,
		region:     key.region,
		original:   file,
		uploadDate: e.clock.Now().UTC().Format("2006-01-02"),
		serverID:   key.serverID,
		userName:   userName,
		sessionID:  sessionID,
		rec: Execution{
			ExecutionID:         e.requestID(),
			WorkflowID:          wf.WorkflowID,
			ExecutionRole:       details[0].ExecutionRole,
			InitialFileLocation: initial,
			ServiceMetadata:     ServiceMetadata{UserDetails: UserDetails{UserName: userName, ServerID: key.serverID, SessionID: sessionID}},
			Status:              ExecutionInProgress,
		},
	}
	if s.rec.LoggingRole != "" {
		x.rec.LoggingConfiguration = &LoggingConfiguration{LoggingRole: s.rec.LoggingRole}
	}
	if u, ok := s.users.lookup(userName); ok && u.PosixProfile != nil && s.rec.Domain == domainEFS {
		p := *u.PosixProfile
		p.SecondaryGIDs = slices.Clone(p.SecondaryGIDs)
		x.rec.PosixProfile = &p
	}
	if r.executions.byID == nil {
		r.executions.byID = map[string]*executionState{}
	}
	r.executions.byID[x.rec.ExecutionID] = x
	r.executions.runningOf(wf.WorkflowID).insert(x.rec.ExecutionID, x)
	return x, wf.clone()
}

// recordStep appends the result of a step, or of an exception step.
func (e *Emulator) recordStep(x *executionState, res ExecutionStepResult, onException bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if onException {
		x.rec.Results.OnExceptionSteps = append(x.rec.Results.OnExceptionSteps, res)
		return
	}
	x.rec.Results.Steps = append(x.rec.Results.Steps, res)
}

// setExecutionStatus sets an execution's status; a finished execution leaves the listing of
// those in progress.
func (e *Emulator) setExecutionStatus(x *executionState, status string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x.rec.Status = status
	if x.finished() {
		e.regionLocked(x.region).executions.runningOf(x.rec.WorkflowID).delete(x.rec.ExecutionID)
	}
}

// Executions returns the executions of a workflow of Options.AccountID in region, in the order
// they started, finished ones included; AWS's API reports only those in progress.
func (e *Emulator) Executions(region, workflowID string) []Execution {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.regionLocked(region)
	states := slices.SortedFunc(maps.Values(r.executions.byID), func(a, b *executionState) int {
		return cmp.Compare(a.seq, b.seq)
	})
	out := []Execution{}
	for _, x := range states {
		if x.rec.WorkflowID == workflowID {
			out = append(out, x.clone())
		}
	}
	return out
}

type executionIDInput struct {
	WorkflowID  string `json:"WorkflowId"`
	ExecutionID string `json:"ExecutionId"`
}

type describeExecutionOutput struct {
	WorkflowID string `json:"WorkflowId"`
	Execution  describedExecution
}

// describedExecution is an Execution as DescribeExecution answers it, without WorkflowId: the
// shallower, empty WorkflowID hides the embedded one from encoding/json.
type describedExecution struct {
	Execution
	WorkflowID string `json:"WorkflowId,omitempty"`
}

type listExecutionsInput struct {
	listInput
	WorkflowID string `json:"WorkflowId"`
}

type listedExecution struct {
	ExecutionID         string `json:"ExecutionId"`
	InitialFileLocation FileLocation
	ServiceMetadata     ServiceMetadata
	Status              string
}

type listExecutionsOutput struct {
	WorkflowID string `json:"WorkflowId"`
	Executions []listedExecution
	NextToken  string `json:",omitempty"`
}

type sendWorkflowStepStateInput struct {
	WorkflowID  string `json:"WorkflowId"`
	ExecutionID string `json:"ExecutionId"`
	Token       string
	Status      string
}

// runningIn is the executions of a workflow in progress, or ResourceNotFoundException for an
// unknown workflow. An unknown execution, one of another workflow and one that has finished are
// not among them (SDK DescribeExecution).
func (e *Emulator) runningIn(regionName, workflowID string) scope[executionState] {
	return func() (*records[executionState], error) {
		r := e.regionLocked(regionName)
		if _, err := r.workflows.get(workflowID); err != nil {
			return nil, err
		}
		return r.executions.runningOf(workflowID), nil
	}
}

func (e *Emulator) describeExecution(regionName string, in *executionIDInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, err := e.runningIn(regionName, in.WorkflowID).get(in.ExecutionID)
	if err != nil {
		return nil, err
	}
	return describeExecutionOutput{WorkflowID: in.WorkflowID, Execution: describedExecution{Execution: x.clone()}}, nil
}

func (e *Emulator) listExecutions(regionName string, in *listExecutionsInput) (any, error) {
	listing := regionName + "/" + in.WorkflowID
	executions, next, err := list(e, in.listInput, "ListExecutions", listing, e.runningIn(regionName, in.WorkflowID), func(x *executionState) listedExecution {
		return listedExecution{
			ExecutionID: x.rec.ExecutionID, InitialFileLocation: x.rec.InitialFileLocation, ServiceMetadata: x.rec.ServiceMetadata, Status: x.rec.Status,
		}
	})
	if err != nil {
		return nil, err
	}
	return listExecutionsOutput{WorkflowID: in.WorkflowID, Executions: executions, NextToken: next}, nil
}

// sendWorkflowStepState delivers the callback of the CUSTOM step an execution waits for (SDK
// SendWorkflowStepState: "The ExecutionId, WorkflowId, and Token are passed to the target
// resource during execution of a custom step of a workflow. You must include those with their
// callback as well as providing a status"). An execution that does not wait for this token is
// refused with InvalidRequestException.
func (e *Emulator) sendWorkflowStepState(regionName string, in *sendWorkflowStepStateInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, err := e.runningIn(regionName, in.WorkflowID).get(in.ExecutionID)
	if err != nil {
		return nil, err
	}
	if x.wait == nil || x.wait.token != in.Token {
		return nil, errInvalidRequest("Execution %s has no custom step waiting for token %s", in.ExecutionID, in.Token)
	}
	x.wait.status <- in.Status
	x.wait = nil
	return nil, nil
}

// awaitCallback registers the token a CUSTOM step waits for and returns where its status
// arrives; the channel holds one status, so SendWorkflowStepState never blocks.
func (e *Emulator) awaitCallback(x *executionState) (token string, status <-chan string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w := &stepWait{token: e.randomHex(32), status: make(chan string, 1)}
	x.wait = w
	return w.token, w.status
}

// stopWaiting forgets a CUSTOM step's token once the step has ended.
func (e *Emulator) stopWaiting(x *executionState) {
	e.mu.Lock()
	x.wait = nil
	e.mu.Unlock()
}
