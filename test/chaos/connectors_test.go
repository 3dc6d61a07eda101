package chaos

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testpartner"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// TestConnectorCrashes kills the operator while the answers to the calls that make and delete a
// connector's AWS resources are held back: CreateSecret of its credentials, CreateConnector,
// DeleteConnector and DeleteSecret, once each, and starts it again. Every connector must end
// Ready and Connected to the OpenSSH partner with exactly one connector and one Secrets Manager
// secret in AWS, and after the deletion nothing may be left in AWS and no object stuck.
func TestConnectorCrashes(t *testing.T) {
	r := newReport(t, "connector crash points")
	partner := testpartner.Start(t, testpartner.Options{HostKeyType: testpartner.ECDSA})
	e := newEnv(t, emulator.Options{Seed: 2028, TransitionDelay: 200 * time.Millisecond})
	proxy := newHoldingProxy(t, e.emu.URL())
	op := e.startOperator("op", proxy.URL)
	ctx := context.Background()
	if err := e.c.Create(ctx, &corev1.Secret{ObjectMeta: e.meta("partner"), StringData: map[string]string{
		"username": partner.User, "privateKey": partner.ClientPrivateKeyPEM,
	}}); err != nil {
		t.Fatal(err)
	}
	connector := func(name string) *v1alpha1.TransferConnector {
		return &v1alpha1.TransferConnector{ObjectMeta: e.meta(name), Spec: v1alpha1.TransferConnectorSpec{
			URL: partner.URL, AccessRole: "arn:aws:iam::111122223333:role/connector",
			SFTPConfig: &v1alpha1.SFTPConnectorConfig{
				CredentialsSecretRef: &v1alpha1.ConnectorCredentialsRef{Name: "partner"},
				TrustedHostKeys:      []string{partner.HostKey()},
			},
		}}
	}
	killAt := func(awsOp string, act func()) {
		t.Helper()
		held := proxy.hold(awsOp)
		act()
		select {
		case <-held:
			op.restart()
		case <-time.After(convergeTimeout):
			proxy.disarm()
			t.Fatalf("the operator made no %s call to be killed in", awsOp)
		}
	}

	var names []string
	for i, awsOp := range []string{"secretsmanager.CreateSecret", "CreateConnector"} {
		name := fmt.Sprintf("partner-%d", i)
		names = append(names, name)
		killAt(awsOp, func() { e.create(connector(name)) })
		r.add("killed while held", "%s (creating %s)", awsOp, name)
	}
	connectors := waitConnectors(t, e, names)
	for _, c := range connectors {
		connectorsIn, secretsIn := ownedBy(e, string(c.UID))
		if connectorsIn != 1 || secretsIn != 1 {
			t.Errorf("%s: %d connectors and %d secrets in AWS, want one of each", c.Name, connectorsIn, secretsIn)
		}
	}
	r.add("AWS resources per connector", "one connector and one secret each (%d connectors)", len(connectors))

	killAt("DeleteConnector", func() {
		if err := e.c.Delete(ctx, &v1alpha1.TransferConnector{ObjectMeta: e.meta(names[0])}); err != nil {
			t.Fatal(err)
		}
	})
	killAt("secretsmanager.DeleteSecret", func() {
		if err := e.c.Delete(ctx, &v1alpha1.TransferConnector{ObjectMeta: e.meta(names[1])}); err != nil {
			t.Fatal(err)
		}
	})
	r.add("killed while held", "DeleteConnector, secretsmanager.DeleteSecret")
	if err := retry(convergeTimeout, func() error {
		list := &v1alpha1.TransferConnectorList{}
		if err := e.c.List(ctx, list, client.InNamespace(e.ns)); err != nil {
			return err
		}
		if len(list.Items) > 0 {
			return fmt.Errorf("%d TransferConnector(s) not released", len(list.Items))
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	snap := e.snapshot()
	left := len(snap.Regions[region].Connectors)
	for _, s := range snap.Regions[region].Secrets {
		if s.DeletedDate.IsZero() {
			left++
		}
	}
	if left > 0 {
		t.Errorf("%d connector(s) or secret(s) left in AWS after deletion", left)
	}
	r.add("AWS resources left after deletion", "%d", left)
	r.add("panics in operator logs", "%d", e.expectNoPanics())
}

// waitConnectors waits until the named TransferConnectors are Ready and Connected, and returns
// them.
func waitConnectors(t *testing.T, e *env, names []string) []v1alpha1.TransferConnector {
	t.Helper()
	var out []v1alpha1.TransferConnector
	err := retry(convergeTimeout, func() error {
		out = nil
		for _, name := range names {
			c := &v1alpha1.TransferConnector{}
			if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: name}, c); err != nil {
				return err
			}
			if !ready(c) || !hasCondition(c.Status.Conditions, v1alpha1.ConditionConnected) {
				return fmt.Errorf("%s is not Ready and Connected: %s", name, describe(c))
			}
			out = append(out, *c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func hasCondition(conds []metav1.Condition, typ string) bool {
	for _, c := range conds {
		if c.Type == typ && c.Status == metav1.ConditionTrue {
			return true
		}
	}
	return false
}

// ownedBy counts the connectors and live secrets in AWS that carry uid's ownership tag.
func ownedBy(e *env, uid string) (connectors, secrets int) {
	snap := e.snapshot()
	for _, c := range snap.Regions[region].Connectors {
		for _, tag := range c.Tags {
			if tag.Key == transfer.TagOwnerUID && tag.Value == uid {
				connectors++
			}
		}
	}
	for _, s := range snap.Regions[region].Secrets {
		for _, tag := range s.Tags {
			if tag.Key == transfer.TagOwnerUID && tag.Value == uid && s.DeletedDate.IsZero() {
				secrets++
			}
		}
	}
	return connectors, secrets
}
