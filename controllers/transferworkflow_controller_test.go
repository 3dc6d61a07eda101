package controllers_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awstransfer "github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// newWorkflow is a TransferWorkflow that archives uploads to S3 and deletes them on failure.
func newWorkflow(ns, name string, mutate func(*v1alpha1.TransferWorkflowSpec)) *v1alpha1.TransferWorkflow {
	w := &v1alpha1.TransferWorkflow{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: v1alpha1.TransferWorkflowSpec{
		Description: "archive uploads",
		Steps: []v1alpha1.WorkflowStep{{Type: v1alpha1.WorkflowStepCopy, CopyStepDetails: &v1alpha1.CopyStepDetails{
			Name:                    "archive",
			DestinationFileLocation: &v1alpha1.InputFileLocation{S3FileLocation: &v1alpha1.S3InputFileLocation{Bucket: "archive-bucket", Key: "${Transfer:UserName}/"}},
		}}},
		OnExceptionSteps: []v1alpha1.WorkflowStep{{Type: v1alpha1.WorkflowStepDelete, DeleteStepDetails: &v1alpha1.DeleteStepDetails{Name: "discard"}}},
		Tags:             v1alpha1.Tags{"team": "a"},
	}}
	if mutate != nil {
		mutate(&w.Spec)
	}
	return w
}

// serverRunning is a TransferServer that runs the TransferWorkflow named on upload.
func serverRunning(ns, name, workflow string) *v1alpha1.TransferServer {
	return newServer(ns, name, func(s *v1alpha1.TransferServerSpec) {
		s.WorkflowDetails = &v1alpha1.WorkflowDetails{OnUpload: []v1alpha1.WorkflowDetail{
			{WorkflowRef: &v1alpha1.LocalObjectReference{Name: workflow}, ExecutionRole: roleARN},
		}}
	})
}

// workflowsOwnedBy returns the emulator's workflows that carry uid's ownership tag.
func workflowsOwnedBy(uid string) []emulator.WorkflowRecord {
	var out []emulator.WorkflowRecord
	for _, w := range emu.Snapshot().Regions[region].Workflows {
		if tagMap(w.Tags)[transfer.TagOwnerUID] == uid {
			out = append(out, w)
		}
	}
	return out
}

// inAWS reports whether the emulator holds the workflow id.
func inAWS(id string) bool {
	_, ok := emu.Snapshot().Workflow(region, id)
	return ok
}

// onUploadOf returns the workflow IDs the server id runs on upload, in AWS.
func onUploadOf(g Gomega, id string) []string {
	var ids []string
	for _, d := range awsServer(g, id).WorkflowDetails.OnUpload {
		ids = append(ids, d.WorkflowID)
	}
	return ids
}

func TestWorkflowCreatedAndReady(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	wf := newWorkflow(ns, "archive", nil)
	create(t, wf)
	waitReady(t, wf)
	g.Expect(wf.Status.WorkflowID).To(MatchRegexp(`^w-[a-z0-9]{17}$`))
	g.Expect(wf.Status.ARN).To(HaveSuffix(":workflow/" + wf.Status.WorkflowID))
	g.Expect(wf.Status.Region).To(Equal(region))
	g.Expect(kstatusOf(t, wf)).To(Equal(status.CurrentStatus))

	w, ok := emu.Snapshot().Workflow(region, wf.Status.WorkflowID)
	g.Expect(ok).To(BeTrue())
	g.Expect(w.Description).To(Equal("archive uploads"))
	g.Expect(w.Steps).To(HaveLen(1))
	g.Expect(w.Steps[0].CopyStepDetails.DestinationFileLocation.S3FileLocation.Key).To(Equal("${Transfer:UserName}/"))
	g.Expect(w.OnExceptionSteps).To(HaveLen(1))
	g.Expect(tagMap(w.Tags)).To(HaveKeyWithValue("team", "a"))
	g.Expect(tagMap(w.Tags)).To(HaveKeyWithValue(transfer.TagOwner, "TransferWorkflow/"+ns+"/archive"))

	// Tags change in place: the same workflow, retagged.
	update(t, wf, func(w *v1alpha1.TransferWorkflow) { w.Spec.Tags = v1alpha1.Tags{"team": "b"} })
	id := wf.Status.WorkflowID
	g.Eventually(func(g Gomega) {
		w, ok := emu.Snapshot().Workflow(region, id)
		g.Expect(ok).To(BeTrue())
		g.Expect(tagMap(w.Tags)).To(HaveKeyWithValue("team", "b"))
	}).WithTimeout(timeout).Should(Succeed())
	waitReady(t, wf)
	g.Expect(wf.Status.WorkflowID).To(Equal(id))
	g.Expect(workflowsOwnedBy(string(wf.UID))).To(HaveLen(1))
}

