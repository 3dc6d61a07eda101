package emulator_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

const testExecutionRole = "arn:aws:iam::111122223333:role/transfer-workflow"

// executionWait bounds how long a test waits for a workflow execution: generous, for a loaded
// CI machine.
const executionWait = 60 * time.Second

// runWorkflows makes the fixture's server run onUpload and onPartialUpload ("" for none).
func (f *dataPlaneFixture) runWorkflows(t *testing.T, onUpload, onPartialUpload string) {
	t.Helper()
	details := &types.WorkflowDetails{OnUpload: []types.WorkflowDetail{}}
	if onUpload != "" {
		details.OnUpload = []types.WorkflowDetail{{WorkflowId: aws.String(onUpload), ExecutionRole: aws.String(testExecutionRole)}}
	}
	if onPartialUpload != "" {
		details.OnPartialUpload = []types.WorkflowDetail{{WorkflowId: aws.String(onPartialUpload), ExecutionRole: aws.String(testExecutionRole)}}
	}
	_, err := f.c.UpdateServer(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(f.serverID), WorkflowDetails: details})
	mustNoErr(t, err, "UpdateServer WorkflowDetails")
}

// loginUser creates a PATH user with home and logs in as it.
func (f *dataPlaneFixture) loginUser(t *testing.T, name, home string) *sftp.Client {
	t.Helper()
	signer, pub := newUserSigner(t)
	f.createUser(t, &transfer.CreateUserInput{UserName: aws.String(name), SshPublicKeyBody: aws.String(pub), HomeDirectory: aws.String(home)})
	c, err := f.login(t, name, ssh.PublicKeys(signer))
	mustNoErr(t, err, "login as "+name)
	return c
}

