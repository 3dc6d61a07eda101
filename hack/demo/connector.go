package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awstransfer "github.com/aws/aws-sdk-go-v2/service/transfer"
	transfertypes "github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"golang.org/x/crypto/ssh"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/testpartner"
)

const (
	// sampleConnector is the connector sample, to sampleHost, a placeholder that does not
	// resolve; sampleCredentials is the Secret of its credentials, with the user name sampleUser
	// (config/samples).
	sampleConnector   = "partner-acme"
	sampleCredentials = "partner-acme-sftp"
	sampleUser        = "acme-upload"
	sampleHost        = "sftp.acme.example"
	// demoConnector is the connector the partner step makes to the local partner, with its
	// credentials in the Secret demoCredentials.
	demoConnector   = "partner-local"
	demoCredentials = "partner-local-sftp"
	// outboundKey is the object of demoBucket, holding outboundContent, that the partner step
	// sends; uploadDir is the partner's directory it is sent to, under the partner's Dir.
	outboundKey     = "outbound/invoice.csv"
	outboundContent = "invoice,amount\n2026-001,42.00\n"
	uploadDir       = "upload"
)

// createCredentialsSecret creates the connector sample's credentials Secret with a new ECDSA key,
// a kind AWS's SFTP connectors take.
func (d *demo) createCredentialsSecret(ctx context.Context) error {
	d.say("  the credentials Secret of %s (a new ECDSA key):", sampleConnector)
	key, err := newClientKey()
	if err != nil {
		return err
	}
	return d.createKeySecret(ctx, sampleCredentials, "privateKey", key, "username="+sampleUser)
}

// saySampleConnection says why the connector sample in objs is Ready but not Connected.
func (d *demo) saySampleConnection(objs []object) {
	i := slices.IndexFunc(objs, func(o object) bool { return o.kind == "TransferConnector" && o.name == sampleConnector })
	if i < 0 {
		return
	}
	if c := objs[i].current(v1alpha1.ConditionConnected); c != nil && c.Status != metav1.ConditionTrue {
		d.say("  %s is Ready, not Connected (%s): its partner, %s, is a placeholder; a later step connects to one that answers",
			sampleConnector, c.Reason, sampleHost)
	}
}

// newClientKey returns a new ECDSA P-256 private key in OpenSSH format.
func newClientKey() ([]byte, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(block), nil
}

// connectPartner starts a local partner, OpenSSH's sshd with an ECDSA host key, and connects to
// it as a user would: a Secret with the credentials, a TransferConnector without trusted host
// keys, whose Connected condition names the key the partner presented, then that key trusted.
// It sends a file from the emulator's S3 with StartFileTransfer, finds it on the partner's disk,
// and reads the result with ListFileTransferResults. `make demo` installs sshd
// (hack/install-test-tools.sh); without it the step fails, saying so.
func (d *demo) connectPartner(ctx context.Context, n int) error {
	d.step(n, "Connecting to a partner")
	state, files := filepath.Join(d.workDir, "partner"), filepath.Join(d.workDir, "partner-files")
	for _, dir := range []string{state, filepath.Join(files, uploadDir)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	p, err := testpartner.Run(state, files, testpartner.Options{HostKeyType: testpartner.ECDSA})
	if err != nil {
		return fmt.Errorf("starting the partner: %w", err)
	}
	d.partner = p
	d.say("  An SFTP connector is AWS's client to a partner's SFTP server. This partner is OpenSSH's")
	d.say("  sshd on %s (user %s, an ECDSA host key, its files in %s).", p.Addr, p.User, p.Dir)
	if err := d.kubectl(ctx, "", "create", "secret", "generic", demoCredentials,
		"--from-literal=username="+p.User, "--from-file=privateKey="+p.ClientKeyFile); err != nil {
		return err
	}
	if err := d.apply(ctx, fmt.Sprintf(`apiVersion: transfer.operators.dev/v1alpha1
kind: TransferConnector
metadata:
  name: %s
spec:
  url: %s
  accessRole: arn:aws:iam::111122223333:role/transfer-connector-local
  sftpConfig:
    credentialsSecretRef:
      name: %s
`, demoConnector, p.URL, demoCredentials)); err != nil {
		return err
	}
	hostKey := p.HostKey()
	untrusted := func(c *metav1.Condition) bool {
		return c.Status == metav1.ConditionFalse && c.Reason == v1alpha1.ReasonHostKeyNotTrusted && strings.Contains(c.Message, hostKey)
	}
	if _, err := d.watch(ctx, demoConnector+" is Ready and names the partner's host key", connected(untrusted)); err != nil {
		return err
	}
	d.say("  Connected is False, reason %s: the connector trusts no host key yet. The message says which to add:", v1alpha1.ReasonHostKeyNotTrusted)
	if err := d.kubectl(ctx, "get tcon "+demoConnector+` -o jsonpath='{.status.conditions[?(@.type=="Connected")].message}'`,
		"get", "tcon", demoConnector, "-o", `jsonpath={.status.conditions[?(@.type=="Connected")].message}`); err != nil {
		return err
	}
	d.say("  it is the key the demo gave the partner's sshd (with a real partner, confirm it with them):")
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"sftpConfig": map[string]any{"trustedHostKeys": []string{hostKey}}}})
	if err != nil {
		return err
	}
	shown := strings.Replace(string(patch), hostKey, hostKey[:28]+"..."+hostKey[len(hostKey)-8:], 1)
	if err := d.kubectl(ctx, "patch tcon "+demoConnector+" --type=merge -p '"+shown+"'",
		"patch", "tcon", demoConnector, "--type=merge", "-p", string(patch)); err != nil {
		return err
	}
	trusted := func(c *metav1.Condition) bool { return c.Status == metav1.ConditionTrue }
	if _, err := d.watch(ctx, demoConnector+" is Ready and Connected", connected(trusted)); err != nil {
		return err
	}
	if err := d.kubectl(ctx, "", "get", "tcon"); err != nil {
		return err
	}
	var con v1alpha1.TransferConnector
	if err := d.cp.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: demoConnector}, &con); err != nil {
		return err
	}
	d.connectorID = con.Status.ConnectorID
	d.say("  connector %s; the partner allow-lists its egress IPs (status.egressIpAddresses): %s",
		d.connectorID, strings.Join(con.Status.EgressIPAddresses, ", "))
	return d.sendFile(ctx)
}