// TestWorkflowLostCreateResponse checks that a CreateWorkflow that took effect but whose response
// was lost still leaves exactly one workflow, found by its ownership tag.
func TestWorkflowLostCreateResponse(t *testing.T) {
	for _, kind := range []emulator.ErrorKind{emulator.FailCommitThenError, emulator.FailCommitThenDrop} {
		t.Run(string(kind), func(t *testing.T) {
			g := NewWithT(t)
			ns := newNamespace(t)
			g.Expect(emu.FailNext("CreateWorkflow", 1, kind)).To(Succeed())
			wf := newWorkflow(ns, "lost", nil)
			create(t, wf)
			waitReady(t, wf)
			owned := workflowsOwnedBy(string(wf.UID))
			g.Expect(owned).To(HaveLen(1))
			g.Expect(wf.Status.WorkflowID).To(Equal(owned[0].WorkflowID))
			waitEvent(t, wf, "Adopted", "response was lost")
		})
	}
}

// TestWorkflowReplacedAndServerFollows checks that a changed spec makes a new workflow, that the
// TransferServer that references it moves to the new one, and that the old one is deleted once
// no server runs it, with one workflow left.
func TestWorkflowReplacedAndServerFollows(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	wf := newWorkflow(ns, "archive", nil)
	srv := serverRunning(ns, "sftp", "archive")
	create(t, srv)
	waitCondition(t, srv, v1alpha1.ConditionReconciling, v1alpha1.ReasonWorkflowNotReady)
	create(t, wf)
	waitReady(t, wf)
	waitReady(t, srv)
	old := wf.Status.WorkflowID
	g.Expect(onUploadOf(g, srv.Status.ServerID)).To(Equal([]string{old}))

	update(t, wf, func(w *v1alpha1.TransferWorkflow) {
		w.Spec.Steps[0].CopyStepDetails.DestinationFileLocation.S3FileLocation.Key = "archive/${Transfer:UserName}/"
	})
	g.Eventually(func(g Gomega) {
		get(g, wf)
		g.Expect(wf.Status.WorkflowID).NotTo(BeEmpty())
		g.Expect(wf.Status.WorkflowID).NotTo(Equal(old))
		g.Expect(onUploadOf(g, srv.Status.ServerID)).To(Equal([]string{wf.Status.WorkflowID}))
		g.Expect(inAWS(old)).To(BeFalse(), "the replaced workflow is still in AWS")
	}).WithTimeout(timeout).Should(Succeed())
	waitReady(t, wf)
	waitReady(t, srv)
	g.Expect(wf.Status.RetiredWorkflowIDs).To(BeEmpty())
	owned := workflowsOwnedBy(string(wf.UID))
	g.Expect(owned).To(HaveLen(1))
	g.Expect(owned[0].Steps[0].CopyStepDetails.DestinationFileLocation.S3FileLocation.Key).To(Equal("archive/${Transfer:UserName}/"))
	waitEvent(t, wf, "Replacing", "AWS cannot change them")
}

