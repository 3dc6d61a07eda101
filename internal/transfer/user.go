package transfer

import (
	"cmp"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"golang.org/x/crypto/ssh"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// userNameVariable is the policy and mapping variable AWS replaces with the user's name.
const userNameVariable = "${Transfer:UserName}"

// Defaults AWS gives a user's fields when nobody sets them, and so the value of a field AWS does
// not report.
const (
	// defaultMapType: SDK HomeDirectoryMapEntry.Type: "By default, home directory mappings have a
	// Type of DIRECTORY when you create a Transfer Family server."
	defaultMapType = string(types.MapTypeDirectory)
	// defaultHomeDirectoryType: the SDK is silent; terraform-provider-aws's aws_transfer_user
	// defaults home_directory_type to PATH.
	defaultHomeDirectoryType = string(types.HomeDirectoryTypePath)
)

// DesiredUser is everything a user should be: the spec, where it lives, and its bookkeeping tags.
type DesiredUser struct {
	Spec      *v1alpha1.TransferUserSpec
	ServerID  string
	UserName  string
	OwnerTags map[string]string
	// Applied lists the clearable fields a successful pass applied (status.appliedFields); those
	// the spec no longer sets are cleared in AWS.
	Applied []string
}

// User is a user as DescribeUser reported it.
type User struct {
	ServerID string
	UserName string
	ARN      string
	Keys     []UserKey
	Tags     map[string]string

	described types.DescribedUser
}

// UserKey is an SSH public key of a user in AWS.
type UserKey struct {
	ID string
	PublicKey
}

func userFromDescribed(serverID string, d *types.DescribedUser) *User {
	u := &User{
		ServerID:  serverID,
		UserName:  aws.ToString(d.UserName),
		ARN:       aws.ToString(d.Arn),
		Tags:      tagsToMap(d.Tags),
		described: *d,
	}
	for _, k := range d.SshPublicKeys {
		pk, err := ParsePublicKey(aws.ToString(k.SshPublicKeyBody))
		if err != nil {
			// A key AWS holds but this library cannot parse is still identified by its body,
			// so that it can be deleted when it is not in the spec.
			pk = PublicKey{Material: strings.TrimSpace(aws.ToString(k.SshPublicKeyBody))}
		}
		u.Keys = append(u.Keys, UserKey{ID: aws.ToString(k.SshPublicKeyId), PublicKey: pk})
	}
	return u
}

// UserARN returns the ARN of the user userName on the server with the ARN serverARN, or "" when
// serverARN is not a server ARN.
func UserARN(serverARN, userName string) string {
	prefix, id, ok := strings.Cut(serverARN, ":server/")
	if !ok || id == "" {
		return ""
	}
	return prefix + ":user/" + id + "/" + userName
}

// acceptedUserKeyTypes are the SSH key types AWS imports. SDK CreateUserInput.SshPublicKeyBody:
// "Transfer Family accepts RSA, ECDSA, and ED25519 keys", of type ssh-rsa, ssh-ed25519,
// ecdsa-sha2-nistp256, ecdsa-sha2-nistp384 or ecdsa-sha2-nistp521.
var acceptedUserKeyTypes = []string{
	ssh.KeyAlgoRSA, ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
}

// minRSAUserKeyBits is the smallest RSA user key the operator sends: the minimum the SDK
// documents for RSA keys (CreateServerInput.HostKey: "Use a minimum value of 2048 for the -b
// option"); AWS's user guide creates user keys with ssh-keygen -t rsa -b 4096.
const minRSAUserKeyBits = 2048

// rsaBits returns the size of an RSA public key in authorized_keys form, 0 for other keys.
func rsaBits(material string) int {
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(material))
	if err != nil {
		return 0
	}
	crypto, ok := key.(ssh.CryptoPublicKey)
	if !ok {
		return 0
	}
	if k, ok := crypto.CryptoPublicKey().(*rsa.PublicKey); ok {
		return k.N.BitLen()
	}
	return 0
}

