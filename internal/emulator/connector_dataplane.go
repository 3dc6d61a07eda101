package emulator

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The data plane of SFTP connectors: TestConnection, StartFileTransfer (with
// ListFileTransferResults) and StartDirectoryListing open a real SSH connection to the
// connector's Url, log in with the credentials of its Secrets Manager secret and check the
// server's host key against its TrustedHostKeys, then move files between the emulator's S3 and
// the partner with SFTP. TestConnection answers once it has tried; file transfers and listings
// run in the background, as in AWS ("Begins a file transfer"), and their results are read with
// ListFileTransferResults and from S3. They run whether or not Options.DataPlane is set: the S3
// store is always there.

const (
	// connectorDialTimeout bounds the TCP connection, SSH handshake and login to a partner.
	connectorDialTimeout = 10 * time.Second
	// defaultListingItems: SDK StartDirectoryListingInput.MaxItems: "The default value is
	// 1,000."
	defaultListingItems = 1000
	// transferResultsKept: SDK ListFileTransferResults: "File transfer results are available
	// up to 7 days after an operation has been requested."
	transferResultsKept = 7 * 24 * time.Hour

	// Messages TestConnection starts with, as the API reference lists them ("Unable to access
	// secrets manager", "Unknown Host/Connection failed", "Private key not found", "Invalid
	// trusted host keys"); SDK TestConnectionOutput.StatusMessage: "Returns Connection succeeded
	// if the test is successful".
	msgConnectionSucceeded = "Connection succeeded"
	msgSecretsManager      = "Unable to access secrets manager"
	msgConnectionFailed    = "Unknown Host/Connection failed"
	msgNoCredentials       = "Private key not found"
	msgHostKey             = "Invalid trusted host keys"
	msgLogin               = "Authentication failed"

	// Failure codes of file transfer results. SDK ConnectorFileTransferResult.FailureCode names
	// one, RETRIEVE_FILE_NOT_FOUND; the others are the emulator's.
	failRetrieveNotFound = "RETRIEVE_FILE_NOT_FOUND"
	failSendNotFound     = "SEND_FILE_NOT_FOUND"
	failConnection       = "CONNECTION_FAILED"
	failTransfer         = "TRANSFER_FAILED"

	// Transfer statuses, the TransferTableStatus enum.
	transferQueued     = "QUEUED"
	transferInProgress = "IN_PROGRESS"
	transferCompleted  = "COMPLETED"
	transferFailed     = "FAILED"
)

// backgroundRuns are the file transfers and listings in progress, which Close ends and waits for.
type backgroundRuns struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newBackgroundRuns() *backgroundRuns {
	ctx, cancel := context.WithCancel(context.Background())
	return &backgroundRuns{ctx: ctx, cancel: cancel}
}

// stop cancels the runs in progress and waits for them.
func (b *backgroundRuns) stop() {
	b.cancel()
	b.wg.Wait()
}

// fileTransfer is one StartFileTransfer: its files' results in request order.
type fileTransfer struct {
	connectorID, transferID string
	started                 time.Time
	files                   records[fileResult]
}

func (fileTransfer) family() family {
	return family{resourceType: "FileTransfer", unknown: "Unknown transfer"}
}

// fileResult is one file of a transfer, as ListFileTransferResults reports it.
type fileResult struct {
	FilePath       string
	StatusCode     string
	FailureCode    string `json:",omitempty"`
	FailureMessage string `json:",omitempty"`
}

func (fileResult) family() family { return family{resourceType: "File", unknown: "Unknown file"} }

// transferKey is the key of a transfer among a region's transfers.
func transferKey(connectorID, transferID string) string { return connectorID + "/" + transferID }

// connectorTarget is what a connection to a connector's partner needs, read under e.mu.
type connectorTarget struct {
	connectorID  string
	status       string
	errorMessage string
	url          string
	lattice      string
	secretID     string
	trusted      []string
	hostKeyAlgos []string
}

// sftpTarget returns what dialling an SFTP connector needs; an AS2 connector is
// InvalidRequestException (the emulator sends no AS2 messages; SDK TestConnection "Tests whether
// your SFTP connector is set up successfully").
func (e *Emulator) sftpTarget(regionName, connectorID, op string) (connectorTarget, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.connectorLocked(regionName, connectorID)
	if err != nil {
		return connectorTarget{}, err
	}
	if c.SftpConfig == nil {
		return connectorTarget{}, errInvalidRequest("Connector %s is an AS2 connector: the emulator serves %s for SFTP connectors only", connectorID, op)
	}
	t := connectorTarget{connectorID: connectorID, status: c.Status, errorMessage: c.ErrorMessage, url: c.URL,
		secretID: c.SftpConfig.UserSecretID, trusted: slices.Clone(c.SftpConfig.TrustedHostKeys), hostKeyAlgos: connectorSecurityPolicies[c.SecurityPolicyName]}
	if c.EgressConfig != nil && c.EgressConfig.VpcLattice != nil {
		t.lattice = c.EgressConfig.VpcLattice.ResourceConfigurationArn
	}
	return t, nil
}

// connectorCredentials are the keys of an SFTP connector's secret (user guide, "Store
// authentication credentials for SFTP connectors in Secrets Manager": "you must provide a
// username. Additionally, you can provide either a password, a private key, or both").
type connectorCredentials struct {
	Username   string
	Password   string
	PrivateKey string
}

// secretCredentials reads the credentials of the secret an ARN names, in the account and region
// the ARN names, as the connector's access role would; the message of its error starts as
// TestConnection's does. Neither the values nor the secret's text are ever in an error.
func (e *Emulator) secretCredentials(secretID string) (connectorCredentials, error) {
	_, regionName, account, _ := parseSecretARN(secretID)
	a := e.owner.existingAccount(account)
	if a == nil {
		return connectorCredentials{}, fmt.Errorf("%s: secret %s not found", msgSecretsManager, secretID)
	}
	a.mu.Lock()
	s, err := a.liveSecretLocked(regionName, secretID)
	var v getSecretValueOutput
	if err == nil {
		v, err = s.value(nil, nil)
	}
	a.mu.Unlock()
	var aerr *apiError
	if errors.As(err, &aerr) {
		return connectorCredentials{}, fmt.Errorf("%s: secret %s: %s", msgSecretsManager, secretID, aerr.Message)
	}
	var creds connectorCredentials
	if v.SecretString == nil || json.Unmarshal([]byte(*v.SecretString), &creds) != nil {
		return connectorCredentials{}, fmt.Errorf("%s: secret %s is not a JSON object with Username and PrivateKey or Password", msgNoCredentials, secretID)
	}
	if creds.Username == "" || (creds.Password == "" && creds.PrivateKey == "") {
		return connectorCredentials{}, fmt.Errorf("%s: secret %s needs Username and PrivateKey or Password", msgNoCredentials, secretID)
	}
	return creds, nil
}

// authMethods are the SSH logins of credentials: the private key, then the password. User guide:
// "It is not possible to use a passphrase-protected private key"; "For authentication, SFTP
// connectors support the following key types: ssh-rsa, ecdsa".
func (c connectorCredentials) authMethods(secretID string) ([]ssh.AuthMethod, error) {
	var methods []ssh.AuthMethod
	if c.PrivateKey != "" {
		signer, err := ssh.ParsePrivateKey([]byte(c.PrivateKey))
		var missing *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &missing):
			return nil, fmt.Errorf("%s: the PrivateKey of secret %s is protected by a passphrase, which SFTP connectors cannot use", msgNoCredentials, secretID)
		case err != nil:
			return nil, fmt.Errorf("%s: the PrivateKey of secret %s does not parse: %v", msgNoCredentials, secretID, err)
		case signer.PublicKey().Type() != ssh.KeyAlgoRSA && !strings.HasPrefix(signer.PublicKey().Type(), "ecdsa-"):
			return nil, fmt.Errorf("%s: the PrivateKey of secret %s is a %s key; SFTP connectors authenticate with RSA and ECDSA keys", msgNoCredentials, secretID, signer.PublicKey().Type())
		}
		methods = append(methods, ssh.PublicKeys(signer))
	}
	if c.Password != "" {
		methods = append(methods, ssh.Password(c.Password))
	}
	return methods, nil
}

