package testenv

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"sync"

	"golang.org/x/crypto/ssh"
)

// SyncBuffer is a bytes.Buffer that several goroutines may write at once, such as a process's
// stdout and stderr, or a logger.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// NewHostKey returns a new ed25519 SSH private key in PEM (OpenSSH) form, and the fingerprint
// AWS reports for a server with that host key.
func NewHostKey() (pemBytes []byte, fingerprint string, err error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, "", err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, "", err
	}
	return pem.EncodeToMemory(block), ssh.FingerprintSHA256(signer.PublicKey()), nil
}
