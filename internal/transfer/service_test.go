package transfer

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/google/go-cmp/cmp"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// fakeAPI implements the methods of API a test sets; calling any other one panics.
type fakeAPI struct {
	API
	calls []string

	describeUser  func(*transfer.DescribeUserInput) (*transfer.DescribeUserOutput, error)
	createUser    func(*transfer.CreateUserInput) (*transfer.CreateUserOutput, error)
	importKey     func(*transfer.ImportSshPublicKeyInput) (*transfer.ImportSshPublicKeyOutput, error)
	deleteKey     func(*transfer.DeleteSshPublicKeyInput) (*transfer.DeleteSshPublicKeyOutput, error)
	deleteUser    func(*transfer.DeleteUserInput) (*transfer.DeleteUserOutput, error)
	deleteServer  func(*transfer.DeleteServerInput) (*transfer.DeleteServerOutput, error)
	tagResource   func(*transfer.TagResourceInput) (*transfer.TagResourceOutput, error)
	untagResource func(*transfer.UntagResourceInput) (*transfer.UntagResourceOutput, error)
	listServers   func(*transfer.ListServersInput) (*transfer.ListServersOutput, error)
	listTags      func(*transfer.ListTagsForResourceInput) (*transfer.ListTagsForResourceOutput, error)
	updateServer  func(*transfer.UpdateServerInput) (*transfer.UpdateServerOutput, error)
	stopServer    func(*transfer.StopServerInput) (*transfer.StopServerOutput, error)
	updateUser    func(*transfer.UpdateUserInput) (*transfer.UpdateUserOutput, error)
}

func (f *fakeAPI) UpdateServer(_ context.Context, in *transfer.UpdateServerInput, _ ...func(*transfer.Options)) (*transfer.UpdateServerOutput, error) {
	f.calls = append(f.calls, "UpdateServer")
	return f.updateServer(in)
}

func (f *fakeAPI) StopServer(_ context.Context, in *transfer.StopServerInput, _ ...func(*transfer.Options)) (*transfer.StopServerOutput, error) {
	f.calls = append(f.calls, "StopServer")
	return f.stopServer(in)
}

func (f *fakeAPI) UpdateUser(_ context.Context, in *transfer.UpdateUserInput, _ ...func(*transfer.Options)) (*transfer.UpdateUserOutput, error) {
	f.calls = append(f.calls, "UpdateUser")
	return f.updateUser(in)
}

func (f *fakeAPI) DescribeUser(_ context.Context, in *transfer.DescribeUserInput, _ ...func(*transfer.Options)) (*transfer.DescribeUserOutput, error) {
	f.calls = append(f.calls, "DescribeUser")
	return f.describeUser(in)
}

func (f *fakeAPI) CreateUser(_ context.Context, in *transfer.CreateUserInput, _ ...func(*transfer.Options)) (*transfer.CreateUserOutput, error) {
	f.calls = append(f.calls, "CreateUser")
	return f.createUser(in)
}

func (f *fakeAPI) ImportSshPublicKey(_ context.Context, in *transfer.ImportSshPublicKeyInput, _ ...func(*transfer.Options)) (*transfer.ImportSshPublicKeyOutput, error) {
	f.calls = append(f.calls, "ImportSshPublicKey")
	return f.importKey(in)
}

func (f *fakeAPI) DeleteSshPublicKey(_ context.Context, in *transfer.DeleteSshPublicKeyInput, _ ...func(*transfer.Options)) (*transfer.DeleteSshPublicKeyOutput, error) {
	f.calls = append(f.calls, "DeleteSshPublicKey")
	return f.deleteKey(in)
}

func (f *fakeAPI) DeleteUser(_ context.Context, in *transfer.DeleteUserInput, _ ...func(*transfer.Options)) (*transfer.DeleteUserOutput, error) {
	f.calls = append(f.calls, "DeleteUser")
	return f.deleteUser(in)
}

func (f *fakeAPI) DeleteServer(_ context.Context, in *transfer.DeleteServerInput, _ ...func(*transfer.Options)) (*transfer.DeleteServerOutput, error) {
	f.calls = append(f.calls, "DeleteServer")
	return f.deleteServer(in)
}

func (f *fakeAPI) TagResource(_ context.Context, in *transfer.TagResourceInput, _ ...func(*transfer.Options)) (*transfer.TagResourceOutput, error) {
	f.calls = append(f.calls, "TagResource")
	return f.tagResource(in)
}

func (f *fakeAPI) UntagResource(_ context.Context, in *transfer.UntagResourceInput, _ ...func(*transfer.Options)) (*transfer.UntagResourceOutput, error) {
	f.calls = append(f.calls, "UntagResource")
	return f.untagResource(in)
}

