package transfer

import (
	"context"
	"slices"
)

// The sequences of calls that observe and delete a resource the operator may have made live
// here, not in the reconcilers: a reconciler says what it recorded, and these decide the calls.

// Recorded is what an object recorded about its resource: the ID, or that a create was sent
// whose outcome is unknown (the response was lost, or the operator died), in which case the
// resource is looked for by the object's ownership tag.
type Recorded struct {
	// ID is the recorded resource, "" when none is.
	ID string
	// CreatePending says that a create may have made a resource whose ID was never recorded.
	CreatePending bool
	// OwnerUID is the UID of the object, as TagOwnerUID carries it.
	OwnerUID string
	// Exclude are resources the object made that are not the one (retired workflows).
	Exclude []string
}

// OwnerCheck returns the live object other than the caller that the ownership tags of a
// resource name ("TransferServer team-a/sftp"), or "" when the resource is the caller's to manage.
type OwnerCheck func(tags map[string]string) string

// Observation is what observing a recorded resource found.
type Observation[R any] struct {
	// Resource is the resource, nil when there is none.
	Resource R
	// ID is the resource's ID; "" when nothing was recorded or found.
	ID string
	// FoundByTag says that the resource was found by its ownership tag: made by a create whose
	// response was lost.
	FoundByTag bool
	// Gone says that the recorded resource does not exist (deleted outside the operator).
	Gone bool
}

// ObserveServer returns the server rec names, or the one a lost create made.
func (s *Service) ObserveServer(ctx context.Context, rec Recorded) (Observation[*Server], error) {
	return observe(ctx, rec, s.DescribeServer, func(ctx context.Context) (string, error) {
		return s.FindServerByTag(ctx, TagOwnerUID, rec.OwnerUID)
	})
}

// ObserveWorkflow returns the workflow rec names, or the one a lost create made.
func (s *Service) ObserveWorkflow(ctx context.Context, rec Recorded) (Observation[*Workflow], error) {
	return observe(ctx, rec, s.DescribeWorkflow, func(ctx context.Context) (string, error) {
		return s.FindWorkflowByTag(ctx, TagOwnerUID, rec.OwnerUID, rec.Exclude...)
	})
}

// observe describes the recorded resource, after looking for it by tag when only a create
// intent was recorded. A resource that does not exist is Gone, not an error.
func observe[R any](ctx context.Context, rec Recorded, describe func(context.Context, string) (R, error), findByTag func(context.Context) (string, error)) (Observation[R], error) {
	var o Observation[R]
	o.ID = rec.ID
	if o.ID == "" && rec.CreatePending {
		id, err := findByTag(ctx)
		if err != nil {
			return o, err
		}
		o.ID, o.FoundByTag = id, id != ""
	}
	if o.ID == "" {
		return o, nil
	}
	res, err := describe(ctx, o.ID)
	switch {
	case IsNotFound(err):
		o.Gone = true
		return o, nil
	case err != nil:
		return o, err
	}
	o.Resource = res
	return o, nil
}

// Deletion is what deleting a recorded resource did.
type Deletion struct {
	// ID is the resource deleted or left; "" when there was none.
	ID string
	// OwnedBy names the live object that manages the resource, which was left alone.
	OwnedBy string
	// Deleted lists what was deleted.
	Deleted []string
	// InUse is the resource AWS would not delete yet, with its answer.
	InUse    string
	InUseErr error
}

// DeleteRecordedServer deletes the server rec names (or a lost create made) unless another live
// object manages it. A server that does not exist counts as deleted. DeleteServer returns at
// once; AWS deletes the server in the background.
func (s *Service) DeleteRecordedServer(ctx context.Context, rec Recorded, otherOwner OwnerCheck) (Deletion, error) {
	o, err := s.ObserveServer(ctx, rec)
	return deleteObserved(ctx, o, err, func(r *Server) map[string]string { return r.Tags }, otherOwner, s.DeleteServer)
}

// deleteObserved deletes the resource o found with del, unless otherOwner names another live
// object in its tags; err is the error of observing it. Nothing found is nothing to delete.
func deleteObserved[R any](ctx context.Context, o Observation[R], err error, tags func(R) map[string]string, otherOwner OwnerCheck,
	del func(context.Context, string) error) (Deletion, error) {
	if err != nil || o.Gone || o.ID == "" {
		return Deletion{ID: o.ID}, err
	}
	if owner := otherOwner(tags(o.Resource)); owner != "" {
		return Deletion{ID: o.ID, OwnedBy: owner}, nil
	}
	if err := del(ctx, o.ID); err != nil {
		return Deletion{ID: o.ID}, err
	}
	return Deletion{ID: o.ID, Deleted: []string{o.ID}}, nil
}

// DeleteRecordedWorkflow deletes the workflow rec names (or a lost create made), unless another
// live object manages it, and the workflows rec.Exclude lists (retired by the object), in that
// order of retirement. It stops at the first one a server still runs (InUse).
func (s *Service) DeleteRecordedWorkflow(ctx context.Context, rec Recorded, otherOwner OwnerCheck) (Deletion, error) {
	o, err := s.ObserveWorkflow(ctx, rec)
	if err != nil {
		return Deletion{ID: o.ID}, err
	}
	d := Deletion{ID: o.ID}
	ids := slices.Clone(rec.Exclude)
	if o.Resource != nil {
		if d.OwnedBy = otherOwner(o.Resource.Tags); d.OwnedBy == "" {
			ids = append(ids, o.ID)
		}
	}
	return s.deleteWorkflows(ctx, d, ids)
}

// RetireWorkflows deletes the given workflows, which an object replaced, skipping those a server
// still runs (returned in inUse, with the last refusal).
func (s *Service) RetireWorkflows(ctx context.Context, ids []string) (deleted, inUse []string, refusal error, err error) {
	for _, id := range ids {
		err := s.DeleteWorkflow(ctx, id)
		switch {
		case IsInUse(err):
			inUse, refusal = append(inUse, id), err
		case err != nil:
			return deleted, inUse, refusal, err
		default:
			deleted = append(deleted, id)
		}
	}
	return deleted, inUse, refusal, nil
}

func (s *Service) deleteWorkflows(ctx context.Context, d Deletion, ids []string) (Deletion, error) {
	for _, id := range ids {
		err := s.DeleteWorkflow(ctx, id)
		if IsInUse(err) {
			d.InUse, d.InUseErr = id, err
			return d, nil
		}
		if err != nil {
			return d, err
		}
		d.Deleted = append(d.Deleted, id)
	}
	return d, nil
}

// DeleteRecordedUser deletes the user userName of server serverID. A user the object recorded
// (recorded) is deleted with one call; one it never recorded (a CreateUser whose response was
// lost may have made it) is described first and deleted only if it carries the tag of ownerUID.
// A user or server that does not exist counts as deleted: deleted says whether a DeleteUser went.
func (s *Service) DeleteRecordedUser(ctx context.Context, serverID, userName, ownerUID string, recorded bool) (deleted bool, err error) {
	if !recorded {
		user, err := s.DescribeUser(ctx, serverID, userName)
		switch {
		case IsNotFound(err):
			return false, nil
		case err != nil:
			return false, err
		case user.Tags[TagOwnerUID] != ownerUID:
			return false, nil
		}
	}
	return true, s.DeleteUser(ctx, serverID, userName)
}
