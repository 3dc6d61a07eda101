package emulator

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// PGP keys of DECRYPT steps. AWS reads a server's PGP private key from Secrets Manager: the
// secret aws/transfer/SERVER-ID/USER-NAME for the files one user uploads, and
// aws/transfer/SERVER-ID/@pgp-default for the users without one, holding the armored private
// key and its passphrase (user guide, "Manage PGP keys"). The emulator serves no Secrets Manager
// data, so the keys are given to it with SetPGPKey (or PUT /_emulator/pgp-keys) under the same
// two names. Decryption uses github.com/ProtonMail/go-crypto/openpgp: golang.org/x/crypto/openpgp
// is frozen and deprecated, and ProtonMail's fork is its maintained successor, reading the RSA
// and ECC keys AWS documents for PGP decryption.

// pgpDefaultUser names a server's default PGP key, the last part of its secret's name.
const pgpDefaultUser = "@pgp-default"

// PGPKey is a PGP private key, ASCII-armored, and the passphrase that unlocks it ("" when it
// is not encrypted).
type PGPKey struct {
	PrivateKey string
	Passphrase string
}

// SetPGPKey registers the key the DECRYPT steps of a server of Options.AccountID in region use
// for the files userName uploads, or, when userName is "", for every user without a key of
// their own: what AWS reads from the secret aws/transfer/SERVER-ID/USER-NAME or
// aws/transfer/SERVER-ID/@pgp-default. It fails when the key does not parse, holds no private
// key, or does not unlock with the passphrase.
func (e *Emulator) SetPGPKey(region, serverID, userName string, key PGPKey) error {
	keys, err := readPGPKey(key)
	if err != nil {
		return err
	}
	if userName == "" {
		userName = pgpDefaultUser
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.regionLocked(region)
	if r.pgpKeys == nil {
		r.pgpKeys = map[string]openpgp.EntityList{}
	}
	r.pgpKeys[pgpSecretName(serverID, userName)] = keys
	return nil
}

func pgpSecretName(serverID, userName string) string {
	return "aws/transfer/" + serverID + "/" + userName
}

// pgpKeyFor returns the key of a user of a server, or its default key; without either the
// step fails as AWS fails to read a missing secret.
func (e *Emulator) pgpKeyFor(region, serverID, userName string) (openpgp.EntityList, *ExecutionError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.regionLocked(region)
	for _, name := range []string{pgpSecretName(serverID, userName), pgpSecretName(serverID, pgpDefaultUser)} {
		if keys, ok := r.pgpKeys[name]; ok {
			return keys, nil
		}
	}
	return nil, stepError(errTypeNotFound, "no PGP private key in %s or %s", pgpSecretName(serverID, userName), pgpSecretName(serverID, pgpDefaultUser))
}

// readPGPKey parses an armored private key and unlocks it.
func readPGPKey(key PGPKey) (openpgp.EntityList, error) {
	keys, err := openpgp.ReadArmoredKeyRing(strings.NewReader(key.PrivateKey))
	if err != nil {
		return nil, fmt.Errorf("reading the PGP key: %w", err)
	}
	private := false
	for _, k := range keys {
		if k.PrivateKey == nil {
			continue
		}
		private = true
		if k.PrivateKey.Encrypted {
			if err := k.DecryptPrivateKeys([]byte(key.Passphrase)); err != nil {
				return nil, fmt.Errorf("unlocking the PGP key: %w", err)
			}
		}
	}
	if !private {
		return nil, errors.New("the PGP key holds no private key")
	}
	return keys, nil
}

// decryptPGP decrypts a PGP message, binary or ASCII-armored, with keys.
func decryptPGP(r io.Reader, keys openpgp.EntityList) ([]byte, error) {
	br := bufio.NewReader(r)
	var msg io.Reader = br
	if head, _ := br.Peek(len("-----BEGIN PGP")); bytes.Equal(head, []byte("-----BEGIN PGP")) {
		block, err := armor.Decode(br)
		if err != nil {
			return nil, err
		}
		msg = block.Body
	}
	md, err := openpgp.ReadMessage(msg, keys, nil, nil)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(md.UnverifiedBody)
}