// hostKeyText is a public key as TrustedHostKeys takes it and TestConnection reports it:
// "key-type key-body".
func hostKeyText(k ssh.PublicKey) string {
	return k.Type() + " " + base64.StdEncoding.EncodeToString(k.Marshal())
}

// trusts reports whether a trusted host key entry is key, for a server at addr (host:port): an
// entry naming hosts must name addr as known_hosts does (the host for port 22, [host]:port
// otherwise).
func trusts(entry, addr string, key ssh.PublicKey) bool {
	hosts, k, err := parseTrustedHostKey(entry)
	if err != nil || hostKeyText(k) != hostKeyText(key) {
		return false
	}
	return len(hosts) == 0 || slices.Contains(hosts, knownhosts.Normalize(addr))
}

// connectorSession is an SSH connection and SFTP session to a connector's partner.
type connectorSession struct {
	ssh  *ssh.Client
	sftp *sftp.Client
}

func (s *connectorSession) Close() error {
	return errors.Join(s.sftp.Close(), s.ssh.Close())
}

// connect dials a connector's partner, checks its host key and logs in with the secret's
// credentials, then starts SFTP. It returns the host key the server presented (nil when none was
// reached) and, on failure, an error whose message says what happened, in TestConnection's words.
// Without TrustedHostKeys any host key is taken when requireTrust is false (TestConnection:
// "If not provided, you can use TestConnection to retrieve the server host key"), and refused
// when it is true (a transfer with no key to verify).
func (e *Emulator) connect(ctx context.Context, t connectorTarget, requireTrust bool) (*connectorSession, ssh.PublicKey, error) {
	if t.lattice != "" {
		return nil, nil, fmt.Errorf("%s: the emulator does not route through VPC Lattice (resource configuration %s)", msgConnectionFailed, t.lattice)
	}
	creds, err := e.secretCredentials(t.secretID)
	if err != nil {
		return nil, nil, err
	}
	methods, err := creds.authMethods(t.secretID)
	if err != nil {
		return nil, nil, err
	}
	u, _ := url.Parse(t.url)
	port := u.Port()
	if port == "" {
		port = "22"
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	var presented ssh.PublicKey
	var hostKeyErr error
	cfg := &ssh.ClientConfig{
		User:              creds.Username,
		Auth:              methods,
		HostKeyAlgorithms: t.hostKeyAlgos,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			presented = key
			switch {
			case len(t.trusted) == 0 && !requireTrust:
				return nil
			case len(t.trusted) == 0:
				hostKeyErr = fmt.Errorf("%s: the connector has no TrustedHostKeys; the server presented %s", msgHostKey, hostKeyText(key))
			case !slices.ContainsFunc(t.trusted, func(entry string) bool { return trusts(entry, addr, key) }):
				hostKeyErr = fmt.Errorf("%s: the server at %s presented %s, which is not among the connector's TrustedHostKeys", msgHostKey, addr, hostKeyText(key))
			default:
				return nil
			}
			return hostKeyErr
		},
	}
	dialer := net.Dialer{Timeout: connectorDialTimeout}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", msgConnectionFailed, err)
	}
	_ = conn.SetDeadline(time.Now().Add(connectorDialTimeout))
	sshConn, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	switch {
	case hostKeyErr != nil:
		_ = conn.Close()
		return nil, presented, hostKeyErr
	case err != nil && presented != nil:
		_ = conn.Close()
		return nil, presented, fmt.Errorf("%s: user %s at %s: %v", msgLogin, creds.Username, addr, err)
	case err != nil:
		_ = conn.Close()
		return nil, nil, fmt.Errorf("%s: SSH handshake with %s: %v", msgConnectionFailed, addr, err)
	}
	_ = conn.SetDeadline(time.Time{})
	client := ssh.NewClient(sshConn, chans, reqs)
	sc, err := sftp.NewClient(client)
	if err != nil {
		_ = client.Close()
		return nil, presented, fmt.Errorf("%s: the SFTP subsystem of %s: %v", msgConnectionFailed, addr, err)
	}
	return &connectorSession{ssh: client, sftp: sc}, presented, nil
}

