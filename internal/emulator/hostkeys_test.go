package emulator_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"golang.org/x/crypto/ssh"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// listHostKeys returns every host key of a server, following NextToken (the SDK has no
// paginator for ListHostKeys).
func listHostKeys(t testing.TB, c *transfer.Client, id string, pageSize int32) []types.ListedHostKey {
	t.Helper()
	var keys []types.ListedHostKey
	in := &transfer.ListHostKeysInput{ServerId: aws.String(id), MaxResults: aws.Int32(pageSize)}
	for {
		page, err := c.ListHostKeys(ctxT(t), in)
		mustNoErr(t, err, "ListHostKeys")
		if aws.ToString(page.ServerId) != id {
			t.Fatalf("ListHostKeys ServerId = %q, want %q", aws.ToString(page.ServerId), id)
		}
		keys = append(keys, page.HostKeys...)
		if page.NextToken == nil {
			break
		}
		in.NextToken = page.NextToken
	}
	return keys
}

func fingerprints(keys []types.ListedHostKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = aws.ToString(k.Fingerprint)
	}
	return out
}

func importHostKey(t testing.TB, c *transfer.Client, id, key, description string) string {
	t.Helper()
	out, err := c.ImportHostKey(ctxT(t), &transfer.ImportHostKeyInput{ServerId: aws.String(id), HostKeyBody: aws.String(key), Description: aws.String(description)})
	mustNoErr(t, err, "ImportHostKey")
	if aws.ToString(out.ServerId) != id {
		t.Fatalf("ImportHostKey ServerId = %q, want %q", aws.ToString(out.ServerId), id)
	}
	return aws.ToString(out.HostKeyId)
}

// pemKey encodes a crypto private key as ssh-keygen -m PEM would.
func pemKey(t testing.TB, key any) (string, ssh.Signer) {
	t.Helper()
	block, err := ssh.MarshalPrivateKey(key, "")
	mustNoErr(t, err, "marshal key")
	signer, err := ssh.NewSignerFromKey(key)
	mustNoErr(t, err, "signer")
	return string(pem.EncodeToMemory(block)), signer
}

// TestCreateServerHostKeyIsListed: the key CreateServer takes, or the one the service generates,
// is the server's one host key, and DescribeServer reports its fingerprint.
func TestCreateServerHostKeyIsListed(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	key, fingerprint := newHostKey(t)
	for name, in := range map[string]*transfer.CreateServerInput{
		"given":     {HostKey: aws.String(key)},
		"generated": nil,
	} {
		t.Run(name, func(t *testing.T) {
			id := createServer(t, c, in)
			keys := listHostKeys(t, c, id, 10)
			if len(keys) != 1 {
				t.Fatalf("ListHostKeys = %d keys, want 1", len(keys))
			}
			k := keys[0]
			if got := aws.ToString(describeServer(t, c, id).HostKeyFingerprint); got != aws.ToString(k.Fingerprint) {
				t.Errorf("DescribeServer fingerprint %q, listed %q", got, aws.ToString(k.Fingerprint))
			}
			if in != nil && aws.ToString(k.Fingerprint) != fingerprint {
				t.Errorf("listed fingerprint %q, want the given key's %q", aws.ToString(k.Fingerprint), fingerprint)
			}
			if aws.ToString(k.Type) != ssh.KeyAlgoED25519 || k.DateImported == nil || k.DateImported.IsZero() {
				t.Errorf("listed key type %q, date %v: want ssh-ed25519 and a date", aws.ToString(k.Type), k.DateImported)
			}
			if !regexp.MustCompile(`^hostkey-[0-9a-f]{17}$`).MatchString(aws.ToString(k.HostKeyId)) {
				t.Errorf("HostKeyId %q does not match the model's pattern", aws.ToString(k.HostKeyId))
			}
			wantArn := "arn:aws:transfer:us-east-1:111122223333:host-key/" + id + "/" + aws.ToString(k.HostKeyId)
			if aws.ToString(k.Arn) != wantArn {
				t.Errorf("Arn = %q, want %q", aws.ToString(k.Arn), wantArn)
			}
		})
	}
}

