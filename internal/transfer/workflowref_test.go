package transfer

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/google/go-cmp/cmp"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// TestPlanServerResolvesWorkflowRefs checks that a workflowRef is compared and sent as the
// workflow ID it resolves to.
func TestPlanServerResolvesWorkflowRefs(t *testing.T) {
	spec := v1alpha1.TransferServerSpec{WorkflowDetails: &v1alpha1.WorkflowDetails{
		OnUpload: []v1alpha1.WorkflowDetail{{WorkflowRef: &v1alpha1.LocalObjectReference{Name: "archive"}, ExecutionRole: testRole}},
	}}
	running := func(id string) func(*types.DescribedServer) {
		return func(d *types.DescribedServer) {
			d.WorkflowDetails = &types.WorkflowDetails{OnUpload: []types.WorkflowDetail{{WorkflowId: aws.String(id), ExecutionRole: aws.String(testRole)}}}
		}
	}
	for _, row := range []struct {
		name     string
		resolved string
		observed *Server
		want     []string
	}{
		{"runs the workflow the ref resolves to", testWorkflow1, awsServer(running(testWorkflow1)), nil},
		{"the TransferWorkflow was replaced", testWorkflow2, awsServer(running(testWorkflow1)), []string{"workflowDetails.onUpload"}},
		{"runs no workflow yet", testWorkflow1, awsServer(), []string{"workflowDetails.onUpload"}},
	} {
		t.Run(row.name, func(t *testing.T) {
			d := desiredServer(spec)
			d.WorkflowIDs = map[string]string{"archive": row.resolved}
			p := PlanServer(d, row.observed, false)
			if diff := cmp.Diff(row.want, p.Changed); diff != "" {
				t.Fatalf("Changed (-want +got):\n%s", diff)
			}
			if row.want == nil {
				return
			}
			got := p.Update.updateServerInput(testServerID).WorkflowDetails
			if got == nil || len(got.OnUpload) != 1 || aws.ToString(got.OnUpload[0].WorkflowId) != row.resolved {
				t.Errorf("WorkflowDetails sent = %+v, want %s", got, row.resolved)
			}
		})
	}
	if spec.WorkflowDetails.OnUpload[0].WorkflowID != "" {
		t.Error("planning wrote the resolved ID into the spec")
	}
	d := desiredServer(spec)
	d.WorkflowIDs = map[string]string{"archive": testWorkflow1}
	if got := createServerInput(d).WorkflowDetails; got == nil || aws.ToString(got.OnUpload[0].WorkflowId) != testWorkflow1 {
		t.Errorf("CreateServer WorkflowDetails = %+v, want %s", got, testWorkflow1)
	}
}

func TestWorkflowRefs(t *testing.T) {
	ref := func(n string) v1alpha1.WorkflowDetail {
		return v1alpha1.WorkflowDetail{WorkflowRef: &v1alpha1.LocalObjectReference{Name: n}, ExecutionRole: testRole}
	}
	spec := &v1alpha1.TransferServerSpec{WorkflowDetails: &v1alpha1.WorkflowDetails{
		OnUpload:        []v1alpha1.WorkflowDetail{ref("a")},
		OnPartialUpload: []v1alpha1.WorkflowDetail{ref("a"), ref("b"), {WorkflowID: testWorkflow1, ExecutionRole: testRole}},
	}}
	if diff := cmp.Diff([]string{"a", "b"}, WorkflowRefs(spec)); diff != "" {
		t.Errorf("WorkflowRefs (-want +got):\n%s", diff)
	}
	if WorkflowRefs(&v1alpha1.TransferServerSpec{}) != nil {
		t.Error("a spec without workflowDetails references workflows")
	}
}
