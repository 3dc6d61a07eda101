package emulator_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/aws/smithy-go"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// testMaxObjectSize is the size bound of the limit tests: small enough that
// the S3 API's server reads a refused body to its end, so that the client
// sees the answer rather than a connection closed while it writes.
const testMaxObjectSize = 64 << 10

// wantSFTPFailure fails the test unless err is SSH_FX_FAILURE with a
// message holding want.
func wantSFTPFailure(t *testing.T, err error, what, want string) {
	t.Helper()
	var status *sftp.StatusError
	if !errors.As(err, &status) || status.FxCode() != sftp.ErrSSHFxFailure || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: %v, want SSH_FX_FAILURE saying %q", what, err, want)
	}
}

// TestSFTPWriteBound: a write at a huge offset, or past MaxObjectSize, fails
// with SSH_FX_FAILURE on S3 and on EFS, and the emulator goes on serving; a
// file of exactly the bound is stored.
func TestSFTPWriteBound(t *testing.T) {
	for _, tc := range []struct {
		domain types.Domain
		home   string
	}{
		{types.DomainS3, "/bucket"},
		{types.DomainEfs, "/fs-0123456789abcdef0"},
	} {
		t.Run(string(tc.domain), func(t *testing.T) {
			f := startDataPlaneWith(t, emulator.DataPlaneOptions{MaxObjectSize: testMaxObjectSize}, &transfer.CreateServerInput{Domain: tc.domain})
			signer, pub := newUserSigner(t)
			f.createUser(t, &transfer.CreateUserInput{UserName: aws.String("uma"), SshPublicKeyBody: aws.String(pub), HomeDirectory: aws.String(tc.home),
				PosixProfile: &types.PosixProfile{Uid: aws.Int64(1001), Gid: aws.Int64(1001)}})
			c, err := f.login(t, "uma", ssh.PublicKeys(signer))
			mustNoErr(t, err, "login")

			file, err := c.Create("big.bin")
			mustNoErr(t, err, "create")
			_, err = file.WriteAt([]byte("x"), 1<<62)
			wantSFTPFailure(t, err, "write at 2^62", "file too large")
			_, err = file.WriteAt([]byte("xy"), testMaxObjectSize-1)
			wantSFTPFailure(t, err, "write past the bound", "file too large")
			_, err = file.WriteAt([]byte("z"), testMaxObjectSize-1)
			mustNoErr(t, err, "write of the bound's last byte")
			mustNoErr(t, file.Close(), "close")

			info, err := c.Stat("big.bin")
			mustNoErr(t, err, "stat after the refused writes")
			if info.Size() != testMaxObjectSize {
				t.Errorf("stored %d bytes, want %d", info.Size(), testMaxObjectSize)
			}
			if _, err := f.login(t, "uma", ssh.PublicKeys(signer)); err != nil {
				t.Errorf("a new login after the refused writes: %v", err)
			}
		})
	}
}

// TestSFTPKeyTooLong: on S3, an upload, directory or rename target whose key
// is longer than 1,024 bytes is refused; a key of exactly 1,024 bytes is
// stored.
func TestSFTPKeyTooLong(t *testing.T) {
	f := startDataPlane(t, nil)
	signer, pub := newUserSigner(t)
	f.createUser(t, &transfer.CreateUserInput{UserName: aws.String("kim"), SshPublicKeyBody: aws.String(pub), HomeDirectory: aws.String("/bucket")})
	c, err := f.login(t, "kim", ssh.PublicKeys(signer))
	mustNoErr(t, err, "login")

	longest := strings.Repeat("k", 1024)
	putFile(t, c, "/bucket/"+longest, "fits")
	_, err = c.Create("/bucket/" + longest + "k")
	wantSFTPFailure(t, err, "create with a 1,025-byte key", "KeyTooLongError")
	wantSFTPFailure(t, c.Mkdir("/bucket/"+longest), "mkdir whose marker key is 1,025 bytes", "KeyTooLongError")
	wantSFTPFailure(t, c.Rename("/bucket/"+longest, "/bucket/"+longest+"k"), "rename to a 1,025-byte key", "KeyTooLongError")
	if status, body := s3Get(t, f, "bucket/"+longest); status != http.StatusOK || body != "fits" {
		t.Errorf("S3 GET of the 1,024-byte key: %d %q", status, body)
	}
}

// s3Client returns the SDK's S3 client for the data plane of f.
func s3Client(f *dataPlaneFixture) *s3.Client {
	return s3.New(s3.Options{
		Region: testRegion, BaseEndpoint: aws.String(f.srv.S3URL()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
		Retryer:     aws.NopRetryer{},
	})
}

// wantS3Error fails the test unless err is the S3 error code with HTTP 400.
func wantS3Error(t *testing.T, err error, what, code string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code || httpStatus(err) != http.StatusBadRequest {
		t.Errorf("%s: %v, want %s (HTTP 400)", what, err, code)
	}
}

// TestS3APILimits: the S3 API refuses keys over 1,024 bytes with
// KeyTooLongError, also when a multipart upload starts, and objects over
// MaxObjectSize with EntityTooLarge: one PUT, a streaming upload that
// declares a huge length, and parts that together pass the bound.
func TestS3APILimits(t *testing.T) {
	f := startDataPlaneWith(t, emulator.DataPlaneOptions{MaxObjectSize: testMaxObjectSize}, nil)
	c := s3Client(f)
	ctx := ctxT(t)
	bucket := aws.String("limits")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	mustNoErr(t, err, "CreateBucket")

	longKey := aws.String(strings.Repeat("k", 1025))
	_, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: longKey})
	wantS3Error(t, err, "CreateMultipartUpload of a 1,025-byte key", "KeyTooLongError")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: longKey, Body: strings.NewReader("x")})
	wantS3Error(t, err, "PutObject of a 1,025-byte key", "KeyTooLongError")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(strings.Repeat("k", 1024)), Body: strings.NewReader("x")})
	mustNoErr(t, err, "PutObject of a 1,024-byte key")

	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("big"), Body: bytes.NewReader(make([]byte, testMaxObjectSize+1))})
	wantS3Error(t, err, "PutObject of the bound plus one byte", "EntityTooLarge")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("big"), Body: bytes.NewReader(make([]byte, testMaxObjectSize))})
	mustNoErr(t, err, "PutObject of the bound")

	req, err := http.NewRequestWithContext(ctx, http.MethodPut, f.srv.S3URL()+"/limits/streamed", strings.NewReader("0\r\n\r\n"))
	mustNoErr(t, err, "request")
	req.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	req.Header.Set("X-Amz-Decoded-Content-Length", "4611686018427387904")
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(t, err, "streaming PUT declaring 2^62 bytes")
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>EntityTooLarge</Code>") {
		t.Errorf("streaming PUT declaring 2^62 bytes: %d %s, want 400 EntityTooLarge", resp.StatusCode, body)
	}

	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String("parts")})
	mustNoErr(t, err, "CreateMultipartUpload")
	part := func(n int32) error {
		_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: aws.String("parts"), UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(make([]byte, testMaxObjectSize*3/4))})
		return err
	}
	mustNoErr(t, part(1), "part 1 of three quarters of the bound")
	mustNoErr(t, part(1), "part 1 again, replacing it")
	wantS3Error(t, part(2), "part 2 taking the upload past the bound", "EntityTooLarge")
}
