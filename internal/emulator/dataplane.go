package emulator

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// DataPlaneOptions turns on the data plane of a listening emulator (Listen,
// Start): every SFTP server gets an SSH listener of its own on 127.0.0.1,
// service-managed users log in with their SSH keys, and files land in an
// in-process S3, served over the S3 API too, or in local directories
// standing for EFS file systems. docs/emulator.md describes it.
type DataPlaneOptions struct {
	// S3Listen is the address of the S3 API; "127.0.0.1:0" when empty.
	S3Listen string
	// Buckets are created at start; others are created by their first
	// upload, directory or S3 request.
	Buckets []string
	// EFSRoot is the directory holding one subdirectory per EFS file system
	// ID; when empty, a temporary directory removed by Close.
	EFSRoot string
	// MaxObjectSize is the largest file, in bytes, an SFTP upload writes
	// (on S3 or EFS) and the largest object the S3 API stores;
	// DefaultMaxObjectSize when zero, at most S3's 5 TiB. Larger writes fail
	// with SSH_FX_FAILURE, larger S3 uploads with EntityTooLarge; S3's
	// 5 GiB bound on one PUT or part holds whatever the value.
	MaxObjectSize int64
	// Logf receives one line for each listener opened or closed, each
	// login accepted or refused and each workflow execution started or
	// ended; nil discards them.
	Logf func(format string, args ...any)
	// CustomStepEndpoint is the URL a workflow's CUSTOM step POSTs its
	// event to, in place of invoking the step's Lambda function
	// (executions.go); without it a CUSTOM step fails.
	CustomStepEndpoint string
}

// sshServerVersion is the identification string Transfer Family's SFTP
// endpoints send.
const sshServerVersion = "SSH-2.0-AWS_SFTP_1.1"

// handshakeTimeout bounds an SSH handshake and login, so that a client that
// connects and says nothing does not hold a connection forever.
const handshakeTimeout = time.Minute

// dataPlane serves the emulated servers' SFTP endpoints and the S3 API.
type dataPlane struct {
	e    *Emulator
	logf func(format string, args ...any)
	// maxObjectSize bounds SFTP uploads and S3 objects (DataPlaneOptions.MaxObjectSize).
	maxObjectSize int64

	s3       *s3Storage
	s3Ln     net.Listener
	s3Server *http.Server
	efs      *efsStorage
	// efsTemp is EFSRoot when the data plane created it.
	efsTemp string

	// customEndpoint is DataPlaneOptions.CustomStepEndpoint.
	customEndpoint string
	// stop ends the executions still running when the data plane closes.
	stop   context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	endpoints map[serverKey]*sftpEndpoint
	closed    bool
	wg        sync.WaitGroup
}

// serverKey names a server across accounts and regions.
type serverKey struct{ account, region, serverID string }

// sftpEndpoint is one server's SSH listener and its open connections.
type sftpEndpoint struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// SFTPEndpoint is where one emulated server accepts SFTP connections.
type SFTPEndpoint struct {
	Account  string
	Region   string
	ServerID string `json:"ServerId"`
	// Address is host:port on 127.0.0.1.
	Address string
}

// DataPlaneInfo is what the data plane serves, for the admin API.
type DataPlaneInfo struct {
	// S3Endpoint is the URL of the S3 API (path-style).
	S3Endpoint string
	// EFSRoot is the directory holding the EFS file systems.
	EFSRoot string
	// SFTP lists the SFTP endpoints, by region and server ID.
	SFTP []SFTPEndpoint
	// EFSOwners are the POSIX owners recorded for files SFTP users created
	// on EFS servers.
	EFSOwners []FileOwner
}

