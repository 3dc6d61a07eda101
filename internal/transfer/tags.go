package transfer

import (
	"maps"
	"slices"
	"strings"
)

// Tag keys the operator puts on every resource it creates or adopts, for its own bookkeeping.
// They are never shown as drift and never removed.
const (
	// TagPrefix starts every bookkeeping tag key.
	TagPrefix = "transfer.operators.dev/"
	// TagOwnerUID holds the UID of the Kubernetes object that owns the resource: the key the
	// operator finds a resource by when the response to its create was lost.
	TagOwnerUID = TagPrefix + "owner-uid"
	// TagOwner holds the owning object as kind/namespace/name, for people reading the console.
	TagOwner = TagPrefix + "owner"
	// awsReservedPrefix starts the tag keys AWS reserves for itself.
	awsReservedPrefix = "aws:"
)

// OwnerTags returns the bookkeeping tags of the object of the given kind, namespace, name and UID.
func OwnerTags(kind, namespace, name, uid string) map[string]string {
	return map[string]string{
		TagOwnerUID: uid,
		TagOwner:    kind + "/" + namespace + "/" + name,
	}
}

// managedTagKey reports whether a tag key belongs to the user's spec, rather than to the
// operator's bookkeeping or to AWS.
func managedTagKey(k string) bool {
	return !strings.HasPrefix(k, TagPrefix) && !strings.HasPrefix(k, awsReservedPrefix)
}

// DiffTags compares the tags a resource should have (the spec's and the bookkeeping tags) with
// those it has. add holds the tags to set (missing or with another value); remove holds the keys
// to delete: tags that are neither in the spec nor bookkeeping nor AWS's own. A nil spec leaves
// the user's tags unmanaged (nothing removed); an empty one removes them all. remove is sorted.
func DiffTags(spec, owner, observed map[string]string) (add map[string]string, remove []string) {
	add = map[string]string{}
	for _, want := range []map[string]string{spec, owner} {
		for k, v := range want {
			if got, ok := observed[k]; !ok || got != v {
				add[k] = v
			}
		}
	}
	if spec == nil {
		return add, nil
	}
	for k := range observed {
		if _, wanted := spec[k]; !wanted && managedTagKey(k) {
			remove = append(remove, k)
		}
	}
	slices.Sort(remove)
	return add, remove
}

// mergeTags returns the union of the given tag maps; later maps win.
func mergeTags(tags ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, t := range tags {
		maps.Copy(out, t)
	}
	return out
}
