package transfer

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// DesiredWorkflow is everything a workflow should be: the spec and the bookkeeping tags.
type DesiredWorkflow struct {
	Spec *v1alpha1.TransferWorkflowSpec
	// OwnerTags are the bookkeeping tags (OwnerTags).
	OwnerTags map[string]string
}

// Workflow is a workflow as DescribeWorkflow reported it.
type Workflow struct {
	ID   string
	ARN  string
	Tags map[string]string

	described types.DescribedWorkflow
}

func workflowFromDescribed(d *types.DescribedWorkflow) *Workflow {
	return &Workflow{ID: aws.ToString(d.WorkflowId), ARN: aws.ToString(d.Arn), Tags: tagsToMap(d.Tags), described: *d}
}

// createWorkflowInput is the CreateWorkflow request for d: the description, the steps (Steps is
// required: an empty list when the spec has none) and the spec's and bookkeeping tags.
func createWorkflowInput(d DesiredWorkflow) *transfer.CreateWorkflowInput {
	s := d.Spec
	in := &transfer.CreateWorkflowInput{
		Description: optString(s.Description),
		Steps:       sdkSteps(s.Steps),
		Tags:        tagsFromMap(mergeTags(s.Tags, d.OwnerTags)),
	}
	if in.Steps == nil {
		in.Steps = []types.WorkflowStep{}
	}
	if len(s.OnExceptionSteps) > 0 {
		in.OnExceptionSteps = sdkSteps(s.OnExceptionSteps)
	}
	return in
}

// WorkflowPlan is what must be done to make a described workflow match a DesiredWorkflow.
type WorkflowPlan struct {
	// Replace lists the spec fields that differ from AWS, sorted: AWS has no UpdateWorkflow, so
	// any of them means a new workflow.
	Replace []string
	// AddTags are tags to set; RemoveTags are tag keys to delete. Tags change in place.
	AddTags    map[string]string
	RemoveTags []string
}

// InSync reports whether nothing needs doing.
func (p WorkflowPlan) InSync() bool {
	return len(p.Replace) == 0 && len(p.AddTags) == 0 && len(p.RemoveTags) == 0
}

// Defaults of step fields nobody set (SDK CopyStepDetails and DecryptStepDetails
// OverwriteExisting: "The default is FALSE"; SourceFileLocation of every step: "${previous.file}
// ... This is the default value"). A field left out and a field set to its default are the same
// step, whether or not AWS reports the default.
const (
	defaultOverwriteExisting  = v1alpha1.OverwriteExisting(types.OverwriteExistingFalse)
	defaultSourceFileLocation = "${previous.file}"
)

// PlanWorkflow compares a DesiredWorkflow with the described workflow. It is pure. Description,
// steps and exception steps are compared as a whole, each step with the defaults AWS documents
// filled in on both sides; tags are compared as DiffTags does.
func PlanWorkflow(d DesiredWorkflow, observed *Workflow) WorkflowPlan {
	s, o := d.Spec, &observed.described
	var p WorkflowPlan
	if s.Description != aws.ToString(o.Description) {
		p.Replace = append(p.Replace, "description")
	}
	if !sameSteps(s.Steps, stepsFromSDK(o.Steps)) {
		p.Replace = append(p.Replace, "steps")
	}
	if !sameSteps(s.OnExceptionSteps, stepsFromSDK(o.OnExceptionSteps)) {
		p.Replace = append(p.Replace, "onExceptionSteps")
	}
	slices.Sort(p.Replace)
	p.AddTags, p.RemoveTags = DiffTags(s.Tags, d.OwnerTags, observed.Tags)
	return p
}

// sameSteps reports whether two step lists are the same steps, in the same order, once the
// documented defaults are filled in.
func sameSteps(a, b []v1alpha1.WorkflowStep) bool {
	return reflect.DeepEqual(normalSteps(a), normalSteps(b))
}

// normalSteps returns a copy of steps with the documented defaults filled in; no steps is nil.
func normalSteps(steps []v1alpha1.WorkflowStep) []v1alpha1.WorkflowStep {
	if len(steps) == 0 {
		return nil
	}
	out := make([]v1alpha1.WorkflowStep, 0, len(steps))
	for _, st := range steps {
		st = *st.DeepCopy()
		source := func(v *string) {
			if *v == "" {
				*v = defaultSourceFileLocation
			}
		}
		overwrite := func(v *v1alpha1.OverwriteExisting) {
			if *v == "" {
				*v = defaultOverwriteExisting
			}
		}
		if c := st.CopyStepDetails; c != nil {
			source(&c.SourceFileLocation)
			overwrite(&c.OverwriteExisting)
		}
		if c := st.CustomStepDetails; c != nil {
			source(&c.SourceFileLocation)
		}
		if c := st.TagStepDetails; c != nil {
			source(&c.SourceFileLocation)
			if len(c.Tags) == 0 {
				c.Tags = nil
			}
		}
		if c := st.DeleteStepDetails; c != nil {
			source(&c.SourceFileLocation)
		}
		if c := st.DecryptStepDetails; c != nil {
			source(&c.SourceFileLocation)
			overwrite(&c.OverwriteExisting)
		}
		out = append(out, st)
	}
	return out
}

