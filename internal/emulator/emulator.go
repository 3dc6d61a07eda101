package emulator

import (
	"bytes"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"
)

const (
	// DefaultAccountID is the account the emulator's ARNs belong to unless
	// Options.AccountID says otherwise.
	DefaultAccountID = "111122223333"
	// AdminPrefix is the path under which the emulator serves its test
	// controls as JSON (see admin.go and docs/emulator.md).
	AdminPrefix = "/_emulator/"

	defaultRegion   = "us-east-1"
	jsonContentType = "application/x-amz-json-1.1"
	maxRequestBody  = 8 << 20
)

// Options configures an Emulator. The zero value is a usable configuration.
type Options struct {
	// AccountID is the 12-digit account in ARNs; DefaultAccountID when empty.
	AccountID string
	// TransitionDelay is how long STARTING and STOPPING last; zero completes
	// every transition at once.
	TransitionDelay time.Duration
	// Clock drives transitions, the rate limiter and signature expiry; the
	// system clock when nil. Tests step a k8s.io/utils/clock/testing
	// FakeClock through STARTING and STOPPING without sleeping.
	Clock clock.PassiveClock
	// StrictSigV4, when set, makes the emulator verify every request's SigV4
	// signature against these credentials and reject the others as AWS does.
	// When nil, signatures are not checked (the region is still taken from
	// the credential scope).
	StrictSigV4 *Credentials
	// Seed makes generated IDs, random fault decisions and generated
	// secrets (host keys, STS secret keys and session tokens) reproducible.
	// Zero seeds IDs and faults from the time and draws secrets from
	// crypto/rand, so that they cannot be derived from the IDs.
	Seed int64
	// DataPlane, when set, makes Listen and Start serve SFTP, and S3 on a
	// port of its own too (dataplane.go); New ignores it. S3 is served on
	// the main listener either way.
	DataPlane *DataPlaneOptions
}

// Emulator is an in-memory AWS Transfer Family service speaking awsJson1_1.
// It is an http.Handler and is safe for concurrent use.
type Emulator struct {
	accountID string
	delay     time.Duration
	clock     clock.PassiveClock
	strict    *Credentials

	mu      sync.Mutex // guards regions, rng and secrets
	regions map[string]*region
	rng     *rand.Rand
	// secrets is the source of generated host keys (secretSource).
	secrets io.Reader

	requestSeq  atomic.Uint64
	requestSalt uint64
	tokenKey    []byte
	faults      *faults
	calls       *callRecorder
	admin       http.Handler
	// dp is the data plane of a listening emulator with
	// Options.DataPlane; nil otherwise. Set before the first request.
	dp *dataPlane
	// s3 is the S3 store every account shares: the data plane's S3 domain,
	// served over the S3 API by s3API on the main listener and on the data
	// plane's S3 port.
	s3    *s3Storage
	s3API *s3Limits
	// runs are the connectors' file transfers and listings in progress
	// (connector_dataplane.go), which Close ends.
	runs *backgroundRuns

	// seed is the seed of the random sources, from which each account's
	// is derived.
	seed uint64
	// secretSeed is Options.Seed, from which each account's secret source
	// is derived; zero for crypto/rand.
	secretSeed int64
	// accounts holds the accounts other than accountID that requests have
	// reached (accounts.go); nil in the Emulator of such an account.
	accounts *accountSet
	// owner is the Emulator of Options.AccountID, which holds the other
	// accounts: itself there, and the same in the Emulator of every account.
	owner *Emulator
	// sts holds the roles and the credentials AssumeRole issued (sts_roles.go);
	// nil in the Emulator of an account other than accountID.
	sts *stsState
}

// New returns an Emulator holding no resources.
func New(opts Options) *Emulator {
	seed := uint64(opts.Seed)
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	e := &Emulator{
		accountID:   opts.AccountID,
		delay:       opts.TransitionDelay,
		clock:       opts.Clock,
		strict:      opts.StrictSigV4,
		regions:     map[string]*region{},
		rng:         rand.New(rand.NewPCG(seed, 0x5472616e73666572)),
		secrets:     secretSource(opts.Seed, 0x5472616e73666572),
		requestSalt: seed,
		calls:       newCallRecorder(),
		seed:        seed,
		secretSeed:  opts.Seed,
		accounts:    &accountSet{byID: map[string]*Emulator{}},
		s3:          newS3Storage(),
		runs:        newBackgroundRuns(),
	}
	e.s3API = newS3Limits(e.s3.s3Handler(), DefaultMaxObjectSize)
	if e.accountID == "" {
		e.accountID = DefaultAccountID
	}
	e.owner = e
	if e.clock == nil {
		e.clock = clock.RealClock{}
	}
	e.tokenKey = readSecret(e.secrets, 32)
	e.faults = newFaults(rand.New(rand.NewPCG(seed, 0x4661756c7473)))
	e.sts = newSTSState(rand.New(rand.NewPCG(seed, 0x535453)), secretSource(opts.Seed, 0x535453))
	e.admin = newAdminHandler(e)
	return e
}

