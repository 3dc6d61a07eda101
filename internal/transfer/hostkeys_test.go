package transfer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/google/go-cmp/cmp"
)

var hostKeyEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func listed(id, fingerprint, description string, day int) HostKey {
	return HostKey{ID: id, Type: "ssh-ed25519", Fingerprint: fingerprint, Description: description, DateImported: hostKeyEpoch.AddDate(0, 0, day)}
}

func desiredKey(fingerprint, description string) DesiredHostKey {
	return DesiredHostKey{Name: "secret-" + fingerprint + "/key", Body: Sensitive("BODY " + fingerprint), Fingerprint: fingerprint, Description: description}
}

func TestPlanHostKeys(t *testing.T) {
	for _, tc := range []struct {
		name      string
		desired   []DesiredHostKey
		listed    []HostKey
		managed   map[string]bool
		exclusive bool
		want      HostKeyPlan
	}{
		{
			name:    "in sync",
			desired: []DesiredHostKey{desiredKey("A", "a")},
			listed:  []HostKey{listed("hostkey-a", "A", "a", 0)},
		},
		{
			name:    "first key on a server created with it",
			desired: []DesiredHostKey{desiredKey("A", "")},
			listed:  []HostKey{listed("hostkey-a", "A", "", 0)},
		},
		{
			name:    "add the new key of a rotation",
			desired: []DesiredHostKey{desiredKey("A", "old"), desiredKey("B", "new")},
			listed:  []HostKey{listed("hostkey-a", "A", "old", 0)},
			managed: map[string]bool{"A": true},
			want:    HostKeyPlan{Import: []DesiredHostKey{desiredKey("B", "new")}},
		},
		{
			name:    "remove the old key of a rotation",
			desired: []DesiredHostKey{desiredKey("B", "new")},
			listed:  []HostKey{listed("hostkey-a", "A", "old", 0), listed("hostkey-b", "B", "new", 1)},
			managed: map[string]bool{"A": true, "B": true},
			want:    HostKeyPlan{Delete: []HostKey{listed("hostkey-a", "A", "old", 0)}},
		},
		{
			name:    "replace in one step: import before delete",
			desired: []DesiredHostKey{desiredKey("B", "")},
			listed:  []HostKey{listed("hostkey-a", "A", "", 0)},
			managed: map[string]bool{"A": true},
			want:    HostKeyPlan{Import: []DesiredHostKey{desiredKey("B", "")}, Delete: []HostKey{listed("hostkey-a", "A", "", 0)}},
		},
		{
			name:    "a key added outside the operator is reported, not deleted",
			desired: []DesiredHostKey{desiredKey("A", "")},
			listed:  []HostKey{listed("hostkey-a", "A", "", 0), listed("hostkey-x", "X", "console", 1)},
			managed: map[string]bool{"A": true},
			want:    HostKeyPlan{Unmanaged: []HostKey{listed("hostkey-x", "X", "console", 1)}},
		},
		{
			name:      "exclusive deletes a key added outside the operator",
			desired:   []DesiredHostKey{desiredKey("A", "")},
			listed:    []HostKey{listed("hostkey-x", "X", "", 0), listed("hostkey-a", "A", "", 1)},
			exclusive: true,
			want:      HostKeyPlan{Delete: []HostKey{listed("hostkey-x", "X", "", 0)}},
		},
		{
			name:    "adopting a server keeps its generated key as unmanaged",
			desired: []DesiredHostKey{desiredKey("A", "")},
			listed:  []HostKey{listed("hostkey-g", "G", "", 0)},
			want:    HostKeyPlan{Import: []DesiredHostKey{desiredKey("A", "")}, Unmanaged: []HostKey{listed("hostkey-g", "G", "", 0)}},
		},
		{
			name:    "description changes and clears",
			desired: []DesiredHostKey{desiredKey("A", "renamed"), desiredKey("B", "")},
			listed:  []HostKey{listed("hostkey-a", "A", "first", 0), listed("hostkey-b", "B", "second", 1)},
			want: HostKeyPlan{Describe: []DescriptionUpdate{
				{Key: listed("hostkey-a", "A", "first", 0), Description: "renamed"},
				{Key: listed("hostkey-b", "B", "second", 1), Description: ""},
			}},
		},
		{
			name:    "a fingerprint listed twice keeps the oldest copy",
			desired: []DesiredHostKey{desiredKey("A", "")},
			listed:  []HostKey{listed("hostkey-2", "A", "", 3), listed("hostkey-1", "A", "", 1)},
			want:    HostKeyPlan{Delete: []HostKey{listed("hostkey-2", "A", "", 3)}},
		},
		{
			name:    "a fingerprint desired twice is imported once",
			desired: []DesiredHostKey{desiredKey("A", "first"), desiredKey("A", "second")},
			want:    HostKeyPlan{Import: []DesiredHostKey{desiredKey("A", "first")}},
		},
		{
			name:      "no desired keys never empties the server",
			listed:    []HostKey{listed("hostkey-a", "A", "", 0)},
			managed:   map[string]bool{"A": true},
			exclusive: true,
			want:      HostKeyPlan{Unmanaged: []HostKey{listed("hostkey-a", "A", "", 0)}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := PlanHostKeys(tc.desired, tc.listed, tc.managed, tc.exclusive)
			if diff := cmp.Diff(tc.want, got, equateEmpty); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			if got.InSync() != (len(tc.want.Import)+len(tc.want.Describe)+len(tc.want.Delete) == 0) {
				t.Errorf("InSync = %v for %+v", got.InSync(), got)
			}
		})
	}
}