type testConnectionOutput struct {
	ConnectorID           string `json:"ConnectorId"`
	Status                string
	StatusMessage         string
	SftpConnectionDetails *sftpConnectionDetails `json:",omitempty"`
}

type sftpConnectionDetails struct {
	HostKey string
}

// testConnection connects to an SFTP connector's partner, logs in and opens SFTP, and answers OK
// "Connection succeeded" or ERROR with what failed, and the host key the server presented (SDK
// SftpConnectorConnectionDetails.HostKey: "It allows you to retrieve the valid server host key
// to update the connector"). A connector without TrustedHostKeys is still tested; its message says
// that the key was not verified. An ERRORED connector answers ERROR with its ErrorMessage.
func (e *Emulator) testConnection(regionName string, in *connectorIDInput) (any, error) {
	t, err := e.sftpTarget(regionName, in.ConnectorID, "TestConnection")
	if err != nil {
		return nil, err
	}
	out := testConnectionOutput{ConnectorID: in.ConnectorID, Status: "ERROR"}
	if t.status == ConnectorErrored {
		out.StatusMessage = fmt.Sprintf("Connector %s is ERRORED: %s", t.connectorID, t.errorMessage)
		return out, nil
	}
	session, key, err := e.connect(e.runs.ctx, t, false)
	if key != nil {
		out.SftpConnectionDetails = &sftpConnectionDetails{HostKey: hostKeyText(key)}
	}
	if err != nil {
		out.StatusMessage = err.Error()
		return out, nil
	}
	_ = session.Close()
	out.Status, out.StatusMessage = "OK", msgConnectionSucceeded
	if len(t.trusted) == 0 {
		out.StatusMessage += ". The connector has no TrustedHostKeys, so the server's host key was not verified: add the key in SftpConnectionDetails.HostKey to SftpConfig.TrustedHostKeys"
	}
	return out, nil
}