// TestWorkflowRetiredWhileAServerRunsIt checks that a replaced workflow that a server managed
// outside the operator still runs is kept, with reason RetiringWorkflow, until that server no
// longer runs it.
func TestWorkflowRetiredWhileAServerRunsIt(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	wf := newWorkflow(ns, "archive", nil)
	create(t, wf)
	waitReady(t, wf)
	old := wf.Status.WorkflowID
	outside := createOutsideServer(t, old)

	update(t, wf, func(w *v1alpha1.TransferWorkflow) { w.Spec.Description = "archive everything" })
	c := waitCondition(t, wf, v1alpha1.ConditionReconciling, v1alpha1.ReasonRetiringWorkflow)
	g.Expect(c.Message).To(ContainSubstring("still in use by server " + outside))
	g.Expect(wf.Status.RetiredWorkflowIDs).To(Equal([]string{old}))
	g.Expect(wf.Status.WorkflowID).NotTo(Equal(old))
	g.Expect(inAWS(old)).To(BeTrue())

	removeOutsideWorkflows(t, outside)
	waitReady(t, wf)
	g.Expect(wf.Status.RetiredWorkflowIDs).To(BeEmpty())
	g.Eventually(func() bool { return inAWS(old) }).WithTimeout(timeout).Should(BeFalse())
}

// TestWorkflowDeletionWaitsForServers checks that a TransferWorkflow is not deleted while a
// TransferServer references it, nor while a server in AWS runs it.
func TestWorkflowDeletionWaitsForServers(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	wf := newWorkflow(ns, "archive", nil)
	srv := serverRunning(ns, "sftp", "archive")
	create(t, wf)
	create(t, srv)
	waitReady(t, srv)
	waitReady(t, wf)
	id := wf.Status.WorkflowID

	g.Expect(k8s.Delete(context.Background(), wf)).To(Succeed())
	c := waitCondition(t, wf, v1alpha1.ConditionReconciling, v1alpha1.ReasonWorkflowInUse)
	g.Expect(c.Message).To(ContainSubstring("sftp"))
	g.Consistently(func() bool { return inAWS(id) }).WithTimeout(2 * resync).Should(BeTrue())

	outside := createOutsideServer(t, id)
	g.Expect(k8s.Delete(context.Background(), srv)).To(Succeed())
	waitGone(t, srv)
	g.Eventually(func(g Gomega) {
		get(g, wf)
		g.Expect(condition(wf, v1alpha1.ConditionReconciling).Message).To(ContainSubstring("still in use by server " + outside))
	}).WithTimeout(timeout).Should(Succeed())
	g.Expect(inAWS(id)).To(BeTrue())

	removeOutsideWorkflows(t, outside)
	waitGone(t, wf)
	g.Expect(inAWS(id)).To(BeFalse())
}

func TestWorkflowRetain(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	wf := newWorkflow(ns, "kept", func(s *v1alpha1.TransferWorkflowSpec) { s.DeletionPolicy = v1alpha1.DeletionPolicyRetain })
	create(t, wf)
	waitReady(t, wf)
	g.Expect(k8s.Delete(context.Background(), wf)).To(Succeed())
	waitGone(t, wf)
	g.Expect(inAWS(wf.Status.WorkflowID)).To(BeTrue())
	g.Expect(emu.DeleteWorkflowOutOfBand(region, wf.Status.WorkflowID)).To(Succeed())
}

// TestWorkflowAdoption checks that spec.workflowId takes over an existing workflow that matches
// the spec, and that one that does not exist stalls.
func TestWorkflowAdoption(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	spec := newWorkflow(ns, "x", nil).Spec
	out, err := awsAPI.CreateWorkflow(context.Background(), &awstransfer.CreateWorkflowInput{
		Description: aws.String(spec.Description),
		Steps: []types.WorkflowStep{{Type: types.WorkflowStepTypeCopy, CopyStepDetails: &types.CopyStepDetails{
			Name: aws.String("archive"), OverwriteExisting: types.OverwriteExistingFalse,
			DestinationFileLocation: &types.InputFileLocation{S3FileLocation: &types.S3InputFileLocation{Bucket: aws.String("archive-bucket"), Key: aws.String("${Transfer:UserName}/")}},
		}}},
		OnExceptionSteps: []types.WorkflowStep{{Type: types.WorkflowStepTypeDelete, DeleteStepDetails: &types.DeleteStepDetails{Name: aws.String("discard")}}},
	})
	g.Expect(err).NotTo(HaveOccurred())
	id := aws.ToString(out.WorkflowId)

	wf := newWorkflow(ns, "adopted", func(s *v1alpha1.TransferWorkflowSpec) { s.WorkflowID = id })
	create(t, wf)
	waitReady(t, wf)
	g.Expect(wf.Status.WorkflowID).To(Equal(id))
	waitEvent(t, wf, "Adopted", "adopted workflow "+id)
	w, _ := emu.Snapshot().Workflow(region, id)
	g.Expect(tagMap(w.Tags)).To(HaveKeyWithValue(transfer.TagOwnerUID, string(wf.UID)))

	missing := newWorkflow(ns, "missing", func(s *v1alpha1.TransferWorkflowSpec) { s.WorkflowID = "w-0000000000000000f" })
	create(t, missing)
	c := waitCondition(t, missing, v1alpha1.ConditionStalled, v1alpha1.ReasonNotFound)
	g.Expect(c.Message).To(ContainSubstring("w-0000000000000000f"))
}

