package emulator

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// createdServer creates a server through e's API and returns its ID and
// first host key's fingerprint.
func createdServer(t *testing.T, e *Emulator) (id, fingerprint string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "TransferService.CreateServer")
	req.Header.Set("Content-Type", jsonContentType)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("CreateServer: %d %s", rec.Code, body)
	}
	id = body[strings.Index(body, "s-") : strings.Index(body, "s-")+19]
	keys, err := e.HostKeys(defaultRegion, id)
	if err != nil || len(keys) != 1 {
		t.Fatalf("host keys of %s: %v, %v", id, keys, err)
	}
	return id, ssh.FingerprintSHA256(keys[0].Signer().PublicKey())
}

// TestSecretsFromCryptoRand: without a seed, two emulators whose ID streams
// are the same (as they are for two emulators started in the same
// nanosecond, or for one whose start time an attacker guessed from its IDs)
// answer the same IDs but generate different host keys, STS secret keys and
// session tokens; with a seed, the secrets are reproducible.
func TestSecretsFromCryptoRand(t *testing.T) {
	a, b := New(Options{}), New(Options{})
	for _, e := range []*Emulator{a, b} {
		e.rng = rand.New(rand.NewPCG(1, 2))
		e.sts.rng = rand.New(rand.NewPCG(3, 4))
	}
	idA, keyA := createdServer(t, a)
	idB, keyB := createdServer(t, b)
	if idA != idB {
		t.Fatalf("server IDs %s and %s differ: the ID streams are not the same", idA, idB)
	}
	if keyA == keyB {
		t.Errorf("both servers %s have the host key %s: it follows from the ID stream", idA, keyA)
	}
	expiry := time.Now().Add(time.Hour)
	keyIDA, credA := a.sts.issue(principal{}, expiry)
	keyIDB, credB := b.sts.issue(principal{}, expiry)
	if keyIDA != keyIDB {
		t.Fatalf("access keys %s and %s differ: the ID streams are not the same", keyIDA, keyIDB)
	}
	if credA.secretAccessKey == credB.secretAccessKey || credA.sessionToken == credB.sessionToken {
		t.Errorf("credentials of access key %s share their secret key or session token: they follow from the ID stream", keyIDA)
	}

	c, d := New(Options{Seed: 5}), New(Options{Seed: 5})
	_, keyC := createdServer(t, c)
	_, keyD := createdServer(t, d)
	_, credC := c.sts.issue(principal{}, expiry)
	_, credD := d.sts.issue(principal{}, expiry)
	if keyC != keyD || credC.secretAccessKey != credD.secretAccessKey || credC.sessionToken != credD.sessionToken {
		t.Errorf("with the same seed, host keys %s and %s or STS secrets differ; want them reproducible", keyC, keyD)
	}
}
