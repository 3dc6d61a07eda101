package emulator

// Accesses let the members of a directory group in (SDK CreateAccess: "Used
// by administrators to choose which groups in the directory should have
// access to upload and download files over the enabled protocols using
// Transfer Family"). A server holds one access per ExternalId, the group's
// SID. The SDK and the model say nothing of which identity providers take
// accesses; the user guide's "Working with AWS Directory Service" is the only
// place they are described, so the emulator takes them on
// AWS_DIRECTORY_SERVICE servers only, the way it takes users on
// SERVICE_MANAGED servers only.

// accessesOf is the accesses of a server, or ResourceNotFoundException for the server.
func (e *Emulator) accessesOf(regionName, serverID string) scope[AccessRecord] {
	return func() (*records[AccessRecord], error) {
		s, err := e.serverLocked(regionName, serverID)
		if err != nil {
			return nil, err
		}
		return &s.accesses, nil
	}
}

// createAccess: a second access for the same ExternalId is
// ResourceExistsException, which the model lists for CreateAccess. The home
// directory type defaults to PATH, as for users (SDK DescribedAccess
// HomeDirectoryType: "If you set it to PATH ...").
func (e *Emulator) createAccess(regionName string, in *accessSettingsInput) (any, error) {
	a := AccessRecord{ServerID: in.ServerID, ExternalID: in.ExternalID, HomeSettings: HomeSettings{HomeDirectoryType: defaultHomeDirectoryType}}
	if err := applyHomeSettings(&a.HomeSettings, &in.homeSettingsInput, ""); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.serverLocked(regionName, in.ServerID)
	if err != nil {
		return nil, err
	}
	if s.rec.IdentityProviderType != idpDirectoryService {
		return nil, errInvalidRequest("Accesses can only be created on a server whose IdentityProviderType is AWS_DIRECTORY_SERVICE; server %s uses %s",
			s.rec.ServerID, s.rec.IdentityProviderType)
	}
	if err := s.accesses.create(a.ExternalID, &a); err != nil {
		return nil, err
	}
	return accessIDOutput{ServerID: a.ServerID, ExternalID: a.ExternalID}, nil
}

func (e *Emulator) describeAccess(regionName string, in *accessIDInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.accessesOf(regionName, in.ServerID).get(in.ExternalID)
	if err != nil {
		return nil, err
	}
	return describeAccessOutput{ServerID: a.ServerID, Access: describedAccess{ExternalID: a.ExternalID, describedHome: a.described()}}, nil
}

func (e *Emulator) updateAccess(regionName string, in *accessSettingsInput) (any, error) {
	err := update(e, e.accessesOf(regionName, in.ServerID), in.ExternalID, func(a *AccessRecord) error {
		return applyHomeSettings(&a.HomeSettings, &in.homeSettingsInput, "")
	})
	if err != nil {
		return nil, err
	}
	return accessIDOutput{ServerID: in.ServerID, ExternalID: in.ExternalID}, nil
}

func (e *Emulator) deleteAccess(regionName string, in *accessIDInput) (any, error) {
	return remove(e, e.accessesOf(regionName, in.ServerID), in.ExternalID)
}

// listAccesses pages through a server's accesses in ExternalId order.
func (e *Emulator) listAccesses(regionName string, in *listAccessesInput) (any, error) {
	accesses, next, err := list(e, in.listInput, "ListAccesses", in.ServerID, e.accessesOf(regionName, in.ServerID), func(a *AccessRecord) listedAccess {
		return listedAccess{ExternalID: a.ExternalID, listedHome: a.listed()}
	})
	if err != nil {
		return nil, err
	}
	return listAccessesOutput{ServerID: in.ServerID, Accesses: accesses, NextToken: next}, nil
}
