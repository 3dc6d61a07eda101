package emulator

import (
	"slices"
)

// usersOf is the users of a server, or ResourceNotFoundException for the server.
func (e *Emulator) usersOf(regionName, serverID string) scope[UserRecord] {
	return func() (*records[UserRecord], error) {
		s, err := e.serverLocked(regionName, serverID)
		if err != nil {
			return nil, err
		}
		return &s.users, nil
	}
}

// applyHomeSettings applies the members of a CreateUser, UpdateUser,
// CreateAccess or UpdateAccess request to h and checks the result. Mapping
// targets of a user are stored with ${Transfer:UserName} expanded to
// userName (an access, userName "", names no one user) and a mapping without
// a type as DIRECTORY; settings whose HomeDirectoryType becomes PATH lose
// their mappings.
func applyHomeSettings(h *HomeSettings, in *homeSettingsInput, userName string) error {
	setString(&h.HomeDirectory, in.HomeDirectory)
	setString(&h.HomeDirectoryType, in.HomeDirectoryType)
	if in.HomeDirectoryMappings != nil {
		mappings := slices.Clone(in.HomeDirectoryMappings)
		if userName != "" {
			mappings = expandUserName(mappings, userName)
		}
		h.HomeDirectoryMappings = withDefaultMapType(mappings)
	}
	if h.HomeDirectoryType == homeDirectoryPath && in.HomeDirectoryMappings == nil {
		h.HomeDirectoryMappings = nil
	}
	setString(&h.Policy, in.Policy)
	if in.PosixProfile != nil {
		p := *in.PosixProfile
		p.SecondaryGIDs = slices.Clone(p.SecondaryGIDs)
		h.PosixProfile = &p
	}
	setString(&h.Role, in.Role)
	if err := checkHomeDirectory(h, in.HomeDirectoryMappings != nil); err != nil {
		return err
	}
	return checkPolicy(h.Policy)
}

// described renders home settings as DescribeUser and DescribeAccess answer them.
func (h HomeSettings) described() describedHome {
	c := h.clone()
	return describedHome{
		HomeDirectory:         c.HomeDirectory,
		HomeDirectoryMappings: c.HomeDirectoryMappings,
		HomeDirectoryType:     c.HomeDirectoryType,
		Policy:                c.Policy,
		PosixProfile:          c.PosixProfile,
		Role:                  c.Role,
	}
}

// listed renders home settings as ListUsers and ListAccesses answer them.
func (h HomeSettings) listed() listedHome {
	return listedHome{HomeDirectory: h.HomeDirectory, HomeDirectoryType: h.HomeDirectoryType, Role: h.Role}
}

// withDefaultMapType gives the mappings without a type the type AWS gives them
// and reports (SDK HomeDirectoryMapEntry.Type: "By default, home directory
// mappings have a Type of DIRECTORY"); it changes mappings in place.
func withDefaultMapType(mappings []HomeDirectoryMapEntry) []HomeDirectoryMapEntry {
	for i := range mappings {
		if mappings[i].Type == "" {
			mappings[i].Type = defaultMapType
		}
	}
	return mappings
}

