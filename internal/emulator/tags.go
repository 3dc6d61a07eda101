package emulator

import (
	"slices"
	"strconv"
	"strings"
)

// taggable are the families whose records carry tags, by the resource type their ARNs name
// (arn:PARTITION:transfer:REGION:ACCOUNT:TYPE/ID...).
var taggable = map[string]taggableFamily{
	"server": {ids: 1, tags: func(e *Emulator, regionName string, ids []string) (*[]Tag, error) {
		s, err := e.serverLocked(regionName, ids[0])
		if err != nil {
			return nil, err
		}
		return &s.rec.Tags, nil
	}},
	"user": {ids: 2, tags: func(e *Emulator, regionName string, ids []string) (*[]Tag, error) {
		u, err := e.usersOf(regionName, ids[0]).get(ids[1])
		if err != nil {
			return nil, err
		}
		return &u.Tags, nil
	}},
	"connector": {ids: 1, tags: func(e *Emulator, regionName string, ids []string) (*[]Tag, error) {
		c, err := e.connectorsIn(regionName).get(ids[0])
		if err != nil {
			return nil, err
		}
		return &c.Tags, nil
	}},
	"workflow": {ids: 1, tags: func(e *Emulator, regionName string, ids []string) (*[]Tag, error) {
		w, err := e.workflowsIn(regionName).get(ids[0])
		if err != nil {
			return nil, err
		}
		return &w.Tags, nil
	}},
}

// taggableFamily is how TagResource, UntagResource and ListTagsForResource reach the tags of a
// family's records: its ARNs name ids IDs after the resource type, separated by "/" (the last
// takes the rest), and tags returns the tags of the record they name, or the family's
// ResourceNotFoundException; e.mu must be held.
type taggableFamily struct {
	ids  int
	tags func(e *Emulator, regionName string, ids []string) (*[]Tag, error)
}

// taggedLocked returns the tag list of the record an ARN names in regionName. An ARN that is
// not a Transfer ARN is InvalidRequestException; one of another region or account, of a
// resource type that is not taggable, or of a missing record is ResourceNotFoundException. e.mu
// must be held.
func (e *Emulator) taggedLocked(regionName, arn string) (*[]Tag, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "transfer" {
		return nil, errInvalidRequest("Arn %q is not an AWS Transfer Family ARN", arn)
	}
	notFound := errNotFound("Arn", arn, "Unknown resource")
	if parts[1] != partition(regionName) || parts[3] != regionName || parts[4] != e.accountID {
		return nil, notFound
	}
	resourceType, rest, _ := strings.Cut(parts[5], "/")
	f, ok := taggable[resourceType]
	if !ok {
		return nil, notFound
	}
	ids := strings.SplitN(rest, "/", f.ids)
	if len(ids) != f.ids {
		return nil, notFound
	}
	return f.tags(e, regionName, ids)
}

// tagResource adds or updates tags (see mergeTags for the limits).
func (e *Emulator) tagResource(regionName string, in *tagResourceInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	tags, err := e.taggedLocked(regionName, in.Arn)
	if err != nil {
		return nil, err
	}
	merged, err := mergeTags(*tags, in.Tags)
	if err != nil {
		return nil, err
	}
	*tags = merged
	return nil, nil
}

// untagResource removes the given keys; keys the resource does not have are
// ignored.
func (e *Emulator) untagResource(regionName string, in *untagResourceInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	tags, err := e.taggedLocked(regionName, in.Arn)
	if err != nil {
		return nil, err
	}
	*tags = slices.DeleteFunc(slices.Clone(*tags), func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
	return nil, nil
}

// listTagsForResource pages through a resource's tags in the order they
// were added.
func (e *Emulator) listTagsForResource(regionName string, in *listTagsInput) (any, error) {
	const op = "ListTagsForResource"
	after, err := e.decodeToken(in.NextToken, op, in.Arn)
	if err != nil {
		return nil, err
	}
	start := 0
	if after != "" {
		if start, err = strconv.Atoi(after); err != nil {
			return nil, errInvalidNextToken()
		}
	}
	size := pageSize(in.listInput)
	e.mu.Lock()
	defer e.mu.Unlock()
	tags, err := e.taggedLocked(regionName, in.Arn)
	if err != nil {
		return nil, err
	}
	start = min(start, len(*tags))
	end := min(start+size, len(*tags))
	out := listTagsOutput{Arn: in.Arn, Tags: slices.Clone((*tags)[start:end])}
	if out.Tags == nil {
		out.Tags = []Tag{}
	}
	if end < len(*tags) {
		out.NextToken = e.encodeToken(pageToken{Op: op, Scope: in.Arn, After: strconv.Itoa(end)})
	}
	return out, nil
}
