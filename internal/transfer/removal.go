package transfer

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// A clearable field is a spec field that AWS lets an update take back to "not set". Once a
// successful pass has applied it (status.appliedFields), removing it from the spec clears it in
// AWS; other fields a spec omits are left as they are in AWS. The value that clears each one is
// cited next to it; where the SDK is silent, the service model (transfer-service-2.json) is
// cited: a member whose shape allows the empty string or the empty list.
type clearableField[Spec, Described, Input any] struct {
	name string
	// set reports whether the spec sets the field.
	set func(*Spec) bool
	// inAWS reports whether AWS reports a value to clear. AWS omits a field that is not set, so
	// one it does not report needs no clearing.
	inAWS func(*Described) bool
	// clear puts the clearing value into the update.
	clear func(*Input)
}

type clearableServerField = clearableField[v1alpha1.TransferServerSpec, types.DescribedServer, transfer.UpdateServerInput]

type clearableHomeField = clearableField[homeSettings, observedHome, homeUpdate]

var clearableServerFields = []clearableServerField{
	{
		// Service model UpdateServerRequest.LoggingRole is a NullableRole: pattern "(|arn:.*role/\S+)",
		// min 0, so "" removes the role.
		name:  "loggingRole",
		set:   func(s *v1alpha1.TransferServerSpec) bool { return s.LoggingRole != "" },
		inAWS: func(o *types.DescribedServer) bool { return aws.ToString(o.LoggingRole) != "" },
		clear: func(in *transfer.UpdateServerInput) { in.LoggingRole = aws.String("") },
	},
	{
		// Service model PreAuthenticationLoginBanner: min 0.
		name:  "preAuthenticationLoginBanner",
		set:   func(s *v1alpha1.TransferServerSpec) bool { return s.PreAuthenticationLoginBanner != "" },
		inAWS: func(o *types.DescribedServer) bool { return aws.ToString(o.PreAuthenticationLoginBanner) != "" },
		clear: func(in *transfer.UpdateServerInput) { in.PreAuthenticationLoginBanner = aws.String("") },
	},
	{
		// Service model PostAuthenticationLoginBanner: min 0.
		name:  "postAuthenticationLoginBanner",
		set:   func(s *v1alpha1.TransferServerSpec) bool { return s.PostAuthenticationLoginBanner != "" },
		inAWS: func(o *types.DescribedServer) bool { return aws.ToString(o.PostAuthenticationLoginBanner) != "" },
		clear: func(in *transfer.UpdateServerInput) { in.PostAuthenticationLoginBanner = aws.String("") },
	},
	{
		// SDK UpdateServerInput.StructuredLogDestinations: "If you have previously specified a
		// log group for a server, you can clear it, and in effect turn off structured logging, by
		// providing an empty value for this parameter".
		name:  "structuredLogDestinations",
		set:   func(s *v1alpha1.TransferServerSpec) bool { return s.StructuredLogDestinations != nil },
		inAWS: func(o *types.DescribedServer) bool { return len(o.StructuredLogDestinations) > 0 },
		clear: func(in *transfer.UpdateServerInput) { in.StructuredLogDestinations = []string{} },
	},
	{
		// SDK UpdateServerInput.WorkflowDetails: "To remove an associated workflow from a server,
		// you can provide an empty OnUpload object ... '{"OnUpload":[]}'". The partial-upload
		// workflow goes too: the service model's OnPartialUploadWorkflowDetails has min 0.
		name: "workflowDetails",
		set:  func(s *v1alpha1.TransferServerSpec) bool { return s.WorkflowDetails != nil },
		inAWS: func(o *types.DescribedServer) bool {
			return o.WorkflowDetails != nil && (len(o.WorkflowDetails.OnUpload) > 0 || len(o.WorkflowDetails.OnPartialUpload) > 0)
		},
		clear: func(in *transfer.UpdateServerInput) {
			in.WorkflowDetails = &types.WorkflowDetails{OnUpload: []types.WorkflowDetail{}, OnPartialUpload: []types.WorkflowDetail{}}
		},
	},
}

// clearableHomeFields are the clearable fields of users and accesses: UpdateUser and
// UpdateAccess take the same members.
var clearableHomeFields = []clearableHomeField{
	{
		// Service model UpdateUserRequest.Policy and UpdateAccessRequest.Policy: min 0; SDK
		// DescribedUser and DescribedAccess report no Policy where there is none.
		name:  "policy",
		set:   func(s *homeSettings) bool { return s.Policy != "" },
		inAWS: func(o *observedHome) bool { return aws.ToString(o.Policy) != "" },
		clear: func(in *homeUpdate) { in.Policy = aws.String("") },
	},
	{
		// Service model UpdateUserRequest.HomeDirectory and UpdateAccessRequest.HomeDirectory:
		// pattern "(|/.*)", min 0.
		name:  "homeDirectory",
		set:   func(s *homeSettings) bool { return s.HomeDirectory != "" },
		inAWS: func(o *observedHome) bool { return aws.ToString(o.HomeDirectory) != "" },
		clear: func(in *homeUpdate) { in.HomeDirectory = aws.String("") },
	},
}

// keptHomeFields are fields of users and accesses AWS cannot clear; they are recorded like the
// clearable ones, so that their removal from the spec is reported once instead of being tried.
var keptHomeFields = []clearableHomeField{
	{
		// SDK PosixProfile: Uid and Gid: "This member is required"; no source documents a way to
		// remove a POSIX profile.
		name: "posixProfile",
		set:  func(s *homeSettings) bool { return s.PosixProfile != nil },
	},
	{
		// Service model HomeDirectoryMappings of UpdateUserRequest and UpdateAccessRequest: min 1,
		// so an update cannot empty them.
		name: "homeDirectoryMappings",
		set:  func(s *homeSettings) bool { return s.HomeDirectoryMappings != nil },
	},
}

// AppliedServerFields returns the clearable fields s sets, in a fixed order: what a successful
// pass records in status.appliedFields.
func AppliedServerFields(s *v1alpha1.TransferServerSpec) []string {
	return appliedFields(clearableServerFields, s)
}

// AppliedUserFields returns the clearable fields and those AWS cannot clear (keptHomeFields) that
// s sets, in a fixed order: what a successful pass records in status.appliedFields.
func AppliedUserFields(s *v1alpha1.TransferUserSpec) []string {
	return appliedHomeFields(userHome(s))
}

func appliedFields[Spec, Described, Input any](fields []clearableField[Spec, Described, Input], s *Spec) []string {
	var out []string
	for _, f := range fields {
		if f.set(s) {
			out = append(out, f.name)
		}
	}
	return out
}

// removedFields calls clear for each field that applied lists, that the spec s no longer sets
// and that AWS (o) still reports.
func removedFields[Spec, Described, Input any](fields []clearableField[Spec, Described, Input], applied []string, s *Spec, o *Described,
	clear func(name string, set func(*Input))) {
	for _, f := range fields {
		if slices.Contains(applied, f.name) && !f.set(s) && f.inAWS(o) {
			clear(f.name, f.clear)
		}
	}
}

// keptFields returns the fields of fields that applied lists and the spec s no longer sets.
func keptFields[Spec, Described, Input any](fields []clearableField[Spec, Described, Input], applied []string, s *Spec) []string {
	var out []string
	for _, f := range fields {
		if slices.Contains(applied, f.name) && !f.set(s) {
			out = append(out, f.name)
		}
	}
	return out
}