func startDataPlane(e *Emulator, opts DataPlaneOptions) (*dataPlane, error) {
	maxSize, err := maxObjectSize(opts)
	if err != nil {
		return nil, err
	}
	d := &dataPlane{e: e, logf: opts.Logf, maxObjectSize: maxSize, s3: e.s3, endpoints: map[serverKey]*sftpEndpoint{}, customEndpoint: opts.CustomStepEndpoint}
	if d.logf == nil {
		d.logf = func(string, ...any) {}
	}
	for _, b := range opts.Buckets {
		if err := d.s3.createBucket(b); err != nil {
			return nil, err
		}
	}
	root := opts.EFSRoot
	if root == "" {
		dir, err := os.MkdirTemp("", "transfer-emulator-efs-")
		if err != nil {
			return nil, err
		}
		root, d.efsTemp = dir, dir
	} else if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("EFS root: %w", err)
	}
	if d.efs, err = newEFSStorage(root); err != nil {
		d.removeTemp()
		return nil, err
	}
	addr := opts.S3Listen
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = d.efs.close()
		d.removeTemp()
		return nil, fmt.Errorf("S3 API listener: %w", err)
	}
	d.s3Ln = ln
	d.stop, d.cancel = context.WithCancel(context.Background())
	// One handler for both listeners, so that a multipart upload's parts count wherever they
	// arrive; the bound is set before either serves a request.
	e.s3API.maxObject = maxSize
	d.s3Server = &http.Server{Handler: e.s3API, ReadHeaderTimeout: 10 * time.Second}
	d.wg.Go(func() { _ = d.s3Server.Serve(ln) })
	d.logf("S3 API on %s, EFS file systems under %s", d.s3URL(), root)
	return d, nil
}

func (d *dataPlane) s3URL() string { return "http://" + d.s3Ln.Addr().String() }

// serverCreated opens the SSH listener of a new server; it is called with
// e.mu held. The listener lives as long as the server, so its port stays
// the same across StopServer and StartServer, as an endpoint's host name
// does in AWS; whether a connection is served is decided when it arrives.
func (d *dataPlane) serverCreated(account, region, serverID string) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		d.logf("server %s (%s): no SFTP listener: %v", serverID, region, err)
		return
	}
	ep := &sftpEndpoint{ln: ln, conns: map[net.Conn]struct{}{}}
	key := serverKey{account, region, serverID}
	d.endpoints[key] = ep
	d.logf("server %s (%s): SFTP on %s", serverID, region, ln.Addr())
	d.wg.Go(func() { d.accept(key, ep) })
}

// serverDeleted closes a deleted server's listener and connections; it is
// called with e.mu held.
func (d *dataPlane) serverDeleted(account, region, serverID string) {
	if d == nil {
		return
	}
	key := serverKey{account, region, serverID}
	d.mu.Lock()
	ep := d.endpoints[key]
	delete(d.endpoints, key)
	d.mu.Unlock()
	if ep != nil {
		ep.close()
		d.logf("server %s (%s): deleted; SFTP listener %s closed", serverID, region, ep.ln.Addr())
	}
}

func (ep *sftpEndpoint) close() {
	_ = ep.ln.Close()
	ep.mu.Lock()
	defer ep.mu.Unlock()
	for c := range ep.conns {
		_ = c.Close()
	}
}

// endpoint returns the SFTP address of a server of account.
func (d *dataPlane) endpoint(account, region, serverID string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ep, ok := d.endpoints[serverKey{account, region, serverID}]
	if !ok {
		return "", false
	}
	return ep.ln.Addr().String(), true
}

func (d *dataPlane) info() DataPlaneInfo {
	d.mu.Lock()
	keys := slices.SortedFunc(maps.Keys(d.endpoints), func(a, b serverKey) int {
		if a.account != b.account {
			return compareStrings(a.account, b.account)
		}
		if a.region != b.region {
			return compareStrings(a.region, b.region)
		}
		return compareStrings(a.serverID, b.serverID)
	})
	out := DataPlaneInfo{S3Endpoint: d.s3URL(), EFSRoot: d.efs.dir, SFTP: []SFTPEndpoint{}}
	for _, k := range keys {
		out.SFTP = append(out.SFTP, SFTPEndpoint{Account: k.account, Region: k.region, ServerID: k.serverID, Address: d.endpoints[k].ln.Addr().String()})
	}
	d.mu.Unlock()
	out.EFSOwners = d.efs.recordedOwners()
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// close stops every listener and connection and waits for them.
func (d *dataPlane) close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	eps := slices.Collect(maps.Values(d.endpoints))
	d.endpoints = map[serverKey]*sftpEndpoint{}
	d.mu.Unlock()
	for _, ep := range eps {
		ep.close()
	}
	d.cancel()
	err := d.s3Server.Close()
	d.wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	err = errors.Join(err, d.efs.close())
	d.removeTemp()
	return err
}

