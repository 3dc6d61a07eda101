package controllers

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

func awsAccount(name, roleARN string, namespaces ...string) v1alpha1.AWSAccount {
	return v1alpha1.AWSAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       v1alpha1.AWSAccountSpec{RoleARN: roleARN, Namespaces: namespaces},
	}
}

// TestChooseAccount checks where an object acts: the recorded account whatever the mapping
// became, or before anything is recorded, spec.account when it serves the namespace, the one
// AWSAccount that lists the namespace, or the operator's own credentials; and the stalls that say
// what to fix.
func TestChooseAccount(t *testing.T) {
	const (
		roleA = "arn:aws:iam::222233334444:role/transfer"
		roleB = "arn:aws:iam::444455556666:role/transfer"
	)
	deleting := awsAccount("c", "arn:aws:iam::777788889999:role/transfer", "team-x")
	now := metav1.Now()
	deleting.DeletionTimestamp = &now
	deleting.Finalizers = []string{Finalizer}
	accounts := []v1alpha1.AWSAccount{
		awsAccount("a", roleA, "team-x", "shared"),
		awsAccount("b", roleB, "team-y", "shared"),
		deleting,
	}
	a := accountChoice{name: "a", account: transfer.Account{RoleARN: roleA}, id: "222233334444"}
	b := accountChoice{name: "b", account: transfer.Account{RoleARN: roleB}, id: "444455556666"}
	own := accountChoice{}
	for _, tc := range []struct {
		name      string
		place     accountPlace
		accounts  []v1alpha1.AWSAccount
		want      accountChoice
		wantToday *accountChoice
		// wantReason is the stall's reason, and wantMessage a part of its message.
		wantReason, wantMessage string
	}{
		{name: "namespace listed by one AWSAccount", place: accountPlace{namespace: "team-x"}, want: a, wantToday: &a},
		{name: "namespace listed by none: own credentials", place: accountPlace{namespace: "team-z"}, want: own, wantToday: &own},
		{name: "no AWSAccounts at all", place: accountPlace{namespace: "team-x"}, accounts: []v1alpha1.AWSAccount{}, want: own, wantToday: &own},
		{
			name: "namespace listed by several", place: accountPlace{namespace: "shared"},
			wantReason: v1alpha1.ReasonAccountAmbiguous, wantMessage: "AWSAccounts a, b all serve namespace shared: set spec.account",
		},
		{name: "spec.account picks one of several", place: accountPlace{namespace: "shared", specAccount: "b"}, want: b, wantToday: &b},
		{
			name: "spec.account does not serve the namespace", place: accountPlace{namespace: "team-x", specAccount: "b"},
			wantReason: v1alpha1.ReasonAccountNotPermitted, wantMessage: "AWSAccount b does not serve namespace team-x; the platform team adds team-x to its spec.namespaces",
		},
		{
			name: "spec.account does not exist", place: accountPlace{namespace: "team-x", specAccount: "nope"},
			wantReason: v1alpha1.ReasonAccountNotPermitted, wantMessage: "AWSAccount nope named by spec.account does not exist",
		},
		{
			name: "spec.account is being deleted", place: accountPlace{namespace: "team-x", specAccount: "c"},
			wantReason: v1alpha1.ReasonAccountNotPermitted, wantMessage: "is being deleted",
		},
		{
			name:  "recorded in a, namespace now served by b",
			place: accountPlace{namespace: "team-y", recorded: true, recordedName: "a", recordedID: "222233334444"},
			want:  a, wantToday: &b,
		},
		{
			name:  "recorded with own credentials, namespace now served by a",
			place: accountPlace{namespace: "team-x", recorded: true, recordedID: "111122223333"},
			want:  accountChoice{id: "111122223333"}, wantToday: &a,
		},
		{
			name:  "recorded in a, today's mapping ambiguous",
			place: accountPlace{namespace: "shared", recorded: true, recordedName: "a", recordedID: "222233334444"},
			want:  a,
		},
		{
			name:  "recorded in a, spec.account no longer permitted",
			place: accountPlace{namespace: "team-y", specAccount: "a", recorded: true, recordedName: "a", recordedID: "222233334444"},
			want:  a,
		},
		{
			name:       "recorded AWSAccount deleted",
			place:      accountPlace{namespace: "team-x", recorded: true, recordedName: "gone", recordedID: "222233334444"},
			wantReason: v1alpha1.ReasonAccountUnavailable, wantMessage: "AWSAccount gone, which does not exist: restore AWSAccount gone (with a role in 222233334444)",
		},
		{
			name:       "recorded AWSAccount now names another account",
			place:      accountPlace{namespace: "team-x", recorded: true, recordedName: "a", recordedID: "999999999999"},
			wantReason: v1alpha1.ReasonAccountUnavailable, wantMessage: "which now names account 222233334444: give AWSAccount a a role in 999999999999 again",
		},
		{
			name:  "recorded in an AWSAccount that is being deleted: still used",
			place: accountPlace{namespace: "team-x", recorded: true, recordedName: "c", recordedID: "777788889999"},
			want:  accountChoice{name: "c", account: transfer.Account{RoleARN: deleting.Spec.RoleARN}, id: "777788889999"}, wantToday: &a,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list := accounts
			if tc.accounts != nil {
				list = tc.accounts
			}
			got, today, err := chooseAccount(tc.place, list)
			var stall *stallError
			if tc.wantReason != "" {
				if !errors.As(err, &stall) || stall.reason != tc.wantReason || !strings.Contains(stall.message, tc.wantMessage) {
					t.Fatalf("chooseAccount() error = %v, want a %s stall saying %q", err, tc.wantReason, tc.wantMessage)
				}
				return
			}
			if err != nil {
				t.Fatalf("chooseAccount() error = %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("chooseAccount() = %+v, want %+v", got, tc.want)
			}
			if (today == nil) != (tc.wantToday == nil) || (today != nil && !reflect.DeepEqual(*today, *tc.wantToday)) {
				t.Errorf("today = %+v, want %+v", today, tc.wantToday)
			}
		})
	}
}

