package emulator_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// dataPlaneFixture is an emulator with its data plane, one ONLINE server
// and a client of its API.
type dataPlaneFixture struct {
	srv      *emulator.Server
	c        *transfer.Client
	serverID string
	addr     string
	efsRoot  string
}

func startDataPlane(t *testing.T, in *transfer.CreateServerInput) *dataPlaneFixture {
	t.Helper()
	return startDataPlaneWith(t, emulator.DataPlaneOptions{}, in)
}

// startDataPlaneWith is startDataPlane with opts, whose EFSRoot and Logf it
// sets.
func startDataPlaneWith(t *testing.T, opts emulator.DataPlaneOptions, in *transfer.CreateServerInput) *dataPlaneFixture {
	t.Helper()
	f := &dataPlaneFixture{efsRoot: t.TempDir()}
	opts.EFSRoot, opts.Logf = f.efsRoot, t.Logf
	f.srv = startEmulator(t, emulator.Options{DataPlane: &opts})
	f.c = newClient(f.srv.URL(), testRegion)
	f.serverID = createServer(t, f.c, in)
	if state := describeServer(t, f.c, f.serverID).State; state != types.StateOnline {
		t.Fatalf("server is %s, want ONLINE", state)
	}
	var ok bool
	if f.addr, ok = f.srv.SFTPAddress(testRegion, f.serverID); !ok {
		t.Fatalf("no SFTP address for %s", f.serverID)
	}
	if host, _, _ := net.SplitHostPort(f.addr); host != "127.0.0.1" {
		t.Fatalf("SFTP listens on %s, want 127.0.0.1 only", f.addr)
	}
	return f
}

// newUserSigner returns a fresh ED25519 key and its authorized_keys line.
func newUserSigner(t *testing.T) (ssh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	mustNoErr(t, err, "generate key")
	signer, err := ssh.NewSignerFromKey(priv)
	mustNoErr(t, err, "signer")
	return signer, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
}

