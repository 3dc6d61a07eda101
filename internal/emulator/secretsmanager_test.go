package emulator_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// secretsClient speaks Secrets Manager's wire protocol (awsJson1_1, X-Amz-Target
// secretsmanager.<Action>, SigV4 for the service secretsmanager), as its SDK client does; the
// module is not a dependency of this repository yet.
type secretsClient struct {
	t   testing.TB
	url string
}

// smAnswer is the status and JSON document of an answer.
type smAnswer struct {
	status int
	doc    map[string]any
}

// code is the error code of an error answer, "" for success.
func (a smAnswer) code() string {
	c, _ := a.doc["__type"].(string)
	return c
}

// str returns a string member of the answer.
func (a smAnswer) str(member string) string {
	s, _ := a.doc[member].(string)
	return s
}

// call posts one action with body (a JSON document) and returns the answer.
func (c secretsClient) call(action string, body any) smAnswer {
	c.t.Helper()
	payload, err := json.Marshal(body)
	mustNoErr(c.t, err, "marshal")
	req, err := http.NewRequestWithContext(ctxT(c.t), http.MethodPost, c.url+"/", bytes.NewReader(payload))
	mustNoErr(c.t, err, "request")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager."+action)
	sum := sha256.Sum256(payload)
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	mustNoErr(c.t, v4.NewSigner().SignHTTP(req.Context(), creds, req, hex.EncodeToString(sum[:]), "secretsmanager", testRegion, time.Now()), "sign")
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(c.t, err, action)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := smAnswer{status: resp.StatusCode}
	if err := json.Unmarshal(raw, &a.doc); err != nil {
		c.t.Fatalf("%s: answer %d %q is not JSON", action, resp.StatusCode, raw)
	}
	return a
}

// ok calls an action that must succeed.
func (c secretsClient) ok(action string, body any) smAnswer {
	c.t.Helper()
	a := c.call(action, body)
	if a.status != http.StatusOK {
		c.t.Fatalf("%s: %d %v", action, a.status, a.doc)
	}
	return a
}

// fails calls an action that must fail with code.
func (c secretsClient) fails(action string, body any, code string) smAnswer {
	c.t.Helper()
	a := c.call(action, body)
	if a.status != http.StatusBadRequest || a.code() != code {
		c.t.Fatalf("%s: %d %v, want 400 %s", action, a.status, a.doc, code)
	}
	return a
}

type obj = map[string]any

