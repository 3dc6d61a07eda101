package transfer

import (
	"context"
	"slices"
)

// The order of the AWS calls that make a resource match its plan. The controllers decide what
// should happen; these functions send it in the order AWS takes it and say what they did.

// ApplyServerPlan sends plan for server: tags, then the update a running server takes, then the
// update AWS takes only while the server is OFFLINE. A server that is ONLINE is stopped instead
// of receiving that last update, and stopped is true: the update follows in a later pass, once
// the server is OFFLINE. A plan in sync sends nothing.
func (s *Service) ApplyServerPlan(ctx context.Context, server *Server, plan ServerPlan) (stopped bool, err error) {
	if err := s.SetTags(ctx, server.ARN, plan.AddTags, plan.RemoveTags); err != nil {
		return false, err
	}
	if err := s.UpdateServer(ctx, server.ID, plan.Update); err != nil {
		return false, err
	}
	if !plan.OfflineUpdate.IsEmpty() && server.State == StateOnline {
		return true, s.StopServer(ctx, server.ID)
	}
	return false, s.UpdateServer(ctx, server.ID, plan.OfflineUpdate)
}

// CreateUserWithKeys creates the user d describes with the first of its SSH keys (CreateUser
// takes one) and imports the others. created says whether the user was made, which it may be
// even when an import then fails; keys are the keys the user holds so far, in the spec's order
// (the first one's ID is unknown: CreateUser does not return it).
func (s *Service) CreateUserWithKeys(ctx context.Context, d DesiredUser) (created bool, keys []UserKey, err error) {
	if err := s.CreateUser(ctx, d); err != nil {
		return false, nil, err
	}
	for i, k := range DesiredKeys(d.Spec) {
		id := ""
		if i > 0 {
			if id, err = s.ImportSSHKey(ctx, d.ServerID, d.UserName, k.Material); err != nil {
				return true, keys, err
			}
		}
		keys = append(keys, UserKey{ID: id, PublicKey: k})
	}
	return true, keys, nil
}

// ApplyUserPlan sends plan for user: tags, the update, then the SSH keys, deletions before
// imports (AWS holds at most 50 keys per user). It returns the keys the user holds once it is
// done.
func (s *Service) ApplyUserPlan(ctx context.Context, user *User, plan UserPlan) ([]UserKey, error) {
	keys := slices.Clone(user.Keys)
	if plan.InSync() {
		return keys, nil
	}
	if err := s.SetTags(ctx, user.ARN, plan.AddTags, plan.RemoveTags); err != nil {
		return nil, err
	}
	if err := s.UpdateUser(ctx, user.ServerID, user.UserName, plan.Update); err != nil {
		return nil, err
	}
	for _, id := range plan.DeleteKeys {
		if err := s.DeleteSSHKey(ctx, user.ServerID, user.UserName, id); err != nil {
			return nil, err
		}
		keys = slices.DeleteFunc(keys, func(k UserKey) bool { return k.ID == id })
	}
	for _, material := range plan.ImportKeys {
		id, err := s.ImportSSHKey(ctx, user.ServerID, user.UserName, material)
		if err != nil {
			return nil, err
		}
		pk, _ := ParsePublicKey(material)
		keys = append(keys, UserKey{ID: id, PublicKey: pk})
	}
	return keys, nil
}
