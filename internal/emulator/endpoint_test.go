package emulator_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// s3At returns the SDK's S3 client (path-style, no retries) for endpoint, signing with secret.
func s3At(endpoint, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region: testRegion, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, secret, ""),
		Retryer:     aws.NopRetryer{},
	})
}

// TestS3OnMainListener: the main listener answers S3 requests, told apart by the service of
// their SigV4 scope, without the data plane; with it, both listeners serve the same store.
func TestS3OnMainListener(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := s3At(srv.URL(), testSecretKey)
	ctx := ctxT(t)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("outbound"), Key: aws.String("a/b.txt"), Body: strings.NewReader("hello")})
	mustNoErr(t, err, "PutObject on the main listener")
	buckets, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	mustNoErr(t, err, "ListBuckets on the main listener")
	if len(buckets.Buckets) != 1 || aws.ToString(buckets.Buckets[0].Name) != "outbound" {
		t.Errorf("ListBuckets = %+v, want the bucket outbound", buckets.Buckets)
	}
	obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("outbound"), Key: aws.String("a/b.txt")})
	mustNoErr(t, err, "GetObject")
	body, _ := io.ReadAll(obj.Body)
	if string(body) != "hello" {
		t.Errorf("object = %q, want hello", body)
	}

	dp := startEmulator(t, emulator.Options{DataPlane: &emulator.DataPlaneOptions{}})
	_, err = s3At(dp.URL(), testSecretKey).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("x")})
	mustNoErr(t, err, "PutObject on the main listener of a data plane")
	if _, err := s3At(dp.S3URL(), testSecretKey).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("k")}); err != nil {
		t.Errorf("the S3 port does not see the object written on the main listener: %v", err)
	}
}

// TestS3OnMainListenerStrict: with strict SigV4, S3 requests are verified as S3 signs them
// (the X-Amz-Content-Sha256 it sends, the path escaped once) and refused in S3's XML dialect.
func TestS3OnMainListenerStrict(t *testing.T) {
	srv := startEmulator(t, emulator.Options{StrictSigV4: &emulator.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}})
	ctx := ctxT(t)
	_, err := s3At(srv.URL(), testSecretKey).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("dir/with space+plus.txt"), Body: strings.NewReader("x")})
	mustNoErr(t, err, "signed PutObject")
	_, err = s3At(srv.URL(), "wrong").ListBuckets(ctx, &s3.ListBucketsInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch")
	if httpStatus(err) != http.StatusForbidden {
		t.Errorf("status %d, want 403", httpStatus(err))
	}
}