// sdkSteps converts spec steps to the SDK's; no steps is nil.
func sdkSteps(steps []v1alpha1.WorkflowStep) []types.WorkflowStep {
	var out []types.WorkflowStep
	for _, st := range steps {
		w := types.WorkflowStep{Type: types.WorkflowStepType(st.Type)}
		if c := st.CopyStepDetails; c != nil {
			w.CopyStepDetails = &types.CopyStepDetails{
				Name: optString(c.Name), DestinationFileLocation: sdkLocation(c.DestinationFileLocation),
				OverwriteExisting: types.OverwriteExisting(c.OverwriteExisting), SourceFileLocation: optString(c.SourceFileLocation),
			}
		}
		if c := st.CustomStepDetails; c != nil {
			w.CustomStepDetails = &types.CustomStepDetails{
				Name: optString(c.Name), Target: optString(c.Target), TimeoutSeconds: c.TimeoutSeconds, SourceFileLocation: optString(c.SourceFileLocation),
			}
		}
		if c := st.TagStepDetails; c != nil {
			w.TagStepDetails = &types.TagStepDetails{Name: optString(c.Name), SourceFileLocation: optString(c.SourceFileLocation)}
			for _, t := range c.Tags {
				w.TagStepDetails.Tags = append(w.TagStepDetails.Tags, types.S3Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
			}
		}
		if c := st.DeleteStepDetails; c != nil {
			w.DeleteStepDetails = &types.DeleteStepDetails{Name: optString(c.Name), SourceFileLocation: optString(c.SourceFileLocation)}
		}
		if c := st.DecryptStepDetails; c != nil {
			w.DecryptStepDetails = &types.DecryptStepDetails{
				Name: optString(c.Name), Type: types.EncryptionType(c.Type), DestinationFileLocation: sdkLocation(&c.DestinationFileLocation),
				OverwriteExisting: types.OverwriteExisting(c.OverwriteExisting), SourceFileLocation: optString(c.SourceFileLocation),
			}
		}
		out = append(out, w)
	}
	return out
}

func sdkLocation(l *v1alpha1.InputFileLocation) *types.InputFileLocation {
	if l == nil {
		return nil
	}
	out := &types.InputFileLocation{}
	if s := l.S3FileLocation; s != nil {
		out.S3FileLocation = &types.S3InputFileLocation{Bucket: optString(s.Bucket), Key: optString(s.Key)}
	}
	if e := l.EfsFileLocation; e != nil {
		out.EfsFileLocation = &types.EfsFileLocation{FileSystemId: optString(e.FileSystemID), Path: optString(e.Path)}
	}
	return out
}

// stepsFromSDK converts the SDK's steps, as DescribeWorkflow reports them, to spec steps.
func stepsFromSDK(steps []types.WorkflowStep) []v1alpha1.WorkflowStep {
	var out []v1alpha1.WorkflowStep
	for _, w := range steps {
		st := v1alpha1.WorkflowStep{Type: v1alpha1.WorkflowStepType(w.Type)}
		if c := w.CopyStepDetails; c != nil {
			st.CopyStepDetails = &v1alpha1.CopyStepDetails{
				Name: aws.ToString(c.Name), DestinationFileLocation: locationFromSDK(c.DestinationFileLocation),
				OverwriteExisting: v1alpha1.OverwriteExisting(c.OverwriteExisting), SourceFileLocation: aws.ToString(c.SourceFileLocation),
			}
		}
		if c := w.CustomStepDetails; c != nil {
			st.CustomStepDetails = &v1alpha1.CustomStepDetails{
				Name: aws.ToString(c.Name), Target: aws.ToString(c.Target), TimeoutSeconds: c.TimeoutSeconds, SourceFileLocation: aws.ToString(c.SourceFileLocation),
			}
		}
		if c := w.TagStepDetails; c != nil {
			st.TagStepDetails = &v1alpha1.TagStepDetails{Name: aws.ToString(c.Name), SourceFileLocation: aws.ToString(c.SourceFileLocation)}
			for _, t := range c.Tags {
				st.TagStepDetails.Tags = append(st.TagStepDetails.Tags, v1alpha1.S3Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
			}
		}
		if c := w.DeleteStepDetails; c != nil {
			st.DeleteStepDetails = &v1alpha1.DeleteStepDetails{Name: aws.ToString(c.Name), SourceFileLocation: aws.ToString(c.SourceFileLocation)}
		}
		if c := w.DecryptStepDetails; c != nil {
			st.DecryptStepDetails = &v1alpha1.DecryptStepDetails{
				Name: aws.ToString(c.Name), Type: string(c.Type), OverwriteExisting: v1alpha1.OverwriteExisting(c.OverwriteExisting),
				SourceFileLocation: aws.ToString(c.SourceFileLocation),
			}
			if l := locationFromSDK(c.DestinationFileLocation); l != nil {
				st.DecryptStepDetails.DestinationFileLocation = *l
			}
		}
		out = append(out, st)
	}
	return out
}

func locationFromSDK(l *types.InputFileLocation) *v1alpha1.InputFileLocation {
	if l == nil {
		return nil
	}
	out := &v1alpha1.InputFileLocation{}
	if s := l.S3FileLocation; s != nil {
		out.S3FileLocation = &v1alpha1.S3InputFileLocation{Bucket: aws.ToString(s.Bucket), Key: aws.ToString(s.Key)}
	}
	if e := l.EfsFileLocation; e != nil {
		out.EfsFileLocation = &v1alpha1.EfsFileLocation{FileSystemID: aws.ToString(e.FileSystemId), Path: aws.ToString(e.Path)}
	}
	return out
}

// DescribeWorkflow returns the workflow with the given ID. A missing workflow is an error for
// which IsNotFound is true.
func (s *Service) DescribeWorkflow(ctx context.Context, id string) (*Workflow, error) {
	out, err := s.api.DescribeWorkflow(ctx, &transfer.DescribeWorkflowInput{WorkflowId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("describing workflow %s: %w", id, err)
	}
	if out.Workflow == nil {
		return nil, fmt.Errorf("describing workflow %s: the response holds no workflow", id)
	}
	return workflowFromDescribed(out.Workflow), nil
}

// CreateWorkflow creates the workflow d describes, with its tags, and returns its ID. It is sent
// once, never retried by the SDK: CreateWorkflow is not idempotent. The caller recovers from a
// lost response by looking the workflow up by its ownership tag (FindWorkflowByTag).
func (s *Service) CreateWorkflow(ctx context.Context, d DesiredWorkflow) (string, error) {
	out, err := s.api.CreateWorkflow(ctx, createWorkflowInput(d), func(o *transfer.Options) {
		o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 1)
	})
	if err != nil {
		return "", fmt.Errorf("creating workflow: %w", err)
	}
	return aws.ToString(out.WorkflowId), nil
}

// FindWorkflowByTag returns the ID of the first workflow, other than those in exclude, that
// carries the tag key=value, or "" when none does. It lists every workflow and its tags: it is
// for the rare case in which the outcome of an earlier create is unknown.
func (s *Service) FindWorkflowByTag(ctx context.Context, key, value string, exclude ...string) (string, error) {
	pages := transfer.NewListWorkflowsPaginator(s.api, &transfer.ListWorkflowsInput{MaxResults: aws.Int32(1000)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("listing workflows: %w", err)
		}
		for _, w := range page.Workflows {
			id := aws.ToString(w.WorkflowId)
			if slices.Contains(exclude, id) {
				continue
			}
			tags, err := s.listTags(ctx, aws.ToString(w.Arn))
			if IsNotFound(err) {
				continue
			}
			if err != nil {
				return "", err
			}
			if tags[key] == value {
				return id, nil
			}
		}
	}
	return "", nil
}

// ApplyWorkflowPlan sends the tag changes of plan. The replacement a plan may also ask for is not
// an AWS call on this workflow: the caller creates another.
func (s *Service) ApplyWorkflowPlan(ctx context.Context, w *Workflow, plan WorkflowPlan) error {
	return s.SetTags(ctx, w.ARN, plan.AddTags, plan.RemoveTags)
}

// DeleteWorkflow deletes the workflow id. A workflow that is already gone counts as deleted; one
// a server still runs is refused by AWS (IsWorkflowInUse).
func (s *Service) DeleteWorkflow(ctx context.Context, id string) error {
	_, err := s.api.DeleteWorkflow(ctx, &transfer.DeleteWorkflowInput{WorkflowId: aws.String(id)})
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("deleting workflow %s: %w", id, err)
	}
	return nil
}
