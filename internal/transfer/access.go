package transfer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// DesiredAccess is everything the access of a directory group should be: the spec and the server
// it is on. AWS keeps no tags on accesses (CreateAccessInput has no Tags), so it carries no
// bookkeeping tags.
type DesiredAccess struct {
	Spec     *v1alpha1.TransferAccessSpec
	ServerID string
	// Applied lists the clearable fields a successful pass applied (status.appliedFields); those
	// the spec no longer sets are cleared in AWS.
	Applied []string
}

// Access is an access as DescribeAccess reported it.
type Access struct {
	ServerID   string
	ExternalID string

	described types.DescribedAccess
}

// AccessPlan is what must be done to make a described access match a DesiredAccess.
type AccessPlan struct {
	// Changed lists every spec field that differs from AWS, sorted.
	Changed []string
	// Update holds the fields for one UpdateAccess request.
	Update AccessUpdate
	// Kept lists the fields a pass applied, now removed from the spec, that AWS cannot clear.
	Kept []string
}

// InSync reports whether nothing needs doing in AWS.
func (p AccessPlan) InSync() bool { return len(p.Changed) == 0 }

// AccessUpdate is one UpdateAccess request and the spec fields it carries.
type AccessUpdate struct{ homeUpdate }

// IsEmpty reports whether the update carries no field.
func (u AccessUpdate) IsEmpty() bool { return len(u.Fields) == 0 }

// ValidateAccessSpec checks what the CRD schema cannot: that the policy is JSON. Its error names
// the field.
func ValidateAccessSpec(s *v1alpha1.TransferAccessSpec) error {
	if s.Policy != "" && !json.Valid([]byte(s.Policy)) {
		return fmt.Errorf("spec.policy is not valid JSON")
	}
	return nil
}

// PlanAccess compares a DesiredAccess with the described access and returns what to send. It is
// pure, and compares as PlanUser does (planHome); an access names no single user, so
// ${Transfer:UserName} is compared as written.
func PlanAccess(d DesiredAccess, observed *Access) AccessPlan {
	var p AccessPlan
	p.Update.homeUpdate, p.Kept = planHome(accessHome(d.Spec), describedAccessHome(&observed.described), d.Applied, "")
	p.Changed = slices.Sorted(slices.Values(p.Update.Fields))
	return p
}

// AppliedAccessFields returns the clearable fields and those AWS cannot clear that s sets, in a
// fixed order: what a successful pass records in status.appliedFields.
func AppliedAccessFields(s *v1alpha1.TransferAccessSpec) []string {
	return appliedHomeFields(accessHome(s))
}

func accessHome(s *v1alpha1.TransferAccessSpec) homeSettings {
	return homeSettings{
		Role: s.Role, HomeDirectoryType: s.HomeDirectoryType, HomeDirectory: s.HomeDirectory,
		HomeDirectoryMappings: s.HomeDirectoryMappings, Policy: s.Policy, PosixProfile: s.PosixProfile,
	}
}

func describedAccessHome(o *types.DescribedAccess) observedHome {
	return observedHome{
		Role: o.Role, HomeDirectoryType: o.HomeDirectoryType, HomeDirectory: o.HomeDirectory,
		HomeDirectoryMappings: o.HomeDirectoryMappings, Policy: o.Policy, PosixProfile: o.PosixProfile,
	}
}

func createAccessInput(d DesiredAccess) *transfer.CreateAccessInput {
	s := d.Spec
	return &transfer.CreateAccessInput{
		ServerId:              aws.String(d.ServerID),
		ExternalId:            aws.String(s.ExternalID),
		Role:                  aws.String(s.Role),
		HomeDirectory:         optString(s.HomeDirectory),
		HomeDirectoryType:     types.HomeDirectoryType(s.HomeDirectoryType),
		HomeDirectoryMappings: homeDirectoryMappings(s.HomeDirectoryMappings),
		Policy:                optString(s.Policy),
		PosixProfile:          posixProfile(s.PosixProfile),
	}
}

func (u AccessUpdate) updateAccessInput(serverID, externalID string) *transfer.UpdateAccessInput {
	return &transfer.UpdateAccessInput{
		ServerId:              aws.String(serverID),
		ExternalId:            aws.String(externalID),
		Role:                  u.Role,
		HomeDirectoryType:     u.HomeDirectoryType,
		HomeDirectory:         u.HomeDirectory,
		HomeDirectoryMappings: u.HomeDirectoryMappings,
		Policy:                u.Policy,
		PosixProfile:          u.PosixProfile,
	}
}

// DescribeAccess returns the access of the group externalID to the server serverID. A missing
// access or server is an error for which IsNotFound is true.
func (s *Service) DescribeAccess(ctx context.Context, serverID, externalID string) (*Access, error) {
	out, err := s.api.DescribeAccess(ctx, &transfer.DescribeAccessInput{ServerId: aws.String(serverID), ExternalId: aws.String(externalID)})
	if err != nil {
		return nil, fmt.Errorf("describing the access of %s to server %s: %w", externalID, serverID, err)
	}
	if out.Access == nil {
		return nil, fmt.Errorf("describing the access of %s to server %s: the response holds no access", externalID, serverID)
	}
	return &Access{ServerID: serverID, ExternalID: aws.ToString(out.Access.ExternalId), described: *out.Access}, nil
}

// CreateAccess creates the access d describes.
func (s *Service) CreateAccess(ctx context.Context, d DesiredAccess) error {
	if _, err := s.api.CreateAccess(ctx, createAccessInput(d)); err != nil {
		return fmt.Errorf("creating the access of %s to server %s: %w", d.Spec.ExternalID, d.ServerID, err)
	}
	return nil
}

// ApplyAccessPlan sends the plan's update, if any, for the access.
func (s *Service) ApplyAccessPlan(ctx context.Context, a *Access, plan AccessPlan) error {
	if plan.Update.IsEmpty() {
		return nil
	}
	if _, err := s.api.UpdateAccess(ctx, plan.Update.updateAccessInput(a.ServerID, a.ExternalID)); err != nil {
		return fmt.Errorf("updating the access of %s to server %s: %w", a.ExternalID, a.ServerID, err)
	}
	return nil
}

// DeleteAccess deletes the access. An access or server that is already gone counts as deleted.
func (s *Service) DeleteAccess(ctx context.Context, serverID, externalID string) error {
	_, err := s.api.DeleteAccess(ctx, &transfer.DeleteAccessInput{ServerId: aws.String(serverID), ExternalId: aws.String(externalID)})
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("deleting the access of %s to server %s: %w", externalID, serverID, err)
	}
	return nil
}
