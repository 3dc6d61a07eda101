package transfer

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/google/go-cmp/cmp"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

var testWorkflowOwner = OwnerTags("TransferWorkflow", "ns", "wf", "uid-1")

// specCopyStep is a COPY step to s3://archive/key as a spec states it.
func specCopyStep(key string) v1alpha1.WorkflowStep {
	return v1alpha1.WorkflowStep{Type: v1alpha1.WorkflowStepCopy, CopyStepDetails: &v1alpha1.CopyStepDetails{
		Name:                    "archive",
		DestinationFileLocation: &v1alpha1.InputFileLocation{S3FileLocation: &v1alpha1.S3InputFileLocation{Bucket: "archive", Key: key}},
	}}
}

// awsWorkflow is the workflow AWS describes for the spec steps given, with the owner's tags.
func awsWorkflow(description string, steps, onException []types.WorkflowStep, tags ...map[string]string) *Workflow {
	return workflowFromDescribed(&types.DescribedWorkflow{
		WorkflowId: aws.String("w-0123456789abcdef0"), Arn: aws.String("arn:aws:transfer:us-east-1:111122223333:workflow/w-0123456789abcdef0"),
		Description: optString(description), Steps: steps, OnExceptionSteps: onException,
		Tags: tagList(append([]map[string]string{testWorkflowOwner}, tags...)...),
	})
}

