package emulator

import (
	"slices"
	"strconv"

	"golang.org/x/crypto/ssh"
)

// A server's host keys. What the emulator follows:
//   - SDK CreateServerInput.HostKey / UpdateServerInput.HostKey: "The RSA, ECDSA, or ED25519
//     private key to use for your SFTP-enabled server. You can add multiple host keys, in case
//     you want to rotate keys, or have a set of active keys that use different algorithms." The
//     key CreateServer takes (or the one the service generates without it) is the server's first
//     host key, listed by ListHostKeys like any imported one; UpdateServer's HostKey replaces that
//     first key and leaves the others alone, and DescribeServer's HostKeyFingerprint is the first
//     key's. User guide, "Add an additional server host key": "The oldest key for each key type
//     (RSA, ECDSA, or ED25519) is the active key for the server for that type."
//   - SDK ImportHostKey: "Adds a host key to the server"; the model lists
//     ResourceExistsException among its errors, which is the answer for a key whose fingerprint
//     the server already has (and for UpdateServer's HostKey when another of the server's keys
//     has that fingerprint; UpdateServer lists the same error).
//   - SDK UpdateHostKey: "Updates the description for the host key"; Description is required
//     there and limited by the model (HostKeyDescription: 0 to 200 characters of \p{Print}).
//   - SDK DeleteHostKey: "Deletes the host key that's specified in the HostKeyId parameter". No
//     source says AWS refuses to delete a server's last host key, so the emulator does not.
//   - No source states a quota on the number of host keys a server holds (the SDK, the user
//     guide's host key pages and Terraform's aws_transfer_host_key are silent), so none is
//     enforced.
//   - HostKeyId is "hostkey-" and 17 hex digits (model HostKeyId pattern); the ARN is
//     arn:<partition>:transfer:<region>:<account>:host-key/<server-id>/<host-key-id>, the host-key
//     resource type of the Service Authorization Reference for AWS Transfer Family.

// HostKeys returns a server's host keys in the order ListHostKeys gives them, the first being
// the one DescribeServer reports; each carries the Signer an SFTP endpoint presents. It returns
// ResourceNotFoundException when region has no such server.
func (e *Emulator) HostKeys(region, serverID string) ([]HostKey, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.serverLocked(region, serverID)
	if err != nil {
		return nil, err
	}
	return s.rec.clone().HostKeys, nil
}

// newHostKeyLocked returns a new host key of server s for signer, with an ID none of its keys
// has and the next seq; e.mu must be held.
func (e *Emulator) newHostKeyLocked(regionName string, s *serverState, signer ssh.Signer, description string, tags []Tag) HostKey {
	id := "hostkey-" + e.randomHex(17)
	for slices.ContainsFunc(s.rec.HostKeys, func(k HostKey) bool { return k.HostKeyID == id }) {
		id = "hostkey-" + e.randomHex(17)
	}
	s.hostKeySeq++
	return HostKey{
		HostKeyID:    id,
		Arn:          e.arn(regionName, "host-key/"+s.rec.ServerID+"/"+id),
		Type:         signer.PublicKey().Type(),
		Fingerprint:  ssh.FingerprintSHA256(signer.PublicKey()),
		Description:  description,
		DateImported: e.clock.Now(),
		Tags:         tags,
		seq:          s.hostKeySeq,
		signer:       signer,
	}
}

// replaceFirstHostKeyLocked returns keys with its first key replaced by signer, as UpdateServer's
// HostKey does: unchanged when the first key already is signer's, ResourceExistsException when
// another key is; e.mu must be held.
func (e *Emulator) replaceFirstHostKeyLocked(regionName string, s *serverState, keys []HostKey, signer ssh.Signer) ([]HostKey, error) {
	fingerprint := ssh.FingerprintSHA256(signer.PublicKey())
	i := slices.IndexFunc(keys, func(k HostKey) bool { return k.Fingerprint == fingerprint })
	switch {
	case i == 0:
		return keys, nil
	case i > 0:
		return nil, errExists(resourceTypeHostKey, keys[i].HostKeyID, "Host key already exists for server "+s.rec.ServerID)
	}
	key := e.newHostKeyLocked(regionName, s, signer, "", nil)
	if len(keys) == 0 {
		return []HostKey{key}, nil
	}
	key.seq = keys[0].seq
	return append([]HostKey{key}, keys[1:]...), nil
}