func (d *dataPlane) removeTemp() {
	if d.efsTemp != "" {
		_ = os.RemoveAll(d.efsTemp)
	}
}

func (d *dataPlane) accept(key serverKey, ep *sftpEndpoint) {
	for {
		conn, err := ep.ln.Accept()
		if err != nil {
			return
		}
		ep.mu.Lock()
		ep.conns[conn] = struct{}{}
		ep.mu.Unlock()
		d.wg.Go(func() {
			defer func() {
				_ = conn.Close()
				ep.mu.Lock()
				delete(ep.conns, conn)
				ep.mu.Unlock()
			}()
			d.serveConn(key, conn)
		})
	}
}

// serving returns the server's record if it serves SFTP now: it exists, is
// ONLINE and has the SFTP protocol. SDK StopServer: "The state of OFFLINE is
// a non-operational state"; a server that is STARTING or STOPPING is not
// serving either.
func (d *dataPlane) serving(key serverKey) (ServerRecord, error) {
	a := d.e.account(key.account)
	a.mu.Lock()
	defer a.mu.Unlock()
	s, err := a.serverLocked(key.region, key.serverID)
	if err != nil {
		return ServerRecord{}, errors.New("server deleted")
	}
	if s.rec.State != StateOnline {
		return ServerRecord{}, fmt.Errorf("server is %s", s.rec.State)
	}
	if !slices.Contains(s.rec.Protocols, protocolSFTP) {
		return ServerRecord{}, errors.New("server does not have the SFTP protocol")
	}
	return s.rec.clone(), nil
}

// serveConn refuses a connection to a server that is not serving by closing
// it before the SSH handshake, and otherwise runs one SSH connection.
func (d *dataPlane) serveConn(key serverKey, conn net.Conn) {
	rec, err := d.serving(key)
	if err != nil {
		d.logf("server %s (%s): connection from %s refused: %v", key.serverID, key.region, conn.RemoteAddr(), err)
		return
	}
	cfg := &ssh.ServerConfig{
		ServerVersion: sshServerVersion,
		PublicKeyCallback: func(meta ssh.ConnMetadata, pub ssh.PublicKey) (*ssh.Permissions, error) {
			return nil, d.authorize(key, meta.User(), pub)
		},
	}
	if banner := rec.PreAuthenticationLoginBanner; banner != "" {
		cfg.BannerCallback = func(ssh.ConnMetadata) string { return banner + "\n" }
	}
	for _, signer := range hostSigners(rec) {
		cfg.AddHostKey(signer)
	}
	_ = conn.SetDeadline(time.Now().Add(handshakeTimeout))
	sconn, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	_ = conn.SetDeadline(time.Time{})
	if err != nil {
		d.logf("server %s (%s): login refused: %v", key.serverID, key.region, err)
		return
	}
	defer sconn.Close()
	go ssh.DiscardRequests(reqs)
	sessionID := fmt.Sprintf("%016x", rand.Uint64())
	d.logf("server %s (%s): %s logged in (session %s)", key.serverID, key.region, sconn.User(), sessionID)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels are served")
			continue
		}
		ch, requests, err := nc.Accept()
		if err != nil {
			return
		}
		d.wg.Go(func() { d.serveSession(key, sconn.User(), sessionID, ch, requests) })
	}
}

