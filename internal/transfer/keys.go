package transfer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
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

// ErrInvalidHostKey is wrapped by every error HostKeyFingerprint returns: the host key is one AWS
// would refuse. The message states the rule the key breaks, by its format, type or size, and
// never anything of the key's content.
var ErrInvalidHostKey = errors.New("invalid host key")

// Host key rules, from the SDK's CreateServerInput.HostKey: "The RSA, ECDSA, or ED25519 private
// key", made with ssh-keygen -N "" (no passphrase); RSA: "Use a minimum value of 2048 for the -b
// option"; ECDSA: "Valid values for the -b option for ECDSA are 256, 384, and 521". The model's
// HostKey shape allows at most 4096 characters.
const (
	maxHostKeyLength  = 4096
	minRSAHostKeyBits = 2048
)

var (
	errHostKeyFormat     = fmt.Errorf("%w: not an SSH private key in PEM or OpenSSH format", ErrInvalidHostKey)
	errHostKeyPassphrase = fmt.Errorf("%w: it is protected by a passphrase; AWS takes only keys without one (ssh-keygen -N \"\")", ErrInvalidHostKey)
	errHostKeyType       = fmt.Errorf("%w: AWS takes only RSA, ECDSA and ED25519 host keys", ErrInvalidHostKey)
)

// HostKeyFingerprint checks that AWS would accept privateKey as a server's host key and returns
// the fingerprint AWS reports for it: "SHA256:" and the unpadded base64 SHA-256 of the public key.
func HostKeyFingerprint(privateKey Sensitive) (string, error) {
	if n := len(privateKey); n > maxHostKeyLength {
		return "", fmt.Errorf("%w: it is %d characters long; AWS takes at most %d", ErrInvalidHostKey, n, maxHostKeyLength)
	}
	key, err := ssh.ParseRawPrivateKey([]byte(privateKey))
	if err != nil {
		if _, ok := errors.AsType[*ssh.PassphraseMissingError](err); ok {
			return "", errHostKeyPassphrase
		}
		return "", errHostKeyFormat
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSAHostKeyBits {
			return "", fmt.Errorf("%w: it is a %d-bit RSA key; AWS takes RSA keys of at least %d bits", ErrInvalidHostKey, bits, minRSAHostKeyBits)
		}
	case *ecdsa.PrivateKey:
		if c := k.Curve; c != elliptic.P256() && c != elliptic.P384() && c != elliptic.P521() {
			return "", fmt.Errorf("%w: it is an ECDSA key on %s; AWS takes ECDSA keys of 256, 384 or 521 bits", ErrInvalidHostKey, c.Params().Name)
		}
	case ed25519.PrivateKey, *ed25519.PrivateKey:
	default:
		return "", errHostKeyType
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return "", errHostKeyFormat
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