// s3Path splits an S3 path of a connector request, /bucket/key (the leading slash optional,
// SDK SendFilePaths: "For example, amzn-s3-demo-bucket/myfile.txt"), into bucket and key.
func s3Path(p string) (bucket, key string) {
	bucket, key, _ = strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return bucket, strings.TrimSuffix(key, "/")
}

type startFileTransferInput struct {
	ConnectorID         string `json:"ConnectorId"`
	SendFilePaths       []string
	RetrieveFilePaths   []string
	LocalDirectoryPath  *string
	RemoteDirectoryPath *string
}

type startFileTransferOutput struct {
	TransferID string `json:"TransferId"`
}

// checkFileTransfer applies SDK StartFileTransfer's rules for an SFTP connector: "If you are
// transferring file from a partner's SFTP server to Amazon Web Services storage, you specify one
// or more RetrieveFilePaths ... and a LocalDirectoryPath"; "If you are transferring file to a
// partner's SFTP server ..., you specify one or more SendFilePaths ... and a RemoteDirectoryPath"
// ("If you don't specify a RemoteDirectoryPath, the destination for transferred files is the SFTP
// user's home directory"). One transfer goes one way (the emulator's reading).
func checkFileTransfer(in *startFileTransferInput) error {
	send, retrieve := len(in.SendFilePaths) > 0, len(in.RetrieveFilePaths) > 0
	switch {
	case send == retrieve:
		return errInvalidRequest("An SFTP connector's file transfer takes either SendFilePaths or RetrieveFilePaths")
	case retrieve && in.LocalDirectoryPath == nil:
		return errInvalidRequest("RetrieveFilePaths need a LocalDirectoryPath, the S3 directory the files are retrieved into")
	case retrieve && in.RemoteDirectoryPath != nil:
		return errInvalidRequest("RemoteDirectoryPath is the destination of SendFilePaths; a retrieval takes a LocalDirectoryPath")
	case send && in.LocalDirectoryPath != nil:
		return errInvalidRequest("LocalDirectoryPath is the destination of RetrieveFilePaths; a send takes a RemoteDirectoryPath")
	}
	if in.LocalDirectoryPath != nil {
		if bucket, _ := s3Path(*in.LocalDirectoryPath); bucket == "" {
			return errInvalidRequest("LocalDirectoryPath %q is not an S3 path, /bucket/prefix", *in.LocalDirectoryPath)
		}
	}
	for _, p := range in.SendFilePaths {
		if bucket, key := s3Path(p); bucket == "" || key == "" {
			return errInvalidRequest("SendFilePaths: %q is not an S3 object path, /bucket/key", p)
		}
	}
	return nil
}