// hostKeyServer is an in-memory server's host keys behind the four host key operations; it
// records the calls and fails the ones fail names.
type hostKeyServer struct {
	API
	keys  []types.ListedHostKey
	calls []string
	fail  map[string]error
	seq   int
}

func (h *hostKeyServer) call(op, arg string) error {
	h.calls = append(h.calls, op+" "+arg)
	return h.fail[op+" "+arg]
}

func (h *hostKeyServer) ImportHostKey(_ context.Context, in *transfer.ImportHostKeyInput, _ ...func(*transfer.Options)) (*transfer.ImportHostKeyOutput, error) {
	fp := strings.TrimPrefix(aws.ToString(in.HostKeyBody), "BODY ")
	if err := h.call("ImportHostKey", fp); err != nil {
		return nil, err
	}
	h.seq++
	id := fmt.Sprintf("hostkey-%d", h.seq)
	h.keys = append(h.keys, types.ListedHostKey{HostKeyId: aws.String(id), Fingerprint: aws.String(fp), Description: in.Description, Type: aws.String("ssh-ed25519")})
	return &transfer.ImportHostKeyOutput{HostKeyId: aws.String(id), ServerId: in.ServerId}, nil
}

func (h *hostKeyServer) UpdateHostKey(_ context.Context, in *transfer.UpdateHostKeyInput, _ ...func(*transfer.Options)) (*transfer.UpdateHostKeyOutput, error) {
	if err := h.call("UpdateHostKey", aws.ToString(in.HostKeyId)); err != nil {
		return nil, err
	}
	for i := range h.keys {
		if aws.ToString(h.keys[i].HostKeyId) == aws.ToString(in.HostKeyId) {
			h.keys[i].Description = in.Description
		}
	}
	return &transfer.UpdateHostKeyOutput{}, nil
}

func (h *hostKeyServer) DeleteHostKey(_ context.Context, in *transfer.DeleteHostKeyInput, _ ...func(*transfer.Options)) (*transfer.DeleteHostKeyOutput, error) {
	if err := h.call("DeleteHostKey", aws.ToString(in.HostKeyId)); err != nil {
		return nil, err
	}
	for i := range h.keys {
		if aws.ToString(h.keys[i].HostKeyId) == aws.ToString(in.HostKeyId) {
			h.keys = append(h.keys[:i], h.keys[i+1:]...)
			break
		}
	}
	return &transfer.DeleteHostKeyOutput{}, nil
}

func (h *hostKeyServer) ListHostKeys(_ context.Context, in *transfer.ListHostKeysInput, _ ...func(*transfer.Options)) (*transfer.ListHostKeysOutput, error) {
	h.calls = append(h.calls, "ListHostKeys")
	// One key a page, to follow NextToken.
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(aws.ToString(in.NextToken), &start)
	}
	out := &transfer.ListHostKeysOutput{ServerId: in.ServerId}
	if start < len(h.keys) {
		out.HostKeys = h.keys[start : start+1]
	}
	if start+1 < len(h.keys) {
		out.NextToken = aws.String(fmt.Sprint(start + 1))
	}
	return out, nil
}

