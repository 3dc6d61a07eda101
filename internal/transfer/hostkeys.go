package transfer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
)

// A server's host keys, managed as a set by fingerprint. SDK CreateServerInput.HostKey: "You can
// add multiple host keys, in case you want to rotate keys, or have a set of active keys that use
// different algorithms"; ImportHostKey "Adds a host key to the server", DeleteHostKey deletes one
// and UpdateHostKey "Updates the description". The fingerprint (SDK ListedHostKey.Fingerprint,
// the same "SHA256:..." value as DescribedServer.HostKeyFingerprint) is what identifies a key:
// AWS never returns the private key, and a key's ID changes if it is deleted and imported again.

// DesiredHostKey is one host key the spec asks for.
type DesiredHostKey struct {
	// Name says where the key comes from, for messages (the Secret and its key); never the key.
	Name string
	// Body is the private key, sent only to ImportHostKey.
	Body Sensitive
	// Fingerprint is HostKeyFingerprint(Body).
	Fingerprint string
	// Description is the key's description in AWS; empty clears it.
	Description string
}

// HostKey is one of a server's host keys as ListHostKeys reports it.
type HostKey struct {
	ID           string
	Type         string
	Fingerprint  string
	Description  string
	DateImported time.Time
}

// DescriptionUpdate changes the description of one host key.
type DescriptionUpdate struct {
	Key         HostKey
	Description string
}

// HostKeyPlan is what makes a server's host keys match the spec.
type HostKeyPlan struct {
	// Import are the desired keys the server lacks.
	Import []DesiredHostKey
	// Describe are the description changes of keys the server has.
	Describe []DescriptionUpdate
	// Delete are the keys to remove: keys the spec no longer lists that the operator manages,
	// every key the spec does not list when the set is exclusive, and second copies of a desired
	// fingerprint.
	Delete []HostKey
	// Unmanaged are the keys the spec does not list that are left alone.
	Unmanaged []HostKey
}

// InSync reports whether the plan sends nothing.
func (p HostKeyPlan) InSync() bool {
	return len(p.Import) == 0 && len(p.Describe) == 0 && len(p.Delete) == 0
}

// PlanHostKeys compares the desired keys with the listed ones by fingerprint. A desired key
// whose fingerprint is listed is kept (its description updated when it differs); one that is not
// is imported. A listed key no desired key matches is deleted when exclusive is set or when
// managed (the fingerprints the operator imported, from status) holds its fingerprint, and is
// reported as unmanaged otherwise. A fingerprint listed twice keeps its oldest key. A desired
// fingerprint given twice is imported once, with the first one's description. With no desired
// keys the plan deletes nothing, so it never leaves a server without a host key.
func PlanHostKeys(desired []DesiredHostKey, listed []HostKey, managed map[string]bool, exclusive bool) HostKeyPlan {
	var plan HostKeyPlan
	want := map[string]DesiredHostKey{}
	for _, d := range desired {
		if _, dup := want[d.Fingerprint]; !dup {
			want[d.Fingerprint] = d
		}
	}
	kept := map[string]bool{}
	for _, k := range oldestFirst(listed) {
		d, ok := want[k.Fingerprint]
		switch {
		case ok && kept[k.Fingerprint]:
			plan.Delete = append(plan.Delete, k)
		case ok:
			kept[k.Fingerprint] = true
			if k.Description != d.Description {
				plan.Describe = append(plan.Describe, DescriptionUpdate{Key: k, Description: d.Description})
			}
		case len(desired) > 0 && (exclusive || managed[k.Fingerprint]):
			plan.Delete = append(plan.Delete, k)
		default:
			plan.Unmanaged = append(plan.Unmanaged, k)
		}
	}
	for _, d := range desired {
		if !kept[d.Fingerprint] {
			kept[d.Fingerprint] = true
			plan.Import = append(plan.Import, d)
		}
	}
	return plan
}

// oldestFirst returns keys ordered by DateImported, the listing order among equal dates.
func oldestFirst(keys []HostKey) []HostKey {
	out := slices.Clone(keys)
	slices.SortStableFunc(out, func(a, b HostKey) int { return a.DateImported.Compare(b.DateImported) })
	return out
}

// HostKeyChanges is what ApplyHostKeys did, and the server's keys afterwards.
type HostKeyChanges struct {
	Imported  []DesiredHostKey
	Described []DescriptionUpdate
	Deleted   []HostKey
	// Keys are the server's host keys after the changes, as ListHostKeys reports them.
	Keys []HostKey
}

