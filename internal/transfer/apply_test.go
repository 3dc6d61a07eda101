package transfer

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/google/go-cmp/cmp"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// recordingAPI answers every call ApplyServerPlan, ApplyUserPlan and CreateUserWithKeys make with
// success, failing the one named fail.
func recordingAPI(fail string) *fakeAPI {
	answer := func(op string) error {
		if op == fail {
			return apiError(CodeServiceUnavailable)
		}
		return nil
	}
	return &fakeAPI{
		tagResource: func(*transfer.TagResourceInput) (*transfer.TagResourceOutput, error) {
			return &transfer.TagResourceOutput{}, answer("TagResource")
		},
		untagResource: func(*transfer.UntagResourceInput) (*transfer.UntagResourceOutput, error) {
			return &transfer.UntagResourceOutput{}, answer("UntagResource")
		},
		updateServer: func(*transfer.UpdateServerInput) (*transfer.UpdateServerOutput, error) {
			return &transfer.UpdateServerOutput{}, answer("UpdateServer")
		},
		stopServer: func(*transfer.StopServerInput) (*transfer.StopServerOutput, error) {
			return &transfer.StopServerOutput{}, answer("StopServer")
		},
		updateUser: func(*transfer.UpdateUserInput) (*transfer.UpdateUserOutput, error) {
			return &transfer.UpdateUserOutput{}, answer("UpdateUser")
		},
		createUser: func(*transfer.CreateUserInput) (*transfer.CreateUserOutput, error) {
			return &transfer.CreateUserOutput{}, answer("CreateUser")
		},
		importKey: func(*transfer.ImportSshPublicKeyInput) (*transfer.ImportSshPublicKeyOutput, error) {
			return &transfer.ImportSshPublicKeyOutput{SshPublicKeyId: aws.String("key-new")}, answer("ImportSshPublicKey")
		},
		deleteKey: func(*transfer.DeleteSshPublicKeyInput) (*transfer.DeleteSshPublicKeyOutput, error) {
			return &transfer.DeleteSshPublicKeyOutput{}, answer("DeleteSshPublicKey")
		},
	}
}

// TestApplyServerPlan checks the order of the calls for a server's plan: tags, the online update,
// then the offline update, for which a running server is stopped instead.
func TestApplyServerPlan(t *testing.T) {
	var online, offline ServerUpdate
	online.add("loggingRole", func(in *transfer.UpdateServerInput) { in.LoggingRole = aws.String("role") })
	offline.add("endpointDetails.subnetIds", func(in *transfer.UpdateServerInput) {})
	for _, tc := range []struct {
		name        string
		state       string
		plan        ServerPlan
		fail        string
		wantCalls   []string
		wantStopped bool
		wantErr     bool
	}{
		{name: "in sync", state: StateOnline},
		{name: "tags and online update", state: StateOnline,
			plan:      ServerPlan{AddTags: map[string]string{"team": "a"}, RemoveTags: []string{"old"}, Update: online},
			wantCalls: []string{"TagResource", "UntagResource", "UpdateServer"}},
		{name: "offline update on a running server stops it", state: StateOnline,
			plan:      ServerPlan{Update: online, OfflineUpdate: offline},
			wantCalls: []string{"UpdateServer", "StopServer"}, wantStopped: true},
		{name: "offline update on a stopped server", state: StateOffline,
			plan:      ServerPlan{Update: online, OfflineUpdate: offline},
			wantCalls: []string{"UpdateServer", "UpdateServer"}},
		{name: "a failed tag stops there", state: StateOnline, fail: "TagResource",
			plan:      ServerPlan{AddTags: map[string]string{"team": "a"}, Update: online},
			wantCalls: []string{"TagResource"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := recordingAPI(tc.fail)
			server := &Server{ID: testServerID, ARN: "arn:aws:transfer:us-east-1:123456789012:server/" + testServerID, State: tc.state}
			stopped, err := NewService(f, testRegion).ApplyServerPlan(context.Background(), server, tc.plan)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ApplyServerPlan() error = %v, want an error: %t", err, tc.wantErr)
			}
			if stopped != tc.wantStopped {
				t.Errorf("stopped = %t, want %t", stopped, tc.wantStopped)
			}
			if diff := cmp.Diff(tc.wantCalls, f.calls, equateEmpty); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplyUserPlan checks the order of the calls for a user's plan (tags, update, key deletions
// before imports, so that a user at AWS's limit of keys can swap one) and the keys it reports.
func TestApplyUserPlan(t *testing.T) {
	oldKey, keptKey, newKey := sshKey(1, ""), sshKey(2, ""), sshKey(3, "")
	user := awsUser(withKeys(oldKey, keptKey))
	plan := PlanUser(desiredUser(v1alpha1.TransferUserSpec{
		SSHPublicKeys: keys(keptKey, newKey),
		Tags:          map[string]string{"team": "a"},
		Policy:        `{"Version":"2012-10-17","Statement":[]}`,
	}), user)

	f := recordingAPI("")
	got, err := NewService(f, testRegion).ApplyUserPlan(context.Background(), user, plan)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"TagResource", "UpdateUser", "DeleteSshPublicKey", "ImportSshPublicKey"}, f.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	var ids []string
	for _, k := range got {
		ids = append(ids, k.ID+" "+k.Material)
	}
	if diff := cmp.Diff([]string{"key-1 " + keptKey, "key-new " + newKey}, ids); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}

	f = recordingAPI("")
	if _, err := NewService(f, testRegion).ApplyUserPlan(context.Background(), user, PlanUser(desiredUser(v1alpha1.TransferUserSpec{}), user)); err != nil || len(f.calls) > 0 {
		t.Errorf("a plan in sync: calls %v, error %v; want none", f.calls, err)
	}
}

// TestCreateUserWithKeys checks that the first key goes with CreateUser and the others are
// imported, and that a user made before an import failed is reported as created.
func TestCreateUserWithKeys(t *testing.T) {
	d := desiredUser(v1alpha1.TransferUserSpec{SSHPublicKeys: keys(sshKey(1, ""), sshKey(2, ""))})
	for _, tc := range []struct {
		name        string
		fail        string
		wantCreated bool
		wantKeys    int
		wantErr     bool
	}{
		{name: "created with both keys", wantCreated: true, wantKeys: 2},
		{name: "refused", fail: "CreateUser", wantErr: true},
		{name: "created, second key failed", fail: "ImportSshPublicKey", wantCreated: true, wantKeys: 1, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := recordingAPI(tc.fail)
			created, got, err := NewService(f, testRegion).CreateUserWithKeys(context.Background(), d)
			if (err != nil) != tc.wantErr || created != tc.wantCreated || len(got) != tc.wantKeys {
				t.Errorf("CreateUserWithKeys() = %t, %d keys, %v; want %t, %d keys, an error: %t", created, len(got), err, tc.wantCreated, tc.wantKeys, tc.wantErr)
			}
		})
	}
}
