package emulator_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// partner is an in-process SFTP server on 127.0.0.1 standing for a trading partner: one user,
// who logs in with a password or a public key, and an in-memory file system.
type partner struct {
	addr     string
	user     string
	password string
	hostKey  ssh.PublicKey
	fs       sftp.Handlers
}

// startPartner serves SFTP with the given host keys until the test ends. authorized, when set,
// is the public key the user may log in with besides the password.
func startPartner(t *testing.T, password string, authorized ssh.PublicKey, hostKeys ...ssh.Signer) *partner {
	t.Helper()
	p := &partner{user: "alice", password: password, hostKey: hostKeys[0].PublicKey(), fs: sftp.InMemHandler()}
	cfg := &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if c.User() == p.user && string(pw) == p.password {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		},
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == p.user && authorized != nil && string(key.Marshal()) == string(authorized.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	for _, k := range hostKeys {
		cfg.AddHostKey(k)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustNoErr(t, err, "partner listener")
	p.addr = ln.Addr().String()
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[conn] = true
			mu.Unlock()
			wg.Go(func() { p.serve(conn, cfg) })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return p
}

func (p *partner) serve(conn net.Conn, cfg *ssh.ServerConfig) {
	defer conn.Close()
	sconn, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	defer sconn.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		ch, requests, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			for req := range requests {
				_ = req.Reply(req.Type == "subsystem", nil)
				if req.Type == "subsystem" {
					go func() {
						_ = sftp.NewRequestServer(ch, p.fs).Serve()
						_ = ch.Close()
					}()
				}
			}
		}()
	}
}

// url is the connector Url of the partner.
func (p *partner) url() string { return "sftp://" + p.addr }

// trusted is the partner's host key as ssh-keyscan prints it: "[127.0.0.1]:PORT key-type key-body".
func (p *partner) trusted() string {
	host, port, _ := net.SplitHostPort(p.addr)
	return "[" + host + "]:" + port + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(p.hostKey)))
}

// client logs in to the partner as the test, to put and read files.
func (p *partner) client(t *testing.T) *sftp.Client {
	t.Helper()
	conn, err := ssh.Dial("tcp", p.addr, &ssh.ClientConfig{User: p.user, Auth: []ssh.AuthMethod{ssh.Password(p.password)}, HostKeyCallback: ssh.FixedHostKey(p.hostKey)})
	mustNoErr(t, err, "dial the partner")
	c, err := sftp.NewClient(conn)
	mustNoErr(t, err, "SFTP to the partner")
	t.Cleanup(func() { _ = c.Close(); _ = conn.Close() })
	return c
}

func (p *partner) write(t *testing.T, c *sftp.Client, name, content string) {
	t.Helper()
	f, err := c.Create(name)
	mustNoErr(t, err, "create "+name+" on the partner")
	_, err = f.Write([]byte(content))
	mustNoErr(t, err, "write "+name)
	mustNoErr(t, f.Close(), "close "+name)
}

func (p *partner) read(t *testing.T, c *sftp.Client, name string) string {
	t.Helper()
	f, err := c.Open(name)
	mustNoErr(t, err, "open "+name+" on the partner")
	defer f.Close()
	b, err := io.ReadAll(f)
	mustNoErr(t, err, "read "+name)
	return string(b)
}

// privateKeyPEM returns the OpenSSH PEM of a private key, protected when passphrase is set.
func privateKeyPEM(t testing.TB, key any, passphrase string) string {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(key, "")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(key, "", []byte(passphrase))
	}
	mustNoErr(t, err, "marshal private key")
	return string(pem.EncodeToMemory(block))
}

// connectorSecret stores credentials as Secrets Manager holds an SFTP connector's and returns the
// secret's ARN.
func connectorSecret(t *testing.T, sm secretsClient, name string, creds map[string]string) string {
	t.Helper()
	value, _ := json.Marshal(creds)
	return sm.ok("CreateSecret", obj{"Name": name, "SecretString": string(value)}).str("ARN")
}

