package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

const (
	// demoBucket and demoPrefix are where alice's logical "/" lands: the target of her "/"
	// mapping in config/samples, with ${Transfer:UserName} expanded.
	demoBucket = "partners-bucket"
	demoPrefix = "home/" + demoUser + "/"
	// demoFile is what the login step uploads.
	demoFile    = "hello.txt"
	demoContent = "hello from the transfer-operator demo\n"
)

// userKey is the SSH key the demo gives alice, with its private half on disk for sftp -i.
type userKey struct {
	signer     ssh.Signer
	authorized string
	path       string
}

// newUserKey generates an ED25519 key and writes its private half, readable by its owner
// only as OpenSSH requires, into dir.
func newUserKey(dir string) (*userKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, demoUser+"@demo")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, demoUser+"_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	authorized := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + demoUser + "@demo"
	return &userKey{signer: signer, authorized: authorized, path: path}, nil
}

// login is what the login step learnt, for the commands keepRunning prints.
type login struct {
	port       string
	knownHosts string
}

// logIn logs in as alice over SFTP with the key the update step gave her, checking the host key
// against the fingerprint in the TransferServer's status, uploads a file into her logical home,
// lists it, and shows the object in S3 through the emulator's S3 API.
func (d *demo) logIn(ctx context.Context, n int) error {
	d.step(n, "Logging in as %s over SFTP", demoUser)
	var srv v1alpha1.TransferServer
	if err := d.cp.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: demoServer}, &srv); err != nil {
		return err
	}
	addr, ok := d.emu.SFTPAddress(region, srv.Status.ServerID)
	if !ok {
		return fmt.Errorf("the emulator serves no SFTP endpoint for %s", srv.Status.ServerID)
	}
	_, port, _ := net.SplitHostPort(addr)
	knownHosts := filepath.Join(d.workDir, "known_hosts")
	conn, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User:    demoUser,
		Auth:    []ssh.AuthMethod{ssh.PublicKeys(d.key.signer)},
		Timeout: d.cfg.timeout,
		HostKeyCallback: func(host string, _ net.Addr, key ssh.PublicKey) error {
			if got := ssh.FingerprintSHA256(key); got != srv.Status.HostKeyFingerprint {
				return fmt.Errorf("host key %s, but %s's status says %s", got, demoServer, srv.Status.HostKeyFingerprint)
			}
			line := fmt.Sprintf("[127.0.0.1]:%s %s", port, ssh.MarshalAuthorizedKey(key))
			return os.WriteFile(knownHosts, []byte(line), 0o644)
		},
	})
	if err != nil {
		return fmt.Errorf("logging in as %s on %s: %w", demoUser, addr, err)
	}
	defer conn.Close()
	d.say("  connected to %s as %s; host key %s, as status.hostKeyFingerprint says", addr, demoUser, srv.Status.HostKeyFingerprint)
	c, err := sftp.NewClient(conn)
	if err != nil {
		return err
	}
	defer c.Close()

	d.say("  sftp> put %s /%s", demoFile, demoFile)
	w, err := c.Create("/" + demoFile)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, demoContent); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	d.say("  sftp> ls -l /")
	entries, err := c.ReadDir("/")
	if err != nil {
		return err
	}
	for _, e := range entries {
		d.say("    %s %6d %s %s", e.Mode(), e.Size(), e.ModTime().UTC().Format(time.DateTime), e.Name())
	}

	s3c := s3.New(s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(d.emu.S3URL()),
		Credentials:  credentials.NewStaticCredentialsProvider("demo", "demo", ""),
		UsePathStyle: true,
	})
	out, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(demoBucket), Prefix: aws.String(demoPrefix)})
	if err != nil {
		return fmt.Errorf("listing s3://%s/%s: %w", demoBucket, demoPrefix, err)
	}
	found := false
	d.say("  in S3 (ListObjectsV2 on the emulator's S3 API, %s):", d.emu.S3URL())
	for _, o := range out.Contents {
		d.say("    s3://%s/%s  %d bytes", demoBucket, aws.ToString(o.Key), aws.ToInt64(o.Size))
		found = found || aws.ToString(o.Key) == demoPrefix+demoFile
	}
	if !found {
		return fmt.Errorf("/%s was uploaded as %s, but s3://%s/%s%s is not in S3", demoFile, demoUser, demoBucket, demoPrefix, demoFile)
	}
	d.login = &login{port: port, knownHosts: knownHosts}
	return nil
}

// sayLoginCommands prints the OpenSSH and AWS CLI commands that reach what the login step used.
func (d *demo) sayLoginCommands() {
	if d.login == nil {
		return
	}
	d.say("  Log in as %s with OpenSSH, and see her files in the emulator's S3:", demoUser)
	d.say("    sftp -i %s -o UserKnownHostsFile=%s -P %s %s@127.0.0.1", d.key.path, d.login.knownHosts, d.login.port, demoUser)
	d.say("    AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo \\")
	d.say("      aws s3 ls s3://%s/%s --region %s --endpoint-url %s", demoBucket, demoPrefix, region, d.emu.S3URL())
}