// TestNoteAccount checks that LocationChanged names both accounts when the mapping moved away
// from the recorded one, and says nothing when they agree or today's mapping is unknown.
func TestNoteAccount(t *testing.T) {
	a := accountChoice{name: "a", id: "222233334444"}
	b := accountChoice{name: "b", id: "444455556666"}
	srv := &v1alpha1.TransferServer{}
	noteAccount(srv, "the server", a, &a)
	noteAccount(srv, "the server", a, nil)
	if len(srv.Status.Conditions) != 0 {
		t.Fatalf("conditions = %+v, want none", srv.Status.Conditions)
	}
	noteAccount(srv, "the server", a, &b)
	c := srv.Status.Conditions
	want := "the server lives in account 222233334444 (AWSAccount a), where it was created or adopted; the object now resolves to account 444455556666 (AWSAccount b). " +
		"It stays in account 222233334444 (AWSAccount a) and is managed there: to have a resource in account 444455556666 (AWSAccount b), create another object"
	if len(c) != 1 || c[0].Type != v1alpha1.ConditionLocationChanged || c[0].Reason != v1alpha1.ReasonAccountMappingChanged || c[0].Message != want {
		t.Errorf("conditions = %+v\nwant LocationChanged AccountMappingChanged %q", c, want)
	}
	noteLocation(srv, "the server", "us-east-1", "us-east-1")
	if len(srv.Status.Conditions) != 0 {
		t.Errorf("noteLocation left %+v once the region agrees", srv.Status.Conditions)
	}
}

// TestAssumeRoleRefusalMeaning checks that a refused AssumeRole is Stalled with AssumeRoleFailed
// and a message that names the role, quotes AWS and says where the fix is documented.
func TestAssumeRoleRefusalMeaning(t *testing.T) {
	const role = "arn:aws:iam::222233334444:role/transfer"
	refusal := &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:sts::111122223333:assumed-role/op/x is not authorized to perform: sts:AssumeRole on resource: " + role}
	err := meaning(fmt.Errorf("describing server: %w", &transfer.CredentialsError{RoleARN: role, Err: refusal}))
	var stall *stallError
	if !errors.As(err, &stall) || stall.reason != v1alpha1.ReasonAssumeRoleFailed {
		t.Fatalf("meaning() = %v, want an AssumeRoleFailed stall", err)
	}
	for _, part := range []string{"the operator may not assume role " + role, "is not authorized to perform: sts:AssumeRole", "docs/iam.md#several-accounts"} {
		if !strings.Contains(stall.message, part) {
			t.Errorf("message %q lacks %q", stall.message, part)
		}
	}
}

// TestRegionAllowed checks the regions an account serves: the declared ones, or the operator's
// default region when none are; a message that names what is served, or says none is.
func TestRegionAllowed(t *testing.T) {
	withDefault := deps{AWS: transfer.NewClients(aws.Config{}, transfer.ClientOptions{DefaultRegion: "eu-west-1"})}
	noDefault := deps{AWS: transfer.NewClients(aws.Config{}, transfer.ClientOptions{})}
	declared := accountChoice{name: "b2b", id: "222233334444", policy: AccountPolicy{Regions: []string{"eu-central-1", "us-east-1"}}}
	for _, tc := range []struct {
		name        string
		d           deps
		account     accountChoice
		region      string
		wantMessage string
	}{
		{name: "the default region", d: withDefault, region: "eu-west-1"},
		{name: "no region at all is left to the client's error", d: noDefault, region: ""},
		{name: "another region than the default", d: withDefault, region: "ap-south-1",
			wantMessage: "the operator's own account serves eu-west-1, not ap-south-1: the platform team adds ap-south-1 to the operator's --regions flag (Helm aws.regions)"},
		{name: "no default and nothing declared", d: noDefault, region: "ap-south-1",
			wantMessage: "serves no region (no regions are declared and the operator has no default region), not ap-south-1"},
		{name: "a declared region", d: withDefault, account: declared, region: "us-east-1"},
		{name: "declared regions replace the default", d: withDefault, account: declared, region: "eu-west-1",
			wantMessage: "account 222233334444 (AWSAccount b2b) serves eu-central-1, us-east-1, not eu-west-1: the platform team adds eu-west-1 to spec.regions of AWSAccount b2b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.d.regionAllowed(tc.account, tc.region)
			var stall *stallError
			switch {
			case tc.wantMessage == "" && err != nil:
				t.Fatalf("regionAllowed() = %v, want nil", err)
			case tc.wantMessage != "" && (!errors.As(err, &stall) || stall.reason != v1alpha1.ReasonRegionNotAllowed || !strings.Contains(stall.message, tc.wantMessage)):
				t.Fatalf("regionAllowed() = %v, want a RegionNotAllowed stall saying %q", err, tc.wantMessage)
			}
		})
	}
}