// authorize accepts a public key of a service-managed user of a serving
// server. Only public keys are taken: SDK
// IdentityProviderDetails.SftpAuthenticationMethods applies to custom
// identity providers only, and a service-managed user has no password
// (CreateUser takes none). Users of custom identity providers (API Gateway,
// Lambda, Directory Service) are not emulated and cannot log in.
func (d *dataPlane) authorize(key serverKey, userName string, pub ssh.PublicKey) error {
	a := d.e.account(key.account)
	a.mu.Lock()
	defer a.mu.Unlock()
	s, err := a.serverLocked(key.region, key.serverID)
	if err != nil || s.rec.State != StateOnline {
		return errors.New("server is not online")
	}
	if s.rec.IdentityProviderType != idpServiceManaged {
		return fmt.Errorf("identity provider %s is not emulated", s.rec.IdentityProviderType)
	}
	u, ok := s.users.lookup(userName)
	if !ok {
		return fmt.Errorf("no user %s", userName)
	}
	offered := pub.Type() + " " + base64.StdEncoding.EncodeToString(pub.Marshal())
	for _, k := range u.SSHPublicKeys {
		if _, identity, err := parseUserKey(k.SSHPublicKeyBody); err == nil && identity == offered {
			return nil
		}
	}
	return fmt.Errorf("key %s is not a key of user %s", ssh.FingerprintSHA256(pub), userName)
}

// serveSession answers a session channel's requests: the "sftp" subsystem is
// served, shells, commands and terminals are refused (Transfer Family
// endpoints serve file transfer only).
func (d *dataPlane) serveSession(key serverKey, userName, sessionID string, ch ssh.Channel, requests <-chan *ssh.Request) {
	defer ch.Close()
	for req := range requests {
		if req.Type != "subsystem" || len(req.Payload) < 4 || string(req.Payload[4:]) != "sftp" {
			_ = req.Reply(false, nil)
			continue
		}
		session, err := d.session(key, userName, sessionID)
		if err != nil {
			d.logf("server %s (%s): %s: %v", key.serverID, key.region, userName, err)
			_ = req.Reply(false, nil)
			continue
		}
		_ = req.Reply(true, nil)
		go ssh.DiscardRequests(requests)
		guard := &sftpGuard{h: session, maxSize: d.maxObjectSize, logf: d.logf}
		server := sftp.NewRequestServer(ch, guard.handlers(), sftp.WithStartDirectory(session.view.home))
		_ = server.Serve()
		_ = server.Close()
		return
	}
}

// session returns the SFTP session of a logged-in user, on the storage of
// the server's domain; its uploads run the server's workflows
// (executions.go) as of the SSH session sessionID.
func (d *dataPlane) session(key serverKey, userName, sessionID string) (*sftpSession, error) {
	a := d.e.account(key.account)
	a.mu.Lock()
	defer a.mu.Unlock()
	s, err := a.serverLocked(key.region, key.serverID)
	if err != nil {
		return nil, err
	}
	u, ok := s.users.lookup(userName)
	if !ok {
		return nil, fmt.Errorf("user %s was deleted", userName)
	}
	session := &sftpSession{view: newHomeView(*u), store: d.s3, noOpSetStat: s.rec.ProtocolDetails.SetStatOption == "ENABLE_NO_OP"}
	domain := s.rec.Domain
	session.uploaded = func(root, objKey string, partial bool) {
		d.uploaded(key, userName, sessionID, fileRef{domain: domain, root: root, key: objKey}, partial)
	}
	if domain == domainEFS {
		session.store = d.efs
		if u.PosixProfile != nil {
			p := *u.PosixProfile
			session.owner = &p
		}
	}
	return session, nil
}

// hostSigners returns the host keys a server presents, every one of them:
// an SSH client accepts the server if it knows any. A key that does not
// parse is skipped (the API refused it on import). ssh.ServerConfig keeps
// one key per algorithm, the last one added, so a list holding several keys
// of a type must end with the one to present (user guide, "Add an additional
// server host key": "The oldest key for each key type (RSA, ECDSA, or
// ED25519) is the active key for the server for that type").
func hostSigners(rec ServerRecord) []ssh.Signer {
	signers := make([]ssh.Signer, 0, len(rec.HostKeys))
	// Newest first, so that the oldest key of each type is added last and presented.
	for i := len(rec.HostKeys) - 1; i >= 0; i-- {
		if s := rec.HostKeys[i].signer; s != nil {
			signers = append(signers, s)
		}
	}
	return signers
}
