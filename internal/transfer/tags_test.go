package transfer

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDiffTags checks that DiffTags adds the spec's and the bookkeeping tags that are missing or
// differ, and removes only user tags that left the spec, sorted.
func TestDiffTags(t *testing.T) {
	owner := map[string]string{TagOwnerUID: "uid-1", TagOwner: "TransferServer/ns/name"}
	for _, tc := range []struct {
		name           string
		spec, observed map[string]string
		wantAdd        map[string]string
		wantRemove     []string
	}{
		{name: "in sync", spec: map[string]string{"a": "1"}, observed: mergeTags(owner, map[string]string{"a": "1"})},
		{name: "all missing", spec: map[string]string{"a": "1"}, wantAdd: mergeTags(owner, map[string]string{"a": "1"})},
		{name: "spec value changed", spec: map[string]string{"a": "2"}, observed: mergeTags(owner, map[string]string{"a": "1"}), wantAdd: map[string]string{"a": "2"}},
		{name: "bookkeeping value changed", observed: mergeTags(owner, map[string]string{TagOwner: "x"}), wantAdd: map[string]string{TagOwner: "TransferServer/ns/name"}},
		{
			name:       "user tags removed, sorted",
			spec:       map[string]string{"keep": "1"},
			observed:   mergeTags(owner, map[string]string{"keep": "1", "z": "1", "b": "1", "Name": "n"}),
			wantRemove: []string{"Name", "b", "z"},
		},
		{
			name:     "bookkeeping tags of another owner and AWS tags are never removed",
			observed: mergeTags(owner, map[string]string{TagPrefix + "other": "1", "aws:cloudformation:stack-id": "s"}),
		},
		{name: "empty value is a value", spec: map[string]string{"a": ""}, observed: owner, wantAdd: map[string]string{"a": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			add, remove := DiffTags(tc.spec, owner, tc.observed)
			if diff := cmp.Diff(tc.wantAdd, add, equateEmpty); diff != "" {
				t.Errorf("add (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRemove, remove, equateEmpty); diff != "" {
				t.Errorf("remove (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiffHostnameTags checks that DiffHostnameTags manages exactly the two custom hostname
// keys, and only when the spec asks for a custom hostname.
func TestDiffHostnameTags(t *testing.T) {
	both := map[string]string{TagCustomHostname: "sftp.example.com", TagRoute53HostedZoneID: "/hostedzone/Z1"}
	for _, tc := range []struct {
		name           string
		want, observed map[string]string
		wantAdd        map[string]string
		wantRemove     []string
	}{
		{name: "unmanaged: nothing added or removed", observed: both},
		{name: "both added", want: both, observed: map[string]string{"team": "a"}, wantAdd: both},
		{name: "in sync", want: both, observed: mergeTags(both, map[string]string{"team": "a"})},
		{
			name:     "hostname changed out of band is reset",
			want:     both,
			observed: mergeTags(both, map[string]string{TagCustomHostname: "evil.example.com"}),
			wantAdd:  map[string]string{TagCustomHostname: "sftp.example.com"},
		},
		{
			name:       "zone tag removed when the spec names no zone",
			want:       map[string]string{TagCustomHostname: "sftp.example.com"},
			observed:   both,
			wantRemove: []string{TagRoute53HostedZoneID},
		},
		{
			name:     "other aws: and user tags are never touched",
			want:     map[string]string{TagCustomHostname: "sftp.example.com"},
			observed: map[string]string{TagCustomHostname: "sftp.example.com", "aws:cloudformation:stack-id": "s", "team": "a"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			add, remove := DiffHostnameTags(tc.want, tc.observed)
			if diff := cmp.Diff(tc.wantAdd, add, equateEmpty); diff != "" {
				t.Errorf("add (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRemove, remove, equateEmpty); diff != "" {
				t.Errorf("remove (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOwnerTags checks the bookkeeping tags: the owner's UID and kind/namespace/name, under the
// operator's prefix.
func TestOwnerTags(t *testing.T) {
	want := map[string]string{
		"transfer.operators.dev/owner-uid": "0b0e9c4a-uid",
		"transfer.operators.dev/owner":     "TransferUser/team-a/alice",
	}
	if diff := cmp.Diff(want, OwnerTags("TransferUser", "team-a", "alice", "0b0e9c4a-uid")); diff != "" {
		t.Errorf("OwnerTags (-want +got):\n%s", diff)
	}
}
