package emulator

import (
	"maps"
	"slices"
)

// Snapshot returns a copy of every resource of Options.AccountID, with
// pending state transitions brought up to date (SnapshotOf for another
// account).
func (e *Emulator) Snapshot() Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	snap := Snapshot{Regions: map[string]RegionSnapshot{}}
	for _, name := range slices.Sorted(maps.Keys(e.regions)) {
		r := e.regions[name]
		var rs RegionSnapshot
		for _, s := range r.servers.all() {
			e.settleLocked(s)
			ss := ServerSnapshot{ServerRecord: s.rec.clone(), Users: make([]UserRecord, 0, s.users.len())}
			for _, u := range s.users.all() {
				ss.Users = append(ss.Users, u.clone())
			}
			for _, a := range s.accesses.all() {
				ss.Accesses = append(ss.Accesses, a.clone())
			}
			rs.Servers = append(rs.Servers, ss)
		}
		for _, id := range r.sortedEndpointIDs() {
			ep := r.endpoints[id]
			e.settleEndpointLocked(ep)
			rs.VpcEndpoints = append(rs.VpcEndpoints, ep.rec.clone())
		}
		for _, id := range r.sortedInterfaceIDs() {
			rs.NetworkInterfaces = append(rs.NetworkInterfaces, *r.interfaces[id])
		}
		for _, w := range r.workflows.all() {
			rs.Workflows = append(rs.Workflows, w.clone())
		}
		for _, c := range r.connectors.all() {
			e.settleConnector(c)
			rs.Connectors = append(rs.Connectors, c.clone())
		}
		for _, s := range e.liveSecretsLocked(name).all() {
			rs.Secrets = append(rs.Secrets, s.clone())
		}
		snap.Regions[name] = rs
	}
	return snap
}

// ModifyServer changes a server out of band, as another AWS user or the
// service itself would: fn edits a copy of the record, which is then stored
// without validation. ServerID and Arn cannot be changed. Setting State to
// STARTING or STOPPING starts a transition of the configured delay.
func (e *Emulator) ModifyServer(region, serverID string, fn func(*ServerRecord)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.serverLocked(region, serverID)
	if err != nil {
		return err
	}
	next := s.rec.clone()
	fn(&next)
	next.ServerID, next.Arn = s.rec.ServerID, s.rec.Arn
	e.syncEndpointLocked(region, &s.rec, &next)
	if next.State != s.rec.State && (next.State == StateStarting || next.State == StateStopping) {
		e.beginTransitionLocked(s, next.State)
	}
	s.rec = next
	return nil
}

// DeleteServerOutOfBand deletes a server and its users without an API call.
func (e *Emulator) DeleteServerOutOfBand(region, serverID string) error {
	_, err := e.deleteServer(region, &serverIDInput{ServerID: serverID})
	return err
}

// ModifyUser changes a user out of band: fn edits a copy of the record,
// which is then stored without validation. ServerID, UserName and Arn cannot
// be changed.
func (e *Emulator) ModifyUser(region, serverID, userName string, fn func(*UserRecord)) error {
	return update(e, e.usersOf(region, serverID), userName, func(u *UserRecord) error {
		serverID, userName, arn := u.ServerID, u.UserName, u.Arn
		fn(u)
		u.ServerID, u.UserName, u.Arn = serverID, userName, arn
		return nil
	})
}

// DeleteUserOutOfBand deletes a user without an API call.
func (e *Emulator) DeleteUserOutOfBand(region, serverID, userName string) error {
	_, err := e.deleteUser(region, &userIDInput{ServerID: serverID, UserName: userName})
	return err
}

// FailNextTransition makes the server's next state change, or the one in
// progress, end in START_FAILED or STOP_FAILED instead of ONLINE or OFFLINE.
func (e *Emulator) FailNextTransition(region, serverID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.serverLocked(region, serverID)
	if err != nil {
		return err
	}
	s.failTransition = true
	return nil
}