func (f *fakeAPI) ListServers(_ context.Context, in *transfer.ListServersInput, _ ...func(*transfer.Options)) (*transfer.ListServersOutput, error) {
	f.calls = append(f.calls, "ListServers")
	return f.listServers(in)
}

func (f *fakeAPI) ListTagsForResource(_ context.Context, in *transfer.ListTagsForResourceInput, _ ...func(*transfer.Options)) (*transfer.ListTagsForResourceOutput, error) {
	f.calls = append(f.calls, "ListTagsForResource")
	return f.listTags(in)
}

// TestServiceDeletesAreIdempotent checks that deleting a server, user or key that is already
// gone succeeds, and that any other error is returned with its AWS class intact.
func TestServiceDeletesAreIdempotent(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		err     error
		wantErr bool
	}{
		{name: "deleted", err: nil},
		{name: "already gone", err: apiError(CodeResourceNotFound)},
		{name: "access denied", err: apiError(CodeAccessDenied), wantErr: true},
	} {
		f := &fakeAPI{
			deleteServer: func(*transfer.DeleteServerInput) (*transfer.DeleteServerOutput, error) {
				return &transfer.DeleteServerOutput{}, tc.err
			},
			deleteUser: func(*transfer.DeleteUserInput) (*transfer.DeleteUserOutput, error) {
				return &transfer.DeleteUserOutput{}, tc.err
			},
			deleteKey: func(*transfer.DeleteSshPublicKeyInput) (*transfer.DeleteSshPublicKeyOutput, error) {
				return &transfer.DeleteSshPublicKeyOutput{}, tc.err
			},
		}
		s := NewService(f, testRegion)
		for name, del := range map[string]func() error{
			"server": func() error { return s.DeleteServer(ctx, testServerID) },
			"user":   func() error { return s.DeleteUser(ctx, testServerID, testUserName) },
			"key":    func() error { return s.DeleteSSHKey(ctx, testServerID, testUserName, "key-0") },
		} {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				err := del()
				if (err != nil) != tc.wantErr {
					t.Fatalf("delete error = %v, want error %v", err, tc.wantErr)
				}
				if err != nil && (!Classify(err).Terminal() || !strings.Contains(err.Error(), testServerID)) {
					t.Errorf("delete error = %v: want it Terminal and naming the server", err)
				}
			})
		}
	}
}

// TestServiceSetTags checks that SetTags sends TagResource only for tags to add and
// UntagResource only for keys to remove.
func TestServiceSetTags(t *testing.T) {
	for _, tc := range []struct {
		name      string
		add       map[string]string
		remove    []string
		wantCalls []string
		wantTags  []types.Tag
	}{
		{name: "nothing"},
		{name: "add", add: map[string]string{"b": "2", "a": "1"}, wantCalls: []string{"TagResource"}, wantTags: tagList(map[string]string{"a": "1", "b": "2"})},
		{name: "remove", remove: []string{"old"}, wantCalls: []string{"UntagResource"}},
		{name: "both", add: map[string]string{"a": "1"}, remove: []string{"old"}, wantCalls: []string{"TagResource", "UntagResource"}, wantTags: tagList(map[string]string{"a": "1"})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gotTags []types.Tag
			var gotKeys []string
			f := &fakeAPI{
				tagResource: func(in *transfer.TagResourceInput) (*transfer.TagResourceOutput, error) {
					gotTags = in.Tags
					return &transfer.TagResourceOutput{}, nil
				},
				untagResource: func(in *transfer.UntagResourceInput) (*transfer.UntagResourceOutput, error) {
					gotKeys = in.TagKeys
					return &transfer.UntagResourceOutput{}, nil
				},
			}
			if err := NewService(f, testRegion).SetTags(context.Background(), testServerARN, tc.add, tc.remove); err != nil {
				t.Fatalf("SetTags: %v", err)
			}
			if diff := cmp.Diff(tc.wantCalls, f.calls, equateEmpty); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantTags, gotTags, sdkOpts, equateEmpty); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.remove, gotKeys, equateEmpty); diff != "" {
				t.Errorf("removed keys (-want +got):\n%s", diff)
			}
		})
	}
}

