package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// TestObservePauseThenManage runs the operator binary against a server made outside it, with
// kubectl as a team would: a TransferServer with managementPolicy Observe reports the server
// and what differs (Drifted) and makes no AWS write in two resync periods; paused, it makes no
// AWS call at all; switched to Manage (the operator allows adoption, which the switch is), it
// applies exactly the drift: the tags, in one TagResource, and nothing else.
func TestObservePauseThenManage(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("aws is not installed; run make test-tools (hack/install-test-tools.sh)")
	}
	g := NewWithT(t)
	s := startStack(t, "eu-west-1", emulator.Options{Seed: 31}, "--resync-period=5s", "--allow-adoption")
	kubectl, emu := s.kubectl, s.emu
	aws := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("aws", append(args, "--endpoint-url", emu.URL(), "--region", "eu-west-1", "--output", "text")...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=e2e", "AWS_SECRET_ACCESS_KEY=e2e")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	id := aws("transfer", "create-server", "--tags", "Key=team,Value=before", "--query", "ServerId")
	g.Eventually(func() string {
		return aws("transfer", "describe-server", "--server-id", id, "--query", "Server.State")
	}).WithTimeout(sftpWait).Should(Equal("ONLINE"))

	writes := func() int { return emu.Calls().Writes() }
	before := writes()
	kubectl("apply", "-f", "-", `
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferServer
metadata: {name: estate, namespace: default}
spec:
  serverId: `+id+`
  managementPolicy: Observe
  tags: {team: after}
`)
	kubectl("wait", "--for=condition=Drifted", "--timeout=2m", "transferserver/estate")
	g.Expect(kubectl("get", "transferserver", "estate", "-o", `jsonpath={.status.conditions[?(@.type=="Drifted")].message}`)).To(ContainSubstring("differs from the spec in tags"))
	g.Expect(kubectl("get", "transferserver", "estate", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].reason}`)).To(Equal("Observed"))
	g.Consistently(writes).WithTimeout(10*time.Second).WithPolling(time.Second).Should(Equal(before), "AWS writes while observing")

	kubectl("annotate", "transferserver", "estate", "transfer.operators.dev/paused=true")
	kubectl("wait", "--for=condition=Paused", "--timeout=2m", "transferserver/estate")
	calls := func() int {
		n := 0
		for op := range emu.Calls() {
			n += emu.Calls().Of(op)
		}
		return n
	}
	paused := calls()
	g.Consistently(calls).WithTimeout(10*time.Second).WithPolling(time.Second).Should(Equal(paused), "AWS calls while paused")
	kubectl("annotate", "transferserver", "estate", "transfer.operators.dev/paused-")

	tagsBefore := emu.Calls().Of("TagResource")
	kubectl("patch", "transferserver", "estate", "--type=merge", "-p", `{"spec":{"managementPolicy":"Manage"}}`)
	g.Eventually(func() string {
		return aws("transfer", "list-tags-for-resource", "--arn", kubectl("get", "transferserver", "estate", "-o", "jsonpath={.status.arn}"), "--query", "Tags[?Key==`team`].Value")
	}).WithTimeout(sftpWait).Should(Equal("after"))
	kubectl("wait", "--for=condition=Ready", "--timeout=2m", "transferserver/estate")
	g.Expect(writes()-before).To(Equal(emu.Calls().Of("TagResource")-tagsBefore), "writes besides TagResource when the drift was applied")
	g.Expect(emu.Calls().Of("TagResource") - tagsBefore).To(Equal(1))
}
