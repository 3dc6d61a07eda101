package transfer

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// userPlanView is a UserPlan without its request, for comparison.
type userPlanView struct {
	Changed    []string
	Update     []string
	ImportKeys []string
	DeleteKeys []string
	AddTags    map[string]string
	RemoveTags []string
	Kept       []string
}

func viewUserPlan(p UserPlan) userPlanView {
	return userPlanView{
		Changed:    p.Changed,
		Update:     p.Update.Fields,
		ImportKeys: p.ImportKeys,
		DeleteKeys: p.DeleteKeys,
		AddTags:    p.AddTags,
		RemoveTags: p.RemoveTags,
		Kept:       p.Kept,
	}
}

type userPlanRow struct {
	name     string
	spec     v1alpha1.TransferUserSpec
	observed *User
	// applied is DesiredUser.Applied: the clearable fields a successful pass applied.
	applied    []string
	want       userPlanView
	wantUpdate *transfer.UpdateUserInput
}

const (
	policyCompact = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket/${Transfer:UserName}/*"}]}`
	policyPretty  = `{
  "Statement": [
    {
      "Resource": "arn:aws:s3:::bucket/${Transfer:UserName}/*",
      "Action": [ "s3:GetObject", "s3:PutObject" ],
      "Effect": "Allow"
    }
  ],
  "Version": "2012-10-17"
}`
	policyReadOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::bucket/${Transfer:UserName}/*"}]}`
	policyReversed = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::bucket/${Transfer:UserName}/*"}]}`
)

// TestPlanUser checks that PlanUser compares only the fields the spec sets, each the way AWS
// reports it (expanded user name, JSON policy, key material), and sends only what changed.
func TestPlanUser(t *testing.T) {
	var rows []userPlanRow
	rows = append(rows, userHomeRows()...)
	rows = append(rows, userPolicyRows()...)
	rows = append(rows, userKeyRows()...)
	rows = append(rows, userTagRows()...)
	rows = append(rows, userRemovalRows()...)
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			d := desiredUser(tc.spec)
			d.Applied = tc.applied
			p := PlanUser(d, tc.observed)
			if diff := cmp.Diff(tc.want, viewUserPlan(p), equateEmpty); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			if got, want := p.InSync(), len(tc.want.Changed) == 0; got != want {
				t.Errorf("InSync() = %v, want %v", got, want)
			}
			if got, want := p.Update.IsEmpty(), len(tc.want.Update) == 0; got != want {
				t.Errorf("Update.IsEmpty() = %v, want %v", got, want)
			}
			want := tc.wantUpdate
			if want == nil {
				want = userUpdate(nil)
			}
			if diff := cmp.Diff(want, p.Update.updateUserInput(testServerID, testUserName), sdkOpts); diff != "" {
				t.Errorf("UpdateUser request (-want +got):\n%s", diff)
			}
		})
	}
}

func mappings(entries ...[3]string) []types.HomeDirectoryMapEntry {
	var out []types.HomeDirectoryMapEntry
	for _, e := range entries {
		out = append(out, types.HomeDirectoryMapEntry{Entry: aws.String(e[0]), Target: aws.String(e[1]), Type: types.MapType(e[2])})
	}
	return out
}

func specMappings(entries ...[3]string) []v1alpha1.HomeDirectoryMapEntry {
	out := []v1alpha1.HomeDirectoryMapEntry{}
	for _, e := range entries {
		out = append(out, v1alpha1.HomeDirectoryMapEntry{Entry: e[0], Target: e[1], Type: e[2]})
	}
	return out
}

func userHomeRows() []userPlanRow {
	withMappings := func(entries ...[3]string) func(*types.DescribedUser) {
		return func(d *types.DescribedUser) {
			d.HomeDirectoryType = types.HomeDirectoryTypeLogical
			d.HomeDirectory = nil
			d.HomeDirectoryMappings = mappings(entries...)
		}
	}
	logical := func(entries ...[3]string) v1alpha1.TransferUserSpec {
		return v1alpha1.TransferUserSpec{HomeDirectoryType: "LOGICAL", HomeDirectoryMappings: specMappings(entries...)}
	}
	home := func(dir string) func(*types.DescribedUser) {
		return func(d *types.DescribedUser) { d.HomeDirectory = aws.String(dir) }
	}
	rootDir := [3]string{"/", "/bucket/home/alice", "DIRECTORY"}
	return []userPlanRow{
		{
			name:     "role only is in sync with AWS defaults",
			observed: awsUser(),
		},
		{
			name:       "role changed",
			spec:       v1alpha1.TransferUserSpec{Role: otherRole},
			observed:   awsUser(),
			want:       userPlanView{Changed: []string{"role"}, Update: []string{"role"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) { in.Role = aws.String(otherRole) }),
		},
		{
			name:     "home directory type equal is in sync",
			spec:     v1alpha1.TransferUserSpec{HomeDirectoryType: "PATH"},
			observed: awsUser(),
		},
		{
			name:     "home directory type PATH matches one AWS does not report: PATH is the default",
			spec:     v1alpha1.TransferUserSpec{HomeDirectoryType: "PATH"},
			observed: awsUser(func(d *types.DescribedUser) { d.HomeDirectoryType = "" }),
		},
		{
			name:       "home directory type LOGICAL differs from one AWS does not report",
			spec:       v1alpha1.TransferUserSpec{HomeDirectoryType: "LOGICAL"},
			observed:   awsUser(func(d *types.DescribedUser) { d.HomeDirectoryType = "" }),
			want:       userPlanView{Changed: []string{"homeDirectoryType"}, Update: []string{"homeDirectoryType"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) { in.HomeDirectoryType = types.HomeDirectoryTypeLogical }),
		},
		{
			name:       "home directory type changed",
			spec:       v1alpha1.TransferUserSpec{HomeDirectoryType: "LOGICAL"},
			observed:   awsUser(),
			want:       userPlanView{Changed: []string{"homeDirectoryType"}, Update: []string{"homeDirectoryType"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) { in.HomeDirectoryType = types.HomeDirectoryTypeLogical }),
		},
		{
			name:       "home directory changed",
			spec:       v1alpha1.TransferUserSpec{HomeDirectory: "/bucket/home/alice"},
			observed:   awsUser(),
			want:       userPlanView{Changed: []string{"homeDirectory"}, Update: []string{"homeDirectory"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) { in.HomeDirectory = aws.String("/bucket/home/alice") }),
		},
		{
			name:     "home directory with the user name variable reported expanded is in sync",
			spec:     v1alpha1.TransferUserSpec{HomeDirectory: "/bucket/home/${Transfer:UserName}"},
			observed: awsUser(home("/bucket/home/alice")),
		},
		{
			name:     "home directory with the user name variable reported as written is in sync",
			spec:     v1alpha1.TransferUserSpec{HomeDirectory: "/bucket/home/${Transfer:UserName}"},
			observed: awsUser(home("/bucket/home/${Transfer:UserName}")),
		},
		{
			name:     "home directory expanded for another user name differs",
			spec:     v1alpha1.TransferUserSpec{HomeDirectory: "/bucket/home/${Transfer:UserName}"},
			observed: awsUser(home("/bucket/home/bob")),
			want:     userPlanView{Changed: []string{"homeDirectory"}, Update: []string{"homeDirectory"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) {
				in.HomeDirectory = aws.String("/bucket/home/${Transfer:UserName}")
			}),
		},
		{
			name:     "home directory unset is not managed",
			observed: awsUser(home("/elsewhere")),
		},
		{
			name:     "mappings equal are in sync",
			spec:     logical(rootDir),
			observed: awsUser(withMappings(rootDir)),
		},
		{
			name:     "mapping type missing in the spec is not compared with the DIRECTORY AWS gives it",
			spec:     logical([3]string{"/", "/bucket/home/alice", ""}),
			observed: awsUser(withMappings(rootDir)),
		},
		{
			name:     "mapping type missing in the spec is not compared with a FILE type",
			spec:     logical([3]string{"/report.csv", "/bucket/report.csv", ""}),
			observed: awsUser(withMappings([3]string{"/report.csv", "/bucket/report.csv", "FILE"})),
		},
		{
			name:     "mapping type missing in the spec and in AWS is in sync",
			spec:     logical([3]string{"/", "/bucket/home/alice", ""}),
			observed: awsUser(withMappings([3]string{"/", "/bucket/home/alice", ""})),
		},
		{
			name:     "mapping type DIRECTORY matches a missing one: DIRECTORY is the default",
			spec:     logical(rootDir),
			observed: awsUser(withMappings([3]string{"/", "/bucket/home/alice", ""})),
		},
		{
			name:     "mapping type FILE differs from a missing one, which is DIRECTORY",
			spec:     logical([3]string{"/report.csv", "/bucket/report.csv", "FILE"}),
			observed: awsUser(withMappings([3]string{"/report.csv", "/bucket/report.csv", ""})),
			want:     userPlanView{Changed: []string{"homeDirectoryMappings"}, Update: []string{"homeDirectoryMappings"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) {
				in.HomeDirectoryMappings = mappings([3]string{"/report.csv", "/bucket/report.csv", "FILE"})
			}),
		},
		{
			name:     "mapping type FILE differs from DIRECTORY",
			spec:     logical([3]string{"/report.csv", "/bucket/report.csv", "FILE"}),
			observed: awsUser(withMappings([3]string{"/report.csv", "/bucket/report.csv", "DIRECTORY"})),
			want:     userPlanView{Changed: []string{"homeDirectoryMappings"}, Update: []string{"homeDirectoryMappings"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) {
				in.HomeDirectoryMappings = mappings([3]string{"/report.csv", "/bucket/report.csv", "FILE"})
			}),
		},
		{
			name:     "mapping without a type is sent without one when its target changed",
			spec:     logical([3]string{"/", "/bucket/home/alice2", ""}),
			observed: awsUser(withMappings(rootDir)),
			want:     userPlanView{Changed: []string{"homeDirectoryMappings"}, Update: []string{"homeDirectoryMappings"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) {
				in.HomeDirectoryMappings = mappings([3]string{"/", "/bucket/home/alice2", ""})
			}),
		},
		{
			name:     "mapping with the user name variable reported expanded is in sync",
			spec:     logical([3]string{"/${Transfer:UserName}", "/bucket/home/${Transfer:UserName}", "DIRECTORY"}),
			observed: awsUser(withMappings([3]string{"/alice", "/bucket/home/alice", "DIRECTORY"})),
		},
		{
			name:     "mappings in another order differ",
			spec:     logical(rootDir, [3]string{"/shared", "/bucket/shared", "DIRECTORY"}),
			observed: awsUser(withMappings([3]string{"/shared", "/bucket/shared", "DIRECTORY"}, rootDir)),
			want:     userPlanView{Changed: []string{"homeDirectoryMappings"}, Update: []string{"homeDirectoryMappings"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) {
				in.HomeDirectoryMappings = mappings(rootDir, [3]string{"/shared", "/bucket/shared", "DIRECTORY"})
			}),
		},
		{
			name:     "mapping target changed",
			spec:     logical([3]string{"/", "/bucket/home/alice2", "DIRECTORY"}),
			observed: awsUser(withMappings(rootDir)),
			want:     userPlanView{Changed: []string{"homeDirectoryMappings"}, Update: []string{"homeDirectoryMappings"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) {
				in.HomeDirectoryMappings = mappings([3]string{"/", "/bucket/home/alice2", "DIRECTORY"})
			}),
		},
		{
			name: "mappings AWS does not report are sent with the type",
			spec: logical(rootDir),
			observed: awsUser(func(d *types.DescribedUser) {
				d.HomeDirectoryType = types.HomeDirectoryTypeLogical
			}),
			want: userPlanView{Changed: []string{"homeDirectoryMappings"}, Update: []string{"homeDirectoryMappings"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) {
				in.HomeDirectoryMappings = mappings(rootDir)
			}),
		},
		{
			name:     "mappings unset are not managed",
			observed: awsUser(withMappings(rootDir)),
		},
	}
}

func userPolicyRows() []userPlanRow {
	policy := func(p string) func(*types.DescribedUser) {
		return func(d *types.DescribedUser) { d.Policy = aws.String(p) }
	}
	posix := func(uid, gid int64, secondary ...int64) func(*types.DescribedUser) {
		return func(d *types.DescribedUser) {
			d.PosixProfile = &types.PosixProfile{Uid: aws.Int64(uid), Gid: aws.Int64(gid), SecondaryGids: secondary}
		}
	}
	posixSpec := func(uid, gid int64, secondary ...int64) v1alpha1.TransferUserSpec {
		return v1alpha1.TransferUserSpec{PosixProfile: &v1alpha1.PosixProfile{UID: uid, GID: gid, SecondaryGIDs: secondary}}
	}
	posixUpdate := func(uid, gid int64, secondary ...int64) *transfer.UpdateUserInput {
		return userUpdate(func(in *transfer.UpdateUserInput) {
			in.PosixProfile = &types.PosixProfile{Uid: aws.Int64(uid), Gid: aws.Int64(gid), SecondaryGids: secondary}
		})
	}
	return []userPlanRow{
		{
			name:     "policy with other whitespace and key order is in sync",
			spec:     v1alpha1.TransferUserSpec{Policy: policyCompact},
			observed: awsUser(policy(policyPretty)),
		},
		{
			name:       "policy with another value differs",
			spec:       v1alpha1.TransferUserSpec{Policy: policyCompact},
			observed:   awsUser(policy(policyReadOnly)),
			want:       userPlanView{Changed: []string{"policy"}, Update: []string{"policy"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) { in.Policy = aws.String(policyCompact) }),
		},
		{
			name:       "policy with a list in another order differs",
			spec:       v1alpha1.TransferUserSpec{Policy: policyCompact},
			observed:   awsUser(policy(policyReversed)),
			want:       userPlanView{Changed: []string{"policy"}, Update: []string{"policy"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) { in.Policy = aws.String(policyCompact) }),
		},
		{
			name:       "policy AWS does not report is sent",
			spec:       v1alpha1.TransferUserSpec{Policy: policyCompact},
			observed:   awsUser(),
			want:       userPlanView{Changed: []string{"policy"}, Update: []string{"policy"}},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) { in.Policy = aws.String(policyCompact) }),
		},
		{
			name:     "policy unset is not managed",
			observed: awsUser(policy(policyReadOnly)),
		},
		{
			name:     "posix profile with secondary groups in another order is in sync",
			spec:     posixSpec(1000, 1000, 3000, 2000),
			observed: awsUser(posix(1000, 1000, 2000, 3000)),
		},
		{
			name:     "posix profile with a repeated secondary group is in sync",
			spec:     posixSpec(1000, 1000, 2000, 2000),
			observed: awsUser(posix(1000, 1000, 2000)),
		},
		{
			name:     "posix profile without secondary groups matches an empty list",
			spec:     posixSpec(1000, 1000),
			observed: awsUser(posix(1000, 1000, []int64{}...)),
		},
		{
			name:       "posix uid changed",
			spec:       posixSpec(1001, 1000, 2000),
			observed:   awsUser(posix(1000, 1000, 2000)),
			want:       userPlanView{Changed: []string{"posixProfile"}, Update: []string{"posixProfile"}},
			wantUpdate: posixUpdate(1001, 1000, 2000),
		},
		{
			name:       "posix gid changed",
			spec:       posixSpec(1000, 1001),
			observed:   awsUser(posix(1000, 1000)),
			want:       userPlanView{Changed: []string{"posixProfile"}, Update: []string{"posixProfile"}},
			wantUpdate: posixUpdate(1000, 1001),
		},
		{
			name:       "posix secondary group added",
			spec:       posixSpec(1000, 1000, 2000, 3000),
			observed:   awsUser(posix(1000, 1000, 2000)),
			want:       userPlanView{Changed: []string{"posixProfile"}, Update: []string{"posixProfile"}},
			wantUpdate: posixUpdate(1000, 1000, 2000, 3000),
		},
		{
			name:       "posix profile AWS does not report is sent",
			spec:       posixSpec(0, 0),
			observed:   awsUser(),
			want:       userPlanView{Changed: []string{"posixProfile"}, Update: []string{"posixProfile"}},
			wantUpdate: posixUpdate(0, 0),
		},
		{
			name:     "posix profile unset is not managed",
			observed: awsUser(posix(1000, 1000)),
		},
		{
			name: "several changes are sorted, the request carries each",
			spec: v1alpha1.TransferUserSpec{
				Role: otherRole, Policy: policyCompact, SSHPublicKeys: keys(sshKey(1, "")), Tags: v1alpha1.Tags{"team": "a"},
			},
			observed: awsUser(),
			want: userPlanView{
				Changed:    []string{"policy", "role", "sshPublicKeys", "tags"},
				Update:     []string{"role", "policy"},
				ImportKeys: []string{sshKey(1, "")},
				AddTags:    map[string]string{"team": "a"},
			},
			wantUpdate: userUpdate(func(in *transfer.UpdateUserInput) {
				in.Role = aws.String(otherRole)
				in.Policy = aws.String(policyCompact)
			}),
		},
	}
}

func userKeyRows() []userPlanRow {
	k1, k2, k3 := sshKey(1, ""), sshKey(2, ""), sshKey(3, "")
	return []userPlanRow{
		{
			name:     "key added is imported without its comment",
			spec:     v1alpha1.TransferUserSpec{SSHPublicKeys: keys(k1, sshKey(2, "alice@laptop"))},
			observed: awsUser(withKeys(k1)),
			want:     userPlanView{Changed: []string{"sshPublicKeys"}, ImportKeys: []string{k2}},
		},
		{
			name:     "key removed is deleted by ID",
			spec:     v1alpha1.TransferUserSpec{SSHPublicKeys: keys(k1)},
			observed: awsUser(withKeys(k1, k2, k3)),
			want:     userPlanView{Changed: []string{"sshPublicKeys"}, DeleteKeys: []string{"key-1", "key-2"}},
		},
		{
			name:     "keys in another order are in sync",
			spec:     v1alpha1.TransferUserSpec{SSHPublicKeys: keys(k3, k1, k2)},
			observed: awsUser(withKeys(k1, k2, k3)),
		},
		{
			name:     "key whose comment changed is in sync",
			spec:     v1alpha1.TransferUserSpec{SSHPublicKeys: keys(sshKey(1, "alice@new-laptop"))},
			observed: awsUser(withKeys(sshKey(1, "alice@old-laptop"))),
		},
		{
			name:     "key with surrounding whitespace is in sync",
			spec:     v1alpha1.TransferUserSpec{SSHPublicKeys: keys("  " + k1 + " \n")},
			observed: awsUser(withKeys(k1)),
		},
		{
			name:     "key repeated in the spec is imported once",
			spec:     v1alpha1.TransferUserSpec{SSHPublicKeys: keys(sshKey(1, "a"), sshKey(1, "b"))},
			observed: awsUser(),
			want:     userPlanView{Changed: []string{"sshPublicKeys"}, ImportKeys: []string{k1}},
		},
		{
			name:     "key replaced is imported and the old one deleted",
			spec:     v1alpha1.TransferUserSpec{SSHPublicKeys: keys(k2)},
			observed: awsUser(withKeys(k1)),
			want:     userPlanView{Changed: []string{"sshPublicKeys"}, ImportKeys: []string{k2}, DeleteKeys: []string{"key-0"}},
		},
		{
			name:     "key AWS holds that cannot be parsed is deleted",
			spec:     v1alpha1.TransferUserSpec{SSHPublicKeys: keys(k1)},
			observed: awsUser(withKeys(k1, "ssh-unknown AAAAB3NzaC1yc2E")),
			want:     userPlanView{Changed: []string{"sshPublicKeys"}, DeleteKeys: []string{"key-1"}},
		},
		{
			name:     "key in the spec that cannot be parsed is not imported",
			spec:     v1alpha1.TransferUserSpec{SSHPublicKeys: keys("ssh-ed25519 not-base64", k1)},
			observed: awsUser(withKeys(k1)),
		},
	}
}

func userTagRows() []userPlanRow {
	observedTags := func(tags map[string]string) func(*types.DescribedUser) {
		return func(d *types.DescribedUser) { d.Tags = tagList(tags) }
	}
	return []userPlanRow{
		{
			name:     "user tag added",
			spec:     v1alpha1.TransferUserSpec{Tags: v1alpha1.Tags{"team": "a"}},
			observed: awsUser(),
			want:     userPlanView{Changed: []string{"tags"}, AddTags: map[string]string{"team": "a"}},
		},
		{
			name:     "user tag changed",
			spec:     v1alpha1.TransferUserSpec{Tags: v1alpha1.Tags{"team": "a"}},
			observed: awsUser(observedTags(mergeTags(userOwnerTags, map[string]string{"team": "b"}))),
			want:     userPlanView{Changed: []string{"tags"}, AddTags: map[string]string{"team": "a"}},
		},
		{
			name:     "user tag not in the spec removed",
			spec:     v1alpha1.TransferUserSpec{Tags: v1alpha1.Tags{"team": "a"}},
			observed: awsUser(observedTags(mergeTags(userOwnerTags, map[string]string{"team": "a", "old": "x"}))),
			want:     userPlanView{Changed: []string{"tags"}, RemoveTags: []string{"old"}},
		},
		{
			name:     "bookkeeping tags added when missing",
			observed: awsUser(observedTags(nil)),
			want:     userPlanView{Changed: []string{"tags"}, AddTags: userOwnerTags},
		},
		{
			name: "bookkeeping and AWS tags are never removed",
			observed: awsUser(observedTags(mergeTags(userOwnerTags, map[string]string{
				TagPrefix + "other": "x", "aws:created-by": "y",
			}))),
		},
	}
}

// TestPlanUserLeavesUnsetFieldsAlone checks the promise that a field left out of the spec is
// neither sent nor compared, for the two lists PlanUser reconciles as sets: without
// spec.sshPublicKeys or spec.tags, an adopted user keeps its keys and tags; explicit empty
// lists remove them.
func TestPlanUserLeavesUnsetFieldsAlone(t *testing.T) {
	observed := awsUser(withKeys(sshKey(1, "")), func(d *types.DescribedUser) {
		d.Tags = tagList(userOwnerTags, map[string]string{"Name": "legacy"})
	})
	for _, tc := range []struct {
		name       string
		spec       v1alpha1.TransferUserSpec
		wantDelete []string
		wantRemove []string
	}{
		{name: "keys and tags unset"},
		{
			name:       "keys and tags empty",
			spec:       v1alpha1.TransferUserSpec{SSHPublicKeys: []v1alpha1.SSHPublicKey{}, Tags: v1alpha1.Tags{}},
			wantDelete: []string{"key-0"},
			wantRemove: []string{"Name"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := PlanUser(desiredUser(tc.spec), observed)
			if diff := cmp.Diff(tc.wantDelete, p.DeleteKeys, equateEmpty); diff != "" {
				t.Errorf("DeleteKeys (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRemove, p.RemoveTags, equateEmpty); diff != "" {
				t.Errorf("RemoveTags (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCreateUserInput checks that CreateUser carries the fields the spec sets, the first SSH key
// that parses (without its comment) and the spec's tags merged with the bookkeeping tags.
func TestCreateUserInput(t *testing.T) {
	base := func(set func(*transfer.CreateUserInput)) *transfer.CreateUserInput {
		in := &transfer.CreateUserInput{
			ServerId: aws.String(testServerID), UserName: aws.String(testUserName), Role: aws.String(testRole),
			Tags: tagList(userOwnerTags),
		}
		if set != nil {
			set(in)
		}
		return in
	}
	for _, tc := range []struct {
		name string
		spec v1alpha1.TransferUserSpec
		want *transfer.CreateUserInput
	}{
		{
			name: "role only sends no key",
			want: base(nil),
		},
		{
			name: "every field the spec sets is sent, with the first key",
			spec: v1alpha1.TransferUserSpec{
				HomeDirectoryType:     "LOGICAL",
				HomeDirectoryMappings: specMappings([3]string{"/", "/bucket/home/${Transfer:UserName}", ""}),
				Policy:                policyCompact,
				PosixProfile:          &v1alpha1.PosixProfile{UID: 1000, GID: 1001, SecondaryGIDs: []int64{2000}},
				SSHPublicKeys:         keys(sshKey(1, "alice@laptop"), sshKey(2, "")),
				Tags:                  v1alpha1.Tags{"team": "a"},
			},
			want: base(func(in *transfer.CreateUserInput) {
				in.HomeDirectoryType = types.HomeDirectoryTypeLogical
				in.HomeDirectoryMappings = mappings([3]string{"/", "/bucket/home/${Transfer:UserName}", ""})
				in.Policy = aws.String(policyCompact)
				in.PosixProfile = &types.PosixProfile{Uid: aws.Int64(1000), Gid: aws.Int64(1001), SecondaryGids: []int64{2000}}
				in.SshPublicKeyBody = aws.String(sshKey(1, ""))
				in.Tags = tagList(map[string]string{"team": "a"}, userOwnerTags)
			}),
		},
		{
			name: "home directory of type PATH",
			spec: v1alpha1.TransferUserSpec{HomeDirectoryType: "PATH", HomeDirectory: "/bucket/home/alice"},
			want: base(func(in *transfer.CreateUserInput) {
				in.HomeDirectoryType = types.HomeDirectoryTypePath
				in.HomeDirectory = aws.String("/bucket/home/alice")
			}),
		},
		{
			name: "first key that parses is sent",
			spec: v1alpha1.TransferUserSpec{SSHPublicKeys: keys("not a key", sshKey(2, "c"))},
			want: base(func(in *transfer.CreateUserInput) { in.SshPublicKeyBody = aws.String(sshKey(2, "")) }),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := desiredUser(tc.spec)
			if diff := cmp.Diff(tc.want, createUserInput(d), sdkOpts); diff != "" {
				t.Errorf("CreateUserInput (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUserFromDescribed checks that a described user's keys are reduced to ID, material without
// comment and fingerprint, and that a key no library parses keeps its body as material.
func TestUserFromDescribed(t *testing.T) {
	got := awsUser(withKeys(sshKey(1, "alice@laptop"), " ssh-unknown AAAA "))
	want := []UserKey{
		{ID: "key-0", PublicKey: PublicKey{Material: sshKey(1, ""), Fingerprint: keyFingerprint(1)}},
		{ID: "key-1", PublicKey: PublicKey{Material: "ssh-unknown AAAA"}},
	}
	if diff := cmp.Diff(want, got.Keys); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	if got.ServerID != testServerID || got.UserName != testUserName || got.ARN != testUserARN {
		t.Errorf("user = %s/%s %s, want %s/%s %s", got.ServerID, got.UserName, got.ARN, testServerID, testUserName, testUserARN)
	}
}

// TestUserARN checks that a user's ARN is built from its server's ARN, and that anything else
// gives "".
func TestUserARN(t *testing.T) {
	for _, tc := range []struct {
		name, serverARN, want string
	}{
		{"server ARN", testServerARN, testUserARN},
		{"server ARN in another partition", "arn:aws-cn:transfer:cn-north-1:111122223333:server/s-1", "arn:aws-cn:transfer:cn-north-1:111122223333:user/s-1/alice"},
		{"empty", "", ""},
		{"no server part", "arn:aws:transfer:us-east-1:111122223333:user/s-1/bob", ""},
		{"server part without ID", "arn:aws:transfer:us-east-1:111122223333:server/", ""},
		{"not an ARN", "s-0123456789abcdef0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := UserARN(tc.serverARN, testUserName); got != tc.want {
				t.Errorf("UserARN(%q) = %q, want %q", tc.serverARN, got, tc.want)
			}
		})
	}
}

// TestValidateUserSpec checks that an invalid policy or SSH key is refused with the field's path,
// and that a valid spec passes.
func TestValidateUserSpec(t *testing.T) {
	for _, tc := range []struct {
		name    string
		spec    v1alpha1.TransferUserSpec
		wantErr string
	}{
		{name: "empty spec", spec: v1alpha1.TransferUserSpec{Role: testRole}},
		{
			name: "valid policy and keys",
			spec: v1alpha1.TransferUserSpec{Policy: policyPretty, SSHPublicKeys: keys(sshKey(1, "a b c"), sshKey(2, ""))},
		},
		{name: "policy not JSON", spec: v1alpha1.TransferUserSpec{Policy: `{"Version": "2012-10-17",}`}, wantErr: "spec.policy"},
		{
			name:    "second key not a key",
			spec:    v1alpha1.TransferUserSpec{SSHPublicKeys: keys(sshKey(1, ""), "ssh-ed25519 AAAA!!!!")},
			wantErr: "spec.sshPublicKeys[1]",
		},
		{
			name:    "first key truncated",
			spec:    v1alpha1.TransferUserSpec{SSHPublicKeys: keys(sshKey(1, "")[:40])},
			wantErr: "spec.sshPublicKeys[0] is not a whole SSH public key: it must be one line of a .pub file (type, base64 key, optional comment), and this one is cut short or damaged",
		},
		{
			name:    "DSA key",
			spec:    v1alpha1.TransferUserSpec{SSHPublicKeys: keys(sshKey(1, ""), dsaPublicKey(t))},
			wantErr: "spec.sshPublicKeys[1] is a ssh-dss key; AWS accepts only ssh-rsa, ssh-ed25519, ecdsa-sha2-nistp256",
		},
		{
			name:    "RSA key of 1024 bits",
			spec:    v1alpha1.TransferUserSpec{SSHPublicKeys: keys(rsaPublicKey(t, 1024))},
			wantErr: "spec.sshPublicKeys[0] is a 1024-bit RSA key; AWS takes RSA keys of at least 2048 bits",
		},
		{name: "RSA key of 2048 bits", spec: v1alpha1.TransferUserSpec{SSHPublicKeys: keys(rsaPublicKey(t, 2048))}},
		{
			name:    "certificate",
			spec:    v1alpha1.TransferUserSpec{SSHPublicKeys: keys(userCertificate(t))},
			wantErr: "spec.sshPublicKeys[0] is a ssh-ed25519-cert-v01@openssh.com key",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateUserSpec(&tc.spec)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("ValidateUserSpec() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("ValidateUserSpec() = %v, want an error naming %s", err, tc.wantErr)
			}
		})
	}
}

// dsaPublicKey returns an ssh-dss authorized_keys line. Its numbers have the sizes of a DSA key
// but make no working key: only the type matters here.
func dsaPublicKey(t *testing.T) string {
	t.Helper()
	bits := func(n int) *big.Int { return new(big.Int).SetBit(big.NewInt(1), n-1, 1) }
	blob := ssh.Marshal(struct {
		Type       string
		P, Q, G, Y *big.Int
	}{"ssh-dss", bits(1024), bits(160), big.NewInt(2), big.NewInt(3)})
	return "ssh-dss " + base64.StdEncoding.EncodeToString(blob) + " old@host"
}

// userCertificate returns the authorized_keys line of an OpenSSH certificate for sshKey(1).
func userCertificate(t *testing.T) string {
	t.Helper()
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(sshKey(1, "")))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	cert := &ssh.Certificate{Key: pub, CertType: ssh.UserCert, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(cert)))
}

// TestDesiredKeys checks that the spec's keys are parsed, stripped of comments, kept in spec
// order without repeats, and that keys that do not parse are skipped.
func TestDesiredKeys(t *testing.T) {
	pk := func(seed byte) PublicKey {
		return PublicKey{Material: sshKey(seed, ""), Fingerprint: keyFingerprint(seed)}
	}
	for _, tc := range []struct {
		name string
		keys []v1alpha1.SSHPublicKey
		want []PublicKey
	}{
		{name: "none"},
		{name: "spec order", keys: keys(sshKey(2, ""), sshKey(1, "")), want: []PublicKey{pk(2), pk(1)}},
		{name: "repeat with another comment dropped", keys: keys(sshKey(1, "a"), sshKey(2, ""), sshKey(1, "b")), want: []PublicKey{pk(1), pk(2)}},
		{name: "unparsable skipped", keys: keys("garbage", sshKey(1, "")), want: []PublicKey{pk(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := DesiredKeys(&v1alpha1.TransferUserSpec{SSHPublicKeys: tc.keys})
			if diff := cmp.Diff(tc.want, got, equateEmpty); diff != "" {
				t.Errorf("DesiredKeys (-want +got):\n%s", diff)
			}
		})
	}
}

// rsaPublicKey returns a new RSA public key of the given size in authorized_keys form.
func rsaPublicKey(t *testing.T, bits int) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
}