// login connects as user with auth, accepting only the host key the API
// reports for the server, and returns an SFTP client closed with the test.
func (f *dataPlaneFixture) login(t *testing.T, user string, auth ...ssh.AuthMethod) (*sftp.Client, error) {
	t.Helper()
	want := aws.ToString(describeServer(t, f.c, f.serverID).HostKeyFingerprint)
	conn, err := ssh.Dial("tcp", f.addr, &ssh.ClientConfig{
		User: user, Auth: auth, Timeout: 30 * time.Second,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			if got := ssh.FingerprintSHA256(key); got != want {
				return fmt.Errorf("host key %s, want %s", got, want)
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	client, err := sftp.NewClient(conn)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	t.Cleanup(func() { _ = client.Close(); _ = conn.Close() })
	return client, nil
}

func (f *dataPlaneFixture) createUser(t *testing.T, in *transfer.CreateUserInput) {
	t.Helper()
	in.ServerId, in.Role = aws.String(f.serverID), aws.String(testRole)
	_, err := f.c.CreateUser(ctxT(t), in)
	mustNoErr(t, err, "CreateUser")
}

func putFile(t *testing.T, c *sftp.Client, name, content string) {
	t.Helper()
	w, err := c.Create(name)
	mustNoErr(t, err, "create "+name)
	_, err = io.WriteString(w, content)
	mustNoErr(t, err, "write "+name)
	mustNoErr(t, w.Close(), "close "+name)
}

func readDirNames(t *testing.T, c *sftp.Client, dir string) []string {
	t.Helper()
	entries, err := c.ReadDir(dir)
	mustNoErr(t, err, "readdir "+dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// s3Get reads an object through the emulator's S3 API (path-style,
// unsigned) and returns its status and body.
func s3Get(t *testing.T, f *dataPlaneFixture, bucketKey string) (int, string) {
	t.Helper()
	resp, err := http.Get(f.srv.S3URL() + "/" + bucketKey)
	mustNoErr(t, err, "S3 GET")
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestSFTPLogicalHome logs in as a LOGICAL user: the session is chrooted to
// the "/" mapping with ${Transfer:UserName} expanded, the other entries show
// as directories, uploads land in S3 where the mapping says, and paths with
// ".." stay inside the mappings.
func TestSFTPLogicalHome(t *testing.T) {
	f := startDataPlane(t, nil)
	signer, pub := newUserSigner(t)
	f.createUser(t, &transfer.CreateUserInput{
		UserName: aws.String("alice"), SshPublicKeyBody: aws.String(pub), HomeDirectoryType: types.HomeDirectoryTypeLogical,
		HomeDirectoryMappings: []types.HomeDirectoryMapEntry{
			{Entry: aws.String("/"), Target: aws.String("/partners-bucket/home/${Transfer:UserName}")},
			{Entry: aws.String("/shared"), Target: aws.String("/partners-bucket/shared")},
		},
	})
	c, err := f.login(t, "alice", ssh.PublicKeys(signer))
	mustNoErr(t, err, "login")

	if wd, err := c.Getwd(); err != nil || wd != "/" {
		t.Fatalf("working directory %q, %v; want /", wd, err)
	}
	if names := readDirNames(t, c, "/"); !slices.Equal(names, []string{"shared"}) {
		t.Fatalf("empty home lists %v, want [shared]", names)
	}
	mustNoErr(t, c.Mkdir("/in"), "mkdir /in")
	putFile(t, c, "/in/hello.txt", "hello from sftp")
	putFile(t, c, "../../escape.txt", "stays home")
	if names := readDirNames(t, c, "/"); !slices.Equal(names, []string{"escape.txt", "in", "shared"}) {
		t.Fatalf("home lists %v, want [escape.txt in shared]", names)
	}
	r, err := c.Open("/in/hello.txt")
	mustNoErr(t, err, "open")
	got, _ := io.ReadAll(r)
	_ = r.Close()
	if string(got) != "hello from sftp" {
		t.Fatalf("read back %q", got)
	}
	if _, err := c.Stat("/../../partners-bucket/shared"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stat of a path above the chroot: %v, want not found (it is home/alice/partners-bucket/shared)", err)
	}

	for key, want := range map[string]string{
		"partners-bucket/home/alice/in/hello.txt": "hello from sftp",
		"partners-bucket/home/alice/escape.txt":   "stays home",
	} {
		if status, body := s3Get(t, f, key); status != http.StatusOK || body != want {
			t.Errorf("S3 GET %s: %d %q, want 200 %q", key, status, body, want)
		}
	}
	if status, _ := s3Get(t, f, "partners-bucket/escape.txt"); status != http.StatusNotFound {
		t.Errorf("S3 GET partners-bucket/escape.txt: %d, want 404: the upload left the chroot", status)
	}
}

// TestSFTPPathHome: a PATH user sees storage paths as they are and starts in
// its HomeDirectory.
func TestSFTPPathHome(t *testing.T) {
	f := startDataPlane(t, nil)
	signer, pub := newUserSigner(t)
	f.createUser(t, &transfer.CreateUserInput{UserName: aws.String("pat"), SshPublicKeyBody: aws.String(pub), HomeDirectory: aws.String("/data/home/pat")})
	c, err := f.login(t, "pat", ssh.PublicKeys(signer))
	mustNoErr(t, err, "login")
	if wd, err := c.Getwd(); err != nil || wd != "/data/home/pat" {
		t.Fatalf("working directory %q, %v; want /data/home/pat", wd, err)
	}
	putFile(t, c, "report.csv", "a,b")
	if status, body := s3Get(t, f, "data/home/pat/report.csv"); status != http.StatusOK || body != "a,b" {
		t.Fatalf("S3 GET: %d %q", status, body)
	}
	if names := readDirNames(t, c, "/"); !slices.Equal(names, []string{"data"}) {
		t.Fatalf("/ lists %v, want the buckets [data]", names)
	}

	s3c := s3.New(s3.Options{
		Region: testRegion, BaseEndpoint: aws.String(f.srv.S3URL()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
	})
	list, err := s3c.ListObjectsV2(ctxT(t), &s3.ListObjectsV2Input{Bucket: aws.String("data"), Prefix: aws.String("home/pat/")})
	mustNoErr(t, err, "ListObjectsV2")
	if len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "home/pat/report.csv" || aws.ToInt64(list.Contents[0].Size) != 3 {
		t.Fatalf("the SDK's S3 client lists %+v, want home/pat/report.csv of 3 bytes", list.Contents)
	}
}

// TestSFTPAuthentication: only a key the user holds logs in; passwords,
// other keys, unknown users and deleted keys are refused.
func TestSFTPAuthentication(t *testing.T) {
	f := startDataPlane(t, nil)
	signer, pub := newUserSigner(t)
	other, _ := newUserSigner(t)
	f.createUser(t, &transfer.CreateUserInput{UserName: aws.String("bob"), SshPublicKeyBody: aws.String(pub)})

	if _, err := f.login(t, "bob", ssh.PublicKeys(signer)); err != nil {
		t.Fatalf("login with bob's key: %v", err)
	}
	for name, attempt := range map[string]func() error{
		"password":     func() error { _, err := f.login(t, "bob", ssh.Password("secret")); return err },
		"another key":  func() error { _, err := f.login(t, "bob", ssh.PublicKeys(other)); return err },
		"unknown user": func() error { _, err := f.login(t, "mallory", ssh.PublicKeys(signer)); return err },
		"keyboard-interactive": func() error {
			_, err := f.login(t, "bob", ssh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return nil, nil }))
			return err
		},
	} {
		if err := attempt(); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Errorf("%s: %v, want an authentication failure", name, err)
		}
	}

	u, err := f.c.DescribeUser(ctxT(t), &transfer.DescribeUserInput{ServerId: aws.String(f.serverID), UserName: aws.String("bob")})
	mustNoErr(t, err, "DescribeUser")
	_, err = f.c.DeleteSshPublicKey(ctxT(t), &transfer.DeleteSshPublicKeyInput{
		ServerId: aws.String(f.serverID), UserName: aws.String("bob"), SshPublicKeyId: u.User.SshPublicKeys[0].SshPublicKeyId,
	})
	mustNoErr(t, err, "DeleteSshPublicKey")
	if _, err := f.login(t, "bob", ssh.PublicKeys(signer)); err == nil {
		t.Fatal("login with a deleted key succeeded")
	}

	mustNoErr(t, f.srv.ModifyServer(testRegion, f.serverID, func(r *emulator.ServerRecord) { r.IdentityProviderType = "AWS_LAMBDA" }), "ModifyServer")
	_, err = f.c.ImportSshPublicKey(ctxT(t), &transfer.ImportSshPublicKeyInput{ServerId: aws.String(f.serverID), UserName: aws.String("bob"), SshPublicKeyBody: aws.String(pub)})
	mustNoErr(t, err, "ImportSshPublicKey")
	if _, err := f.login(t, "bob", ssh.PublicKeys(signer)); err == nil {
		t.Fatal("login on a server with a custom identity provider succeeded")
	}
}

// TestSFTPServerState: a stopped server refuses connections and serves again
// once started, on the same port; a deleted server's port is closed.
func TestSFTPServerState(t *testing.T) {
	f := startDataPlane(t, nil)
	signer, pub := newUserSigner(t)
	f.createUser(t, &transfer.CreateUserInput{UserName: aws.String("carol"), SshPublicKeyBody: aws.String(pub)})
	id := &transfer.StopServerInput{ServerId: aws.String(f.serverID)}

	_, err := f.c.StopServer(ctxT(t), id)
	mustNoErr(t, err, "StopServer")
	if _, err := f.login(t, "carol", ssh.PublicKeys(signer)); err == nil {
		t.Fatal("login to an OFFLINE server succeeded")
	}
	conn, err := net.DialTimeout("tcp", f.addr, 10*time.Second)
	mustNoErr(t, err, "dial")
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if greeting, err := io.ReadAll(conn); err != nil || len(greeting) > 0 {
		t.Fatalf("an OFFLINE server answered %q, %v; want the connection closed before the SSH handshake", greeting, err)
	}
	_ = conn.Close()
	_, err = f.c.StartServer(ctxT(t), &transfer.StartServerInput{ServerId: aws.String(f.serverID)})
	mustNoErr(t, err, "StartServer")
	if addr, _ := f.srv.SFTPAddress(testRegion, f.serverID); addr != f.addr {
		t.Fatalf("address changed from %s to %s across stop and start", f.addr, addr)
	}
	if _, err := f.login(t, "carol", ssh.PublicKeys(signer)); err != nil {
		t.Fatalf("login after StartServer: %v", err)
	}

	_, err = f.c.DeleteServer(ctxT(t), &transfer.DeleteServerInput{ServerId: aws.String(f.serverID)})
	mustNoErr(t, err, "DeleteServer")
	if conn, err := net.DialTimeout("tcp", f.addr, 10*time.Second); err == nil {
		_ = conn.Close()
		t.Fatal("a deleted server's SFTP port still accepts connections")
	}
	if _, ok := f.srv.SFTPAddress(testRegion, f.serverID); ok {
		t.Fatal("a deleted server still has an SFTP address")
	}
}

// TestSFTPHostKey: the server presents the host key imported with
// UpdateServer; the login helper accepts only the fingerprint the API
// reports.
func TestSFTPHostKey(t *testing.T) {
	f := startDataPlane(t, nil)
	signer, pub := newUserSigner(t)
	f.createUser(t, &transfer.CreateUserInput{UserName: aws.String("dave"), SshPublicKeyBody: aws.String(pub)})
	if _, err := f.login(t, "dave", ssh.PublicKeys(signer)); err != nil {
		t.Fatalf("login with the generated host key: %v", err)
	}
	hostKey, fingerprint := newHostKey(t)
	_, err := f.c.UpdateServer(ctxT(t), &transfer.UpdateServerInput{ServerId: aws.String(f.serverID), HostKey: aws.String(hostKey)})
	mustNoErr(t, err, "UpdateServer")
	if got := aws.ToString(describeServer(t, f.c, f.serverID).HostKeyFingerprint); got != fingerprint {
		t.Fatalf("fingerprint %s, want the imported %s", got, fingerprint)
	}
	if _, err := f.login(t, "dave", ssh.PublicKeys(signer)); err != nil {
		t.Fatalf("login with the imported host key: %v", err)
	}
}

// TestSFTPEFS: on an EFS server files land in the file system's directory
// and carry the user's POSIX profile, which the admin API records.
func TestSFTPEFS(t *testing.T) {
	f := startDataPlane(t, &transfer.CreateServerInput{Domain: types.DomainEfs})
	signer, pub := newUserSigner(t)
	const fsID = "fs-0123456789abcdef0"
	f.createUser(t, &transfer.CreateUserInput{
		UserName: aws.String("etl"), SshPublicKeyBody: aws.String(pub), HomeDirectory: aws.String("/" + fsID + "/landing"),
		PosixProfile: &types.PosixProfile{Uid: aws.Int64(1001), Gid: aws.Int64(1002)},
	})
	c, err := f.login(t, "etl", ssh.PublicKeys(signer))
	mustNoErr(t, err, "login")
	mustNoErr(t, c.MkdirAll("/"+fsID+"/landing"), "mkdir")
	putFile(t, c, "batch.csv", "1,2,3")

	data, err := os.ReadFile(filepath.Join(f.efsRoot, fsID, "landing", "batch.csv"))
	if err != nil || string(data) != "1,2,3" {
		t.Fatalf("local file: %q, %v", data, err)
	}
	info, err := c.Stat("batch.csv")
	mustNoErr(t, err, "stat")
	if st, ok := info.Sys().(*sftp.FileStat); !ok || st.UID != 1001 || st.GID != 1002 {
		t.Fatalf("owner %+v, want uid 1001 gid 1002", info.Sys())
	}
	resp, err := http.Get(f.srv.URL() + emulator.AdminPrefix + "dataplane")
	mustNoErr(t, err, "admin GET")
	defer resp.Body.Close()
	var dp emulator.DataPlaneInfo
	mustNoErr(t, json.NewDecoder(resp.Body).Decode(&dp), "decode")
	want := emulator.FileOwner{Path: "/" + fsID + "/landing/batch.csv", UID: 1001, GID: 1002}
	if !slices.Contains(dp.EFSOwners, want) {
		t.Fatalf("admin EFSOwners %+v, want %+v among them", dp.EFSOwners, want)
	}
	if len(dp.SFTP) != 1 || dp.SFTP[0].Address != f.addr || dp.S3Endpoint != f.srv.S3URL() {
		t.Fatalf("admin data plane %+v, want the server at %s and S3 at %s", dp, f.addr, f.srv.S3URL())
	}
}