// connected is done when the demo connector is Ready, as are all objects, and its Connected
// condition for the current generation satisfies want.
func connected(want func(*metav1.Condition) bool) func([]object) bool {
	return func(objs []object) bool {
		i := slices.IndexFunc(objs, func(o object) bool { return o.kind == "TransferConnector" && o.name == demoConnector })
		if i < 0 || !allReady(objs) {
			return false
		}
		c := objs[i].current(v1alpha1.ConditionConnected)
		return c != nil && want(c)
	}
}

// sendFile puts outboundKey into the emulator's S3, sends it to the partner's uploadDir with
// StartFileTransfer, waits for its result, and shows the file on the partner's disk.
func (d *demo) sendFile(ctx context.Context) error {
	creds := credentials.NewStaticCredentialsProvider("demo", "demo", "")
	s3c := s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(d.emu.URL()), Credentials: creds, UsePathStyle: true})
	tc := awstransfer.New(awstransfer.Options{Region: region, BaseEndpoint: aws.String(d.emu.URL()), Credentials: creds})
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(demoBucket), Key: aws.String(outboundKey), Body: strings.NewReader(outboundContent),
	}); err != nil {
		return fmt.Errorf("putting s3://%s/%s: %w", demoBucket, outboundKey, err)
	}
	d.say("  PutObject s3://%s/%s, then StartFileTransfer (the AWS SDK, at the emulator's URL):", demoBucket, outboundKey)
	source, remote := "/"+demoBucket+"/"+outboundKey, filepath.Join(d.partner.Dir, uploadDir)
	out, err := tc.StartFileTransfer(ctx, &awstransfer.StartFileTransferInput{
		ConnectorId: aws.String(d.connectorID), SendFilePaths: []string{source}, RemoteDirectoryPath: aws.String(remote),
	})
	if err != nil {
		return fmt.Errorf("StartFileTransfer: %w", err)
	}
	transferID := aws.ToString(out.TransferId)
	d.say("    %s to %s: transfer ID %s", source, remote, transferID)
	r, err := d.transferResult(ctx, tc, transferID)
	if err != nil {
		return err
	}
	arrived := filepath.Join(remote, path.Base(outboundKey))
	got, err := os.ReadFile(arrived)
	if err != nil || string(got) != outboundContent {
		return fmt.Errorf("transfer %s is %s, but %s on the partner's disk does not hold what was sent: %v", transferID, r.StatusCode, arrived, err)
	}
	d.say("  on the partner's disk:")
	d.say("    %s  %d bytes", arrived, len(got))
	d.say("  ListFileTransferResults: %s %s", aws.ToString(r.FilePath), r.StatusCode)
	return nil
}

// transferResult waits, up to the demo's timeout, for the one file of transfer id to be
// transferred, and fails if it was not.
func (d *demo) transferResult(ctx context.Context, tc *awstransfer.Client, id string) (transfertypes.ConnectorFileTransferResult, error) {
	deadline := time.Now().Add(d.cfg.timeout)
	for {
		out, err := tc.ListFileTransferResults(ctx, &awstransfer.ListFileTransferResultsInput{ConnectorId: aws.String(d.connectorID), TransferId: aws.String(id)})
		if err != nil {
			return transfertypes.ConnectorFileTransferResult{}, fmt.Errorf("ListFileTransferResults: %w", err)
		}
		if len(out.FileTransferResults) == 1 {
			switch r := out.FileTransferResults[0]; r.StatusCode {
			case transfertypes.TransferTableStatusCompleted:
				return r, nil
			case transfertypes.TransferTableStatusFailed:
				return r, fmt.Errorf("transfer %s failed: %s: %s", id, aws.ToString(r.FailureCode), aws.ToString(r.FailureMessage))
			}
		}
		if time.Now().After(deadline) {
			return transfertypes.ConnectorFileTransferResult{}, fmt.Errorf("timed out after %s waiting for transfer %s", d.cfg.timeout, id)
		}
		select {
		case <-ctx.Done():
			return transfertypes.ConnectorFileTransferResult{}, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// sayConnectorCommands prints the AWS CLI command that sends the partner step's file again, and
// where to find it on the partner's disk.
func (d *demo) sayConnectorCommands() {
	if d.connectorID == "" {
		return
	}
	remote := filepath.Join(d.partner.Dir, uploadDir)
	d.say("  Send a file to the partner through %s with the AWS CLI, and find it on its disk:", demoConnector)
	d.say("    AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo \\")
	d.say("      aws transfer start-file-transfer --connector-id %s --send-file-paths /%s/%s \\", d.connectorID, demoBucket, outboundKey)
	d.say("      --remote-directory-path %s --region %s --endpoint-url %s", remote, region, d.emu.URL())
	d.say("    ls -l %s", remote)
}