// operation is one implemented API operation.
type operation struct {
	// write marks operations that change resources.
	write bool
	run   func(e *Emulator, region string, body []byte) (any, error)
}

// operations are the implemented operations by name.
var operations = map[string]operation{
	"CreateServer":            {true, handler((*Emulator).createServer)},
	"DescribeServer":          {false, handler((*Emulator).describeServer)},
	"UpdateServer":            {true, handler((*Emulator).updateServer)},
	"DeleteServer":            {true, handler((*Emulator).deleteServer)},
	"StartServer":             {true, handler((*Emulator).startServer)},
	"StopServer":              {true, handler((*Emulator).stopServer)},
	"ListServers":             {false, handler((*Emulator).listServers)},
	"CreateUser":              {true, handler((*Emulator).createUser)},
	"DescribeUser":            {false, handler((*Emulator).describeUser)},
	"UpdateUser":              {true, handler((*Emulator).updateUser)},
	"DeleteUser":              {true, handler((*Emulator).deleteUser)},
	"ListUsers":               {false, handler((*Emulator).listUsers)},
	"CreateAccess":            {true, handler((*Emulator).createAccess)},
	"DescribeAccess":          {false, handler((*Emulator).describeAccess)},
	"UpdateAccess":            {true, handler((*Emulator).updateAccess)},
	"DeleteAccess":            {true, handler((*Emulator).deleteAccess)},
	"ListAccesses":            {false, handler((*Emulator).listAccesses)},
	"ImportSshPublicKey":      {true, handler((*Emulator).importSSHPublicKey)},
	"DeleteSshPublicKey":      {true, handler((*Emulator).deleteSSHPublicKey)},
	"ImportHostKey":           {true, handler((*Emulator).importHostKey)},
	"DescribeHostKey":         {false, handler((*Emulator).describeHostKey)},
	"UpdateHostKey":           {true, handler((*Emulator).updateHostKey)},
	"DeleteHostKey":           {true, handler((*Emulator).deleteHostKey)},
	"ListHostKeys":            {false, handler((*Emulator).listHostKeys)},
	"TagResource":             {true, handler((*Emulator).tagResource)},
	"UntagResource":           {true, handler((*Emulator).untagResource)},
	"ListTagsForResource":     {false, handler((*Emulator).listTagsForResource)},
	"CreateWorkflow":          {true, handler((*Emulator).createWorkflow)},
	"DescribeWorkflow":        {false, handler((*Emulator).describeWorkflow)},
	"DeleteWorkflow":          {true, handler((*Emulator).deleteWorkflow)},
	"ListWorkflows":           {false, handler((*Emulator).listWorkflows)},
	"ListExecutions":          {false, handler((*Emulator).listExecutions)},
	"DescribeExecution":       {false, handler((*Emulator).describeExecution)},
	"SendWorkflowStepState":   {true, handler((*Emulator).sendWorkflowStepState)},
	"CreateConnector":         {true, handler((*Emulator).createConnector)},
	"DescribeConnector":       {false, handler((*Emulator).describeConnector)},
	"UpdateConnector":         {true, handler((*Emulator).updateConnector)},
	"DeleteConnector":         {true, handler((*Emulator).deleteConnector)},
	"ListConnectors":          {false, handler((*Emulator).listConnectors)},
	"TestConnection":          {false, handler((*Emulator).testConnection)},
	"StartFileTransfer":       {true, handler((*Emulator).startFileTransfer)},
	"ListFileTransferResults": {false, handler((*Emulator).listFileTransferResults)},
	"StartDirectoryListing":   {true, handler((*Emulator).startDirectoryListing)},
}

// handler adapts a typed operation to the operation table: the body is
// first validated against the model, then decoded into In.
func handler[In any](f func(*Emulator, string, *In) (any, error)) func(*Emulator, string, []byte) (any, error) {
	return func(e *Emulator, region string, body []byte) (any, error) {
		in := new(In)
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, errSerialization(err.Error())
			}
		}
		return f(e, region, in)
	}
}

