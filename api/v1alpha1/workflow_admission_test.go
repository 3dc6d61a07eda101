package v1alpha1_test

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// archiveStep is a valid COPY step.
func archiveStep() v1alpha1.WorkflowStep {
	return v1alpha1.WorkflowStep{Type: v1alpha1.WorkflowStepCopy, CopyStepDetails: &v1alpha1.CopyStepDetails{
		Name:                    "archive",
		DestinationFileLocation: &v1alpha1.InputFileLocation{S3FileLocation: &v1alpha1.S3InputFileLocation{Bucket: "archive-bucket", Key: "${Transfer:UserName}/"}},
	}}
}

func workflow(name string, mutate func(*v1alpha1.TransferWorkflowSpec)) *v1alpha1.TransferWorkflow {
	w := &v1alpha1.TransferWorkflow{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: v1alpha1.TransferWorkflowSpec{Steps: []v1alpha1.WorkflowStep{archiveStep()}}}
	if mutate != nil {
		mutate(&w.Spec)
	}
	return w
}

// runsWorkflow returns a server whose on-upload workflow is detail.
func runsWorkflow(detail v1alpha1.WorkflowDetail) *v1alpha1.TransferServer {
	return server("x", func(s *v1alpha1.TransferServerSpec) {
		s.WorkflowDetails = &v1alpha1.WorkflowDetails{OnUpload: []v1alpha1.WorkflowDetail{detail}}
	})
}

func TestWorkflowObjectsAccepted(t *testing.T) {
	ctx := context.Background()
	efs := v1alpha1.InputFileLocation{EfsFileLocation: &v1alpha1.EfsFileLocation{FileSystemID: "fs-0123456789abcdef0", Path: "/decrypted"}}
	for _, obj := range []client.Object{
		workflow("every-step", func(s *v1alpha1.TransferWorkflowSpec) {
			s.Description = "every step type"
			s.Steps = append(s.Steps,
				v1alpha1.WorkflowStep{Type: v1alpha1.WorkflowStepCustom, CustomStepDetails: &v1alpha1.CustomStepDetails{
					Name: "scan", Target: "arn:aws:lambda:eu-west-1:111122223333:function:scan", TimeoutSeconds: new(int32(1800)), SourceFileLocation: "${original.file}"}},
				v1alpha1.WorkflowStep{Type: v1alpha1.WorkflowStepTag, TagStepDetails: &v1alpha1.TagStepDetails{Tags: []v1alpha1.S3Tag{{Key: "stage", Value: "in"}}}},
				v1alpha1.WorkflowStep{Type: v1alpha1.WorkflowStepDecrypt, DecryptStepDetails: &v1alpha1.DecryptStepDetails{Type: "PGP", DestinationFileLocation: efs}},
			)
			s.OnExceptionSteps = []v1alpha1.WorkflowStep{{Type: v1alpha1.WorkflowStepDelete, DeleteStepDetails: &v1alpha1.DeleteStepDetails{}}}
			s.Tags = tags(48)
		}),
		server("workflow-ref", func(s *v1alpha1.TransferServerSpec) {
			s.WorkflowDetails = &v1alpha1.WorkflowDetails{
				OnUpload:        []v1alpha1.WorkflowDetail{{WorkflowRef: &v1alpha1.LocalObjectReference{Name: "every-step"}, ExecutionRole: role}},
				OnPartialUpload: []v1alpha1.WorkflowDetail{{WorkflowID: "w-0123456789abcdef0", ExecutionRole: role}},
			}
		}),
	} {
		if err := k8s.Create(ctx, obj); err != nil {
			t.Errorf("creating %s: %v", obj.GetName(), err)
		}
	}
}