// TestServiceFindServerByTag checks that FindServerByTag pages through every server, skips
// servers deleted while it looks, and returns the first one with the tag.
func TestServiceFindServerByTag(t *testing.T) {
	servers := [][]string{{"s-1", "s-2"}, {"s-3", "s-4"}}
	tags := map[string]map[string]string{
		"s-2": {TagOwnerUID: "other"},
		"s-3": {TagOwnerUID: "uid-1"},
		"s-4": {TagOwnerUID: "uid-1"},
	}
	newFake := func(listErr, tagErr error) *fakeAPI {
		return &fakeAPI{
			listServers: func(in *transfer.ListServersInput) (*transfer.ListServersOutput, error) {
				if listErr != nil {
					return nil, listErr
				}
				page, next := servers[0], aws.String("page-2")
				if aws.ToString(in.NextToken) == "page-2" {
					page, next = servers[1], nil
				}
				out := &transfer.ListServersOutput{NextToken: next}
				for _, id := range page {
					out.Servers = append(out.Servers, types.ListedServer{ServerId: aws.String(id), Arn: aws.String("arn:" + id)})
				}
				return out, nil
			},
			listTags: func(in *transfer.ListTagsForResourceInput) (*transfer.ListTagsForResourceOutput, error) {
				id := strings.TrimPrefix(aws.ToString(in.Arn), "arn:")
				if id == "s-1" {
					return nil, apiError(CodeResourceNotFound)
				}
				if tagErr != nil {
					return nil, tagErr
				}
				return &transfer.ListTagsForResourceOutput{Tags: tagList(tags[id])}, nil
			},
		}
	}
	for _, tc := range []struct {
		name           string
		value          string
		listErr, tagEr error
		want           string
		wantErr        bool
	}{
		{name: "found on the second page", value: "uid-1", want: "s-3"},
		{name: "none", value: "uid-9", want: ""},
		{name: "listing fails", value: "uid-1", listErr: apiError(CodeAccessDenied), wantErr: true},
		{name: "tags fail", value: "uid-1", tagEr: errors.New("connection reset"), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NewService(newFake(tc.listErr, tc.tagEr), testRegion).FindServerByTag(context.Background(), TagOwnerUID, tc.value)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("FindServerByTag() = %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestServiceUsers checks that the user calls send the requests the plan functions build and
// map the answers back: DescribeUser to User, ImportSSHKey to the key's ID.
func TestServiceUsers(t *testing.T) {
	ctx := context.Background()
	var created *transfer.CreateUserInput
	var imported *transfer.ImportSshPublicKeyInput
	f := &fakeAPI{
		describeUser: func(in *transfer.DescribeUserInput) (*transfer.DescribeUserOutput, error) {
			if aws.ToString(in.UserName) != testUserName {
				return &transfer.DescribeUserOutput{}, nil
			}
			return &transfer.DescribeUserOutput{ServerId: in.ServerId, User: &awsUser(withKeys(sshKey(1, "c"))).described}, nil
		},
		createUser: func(in *transfer.CreateUserInput) (*transfer.CreateUserOutput, error) {
			created = in
			return &transfer.CreateUserOutput{ServerId: in.ServerId, UserName: in.UserName}, nil
		},
		importKey: func(in *transfer.ImportSshPublicKeyInput) (*transfer.ImportSshPublicKeyOutput, error) {
			imported = in
			return &transfer.ImportSshPublicKeyOutput{SshPublicKeyId: aws.String("key-new")}, nil
		},
	}
	s := NewService(f, testRegion)

	t.Run("DescribeUser", func(t *testing.T) {
		u, err := s.DescribeUser(ctx, testServerID, testUserName)
		if err != nil {
			t.Fatalf("DescribeUser: %v", err)
		}
		want := []UserKey{{ID: "key-0", PublicKey: PublicKey{Material: sshKey(1, ""), Fingerprint: keyFingerprint(1)}}}
		if diff := cmp.Diff(want, u.Keys); diff != "" || u.ARN != testUserARN {
			t.Errorf("DescribeUser ARN %q, keys (-want +got):\n%s", u.ARN, diff)
		}
	})
	t.Run("DescribeUser without a user in the answer", func(t *testing.T) {
		if _, err := s.DescribeUser(ctx, testServerID, "bob"); err == nil {
			t.Error("DescribeUser succeeded with no user in the answer")
		}
	})
	t.Run("CreateUser", func(t *testing.T) {
		d := desiredUser(v1alpha1.TransferUserSpec{SSHPublicKeys: keys(sshKey(2, ""))})
		if err := s.CreateUser(ctx, d); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if diff := cmp.Diff(createUserInput(d), created, sdkOpts); diff != "" {
			t.Errorf("CreateUser request (-want +got):\n%s", diff)
		}
	})
	t.Run("ImportSSHKey", func(t *testing.T) {
		id, err := s.ImportSSHKey(ctx, testServerID, testUserName, sshKey(3, ""))
		if err != nil || id != "key-new" {
			t.Fatalf("ImportSSHKey = %q, %v; want key-new", id, err)
		}
		want := &transfer.ImportSshPublicKeyInput{
			ServerId: aws.String(testServerID), UserName: aws.String(testUserName), SshPublicKeyBody: aws.String(sshKey(3, "")),
		}
		if diff := cmp.Diff(want, imported, sdkOpts); diff != "" {
			t.Errorf("ImportSshPublicKey request (-want +got):\n%s", diff)
		}
	})
}
