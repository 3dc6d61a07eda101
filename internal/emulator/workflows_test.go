package emulator_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// copyStep is a COPY step to an S3 bucket.
func copyStep(name string) types.WorkflowStep {
	return types.WorkflowStep{Type: types.WorkflowStepTypeCopy, CopyStepDetails: &types.CopyStepDetails{
		Name: aws.String(name),
		DestinationFileLocation: &types.InputFileLocation{
			S3FileLocation: &types.S3InputFileLocation{Bucket: aws.String("archive-bucket"), Key: aws.String("${Transfer:UserName}/")},
		},
		OverwriteExisting: types.OverwriteExistingTrue,
	}}
}

func createWorkflow(t *testing.T, c *transfer.Client, in *transfer.CreateWorkflowInput) string {
	t.Helper()
	out, err := c.CreateWorkflow(ctxT(t), in)
	mustNoErr(t, err, "CreateWorkflow")
	return aws.ToString(out.WorkflowId)
}

func TestWorkflowLifecycle(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	deleteStep := types.WorkflowStep{Type: types.WorkflowStepTypeDelete, DeleteStepDetails: &types.DeleteStepDetails{Name: aws.String("cleanup")}}
	id := createWorkflow(t, c, &transfer.CreateWorkflowInput{
		Description:      aws.String("archive uploads"),
		Steps:            []types.WorkflowStep{copyStep("archive")},
		OnExceptionSteps: []types.WorkflowStep{deleteStep},
		Tags:             []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
	})

	d, err := c.DescribeWorkflow(ctx, &transfer.DescribeWorkflowInput{WorkflowId: aws.String(id)})
	mustNoErr(t, err, "DescribeWorkflow")
	w := d.Workflow
	if got, want := aws.ToString(w.Arn), "arn:aws:transfer:us-east-1:111122223333:workflow/"+id; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if aws.ToString(w.Description) != "archive uploads" || len(w.Steps) != 1 || len(w.OnExceptionSteps) != 1 || len(w.Tags) != 1 {
		t.Fatalf("workflow = %+v", w)
	}
	got := w.Steps[0].CopyStepDetails
	if w.Steps[0].Type != types.WorkflowStepTypeCopy || got == nil || aws.ToString(got.DestinationFileLocation.S3FileLocation.Key) != "${Transfer:UserName}/" ||
		got.OverwriteExisting != types.OverwriteExistingTrue {
		t.Errorf("step = %+v, want the COPY step as it was sent", w.Steps[0])
	}

	_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: w.Arn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	mustNoErr(t, err, "TagResource on a workflow")
	_, err = c.UntagResource(ctx, &transfer.UntagResourceInput{Arn: w.Arn, TagKeys: []string{"team"}})
	mustNoErr(t, err, "UntagResource on a workflow")
	tags, err := c.ListTagsForResource(ctx, &transfer.ListTagsForResourceInput{Arn: w.Arn})
	mustNoErr(t, err, "ListTagsForResource on a workflow")
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("tags = %+v, want env alone", tags.Tags)
	}

	list, err := c.ListWorkflows(ctx, &transfer.ListWorkflowsInput{})
	mustNoErr(t, err, "ListWorkflows")
	if len(list.Workflows) != 1 || aws.ToString(list.Workflows[0].WorkflowId) != id || aws.ToString(list.Workflows[0].Description) != "archive uploads" {
		t.Errorf("ListWorkflows = %+v", list.Workflows)
	}

	_, err = c.DeleteWorkflow(ctx, &transfer.DeleteWorkflowInput{WorkflowId: aws.String(id)})
	mustNoErr(t, err, "DeleteWorkflow")
	_, err = c.DescribeWorkflow(ctx, &transfer.DescribeWorkflowInput{WorkflowId: aws.String(id)})
	wantAPIError(t, err, emulator.CodeResourceNotFound, "Unknown workflow")
	_, err = c.DeleteWorkflow(ctx, &transfer.DeleteWorkflowInput{WorkflowId: aws.String(id)})
	wantAPIError(t, err, emulator.CodeResourceNotFound)
}

// TestDeleteWorkflowInUse checks that a workflow a server runs cannot be deleted, as AWS refuses
// it, and can once the server no longer names it.
func TestDeleteWorkflowInUse(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	id := createWorkflow(t, c, &transfer.CreateWorkflowInput{Steps: []types.WorkflowStep{copyStep("archive")}})
	serverID := createServer(t, c, &transfer.CreateServerInput{WorkflowDetails: &types.WorkflowDetails{
		OnPartialUpload: []types.WorkflowDetail{{WorkflowId: aws.String(id), ExecutionRole: aws.String(testRole)}},
	}})

	_, err := c.DeleteWorkflow(ctx, &transfer.DeleteWorkflowInput{WorkflowId: aws.String(id)})
	wantAPIError(t, err, emulator.CodeInvalidRequest, "Workflow is still in use by server "+serverID)

	_, err = c.UpdateServer(ctx, &transfer.UpdateServerInput{ServerId: aws.String(serverID), WorkflowDetails: &types.WorkflowDetails{OnPartialUpload: []types.WorkflowDetail{}}})
	mustNoErr(t, err, "UpdateServer removing the workflow")
	_, err = c.DeleteWorkflow(ctx, &transfer.DeleteWorkflowInput{WorkflowId: aws.String(id)})
	mustNoErr(t, err, "DeleteWorkflow once no server runs it")
}

func TestCreateWorkflowValidation(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	efs := &types.InputFileLocation{EfsFileLocation: &types.EfsFileLocation{FileSystemId: aws.String("fs-0123456789abcdef0"), Path: aws.String("/x")}}
	nine := make([]types.WorkflowStep, 9)
	for i := range nine {
		nine[i] = copyStep("s")
	}
	for _, row := range []struct {
		name     string
		in       *transfer.CreateWorkflowInput
		fragment string
	}{
		{"more than 8 steps", &transfer.CreateWorkflowInput{Steps: nine}, "Member must have length less than or equal to 8"},
		{"description pattern", &transfer.CreateWorkflowInput{Description: aws.String("no/slashes"), Steps: []types.WorkflowStep{}}, "'description'"},
		{"timeout above 1800", &transfer.CreateWorkflowInput{Steps: []types.WorkflowStep{{Type: types.WorkflowStepTypeCustom,
			CustomStepDetails: &types.CustomStepDetails{Target: aws.String("arn:aws:lambda:us-east-1:111122223333:function:f"), TimeoutSeconds: aws.Int32(1801)}}}},
			"Member must have value less than or equal to 1800"},
		{"details of another type", &transfer.CreateWorkflowInput{Steps: []types.WorkflowStep{{Type: types.WorkflowStepTypeDelete, CopyStepDetails: copyStep("x").CopyStepDetails}}},
			"cannot carry the details of a COPY step"},
		{"no details", &transfer.CreateWorkflowInput{Steps: []types.WorkflowStep{{Type: types.WorkflowStepTypeTag}}}, "needs its TAG details"},
		{"copy to EFS", &transfer.CreateWorkflowInput{Steps: []types.WorkflowStep{{Type: types.WorkflowStepTypeCopy,
			CopyStepDetails: &types.CopyStepDetails{DestinationFileLocation: efs}}}}, "copying is supported only on S3"},
	} {
		t.Run(row.name, func(t *testing.T) {
			_, err := c.CreateWorkflow(ctxT(t), row.in)
			wantAPIError(t, err, emulator.CodeInvalidRequest, row.fragment)
		})
	}
}
