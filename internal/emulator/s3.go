package emulator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"

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
}

func newS3Storage() *s3Storage { return &s3Storage{backend: s3mem.New()} }

// s3Handler serves the storage over the S3 REST API, path-style
// (http://host:port/bucket/key); a bucket named in a request that does not
// exist is created, as the first SFTP upload would.
func (s *s3Storage) s3Handler() http.Handler {
	return gofakes3.New(s.backend, gofakes3.WithAutoBucket(true)).Server()
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
	obj, err := s.backend.GetObject(bucket, key, nil)
	if err != nil {
		return nil, notFoundAsErrNotExist(err)
	}
	defer obj.Contents.Close()
	data, err := io.ReadAll(obj.Contents)
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
	return &bufferFile{commit: func(data []byte) error {
		if err := s.createBucket(bucket); err != nil {
			return err
		}
		_, err := s.backend.PutObject(bucket, key, nil, bytes.NewReader(data), int64(len(data)), nil)
		return err
	}}, nil
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