// ValidateUserSpec checks what the CRD schema cannot: that the policy is JSON and that every SSH
// key parses as a key of a type AWS accepts. (The schema refuses other types too, but not in
// objects stored before it did.) Its error names the field.
func ValidateUserSpec(s *v1alpha1.TransferUserSpec) error {
	if s.Policy != "" && !json.Valid([]byte(s.Policy)) {
		return fmt.Errorf("spec.policy is not valid JSON")
	}
	for i, k := range s.SSHPublicKeys {
		pk, err := ParsePublicKey(string(k))
		if err != nil {
			// x/crypto/ssh's parse errors ("ssh: no key found; last parsing error for ignored
			// line: illegal base64 data at input byte 3") speak to Go programmers, not to people.
			return fmt.Errorf("spec.sshPublicKeys[%d] is not a whole SSH public key: it must be one line of a .pub file (type, base64 key, optional comment), and this one is cut short or damaged", i)
		}
		if t, _, _ := strings.Cut(pk.Material, " "); !slices.Contains(acceptedUserKeyTypes, t) {
			return fmt.Errorf("spec.sshPublicKeys[%d] is a %s key; AWS accepts only %s keys", i, t, strings.Join(acceptedUserKeyTypes, ", "))
		}
		if bits := rsaBits(pk.Material); bits > 0 && bits < minRSAUserKeyBits {
			return fmt.Errorf("spec.sshPublicKeys[%d] is a %d-bit RSA key; AWS takes RSA keys of at least %d bits", i, bits, minRSAUserKeyBits)
		}
	}
	return nil
}

// DesiredKeys returns the spec's keys, parsed, without repeats, in spec order. Keys that do not
// parse are skipped: ValidateUserSpec reports them before anything is sent.
func DesiredKeys(s *v1alpha1.TransferUserSpec) []PublicKey {
	var out []PublicKey
	for _, k := range s.SSHPublicKeys {
		pk, err := ParsePublicKey(string(k))
		if err != nil || slices.ContainsFunc(out, func(o PublicKey) bool { return o.Material == pk.Material }) {
			continue
		}
		out = append(out, pk)
	}
	return out
}

// createUserInput is the CreateUser request for d, carrying the first SSH key; the others are
// imported after it.
func createUserInput(d DesiredUser) *transfer.CreateUserInput {
	s := d.Spec
	in := &transfer.CreateUserInput{
		ServerId:              aws.String(d.ServerID),
		UserName:              aws.String(d.UserName),
		Role:                  aws.String(s.Role),
		HomeDirectory:         optString(s.HomeDirectory),
		HomeDirectoryType:     types.HomeDirectoryType(s.HomeDirectoryType),
		HomeDirectoryMappings: homeDirectoryMappings(s.HomeDirectoryMappings),
		Policy:                optString(s.Policy),
		PosixProfile:          posixProfile(s.PosixProfile),
		Tags:                  tagsFromMap(mergeTags(s.Tags, d.OwnerTags)),
	}
	if keys := DesiredKeys(s); len(keys) > 0 {
		in.SshPublicKeyBody = aws.String(keys[0].Material)
	}
	return in
}

// UserPlan is what must be done to make a described user match a DesiredUser.
type UserPlan struct {
	// Changed lists every spec field that differs from AWS, sorted.
	Changed []string
	// Update holds the fields for one UpdateUser request.
	Update UserUpdate
	// ImportKeys are the key materials to import; DeleteKeys the IDs of keys to delete.
	ImportKeys []string
	DeleteKeys []string
	// AddTags are tags to set; RemoveTags are tag keys to delete.
	AddTags    map[string]string
	RemoveTags []string
	// Kept lists the fields a pass applied, now removed from the spec, that AWS cannot clear:
	// they stay as they are in AWS, and nothing is sent for them.
	Kept []string
}

// InSync reports whether nothing needs doing in AWS.
func (p UserPlan) InSync() bool { return len(p.Changed) == 0 }

// UserUpdate is one UpdateUser request and the spec fields it carries.
type UserUpdate struct{ homeUpdate }

// IsEmpty reports whether the update carries no field.
func (u UserUpdate) IsEmpty() bool { return len(u.Fields) == 0 }

// PlanUser compares a DesiredUser with the described user and returns what to send. It is pure.
// Only fields the spec sets are compared, a mapping's type included; a field AWS does not report
// holds its default (PATH, DIRECTORY). The policy is compared as JSON; home directories and
// mappings are compared after replacing ${Transfer:UserName}, as AWS may report them expanded;
// SSH keys are compared as a set by type and key material, ignoring comments (a nil list leaves
// the user's keys unmanaged; an empty one deletes them all). A clearable field that d.Applied
// lists, that the spec no longer sets and that AWS still reports is cleared; one AWS cannot clear
// is only listed in Kept.
func PlanUser(d DesiredUser, observed *User) UserPlan {
	s := d.Spec
	var p UserPlan
	p.Update.homeUpdate, p.Kept = planHome(userHome(s), describedUserHome(&observed.described), d.Applied, d.UserName)

	if s.SSHPublicKeys != nil {
		want := DesiredKeys(s)
		for _, k := range want {
			if !slices.ContainsFunc(observed.Keys, func(o UserKey) bool { return o.Material == k.Material }) {
				p.ImportKeys = append(p.ImportKeys, k.Material)
			}
		}
		for _, k := range observed.Keys {
			if !slices.ContainsFunc(want, func(w PublicKey) bool { return w.Material == k.Material }) {
				p.DeleteKeys = append(p.DeleteKeys, k.ID)
			}
		}
	}
	if len(p.ImportKeys) > 0 || len(p.DeleteKeys) > 0 {
		p.Changed = append(p.Changed, "sshPublicKeys")
	}

	p.AddTags, p.RemoveTags = DiffTags(s.Tags, d.OwnerTags, observed.Tags)
	if len(p.AddTags) > 0 || len(p.RemoveTags) > 0 {
		p.Changed = append(p.Changed, "tags")
	}
	p.Changed = append(p.Changed, p.Update.Fields...)
	slices.Sort(p.Changed)
	return p
}

