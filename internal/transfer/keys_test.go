package transfer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

type hostKey struct {
	name    string
	private Sensitive
	public  ssh.PublicKey
}

var (
	hostKeysOnce sync.Once
	hostKeysList []hostKey
)

// testHostKeys generates, once per test binary, one host key of each type and encoding AWS takes.
func testHostKeys(t testing.TB) []hostKey {
	t.Helper()
	hostKeysOnce.Do(func() {
		_, edKey, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		openSSH := func(k crypto.PrivateKey) *pem.Block {
			b, err := ssh.MarshalPrivateKey(k, "host@example")
			if err != nil {
				panic(err)
			}
			return b
		}
		der := func(b []byte, err error) []byte {
			if err != nil {
				panic(err)
			}
			return b
		}
		ecDER := der(x509.MarshalECPrivateKey(ecKey))
		pkcs8 := der(x509.MarshalPKCS8PrivateKey(edKey))
		for _, k := range []struct {
			name  string
			block *pem.Block
			pub   crypto.PublicKey
		}{
			{"ed25519 OpenSSH", openSSH(edKey), edKey.Public()},
			{"ed25519 PKCS#8", &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}, edKey.Public()},
			{"RSA OpenSSH", openSSH(rsaKey), rsaKey.Public()},
			{"RSA PKCS#1", &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}, rsaKey.Public()},
			{"ECDSA OpenSSH", openSSH(ecKey), ecKey.Public()},
			{"ECDSA SEC 1", &pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}, ecKey.Public()},
		} {
			pub, err := ssh.NewPublicKey(k.pub)
			if err != nil {
				panic(err)
			}
			hostKeysList = append(hostKeysList, hostKey{k.name, Sensitive(pem.EncodeToMemory(k.block)), pub})
		}
	})
	return hostKeysList
}

// TestHostKeyFingerprint checks that the fingerprint of a host private key is the SHA256
// fingerprint of its public key, as AWS reports it, for every key type and encoding.
func TestHostKeyFingerprint(t *testing.T) {
	for _, k := range testHostKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			got, err := HostKeyFingerprint(k.private)
			if err != nil {
				t.Fatalf("HostKeyFingerprint() error = %v", err)
			}
			if want := ssh.FingerprintSHA256(k.public); got != want {
				t.Errorf("HostKeyFingerprint() = %q, want %q", got, want)
			}
		})
	}
}

// TestHostKeyFingerprintInvalid checks that a host key AWS would refuse is an error wrapping
// ErrInvalidHostKey that states the rule it breaks, and that the error repeats nothing of the
// input.
func TestHostKeyFingerprintInvalid(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	encrypted, err := ssh.MarshalPrivateKeyWithPassphrase(edKey, "", []byte("passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	smallRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p224DER, err := x509.MarshalECPrivateKey(p224)
	if err != nil {
		t.Fatal(err)
	}
	valid := string(testHostKeys(t)[0].private)
	for _, tc := range []struct {
		name string
		key  string
		want string
	}{
		{"empty", "", "not an SSH private key"},
		{"garbage", "this is not a key but a secret-looking string 0123456789", "not an SSH private key"},
		{"PEM with a broken body", "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWJvZHktdGhhdC1pcy1ub3QtYS1rZXk=\n-----END OPENSSH PRIVATE KEY-----\n", "not an SSH private key"},
		{"truncated key", valid[:len(valid)/2], "not an SSH private key"},
		{"public key", sshKey(1, "not private"), "not an SSH private key"},
		{"passphrase-protected key", string(pem.EncodeToMemory(encrypted)), "protected by a passphrase"},
		{"longer than AWS takes", valid + strings.Repeat("\n", 4096), fmt.Sprintf("it is %d characters long; AWS takes at most 4096", len(valid)+4096)},
		{"1024-bit RSA key", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(smallRSA)})), "a 1024-bit RSA key; AWS takes RSA keys of at least 2048 bits"},
		{"ECDSA key on P-224", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: p224DER})), "an ECDSA key on P-224; AWS takes ECDSA keys of 256, 384 or 521 bits"},
		{"DSA key", dsaPrivateKeyPEM(t), "AWS takes only RSA, ECDSA and ED25519 host keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := HostKeyFingerprint(Sensitive(tc.key))
			if !errors.Is(err, ErrInvalidHostKey) {
				t.Fatalf("HostKeyFingerprint() error = %v, want ErrInvalidHostKey", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("HostKeyFingerprint() error = %q, want it to say %q", err, tc.want)
			}
			if got != "" {
				t.Errorf("HostKeyFingerprint() = %q, want \"\"", got)
			}
			for _, line := range strings.Fields(tc.key) {
				if len(line) >= 8 && strings.Contains(err.Error(), line) {
					t.Errorf("error %q repeats the input's %q", err, line)
				}
			}
		})
	}
}