// ServeHTTP answers one awsJson1_1 request (POST / with X-Amz-Target
// "TransferService.<Operation>"), one EC2 query request (see ec2_query.go), one STS
// query request (see sts_query.go), one S3 REST request (signed for s3, see s3.go), one
// Secrets Manager request (see secretsmanager_protocol.go), or an admin request under
// AdminPrefix. Transfer, EC2 and Secrets Manager requests are
// served in the account of their signing credentials (accounts.go); S3 is one store for all.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, AdminPrefix):
		e.admin.ServeHTTP(w, r)
	case isSTSRequest(r):
		e.serveSTS(w, r)
	case isEC2Request(r):
		e.serveEC2(w, r)
	case isS3Request(r):
		e.serveS3(w, r)
	case isSecretsManagerRequest(r):
		e.serveSecretsManager(w, r)
	default:
		e.serveTransfer(w, r)
	}
}

// serveTransfer answers one awsJson1_1 request.
func (e *Emulator) serveTransfer(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", e.requestID())
	opName := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), model.Metadata.TargetPrefix+".")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		e.answerError(w, "", opName, errSerialization("cannot read request body: "+err.Error()))
		return
	}
	caller, aerr := e.authenticate(r, body, transferSigningName)
	if aerr != nil {
		e.answerError(w, "", opName, aerr)
		return
	}
	account := caller.account
	op, ok := operations[opName]
	if !ok || r.Method != http.MethodPost {
		e.answerError(w, account, opName, unknownOperation(r, opName))
		return
	}
	out, ok := e.runFaulted(w, r, account, opName, transferDialect(e), func() (any, error) {
		if err := validateInput(opName, body); err != nil {
			return nil, err
		}
		return op.run(e.account(account), requestRegion(r), body)
	})
	if !ok {
		return
	}
	if out == nil {
		out = struct{}{}
	}
	writeJSON(w, http.StatusOK, out)
}

// unknownOperation is the answer for a target the emulator does not serve:
// a malformed target, an operation of the model it does not implement, or a
// name that is not in the model at all.
func unknownOperation(r *http.Request, opName string) *apiError {
	switch {
	case r.Method != http.MethodPost:
		return errUnknownOperation("only POST / is served")
	case opName == "":
		return errUnknownOperation("missing X-Amz-Target header")
	case model.inputShape(opName) != nil:
		return errUnknownOperation(fmt.Sprintf("operation %s is in the service model but not implemented by the emulator", opName))
	default:
		return errUnknownOperation(fmt.Sprintf("unknown operation %s", opName))
	}
}

// answerError answers a Transfer call served in account ("" when its
// credentials were refused) with aerr.
// transferDialect answers Transfer's awsJson1_1 errors; an injected failure is already one.
func transferDialect(e *Emulator) dialect {
	return dialect{
		answerError: e.answerError,
		injected:    func(aerr *apiError) *apiError { return aerr },
		internal: func(msg string) *apiError {
			return &apiError{Code: CodeInternalError, Status: http.StatusInternalServerError, Message: msg}
		},
	}
}

func (e *Emulator) answerError(w http.ResponseWriter, account, opName string, aerr *apiError) {
	e.calls.record(account, opName, aerr.Code)
	w.Header().Set("x-amzn-ErrorType", aerr.Code)
	writeJSON(w, aerr.Status, aerr.body())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", jsonContentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// requestID returns a unique, UUID-shaped request ID.
func (e *Emulator) requestID() string {
	x := splitmix(e.requestSalt ^ e.requestSeq.Add(1))
	y := splitmix(x)
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(x>>32), uint16(x>>16), uint16(x)&0xfff,
		uint16(y>>48)&0x3fff|0x8000, y&0xffffffffffff)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// secretSource returns the source of generated secrets: crypto/rand, or,
// with a seed (Options.Seed, for reproducible tests), the ChaCha8 stream of
// seed and stream, which each holder reads under its own lock (a ChaCha8 is
// not safe for concurrent use).
func secretSource(seed int64, stream uint64) io.Reader {
	if seed == 0 {
		return crand.Reader
	}
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:8], uint64(seed))
	binary.LittleEndian.PutUint64(key[8:16], stream)
	return rand.NewChaCha8(key)
}

// readSecret returns n bytes of source, a secretSource (whose reads do not
// fail: crypto/rand's Read never returns an error, nor does ChaCha8's).
func readSecret(source io.Reader, n int) []byte {
	b := make([]byte, n)
	_, _ = io.ReadFull(source, b)
	return b
}

// randomHex returns n random lowercase hex digits; e.mu must be held.
func (e *Emulator) randomHex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[e.rng.IntN(16)]
	}
	return string(b)
}
