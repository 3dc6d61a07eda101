package transfer

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// recordedService is a Service that talks to an emulator over HTTP with the real SDK, and records
// the operations it sends, in order.
type recordedService struct {
	*Service
	emu *emulator.Emulator
	mu  sync.Mutex
	ops []string
}

func newRecordedService(t *testing.T) *recordedService {
	t.Helper()
	rs := &recordedService{emu: emulator.New(emulator.Options{})}
	srv := httptest.NewServer(rs.emu)
	t.Cleanup(srv.Close)
	record := middleware.InitializeMiddlewareFunc("record", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		rs.mu.Lock()
		rs.ops = append(rs.ops, middleware.GetOperationName(ctx))
		rs.mu.Unlock()
		return next.HandleInitialize(ctx, in)
	})
	apiOptions := []func(*middleware.Stack) error{func(s *middleware.Stack) error {
		return s.Initialize.Add(record, middleware.Before)
	}}
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	client := transfer.New(transfer.Options{Region: testRegion, BaseEndpoint: aws.String(srv.URL), Credentials: creds, APIOptions: apiOptions})
	secrets := secretsmanager.New(secretsmanager.Options{Region: testRegion, BaseEndpoint: aws.String(srv.URL), Credentials: creds, APIOptions: apiOptions})
	rs.Service = NewService(client, testRegion).UseSecrets(secrets)
	return rs
}

// sent returns the operations sent since the last call, and forgets them.
func (rs *recordedService) sent() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	ops := rs.ops
	rs.ops = nil
	return ops
}

func noOtherOwner(map[string]string) string { return "" }

// TestObserveAndDeleteCallSequences checks the AWS calls of observing and deleting a resource an
// object recorded, without a control plane: by ID, after a create whose response was lost (by the
// ownership tag), once deleted outside the operator, and guarded by another live owner.
func TestObserveAndDeleteCallSequences(t *testing.T) {
	ctx := context.Background()
	rs := newRecordedService(t)
	owner := OwnerTags("TransferServer", "team-a", "sftp", "uid-1")
	id, err := rs.CreateServer(ctx, DesiredServer{Spec: &v1alpha1.TransferServerSpec{}, OwnerTags: owner})
	if err != nil {
		t.Fatal(err)
	}
	rs.sent()

	steps := []struct {
		name    string
		run     func() (any, error)
		want    any
		wantOps []string
	}{
		{
			name: "by ID: one describe",
			run: func() (any, error) {
				o, err := rs.ObserveServer(ctx, Recorded{ID: id, OwnerUID: "uid-1"})
				return o.ID, err
			},
			want: id, wantOps: []string{"DescribeServer"},
		},
		{
			name: "lost create: list, tags, then describe",
			run: func() (any, error) {
				o, err := rs.ObserveServer(ctx, Recorded{CreatePending: true, OwnerUID: "uid-1"})
				return [2]any{o.ID, o.FoundByTag}, err
			},
			want: [2]any{id, true}, wantOps: []string{"ListServers", "ListTagsForResource", "DescribeServer"},
		},
		{
			name: "nothing recorded: no call",
			run: func() (any, error) {
				o, err := rs.ObserveServer(ctx, Recorded{OwnerUID: "uid-1"})
				return o.Resource == nil, err
			},
			want: true,
		},
		{
			name: "another live owner: described, never deleted",
			run: func() (any, error) {
				d, err := rs.DeleteRecordedServer(ctx, Recorded{ID: id}, func(map[string]string) string { return "TransferServer team-b/sftp" })
				return [2]any{d.OwnedBy, len(d.Deleted)}, err
			},
			want: [2]any{"TransferServer team-b/sftp", 0}, wantOps: []string{"DescribeServer"},
		},
		{
			name: "owner-guarded delete: describe, then delete",
			run: func() (any, error) {
				d, err := rs.DeleteRecordedServer(ctx, Recorded{ID: id}, noOtherOwner)
				return d.Deleted, err
			},
			want: []string{id}, wantOps: []string{"DescribeServer", "DeleteServer"},
		},
		{
			name: "deleted outside the operator: gone, nothing deleted",
			run: func() (any, error) {
				o, err := rs.ObserveServer(ctx, Recorded{ID: id})
				return o.Gone, err
			},
			want: true, wantOps: []string{"DescribeServer"},
		},
	}
	for _, step := range steps {
		got, err := step.run()
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("%s: result (-want +got):\n%s", step.name, diff)
		}
		if diff := cmp.Diff(step.wantOps, rs.sent()); diff != "" {
			t.Errorf("%s: calls (-want +got):\n%s", step.name, diff)
		}
	}
}