func TestConnection(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	sm := secretsClient{t, srv.URL()}
	hostSigner, _ := newECDSAKey(t)
	userKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	userSigner, _ := ssh.NewSignerFromKey(userKey)
	p := startPartner(t, "s3cret", userSigner.PublicKey(), hostSigner)
	_, otherKey := newECDSAKey(t)
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edHost, _ := ssh.NewSignerFromKey(edPriv)
	edOnly := startPartner(t, "s3cret", nil, edHost)

	keySecret := connectorSecret(t, sm, "by-key", map[string]string{"Username": "alice", "PrivateKey": privateKeyPEM(t, userKey, "")})
	passwordSecret := connectorSecret(t, sm, "by-password", map[string]string{"Username": "alice", "Password": "s3cret"})
	wrongPassword := connectorSecret(t, sm, "wrong-password", map[string]string{"Username": "alice", "Password": "nope"})
	noUser := connectorSecret(t, sm, "no-user", map[string]string{"Password": "s3cret"})
	protectedKey := connectorSecret(t, sm, "protected", map[string]string{"Username": "alice", "PrivateKey": privateKeyPEM(t, userKey, "pass")})
	edKey := connectorSecret(t, sm, "ed25519", map[string]string{"Username": "alice", "PrivateKey": privateKeyPEM(t, edPriv, "")})
	deleted := connectorSecret(t, sm, "deleted", map[string]string{"Username": "alice", "Password": "s3cret"})
	sm.ok("DeleteSecret", obj{"SecretId": deleted})
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedURL := "sftp://" + closed.Addr().String()
	_ = closed.Close()

	presented := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(p.hostKey)))
	for _, tc := range []struct {
		name, url, secret string
		trusted           []string
		status, message   string
		hostKey           string
	}{
		{"trusted key", p.url(), keySecret, []string{p.trusted()}, "OK", "^Connection succeeded$", presented},
		{"trusted key without host", p.url(), passwordSecret, []string{presented}, "OK", "^Connection succeeded$", presented},
		{"no trusted keys", p.url(), keySecret, nil, "OK", "^Connection succeeded. The connector has no TrustedHostKeys", presented},
		{"another host key", p.url(), keySecret, []string{otherKey}, "ERROR", "^Invalid trusted host keys: .* presented " + regexp.QuoteMeta(presented), presented},
		{"key of another host", p.url(), keySecret, []string{"[127.0.0.1]:1 " + presented}, "ERROR", "^Invalid trusted host keys", presented},
		{"wrong password", p.url(), wrongPassword, []string{presented}, "ERROR", "^Authentication failed: user alice", presented},
		{"no user name", p.url(), noUser, nil, "ERROR", "^Private key not found: .* needs Username", ""},
		{"passphrase", p.url(), protectedKey, nil, "ERROR", "^Private key not found: .* passphrase", ""},
		{"ED25519 user key", p.url(), edKey, nil, "ERROR", "^Private key not found: .* RSA and ECDSA", ""},
		{"missing secret", p.url(), "arn:aws:secretsmanager:us-east-1:111122223333:secret:absent-AbCdEf", nil, "ERROR", "^Unable to access secrets manager: .*can't find", ""},
		{"secret of another account", p.url(), "arn:aws:secretsmanager:us-east-1:444455556666:secret:absent-AbCdEf", nil, "ERROR", "^Unable to access secrets manager", ""},
		{"secret scheduled for deletion", p.url(), deleted, nil, "ERROR", "^Unable to access secrets manager: .*marked for deletion", ""},
		{"nothing listening", closedURL, passwordSecret, nil, "ERROR", "^Unknown Host/Connection failed: .*refused", ""},
		{"ED25519 host key only", edOnly.url(), passwordSecret, nil, "ERROR", "^Unknown Host/Connection failed: SSH handshake", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := createConnector(t, c, sftpConnector(tc.url, &types.SftpConnectorConfig{UserSecretId: aws.String(tc.secret), TrustedHostKeys: tc.trusted}))
			out, err := c.TestConnection(ctxT(t), &transfer.TestConnectionInput{ConnectorId: aws.String(id)})
			mustNoErr(t, err, "TestConnection")
			if aws.ToString(out.ConnectorId) != id || aws.ToString(out.Status) != tc.status || !regexp.MustCompile(tc.message).MatchString(aws.ToString(out.StatusMessage)) {
				t.Errorf("TestConnection = %s %q, want %s %q", aws.ToString(out.Status), aws.ToString(out.StatusMessage), tc.status, tc.message)
			}
			got := ""
			if out.SftpConnectionDetails != nil {
				got = aws.ToString(out.SftpConnectionDetails.HostKey)
			}
			if got != tc.hostKey {
				t.Errorf("HostKey = %q, want %q", got, tc.hostKey)
			}
			if strings.Contains(aws.ToString(out.StatusMessage), "s3cret") {
				t.Errorf("the message shows the password: %s", aws.ToString(out.StatusMessage))
			}
		})
	}

	errored := createConnector(t, c, sftpConnector(p.url(), &types.SftpConnectorConfig{UserSecretId: aws.String(passwordSecret)}))
	mustNoErr(t, srv.FailNextConnectorTransition(testRegion, errored, "broken"), "FailNextConnectorTransition")
	_, err := c.UpdateConnector(ctxT(t), &transfer.UpdateConnectorInput{ConnectorId: aws.String(errored), Url: aws.String(p.url())})
	mustNoErr(t, err, "UpdateConnector")
	out, err := c.TestConnection(ctxT(t), &transfer.TestConnectionInput{ConnectorId: aws.String(errored)})
	if mustNoErr(t, err, "TestConnection"); aws.ToString(out.Status) != "ERROR" || !strings.Contains(aws.ToString(out.StatusMessage), "ERRORED: broken") {
		t.Errorf("TestConnection of an ERRORED connector: %s %s", aws.ToString(out.Status), aws.ToString(out.StatusMessage))
	}
	_, err = c.StartFileTransfer(ctxT(t), &transfer.StartFileTransferInput{ConnectorId: aws.String(errored), SendFilePaths: []string{"/b/k"}})
	wantAPIError(t, err, "InvalidRequestException", "ERRORED: broken")
	as2 := createConnector(t, c, &transfer.CreateConnectorInput{Url: aws.String("https://as2.example.com"), AccessRole: aws.String(testConnectorRole), As2Config: &types.As2ConnectorConfig{}})
	_, err = c.TestConnection(ctxT(t), &transfer.TestConnectionInput{ConnectorId: aws.String(as2)})
	wantAPIError(t, err, "InvalidRequestException", "SFTP connectors only")
	_, err = c.StartFileTransfer(ctxT(t), &transfer.StartFileTransferInput{ConnectorId: aws.String(as2), SendFilePaths: []string{"/b/k"}})
	wantAPIError(t, err, "InvalidRequestException", "SFTP connectors only")
}

