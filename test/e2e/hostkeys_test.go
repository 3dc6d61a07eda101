package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

// TestHostKeyRotation follows docs/host-key-rotation.md with the built operator and kubectl: a
// server created with a key from a Secret gets a second key next to it, and then loses the
// first, and at no point has no key; status and Events show the fingerprints and never the keys.
// The emulator checks every request's SigV4 signature, so the host key calls are signed as AWS
// wants them.
func TestHostKeyRotation(t *testing.T) {
	const region = "eu-west-1"
	s := startStack(t, region, strictSigV4(11))
	emu, op, logs, kubectl, dir := s.emu, s.op, s.logs, s.kubectl, s.dir

	var pems [][]byte
	var fingerprints []string
	for _, name := range []string{"sftp-host-key-2025", "sftp-host-key-2026"} {
		pem, fingerprint, err := testenv.NewHostKey()
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, pem, 0o600); err != nil {
			t.Fatal(err)
		}
		kubectl("create", "secret", "generic", name, "--from-file=id_ed25519="+file)
		pems, fingerprints = append(pems, pem), append(fingerprints, fingerprint)
	}
	old, next := fingerprints[0], fingerprints[1]

	server := func(secrets ...string) string {
		var b strings.Builder
		b.WriteString("apiVersion: transfer.operators.dev/v1alpha1\nkind: TransferServer\nmetadata: {name: rotating, namespace: default}\nspec:\n  hostKeys:\n")
		for _, s := range secrets {
			fmt.Fprintf(&b, "  - secretRef: {name: %s, key: id_ed25519}\n    description: %s\n", s, s)
		}
		return b.String()
	}
	awsKeys := func(id string) []string {
		keys, err := emu.HostKeys(region, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range keys {
			out = append(out, k.Fingerprint)
		}
		return out
	}
	statusKeys := func() string {
		return kubectl("get", "transferserver", "rotating", "-o", `jsonpath={range .status.hostKeys[*]}{.fingerprint}={.managed}{" "}{end}`)
	}

	kubectl("apply", "-f", "-", server("sftp-host-key-2025"))
	kubectl("wait", "--for=condition=Ready", "--timeout=2m", "transferserver/rotating")
	id := kubectl("get", "transferserver", "rotating", "-o", "jsonpath={.status.serverId}")
	if got := awsKeys(id); !slices.Equal(got, []string{old}) {
		t.Fatalf("the new server's host keys are %v, want only the 2025 key %s", got, old)
	}
	waitFor(t, 2*time.Minute, func() bool { return statusKeys() == old+"=true " })

	// Step 1: add the new key next to the old one.
	kubectl("apply", "-f", "-", server("sftp-host-key-2025", "sftp-host-key-2026"))
	waitFor(t, 2*time.Minute, func() bool {
		keys := awsKeys(id)
		if len(keys) == 0 {
			t.Fatal("the server has no host key")
		}
		return slices.Equal(keys, []string{old, next}) && statusKeys() == old+"=true "+next+"=true "
	})

	// Step 2: remove the old key.
	kubectl("apply", "-f", "-", server("sftp-host-key-2026"))
	waitFor(t, 2*time.Minute, func() bool {
		keys := awsKeys(id)
		if len(keys) == 0 {
			t.Fatal("the server has no host key")
		}
		return slices.Equal(keys, []string{next}) && statusKeys() == next+"=true "
	})
	kubectl("wait", "--for=condition=Ready", "--timeout=2m", "transferserver/rotating")

	events := kubectl("get", "events.events.k8s.io", "-n", "default", "-o", "custom-columns=OBJECT:.regarding.name,REASON:.reason,NOTE:.note")
	for _, want := range []string{"HostKeyImported", "sftp-host-key-2026/id_ed25519 (" + next + ")", "HostKeyDeleted", old} {
		if !strings.Contains(events, want) {
			t.Errorf("the Events lack %q:\n%s", want, events)
		}
	}
	stored := kubectl("get", "transferserver", "rotating", "-o", "yaml")
	for _, pem := range pems {
		for _, line := range strings.Split(string(pem), "\n") {
			if len(line) < 40 {
				continue
			}
			for what, text := range map[string]string{"the object": stored, "the Events": events, "the operator's log": logs.String()} {
				if strings.Contains(text, line) {
					t.Errorf("%s contains a line of a private key", what)
				}
			}
		}
	}

	kubectl("delete", "transferserver/rotating", "--timeout=2m")
	if err := op.Stop(time.Minute); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, logs)
	}
}
