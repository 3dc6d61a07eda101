package testpartner

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// KeyType names the algorithm of a key the partner generates.
type KeyType string

// The key types a partner's host key can have; the zero KeyType is Ed25519.
const (
	Ed25519 KeyType = "ed25519"
	// RSA keys are 2048 bits, to keep tests quick on a loaded machine.
	RSA KeyType = "rsa"
	// ECDSA keys are on NIST P-256.
	ECDSA KeyType = "ecdsa"
)

// key is a generated key pair: the private key in OpenSSH format and the public key.
type key struct {
	privatePEM []byte
	public     ssh.PublicKey
}

// line is the public key as an authorized_keys or AWS TrustedHostKeys entry, without comment:
// "ssh-ed25519 AAAA...".
func (k key) line() string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.public)))
}

// newKey generates a key of type kt.
func newKey(kt KeyType) (key, error) {
	var priv crypto.Signer
	var err error
	switch kt {
	case "", Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case RSA:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case ECDSA:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return key{}, fmt.Errorf("unknown key type %q", kt)
	}
	if err != nil {
		return key{}, fmt.Errorf("generating a %s key: %w", kt, err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return key{}, fmt.Errorf("encoding the %s key: %w", kt, err)
	}
	public, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		return key{}, fmt.Errorf("encoding the %s public key: %w", kt, err)
	}
	return key{privatePEM: pem.EncodeToMemory(block), public: public}, nil
}