// startFileTransfer records a transfer with every file QUEUED and runs it in the background over
// one SFTP session; each file is IN_PROGRESS while it moves, then COMPLETED or FAILED with a
// failure code and message. An ERRORED connector is InvalidRequestException.
func (e *Emulator) startFileTransfer(regionName string, in *startFileTransferInput) (any, error) {
	t, err := e.sftpTarget(regionName, in.ConnectorID, "StartFileTransfer")
	if err != nil {
		return nil, err
	}
	if t.status == ConnectorErrored {
		return nil, errInvalidRequest("Connector %s is ERRORED: %s", t.connectorID, t.errorMessage)
	}
	if err := checkFileTransfer(in); err != nil {
		return nil, err
	}
	paths := slices.Concat(in.SendFilePaths, in.RetrieveFilePaths)
	e.mu.Lock()
	transferID := e.uuidLocked()
	ft := &fileTransfer{connectorID: in.ConnectorID, transferID: transferID, started: e.clock.Now()}
	for i, p := range paths {
		ft.files.insert(fmt.Sprintf("%04d", i), &fileResult{FilePath: p, StatusCode: transferQueued})
	}
	e.regionLocked(regionName).fileTransfers.insert(transferKey(in.ConnectorID, transferID), ft)
	e.mu.Unlock()

	e.runs.wg.Go(func() { e.runFileTransfer(regionName, t, ft, in) })
	return startFileTransferOutput{TransferID: transferID}, nil
}

// runFileTransfer moves the files of a transfer and records each outcome.
func (e *Emulator) runFileTransfer(regionName string, t connectorTarget, ft *fileTransfer, in *startFileTransferInput) {
	set := func(i int, status, code, msg string) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if r, ok := ft.files.lookup(fmt.Sprintf("%04d", i)); ok {
			r.StatusCode, r.FailureCode, r.FailureMessage = status, code, msg
		}
	}
	paths := slices.Concat(in.SendFilePaths, in.RetrieveFilePaths)
	session, _, err := e.connect(e.runs.ctx, t, true)
	if err != nil {
		for i := range paths {
			set(i, transferFailed, failConnection, err.Error())
		}
		e.logf("connector %s (%s): transfer %s failed: %v", t.connectorID, regionName, ft.transferID, err)
		return
	}
	defer session.Close()
	for i, p := range paths {
		set(i, transferInProgress, "", "")
		var code string
		var err error
		if len(in.SendFilePaths) > 0 {
			code, err = e.sendFile(session.sftp, p, in.RemoteDirectoryPath)
		} else {
			code, err = e.retrieveFile(session.sftp, p, *in.LocalDirectoryPath)
		}
		if err != nil {
			set(i, transferFailed, code, err.Error())
			e.logf("connector %s (%s): transfer %s: %s failed: %v", t.connectorID, regionName, ft.transferID, p, err)
			continue
		}
		set(i, transferCompleted, "", "")
		e.logf("connector %s (%s): transfer %s: %s done", t.connectorID, regionName, ft.transferID, p)
	}
}