func TestPlanWorkflow(t *testing.T) {
	base := v1alpha1.TransferWorkflowSpec{Description: "archive", Steps: []v1alpha1.WorkflowStep{specCopyStep("in/")}}
	sent := sdkSteps(base.Steps)
	withDefaults := sdkSteps(base.Steps)
	withDefaults[0].CopyStepDetails.OverwriteExisting = types.OverwriteExistingFalse
	withDefaults[0].CopyStepDetails.SourceFileLocation = aws.String("${previous.file}")
	deleteStep := []types.WorkflowStep{{Type: types.WorkflowStepTypeDelete, DeleteStepDetails: &types.DeleteStepDetails{}}}

	for _, row := range []struct {
		name        string
		spec        func(*v1alpha1.TransferWorkflowSpec)
		observed    *Workflow
		wantReplace []string
		wantAdd     map[string]string
		wantRemove  []string
	}{
		{name: "as created", observed: awsWorkflow("archive", sent, nil)},
		{name: "AWS reports the documented defaults", observed: awsWorkflow("archive", withDefaults, nil)},
		{name: "the spec states the defaults", spec: func(s *v1alpha1.TransferWorkflowSpec) {
			s.Steps[0].CopyStepDetails.OverwriteExisting = "FALSE"
			s.Steps[0].CopyStepDetails.SourceFileLocation = "${previous.file}"
		}, observed: awsWorkflow("archive", sent, nil)},
		{name: "another description", spec: func(s *v1alpha1.TransferWorkflowSpec) { s.Description = "archive all" },
			observed: awsWorkflow("archive", sent, nil), wantReplace: []string{"description"}},
		{name: "another destination key", spec: func(s *v1alpha1.TransferWorkflowSpec) { s.Steps[0] = specCopyStep("other/") },
			observed: awsWorkflow("archive", sent, nil), wantReplace: []string{"steps"}},
		{name: "overwrite asked for", spec: func(s *v1alpha1.TransferWorkflowSpec) { s.Steps[0].CopyStepDetails.OverwriteExisting = "TRUE" },
			observed: awsWorkflow("archive", withDefaults, nil), wantReplace: []string{"steps"}},
		{name: "a step added", spec: func(s *v1alpha1.TransferWorkflowSpec) {
			s.Steps = append(s.Steps, v1alpha1.WorkflowStep{Type: v1alpha1.WorkflowStepDelete, DeleteStepDetails: &v1alpha1.DeleteStepDetails{}})
		}, observed: awsWorkflow("archive", sent, nil), wantReplace: []string{"steps"}},
		{name: "exception steps removed", observed: awsWorkflow("archive", sent, deleteStep), wantReplace: []string{"onExceptionSteps"}},
		{name: "tags change in place", spec: func(s *v1alpha1.TransferWorkflowSpec) { s.Tags = v1alpha1.Tags{"team": "b"} },
			observed: awsWorkflow("archive", sent, nil, map[string]string{"team": "a", "old": "x"}),
			wantAdd:  map[string]string{"team": "b"}, wantRemove: []string{"old"}},
		{name: "everything differs", spec: func(s *v1alpha1.TransferWorkflowSpec) { s.Description = "" },
			observed: awsWorkflow("archive", deleteStep, deleteStep), wantReplace: []string{"description", "onExceptionSteps", "steps"}},
	} {
		t.Run(row.name, func(t *testing.T) {
			spec := *base.DeepCopy()
			if row.spec != nil {
				row.spec(&spec)
			}
			p := PlanWorkflow(DesiredWorkflow{Spec: &spec, OwnerTags: testWorkflowOwner}, row.observed)
			if diff := cmp.Diff(row.wantReplace, p.Replace); diff != "" {
				t.Errorf("Replace (-want +got):\n%s", diff)
			}
			if row.wantAdd == nil {
				row.wantAdd = map[string]string{}
			}
			if diff := cmp.Diff(row.wantAdd, p.AddTags); diff != "" {
				t.Errorf("AddTags (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(row.wantRemove, p.RemoveTags); diff != "" {
				t.Errorf("RemoveTags (-want +got):\n%s", diff)
			}
			if p.InSync() != (row.wantReplace == nil && len(row.wantAdd) == 0 && row.wantRemove == nil) {
				t.Errorf("InSync = %v for %+v", p.InSync(), p)
			}
		})
	}
}

// TestStepsRoundTrip checks that every step type and field survives the way to the SDK and back,
// so that a workflow created from a spec compares equal to it.
func TestStepsRoundTrip(t *testing.T) {
	efs := v1alpha1.InputFileLocation{EfsFileLocation: &v1alpha1.EfsFileLocation{FileSystemID: "fs-0123456789abcdef0", Path: "/out"}}
	steps := []v1alpha1.WorkflowStep{
		specCopyStep("${Transfer:UserName}/"),
		{Type: v1alpha1.WorkflowStepCustom, CustomStepDetails: &v1alpha1.CustomStepDetails{
			Name: "scan", Target: "arn:aws:lambda:us-east-1:111122223333:function:scan", TimeoutSeconds: aws.Int32(60), SourceFileLocation: "${original.file}"}},
		{Type: v1alpha1.WorkflowStepTag, TagStepDetails: &v1alpha1.TagStepDetails{Name: "mark", Tags: []v1alpha1.S3Tag{{Key: "seen", Value: ""}}}},
		{Type: v1alpha1.WorkflowStepDecrypt, DecryptStepDetails: &v1alpha1.DecryptStepDetails{Name: "pgp", Type: "PGP", DestinationFileLocation: efs, OverwriteExisting: "TRUE"}},
		{Type: v1alpha1.WorkflowStepDelete, DeleteStepDetails: &v1alpha1.DeleteStepDetails{Name: "rm"}},
	}
	if diff := cmp.Diff(steps, stepsFromSDK(sdkSteps(steps))); diff != "" {
		t.Errorf("steps after the round trip (-want +got):\n%s", diff)
	}
}

func TestCreateWorkflowInput(t *testing.T) {
	in := createWorkflowInput(DesiredWorkflow{Spec: &v1alpha1.TransferWorkflowSpec{Tags: v1alpha1.Tags{"team": "a"}}, OwnerTags: testWorkflowOwner})
	if in.Steps == nil || len(in.Steps) != 0 {
		t.Errorf("Steps = %#v, want an empty list: the member is required", in.Steps)
	}
	if in.OnExceptionSteps != nil || in.Description != nil {
		t.Errorf("request sends members the spec does not set: %+v", in)
	}
	if got := tagsToMap(in.Tags); got["team"] != "a" || got[TagOwnerUID] != "uid-1" || len(got) != 3 {
		t.Errorf("tags = %v, want the spec's and the bookkeeping tags", got)
	}
}
