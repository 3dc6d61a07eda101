package chaos

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// TestRejectedByAWS applies objects the API server accepts but AWS refuses: a TransferServer
// with SFTP authentication methods but no SFTP, and a TransferUser of a server whose
// identity provider is API_GATEWAY, which AWS refuses users on (something no schema of the
// TransferUser alone can see). Each must become Stalled with the AWS error in its condition,
// stay Stalled, with one Warning Event, and cost a bounded number of AWS calls over three resync
// periods: at most one attempt per period, and no more when the region holds more servers.
func TestRejectedByAWS(t *testing.T) {
	seed := seedFor(t, 7)
	r := newReport(t, "valid-looking input AWS rejects")
	e := newEnv(t, emulator.Options{Seed: int64(seed)})
	e.startOperator("op", "")

	gateway := e.newServer("gateway")
	gateway.Spec.IdentityProviderType = "API_GATEWAY"
	gateway.Spec.IdentityProviderDetails = &v1alpha1.IdentityProviderDetails{
		URL:            "https://abcdef0123.execute-api.eu-west-1.amazonaws.com/prod",
		InvocationRole: "arn:aws:iam::111122223333:role/transfer-idp",
	}
	// Other servers in the region: what a rejected object costs must not grow with them.
	e.create(gateway, e.newServer("plain-0"), e.newServer("plain-1"))
	e.waitReady(convergeTimeout)

	badServer := e.newServer("sftp-options-without-sftp")
	badServer.Spec.Protocols = []v1alpha1.Protocol{"FTPS"}
	badServer.Spec.Certificate = "arn:aws:acm:eu-west-1:111122223333:certificate/0a1b2c3d"
	badServer.Spec.EndpointType = "VPC"
	badServer.Spec.EndpointDetails = &v1alpha1.EndpointDetails{VpcID: "vpc-0abc", SubnetIDs: []string{"subnet-1"}}
	badServer.Spec.IdentityProviderType = "AWS_LAMBDA"
	badServer.Spec.IdentityProviderDetails = &v1alpha1.IdentityProviderDetails{
		Function:                  "arn:aws:lambda:eu-west-1:111122223333:function:idp",
		SftpAuthenticationMethods: "PUBLIC_KEY",
	}
	badUser := e.newUser("gateway-user", "gateway", 1)
	for _, obj := range []conditioned{badServer, badUser} {
		if err := e.c.Create(context.Background(), obj); err != nil {
			t.Fatalf("the API server refused %s, which this test needs it to accept (pick another input only AWS refuses): %v", obj.GetName(), err)
		}
	}
	want := map[conditioned]string{badServer: "SftpAuthenticationMethods", badUser: "SERVICE_MANAGED"}
	for obj, text := range want {
		c := e.waitStalled(obj, convergeTimeout)
		r.add(obj.GetName()+": Stalled", "%s: %s", c.Reason, c.Message)
		if c.Reason != v1alpha1.ReasonInvalidSpec || !strings.Contains(c.Message, "InvalidRequestException") || !strings.Contains(c.Message, text) {
			t.Errorf("%s is Stalled with %s %q; want %s with the AWS error (InvalidRequestException, %s)", obj.GetName(), c.Reason, c.Message, v1alpha1.ReasonInvalidSpec, text)
		}
	}

	// Count the calls over three resync periods from here.
	began := time.Now()
	before := e.emu.Calls()
	window := 3*resync + resync/2
	time.Sleep(window)
	after := e.emu.Calls()
	diff := func(op string) int { return after.Of(op) - before.Of(op) }
	// Passes in the time that passed, which on a busy machine is longer than the window asked
	// for: one each resync period (jittered by 10%).
	passes := int(time.Since(began)/(resync-resync/10)) + 1
	r.add("injected", "2 objects AWS refuses; calls counted over %s (resync %s, at most %d passes)", window, resync, passes)
	r.add("CreateServer calls (bad server)", "%d", diff("CreateServer"))
	r.add("ListServers / ListTagsForResource calls (bad server looks for a server it may have made)", "%d / %d", diff("ListServers"), diff("ListTagsForResource"))
	r.add("CreateUser calls (bad user)", "%d", diff("CreateUser"))
	r.add("all AWS calls (including the good server's resyncs)", "%d", after.Total()-before.Total())
	for _, op := range []string{"CreateServer", "CreateUser", "ListServers"} {
		if n := diff(op); n > passes {
			t.Errorf("%d %s calls in %s: the rejected object is retried more than once a resync period", n, op, window)
		}
	}
	// AWS answered the create with a 400: nothing was made, so there is nothing to look for by
	// the ownership tag, and certainly not once per server of the region on every pass.
	if n := diff("ListTagsForResource"); n > passes {
		t.Errorf("%d ListTagsForResource calls in %s for a server whose create AWS refused: each pass reads the tags of every server in the region (%d)",
			n, window, len(e.emu.Snapshot().Regions[region].Servers))
	}
	for obj := range want {
		if err := e.c.Get(context.Background(), clientKey(obj), obj); err != nil {
			t.Fatal(err)
		}
		if c := meta.FindStatusCondition(obj.GetConditions(), v1alpha1.ConditionStalled); c == nil || c.Status != metav1.ConditionTrue {
			t.Errorf("%s is no longer Stalled: %s", obj.GetName(), describe(obj))
		}
		n := len(e.eventsFor(obj, "Stalled"))
		r.add(obj.GetName()+": Stalled Warning Events", "%d", n)
		if n != 1 {
			t.Errorf("%s has %d Stalled Events after %d passes; want one: the condition went Stalled -> Reconciling -> Stalled on every pass", obj.GetName(), n, passes)
		}
	}
	tl := e.tally()
	r.add("AWS resources made for the rejected objects / unowned", "%d / %d", tl.resources-3, len(tl.unowned))
	if tl.resources != 3 || len(tl.unowned) > 0 {
		t.Errorf("AWS holds %d resources (%d unowned); want the 3 accepted servers alone", tl.resources, len(tl.unowned))
	}
	stuck := e.deleteAll(convergeTimeout)
	if len(stuck) > 0 {
		t.Errorf("%d object(s) stuck after deletion: %v", len(stuck), stuck)
	}
	r.add("stuck finalizers / AWS resources left after deletion", "%d / %d", len(stuck), e.expectNothingLeft("after deletion"))
	r.add("panics in operator logs", "%d", e.expectNoPanics())
}

// waitStalled waits until obj is Stalled and returns the condition.
func (e *env) waitStalled(obj conditioned, timeout time.Duration) metav1.Condition {
	e.t.Helper()
	var c *metav1.Condition
	stalled := func(context.Context) (bool, error) {
		if err := e.c.Get(context.Background(), clientKey(obj), obj); err != nil {
			return false, nil
		}
		c = meta.FindStatusCondition(obj.GetConditions(), v1alpha1.ConditionStalled)
		return c != nil && c.Status == metav1.ConditionTrue, nil
	}
	if wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, stalled) != nil {
		e.t.Fatalf("%s did not become Stalled: %s", obj.GetName(), describe(obj))
	}
	return *c
}