// sendFile copies an S3 object to the partner's remoteDir (the SFTP user's home directory when
// nil), under the object's base name, replacing a file of that name.
func (e *Emulator) sendFile(c *sftp.Client, s3File string, remoteDir *string) (string, error) {
	bucket, key := s3Path(s3File)
	data, err := e.s3.get(bucket, key)
	if errors.Is(err, fs.ErrNotExist) {
		return failSendNotFound, fmt.Errorf("no S3 object %s", s3File)
	}
	if err != nil {
		return failTransfer, err
	}
	dir := ""
	if remoteDir != nil {
		dir = *remoteDir
	} else if dir, err = c.Getwd(); err != nil {
		return failTransfer, fmt.Errorf("the SFTP user's home directory: %v", err)
	}
	dst := path.Join(dir, path.Base(key))
	f, err := c.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return failTransfer, fmt.Errorf("creating %s on the partner: %v", dst, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return failTransfer, fmt.Errorf("writing %s on the partner: %v", dst, err)
	}
	if err := f.Close(); err != nil {
		return failTransfer, fmt.Errorf("writing %s on the partner: %v", dst, err)
	}
	return "", nil
}

// retrieveFile copies a file of the partner into the S3 directory localDir, under its base name,
// refusing one larger than the S3 store's bound.
func (e *Emulator) retrieveFile(c *sftp.Client, remote, localDir string) (string, error) {
	f, err := c.Open(remote)
	if errors.Is(err, fs.ErrNotExist) {
		return failRetrieveNotFound, fmt.Errorf("no file %s on the partner", remote)
	}
	if err != nil {
		return failTransfer, fmt.Errorf("opening %s on the partner: %v", remote, err)
	}
	defer f.Close()
	limit := e.s3API.maxObject
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	switch {
	case err != nil:
		return failTransfer, fmt.Errorf("reading %s on the partner: %v", remote, err)
	case int64(len(data)) > limit:
		return failTransfer, fmt.Errorf("%s is larger than the emulator's S3 bound of %d bytes", remote, limit)
	}
	bucket, prefix := s3Path(localDir)
	key := strings.TrimPrefix(prefix+"/"+path.Base(remote), "/")
	if err := checkS3Key(key); err != nil {
		return failTransfer, err
	}
	if err := e.s3.put(bucket, key, data); err != nil {
		return failTransfer, err
	}
	return "", nil
}

type listFileTransferResultsInput struct {
	listInput
	ConnectorID string `json:"ConnectorId"`
	TransferID  string `json:"TransferId"`
}

type listFileTransferResultsOutput struct {
	FileTransferResults []fileResult
	NextToken           string `json:",omitempty"`
}

// listFileTransferResults pages through the results of a transfer of the connector, in the order
// of the request's paths, for 7 days after StartFileTransfer.
func (e *Emulator) listFileTransferResults(regionName string, in *listFileTransferResultsInput) (any, error) {
	files := func() (*records[fileResult], error) {
		if _, err := e.connectorsIn(regionName).get(in.ConnectorID); err != nil {
			return nil, err
		}
		ft, err := e.regionLocked(regionName).fileTransfers.get(transferKey(in.ConnectorID, in.TransferID))
		if err == nil && !e.clock.Now().Before(ft.started.Add(transferResultsKept)) {
			err = errNotFound("FileTransfer", in.TransferID, "Unknown transfer")
		}
		if err != nil {
			return nil, err
		}
		return &ft.files, nil
	}
	results, next, err := list(e, in.listInput, "ListFileTransferResults", transferKey(in.ConnectorID, in.TransferID), files, func(r *fileResult) fileResult { return *r })
	if err != nil {
		return nil, err
	}
	return listFileTransferResultsOutput{FileTransferResults: results, NextToken: next}, nil
}

type startDirectoryListingInput struct {
	ConnectorID         string `json:"ConnectorId"`
	RemoteDirectoryPath string
	OutputDirectoryPath string
	MaxItems            *int
}

type startDirectoryListingOutput struct {
	ListingID      string `json:"ListingId"`
	OutputFileName string
}

