package v1alpha1_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// TestAWSAccountAdmission checks what the API server refuses of an AWSAccount: a roleARN that is
// not an IAM role's, and a change of its account (a rename of the role within the account is
// allowed); and that spec.account is immutable on the namespaced kinds, like spec.region.
func TestAWSAccountAdmission(t *testing.T) {
	ctx := context.Background()
	acct := &v1alpha1.AWSAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "admission"},
		Spec:       v1alpha1.AWSAccountSpec{RoleARN: "arn:aws:iam::222233334444:role/transfer-operator", Namespaces: []string{"team-a"}},
	}
	if err := k8s.Create(ctx, acct); err != nil {
		t.Fatalf("creating the AWSAccount: %v", err)
	}
	bad := &v1alpha1.AWSAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "admission-bad"},
		Spec:       v1alpha1.AWSAccountSpec{RoleARN: "arn:aws:iam::2222:user/someone"},
	}
	if err := k8s.Create(ctx, bad); err == nil || !strings.Contains(err.Error(), "spec.roleARN") {
		t.Errorf("an AWSAccount with roleARN %s: %v; want a refusal of spec.roleARN", bad.Spec.RoleARN, err)
	}

	srv := server("account-immutable", func(s *v1alpha1.TransferServerSpec) { s.Account = "admission" })
	if err := k8s.Create(ctx, srv); err != nil {
		t.Fatalf("creating %s: %v", srv.Name, err)
	}
	for _, tc := range []struct {
		name   string
		obj    client.Object
		mutate func()
		want   string
	}{
		{"role renamed within the account", acct, func() { acct.Spec.RoleARN = "arn:aws:iam::222233334444:role/platform/transfer" }, ""},
		{"namespaces changed", acct, func() { acct.Spec.Namespaces = []string{"team-b"} }, ""},
		{"role in another account", acct, func() { acct.Spec.RoleARN = "arn:aws:iam::444455556666:role/transfer-operator" }, "the account of roleARN is immutable"},
		{"server's account changed", srv, func() { srv.Spec.Account = "other" }, "account is immutable"},
		{"server's account removed", srv, func() { srv.Spec.Account = "" }, "account is immutable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(tc.obj), tc.obj); err != nil {
				t.Fatal(err)
			}
			tc.mutate()
			err := k8s.Update(ctx, tc.obj)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v; want a refusal saying %q", err, tc.want)
			}
		})
	}
}
