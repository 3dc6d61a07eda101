package transfer

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/google/go-cmp/cmp"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

const testLogGroup = "arn:aws:logs:us-east-1:111122223333:log-group:transfer:*"

var testWorkflow = types.WorkflowDetail{WorkflowId: aws.String("w-0123456789abcdef0"), ExecutionRole: aws.String(testRole)}

// serverRemovalRows: for each clearable field, one removed from the spec after a pass applied it
// is cleared with the value AWS documents; one never applied, or already gone from AWS, is not
// sent; one still in the spec is compared as usual.
func serverRemovalRows() []serverPlanRow {
	var rows []serverPlanRow
	for _, f := range []struct {
		field string
		spec  v1alpha1.TransferServerSpec
		inAWS func(*types.DescribedServer)
		clear func(*transfer.UpdateServerInput)
	}{
		{
			"loggingRole", v1alpha1.TransferServerSpec{LoggingRole: testRole},
			func(d *types.DescribedServer) { d.LoggingRole = aws.String(testRole) },
			func(in *transfer.UpdateServerInput) { in.LoggingRole = aws.String("") },
		},
		{
			"preAuthenticationLoginBanner", v1alpha1.TransferServerSpec{PreAuthenticationLoginBanner: "Authorized use only"},
			func(d *types.DescribedServer) { d.PreAuthenticationLoginBanner = aws.String("Authorized use only") },
			func(in *transfer.UpdateServerInput) { in.PreAuthenticationLoginBanner = aws.String("") },
		},
		{
			"postAuthenticationLoginBanner", v1alpha1.TransferServerSpec{PostAuthenticationLoginBanner: "Welcome"},
			func(d *types.DescribedServer) { d.PostAuthenticationLoginBanner = aws.String("Welcome") },
			func(in *transfer.UpdateServerInput) { in.PostAuthenticationLoginBanner = aws.String("") },
		},
		{
			"structuredLogDestinations", v1alpha1.TransferServerSpec{StructuredLogDestinations: []v1alpha1.LogDestinationARN{testLogGroup}},
			func(d *types.DescribedServer) { d.StructuredLogDestinations = []string{string(testLogGroup)} },
			func(in *transfer.UpdateServerInput) { in.StructuredLogDestinations = []string{} },
		},
		{
			"workflowDetails", v1alpha1.TransferServerSpec{WorkflowDetails: &v1alpha1.WorkflowDetails{OnUpload: []v1alpha1.WorkflowDetail{
				{WorkflowID: aws.ToString(testWorkflow.WorkflowId), ExecutionRole: testRole},
			}}},
			func(d *types.DescribedServer) {
				d.WorkflowDetails = &types.WorkflowDetails{OnUpload: []types.WorkflowDetail{testWorkflow}}
			},
			func(in *transfer.UpdateServerInput) {
				in.WorkflowDetails = &types.WorkflowDetails{OnUpload: []types.WorkflowDetail{}, OnPartialUpload: []types.WorkflowDetail{}}
			},
		},
	} {
		rows = append(rows,
			serverPlanRow{
				name:       f.field + " removed after it was applied is cleared",
				applied:    []string{f.field},
				observed:   awsServer(f.inAWS),
				want:       serverPlanView{Changed: []string{f.field}, Update: []string{f.field}},
				wantUpdate: serverUpdate(f.clear),
			},
			serverPlanRow{
				name:     f.field + " never applied is left as it is in AWS",
				observed: awsServer(f.inAWS),
			},
			serverPlanRow{
				name:     f.field + " removed and already cleared in AWS is not sent",
				applied:  []string{f.field},
				observed: awsServer(),
			},
			serverPlanRow{
				name:     f.field + " applied and still in the spec is in sync",
				spec:     f.spec,
				applied:  []string{f.field},
				observed: awsServer(f.inAWS),
			},
		)
	}
	return rows
}