// hostKeyLocked returns a server and the index of one of its host keys, or
// ResourceNotFoundException for either; e.mu must be held.
func (e *Emulator) hostKeyLocked(regionName, serverID, hostKeyID string) (*serverState, int, error) {
	s, err := e.serverLocked(regionName, serverID)
	if err != nil {
		return nil, 0, err
	}
	i := slices.IndexFunc(s.rec.HostKeys, func(k HostKey) bool { return k.HostKeyID == hostKeyID })
	if i < 0 {
		return nil, 0, errNotFound(resourceTypeHostKey, hostKeyID, "Unknown host key")
	}
	return s, i, nil
}

func (e *Emulator) importHostKey(regionName string, in *importHostKeyInput) (any, error) {
	signer, err := parseHostKey(in.HostKeyBody, "HostKeyBody")
	if err != nil {
		return nil, err
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.serverLocked(regionName, in.ServerID)
	if err != nil {
		return nil, err
	}
	fingerprint := ssh.FingerprintSHA256(signer.PublicKey())
	if i := slices.IndexFunc(s.rec.HostKeys, func(k HostKey) bool { return k.Fingerprint == fingerprint }); i >= 0 {
		return nil, errExists(resourceTypeHostKey, s.rec.HostKeys[i].HostKeyID, "Host key already exists for server "+s.rec.ServerID)
	}
	description := ""
	setString(&description, in.Description)
	key := e.newHostKeyLocked(regionName, s, signer, description, tags)
	s.rec.HostKeys = append(slices.Clip(s.rec.HostKeys), key)
	return hostKeyIDOutput{HostKeyID: key.HostKeyID, ServerID: s.rec.ServerID}, nil
}

func (e *Emulator) describeHostKey(regionName string, in *hostKeyIDInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, i, err := e.hostKeyLocked(regionName, in.ServerID, in.HostKeyID)
	if err != nil {
		return nil, err
	}
	k := s.rec.HostKeys[i]
	return describeHostKeyOutput{HostKey: describedHostKey{
		Arn:                k.Arn,
		DateImported:       epochSeconds(k.DateImported),
		Description:        k.Description,
		HostKeyFingerprint: k.Fingerprint,
		HostKeyID:          k.HostKeyID,
		Tags:               slices.Clone(k.Tags),
		Type:               k.Type,
	}}, nil
}

func (e *Emulator) updateHostKey(regionName string, in *updateHostKeyInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, i, err := e.hostKeyLocked(regionName, in.ServerID, in.HostKeyID)
	if err != nil {
		return nil, err
	}
	keys := s.rec.clone().HostKeys
	keys[i].Description = in.Description
	s.rec.HostKeys = keys
	return hostKeyIDOutput{HostKeyID: in.HostKeyID, ServerID: in.ServerID}, nil
}

func (e *Emulator) deleteHostKey(regionName string, in *hostKeyIDInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, i, err := e.hostKeyLocked(regionName, in.ServerID, in.HostKeyID)
	if err != nil {
		return nil, err
	}
	s.rec.HostKeys = slices.Delete(slices.Clone(s.rec.HostKeys), i, i+1)
	return nil, nil
}

// listHostKeys pages through a server's host keys in import order (the first key, which
// UpdateServer replaces in place, keeps its position).
func (e *Emulator) listHostKeys(regionName string, in *listUsersInput) (any, error) {
	const op = "ListHostKeys"
	after, err := e.decodeToken(in.NextToken, op, in.ServerID)
	if err != nil {
		return nil, err
	}
	var afterSeq uint64
	if after != "" {
		if afterSeq, err = strconv.ParseUint(after, 10, 64); err != nil {
			return nil, errInvalidNextToken()
		}
	}
	size := pageSize(in.listInput)
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.serverLocked(regionName, in.ServerID)
	if err != nil {
		return nil, err
	}
	out := listHostKeysOutput{ServerID: in.ServerID, HostKeys: []listedHostKey{}}
	var lastSeq uint64
	for _, k := range s.rec.HostKeys {
		if k.seq <= afterSeq {
			continue
		}
		if len(out.HostKeys) == size {
			out.NextToken = e.encodeToken(pageToken{Op: op, Scope: in.ServerID, After: strconv.FormatUint(lastSeq, 10)})
			break
		}
		lastSeq = k.seq
		out.HostKeys = append(out.HostKeys, listedHostKey{
			Arn:          k.Arn,
			DateImported: epochSeconds(k.DateImported),
			Description:  k.Description,
			Fingerprint:  k.Fingerprint,
			HostKeyID:    k.HostKeyID,
			Type:         k.Type,
		})
	}
	return out, nil
}
