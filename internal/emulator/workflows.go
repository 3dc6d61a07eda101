package emulator

import (
	"fmt"
	"slices"
)

// Managed workflows. AWS has no UpdateWorkflow: a workflow keeps the steps it was created with,
// and only its tags change (TagResource, UntagResource). CreateServer and UpdateServer take
// WorkflowDetails naming any well-formed workflow ID: neither the SDK's documentation nor the
// errors quoted in terraform-provider-aws say what AWS answers for a workflow that does not
// exist, so the emulator invents no refusal.

const (
	resourceTypeWorkflow = "Workflow"

	stepCopy    = "COPY"
	stepCustom  = "CUSTOM"
	stepTag     = "TAG"
	stepDelete  = "DELETE"
	stepDecrypt = "DECRYPT"
)

// WorkflowStep is one step of a workflow, as CreateWorkflow takes it and DescribeWorkflow
// returns it: a type and the details block of that type.
type WorkflowStep struct {
	Type               string              `json:",omitempty"`
	CopyStepDetails    *CopyStepDetails    `json:",omitempty"`
	CustomStepDetails  *CustomStepDetails  `json:",omitempty"`
	DecryptStepDetails *DecryptStepDetails `json:",omitempty"`
	DeleteStepDetails  *DeleteStepDetails  `json:",omitempty"`
	TagStepDetails     *TagStepDetails     `json:",omitempty"`
}

// CopyStepDetails configure a COPY step.
type CopyStepDetails struct {
	Name                    string             `json:",omitempty"`
	DestinationFileLocation *InputFileLocation `json:",omitempty"`
	OverwriteExisting       string             `json:",omitempty"`
	SourceFileLocation      string             `json:",omitempty"`
}

// CustomStepDetails configure a CUSTOM step.
type CustomStepDetails struct {
	Name               string `json:",omitempty"`
	Target             string `json:",omitempty"`
	TimeoutSeconds     *int   `json:",omitempty"`
	SourceFileLocation string `json:",omitempty"`
}

// DecryptStepDetails configure a DECRYPT step.
type DecryptStepDetails struct {
	Name                    string             `json:",omitempty"`
	Type                    string             `json:",omitempty"`
	DestinationFileLocation *InputFileLocation `json:",omitempty"`
	OverwriteExisting       string             `json:",omitempty"`
	SourceFileLocation      string             `json:",omitempty"`
}

// DeleteStepDetails configure a DELETE step.
type DeleteStepDetails struct {
	Name               string `json:",omitempty"`
	SourceFileLocation string `json:",omitempty"`
}

// TagStepDetails configure a TAG step.
type TagStepDetails struct {
	Name               string  `json:",omitempty"`
	Tags               []S3Tag `json:",omitempty"`
	SourceFileLocation string  `json:",omitempty"`
}

// S3Tag is a tag a TAG step puts on a file.
type S3Tag struct {
	Key   string
	Value string
}

// InputFileLocation is a location in S3 or EFS.
type InputFileLocation struct {
	S3FileLocation  *S3InputFileLocation `json:",omitempty"`
	EfsFileLocation *EfsFileLocation     `json:",omitempty"`
}

// S3InputFileLocation is a bucket and key.
type S3InputFileLocation struct {
	Bucket string `json:",omitempty"`
	Key    string `json:",omitempty"`
}

// EfsFileLocation is a file system and path.
type EfsFileLocation struct {
	FileSystemID string `json:"FileSystemId,omitempty"`
	Path         string `json:",omitempty"`
}

// WorkflowRecord is everything the emulator stores about a workflow. Steps are kept as they were
// sent: no source says that DescribeWorkflow fills in the documented defaults of a step
// (OverwriteExisting FALSE, SourceFileLocation ${previous.file}), and terraform's
// aws_transfer_workflow declares source_file_location Optional, not Computed, which would show a
// difference on every plan if AWS reported a default it was not sent.
type WorkflowRecord struct {
	WorkflowID       string `json:"WorkflowId"`
	Arn              string
	Description      string         `json:",omitempty"`
	Steps            []WorkflowStep `json:",omitempty"`
	OnExceptionSteps []WorkflowStep `json:",omitempty"`
	Tags             []Tag          `json:",omitempty"`
}

func (WorkflowRecord) family() family {
	return family{resourceType: resourceTypeWorkflow, unknown: "Unknown workflow"}
}

func (w WorkflowRecord) clone() WorkflowRecord {
	c := w
	c.Steps = slices.Clone(w.Steps)
	c.OnExceptionSteps = slices.Clone(w.OnExceptionSteps)
	c.Tags = slices.Clone(w.Tags)
	return c
}

type createWorkflowInput struct {
	Description      *string
	Steps            []WorkflowStep
	OnExceptionSteps []WorkflowStep
	Tags             []Tag
}

type workflowIDInput struct {
	WorkflowID string `json:"WorkflowId"`
}

type workflowIDOutput struct {
	WorkflowID string `json:"WorkflowId"`
}

type describeWorkflowOutput struct {
	Workflow WorkflowRecord
}

type listedWorkflow struct {
	WorkflowID  string `json:"WorkflowId"`
	Description string `json:",omitempty"`
	Arn         string
}

type listWorkflowsOutput struct {
	Workflows []listedWorkflow
	NextToken string `json:",omitempty"`
}