// createOutsideServer creates a server through the AWS API, as someone outside the operator
// would, that runs the workflow id on upload, and returns its ID.
func createOutsideServer(t *testing.T, workflowID string) string {
	t.Helper()
	out, err := awsAPI.CreateServer(context.Background(), &awstransfer.CreateServerInput{WorkflowDetails: &types.WorkflowDetails{
		OnUpload: []types.WorkflowDetail{{WorkflowId: aws.String(workflowID), ExecutionRole: aws.String(roleARN)}},
	}})
	if err != nil {
		t.Fatalf("creating a server outside the operator: %v", err)
	}
	id := aws.ToString(out.ServerId)
	t.Cleanup(func() { _ = emu.DeleteServerOutOfBand(region, id) })
	return id
}

// removeOutsideWorkflows makes the server id run no workflow, through the AWS API.
func removeOutsideWorkflows(t *testing.T, id string) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		_, err := awsAPI.UpdateServer(context.Background(), &awstransfer.UpdateServerInput{ServerId: aws.String(id),
			WorkflowDetails: &types.WorkflowDetails{OnUpload: []types.WorkflowDetail{}}})
		return err
	}).WithTimeout(timeout).Should(Succeed())
}

// TestWorkflowArgoCDHealth checks the Argo CD health check and kstatus of a Ready workflow
// (Healthy, Current), of one retiring the workflow it replaced and of a server waiting for its
// workflow (Progressing, InProgress), and of a workflow that adopts nothing (Degraded, Failed).
func TestWorkflowArgoCDHealth(t *testing.T) {
	ns := newNamespace(t)
	srv := serverRunning(ns, "early", "archive")
	create(t, srv)
	waitCondition(t, srv, v1alpha1.ConditionReconciling, v1alpha1.ReasonWorkflowNotReady)
	expectStatus(t, "TransferServer", srv, progressing, status.InProgressStatus, "WorkflowNotReady: waiting for TransferWorkflow archive")

	wf := newWorkflow(ns, "archive", nil)
	create(t, wf)
	waitReady(t, wf)
	expectStatus(t, "TransferWorkflow", wf, healthy, status.CurrentStatus, "matches the spec")

	outside := createOutsideServer(t, wf.Status.WorkflowID)
	update(t, wf, func(w *v1alpha1.TransferWorkflow) { w.Spec.Description = "replaced" })
	waitCondition(t, wf, v1alpha1.ConditionReconciling, v1alpha1.ReasonRetiringWorkflow)
	expectStatus(t, "TransferWorkflow", wf, progressing, status.InProgressStatus, "RetiringWorkflow")
	removeOutsideWorkflows(t, outside)

	missing := newWorkflow(ns, "missing", func(s *v1alpha1.TransferWorkflowSpec) { s.WorkflowID = "w-0000000000000000e" })
	create(t, missing)
	waitCondition(t, missing, v1alpha1.ConditionStalled, v1alpha1.ReasonNotFound)
	expectStatus(t, "TransferWorkflow", missing, degraded, status.FailedStatus, "NotFound")
}