// dsaPrivateKeyPEM returns a DSA private key in the OpenSSL PEM form x/crypto/ssh parses. Its
// numbers make no working key: only the type matters here.
func dsaPrivateKeyPEM(t *testing.T) string {
	t.Helper()
	p := new(big.Int).SetBit(big.NewInt(1), 1023, 1)
	der, err := asn1.Marshal(struct {
		Version       int
		P, Q, G, Y, X *big.Int
	}{0, p, big.NewInt(11), big.NewInt(2), big.NewInt(3), big.NewInt(5)})
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "DSA PRIVATE KEY", Bytes: der}))
}

// TestSensitiveRedacted checks that a Sensitive value prints as [redacted] however it is
// formatted or encoded, alone or inside a struct.
func TestSensitiveRedacted(t *testing.T) {
	const secret = "-----BEGIN OPENSSH PRIVATE KEY-----\nsupersecretbody\n-----END OPENSSH PRIVATE KEY-----"
	s := Sensitive(secret)
	d := DesiredServer{HostKey: s, HostKeyFingerprint: "SHA256:abc"}
	asJSON := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name, got string
	}{
		{"%v", fmt.Sprintf("%v", s)},
		{"%s", fmt.Sprintf("%s", s)},
		{"%d", fmt.Sprintf("%d", s)},
		{"%x", fmt.Sprintf("%x", s)},
		{"%q", fmt.Sprintf("%q", s)},
		{"%#v", fmt.Sprintf("%#v", s)},
		{"%+v", fmt.Sprintf("%+v", s)},
		{"Sprint", fmt.Sprint(s)},
		{"error wrapping %v", fmt.Errorf("key %v: %w", s, errors.New("bad")).Error()},
		{"struct %v", fmt.Sprintf("%v", d)},
		{"struct %+v", fmt.Sprintf("%+v", d)},
		{"struct %#v", fmt.Sprintf("%#v", d)},
		{"pointer to struct %+v", fmt.Sprintf("%+v", &d)},
		{"slice %v", fmt.Sprintf("%v", []Sensitive{s})},
		{"map %#v", fmt.Sprintf("%#v", map[string]Sensitive{"k": s})},
		{"json", asJSON(s)},
		{"json struct", asJSON(d)},
		{"json map", asJSON(map[string]any{"hostKey": s})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(tc.got, "supersecretbody") || strings.Contains(tc.got, hex.EncodeToString([]byte("supersecretbody"))) {
				t.Errorf("output %q contains the secret", tc.got)
			}
			if !strings.Contains(tc.got, "[redacted]") {
				t.Errorf("output %q does not say [redacted]", tc.got)
			}
		})
	}
}

// TestParsePublicKey checks that a public key is reduced to its type and material, whatever its
// comment, surrounding space or options, and that anything else is an error.
func TestParsePublicKey(t *testing.T) {
	want := PublicKey{Material: sshKey(7, ""), Fingerprint: keyFingerprint(7)}
	for _, tc := range []struct {
		name    string
		line    string
		wantErr bool
	}{
		{name: "bare", line: sshKey(7, "")},
		{name: "with comment", line: sshKey(7, "alice@laptop")},
		{name: "comment with spaces", line: sshKey(7, "Alice's key (2024)")},
		{name: "surrounding space and newline", line: "\t " + sshKey(7, "c") + " \r\n"},
		{name: "authorized_keys options", line: `from="10.0.0.0/8",no-pty ` + sshKey(7, "c")},
		{name: "empty", line: "", wantErr: true},
		{name: "type only", line: "ssh-ed25519", wantErr: true},
		{name: "comment line", line: "# " + sshKey(7, ""), wantErr: true},
		{name: "body not base64", line: "ssh-ed25519 AAAA$$$$", wantErr: true},
		{name: "body of another type", line: strings.Replace(sshKey(7, ""), "ssh-ed25519", "ssh-rsa", 1), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePublicKey(tc.line)
			if tc.wantErr {
				if err == nil {
					t.Errorf("ParsePublicKey() = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePublicKey() error = %v", err)
			}
			if got != want {
				t.Errorf("ParsePublicKey() = %+v, want %+v", got, want)
			}
		})
	}
}