// createUser: SDK CreateUser: "You can only create and associate users with
// servers that have the IdentityProviderType set to SERVICE_MANAGED"; a user
// name is unique on its server (user guide, service-managed users: "each
// username must be unique on your server"), so a second one is
// ResourceExistsException, which the model lists for CreateUser.
func (e *Emulator) createUser(regionName string, in *createUserInput) (any, error) {
	u := UserRecord{ServerID: in.ServerID, UserName: in.UserName, HomeSettings: HomeSettings{HomeDirectoryType: defaultHomeDirectoryType}}
	if err := applyHomeSettings(&u.HomeSettings, &in.homeSettingsInput, u.UserName); err != nil {
		return nil, err
	}
	var keyBody string
	if in.SSHPublicKeyBody != nil {
		var err error
		if keyBody, _, err = parseUserKey(*in.SSHPublicKeyBody); err != nil {
			return nil, err
		}
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	u.Tags = tags

	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.serverLocked(regionName, in.ServerID)
	if err != nil {
		return nil, err
	}
	if s.rec.IdentityProviderType != idpServiceManaged {
		return nil, errInvalidRequest("Users can only be created on a server whose IdentityProviderType is SERVICE_MANAGED; server %s uses %s",
			s.rec.ServerID, s.rec.IdentityProviderType)
	}
	u.Arn = e.arn(regionName, "user/"+u.ServerID+"/"+u.UserName)
	if err := s.users.create(u.UserName, &u); err != nil {
		return nil, err
	}
	if keyBody != "" {
		u.SSHPublicKeys = []SSHPublicKey{{SSHPublicKeyID: e.newKeyIDLocked(nil), SSHPublicKeyBody: keyBody, DateImported: e.clock.Now()}}
	}
	return userIDOutput{ServerID: u.ServerID, UserName: u.UserName}, nil
}

func (e *Emulator) describeUser(regionName string, in *userIDInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.usersOf(regionName, in.ServerID).get(in.UserName)
	if err != nil {
		return nil, err
	}
	c := u.clone()
	keys := make([]sshPublicKeyOutput, len(c.SSHPublicKeys))
	for i, k := range c.SSHPublicKeys {
		keys[i] = sshPublicKeyOutput{DateImported: epochSeconds(k.DateImported), SSHPublicKeyBody: k.SSHPublicKeyBody, SSHPublicKeyID: k.SSHPublicKeyID}
	}
	return describeUserOutput{ServerID: c.ServerID, User: describedUser{
		Arn:           c.Arn,
		describedHome: c.described(),
		SSHPublicKeys: keys,
		Tags:          c.Tags,
		UserName:      c.UserName,
	}}, nil
}

func (e *Emulator) updateUser(regionName string, in *userSettingsInput) (any, error) {
	err := update(e, e.usersOf(regionName, in.ServerID), in.UserName, func(u *UserRecord) error {
		return applyHomeSettings(&u.HomeSettings, &in.homeSettingsInput, u.UserName)
	})
	if err != nil {
		return nil, err
	}
	return userIDOutput{ServerID: in.ServerID, UserName: in.UserName}, nil
}

func (e *Emulator) deleteUser(regionName string, in *userIDInput) (any, error) {
	return remove(e, e.usersOf(regionName, in.ServerID), in.UserName)
}

// listUsers pages through a server's users in name order. Users exist only
// on SERVICE_MANAGED servers; the service refuses to list the others
// ("Cannot list users on server with IdP type: API_GATEWAY", quoted in
// terraform-provider-aws issue #19850).
func (e *Emulator) listUsers(regionName string, in *listUsersInput) (any, error) {
	serviceManaged := func() (*records[UserRecord], error) {
		s, err := e.serverLocked(regionName, in.ServerID)
		if err != nil {
			return nil, err
		}
		if s.rec.IdentityProviderType != idpServiceManaged {
			return nil, errInvalidRequest("Cannot list users on server with IdP type: %s", s.rec.IdentityProviderType)
		}
		return &s.users, nil
	}
	users, next, err := list(e, in.listInput, "ListUsers", in.ServerID, serviceManaged, func(u *UserRecord) listedUser {
		return listedUser{Arn: u.Arn, listedHome: u.listed(), SSHPublicKeyCount: len(u.SSHPublicKeys), UserName: u.UserName}
	})
	if err != nil {
		return nil, err
	}
	return listUsersOutput{ServerID: in.ServerID, Users: users, NextToken: next}, nil
}

// importSSHPublicKey adds a key to a user. A key the user already has (same
// type and key material, whatever the comment) is ResourceExistsException,
// which the model lists for ImportSshPublicKey; a user holds at most
// maxSSHPublicKeysPerUser keys.
func (e *Emulator) importSSHPublicKey(regionName string, in *importSSHPublicKeyInput) (any, error) {
	body, identity, err := parseUserKey(in.SSHPublicKeyBody)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.usersOf(regionName, in.ServerID).get(in.UserName)
	if err != nil {
		return nil, err
	}
	for _, k := range u.SSHPublicKeys {
		if _, existing, _ := parseUserKey(k.SSHPublicKeyBody); existing == identity {
			return nil, errExists(resourceTypeSSHPublicKey, k.SSHPublicKeyID, "SSH public key already exists for user "+u.UserName)
		}
	}
	if len(u.SSHPublicKeys) >= maxSSHPublicKeysPerUser {
		return nil, errInvalidRequest("User %s already has %d SSH public keys, the maximum per user", u.UserName, maxSSHPublicKeysPerUser)
	}
	key := SSHPublicKey{SSHPublicKeyID: e.newKeyIDLocked(u.SSHPublicKeys), SSHPublicKeyBody: body, DateImported: e.clock.Now()}
	u.SSHPublicKeys = append(slices.Clip(u.SSHPublicKeys), key)
	return importSSHPublicKeyOutput{ServerID: u.ServerID, SSHPublicKeyID: key.SSHPublicKeyID, UserName: u.UserName}, nil
}

func (e *Emulator) deleteSSHPublicKey(regionName string, in *deleteSSHPublicKeyInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.usersOf(regionName, in.ServerID).get(in.UserName)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(u.SSHPublicKeys, func(k SSHPublicKey) bool { return k.SSHPublicKeyID == in.SSHPublicKeyID })
	if i < 0 {
		return nil, errNotFound(resourceTypeSSHPublicKey, in.SSHPublicKeyID, "Unknown SSH public key")
	}
	u.SSHPublicKeys = slices.Delete(slices.Clone(u.SSHPublicKeys), i, i+1)
	return nil, nil
}

// newKeyIDLocked returns a key ID ("key-" and 17 hex digits, the
// SshPublicKeyId pattern) not used by existing; e.mu must be held.
func (e *Emulator) newKeyIDLocked(existing []SSHPublicKey) string {
	for {
		id := "key-" + e.randomHex(17)
		if !slices.ContainsFunc(existing, func(k SSHPublicKey) bool { return k.SSHPublicKeyID == id }) {
			return id
		}
	}
}
