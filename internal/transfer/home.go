package transfer

import (
	"cmp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// homeSettings are what a user, or the members of a directory group with access, get on a
// server, as the spec asks for them: a role, a home directory, a session policy and a POSIX
// identity. TransferUser and TransferAccess share them, and so does their comparison (planHome).
type homeSettings struct {
	Role                  string
	HomeDirectoryType     string
	HomeDirectory         string
	HomeDirectoryMappings []v1alpha1.HomeDirectoryMapEntry
	Policy                string
	PosixProfile          *v1alpha1.PosixProfile
}

// observedHome is homeSettings as DescribeUser or DescribeAccess reports them.
type observedHome struct {
	Role                  *string
	HomeDirectoryType     types.HomeDirectoryType
	HomeDirectory         *string
	HomeDirectoryMappings []types.HomeDirectoryMapEntry
	Policy                *string
	PosixProfile          *types.PosixProfile
}

// homeUpdate is the part of one UpdateUser or UpdateAccess request that carries homeSettings,
// with the spec fields it carries.
type homeUpdate struct {
	Fields                []string
	Role                  *string
	HomeDirectoryType     types.HomeDirectoryType
	HomeDirectory         *string
	HomeDirectoryMappings []types.HomeDirectoryMapEntry
	Policy                *string
	PosixProfile          *types.PosixProfile
}

func (u *homeUpdate) add(field string, set func(*homeUpdate)) {
	u.Fields = append(u.Fields, field)
	set(u)
}

// planHome compares the settings a spec asks for with those AWS reports and returns the update
// that makes them match, and the fields AWS cannot clear that were removed from the spec (kept).
// It is pure. Only fields the spec sets are compared, a mapping's type included; a field AWS
// does not report holds its default (PATH, DIRECTORY). The policy is compared as JSON; home
// directories and mappings are compared after replacing ${Transfer:UserName} with userName, as
// AWS may report them expanded (an access has no user name: ""). A clearable field that applied
// lists, that the spec no longer sets and that AWS still reports is cleared.
func planHome(s homeSettings, o observedHome, applied []string, userName string) (homeUpdate, []string) {
	var u homeUpdate
	if s.Role != aws.ToString(o.Role) {
		u.add("role", func(in *homeUpdate) { in.Role = aws.String(s.Role) })
	}
	if s.HomeDirectoryType != "" && s.HomeDirectoryType != cmp.Or(string(o.HomeDirectoryType), defaultHomeDirectoryType) {
		u.add("homeDirectoryType", func(in *homeUpdate) { in.HomeDirectoryType = types.HomeDirectoryType(s.HomeDirectoryType) })
	}
	if s.HomeDirectory != "" && !samePath(s.HomeDirectory, aws.ToString(o.HomeDirectory), userName) {
		u.add("homeDirectory", func(in *homeUpdate) { in.HomeDirectory = aws.String(s.HomeDirectory) })
	}
	if s.HomeDirectoryMappings != nil && !sameMappings(s.HomeDirectoryMappings, o.HomeDirectoryMappings, userName) {
		u.add("homeDirectoryMappings", func(in *homeUpdate) { in.HomeDirectoryMappings = homeDirectoryMappings(s.HomeDirectoryMappings) })
	}
	if s.Policy != "" && !sameJSON(s.Policy, aws.ToString(o.Policy)) {
		u.add("policy", func(in *homeUpdate) { in.Policy = aws.String(s.Policy) })
	}
	if s.PosixProfile != nil && !samePosixProfile(s.PosixProfile, o.PosixProfile) {
		u.add("posixProfile", func(in *homeUpdate) { in.PosixProfile = posixProfile(s.PosixProfile) })
	}
	removedFields(clearableHomeFields, applied, &s, &o, u.add)
	return u, keptFields(keptHomeFields, applied, &s)
}

// appliedHomeFields returns the clearable fields and those AWS cannot clear (keptHomeFields)
// that s sets, in a fixed order: what a successful pass records in status.appliedFields.
func appliedHomeFields(s homeSettings) []string {
	return append(appliedFields(clearableHomeFields, &s), appliedFields(keptHomeFields, &s)...)
}