// updateUserInput returns the UpdateUser request of u for the user.
func (u UserUpdate) updateUserInput(serverID, userName string) *transfer.UpdateUserInput {
	return &transfer.UpdateUserInput{
		ServerId:              aws.String(serverID),
		UserName:              aws.String(userName),
		Role:                  u.Role,
		HomeDirectoryType:     u.HomeDirectoryType,
		HomeDirectory:         u.HomeDirectory,
		HomeDirectoryMappings: u.HomeDirectoryMappings,
		Policy:                u.Policy,
		PosixProfile:          u.PosixProfile,
	}
}

// userHome returns the home settings of a TransferUser's spec.
func userHome(s *v1alpha1.TransferUserSpec) homeSettings {
	return homeSettings{
		Role: s.Role, HomeDirectoryType: s.HomeDirectoryType, HomeDirectory: s.HomeDirectory,
		HomeDirectoryMappings: s.HomeDirectoryMappings, Policy: s.Policy, PosixProfile: s.PosixProfile,
	}
}

// describedUserHome returns the home settings DescribeUser reported.
func describedUserHome(o *types.DescribedUser) observedHome {
	return observedHome{
		Role: o.Role, HomeDirectoryType: o.HomeDirectoryType, HomeDirectory: o.HomeDirectory,
		HomeDirectoryMappings: o.HomeDirectoryMappings, Policy: o.Policy, PosixProfile: o.PosixProfile,
	}
}

// samePath compares a spec path with the one AWS reports, which may have ${Transfer:UserName}
// replaced by the user's name.
func samePath(want, got, userName string) bool {
	return want == got || strings.ReplaceAll(want, userNameVariable, userName) == got
}

func sameMappings(want []v1alpha1.HomeDirectoryMapEntry, got []types.HomeDirectoryMapEntry, userName string) bool {
	if len(want) != len(got) {
		return false
	}
	for i, w := range want {
		g := got[i]
		if !samePath(w.Entry, aws.ToString(g.Entry), userName) || !samePath(w.Target, aws.ToString(g.Target), userName) {
			return false
		}
		// A type the spec leaves out is AWS's to choose; a type AWS does not report is the default.
		if w.Type != "" && w.Type != cmp.Or(string(g.Type), defaultMapType) {
			return false
		}
	}
	return true
}

// sameJSON compares two JSON documents by value: whitespace and key order do not matter.
func sameJSON(a, b string) bool {
	var av, bv any
	if json.Unmarshal([]byte(a), &av) != nil || json.Unmarshal([]byte(b), &bv) != nil {
		return a == b
	}
	return reflect.DeepEqual(av, bv)
}

func samePosixProfile(want *v1alpha1.PosixProfile, got *types.PosixProfile) bool {
	if got == nil {
		return false
	}
	if aws.ToInt64(got.Uid) != want.UID || aws.ToInt64(got.Gid) != want.GID {
		return false
	}
	a, b := slices.Clone(want.SecondaryGIDs), slices.Clone(got.SecondaryGids)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func homeDirectoryMappings(ms []v1alpha1.HomeDirectoryMapEntry) []types.HomeDirectoryMapEntry {
	var out []types.HomeDirectoryMapEntry
	for _, m := range ms {
		out = append(out, types.HomeDirectoryMapEntry{Entry: aws.String(m.Entry), Target: aws.String(m.Target), Type: types.MapType(m.Type)})
	}
	return out
}

func posixProfile(p *v1alpha1.PosixProfile) *types.PosixProfile {
	if p == nil {
		return nil
	}
	return &types.PosixProfile{Uid: aws.Int64(p.UID), Gid: aws.Int64(p.GID), SecondaryGids: p.SecondaryGIDs}
}