// Changed reports whether anything was sent.
func (c HostKeyChanges) Changed() bool {
	return len(c.Imported) > 0 || len(c.Described) > 0 || len(c.Deleted) > 0
}

// ApplyHostKeys sends a plan for server id: every import first, then the description updates,
// then the deletes, so that a rotation always has the new key in place before the old one goes
// and the server never has no host key. It stops at the first error and returns what it did
// until then. An import that AWS answers with ResourceExistsException (the key is there already,
// as after a retry of an import whose response was lost) counts as done.
func (s *Service) ApplyHostKeys(ctx context.Context, id string, plan HostKeyPlan) (HostKeyChanges, error) {
	var done HostKeyChanges
	for _, d := range plan.Import {
		_, err := s.api.ImportHostKey(ctx, &transfer.ImportHostKeyInput{
			ServerId:    aws.String(id),
			HostKeyBody: aws.String(string(d.Body)),
			Description: descriptionInput(d.Description),
		})
		if err != nil && !IsAlreadyExists(err) {
			return done, fmt.Errorf("importing host key %s (%s) to server %s: %w", d.Name, d.Fingerprint, id, err)
		}
		done.Imported = append(done.Imported, d)
	}
	for _, u := range plan.Describe {
		_, err := s.api.UpdateHostKey(ctx, &transfer.UpdateHostKeyInput{
			ServerId: aws.String(id), HostKeyId: aws.String(u.Key.ID), Description: aws.String(u.Description),
		})
		if err != nil {
			return done, fmt.Errorf("updating the description of host key %s of server %s: %w", u.Key.ID, id, err)
		}
		done.Described = append(done.Described, u)
	}
	for _, k := range plan.Delete {
		_, err := s.api.DeleteHostKey(ctx, &transfer.DeleteHostKeyInput{ServerId: aws.String(id), HostKeyId: aws.String(k.ID)})
		if err != nil && !IsNotFound(err) {
			return done, fmt.Errorf("deleting host key %s (%s) of server %s: %w", k.ID, k.Fingerprint, id, err)
		}
		done.Deleted = append(done.Deleted, k)
	}
	if !done.Changed() {
		return done, nil
	}
	keys, err := s.ListHostKeys(ctx, id)
	if err != nil {
		return done, err
	}
	done.Keys = keys
	return done, nil
}

// descriptionInput is the Description of an import: absent when empty (the model allows "", but
// an absent member is what a key without a description is imported with).
func descriptionInput(d string) *string {
	if d == "" {
		return nil
	}
	return aws.String(d)
}

// ListHostKeys returns every host key of server id, in the order AWS lists them. (The SDK has no
// paginator for ListHostKeys, so NextToken is followed here.)
func (s *Service) ListHostKeys(ctx context.Context, id string) ([]HostKey, error) {
	var keys []HostKey
	in := &transfer.ListHostKeysInput{ServerId: aws.String(id), MaxResults: aws.Int32(1000)}
	for {
		page, err := s.api.ListHostKeys(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("listing host keys of server %s: %w", id, err)
		}
		for _, k := range page.HostKeys {
			keys = append(keys, hostKeyFromListed(k))
		}
		if aws.ToString(page.NextToken) == "" {
			return keys, nil
		}
		in.NextToken = page.NextToken
	}
}

func hostKeyFromListed(k types.ListedHostKey) HostKey {
	return HostKey{
		ID:           aws.ToString(k.HostKeyId),
		Type:         aws.ToString(k.Type),
		Fingerprint:  aws.ToString(k.Fingerprint),
		Description:  aws.ToString(k.Description),
		DateImported: aws.ToTime(k.DateImported),
	}
}

// OfferedHostKeys returns the IDs of the keys a server presents to clients: for each key type,
// the oldest key (user guide, "Add an additional server host key": "The oldest key for each key
// type (RSA, ECDSA, or ED25519) is the active key for the server for that type"). Keys imported
// in the same second, or without a date, are ordered as ListHostKeys lists them.
func OfferedHostKeys(keys []HostKey) map[string]bool {
	oldest := map[string]HostKey{}
	for _, k := range keys {
		o, ok := oldest[k.Type]
		if !ok || (!o.DateImported.IsZero() && !k.DateImported.IsZero() && k.DateImported.Before(o.DateImported)) {
			oldest[k.Type] = k
		}
	}
	offered := make(map[string]bool, len(oldest))
	for _, k := range oldest {
		offered[k.ID] = true
	}
	return offered
}
