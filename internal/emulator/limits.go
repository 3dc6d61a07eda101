package emulator

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/johannesboyne/gofakes3"
)

// S3's documented limits, which the data plane keeps on its S3 API and on
// SFTP uploads to S3, and the emulator's own bound on the size of a file.
const (
	// s3MaxKeyBytes: S3 User Guide, "Naming Amazon S3 objects": "The object
	// key name is a sequence of Unicode characters with UTF-8 encoding of up
	// to 1,024 bytes long."
	s3MaxKeyBytes = 1024
	// s3MaxPutBytes: S3 User Guide, "Uploading objects": "With a single PUT
	// operation, you can upload a single object up to 5 GB in size"; and
	// "Amazon S3 multipart upload limits": part size "5 MiB to 5 GiB".
	s3MaxPutBytes = 5 << 30
	// s3MaxObjectBytes: "Amazon S3 multipart upload limits": maximum object
	// size "5 TiB".
	s3MaxObjectBytes = 5 << 40
	// DefaultMaxObjectSize is the largest file or object the data plane
	// stores unless DataPlaneOptions.MaxObjectSize says otherwise: the S3
	// store and uploads to it are held in memory, so S3's 5 TiB is no bound
	// for an emulator.
	DefaultMaxObjectSize = 1 << 30
)

// errFileTooLarge answers an SFTP write past the data plane's size bound;
// pkg/sftp sends it as SSH_FX_FAILURE with this message.
type errFileTooLarge struct{ max int64 }

func (e errFileTooLarge) Error() string {
	return fmt.Sprintf("file too large: the emulator stores files of at most %d bytes (DataPlaneOptions.MaxObjectSize, --max-object-size)", e.max)
}

// errKeyTooLong answers an SFTP path whose S3 key is longer than S3 allows.
var errKeyTooLong = fmt.Errorf("%s: the S3 key is longer than %d bytes", gofakes3.ErrKeyTooLong, s3MaxKeyBytes)

// checkS3Key refuses a key longer than S3 allows.
func checkS3Key(key string) error {
	if len(key) > s3MaxKeyBytes {
		return errKeyTooLong
	}
	return nil
}

// maxObjectSize returns the size bound of opts: DefaultMaxObjectSize when
// unset, and an error when it is negative or above S3's maximum object size.
func maxObjectSize(opts DataPlaneOptions) (int64, error) {
	switch {
	case opts.MaxObjectSize == 0:
		return DefaultMaxObjectSize, nil
	case opts.MaxObjectSize < 0 || opts.MaxObjectSize > s3MaxObjectBytes:
		return 0, fmt.Errorf("maximum object size %d is outside 1 byte to S3's 5 TiB", opts.MaxObjectSize)
	}
	return opts.MaxObjectSize, nil
}

// s3Limits answers the S3 API requests that break S3's documented limits or
// the emulator's size bound, with S3's errors, before gofakes3 reads them:
// a key over 1,024 bytes is KeyTooLongError; a body (or the decoded length
// of a streaming-signed one) over 5 GiB or over the bound, and a part that
// would take a multipart upload over the bound, are EntityTooLarge. Both
// are HTTP 400 in S3's error table ("Error responses", "List of error
// codes").
type s3Limits struct {
	next      http.Handler
	maxObject int64

	mu sync.Mutex
	// parts holds the part sizes of multipart uploads in progress, by
	// upload ID and part number.
	parts map[string]map[int]int64
}

func newS3Limits(next http.Handler, maxObject int64) *s3Limits {
	return &s3Limits{next: next, maxObject: maxObject, parts: map[string]map[int]int64{}}
}

func (l *s3Limits) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); len(key) > s3MaxKeyBytes {
		s3ErrorResponse(w, r, gofakes3.ErrKeyTooLong, "Your key is too long")
		return
	}
	limit := min(l.maxObject, s3MaxPutBytes)
	size := declaredSize(r)
	if size > limit {
		s3ErrorResponse(w, r, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	uploadID := r.URL.Query().Get("uploadId")
	switch {
	case uploadID == "":
	case r.Method == http.MethodPut:
		if !l.addPart(uploadID, r.URL.Query().Get("partNumber"), size) {
			s3ErrorResponse(w, r, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.")
			return
		}
	case r.Method == http.MethodPost || r.Method == http.MethodDelete:
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		l.next.ServeHTTP(rec, r)
		if rec.status < 300 {
			l.mu.Lock()
			delete(l.parts, uploadID)
			l.mu.Unlock()
		}
		return
	}
	l.next.ServeHTTP(w, r)
}

// declaredSize is the larger of a request's Content-Length and its
// X-Amz-Decoded-Content-Length (the payload of a streaming-signed upload);
// a decoded length that is not a number is left to gofakes3 to refuse.
func declaredSize(r *http.Request) int64 {
	size := max(r.ContentLength, 0)
	if decoded, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64); err == nil {
		size = max(size, decoded)
	}
	return size
}

// addPart records a part of size bytes of a multipart upload, replacing the
// part of the same number, unless the upload's parts would then hold more
// than the size bound. A part number gofakes3 refuses is let through.
func (l *s3Limits) addPart(uploadID, partNumber string, size int64) bool {
	n, err := strconv.Atoi(partNumber)
	if err != nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	parts := l.parts[uploadID]
	if parts == nil {
		parts = map[int]int64{}
		l.parts[uploadID] = parts
	}
	total := size
	for number, s := range parts {
		if number != n {
			total += s
		}
	}
	if total > l.maxObject {
		return false
	}
	parts[n] = size
	return true
}

// s3ErrorResponse answers an S3 error document with HTTP 400.
func s3ErrorResponse(w http.ResponseWriter, r *http.Request, code gofakes3.ErrorCode, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusBadRequest)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(gofakes3.ErrorResponse{Code: code, Message: message})
}