// userRemovalRows is serverRemovalRows for the user's clearable fields.
func userRemovalRows() []userPlanRow {
	var rows []userPlanRow
	for _, f := range []struct {
		field string
		spec  v1alpha1.TransferUserSpec
		inAWS func(*types.DescribedUser)
		clear func(*transfer.UpdateUserInput)
	}{
		{
			"policy", v1alpha1.TransferUserSpec{Policy: policyCompact},
			func(d *types.DescribedUser) { d.Policy = aws.String(policyCompact) },
			func(in *transfer.UpdateUserInput) { in.Policy = aws.String("") },
		},
		{
			"homeDirectory", v1alpha1.TransferUserSpec{HomeDirectory: "/bucket/home"},
			func(d *types.DescribedUser) { d.HomeDirectory = aws.String("/bucket/home") },
			func(in *transfer.UpdateUserInput) { in.HomeDirectory = aws.String("") },
		},
	} {
		rows = append(rows,
			userPlanRow{
				name:       f.field + " removed after it was applied is cleared",
				applied:    []string{f.field},
				observed:   awsUser(f.inAWS),
				want:       userPlanView{Changed: []string{f.field}, Update: []string{f.field}},
				wantUpdate: userUpdate(f.clear),
			},
			userPlanRow{
				name:     f.field + " never applied is left as it is in AWS",
				observed: awsUser(f.inAWS),
			},
			userPlanRow{
				name:     f.field + " removed and already cleared in AWS is not sent",
				applied:  []string{f.field},
				observed: awsUser(),
			},
			userPlanRow{
				name:     f.field + " applied and still in the spec is in sync",
				spec:     f.spec,
				applied:  []string{f.field},
				observed: awsUser(f.inAWS),
			},
		)
	}
	posix := func(d *types.DescribedUser) {
		d.PosixProfile = &types.PosixProfile{Uid: aws.Int64(1000), Gid: aws.Int64(1000)}
	}
	mapped := func(d *types.DescribedUser) {
		d.HomeDirectoryType = types.HomeDirectoryTypeLogical
		d.HomeDirectoryMappings = []types.HomeDirectoryMapEntry{{Entry: aws.String("/"), Target: aws.String("/bucket/home"), Type: types.MapTypeDirectory}}
	}
	rows = append(rows,
		userPlanRow{
			name:     "posixProfile removed after it was applied is kept, and nothing is sent",
			applied:  []string{"posixProfile"},
			observed: awsUser(posix),
			want:     userPlanView{Kept: []string{"posixProfile"}},
		},
		userPlanRow{
			name:     "homeDirectoryMappings removed after they were applied are kept, and nothing is sent",
			spec:     v1alpha1.TransferUserSpec{HomeDirectoryType: "LOGICAL"},
			applied:  []string{"homeDirectoryMappings"},
			observed: awsUser(mapped),
			want:     userPlanView{Kept: []string{"homeDirectoryMappings"}},
		},
		userPlanRow{
			name:     "posixProfile never applied is not reported",
			observed: awsUser(posix),
		},
		userPlanRow{
			name:     "posixProfile applied and still in the spec is in sync",
			spec:     v1alpha1.TransferUserSpec{PosixProfile: &v1alpha1.PosixProfile{UID: 1000, GID: 1000}},
			applied:  []string{"posixProfile"},
			observed: awsUser(posix),
		},
	)
	return rows
}

// TestAppliedFields checks that a pass records exactly the clearable fields the spec sets.
func TestAppliedFields(t *testing.T) {
	server := v1alpha1.TransferServerSpec{
		LoggingRole: testRole, PreAuthenticationLoginBanner: "hi", PostAuthenticationLoginBanner: "welcome",
		StructuredLogDestinations: []v1alpha1.LogDestinationARN{}, WorkflowDetails: &v1alpha1.WorkflowDetails{},
		Certificate: testCert, SecurityPolicyName: defaultPolicy,
	}
	if diff := cmp.Diff([]string{"loggingRole", "preAuthenticationLoginBanner", "postAuthenticationLoginBanner", "structuredLogDestinations", "workflowDetails"},
		AppliedServerFields(&server)); diff != "" {
		t.Errorf("AppliedServerFields (-want +got):\n%s", diff)
	}
	if got := AppliedServerFields(&v1alpha1.TransferServerSpec{Certificate: testCert}); got != nil {
		t.Errorf("AppliedServerFields of a spec without clearable fields = %v, want none", got)
	}
	user := v1alpha1.TransferUserSpec{Role: testRole, Policy: policyCompact, HomeDirectory: "/bucket/home", PosixProfile: &v1alpha1.PosixProfile{UID: 1, GID: 1}}
	if diff := cmp.Diff([]string{"policy", "homeDirectory", "posixProfile"}, AppliedUserFields(&user)); diff != "" {
		t.Errorf("AppliedUserFields (-want +got):\n%s", diff)
	}
}