// TestHostKeyLifecycle drives import, describe, update and delete through the SDK.
func TestHostKeyLifecycle(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	ctx := ctxT(t)
	first, firstFP := newHostKey(t)
	id := createServer(t, c, &transfer.CreateServerInput{HostKey: aws.String(first)})

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	mustNoErr(t, err, "rsa key")
	rsaPEM, rsaSigner := pemKey(t, rsaKey)
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	mustNoErr(t, err, "ecdsa key")
	ecPEM, ecSigner := pemKey(t, ecKey)

	rsaID := importHostKey(t, c, id, rsaPEM, "rsa 2026")
	ecID := importHostKey(t, c, id, ecPEM, "")
	keys := listHostKeys(t, c, id, 1)
	want := []string{firstFP, ssh.FingerprintSHA256(rsaSigner.PublicKey()), ssh.FingerprintSHA256(ecSigner.PublicKey())}
	if got := fingerprints(keys); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("listed fingerprints (page size 1) = %v, want %v", got, want)
	}
	if aws.ToString(keys[1].Type) != ssh.KeyAlgoRSA || aws.ToString(keys[2].Type) != ssh.KeyAlgoECDSA384 {
		t.Errorf("types = %q, %q; want ssh-rsa, ecdsa-sha2-nistp384", aws.ToString(keys[1].Type), aws.ToString(keys[2].Type))
	}

	d, err := c.DescribeHostKey(ctx, &transfer.DescribeHostKeyInput{ServerId: aws.String(id), HostKeyId: aws.String(rsaID)})
	mustNoErr(t, err, "DescribeHostKey")
	if aws.ToString(d.HostKey.Description) != "rsa 2026" || aws.ToString(d.HostKey.HostKeyFingerprint) != want[1] || aws.ToString(d.HostKey.Type) != ssh.KeyAlgoRSA {
		t.Errorf("DescribeHostKey = %+v", d.HostKey)
	}

	_, err = c.UpdateHostKey(ctx, &transfer.UpdateHostKeyInput{ServerId: aws.String(id), HostKeyId: aws.String(ecID), Description: aws.String("ecdsa")})
	mustNoErr(t, err, "UpdateHostKey")
	if got := aws.ToString(listHostKeys(t, c, id, 10)[2].Description); got != "ecdsa" {
		t.Errorf("description after UpdateHostKey = %q, want ecdsa", got)
	}

	_, err = c.DeleteHostKey(ctx, &transfer.DeleteHostKeyInput{ServerId: aws.String(id), HostKeyId: keys[0].HostKeyId})
	mustNoErr(t, err, "DeleteHostKey")
	if got := fingerprints(listHostKeys(t, c, id, 10)); strings.Join(got, ",") != strings.Join(want[1:], ",") {
		t.Errorf("after deleting the first key: %v, want %v", got, want[1:])
	}
	if got := aws.ToString(describeServer(t, c, id).HostKeyFingerprint); got != want[1] {
		t.Errorf("DescribeServer fingerprint after deleting the first key = %q, want the oldest remaining %q", got, want[1])
	}
	_, err = c.DeleteHostKey(ctx, &transfer.DeleteHostKeyInput{ServerId: aws.String(id), HostKeyId: keys[0].HostKeyId})
	wantAPIError(t, err, "ResourceNotFoundException", "Unknown host key")
}

// TestUpdateServerHostKeyReplacesFirstKey: UpdateServer's HostKey replaces the key DescribeServer
// reports and keeps the imported ones.
func TestUpdateServerHostKeyReplacesFirstKey(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	id := createServer(t, c, nil)
	extra, extraFP := newHostKey(t)
	importHostKey(t, c, id, extra, "extra")
	replacement, replacementFP := newHostKey(t)
	_, err := c.UpdateServer(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), HostKey: aws.String(replacement)})
	mustNoErr(t, err, "UpdateServer")
	if got := fingerprints(listHostKeys(t, c, id, 10)); strings.Join(got, ",") != replacementFP+","+extraFP {
		t.Errorf("host keys after UpdateServer = %v, want [%s %s]", got, replacementFP, extraFP)
	}
	_, err = c.UpdateServer(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(id), HostKey: aws.String(extra)})
	wantAPIError(t, err, "ResourceExistsException")
}

