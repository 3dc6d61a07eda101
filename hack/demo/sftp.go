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
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

const (
	// demoBucket and demoPrefix are where alice's logical "/" lands: the target of her "/"
	// mapping in config/samples, with ${Transfer:UserName} expanded.
	demoBucket = "partners-bucket"
	demoPrefix = "home/" + demoUser + "/"
	// demoArchive is where the workflow archive-uploads copies uploads (config/samples).
	demoArchive = "partners-archive"
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
// lists it, shows the object in S3 through the emulator's S3 API, and the copy the server's
// workflow archived.
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
		BaseEndpoint: aws.String(d.emu.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider("demo", "demo", ""),
		UsePathStyle: true,
	})
	out, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(demoBucket), Prefix: aws.String(demoPrefix)})
	if err != nil {
		return fmt.Errorf("listing s3://%s/%s: %w", demoBucket, demoPrefix, err)
	}
	found := false
	d.say("  in S3 (ListObjectsV2 at the emulator's URL):")
	for _, o := range out.Contents {
		d.say("    s3://%s/%s  %d bytes", demoBucket, aws.ToString(o.Key), aws.ToInt64(o.Size))
		found = found || aws.ToString(o.Key) == demoPrefix+demoFile
	}
	if !found {
		return fmt.Errorf("/%s was uploaded as %s, but s3://%s/%s%s is not in S3", demoFile, demoUser, demoBucket, demoPrefix, demoFile)
	}
	if err := d.showWorkflow(ctx, s3c); err != nil {
		return err
	}
	d.login = &login{port: port, knownHosts: knownHosts}
	return nil
}

// showWorkflow waits for the execution of the workflow partners-sftp runs on the upload (the
// emulator's Executions: AWS's ListExecutions lists executions in progress only) and shows its
// status and steps, and the archived copy in S3 with its tags.
func (d *demo) showWorkflow(ctx context.Context, s3c *s3.Client) error {
	var wf v1alpha1.TransferWorkflow
	if err := d.cp.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: demoWorkflow}, &wf); err != nil {
		return err
	}
	id := wf.Status.WorkflowID
	d.say("  %s runs workflow %s (%s) on the upload:", demoServer, demoWorkflow, id)
	x, err := d.finishedExecution(ctx, id)
	if err != nil {
		return err
	}
	var steps []string
	for _, r := range slices.Concat(x.Results.Steps, x.Results.OnExceptionSteps) {
		if r.Error != nil {
			steps = append(steps, fmt.Sprintf("%s failed %s (%s)", r.StepType, r.Error.Type, r.Error.Message))
			continue
		}
		steps = append(steps, r.StepType)
	}
	d.say("    execution %s: %s: %s", x.ExecutionID, x.Status, strings.Join(steps, ", "))
	if x.Status != emulator.ExecutionCompleted {
		return fmt.Errorf("workflow %s ended %s on s3://%s/%s%s", demoWorkflow, x.Status, demoBucket, demoPrefix, demoFile)
	}
	out, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(demoArchive), Prefix: aws.String(demoUser + "/")})
	if err != nil {
		return fmt.Errorf("listing s3://%s/%s/: %w", demoArchive, demoUser, err)
	}
	if len(out.Contents) == 0 {
		return fmt.Errorf("workflow %s completed, but s3://%s/%s/ is empty", demoWorkflow, demoArchive, demoUser)
	}
	for _, o := range out.Contents {
		tagging, err := s3c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(demoArchive), Key: o.Key})
		if err != nil {
			return fmt.Errorf("tags of s3://%s/%s: %w", demoArchive, aws.ToString(o.Key), err)
		}
		var tags []string
		for _, t := range tagging.TagSet {
			tags = append(tags, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
		}
		d.say("    archived: s3://%s/%s  %d bytes, tags %s", demoArchive, aws.ToString(o.Key), aws.ToInt64(o.Size), strings.Join(tags, ","))
	}
	return nil
}

// finishedExecution waits, up to the demo's timeout, for the execution of workflow id on the
// uploaded file to finish.
func (d *demo) finishedExecution(ctx context.Context, id string) (emulator.Execution, error) {
	deadline := time.Now().Add(d.cfg.timeout)
	for {
		for _, x := range d.emu.Executions(region, id) {
			loc := x.InitialFileLocation.S3FileLocation
			finished := x.Status == emulator.ExecutionCompleted || x.Status == emulator.ExecutionException
			if finished && loc != nil && loc.Bucket == demoBucket && loc.Key == demoPrefix+demoFile {
				return x, nil
			}
		}
		if time.Now().After(deadline) {
			return emulator.Execution{}, fmt.Errorf("timed out after %s waiting for workflow %s to finish on s3://%s/%s%s", d.cfg.timeout, demoWorkflow, demoBucket, demoPrefix, demoFile)
		}
		select {
		case <-ctx.Done():
			return emulator.Execution{}, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// sayLoginCommands prints the OpenSSH and AWS CLI commands that reach what the login step used.
func (d *demo) sayLoginCommands() {
	if d.login == nil {
		return
	}
	d.say("  Log in as %s with OpenSSH, and see her files in the emulator's S3:", demoUser)
	d.say("    sftp -i %s -o UserKnownHostsFile=%s -P %s %s@127.0.0.1", d.key.path, d.login.knownHosts, d.login.port, demoUser)
	d.say("    AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo \\")
	d.say("      aws s3 ls s3://%s/%s --region %s --endpoint-url %s", demoBucket, demoPrefix, region, d.emu.URL())
}
