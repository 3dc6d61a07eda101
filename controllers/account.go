package controllers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// Which AWS account an object's resource lives in is decided once, like its region: when the
// resource is created or adopted, the AWSAccount it went through is recorded in status
// (status.account, "" for the operator's own credentials, and status.accountId), and every
// later call and deletion goes there, whatever the mapping of namespaces to accounts becomes.
// Before that, spec.account, or the one AWSAccount that lists the object's namespace, decides.

// accountChoice is the account an object acts in.
type accountChoice struct {
	// name is the AWSAccount; "" is the operator's own credentials.
	name string
	// account is what transfer.Clients needs to act there.
	account transfer.Account
	// id is the 12-digit account; "" for the operator's own account when it is not known.
	id string
	// policy is what the platform team grants objects in the account.
	policy AccountPolicy
}

// AccountPolicy is what the platform team grants the objects placed in an account: the regions
// they may create or adopt resources in, and whether they may take over resources they did not
// create. An AWSAccount declares it in its spec; the operator's own account by its flags.
type AccountPolicy struct {
	// Regions are the regions objects may place new resources in; empty: the operator's default
	// region only.
	Regions []string
	// AllowAdoption lets objects take over resources they did not create (spec.serverId of a
	// server, spec.workflowId, spec.adopt).
	AllowAdoption bool
}

// String names the account for condition messages.
func (c accountChoice) String() string {
	switch {
	case c.name != "":
		return fmt.Sprintf("account %s (AWSAccount %s)", c.id, c.name)
	case c.id != "":
		return fmt.Sprintf("account %s (the operator's own)", c.id)
	}
	return "the operator's own account"
}

// accountPlace is what decides an object's account: its namespace, spec.account, and what its
// status recorded.
type accountPlace struct {
	namespace   string
	specAccount string
	// recorded says that the resource was created or adopted (a region is recorded), so that
	// recordedName ("" for the operator's own credentials) and recordedID are where it lives.
	recorded                 bool
	recordedName, recordedID string
}

// chooseAccount returns the account an object acts in (use) and, for LocationChanged, the one it
// would resolve to today (today; nil when today's mapping fails). Once something is
// recorded, use is the recorded account, whose AWSAccount must still exist with the recorded
// account ID (else Stalled AccountUnavailable). Before, it is today's: spec.account, which must
// exist and list the namespace (AccountNotPermitted); else the one AWSAccount that lists the
// namespace (several: AccountAmbiguous); else the operator's own credentials. AWSAccounts being
// deleted take no new objects.
func chooseAccount(p accountPlace, accounts []v1alpha1.AWSAccount) (use accountChoice, today *accountChoice, err error) {
	mapped, mapErr := mappedAccount(p, accounts)
	if !p.recorded {
		return mapped, &mapped, mapErr
	}
	if mapErr == nil {
		today = &mapped
	}
	if p.recordedName == "" {
		return accountChoice{id: p.recordedID}, today, nil
	}
	acct := findAccount(accounts, p.recordedName)
	if acct == nil {
		return accountChoice{}, today, stalled(v1alpha1.ReasonAccountUnavailable,
			"the resource lives in account %s, recorded through AWSAccount %s, which does not exist: restore AWSAccount %s (with a role in %s) so that the operator can manage and delete it",
			cmp.Or(p.recordedID, "(unknown)"), p.recordedName, p.recordedName, cmp.Or(p.recordedID, "that account"))
	}
	choice := choiceOf(acct)
	if p.recordedID != "" && choice.id != p.recordedID {
		return accountChoice{}, today, stalled(v1alpha1.ReasonAccountUnavailable,
			"the resource lives in account %s, recorded through AWSAccount %s, which now names account %s: give AWSAccount %s a role in %s again so that the operator can manage and delete it",
			p.recordedID, p.recordedName, choice.id, p.recordedName, p.recordedID)
	}
	return choice, today, nil
}

// mappedAccount returns the account an object resolves to today, by spec.account or by the
// namespaces the AWSAccounts list.
func mappedAccount(p accountPlace, accounts []v1alpha1.AWSAccount) (accountChoice, error) {
	if p.specAccount != "" {
		acct := findAccount(accounts, p.specAccount)
		switch {
		case acct == nil:
			return accountChoice{}, stalled(v1alpha1.ReasonAccountNotPermitted,
				"AWSAccount %s named by spec.account does not exist; the platform team creates it with %s in its spec.namespaces", p.specAccount, p.namespace)
		case !acct.DeletionTimestamp.IsZero():
			return accountChoice{}, stalled(v1alpha1.ReasonAccountNotPermitted,
				"AWSAccount %s named by spec.account is being deleted and takes no new resources", p.specAccount)
		case !slices.Contains(acct.Spec.Namespaces, p.namespace):
			return accountChoice{}, stalled(v1alpha1.ReasonAccountNotPermitted,
				"AWSAccount %s does not serve namespace %s; the platform team adds %s to its spec.namespaces", p.specAccount, p.namespace, p.namespace)
		}
		return choiceOf(acct), nil
	}
	var serving []*v1alpha1.AWSAccount
	for i := range accounts {
		if a := &accounts[i]; a.DeletionTimestamp.IsZero() && slices.Contains(a.Spec.Namespaces, p.namespace) {
			serving = append(serving, a)
		}
	}
	switch len(serving) {
	case 0:
		return accountChoice{}, nil
	case 1:
		return choiceOf(serving[0]), nil
	}
	names := make([]string, len(serving))
	for i, a := range serving {
		names[i] = a.Name
	}
	slices.Sort(names)
	return accountChoice{}, stalled(v1alpha1.ReasonAccountAmbiguous,
		"AWSAccounts %s all serve namespace %s: set spec.account to one of them", strings.Join(names, ", "), p.namespace)
}