// workflowsIn is the workflows of a region.
func (e *Emulator) workflowsIn(regionName string) scope[WorkflowRecord] {
	return func() (*records[WorkflowRecord], error) { return &e.regionLocked(regionName).workflows, nil }
}

// checkSteps applies the rules of workflow steps that the model's shapes cannot express:
//   - SDK WorkflowStep.Type: "the following step types are supported", each with its details
//     block (CopyStepDetails for COPY, and so on); a step is its type and that block.
//   - SDK CreateWorkflowInput.Steps: "Currently, copying and tagging are supported only on S3";
//     "For file location, you specify either the Amazon S3 bucket and key, or the Amazon EFS
//     file system ID and path".
func checkSteps(member string, steps []WorkflowStep) error {
	for i, s := range steps {
		at := fmt.Sprintf("%s.%d", member, i+1)
		blocks := map[string]bool{
			stepCopy: s.CopyStepDetails != nil, stepCustom: s.CustomStepDetails != nil, stepTag: s.TagStepDetails != nil,
			stepDelete: s.DeleteStepDetails != nil, stepDecrypt: s.DecryptStepDetails != nil,
		}
		if s.Type == "" {
			return errInvalidRequest("%s: a step needs a Type", at)
		}
		for typ, set := range blocks {
			if set && typ != s.Type {
				return errInvalidRequest("%s: a step of type %s cannot carry the details of a %s step", at, s.Type, typ)
			}
		}
		if !blocks[s.Type] {
			return errInvalidRequest("%s: a step of type %s needs its %s details", at, s.Type, s.Type)
		}
		var dest *InputFileLocation
		switch s.Type {
		case stepCopy:
			dest = s.CopyStepDetails.DestinationFileLocation
			if dest != nil && dest.EfsFileLocation != nil {
				return errInvalidRequest("%s: copying is supported only on S3", at)
			}
		case stepDecrypt:
			dest = s.DecryptStepDetails.DestinationFileLocation
		}
		if dest != nil && (dest.S3FileLocation == nil) == (dest.EfsFileLocation == nil) {
			return errInvalidRequest("%s: DestinationFileLocation needs either an S3FileLocation or an EfsFileLocation", at)
		}
	}
	return nil
}

func (e *Emulator) createWorkflow(regionName string, in *createWorkflowInput) (any, error) {
	if err := checkSteps("steps", in.Steps); err != nil {
		return nil, err
	}
	if err := checkSteps("onExceptionSteps", in.OnExceptionSteps); err != nil {
		return nil, err
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	rec := WorkflowRecord{Steps: slices.Clone(in.Steps), OnExceptionSteps: slices.Clone(in.OnExceptionSteps), Tags: tags}
	setString(&rec.Description, in.Description)

	e.mu.Lock()
	defer e.mu.Unlock()
	workflows := &e.regionLocked(regionName).workflows
	id := workflows.newID(e, "w-")
	rec.WorkflowID, rec.Arn = id, e.arn(regionName, "workflow/"+id)
	workflows.insert(id, &rec)
	return workflowIDOutput{WorkflowID: id}, nil
}

func (e *Emulator) describeWorkflow(regionName string, in *workflowIDInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, err := e.workflowsIn(regionName).get(in.WorkflowID)
	if err != nil {
		return nil, err
	}
	return describeWorkflowOutput{Workflow: w.clone()}, nil
}

// deleteWorkflow deletes a workflow that no server runs. One that a server's WorkflowDetails
// name is refused as the service refuses it: "InvalidRequestException: Workflow is still in use
// by server s-81c8f4c167ca42109" (hashicorp/terraform-provider-aws#31273).
func (e *Emulator) deleteWorkflow(regionName string, in *workflowIDInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.regionLocked(regionName)
	if _, err := r.workflows.get(in.WorkflowID); err != nil {
		return nil, err
	}
	if serverID := r.serverRunning(in.WorkflowID); serverID != "" {
		return nil, errInvalidRequest("Workflow is still in use by server %s", serverID)
	}
	_, err := r.workflows.delete(in.WorkflowID)
	return nil, err
}

// serverRunning returns the first server, in ID order, whose WorkflowDetails name the workflow,
// or "".
func (r *region) serverRunning(workflowID string) string {
	for _, s := range r.servers.all() {
		w := s.rec.WorkflowDetails
		for _, d := range slices.Concat(w.OnUpload, w.OnPartialUpload) {
			if d.WorkflowID == workflowID {
				return s.rec.ServerID
			}
		}
	}
	return ""
}

func (e *Emulator) listWorkflows(regionName string, in *listInput) (any, error) {
	workflows, next, err := list(e, *in, "ListWorkflows", regionName, e.workflowsIn(regionName), func(w *WorkflowRecord) listedWorkflow {
		return listedWorkflow{WorkflowID: w.WorkflowID, Description: w.Description, Arn: w.Arn}
	})
	if err != nil {
		return nil, err
	}
	return listWorkflowsOutput{Workflows: workflows, NextToken: next}, nil
}

// DeleteWorkflowOutOfBand deletes a workflow as another AWS user would, whether or not a server
// runs it.
func (e *Emulator) DeleteWorkflowOutOfBand(region, workflowID string) error {
	_, err := remove(e, e.workflowsIn(region), workflowID)
	return err
}