var secretARNRE = regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:111122223333:secret:partner/creds-[A-Za-z0-9]{6}$`)

func TestSecretVersions(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	sm := secretsClient{t, srv.URL()}
	created := sm.ok("CreateSecret", obj{"Name": "partner/creds", "SecretString": `{"Username":"alice"}`,
		"Tags": []obj{{"Key": "team", "Value": "a"}}, "ClientRequestToken": "11111111-1111-4111-8111-111111111111"})
	arn := created.str("ARN")
	if !secretARNRE.MatchString(arn) || created.str("Name") != "partner/creds" || created.str("VersionId") != "11111111-1111-4111-8111-111111111111" {
		t.Fatalf("CreateSecret = %v", created.doc)
	}
	sm.fails("CreateSecret", obj{"Name": "partner/creds", "SecretString": "x"}, "ResourceExistsException")
	sm.fails("CreateSecret", obj{"Name": "both", "SecretString": "x", "SecretBinary": "eA=="}, "InvalidParameterException")
	sm.fails("CreateSecret", obj{"Name": "bad name!"}, "ValidationException")

	for _, id := range []string{"partner/creds", arn, arn[:len(arn)-7]} {
		if got := sm.ok("GetSecretValue", obj{"SecretId": id}); got.str("SecretString") != `{"Username":"alice"}` || got.str("ARN") != arn {
			t.Errorf("GetSecretValue(%s) = %v", id, got.doc)
		}
	}
	sm.fails("GetSecretValue", obj{"SecretId": "nope"}, "ResourceNotFoundException")

	put := sm.ok("PutSecretValue", obj{"SecretId": arn, "SecretString": `{"Username":"bob"}`})
	second := put.str("VersionId")
	desc := sm.ok("DescribeSecret", obj{"SecretId": arn})
	stages, _ := json.Marshal(desc.doc["VersionIdsToStages"])
	want, _ := json.Marshal(map[string][]string{"11111111-1111-4111-8111-111111111111": {"AWSPREVIOUS"}, second: {"AWSCURRENT"}})
	if string(stages) != string(want) {
		t.Errorf("VersionIdsToStages = %s, want %s", stages, want)
	}
	if got := sm.ok("GetSecretValue", obj{"SecretId": arn}); got.str("SecretString") != `{"Username":"bob"}` {
		t.Errorf("AWSCURRENT = %v", got.doc)
	}
	if got := sm.ok("GetSecretValue", obj{"SecretId": arn, "VersionStage": "AWSPREVIOUS"}); got.str("SecretString") != `{"Username":"alice"}` {
		t.Errorf("AWSPREVIOUS = %v", got.doc)
	}
	// The same token again is idempotent with the same value and refused with another.
	sm.ok("PutSecretValue", obj{"SecretId": arn, "SecretString": `{"Username":"bob"}`, "ClientRequestToken": second})
	sm.fails("PutSecretValue", obj{"SecretId": arn, "SecretString": "other", "ClientRequestToken": second}, "ResourceExistsException")

	updated := sm.ok("UpdateSecret", obj{"SecretId": arn, "Description": "partner login", "SecretBinary": "AQI="})
	if updated.str("VersionId") == "" {
		t.Errorf("UpdateSecret with a value made no version: %v", updated.doc)
	}
	got := sm.ok("GetSecretValue", obj{"SecretId": arn})
	if got.str("SecretBinary") != "AQI=" || got.doc["SecretString"] != nil {
		t.Errorf("after UpdateSecret: %v", got.doc)
	}
	if d := sm.ok("DescribeSecret", obj{"SecretId": arn}); d.str("Description") != "partner login" || d.doc["LastAccessedDate"] == nil {
		t.Errorf("DescribeSecret = %v, want the description and LastAccessedDate", d.doc)
	}

	snap, _ := json.Marshal(srv.Snapshot())
	if strings.Contains(string(snap), "alice") || strings.Contains(string(snap), "AQI=") || !strings.Contains(string(snap), arn) {
		t.Errorf("the snapshot shows secret values or not the secret: %s", snap)
	}
}

func TestSecretDeletion(t *testing.T) {
	clock := clocktesting.NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := startEmulator(t, emulator.Options{Clock: clock})
	sm := secretsClient{t, srv.URL()}
	sm.ok("CreateSecret", obj{"Name": "s", "SecretString": "v"})

	sm.fails("DeleteSecret", obj{"SecretId": "s", "ForceDeleteWithoutRecovery": true, "RecoveryWindowInDays": 7}, "InvalidParameterException")
	sm.fails("DeleteSecret", obj{"SecretId": "s", "RecoveryWindowInDays": 6}, "InvalidParameterException")
	deleted := sm.ok("DeleteSecret", obj{"SecretId": "s"})
	if got, want := deleted.doc["DeletionDate"], float64(clock.Now().Add(30*24*time.Hour).Unix()); got != want {
		t.Errorf("DeletionDate = %v, want now + 30 days (%v)", got, want)
	}
	sm.fails("GetSecretValue", obj{"SecretId": "s"}, "InvalidRequestException")
	sm.fails("CreateSecret", obj{"Name": "s"}, "InvalidRequestException")
	sm.fails("DeleteSecret", obj{"SecretId": "s"}, "InvalidRequestException")
	if d := sm.ok("DescribeSecret", obj{"SecretId": "s"}); d.doc["DeletedDate"] == nil {
		t.Errorf("DescribeSecret of a secret scheduled for deletion = %v, want its DeletedDate", d.doc)
	}
	if l := sm.ok("ListSecrets", obj{}); len(l.doc["SecretList"].([]any)) != 0 {
		t.Errorf("ListSecrets shows a secret scheduled for deletion: %v", l.doc)
	}
	if l := sm.ok("ListSecrets", obj{"IncludePlannedDeletion": true}); len(l.doc["SecretList"].([]any)) != 1 {
		t.Errorf("ListSecrets with IncludePlannedDeletion = %v", l.doc)
	}
	sm.ok("RestoreSecret", obj{"SecretId": "s"})
	sm.ok("GetSecretValue", obj{"SecretId": "s"})

	sm.ok("DeleteSecret", obj{"SecretId": "s", "RecoveryWindowInDays": 7})
	clock.Step(7 * 24 * time.Hour)
	sm.fails("DescribeSecret", obj{"SecretId": "s"}, "ResourceNotFoundException")
	sm.ok("CreateSecret", obj{"Name": "s"})
	sm.ok("DeleteSecret", obj{"SecretId": "s", "ForceDeleteWithoutRecovery": true})
	sm.fails("DescribeSecret", obj{"SecretId": "s"}, "ResourceNotFoundException")
	sm.ok("DeleteSecret", obj{"SecretId": "s", "ForceDeleteWithoutRecovery": true})
}

func TestSecretTagsAndList(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	sm := secretsClient{t, srv.URL()}
	for _, name := range []string{"app/a", "app/b", "other"} {
		sm.ok("CreateSecret", obj{"Name": name, "Tags": []obj{{"Key": "owner", "Value": name}}})
	}
	sm.ok("TagResource", obj{"SecretId": "app/a", "Tags": []obj{{"Key": "env", "Value": "prod"}}})
	sm.fails("TagResource", obj{"SecretId": "app/a", "Tags": []obj{{"Key": "aws:x", "Value": "y"}}}, "InvalidParameterException")
	sm.ok("UntagResource", obj{"SecretId": "app/a", "TagKeys": []string{"owner"}})
	tags, _ := json.Marshal(sm.ok("DescribeSecret", obj{"SecretId": "app/a"}).doc["Tags"])
	if string(tags) != `[{"Key":"env","Value":"prod"}]` {
		t.Errorf("tags = %s", tags)
	}

	names := func(a smAnswer) []string {
		var out []string
		for _, s := range a.doc["SecretList"].([]any) {
			out = append(out, s.(map[string]any)["Name"].(string))
		}
		return out
	}
	if got := names(sm.ok("ListSecrets", obj{"Filters": []obj{{"Key": "name", "Values": []string{"app/"}}}})); strings.Join(got, ",") != "app/a,app/b" {
		t.Errorf("name filter: %v", got)
	}
	if got := names(sm.ok("ListSecrets", obj{"Filters": []obj{{"Key": "tag-key", "Values": []string{"!owner"}}}})); strings.Join(got, ",") != "app/a" {
		t.Errorf("negated tag-key filter: %v", got)
	}
	page := sm.ok("ListSecrets", obj{"MaxResults": 2})
	if got := names(page); strings.Join(got, ",") != "app/a,app/b" || page.str("NextToken") == "" {
		t.Fatalf("first page: %v", page.doc)
	}
	if got := names(sm.ok("ListSecrets", obj{"MaxResults": 2, "NextToken": page.str("NextToken")})); strings.Join(got, ",") != "other" {
		t.Errorf("second page: %v", got)
	}
	sm.fails("ListSecrets", obj{"MaxResults": 101}, "ValidationException")
}

// TestSecretCallsAndFaults: Secrets Manager calls are counted and faulted under
// secretsmanager.<Action>, apart from Transfer's operations of the same name, in the account of
// the signing credentials.
func TestSecretCallsAndFaults(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	sm := secretsClient{t, srv.URL()}
	sm.ok("CreateSecret", obj{"Name": "s", "SecretString": "v"})
	sm.ok("TagResource", obj{"SecretId": "s", "Tags": []obj{{"Key": "k", "Value": "v"}}})
	mustNoErr(t, srv.FailNext("secretsmanager.GetSecretValue", 1, emulator.FailThrottling), "FailNext")
	sm.fails("GetSecretValue", obj{"SecretId": "s"}, "ThrottlingException")
	sm.ok("GetSecretValue", obj{"SecretId": "s"})
	tc := newClient(srv.URL(), testRegion, noRetries)
	wf, err := tc.CreateWorkflow(ctxT(t), &transfer.CreateWorkflowInput{Steps: []types.WorkflowStep{copyStep("c")}})
	mustNoErr(t, err, "CreateWorkflow")
	_, err = tc.TagResource(ctxT(t), &transfer.TagResourceInput{Arn: aws.String("arn:aws:transfer:us-east-1:111122223333:workflow/" + aws.ToString(wf.WorkflowId)), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	mustNoErr(t, err, "Transfer TagResource")

	calls := srv.CallsIn(emulator.DefaultAccountID)
	if calls.Of("secretsmanager.TagResource") != 1 || calls.Of("TagResource") != 1 || calls.Outcome("secretsmanager.GetSecretValue", "ThrottlingException") != 1 {
		t.Errorf("calls = %v", calls)
	}
	if got := calls.Writes(); got != 4 {
		t.Errorf("Writes() = %d, want 4 (CreateSecret, secretsmanager.TagResource, CreateWorkflow, TagResource)", got)
	}
	if a := sm.call("RotateSecret", obj{"SecretId": "s"}); a.code() != "com.amazon.coral.service#UnknownOperationException" {
		t.Errorf("an action the emulator does not serve: %v", a.doc)
	}
}