// TestImportHostKeyRejections: a key the server has is ResourceExistsException whatever its
// description; the model's constraints and the key rules are InvalidRequestException; an
// unknown server is ResourceNotFoundException.
func TestImportHostKeyRejections(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	key, _ := newHostKey(t)
	id := createServer(t, c, nil)
	keyID := importHostKey(t, c, id, key, "one")
	_, err := c.ImportHostKey(ctx, &transfer.ImportHostKeyInput{ServerId: aws.String(id), HostKeyBody: aws.String(key), Description: aws.String("two")})
	wantAPIError(t, err, "ResourceExistsException", "already exists")
	if n := len(listHostKeys(t, c, id, 10)); n != 2 {
		t.Errorf("host keys after a duplicate import = %d, want 2", n)
	}

	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	mustNoErr(t, err, "rsa key")
	weakPEM, _ := pemKey(t, weak)
	for name, tc := range map[string]struct {
		in        transfer.ImportHostKeyInput
		code      string
		fragments []string
	}{
		"not a key":         {transfer.ImportHostKeyInput{ServerId: aws.String(id), HostKeyBody: aws.String("ssh-ed25519 AAAA")}, "InvalidRequestException", []string{"HostKeyBody is not a valid SSH private key"}},
		"weak rsa":          {transfer.ImportHostKeyInput{ServerId: aws.String(id), HostKeyBody: aws.String(weakPEM)}, "InvalidRequestException", []string{"1024-bit"}},
		"description chars": {transfer.ImportHostKeyInput{ServerId: aws.String(id), HostKeyBody: aws.String(key), Description: aws.String("tab\there")}, "InvalidRequestException", []string{"description"}},
		"description long":  {transfer.ImportHostKeyInput{ServerId: aws.String(id), HostKeyBody: aws.String(key), Description: aws.String(strings.Repeat("d", 201))}, "InvalidRequestException", []string{"length less than or equal to 200"}},
		"unknown server":    {transfer.ImportHostKeyInput{ServerId: aws.String("s-00000000000000000"), HostKeyBody: aws.String(key)}, "ResourceNotFoundException", nil},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.ImportHostKey(ctx, &tc.in)
			wantAPIError(t, err, tc.code, tc.fragments...)
		})
	}

	_, err = c.UpdateHostKey(ctx, &transfer.UpdateHostKeyInput{ServerId: aws.String(id), HostKeyId: aws.String("hostkey-0000000000000000a"), Description: aws.String("x")})
	wantAPIError(t, err, "ResourceNotFoundException")
	_, err = c.DescribeHostKey(ctx, &transfer.DescribeHostKeyInput{ServerId: aws.String(id), HostKeyId: aws.String("key-00000000000000000")})
	wantAPIError(t, err, "InvalidRequestException", "hostkey-[0-9a-f]{17}")
	_, err = c.DescribeHostKey(ctx, &transfer.DescribeHostKeyInput{ServerId: aws.String(id), HostKeyId: aws.String(keyID)})
	mustNoErr(t, err, "DescribeHostKey")
}

// TestHostKeysOfServer: the emulator's own accessor returns the keys in list order, with a
// signer for each that presents the listed fingerprint.
func TestHostKeysOfServer(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion)
	id := createServer(t, c, nil)
	key, _ := newHostKey(t)
	importHostKey(t, c, id, key, "second")
	keys, err := srv.HostKeys(testRegion, id)
	mustNoErr(t, err, "HostKeys")
	listed := fingerprints(listHostKeys(t, c, id, 10))
	if len(keys) != len(listed) {
		t.Fatalf("HostKeys = %d keys, ListHostKeys %d", len(keys), len(listed))
	}
	for i, k := range keys {
		if got := ssh.FingerprintSHA256(k.Signer().PublicKey()); got != listed[i] || k.Fingerprint != listed[i] {
			t.Errorf("key %d: signer %s, record %s, listed %s", i, got, k.Fingerprint, listed[i])
		}
	}
	if _, err := srv.HostKeys(testRegion, "s-00000000000000000"); err == nil {
		t.Error("HostKeys of an unknown server succeeded")
	}
}