func findAccount(accounts []v1alpha1.AWSAccount, name string) *v1alpha1.AWSAccount {
	for i := range accounts {
		if accounts[i].Name == name {
			return &accounts[i]
		}
	}
	return nil
}

func choiceOf(a *v1alpha1.AWSAccount) accountChoice {
	return accountChoice{
		name:    a.Name,
		account: transfer.Account{RoleARN: a.Spec.RoleARN, ExternalID: a.Spec.ExternalID},
		id:      transfer.AccountOfARN(a.Spec.RoleARN),
		policy:  AccountPolicy{Regions: a.Spec.Regions, AllowAdoption: a.Spec.AllowAdoption},
	}
}

// account lists the AWSAccounts from the cache and chooses the account of an object
// (chooseAccount).
func (d deps) account(ctx context.Context, p accountPlace) (use accountChoice, today *accountChoice, err error) {
	accounts := &v1alpha1.AWSAccountList{}
	if err := d.Client.List(ctx, accounts); err != nil {
		return accountChoice{}, nil, fmt.Errorf("listing AWSAccounts: %w", err)
	}
	use, today, err = chooseAccount(p, accounts.Items)
	if use.name == "" {
		use.policy = d.OwnAccount
	}
	return use, today, err
}

// regionAllowed returns a stall unless account serves region.
func (d deps) regionAllowed(account accountChoice, region string) error {
	allowed := account.policy.Regions
	if len(allowed) == 0 {
		allowed = []string{d.AWS.Resolve("")}
	}
	if region == "" || slices.Contains(allowed, region) {
		return nil
	}
	served := "no region (no regions are declared and the operator has no default region)"
	if names := strings.Join(slices.DeleteFunc(slices.Clone(allowed), func(r string) bool { return r == "" }), ", "); names != "" {
		served = names
	}
	return stalled(v1alpha1.ReasonRegionNotAllowed, "%s serves %s, not %s: the platform team adds %s to %s",
		account, served, region, region, grantOf(account, "spec.regions", "--regions flag (Helm aws.regions)"))
}

// adoptionAllowed returns a stall unless account lets objects take over what, a resource they
// did not create.
func adoptionAllowed(account accountChoice, what string) error {
	if account.policy.AllowAdoption {
		return nil
	}
	return stalled(v1alpha1.ReasonAdoptionNotAllowed, "taking over %s, which this object did not create, is not allowed in %s: the platform team allows it with %s",
		what, account, grantOf(account, "spec.allowAdoption", "--allow-adoption flag (Helm aws.allowAdoption)"))
}

// grantOf names where the platform team grants something for account: a field of its
// AWSAccount, or a flag of the operator for its own account.
func grantOf(account accountChoice, field, flag string) string {
	if account.name != "" {
		return fmt.Sprintf("%s of AWSAccount %s", field, account.name)
	}
	return "the operator's " + flag
}

// recordedAccountID returns the account recorded for a resource: the status field, or for
// objects written before it existed, the account of the recorded ARN.
func recordedAccountID(statusAccountID, arn string) string {
	return cmp.Or(statusAccountID, transfer.AccountOfARN(arn))
}

// noteAccount sets LocationChanged on obj when its resource was recorded through another
// AWSAccount than the one its object resolves to today. It only sets: noteLocation, called
// first, removes the condition when the region agrees too.
func noteAccount(obj conditionsObject, what string, recorded accountChoice, today *accountChoice) {
	if today == nil || recorded.name == today.name {
		return
	}
	setCondition(obj, v1alpha1.ConditionLocationChanged, metav1.ConditionTrue, v1alpha1.ReasonAccountMappingChanged,
		fmt.Sprintf("%s lives in %s, where it was created or adopted; the object now resolves to %s. It stays in %s and is managed there: to have a resource in %s, create another object",
			what, recorded, *today, recorded, *today))
}

// assumeRoleRefusal says that the operator (with its identity when known) may not assume the
// role a RoleRefused error names, and what to do about it.
func assumeRoleRefusal(err error) string {
	role, caller, answer := transfer.RefusedRole(err)
	who := "the operator"
	if caller != "" {
		who = fmt.Sprintf("the operator (%s)", caller)
	}
	return fmt.Sprintf("%s may not assume role %s: %s; the role's trust policy must allow it and the operator's identity needs sts:AssumeRole on it: docs/iam.md#several-accounts",
		who, role, answer)
}
