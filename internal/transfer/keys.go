package transfer

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Sensitive is a secret string, such as an SSH host private key. It prints as [redacted] in
// logs, errors and JSON, whatever the format verb, so it cannot leak through them by accident.
type Sensitive string

const redacted = "[redacted]"

// String returns a placeholder, never the secret.
func (Sensitive) String() string { return redacted }

// Format prints a placeholder for every verb, never the secret.
func (Sensitive) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalJSON returns a placeholder, never the secret.
func (Sensitive) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// ErrInvalidHostKey is returned for a host key that is not an SSH private key. It says nothing
// of the key's content.
var ErrInvalidHostKey = errors.New("the host key is not an SSH private key in PEM or OpenSSH format")

// HostKeyFingerprint returns the fingerprint AWS reports for a server with the given host private
// key: "SHA256:" and the unpadded base64 SHA-256 of the public key.
func HostKeyFingerprint(privateKey Sensitive) (string, error) {
	signer, err := ssh.ParsePrivateKey([]byte(privateKey))
	if err != nil {
		return "", ErrInvalidHostKey
	}
	return ssh.FingerprintSHA256(signer.PublicKey()), nil
}

// PublicKey is an SSH public key reduced to what identifies it: its type and key material. Two
// authorized_keys lines that differ only in their comment are the same PublicKey.
type PublicKey struct {
	// Material is the key type and base64 body, separated by one space.
	Material string
	// Fingerprint is the SHA256 fingerprint of the key.
	Fingerprint string
}

// ParsePublicKey parses one authorized_keys line (type, base64 body, optional comment).
func ParsePublicKey(line string) (PublicKey, error) {
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(line)))
	if err != nil {
		return PublicKey{}, err
	}
	return PublicKey{
		Material:    strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))),
		Fingerprint: ssh.FingerprintSHA256(key),
	}, nil
}
