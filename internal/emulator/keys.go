package emulator

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// minRSAKeyBits is the smallest RSA key taken, host key or user key: SDK
// CreateServerInput.HostKey: "Use a minimum value of
// 2048 for the -b option."
const minRSAKeyBits = 2048

// hostKeyFingerprint parses a server host key and returns the fingerprint
// DescribeServer reports for it: "SHA256:" and the unpadded base64 SHA-256 of
// the public key in SSH wire format, as ssh-keygen -l prints it (SDK
// DescribedServer.HostKeyFingerprint). SDK CreateServerInput.HostKey: "The
// RSA, ECDSA, or ED25519 private key to use for your SFTP-enabled server",
// generated with ssh-keygen -N "" (no passphrase), in PEM or OpenSSH form.
func hostKeyFingerprint(pemText string) (string, error) {
	key, err := ssh.ParseRawPrivateKey([]byte(pemText))
	if err != nil {
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return "", errInvalidRequest("HostKey must not be protected by a passphrase")
		}
		return "", errInvalidRequest("HostKey is not a valid SSH private key: %v", err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSAKeyBits {
			return "", errInvalidRequest("HostKey is a %d-bit RSA key; the minimum is %d bits", bits, minRSAKeyBits)
		}
	case *ecdsa.PrivateKey, ed25519.PrivateKey, *ed25519.PrivateKey:
	default:
		return "", errInvalidRequest("HostKey must be an RSA, ECDSA or ED25519 private key")
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return "", errInvalidRequest("HostKey is not usable: %v", err)
	}
	return ssh.FingerprintSHA256(signer.PublicKey()), nil
}

// generatedHostKeyBits is the size of the RSA host key the emulator
// generates for a server created without one, as the service does (user
// guide, "Manage host keys": "If you do not provide host keys, new ones will
// be generated for you").
const generatedHostKeyBits = 2048

// generateHostKey returns a new RSA host key in PEM form and its
// fingerprint. Go's crypto ignores custom random sources, so generated keys
// are not reproducible from Options.Seed.
func generateHostKey() (pemText, fingerprint string) {
	key, err := rsa.GenerateKey(rand.Reader, generatedHostKeyBits)
	if err != nil {
		panic("emulator: generating an RSA host key: " + err.Error())
	}
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		panic("emulator: encoding an RSA host key: " + err.Error())
	}
	pemText = string(pem.EncodeToMemory(block))
	fingerprint, err = hostKeyFingerprint(pemText)
	if err != nil {
		panic("emulator: generated host key refused: " + err.Error())
	}
	return pemText, fingerprint
}

// acceptedUserKeyTypes: SDK CreateUserInput.SshPublicKeyBody: "Transfer
// Family accepts RSA, ECDSA, and ED25519 keys ... For RSA keys, the key type
// is ssh-rsa. For ED25519 keys, the key type is ssh-ed25519. For ECDSA keys,
// the key type is either ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, or
// ecdsa-sha2-nistp521".
var acceptedUserKeyTypes = []string{
	ssh.KeyAlgoRSA, ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
}

// parseUserKey checks an SSH public key body and returns the body as stored
// and the key's identity (type and wire-format key, without the comment),
// which is what makes two imports the same key.
func parseUserKey(body string) (stored, identity string, err error) {
	pub, _, _, _, perr := ssh.ParseAuthorizedKey([]byte(body))
	if perr != nil {
		return "", "", errInvalidRequest("SshPublicKeyBody is not a valid SSH public key: %v", perr)
	}
	if !slices.Contains(acceptedUserKeyTypes, pub.Type()) {
		return "", "", errInvalidRequest("SshPublicKeyBody is a %s key; Transfer Family accepts RSA, ECDSA and ED25519 keys", pub.Type())
	}
	if crypto, ok := pub.(ssh.CryptoPublicKey); ok {
		if k, ok := crypto.CryptoPublicKey().(*rsa.PublicKey); ok && k.N.BitLen() < minRSAKeyBits {
			return "", "", errInvalidRequest("SshPublicKeyBody is a %d-bit RSA key; the minimum is %d bits", k.N.BitLen(), minRSAKeyBits)
		}
	}
	return strings.TrimSpace(body), pub.Type() + " " + base64.StdEncoding.EncodeToString(pub.Marshal()), nil
}