// directoryListing is the output file of StartDirectoryListing: SDK StartDirectoryListing lists
// filePath, modifiedTimestamp ("in UTC time format"), size, path and truncated; the emulator
// writes files and directories as {"files":[...],"paths":[...],"truncated":...}.
type directoryListing struct {
	Files     []listedFile `json:"files"`
	Paths     []listedPath `json:"paths"`
	Truncated bool         `json:"truncated"`
}

type listedFile struct {
	FilePath          string `json:"filePath"`
	ModifiedTimestamp string `json:"modifiedTimestamp,omitempty"`
	Size              *int64 `json:"size,omitempty"`
}

type listedPath struct {
	Path string `json:"path"`
}

// startDirectoryListing lists a directory of the partner, one level deep and at most MaxItems
// entries, in the background, and writes the listing to OutputDirectoryPath in S3 as
// "connector-ID-listing-ID.json" (SDK: "The naming convention for the output file is
// connector-ID-listing-ID.json"). A listing that fails writes no file; the emulator logs why.
func (e *Emulator) startDirectoryListing(regionName string, in *startDirectoryListingInput) (any, error) {
	t, err := e.sftpTarget(regionName, in.ConnectorID, "StartDirectoryListing")
	if err != nil {
		return nil, err
	}
	if t.status == ConnectorErrored {
		return nil, errInvalidRequest("Connector %s is ERRORED: %s", t.connectorID, t.errorMessage)
	}
	bucket, prefix := s3Path(in.OutputDirectoryPath)
	if bucket == "" {
		return nil, errInvalidRequest("OutputDirectoryPath %q is not an S3 path, /bucket/prefix", in.OutputDirectoryPath)
	}
	maxItems := defaultListingItems
	if in.MaxItems != nil {
		maxItems = *in.MaxItems
	}
	e.mu.Lock()
	listingID := e.uuidLocked()
	e.mu.Unlock()
	name := in.ConnectorID + "-" + listingID + ".json"
	key := strings.TrimPrefix(prefix+"/"+name, "/")
	e.runs.wg.Go(func() {
		listing, err := e.listDirectory(t, in.RemoteDirectoryPath, maxItems)
		if err == nil {
			var doc []byte
			doc, _ = json.Marshal(listing)
			err = e.s3.put(bucket, key, doc)
		}
		if err != nil {
			e.logf("connector %s (%s): directory listing %s of %s failed: %v", t.connectorID, regionName, listingID, in.RemoteDirectoryPath, err)
			return
		}
		e.logf("connector %s (%s): directory listing %s of %s written to s3://%s/%s", t.connectorID, regionName, listingID, in.RemoteDirectoryPath, bucket, key)
	})
	return startDirectoryListingOutput{ListingID: listingID, OutputFileName: name}, nil
}

// listDirectory reads a directory of the partner: files with their size and modification time,
// directories, and whether more entries than maxItems were left out.
func (e *Emulator) listDirectory(t connectorTarget, dir string, maxItems int) (directoryListing, error) {
	session, _, err := e.connect(e.runs.ctx, t, true)
	if err != nil {
		return directoryListing{}, err
	}
	defer session.Close()
	entries, err := session.sftp.ReadDir(dir)
	if err != nil {
		return directoryListing{}, fmt.Errorf("listing %s on the partner: %v", dir, err)
	}
	slices.SortFunc(entries, func(a, b os.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
	out := directoryListing{Files: []listedFile{}, Paths: []listedPath{}, Truncated: len(entries) > maxItems}
	for _, fi := range entries[:min(len(entries), maxItems)] {
		full := path.Join(dir, fi.Name())
		if fi.IsDir() {
			out.Paths = append(out.Paths, listedPath{Path: full})
			continue
		}
		size := fi.Size()
		out.Files = append(out.Files, listedFile{FilePath: full, ModifiedTimestamp: fi.ModTime().UTC().Format(time.RFC3339), Size: &size})
	}
	return out, nil
}

// logf writes a line to the data plane's log, when there is one.
func (e *Emulator) logf(format string, args ...any) {
	if e.dp != nil {
		e.dp.logf(format, args...)
	}
}
