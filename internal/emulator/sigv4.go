package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/httpbinding"
)

// Credentials is the one access key the emulator accepts when it checks
// signatures (Options.StrictSigV4).
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

const (
	sigV4Algorithm   = "AWS4-HMAC-SHA256"
	sigV4TimeFormat  = "20060102T150405Z"
	sigV4ServiceName = "transfer"
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
	signedHeaders []string
	signature     string
}

func (a sigV4Auth) scope() string {
	return a.date + "/" + a.region + "/" + a.service + "/aws4_request"
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
		signedHeaders: strings.Split(m[5], ";"),
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

// verifySigV4 checks a request's signature against creds the way AWS does,
// recomputing the canonical request over exactly the headers the client
// signed. It answers with the error codes of the AWS JSON front end.
func verifySigV4(r *http.Request, body []byte, creds Credentials, now time.Time) *apiError {
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
	if a.service != sigV4ServiceName {
		return errAuth(CodeInvalidSignature, fmt.Sprintf("Credential should be scoped to correct service: '%s'.", sigV4ServiceName))
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
	if !slices.Contains(a.signedHeaders, "host") {
		return errAuth(CodeInvalidSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}

	payload := sha256.Sum256(body)
	canonical := strings.Join([]string{
		r.Method,
		httpbinding.EscapePath(r.URL.EscapedPath(), false),
		canonicalQuery(r.URL.Query()),
		canonicalHeaders(r, a.signedHeaders),
		strings.Join(a.signedHeaders, ";"),
		hex.EncodeToString(payload[:]),
	}, "\n")
	digest := sha256.Sum256([]byte(canonical))
	stringToSign := strings.Join([]string{sigV4Algorithm, amzDate, a.scope(), hex.EncodeToString(digest[:])}, "\n")

	key := hmacSHA256([]byte("AWS4"+creds.SecretAccessKey), a.date)
	for _, part := range []string{a.region, a.service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, stringToSign))
	if !hmac.Equal([]byte(want), []byte(a.signature)) {
		return errAuth(CodeInvalidSignature, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalQuery encodes the query with sorted keys and values and %20 for
// spaces, as SigV4 requires.
func canonicalQuery(q url.Values) string {
	for _, v := range q {
		sort.Strings(v)
	}
	return strings.ReplaceAll(q.Encode(), "+", "%20")
}

// canonicalHeaders renders the signed headers as "name:value\n" lines, with
// values trimmed, inner runs of spaces collapsed and repeated headers joined
// by commas.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		var values []string
		switch name {
		case "host":
			values = []string{r.Host}
		case "content-length":
			values = r.Header.Values("Content-Length")
			if len(values) == 0 {
				values = []string{strconv.FormatInt(r.ContentLength, 10)}
			}
		default:
			values = r.Header.Values(name)
		}
		trimmed := make([]string, len(values))
		for i, v := range values {
			trimmed[i] = strings.Join(strings.Fields(v), " ")
		}
		b.WriteString(name + ":" + strings.Join(trimmed, ",") + "\n")
	}
	return b.String()
}
