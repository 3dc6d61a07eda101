package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// hostKeyDataKey is the Secret key the demo's host keys are stored under, and the Secrets of
// the two keys the rotation step goes through; the first is the one the host keys sample names.
const (
	hostKeyDataKey = "id_ed25519"
	hostKeyServer  = "partners-sftp-keys"
	hostKey2025    = "partners-sftp-hostkey-2025"
	hostKey2026    = "partners-sftp-hostkey-2026"
)

// createHostKeySecrets creates the Secrets of two new ED25519 host keys, the first for the host
// keys sample, the second for the rotation step.
func (d *demo) createHostKeySecrets(ctx context.Context) error {
	d.say("  host key Secrets for %s:", hostKeyServer)
	for _, name := range []string{hostKey2025, hostKey2026} {
		pem, _, err := testenv.NewHostKey()
		if err != nil {
			return err
		}
		if err := d.createKeySecret(ctx, name, hostKeyDataKey, pem); err != nil {
			return err
		}
	}
	return nil
}

// createKeySecret creates the Secret name with the private key pem under dataKey and each
// "key=value" of literals. The key is on disk only while kubectl reads it, and never printed: a
// failed demo keeps nothing but the operator's log.
func (d *demo) createKeySecret(ctx context.Context, name, dataKey string, pem []byte, literals ...string) error {
	file := filepath.Join(d.workDir, name)
	if err := os.WriteFile(file, pem, 0o600); err != nil {
		return err
	}
	args := []string{"create", "secret", "generic", name}
	for _, l := range literals {
		args = append(args, "--from-literal="+l)
	}
	err := d.kubectl(ctx, "", append(args, "--from-file="+dataKey+"="+file)...)
	if rmErr := os.Remove(file); err == nil {
		err = rmErr
	}
	return err
}

// rotateHostKey rotates the host keys sample's key the overlapped way of
// docs/host-key-rotation.md: the 2026 key is added next to the 2025 key, and the 2025 key is
// removed once "clients" know the 2026 one. After each change the emulator's host keys are
// checked by fingerprint; the server never has fewer than one.
func (d *demo) rotateHostKey(ctx context.Context, n int) error {
	d.step(n, "Rotating %s's host key without breaking clients", hostKeyServer)
	old, err := d.secretFingerprint(ctx, hostKey2025)
	if err != nil {
		return err
	}
	next, err := d.secretFingerprint(ctx, hostKey2026)
	if err != nil {
		return err
	}
	d.say("  the server holds the 2025 key, %s", old)
	for _, stage := range []struct {
		what    string
		secrets []string
		want    []string
		gone    string
		offered string
	}{
		{"step 1: the 2026 key is added next to it", []string{hostKey2025, hostKey2026}, []string{old, next}, "", old},
		{"step 2, once clients trust the 2026 key: the 2025 key is removed", []string{hostKey2026}, []string{next}, old, next},
	} {
		d.say("  %s", stage.what)
		if err := d.setHostKeys(ctx, stage.secrets); err != nil {
			return err
		}
		done := func(objs []object) bool {
			keys, ok := d.emulatorHostKeys(objs)
			return ok && allReady(objs) && containsAll(keys, stage.want) && !slices.Contains(keys, stage.gone)
		}
		objs, err := d.watch(ctx, hostKeyServer+" is Ready and the emulator holds the keys", done)
		if err != nil {
			return err
		}
		keys, _ := d.emulatorHostKeys(objs)
		if len(keys) == 0 {
			return fmt.Errorf("the emulator holds no host key for %s", hostKeyServer)
		}
		d.say("  the emulator's host keys for %s: %s", hostKeyServer, strings.Join(keys, ", "))
		if err := d.checkOfferedHostKey(ctx, stage.offered); err != nil {
			return err
		}
	}
	return nil
}

// checkOfferedHostKey checks that the host keys sample's status says clients are offered the
// key with fingerprint want, in status.hostKeys and status.hostKeyFingerprint.
func (d *demo) checkOfferedHostKey(ctx context.Context, want string) error {
	var srv v1alpha1.TransferServer
	if err := d.cp.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: hostKeyServer}, &srv); err != nil {
		return err
	}
	var offered []string
	for _, k := range srv.Status.HostKeys {
		if k.Offered {
			offered = append(offered, k.Fingerprint)
		}
	}
	if !slices.Equal(offered, []string{want}) || srv.Status.HostKeyFingerprint != want {
		return fmt.Errorf("%s should say clients are offered %s, but status.hostKeys offers %v and status.hostKeyFingerprint is %q",
			hostKeyServer, want, offered, srv.Status.HostKeyFingerprint)
	}
	d.say("  clients are offered %s (status.hostKeys[].offered, status.hostKeyFingerprint)", want)
	return nil
}

// secretFingerprint returns the fingerprint of the host key in a Secret of the demo.
func (d *demo) secretFingerprint(ctx context.Context, name string) (string, error) {
	var secret corev1.Secret
	if err := d.cp.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &secret); err != nil {
		return "", err
	}
	return transfer.HostKeyFingerprint(transfer.Sensitive(secret.Data[hostKeyDataKey]))
}

// setHostKeys sets the host keys sample's spec.hostKeys to one entry for each Secret.
func (d *demo) setHostKeys(ctx context.Context, secrets []string) error {
	var keys []v1alpha1.HostKeySource
	for _, s := range secrets {
		keys = append(keys, v1alpha1.HostKeySource{SecretRef: v1alpha1.SecretKeySelector{Name: s, Key: hostKeyDataKey}, Description: s})
	}
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"hostKeys": keys}})
	if err != nil {
		return err
	}
	return d.kubectl(ctx, fmt.Sprintf("patch transferserver %s --type=merge -p '%s'", hostKeyServer, patch),
		"patch", "transferserver", hostKeyServer, "--type=merge", "-p", string(patch))
}

// emulatorHostKeys returns the fingerprints of the host keys sample's keys in the emulator.
func (d *demo) emulatorHostKeys(objs []object) ([]string, bool) {
	i := slices.IndexFunc(objs, func(o object) bool { return o.kind == "TransferServer" && o.name == hostKeyServer })
	if i < 0 {
		return nil, false
	}
	keys, err := d.emu.HostKeys(region, objs[i].id)
	if err != nil {
		return nil, false
	}
	var out []string
	for _, k := range keys {
		out = append(out, k.Fingerprint)
	}
	return out, true
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