// TestApplyHostKeysOrder checks that a rotation in one step imports the new key before it deletes
// the old one, updates descriptions, and returns what it did and the keys afterwards.
func TestApplyHostKeysOrder(t *testing.T) {
	h := &hostKeyServer{keys: []types.ListedHostKey{
		{HostKeyId: aws.String("hostkey-old"), Fingerprint: aws.String("A")},
		{HostKeyId: aws.String("hostkey-keep"), Fingerprint: aws.String("K"), Description: aws.String("x")},
	}}
	s := NewService(h, testRegion)
	listedKeys, err := s.ListHostKeys(context.Background(), testServerID)
	if err != nil {
		t.Fatal(err)
	}
	plan := PlanHostKeys([]DesiredHostKey{desiredKey("K", "kept"), desiredKey("B", "new")}, listedKeys, map[string]bool{"A": true}, false)
	h.calls = nil
	done, err := s.ApplyHostKeys(context.Background(), testServerID, plan)
	if err != nil {
		t.Fatalf("ApplyHostKeys: %v", err)
	}
	wantCalls := []string{"ImportHostKey B", "UpdateHostKey hostkey-keep", "DeleteHostKey hostkey-old", "ListHostKeys", "ListHostKeys"}
	if diff := cmp.Diff(wantCalls, h.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	var fps []string
	for _, k := range done.Keys {
		fps = append(fps, k.Fingerprint+"="+k.Description)
	}
	if diff := cmp.Diff([]string{"K=kept", "B=new"}, fps); diff != "" {
		t.Errorf("keys after (-want +got):\n%s", diff)
	}
	if len(done.Imported) != 1 || len(done.Described) != 1 || len(done.Deleted) != 1 || !done.Changed() {
		t.Errorf("changes = %+v", done)
	}
}

// TestApplyHostKeysStopsBeforeDeleting checks that a failed import stops the pass before any key
// is deleted, so the old key stays until the new one is in place, and that the error never
// carries the key.
func TestApplyHostKeysStopsBeforeDeleting(t *testing.T) {
	h := &hostKeyServer{
		keys: []types.ListedHostKey{{HostKeyId: aws.String("hostkey-old"), Fingerprint: aws.String("A")}},
		fail: map[string]error{"ImportHostKey B": apiError(CodeThrottling)},
	}
	plan := PlanHostKeys([]DesiredHostKey{desiredKey("B", "")}, []HostKey{{ID: "hostkey-old", Fingerprint: "A"}}, map[string]bool{"A": true}, false)
	done, err := NewService(h, testRegion).ApplyHostKeys(context.Background(), testServerID, plan)
	if err == nil || done.Changed() {
		t.Fatalf("ApplyHostKeys = %+v, %v; want an error and nothing done", done, err)
	}
	if strings.Contains(err.Error(), "BODY") || !strings.Contains(err.Error(), "secret-B/key") {
		t.Errorf("error %q: want the key's name and never its body", err)
	}
	if diff := cmp.Diff([]string{"ImportHostKey B"}, h.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// TestApplyHostKeysImportAlreadyThere checks that an import AWS answers with
// ResourceExistsException, as a retry after a lost response is, counts as done, and that a key
// already deleted counts as deleted.
func TestApplyHostKeysImportAlreadyThere(t *testing.T) {
	h := &hostKeyServer{fail: map[string]error{
		"ImportHostKey B":         apiError(CodeResourceExists),
		"DeleteHostKey hostkey-a": apiError(CodeResourceNotFound),
	}}
	plan := HostKeyPlan{Import: []DesiredHostKey{desiredKey("B", "")}, Delete: []HostKey{{ID: "hostkey-a", Fingerprint: "A"}}}
	done, err := NewService(h, testRegion).ApplyHostKeys(context.Background(), testServerID, plan)
	if err != nil {
		t.Fatalf("ApplyHostKeys: %v", err)
	}
	if len(done.Imported) != 1 || len(done.Deleted) != 1 {
		t.Errorf("changes = %+v, want the import and the delete counted", done)
	}
}

func TestOfferedHostKeys(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	key := func(id, typ string, imported time.Time) HostKey {
		return HostKey{ID: id, Type: typ, DateImported: imported}
	}
	for _, tc := range []struct {
		name string
		keys []HostKey
		want []string
	}{
		{"none", nil, nil},
		{"one per type", []HostKey{key("a", "ssh-rsa", t0), key("b", "ssh-ed25519", t0.Add(time.Hour))}, []string{"a", "b"}},
		{"the oldest of a type", []HostKey{key("new", "ssh-ed25519", t0.Add(time.Hour)), key("old", "ssh-ed25519", t0)}, []string{"old"}},
		{"same second: list order", []HostKey{key("first", "ssh-ed25519", t0), key("second", "ssh-ed25519", t0)}, []string{"first"}},
		{"no date: list order", []HostKey{key("first", "ssh-ed25519", time.Time{}), key("second", "ssh-ed25519", t0)}, []string{"first"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := slices.Sorted(maps.Keys(OfferedHostKeys(tc.keys)))
			if !slices.Equal(got, tc.want) {
				t.Errorf("OfferedHostKeys = %v, want %v", got, tc.want)
			}
		})
	}
}