// transferResults polls ListFileTransferResults until no file is QUEUED or IN_PROGRESS and
// returns "path status code" for each file, in the request's order.
func transferResults(t *testing.T, c *transfer.Client, connectorID, transferID string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out []string
		done := true
		var next *string
		for {
			page, err := c.ListFileTransferResults(ctxT(t), &transfer.ListFileTransferResultsInput{ConnectorId: aws.String(connectorID), TransferId: aws.String(transferID), MaxResults: aws.Int32(1), NextToken: next})
			mustNoErr(t, err, "ListFileTransferResults")
			for _, r := range page.FileTransferResults {
				out = append(out, strings.TrimSpace(aws.ToString(r.FilePath)+" "+string(r.StatusCode)+" "+aws.ToString(r.FailureCode)))
				done = done && (r.StatusCode == types.TransferTableStatusCompleted || r.StatusCode == types.TransferTableStatusFailed)
			}
			if next = page.NextToken; next == nil {
				break
			}
		}
		if done {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("transfer %s still running: %v", transferID, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConnectorFileTransfer(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	sm := secretsClient{t, srv.URL()}
	hostSigner, _ := newECDSAKey(t)
	p := startPartner(t, "s3cret", nil, hostSigner)
	pc := p.client(t)
	mustNoErr(t, pc.Mkdir("/inbox"), "mkdir /inbox on the partner")
	p.write(t, pc, "/report.csv", "a,b\n1,2\n")
	secret := connectorSecret(t, sm, "partner", map[string]string{"Username": "alice", "Password": "s3cret"})
	id := createConnector(t, c, sftpConnector(p.url(), &types.SftpConnectorConfig{UserSecretId: aws.String(secret), TrustedHostKeys: []string{p.trusted()}}))
	s3c := s3At(srv.URL(), testSecretKey)
	_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("outbound"), Key: aws.String("orders/o1.txt"), Body: strings.NewReader("order 1")})
	mustNoErr(t, err, "PutObject")

	sent, err := c.StartFileTransfer(ctx, &transfer.StartFileTransferInput{ConnectorId: aws.String(id),
		SendFilePaths: []string{"/outbound/orders/o1.txt", "outbound/orders/missing.txt"}, RemoteDirectoryPath: aws.String("/inbox")})
	mustNoErr(t, err, "StartFileTransfer send")
	if got, want := strings.Join(transferResults(t, c, id, aws.ToString(sent.TransferId)), "; "),
		"/outbound/orders/o1.txt COMPLETED; outbound/orders/missing.txt FAILED SEND_FILE_NOT_FOUND"; got != want {
		t.Errorf("send results: %s, want %s", got, want)
	}
	if got := p.read(t, pc, "/inbox/o1.txt"); got != "order 1" {
		t.Errorf("the partner got %q", got)
	}
	home, err := c.StartFileTransfer(ctx, &transfer.StartFileTransferInput{ConnectorId: aws.String(id), SendFilePaths: []string{"/outbound/orders/o1.txt"}})
	mustNoErr(t, err, "StartFileTransfer to the home directory")
	transferResults(t, c, id, aws.ToString(home.TransferId))
	if got := p.read(t, pc, "/o1.txt"); got != "order 1" {
		t.Errorf("the partner's home directory got %q", got)
	}

	retrieved, err := c.StartFileTransfer(ctx, &transfer.StartFileTransferInput{ConnectorId: aws.String(id),
		RetrieveFilePaths: []string{"/report.csv", "/nope.csv"}, LocalDirectoryPath: aws.String("/inbound/reports")})
	mustNoErr(t, err, "StartFileTransfer retrieve")
	if got, want := strings.Join(transferResults(t, c, id, aws.ToString(retrieved.TransferId)), "; "),
		"/report.csv COMPLETED; /nope.csv FAILED RETRIEVE_FILE_NOT_FOUND"; got != want {
		t.Errorf("retrieve results: %s, want %s", got, want)
	}
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("inbound"), Key: aws.String("reports/report.csv")})
	mustNoErr(t, err, "GetObject of the retrieved file")
	if b, _ := io.ReadAll(obj.Body); string(b) != "a,b\n1,2\n" {
		t.Errorf("retrieved %q", b)
	}

	untrusted := createConnector(t, c, sftpConnector(p.url(), &types.SftpConnectorConfig{UserSecretId: aws.String(secret)}))
	refused, err := c.StartFileTransfer(ctx, &transfer.StartFileTransferInput{ConnectorId: aws.String(untrusted), SendFilePaths: []string{"/outbound/orders/o1.txt"}})
	mustNoErr(t, err, "StartFileTransfer without trusted host keys")
	if got := transferResults(t, c, untrusted, aws.ToString(refused.TransferId)); len(got) != 1 || got[0] != "/outbound/orders/o1.txt FAILED CONNECTION_FAILED" {
		t.Errorf("a transfer without trusted host keys: %v", got)
	}

	for _, bad := range []*transfer.StartFileTransferInput{
		{SendFilePaths: []string{"/outbound/orders/o1.txt"}, RetrieveFilePaths: []string{"/report.csv"}, LocalDirectoryPath: aws.String("/inbound")},
		{},
		{RetrieveFilePaths: []string{"/report.csv"}},
		{SendFilePaths: []string{"/outbound"}},
		{SendFilePaths: []string{"/outbound/o1.txt"}, LocalDirectoryPath: aws.String("/inbound")},
	} {
		bad.ConnectorId = aws.String(id)
		_, err := c.StartFileTransfer(ctx, bad)
		wantAPIError(t, err, "InvalidRequestException")
	}
	_, err = c.ListFileTransferResults(ctx, &transfer.ListFileTransferResultsInput{ConnectorId: aws.String(id), TransferId: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException", "Unknown transfer")
	_, err = c.DeleteConnector(ctx, &transfer.DeleteConnectorInput{ConnectorId: aws.String(id)})
	mustNoErr(t, err, "DeleteConnector")
	_, err = c.ListFileTransferResults(ctx, &transfer.ListFileTransferResultsInput{ConnectorId: aws.String(id), TransferId: sent.TransferId})
	wantAPIError(t, err, "ResourceNotFoundException", "Unknown connector")
}

func TestConnectorDirectoryListing(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	ctx := ctxT(t)
	sm := secretsClient{t, srv.URL()}
	hostSigner, _ := newECDSAKey(t)
	p := startPartner(t, "s3cret", nil, hostSigner)
	pc := p.client(t)
	mustNoErr(t, pc.MkdirAll("/out/archive"), "mkdir on the partner")
	p.write(t, pc, "/out/a.txt", "aaa")
	p.write(t, pc, "/out/b.txt", "bb")
	secret := connectorSecret(t, sm, "partner", map[string]string{"Username": "alice", "Password": "s3cret"})
	id := createConnector(t, c, sftpConnector(p.url(), &types.SftpConnectorConfig{UserSecretId: aws.String(secret), TrustedHostKeys: []string{p.trusted()}}))

	list := func(maxItems *int32) map[string]any {
		out, err := c.StartDirectoryListing(ctx, &transfer.StartDirectoryListingInput{ConnectorId: aws.String(id),
			RemoteDirectoryPath: aws.String("/out"), OutputDirectoryPath: aws.String("/listings/partner"), MaxItems: maxItems})
		mustNoErr(t, err, "StartDirectoryListing")
		if want := id + "-" + aws.ToString(out.ListingId) + ".json"; aws.ToString(out.OutputFileName) != want {
			t.Errorf("OutputFileName = %s, want %s", aws.ToString(out.OutputFileName), want)
		}
		s3c := s3At(srv.URL(), testSecretKey)
		deadline := time.Now().Add(10 * time.Second)
		for {
			obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("listings"), Key: aws.String("partner/" + aws.ToString(out.OutputFileName))})
			if err == nil {
				var doc map[string]any
				b, _ := io.ReadAll(obj.Body)
				mustNoErr(t, json.Unmarshal(b, &doc), "listing JSON")
				return doc
			}
			if time.Now().After(deadline) {
				t.Fatalf("no listing file: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	doc := list(nil)
	files, _ := json.Marshal(doc["files"])
	if !regexp.MustCompile(`^\[\{"filePath":"/out/a.txt","modifiedTimestamp":"[0-9T:-]+Z","size":3\},\{"filePath":"/out/b.txt","modifiedTimestamp":"[0-9T:-]+Z","size":2\}\]$`).Match(files) {
		t.Errorf("files = %s", files)
	}
	if paths, _ := json.Marshal(doc["paths"]); string(paths) != `[{"path":"/out/archive"}]` || doc["truncated"] != false {
		t.Errorf("paths = %s, truncated %v", paths, doc["truncated"])
	}
	if doc := list(aws.Int32(1)); doc["truncated"] != true || len(doc["files"].([]any))+len(doc["paths"].([]any)) != 1 {
		t.Errorf("with MaxItems 1: %v", doc)
	}
}

// TestConnectorTransferBounds: a retrieved file larger than the S3 store's bound fails, and
// results are kept for 7 days.
func TestConnectorTransferBounds(t *testing.T) {
	clock := clocktesting.NewFakeClock(time.Now())
	srv := startEmulator(t, emulator.Options{Clock: clock, DataPlane: &emulator.DataPlaneOptions{MaxObjectSize: 4}})
	c := newClient(srv.URL(), testRegion, noRetries)
	hostSigner, _ := newECDSAKey(t)
	p := startPartner(t, "s3cret", nil, hostSigner)
	p.write(t, p.client(t), "/big.bin", "12345")
	secret := connectorSecret(t, secretsClient{t, srv.URL()}, "partner", map[string]string{"Username": "alice", "Password": "s3cret"})
	id := createConnector(t, c, sftpConnector(p.url(), &types.SftpConnectorConfig{UserSecretId: aws.String(secret), TrustedHostKeys: []string{p.trusted()}}))
	out, err := c.StartFileTransfer(ctxT(t), &transfer.StartFileTransferInput{ConnectorId: aws.String(id), RetrieveFilePaths: []string{"/big.bin"}, LocalDirectoryPath: aws.String("/in")})
	mustNoErr(t, err, "StartFileTransfer")
	if got := transferResults(t, c, id, aws.ToString(out.TransferId)); len(got) != 1 || got[0] != "/big.bin FAILED TRANSFER_FAILED" {
		t.Errorf("retrieving a file over the bound: %v", got)
	}
	clock.Step(7 * 24 * time.Hour)
	_, err = c.ListFileTransferResults(ctxT(t), &transfer.ListFileTransferResultsInput{ConnectorId: aws.String(id), TransferId: out.TransferId})
	wantAPIError(t, err, "ResourceNotFoundException", "Unknown transfer")
}

// TestConnectionOfAnotherAccount: a connector of an assumed role's account reads a secret of the
// account its ARN names.
func TestConnectionOfAnotherAccount(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	defineRole(t, srv, emulator.Role{ARN: otherRole})
	other := clientWith(srv.URL(), assumedCache(srv.URL(), baseCredentials(), otherRole))
	hostSigner, _ := newECDSAKey(t)
	p := startPartner(t, "s3cret", nil, hostSigner)
	secret := connectorSecret(t, secretsClient{t, srv.URL()}, "shared", map[string]string{"Username": "alice", "Password": "s3cret"})
	id := createConnector(t, other, sftpConnector(p.url(), &types.SftpConnectorConfig{UserSecretId: aws.String(secret), TrustedHostKeys: []string{p.trusted()}}))
	out, err := other.TestConnection(ctxT(t), &transfer.TestConnectionInput{ConnectorId: aws.String(id)})
	mustNoErr(t, err, "TestConnection")
	if aws.ToString(out.Status) != "OK" {
		t.Errorf("TestConnection with a secret of another account: %s %s", aws.ToString(out.Status), aws.ToString(out.StatusMessage))
	}
}