func TestWorkflowObjectsRefused(t *testing.T) {
	nine := make([]v1alpha1.WorkflowStep, 9)
	for i := range nine {
		nine[i] = archiveStep()
	}
	for _, tc := range []struct {
		name string
		obj  client.Object
		want string
	}{
		{"details of another type", workflow("x", func(s *v1alpha1.TransferWorkflowSpec) { s.Steps[0].Type = v1alpha1.WorkflowStepDelete }),
			"a COPY step needs copyStepDetails, and only a COPY step takes them"},
		{"no details", workflow("x", func(s *v1alpha1.TransferWorkflowSpec) {
			s.OnExceptionSteps = []v1alpha1.WorkflowStep{{Type: v1alpha1.WorkflowStepTag}}
		}), "a TAG step needs tagStepDetails"},
		{"unknown step type", workflow("x", func(s *v1alpha1.TransferWorkflowSpec) { s.Steps[0].Type = "MOVE" }), "spec.steps[0].type"},
		{"more than 8 steps", workflow("x", func(s *v1alpha1.TransferWorkflowSpec) { s.Steps = nine }), "spec.steps"},
		{"S3 and EFS destination", workflow("x", func(s *v1alpha1.TransferWorkflowSpec) {
			s.Steps[0].CopyStepDetails.DestinationFileLocation.EfsFileLocation = &v1alpha1.EfsFileLocation{FileSystemID: "fs-0123456789abcdef0", Path: "/x"}
		}), "set exactly one of s3FileLocation and efsFileLocation"},
		{"timeout above 1800", workflow("x", func(s *v1alpha1.TransferWorkflowSpec) {
			s.Steps = []v1alpha1.WorkflowStep{{Type: v1alpha1.WorkflowStepCustom, CustomStepDetails: &v1alpha1.CustomStepDetails{TimeoutSeconds: new(int32(1801))}}}
		}), "spec.steps[0].customStepDetails.timeoutSeconds"},
		{"step name pattern", workflow("x", func(s *v1alpha1.TransferWorkflowSpec) { s.Steps[0].CopyStepDetails.Name = "with space" }), "spec.steps[0].copyStepDetails.name"},
		{"source file location pattern", workflow("x", func(s *v1alpha1.TransferWorkflowSpec) {
			s.Steps[0].CopyStepDetails.SourceFileLocation = "/bucket/file"
		}), "spec.steps[0].copyStepDetails.sourceFileLocation"},
		{"description pattern", workflow("x", func(s *v1alpha1.TransferWorkflowSpec) { s.Description = "a/b" }), "spec.description"},
		{"bad workflow id", workflow("x", func(s *v1alpha1.TransferWorkflowSpec) { s.WorkflowID = "w-123" }), "spec.workflowId"},
		{"too many tags", workflow("x", func(s *v1alpha1.TransferWorkflowSpec) { s.Tags = tags(49) }), "spec.tags"},
		{"workflowId and workflowRef", runsWorkflow(v1alpha1.WorkflowDetail{
			WorkflowID: "w-0123456789abcdef0", WorkflowRef: &v1alpha1.LocalObjectReference{Name: "w"}, ExecutionRole: role,
		}), "set exactly one of workflowId"},
		{"neither workflowId nor workflowRef", runsWorkflow(v1alpha1.WorkflowDetail{ExecutionRole: role}), "set exactly one of workflowId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := k8s.Create(context.Background(), tc.obj)
			if err == nil {
				_ = k8s.Delete(context.Background(), tc.obj)
				t.Fatalf("the API server accepted it; want a refusal naming %q", tc.want)
			}
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an Invalid error naming %q", err, tc.want)
			}
		})
	}
}

func TestWorkflowImmutableFields(t *testing.T) {
	ctx := context.Background()
	wf := workflow("immutable-workflow", func(s *v1alpha1.TransferWorkflowSpec) { s.WorkflowID = "w-0123456789abcdef0" })
	if err := k8s.Create(ctx, wf); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		mutate func()
		want   string
	}{
		{"workflowId changed", func() { wf.Spec.WorkflowID = "w-0123456789abcdef1" }, "workflowId can only be set when the TransferWorkflow is created"},
		{"region added", func() { wf.Spec.Region = "eu-west-1" }, "region is immutable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(wf), wf); err != nil {
				t.Fatal(err)
			}
			tc.mutate()
			err := k8s.Update(ctx, wf)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want a refusal saying %q", err, tc.want)
			}
		})
	}
}
