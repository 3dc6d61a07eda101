package emulator

import (
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// s3Storage is the S3 domain: buckets of an in-memory gofakes3 backend, which
// the emulator also serves over the S3 API (see s3Handler), so that the AWS
// CLI and SDK see what SFTP clients wrote. Directories are key prefixes; a
// directory made with mkdir is a zero-byte object whose key ends in "/", as
// Transfer Family makes it (user guide, "Implementing logical directories":
// "For Amazon S3, this means creating a zero-byte object that ends with a
// forward slash (/)"). A bucket is created by the first upload or mkdir in
// it.
type s3Storage struct {
	backend gofakes3.Backend

	// tags are the object tags by bucket and key (gofakes3 keeps none); an
	// object written or deleted loses its tags, as a new S3 object has none.
	mu   sync.Mutex
	tags map[objectName][]S3Tag
}

// objectName is an S3 object's bucket and key.
type objectName struct{ bucket, key string }

func newS3Storage() *s3Storage {
	return &s3Storage{backend: s3mem.New(), tags: map[objectName][]S3Tag{}}
}

// s3Handler serves the storage over the S3 REST API, path-style
// (http://host:port/bucket/key); a bucket named in a request that does not
// exist is created, as the first SFTP upload would. Object tagging
// (GetObjectTagging, PutObjectTagging, DeleteObjectTagging: the "tagging"
// subresource of an object) is served from the storage's own tags, since
// gofakes3 has none; any other successful PUT, POST or DELETE of an object
// drops its tags.
func (s *s3Storage) s3Handler() http.Handler {
	fake := gofakes3.New(s.backend, gofakes3.WithAutoBucket(true)).Server()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if _, ok := r.URL.Query()["tagging"]; ok && key != "" {
			s.serveTagging(w, r, objectName{bucket, key})
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		fake.ServeHTTP(rec, r)
		if key != "" && r.Method != http.MethodGet && r.Method != http.MethodHead && rec.status < 300 {
			s.dropTags(bucket, key)
		}
	})
}

// statusRecorder remembers the status of an answer.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// s3Tagging is the Tagging document of the S3 API.
type s3Tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  []s3Tag  `xml:"TagSet>Tag"`
}

type s3Tag struct {
	Key   string
	Value string
}

// serveTagging answers GetObjectTagging, PutObjectTagging and
// DeleteObjectTagging of an existing object; a missing object is NoSuchKey.
func (s *s3Storage) serveTagging(w http.ResponseWriter, r *http.Request, obj objectName) {
	if !s.exists(obj.bucket, obj.key) {
		s3XMLError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	switch r.Method {
	case http.MethodGet:
		doc := s3Tagging{Xmlns: "http://s3.amazonaws.com/doc/2006-03-01/", TagSet: []s3Tag{}}
		for _, t := range s.objectTags(obj.bucket, obj.key) {
			doc.TagSet = append(doc.TagSet, s3Tag(t))
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = io.WriteString(w, xml.Header)
		_ = xml.NewEncoder(w).Encode(doc)
	case http.MethodPut:
		var doc s3Tagging
		if err := xml.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&doc); err != nil {
			s3XMLError(w, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
			return
		}
		tags := make([]S3Tag, 0, len(doc.TagSet))
		for _, t := range doc.TagSet {
			tags = append(tags, S3Tag(t))
		}
		s.mu.Lock()
		s.tags[obj] = tags
		s.mu.Unlock()
	case http.MethodDelete:
		s.dropTags(obj.bucket, obj.key)
		w.WriteHeader(http.StatusNoContent)
	default:
		s3XMLError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	}
}

func s3XMLError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "%s<Error><Code>%s</Code><Message>%s</Message></Error>", xml.Header, code, msg)
}

// objectTags returns a copy of an object's tags.
func (s *s3Storage) objectTags(bucket, key string) []S3Tag {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tags[objectName{bucket, key}])
}

// addTags sets tags on an object, replacing the values of keys it has.
func (s *s3Storage) addTags(bucket, key string, tags []S3Tag) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj := objectName{bucket, key}
	for _, t := range tags {
		i := slices.IndexFunc(s.tags[obj], func(have S3Tag) bool { return have.Key == t.Key })
		if i < 0 {
			s.tags[obj] = append(s.tags[obj], t)
		} else {
			s.tags[obj][i] = t
		}
	}
}

func (s *s3Storage) dropTags(bucket, key string) {
	s.mu.Lock()
	delete(s.tags, objectName{bucket, key})
	s.mu.Unlock()
}