// TestDeleteRecordedWorkflowWaitsWhileInUse checks that a workflow a server runs is not deleted:
// the refusal is classed InUse from its code, and the retired workflows go first.
func TestDeleteRecordedWorkflowWaitsWhileInUse(t *testing.T) {
	ctx := context.Background()
	rs := newRecordedService(t)
	spec := &v1alpha1.TransferWorkflowSpec{Steps: []v1alpha1.WorkflowStep{{Type: "DELETE", DeleteStepDetails: &v1alpha1.DeleteStepDetails{Name: "clean"}}}}
	retired, err := rs.CreateWorkflow(ctx, DesiredWorkflow{Spec: spec, OwnerTags: testWorkflowOwner})
	if err != nil {
		t.Fatal(err)
	}
	current, err := rs.CreateWorkflow(ctx, DesiredWorkflow{Spec: spec, OwnerTags: testWorkflowOwner})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.api.CreateServer(ctx, &transfer.CreateServerInput{WorkflowDetails: &types.WorkflowDetails{
		OnUpload: []types.WorkflowDetail{{WorkflowId: aws.String(current), ExecutionRole: aws.String("arn:aws:iam::111122223333:role/wf")}},
	}}); err != nil {
		t.Fatal(err)
	}
	rs.sent()

	d, err := rs.DeleteRecordedWorkflow(ctx, Recorded{ID: current, Exclude: []string{retired}}, noOtherOwner)
	if err != nil {
		t.Fatal(err)
	}
	if d.InUse != current || !IsInUse(d.InUseErr) || !cmp.Equal(d.Deleted, []string{retired}) {
		t.Errorf("DeleteRecordedWorkflow() = %+v, want %s deleted and %s in use", d, retired, current)
	}
	if diff := cmp.Diff([]string{"DescribeWorkflow", "DeleteWorkflow", "DeleteWorkflow"}, rs.sent()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// TestOwnedSecretCallSequences checks the Secrets Manager calls of a connector's credentials: a
// create, a create whose response was lost (found by name and owner tag, then written), a write
// to the recorded secret, one of another owner refused, and the deletion.
func TestOwnedSecretCallSequences(t *testing.T) {
	ctx := context.Background()
	rs := newRecordedService(t)
	owner := OwnerTags("TransferConnector", "ns", "acme", "uid-1")
	creds := ConnectorCredentials{Username: "acme", PrivateKey: "KEY"}

	arn, err := rs.PutOwnedSecret(ctx, "", "transfer-operator/ns/acme/uid-1", creds, owner)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"CreateSecret"}, rs.sent()); diff != "" {
		t.Errorf("create: calls (-want +got):\n%s", diff)
	}

	// The first answer was lost: the same name is created again and found to be ours.
	again, err := rs.PutOwnedSecret(ctx, "", "transfer-operator/ns/acme/uid-1", creds, owner)
	if err != nil || again != arn {
		t.Fatalf("PutOwnedSecret() after a lost create = %q, %v; want %q", again, err, arn)
	}
	if diff := cmp.Diff([]string{"CreateSecret", "DescribeSecret", "PutSecretValue"}, rs.sent()); diff != "" {
		t.Errorf("lost create: calls (-want +got):\n%s", diff)
	}

	if _, err := rs.PutOwnedSecret(ctx, arn, "transfer-operator/ns/acme/uid-1", creds, owner); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"PutSecretValue"}, rs.sent()); diff != "" {
		t.Errorf("recorded: calls (-want +got):\n%s", diff)
	}

	other := OwnerTags("TransferConnector", "ns", "acme", "uid-2")
	if _, err := rs.PutOwnedSecret(ctx, "", "transfer-operator/ns/acme/uid-1", creds, other); !errors.Is(err, ErrSecretOwnedByAnother) {
		t.Errorf("PutOwnedSecret() for another owner = %v, want ErrSecretOwnedByAnother", err)
	}
	if err := rs.DeleteOwnedSecret(ctx, "transfer-operator/ns/acme/uid-1", "uid-2"); !errors.Is(err, ErrSecretOwnedByAnother) {
		t.Errorf("DeleteOwnedSecret() for another owner = %v, want ErrSecretOwnedByAnother", err)
	}
	rs.sent()
	if err := rs.DeleteOwnedSecret(ctx, "transfer-operator/ns/acme/uid-1", "uid-1"); err != nil {
		t.Fatal(err)
	}
	if err := rs.DeleteOwnedSecret(ctx, "transfer-operator/ns/acme/uid-1", "uid-1"); err != nil {
		t.Errorf("deleting a deleted secret: %v, want nil", err)
	}
	if diff := cmp.Diff([]string{"DescribeSecret", "DeleteSecret", "DescribeSecret"}, rs.sent()); diff != "" {
		t.Errorf("delete: calls (-want +got):\n%s", diff)
	}
}

// TestDeleteRecordedUserCallSequences checks the calls of deleting a user: one DeleteUser for a
// recorded user; for one never recorded, a describe first, and a delete only when it carries the
// object's tag.
func TestDeleteRecordedUserCallSequences(t *testing.T) {
	ctx := context.Background()
	rs := newRecordedService(t)
	serverID, err := rs.CreateServer(ctx, DesiredServer{Spec: &v1alpha1.TransferServerSpec{}, OwnerTags: OwnerTags("TransferServer", "ns", "s", "uid-s")})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ours", "theirs", "recorded"} {
		if err := rs.CreateUser(ctx, DesiredUser{Spec: &v1alpha1.TransferUserSpec{Role: "arn:aws:iam::111122223333:role/u"}, ServerID: serverID, UserName: name,
			OwnerTags: OwnerTags("TransferUser", "ns", name, "uid-"+name)}); err != nil {
			t.Fatal(err)
		}
	}
	rs.sent()
	for _, tc := range []struct {
		name, user, uid string
		recorded        bool
		wantDeleted     bool
		wantOps         []string
	}{
		{"recorded: one call", "recorded", "uid-recorded", true, true, []string{"DeleteUser"}},
		{"never recorded, ours: described, then deleted", "ours", "uid-ours", false, true, []string{"DescribeUser", "DeleteUser"}},
		{"never recorded, another's: described, left", "theirs", "uid-someone", false, false, []string{"DescribeUser"}},
		{"never recorded, gone: described", "nobody", "uid-nobody", false, false, []string{"DescribeUser"}},
	} {
		deleted, err := rs.DeleteRecordedUser(ctx, serverID, tc.user, tc.uid, tc.recorded)
		if err != nil || deleted != tc.wantDeleted {
			t.Errorf("%s: DeleteRecordedUser() = %v, %v; want %v", tc.name, deleted, err, tc.wantDeleted)
		}
		if diff := cmp.Diff(tc.wantOps, rs.sent()); diff != "" {
			t.Errorf("%s: calls (-want +got):\n%s", tc.name, diff)
		}
	}
}