func (f *dataPlaneFixture) s3Client() *s3.Client {
	return s3.New(s3.Options{
		Region: testRegion, BaseEndpoint: aws.String(f.srv.S3URL()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
	})
}

// objectTags returns the tags the S3 API reports for an object, as key=value.
func objectTags(t *testing.T, c *s3.Client, bucket, key string) []string {
	t.Helper()
	out, err := c.GetObjectTagging(ctxT(t), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	mustNoErr(t, err, "GetObjectTagging s3://"+bucket+"/"+key)
	tags := []string{}
	for _, tg := range out.TagSet {
		tags = append(tags, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	return tags
}

// waitFinished waits until n executions of the workflow have finished and returns them, in the
// order they started.
func waitFinished(t *testing.T, srv *emulator.Server, workflowID string, n int) []emulator.Execution {
	t.Helper()
	deadline := time.Now().Add(executionWait)
	for {
		var done []emulator.Execution
		for _, x := range srv.Executions(testRegion, workflowID) {
			if x.Status == emulator.ExecutionCompleted || x.Status == emulator.ExecutionException {
				done = append(done, x)
			}
		}
		if len(done) >= n {
			return done
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %d of %d executions of %s have finished: %+v", executionWait, len(done), n, workflowID, srv.Executions(testRegion, workflowID))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func stepTypes(results []emulator.ExecutionStepResult) []string {
	var out []string
	for _, r := range results {
		typ := r.StepType
		if r.Error != nil {
			typ += ":" + r.Error.Type
		}
		out = append(out, typ)
	}
	return out
}

// TestWorkflowArchivesUpload uploads a file over SFTP to a server whose OnUpload workflow copies
// it under the user's name and upload date and tags the copy: the copy and its tags are in S3,
// the finished execution holds what DescribedExecution documents, and the API no longer lists
// or describes it (SDK: only in-progress executions).
func TestWorkflowArchivesUpload(t *testing.T) {
	f := startDataPlane(t, nil)
	wf := createWorkflow(t, f.c, &transfer.CreateWorkflowInput{
		Steps: []types.WorkflowStep{
			{Type: types.WorkflowStepTypeCopy, CopyStepDetails: &types.CopyStepDetails{
				Name: aws.String("archive"), OverwriteExisting: types.OverwriteExistingFalse,
				DestinationFileLocation: &types.InputFileLocation{S3FileLocation: &types.S3InputFileLocation{
					Bucket: aws.String("partners-archive"), Key: aws.String("${Transfer:UserName}/${Transfer:UploadDate}/"),
				}},
			}},
			{Type: types.WorkflowStepTypeTag, TagStepDetails: &types.TagStepDetails{
				Name: aws.String("mark"), Tags: []types.S3Tag{{Key: aws.String("archived"), Value: aws.String("true")}},
			}},
		},
		OnExceptionSteps: []types.WorkflowStep{{Type: types.WorkflowStepTypeDelete, DeleteStepDetails: &types.DeleteStepDetails{
			SourceFileLocation: aws.String("${original.file}"),
		}}},
	})
	f.runWorkflows(t, wf, "")
	c := f.loginUser(t, "alice", "/partners/home/alice")

	before := time.Now().UTC().Format(time.DateOnly)
	putFile(t, c, "report.csv", "a,b")
	x := waitFinished(t, f.srv, wf, 1)[0]
	after := time.Now().UTC().Format(time.DateOnly)

	if x.Status != emulator.ExecutionCompleted || !slices.Equal(stepTypes(x.Results.Steps), []string{"COPY", "TAG"}) || len(x.Results.OnExceptionSteps) != 0 {
		t.Fatalf("execution %+v, want COMPLETED after COPY and TAG", x)
	}
	if !strings.Contains(x.Results.Steps[1].Outputs, `"archived"`) {
		t.Errorf("TAG outputs %q do not name the tag", x.Results.Steps[1].Outputs)
	}
	sum := md5.Sum([]byte("a,b"))
	loc := x.InitialFileLocation.S3FileLocation
	if loc == nil || loc.Bucket != "partners" || loc.Key != "home/alice/report.csv" || loc.Etag != hex.EncodeToString(sum[:]) {
		t.Errorf("InitialFileLocation %+v, want s3://partners/home/alice/report.csv with its MD5 ETag", loc)
	}
	u := x.ServiceMetadata.UserDetails
	if u.UserName != "alice" || u.ServerID != f.serverID || u.SessionID == "" || x.ExecutionRole != testExecutionRole || x.WorkflowID != wf {
		t.Errorf("execution %+v: want alice's session on %s, role %s, workflow %s", x, f.serverID, testExecutionRole, wf)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(x.ExecutionID) {
		t.Errorf("ExecutionId %q is not UUID-shaped as the model's ExecutionId", x.ExecutionID)
	}

	s3c := f.s3Client()
	list, err := s3c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String("partners-archive")})
	mustNoErr(t, err, "ListObjectsV2 partners-archive")
	if len(list.Contents) != 1 {
		t.Fatalf("partners-archive holds %d objects, want the one copy", len(list.Contents))
	}
	archived := aws.ToString(list.Contents[0].Key)
	if archived != "alice/"+before+"/report.csv" && archived != "alice/"+after+"/report.csv" {
		t.Fatalf("archived as %s, want alice/%s/report.csv", archived, after)
	}
	if status, body := s3Get(t, f, "partners-archive/"+archived); status != http.StatusOK || body != "a,b" {
		t.Fatalf("archived copy: %d %q", status, body)
	}
	if tags := objectTags(t, s3c, "partners-archive", archived); !slices.Equal(tags, []string{"archived=true"}) {
		t.Errorf("the copy's tags are %v, want [archived=true]", tags)
	}
	if tags := objectTags(t, s3c, "partners", "home/alice/report.csv"); len(tags) != 0 {
		t.Errorf("the upload's tags are %v; the TAG step tags the copy, its ${previous.file}", tags)
	}

	listed, err := f.c.ListExecutions(ctxT(t), &transfer.ListExecutionsInput{WorkflowId: aws.String(wf)})
	mustNoErr(t, err, "ListExecutions")
	if len(listed.Executions) != 0 || aws.ToString(listed.WorkflowId) != wf {
		t.Errorf("ListExecutions after the execution ended: %+v, want no execution in progress", listed.Executions)
	}
	_, err = f.c.DescribeExecution(ctxT(t), &transfer.DescribeExecutionInput{WorkflowId: aws.String(wf), ExecutionId: aws.String(x.ExecutionID)})
	wantAPIError(t, err, emulator.CodeResourceNotFound)
	_, err = f.c.ListExecutions(ctxT(t), &transfer.ListExecutionsInput{WorkflowId: aws.String("w-0123456789abcdef0")})
	wantAPIError(t, err, emulator.CodeResourceNotFound)
}

// TestWorkflowExceptionSteps: a COPY onto an existing file without OverwriteExisting fails with
// ALREADY_EXISTS, the nominal steps stop, and the exception step deletes the upload.
func TestWorkflowExceptionSteps(t *testing.T) {
	f := startDataPlane(t, nil)
	s3c := f.s3Client()
	_, err := s3c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String("partners-archive"), Key: aws.String("bob/data.csv"), Body: strings.NewReader("old")})
	mustNoErr(t, err, "PutObject")
	wf := createWorkflow(t, f.c, &transfer.CreateWorkflowInput{
		Steps: []types.WorkflowStep{
			{Type: types.WorkflowStepTypeCopy, CopyStepDetails: &types.CopyStepDetails{
				DestinationFileLocation: &types.InputFileLocation{S3FileLocation: &types.S3InputFileLocation{
					Bucket: aws.String("partners-archive"), Key: aws.String("${transfer:UserName}/"),
				}},
			}},
			{Type: types.WorkflowStepTypeTag, TagStepDetails: &types.TagStepDetails{Tags: []types.S3Tag{{Key: aws.String("k"), Value: aws.String("v")}}}},
		},
		OnExceptionSteps: []types.WorkflowStep{{Type: types.WorkflowStepTypeDelete, DeleteStepDetails: &types.DeleteStepDetails{
			SourceFileLocation: aws.String("${original.file}"),
		}}},
	})
	f.runWorkflows(t, wf, "")
	c := f.loginUser(t, "bob", "/partners/in/bob")
	putFile(t, c, "data.csv", "new")

	x := waitFinished(t, f.srv, wf, 1)[0]
	if x.Status != emulator.ExecutionException || !slices.Equal(stepTypes(x.Results.Steps), []string{"COPY:ALREADY_EXISTS"}) ||
		!slices.Equal(stepTypes(x.Results.OnExceptionSteps), []string{"DELETE"}) {
		t.Fatalf("execution %+v, want EXCEPTION: COPY failed ALREADY_EXISTS, then the DELETE exception step", x)
	}
	if status, _ := s3Get(t, f, "partners/in/bob/data.csv"); status != http.StatusNotFound {
		t.Errorf("the upload is still in S3 (%d); the exception step deletes it", status)
	}
	if status, body := s3Get(t, f, "partners-archive/bob/data.csv"); status != http.StatusOK || body != "old" {
		t.Errorf("the existing file is %d %q, want it untouched", status, body)
	}
}

// customLambda is an HTTP endpoint standing for the Lambda function of a CUSTOM step: it hands
// each event to the test, and once released calls SendWorkflowStepState with the status the
// test chose for the event's file, as a Lambda function calls back.
type customLambda struct {
	events  chan map[string]any
	release chan struct{}
	once    sync.Once
	status  func(key string) types.CustomStepStatus
	client  *transfer.Client
	t       *testing.T
}

func (l *customLambda) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev emulator.CustomStepEvent
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	raw["target"] = r.Header.Get("X-Transfer-Emulator-Target")
	l.events <- raw
	<-l.release
	_, err := l.client.SendWorkflowStepState(r.Context(), &transfer.SendWorkflowStepStateInput{
		WorkflowId: aws.String(ev.ServiceMetadata.ExecutionDetails.WorkflowID), ExecutionId: aws.String(ev.ServiceMetadata.ExecutionDetails.ExecutionID),
		Token: aws.String(ev.Token), Status: l.status(ev.FileLocation.Key),
	})
	if err != nil {
		l.t.Errorf("SendWorkflowStepState: %v", err)
	}
}

// TestWorkflowCustomStep: a CUSTOM step POSTs its event to the custom step endpoint and waits
// for SendWorkflowStepState; meanwhile ListExecutions (paginated) and DescribeExecution report
// the executions IN_PROGRESS. SUCCESS completes one; FAILURE fails the other with
// CUSTOM_STEP_FAILED and runs its exception step.
func TestWorkflowCustomStep(t *testing.T) {
	lambda := &customLambda{events: make(chan map[string]any, 2), release: make(chan struct{}), t: t,
		status: func(key string) types.CustomStepStatus {
			if strings.HasSuffix(key, "bad.bin") {
				return types.CustomStepStatusFailure
			}
			return types.CustomStepStatusSuccess
		}}
	endpoint := httptest.NewServer(lambda)
	t.Cleanup(endpoint.Close)
	t.Cleanup(func() { lambda.once.Do(func() { close(lambda.release) }) })
	f := startDataPlaneWith(t, emulator.DataPlaneOptions{CustomStepEndpoint: endpoint.URL}, nil)
	lambda.client = f.c
	const target = "arn:aws:lambda:us-east-1:111122223333:function:scan"
	wf := createWorkflow(t, f.c, &transfer.CreateWorkflowInput{
		Steps: []types.WorkflowStep{
			{Type: types.WorkflowStepTypeTag, TagStepDetails: &types.TagStepDetails{Tags: []types.S3Tag{{Key: aws.String("seen"), Value: aws.String("yes")}}}},
			{Type: types.WorkflowStepTypeCustom, CustomStepDetails: &types.CustomStepDetails{Target: aws.String(target), TimeoutSeconds: aws.Int32(1800)}},
		},
		OnExceptionSteps: []types.WorkflowStep{
			{Type: types.WorkflowStepTypeTag, TagStepDetails: &types.TagStepDetails{Tags: []types.S3Tag{{Key: aws.String("rejected"), Value: aws.String("true")}}}},
		},
	})
	f.runWorkflows(t, wf, "")
	c := f.loginUser(t, "carol", "/drop/carol")
	putFile(t, c, "good.bin", "1")
	putFile(t, c, "bad.bin", "2")

	keys := map[string]string{}
	for range 2 {
		var ev map[string]any
		select {
		case ev = <-lambda.events:
		case <-time.After(executionWait):
			t.Fatalf("the custom step endpoint got %d events in %s, want 2", len(keys), executionWait)
		}
		sm := ev["serviceMetadata"].(map[string]any)
		exec, transferDetails := sm["executionDetails"].(map[string]any), sm["transferDetails"].(map[string]any)
		file := ev["fileLocation"].(map[string]any)
		if ev["token"] == "" || exec["workflowId"] != wf || transferDetails["userName"] != "carol" || transferDetails["serverId"] != f.serverID ||
			transferDetails["sessionId"] == "" || file["domain"] != "S3" || file["bucket"] != "drop" || ev["target"] != target {
			t.Fatalf("custom step event %v", ev)
		}
		keys[exec["executionId"].(string)] = file["key"].(string)
	}

	var listed []types.ListedExecution
	var token *string
	for page := 0; ; page++ {
		out, err := f.c.ListExecutions(ctxT(t), &transfer.ListExecutionsInput{WorkflowId: aws.String(wf), MaxResults: aws.Int32(1), NextToken: token})
		mustNoErr(t, err, "ListExecutions")
		if len(out.Executions) != 1 {
			t.Fatalf("page %d lists %d executions, want 1", page, len(out.Executions))
		}
		listed = append(listed, out.Executions...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	for _, l := range listed {
		if _, ok := keys[aws.ToString(l.ExecutionId)]; !ok || l.Status != types.ExecutionStatusInProgress ||
			aws.ToString(l.ServiceMetadata.UserDetails.UserName) != "carol" || aws.ToString(l.InitialFileLocation.S3FileLocation.Bucket) != "drop" {
			t.Errorf("listed %+v, want one of the two executions in progress", l)
		}
	}
	if len(listed) != 2 {
		t.Fatalf("ListExecutions listed %d executions, want 2", len(listed))
	}
	id := aws.ToString(listed[0].ExecutionId)
	desc, err := f.c.DescribeExecution(ctxT(t), &transfer.DescribeExecutionInput{WorkflowId: aws.String(wf), ExecutionId: aws.String(id)})
	mustNoErr(t, err, "DescribeExecution")
	if e := desc.Execution; e.Status != types.ExecutionStatusInProgress || len(e.Results.Steps) != 1 || e.Results.Steps[0].StepType != types.WorkflowStepTypeTag ||
		aws.ToString(e.ExecutionRole) != testExecutionRole || aws.ToString(e.ServiceMetadata.UserDetails.ServerId) != f.serverID || aws.ToString(desc.WorkflowId) != wf {
		t.Errorf("DescribeExecution: %+v, want IN_PROGRESS after its TAG step", e)
	}
	_, err = f.c.SendWorkflowStepState(ctxT(t), &transfer.SendWorkflowStepStateInput{
		WorkflowId: aws.String(wf), ExecutionId: aws.String(id), Token: aws.String("notthetoken"), Status: types.CustomStepStatusSuccess,
	})
	wantAPIError(t, err, emulator.CodeInvalidRequest)

	lambda.once.Do(func() { close(lambda.release) })
	done := waitFinished(t, f.srv, wf, 2)
	s3c := f.s3Client()
	for _, x := range done {
		switch keys[x.ExecutionID] {
		case "carol/good.bin":
			if x.Status != emulator.ExecutionCompleted || !slices.Equal(stepTypes(x.Results.Steps), []string{"TAG", "CUSTOM"}) {
				t.Errorf("good.bin: %+v, want COMPLETED", x)
			}
		case "carol/bad.bin":
			if x.Status != emulator.ExecutionException || !slices.Equal(stepTypes(x.Results.Steps), []string{"TAG", "CUSTOM:CUSTOM_STEP_FAILED"}) ||
				!slices.Equal(stepTypes(x.Results.OnExceptionSteps), []string{"TAG"}) {
				t.Errorf("bad.bin: %+v, want EXCEPTION with CUSTOM_STEP_FAILED and the exception TAG step", x)
			}
			if tags := objectTags(t, s3c, "drop", "carol/bad.bin"); !slices.Equal(tags, []string{"seen=yes", "rejected=true"}) {
				t.Errorf("bad.bin's tags are %v, want [seen=yes rejected=true]", tags)
			}
		default:
			t.Errorf("execution %s is of no upload", x.ExecutionID)
		}
	}
	_, err = f.c.SendWorkflowStepState(ctxT(t), &transfer.SendWorkflowStepStateInput{
		WorkflowId: aws.String(wf), ExecutionId: aws.String(id), Token: aws.String("abc"), Status: types.CustomStepStatusSuccess,
	})
	wantAPIError(t, err, emulator.CodeResourceNotFound)
}

// TestWorkflowCustomStepTimeout: a CUSTOM step whose function never calls back fails with
// TIMEOUT after its TimeoutSeconds.
func TestWorkflowCustomStepTimeout(t *testing.T) {
	endpoint := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(endpoint.Close)
	f := startDataPlaneWith(t, emulator.DataPlaneOptions{CustomStepEndpoint: endpoint.URL}, nil)
	wf := createWorkflow(t, f.c, &transfer.CreateWorkflowInput{Steps: []types.WorkflowStep{
		{Type: types.WorkflowStepTypeCustom, CustomStepDetails: &types.CustomStepDetails{
			Target: aws.String("arn:aws:lambda:us-east-1:111122223333:function:silent"), TimeoutSeconds: aws.Int32(1),
		}},
	}})
	f.runWorkflows(t, wf, "")
	c := f.loginUser(t, "dave", "/drop/dave")
	putFile(t, c, "x", "x")
	if x := waitFinished(t, f.srv, wf, 1)[0]; x.Status != emulator.ExecutionException || !slices.Equal(stepTypes(x.Results.Steps), []string{"CUSTOM:TIMEOUT"}) {
		t.Fatalf("execution %+v, want EXCEPTION after a CUSTOM step TIMEOUT", x)
	}
}

// TestWorkflowPartialUpload: a file still open when the session ends runs the OnPartialUpload
// workflow, not the OnUpload one.
func TestWorkflowPartialUpload(t *testing.T) {
	f := startDataPlane(t, nil)
	tagWith := func(k string) *transfer.CreateWorkflowInput {
		return &transfer.CreateWorkflowInput{Steps: []types.WorkflowStep{{Type: types.WorkflowStepTypeTag,
			TagStepDetails: &types.TagStepDetails{Tags: []types.S3Tag{{Key: aws.String(k), Value: aws.String("true")}}}}}}
	}
	complete, partial := createWorkflow(t, f.c, tagWith("complete")), createWorkflow(t, f.c, tagWith("partial"))
	f.runWorkflows(t, complete, partial)
	c := f.loginUser(t, "erin", "/drop/erin")
	w, err := c.Create("big.bin")
	mustNoErr(t, err, "create big.bin")
	_, err = w.Write([]byte("half of it"))
	mustNoErr(t, err, "write big.bin")
	mustNoErr(t, c.Close(), "end the session with big.bin open")

	x := waitFinished(t, f.srv, partial, 1)[0]
	if loc := x.InitialFileLocation.S3FileLocation; x.Status != emulator.ExecutionCompleted || loc == nil || loc.Key != "erin/big.bin" {
		t.Fatalf("OnPartialUpload execution %+v, want COMPLETED on erin/big.bin", x)
	}
	if n := len(f.srv.Executions(testRegion, complete)); n != 0 {
		t.Errorf("the OnUpload workflow ran %d times for a partial upload", n)
	}
	if tags := objectTags(t, f.s3Client(), "drop", "erin/big.bin"); !slices.Equal(tags, []string{"partial=true"}) {
		t.Errorf("big.bin's tags are %v, want [partial=true]", tags)
	}
}

// TestWorkflowDecrypt: a DECRYPT step fails with NOT_FOUND while the server has no PGP key,
// and decrypts an upload with the server's default key once it has one.
func TestWorkflowDecrypt(t *testing.T) {
	f := startDataPlane(t, nil)
	entity, err := openpgp.NewEntity("partner", "", "partner@example.com", nil)
	mustNoErr(t, err, "new PGP entity")
	var private bytes.Buffer
	aw, err := armor.Encode(&private, openpgp.PrivateKeyType, nil)
	mustNoErr(t, err, "armor")
	mustNoErr(t, entity.SerializePrivate(aw, nil), "serialize PGP key")
	mustNoErr(t, aw.Close(), "armor close")
	var message bytes.Buffer
	mw, err := armor.Encode(&message, "PGP MESSAGE", nil)
	mustNoErr(t, err, "armor")
	pw, err := openpgp.Encrypt(mw, []*openpgp.Entity{entity}, nil, nil, nil)
	mustNoErr(t, err, "encrypt")
	_, err = io.WriteString(pw, "the plain text")
	mustNoErr(t, err, "encrypt")
	mustNoErr(t, pw.Close(), "encrypt close")
	mustNoErr(t, mw.Close(), "armor close")

	wf := createWorkflow(t, f.c, &transfer.CreateWorkflowInput{Steps: []types.WorkflowStep{
		{Type: types.WorkflowStepTypeDecrypt, DecryptStepDetails: &types.DecryptStepDetails{
			Type: types.EncryptionTypePgp,
			DestinationFileLocation: &types.InputFileLocation{S3FileLocation: &types.S3InputFileLocation{
				Bucket: aws.String("clear"), Key: aws.String("${Transfer:UserName}/"),
			}},
		}},
	}})
	f.runWorkflows(t, wf, "")
	c := f.loginUser(t, "frank", "/sealed/frank")
	putFile(t, c, "first.asc", message.String())
	if x := waitFinished(t, f.srv, wf, 1)[0]; !slices.Equal(stepTypes(x.Results.Steps), []string{"DECRYPT:NOT_FOUND"}) {
		t.Fatalf("without a PGP key: %+v, want DECRYPT failing NOT_FOUND", x)
	}

	mustNoErr(t, f.srv.SetPGPKey(testRegion, f.serverID, "", emulator.PGPKey{PrivateKey: private.String()}), "SetPGPKey")
	putFile(t, c, "second.asc", message.String())
	if x := waitFinished(t, f.srv, wf, 2)[1]; x.Status != emulator.ExecutionCompleted {
		t.Fatalf("with the server's PGP key: %+v, want COMPLETED", x)
	}
	if status, body := s3Get(t, f, "clear/frank/second.asc"); status != http.StatusOK || body != "the plain text" {
		t.Fatalf("decrypted file: %d %q", status, body)
	}
	if err := f.srv.SetPGPKey(testRegion, f.serverID, "frank", emulator.PGPKey{PrivateKey: "not a key"}); err == nil {
		t.Error("SetPGPKey took a key that does not parse")
	}
}

// TestS3ObjectTagging: the S3 API stores and serves object tags, and a new upload of a key has
// none.
func TestS3ObjectTagging(t *testing.T) {
	f := startDataPlane(t, nil)
	s3c := f.s3Client()
	put := func() {
		_, err := s3c.PutObject(ctxT(t), &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("x")})
		mustNoErr(t, err, "PutObject")
	}
	put()
	_, err := s3c.PutObjectTagging(ctxT(t), &s3.PutObjectTaggingInput{Bucket: aws.String("b"), Key: aws.String("k"),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}}})
	mustNoErr(t, err, "PutObjectTagging")
	if tags := objectTags(t, s3c, "b", "k"); !slices.Equal(tags, []string{"a=1"}) {
		t.Fatalf("tags %v, want [a=1]", tags)
	}
	put()
	if tags := objectTags(t, s3c, "b", "k"); len(tags) != 0 {
		t.Fatalf("tags %v after a new PutObject, want none", tags)
	}
	_, err = s3c.GetObjectTagging(ctxT(t), &s3.GetObjectTaggingInput{Bucket: aws.String("b"), Key: aws.String("missing")})
	if err == nil || !strings.Contains(err.Error(), "NoSuchKey") {
		t.Fatalf("GetObjectTagging of a missing key: %v, want NoSuchKey", err)
	}
}