// exists reports whether an object (not a directory) is stored at key.
func (s *s3Storage) exists(bucket, key string) bool {
	obj, err := s.backend.HeadObject(bucket, key)
	if err != nil {
		return false
	}
	_ = obj.Contents.Close()
	return true
}

// etag returns the hex MD5 of an object's content, its ETag for a single-part upload.
func (s *s3Storage) etag(bucket, key string) string {
	obj, err := s.backend.HeadObject(bucket, key)
	if err != nil {
		return ""
	}
	_ = obj.Contents.Close()
	return hex.EncodeToString(obj.Hash)
}

// createBucket creates a bucket unless it exists.
func (s *s3Storage) createBucket(name string) error {
	if exists, err := s.backend.BucketExists(name); err != nil || exists {
		return err
	}
	if err := s.backend.CreateBucket(name); err != nil && !gofakes3.IsAlreadyExists(err) {
		return fmt.Errorf("creating bucket %s: %w", name, err)
	}
	return nil
}

func (s *s3Storage) stat(bucket, key string) (os.FileInfo, error) {
	if bucket == "" {
		return dirInfo("/"), nil
	}
	if key == "" {
		exists, err := s.backend.BucketExists(bucket)
		if err != nil {
			return nil, err
		}
		if !exists {
			return nil, fs.ErrNotExist
		}
		return dirInfo(bucket), nil
	}
	obj, err := s.backend.HeadObject(bucket, key)
	if err == nil {
		_ = obj.Contents.Close()
		return entryInfo{name: path.Base(key), size: obj.Size}, nil
	}
	if !notFound(err) {
		return nil, err
	}
	list, err := s.backend.ListBucket(bucket, &gofakes3.Prefix{HasPrefix: true, Prefix: key + "/"}, gofakes3.ListBucketPage{MaxKeys: 1})
	if err != nil {
		return nil, notFoundAsErrNotExist(err)
	}
	if len(list.Contents) == 0 && len(list.CommonPrefixes) == 0 {
		return nil, fs.ErrNotExist
	}
	return dirInfo(path.Base(key)), nil
}

func (s *s3Storage) list(bucket, key string) ([]os.FileInfo, error) {
	if bucket == "" {
		buckets, err := s.backend.ListBuckets()
		if err != nil {
			return nil, err
		}
		out := make([]os.FileInfo, 0, len(buckets))
		for _, b := range buckets {
			out = append(out, entryInfo{name: b.Name, dir: true, modTime: b.CreationDate.Time})
		}
		return out, nil
	}
	prefix := ""
	if key != "" {
		prefix = key + "/"
	}
	p := gofakes3.NewFolderPrefix(prefix)
	list, err := s.backend.ListBucket(bucket, &p, gofakes3.ListBucketPage{})
	if err != nil {
		return nil, notFoundAsErrNotExist(err)
	}
	var out []os.FileInfo
	dirs := map[string]bool{}
	for _, c := range list.CommonPrefixes {
		name := strings.TrimSuffix(strings.TrimPrefix(c.Prefix, prefix), "/")
		if !dirs[name] {
			dirs[name] = true
			out = append(out, dirInfo(name))
		}
	}
	for _, c := range list.Contents {
		name := strings.TrimPrefix(c.Key, prefix)
		marker := strings.HasSuffix(name, "/")
		name = strings.TrimSuffix(name, "/")
		switch {
		case name == "" || dirs[name]:
		case marker:
			dirs[name] = true
			out = append(out, dirInfo(name))
		default:
			out = append(out, entryInfo{name: name, size: c.Size, modTime: c.LastModified.Time})
		}
	}
	return out, nil
}

func (s *s3Storage) open(bucket, key string) (io.ReaderAt, error) {
	data, err := s.get(bucket, key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("reading s3://%s/%s: %w", bucket, key, err)
	}
	return bytes.NewReader(data), nil
}

// create ignores owner: S3 objects have no POSIX owner.
func (s *s3Storage) create(bucket, key string, _ *PosixProfile) (io.WriterAt, error) {
	if bucket == "" || key == "" {
		return nil, fs.ErrPermission
	}
	if err := checkS3Key(key); err != nil {
		return nil, err
	}
	return &bufferFile{commit: func(data []byte) error { return s.put(bucket, key, data) }}, nil
}

// put stores an object, creating its bucket; the object has no tags.
func (s *s3Storage) put(bucket, key string, data []byte) error {
	if err := s.createBucket(bucket); err != nil {
		return err
	}
	_, err := s.backend.PutObject(bucket, key, nil, bytes.NewReader(data), int64(len(data)), nil)
	s.dropTags(bucket, key)
	return err
}

