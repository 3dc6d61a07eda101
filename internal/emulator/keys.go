package emulator

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// minRSAKeyBits is the smallest RSA key taken, host key or user key: SDK
// CreateServerInput.HostKey: "Use a minimum value of
// 2048 for the -b option."
const minRSAKeyBits = 2048

// parseHostKey parses a server host key, the HostKey of CreateServer and
// UpdateServer or the HostKeyBody of ImportHostKey (member names the one
// given, for the error), and returns the signer a server presents for it.
// ssh.FingerprintSHA256 of its public key is the fingerprint AWS reports:
// "SHA256:" and the unpadded base64 SHA-256 of the public key in SSH wire
// format, as ssh-keygen -l prints it (SDK DescribedServer.HostKeyFingerprint);
// its Type() is the key type ListHostKeys reports (SDK ListedHostKey.Type:
// ssh-rsa, ssh-ed25519, ecdsa-sha2-nistp256/384/521). SDK
// CreateServerInput.HostKey: "The RSA, ECDSA, or ED25519 private key to use
// for your SFTP-enabled server", generated with ssh-keygen -N "" (no
// passphrase), in PEM or OpenSSH form; SDK ImportHostKeyInput.HostKeyBody:
// "Transfer Family accepts RSA, ECDSA, and ED25519 keys."
func parseHostKey(pemText, member string) (ssh.Signer, error) {
	key, err := ssh.ParseRawPrivateKey([]byte(pemText))
	if err != nil {
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, errInvalidRequest("%s must not be protected by a passphrase", member)
		}
		return nil, errInvalidRequest("%s is not a valid SSH private key: %v", member, err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSAKeyBits {
			return nil, errInvalidRequest("%s is a %d-bit RSA key; the minimum is %d bits", member, bits, minRSAKeyBits)
		}
	case *ecdsa.PrivateKey, ed25519.PrivateKey, *ed25519.PrivateKey:
	default:
		return nil, errInvalidRequest("%s must be an RSA, ECDSA or ED25519 private key", member)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return nil, errInvalidRequest("%s is not usable: %v", member, err)
	}
	return signer, nil
}

// generatedHostKey returns the ED25519 host key the service generates for a
// server created without one; seed is 32 random bytes.
func generatedHostKey(seed []byte) ssh.Signer {
	signer, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		panic("emulator: ed25519 key rejected by x/crypto/ssh: " + err.Error())
	}
	return signer
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
