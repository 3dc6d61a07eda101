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

// Tag keys in which AWS records a server's custom hostname: the only aws: keys users may write
// (Terraform's aws_transfer_tag resource exists to set them).
const (
	// TagCustomHostname holds the hostname clients use instead of the server's endpoint.
	TagCustomHostname = "aws:transfer:customHostname"
	// TagRoute53HostedZoneID holds the Route 53 zone of the hostname, as /hostedzone/ID.
	TagRoute53HostedZoneID = "aws:transfer:route53HostedZoneId"
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

// DiffHostnameTags compares the custom hostname tags a server should have with those it has.
// A nil want leaves both tags unmanaged (nothing added or removed); otherwise each of
// TagCustomHostname and TagRoute53HostedZoneID is set to its value in want, or removed when want
// lacks it. No other key is ever added or removed. remove is sorted.
func DiffHostnameTags(want, observed map[string]string) (add map[string]string, remove []string) {
	add = map[string]string{}
	if want == nil {
		return add, nil
	}
	for _, k := range []string{TagCustomHostname, TagRoute53HostedZoneID} {
		v, wanted := want[k]
		got, present := observed[k]
		switch {
		case wanted && (!present || got != v):
			add[k] = v
		case !wanted && present:
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