// get returns an object's content, or fs.ErrNotExist.
func (s *s3Storage) get(bucket, key string) ([]byte, error) {
	obj, err := s.backend.GetObject(bucket, key, nil)
	if err != nil {
		return nil, notFoundAsErrNotExist(err)
	}
	defer obj.Contents.Close()
	return io.ReadAll(obj.Contents)
}

func (s *s3Storage) mkdir(bucket, key string, _ *PosixProfile) error {
	if bucket == "" {
		return fs.ErrPermission
	}
	if err := checkS3Key(key + "/"); err != nil {
		return err
	}
	if err := s.createBucket(bucket); err != nil || key == "" {
		return err
	}
	_, err := s.backend.PutObject(bucket, key+"/", nil, bytes.NewReader(nil), 0, nil)
	return err
}

func (s *s3Storage) remove(bucket, key string) error {
	info, err := s.stat(bucket, key)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return errors.New("is a directory")
	}
	_, err = s.backend.DeleteObject(bucket, key)
	s.dropTags(bucket, key)
	return err
}

func (s *s3Storage) rmdir(bucket, key string) error {
	if key == "" {
		return fs.ErrPermission
	}
	entries, err := s.list(bucket, key)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return errors.New("directory not empty")
	}
	_, err = s.backend.DeleteObject(bucket, key+"/")
	return err
}

// rename copies the object and deletes the original; directories cannot be
// renamed (S3 has no directories to move, only keys).
func (s *s3Storage) rename(bucket, from, to string) error {
	info, err := s.stat(bucket, from)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return errors.New("renaming a directory is not supported on S3")
	}
	if err := checkS3Key(to); err != nil {
		return err
	}
	if _, err := s.backend.CopyObject(bucket, from, bucket, to, nil); err != nil {
		return err
	}
	_, err = s.backend.DeleteObject(bucket, from)
	s.dropTags(bucket, from)
	s.dropTags(bucket, to)
	return err
}

func notFound(err error) bool {
	return gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey) || gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchBucket)
}

func notFoundAsErrNotExist(err error) error {
	if notFound(err) {
		return fs.ErrNotExist
	}
	return err
}

// s3SigningName is the service an S3 request's credential scope names.
const s3SigningName = "s3"

// isS3Request reports whether r is addressed to S3 on the main listener: signed for the s3
// service in its Authorization header or, presigned, in its X-Amz-Credential.
func isS3Request(r *http.Request) bool {
	if a, ok := parseSigV4(r.Header.Get("Authorization")); ok {
		return a.service == s3SigningName
	}
	return strings.HasSuffix(r.URL.Query().Get("X-Amz-Credential"), "/"+s3SigningName+"/aws4_request")
}

// serveS3 answers an S3 REST request (path-style) on the main listener from the same storage
// and handler as the data plane's S3 port, once its credentials are accepted as for the other
// services (with Options.StrictSigV4, a presigned URL is refused: only the Authorization header
// is verified).
func (e *Emulator) serveS3(w http.ResponseWriter, r *http.Request) {
	if _, aerr := e.authenticate(r, nil, s3SigningName); aerr != nil {
		status, code := s3AuthError(aerr)
		s3XMLError(w, status, code, aerr.Message)
		return
	}
	e.s3API.ServeHTTP(w, r)
}

// s3AuthError is S3's form of a refused request's credentials (S3 API reference, "List of error
// codes"): AccessDenied without a signature, InvalidAccessKeyId for an unknown key,
// ExpiredToken, RequestTimeTooSkewed, AuthorizationHeaderMalformed and SignatureDoesNotMatch.
func s3AuthError(aerr *apiError) (int, string) {
	switch {
	case aerr.Code == CodeMissingAuthentication:
		return http.StatusForbidden, "AccessDenied"
	case aerr.Code == CodeUnrecognizedClient:
		return http.StatusForbidden, "InvalidAccessKeyId"
	case aerr.Code == CodeExpiredToken:
		return http.StatusBadRequest, "ExpiredToken"
	case aerr.Code == CodeIncompleteSignature:
		return http.StatusBadRequest, "AuthorizationHeaderMalformed"
	case strings.HasPrefix(aerr.Message, "Signature expired"):
		return http.StatusForbidden, "RequestTimeTooSkewed"
	default:
		return http.StatusForbidden, "SignatureDoesNotMatch"
	}
}
