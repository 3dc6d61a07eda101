package emulator

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Credentials is the one access key the emulator accepts when it checks
// signatures (Options.StrictSigV4).
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

const (
	sigV4TimeFormat = "20060102T150405Z"
	// transferSigningName is the service a Transfer request's credential
	// scope names: metadata.signingName of the service model.
	transferSigningName = "transfer"
	// sigV4MaxSkew is how far a request's X-Amz-Date may be from the
	// emulator's clock, as AWS allows.
	sigV4MaxSkew = 15 * time.Minute
)

// sigV4Auth is a parsed Authorization header.
type sigV4Auth struct {
	accessKeyID   string
	date          string
	region        string
	service       string
	signedHeaders string
	signature     string
}

var sigV4HeaderRE = regexp.MustCompile(`^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$`)

// parseSigV4 parses an AWS4-HMAC-SHA256 Authorization header.
func parseSigV4(h string) (sigV4Auth, bool) {
	m := sigV4HeaderRE.FindStringSubmatch(strings.TrimSpace(h))
	if m == nil {
		return sigV4Auth{}, false
	}
	return sigV4Auth{
		accessKeyID:   m[1],
		date:          m[2],
		region:        m[3],
		service:       m[4],
		signedHeaders: m[5],
		signature:     m[6],
	}, true
}

// requestRegion is the region a request addresses: the region of its SigV4
// credential scope, or defaultRegion for an unsigned request.
func requestRegion(r *http.Request) string {
	if a, ok := parseSigV4(r.Header.Get("Authorization")); ok {
		return a.region
	}
	return defaultRegion
}

// verifySigV4 checks that r is signed with creds for service (the signing
// name its endpoint serves) the way AWS checks it, and answers with the error
// codes of the AWS front end. The signature is recomputed by the SDK's own
// signer (see resignSigV4), so the emulator accepts exactly what the SDK
// signs.
func verifySigV4(r *http.Request, body []byte, creds Credentials, service string, now time.Time) *apiError {
	h := r.Header.Get("Authorization")
	if h == "" {
		return errAuth(CodeMissingAuthentication, "Missing Authentication Token")
	}
	a, ok := parseSigV4(h)
	if !ok {
		return errAuth(CodeIncompleteSignature, "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters of an AWS4-HMAC-SHA256 signature.")
	}
	if a.accessKeyID != creds.AccessKeyID {
		return errAuth(CodeUnrecognizedClient, "The security token included in the request is invalid.")
	}
	if a.service != service {
		return errAuth(CodeInvalidSignature, fmt.Sprintf("Credential should be scoped to correct service: '%s'.", service))
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(sigV4TimeFormat, amzDate)
	if err != nil {
		return errAuth(CodeIncompleteSignature, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if !strings.HasPrefix(amzDate, a.date) {
		return errAuth(CodeInvalidSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.")
	}
	if d := now.Sub(t); d > sigV4MaxSkew || d < -sigV4MaxSkew {
		return errAuth(CodeInvalidSignature, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			amzDate, now.UTC().Add(-sigV4MaxSkew).Format(sigV4TimeFormat), now.UTC().Format(sigV4TimeFormat)))
	}
	if !slices.Contains(strings.Split(a.signedHeaders, ";"), "host") {
		return errAuth(CodeInvalidSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	want, err := resignSigV4(r, body, a, t, creds.SecretAccessKey)
	if err != nil || want.signedHeaders != a.signedHeaders ||
		subtle.ConstantTimeCompare([]byte(want.signature), []byte(a.signature)) != 1 {
		return errAuth(CodeInvalidSignature, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return nil
}

// resignSigV4 signs a clone of r with the SDK's signer as the client claims
// to have signed it: with the secret of a's access key, at X-Amz-Date t, for
// the region and service of a's credential scope, over the SHA-256 of body
// (for S3, the X-Amz-Content-Sha256 the client sent, its body unread) and
// exactly the headers a lists, and returns the Authorization the signer made.
// The signer always signs Host, and Content-Length when the clone has a length,
// so the clone keeps the length only when the client signed it. A list the
// signer cannot reproduce (a header it never signs, such as User-Agent, or one
// the request lacks) comes back different from a's.
func resignSigV4(r *http.Request, body []byte, a sigV4Auth, t time.Time, secret string) (sigV4Auth, error) {
	c := r.Clone(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(body))
	c.Header = http.Header{}
	c.ContentLength = 0
	for _, name := range strings.Split(a.signedHeaders, ";") {
		switch name {
		case "host":
		case "content-length":
			c.ContentLength = r.ContentLength
		default:
			if values := r.Header.Values(name); len(values) > 0 {
				c.Header[textproto.CanonicalMIMEHeaderKey(name)] = values
			}
		}
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	var signerOpts []func(*v4.SignerOptions)
	if a.service == s3SigningName {
		// S3 signs the X-Amz-Content-Sha256 it sends (a hash, UNSIGNED-PAYLOAD or a streaming
		// marker) and escapes the path once (aws-sdk-go-v2 service/s3: DisableURIPathEscaping).
		payloadHash = r.Header.Get("X-Amz-Content-Sha256")
		signerOpts = append(signerOpts, func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	}
	creds := aws.Credentials{AccessKeyID: a.accessKeyID, SecretAccessKey: secret}
	if err := v4.NewSigner(signerOpts...).SignHTTP(r.Context(), creds, c, payloadHash, a.service, a.region, t); err != nil {
		return sigV4Auth{}, fmt.Errorf("re-sign request: %w", err)
	}
	got, ok := parseSigV4(c.Header.Get("Authorization"))
	if !ok {
		return sigV4Auth{}, fmt.Errorf("re-sign request: unparsable Authorization %q", c.Header.Get("Authorization"))
	}
	return got, nil
}
