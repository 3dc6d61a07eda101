package emulator_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/aws/smithy-go"
	"golang.org/x/crypto/ssh"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

const (
	testRegion    = "us-east-1"
	testAccessKey = "AKIDEMULATORTEST"
	testSecretKey = "emulator-test-secret"
	testRole      = "arn:aws:iam::111122223333:role/transfer-user"
)

// startEmulator runs an emulator for the test and stops it when the test
// ends.
func startEmulator(t testing.TB, opts emulator.Options) *emulator.Server {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	srv, err := emulator.Start(opts)
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close emulator: %v", err)
		}
	})
	return srv
}

// clientOption adjusts the SDK client of a test.
type clientOption func(*transfer.Options)

// noRetries makes the client give up after the first attempt.
func noRetries(o *transfer.Options) { o.Retryer = aws.NopRetryer{} }

// fastRetries keeps the SDK's standard retryer (retryable codes, throttling
// and connection errors, retry quota) with up to n attempts and a 1ms
// backoff, so retry tests do not sleep for seconds.
func fastRetries(n int) clientOption {
	return func(o *transfer.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = n
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
	}
}

// withCredentials signs requests with the given key pair.
func withCredentials(akid, secret string) clientOption {
	return func(o *transfer.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(akid, secret, "")
	}
}

// newClient returns the unmodified SDK transfer client pointed at url.
func newClient(url, region string, opts ...clientOption) *transfer.Client {
	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
		BaseEndpoint: aws.String(url),
	}
	return transfer.NewFromConfig(cfg, func(o *transfer.Options) {
		for _, opt := range opts {
			opt(o)
		}
	})
}

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantAPIError fails the test unless err is an API error with code whose
// message contains every fragment.
func wantAPIError(t testing.TB, err error, code string, fragments ...string) smithy.APIError {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got error %v, want API error %s", err, code)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("got error code %s (%s), want %s", apiErr.ErrorCode(), apiErr.ErrorMessage(), code)
	}
	for _, f := range fragments {
		if !strings.Contains(apiErr.ErrorMessage(), f) {
			t.Fatalf("error message %q does not mention %q", apiErr.ErrorMessage(), f)
		}
	}
	return apiErr
}

// httpStatus returns the HTTP status of the response an SDK error came
// from, or 0 when there was none.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func mustNoErr(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// createServer creates a default SFTP server and returns its ID.
func createServer(t testing.TB, c *transfer.Client, in *transfer.CreateServerInput) string {
	t.Helper()
	if in == nil {
		in = &transfer.CreateServerInput{}
	}
	out, err := c.CreateServer(ctxT(t), in)
	mustNoErr(t, err, "CreateServer")
	return aws.ToString(out.ServerId)
}

func describeServer(t testing.TB, c *transfer.Client, id string) *types.DescribedServer {
	t.Helper()
	out, err := c.DescribeServer(ctxT(t), &transfer.DescribeServerInput{ServerId: aws.String(id)})
	mustNoErr(t, err, "DescribeServer")
	return out.Server
}

func createUser(t testing.TB, c *transfer.Client, serverID, name string) {
	t.Helper()
	_, err := c.CreateUser(ctxT(t), &transfer.CreateUserInput{
		ServerId: aws.String(serverID), UserName: aws.String(name), Role: aws.String(testRole),
	})
	mustNoErr(t, err, "CreateUser "+name)
}

// vpcServer is a CreateServer input for a server in a VPC with the given
// number of subnets.
func vpcServer(subnets int) *transfer.CreateServerInput {
	ids := make([]string, subnets)
	for i := range ids {
		ids[i] = "subnet-0000000" + string(rune('a'+i))
	}
	return &transfer.CreateServerInput{
		EndpointType:    types.EndpointTypeVpc,
		EndpointDetails: &types.EndpointDetails{VpcId: aws.String("vpc-0123456789abcdef0"), SubnetIds: ids},
	}
}

// newUserKey returns a fresh ED25519 public key in authorized_keys format.
func newUserKey(t testing.TB, comment string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	mustNoErr(t, err, "generate key")
	sshPub, err := ssh.NewPublicKey(pub)
	mustNoErr(t, err, "ssh public key")
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " " + comment
}

// newHostKey returns an OpenSSH-format ED25519 private key and the
// fingerprint ssh-keygen -l reports for it.
func newHostKey(t testing.TB) (pemText, fingerprint string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	mustNoErr(t, err, "generate host key")
	block, err := ssh.MarshalPrivateKey(priv, "")
	mustNoErr(t, err, "marshal host key")
	signer, err := ssh.NewSignerFromKey(priv)
	mustNoErr(t, err, "signer")
	return string(pem.EncodeToMemory(block)), ssh.FingerprintSHA256(signer.PublicKey())
}

// rawCall posts body to the emulator as operation op without the SDK and
// returns the response.
func rawCall(t testing.TB, url, op, body string, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, url+"/", strings.NewReader(body))
	mustNoErr(t, err, "new request")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if op != "" {
		req.Header.Set("X-Amz-Target", "TransferService."+op)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(t, err, "raw call")
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
