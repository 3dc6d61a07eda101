package emulator

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// storage is the file store behind a server's domain: the in-process S3
// (s3.go) or the local directories standing for EFS file systems (efs.go).
// A location is a root (bucket or file system ID; "" is the list of roots)
// and a slash-separated key below it ("" is the root itself). Missing
// locations are reported as fs.ErrNotExist.
type storage interface {
	// stat describes one location.
	stat(root, key string) (os.FileInfo, error)
	// list returns the entries of a directory.
	list(root, key string) ([]os.FileInfo, error)
	// open returns the content of a file.
	open(root, key string) (io.ReaderAt, error)
	// create returns a writer whose Close stores the file, owned by owner.
	create(root, key string, owner *PosixProfile) (io.WriterAt, error)
	// mkdir creates a directory owned by owner.
	mkdir(root, key string, owner *PosixProfile) error
	// remove deletes a file.
	remove(root, key string) error
	// rmdir deletes an empty directory.
	rmdir(root, key string) error
	// rename moves a file within one root.
	rename(root, from, to string) error
}

// errCrossRoot is a rename between two buckets or file systems, which SFTP on
// Transfer Family cannot do in one step either.
var errCrossRoot = errors.New("cannot rename across buckets or file systems")

// entryInfo is an os.FileInfo for a file or directory that is not a local
// file: an S3 object or prefix, a virtual directory of logical mappings, or
// an EFS file whose POSIX owner is recorded by the emulator.
type entryInfo struct {
	name    string
	size    int64
	dir     bool
	modTime time.Time
	// owner, when set, is reported as the file's uid and gid.
	owner *syscall.Stat_t
}

func (e entryInfo) Name() string       { return e.name }
func (e entryInfo) Size() int64        { return e.size }
func (e entryInfo) ModTime() time.Time { return e.modTime }
func (e entryInfo) IsDir() bool        { return e.dir }

// Sys returns the owner as a *syscall.Stat_t, which github.com/pkg/sftp
// reports as the file's uid and gid, or nil.
func (e entryInfo) Sys() any {
	if e.owner == nil {
		return nil
	}
	return e.owner
}

func (e entryInfo) Mode() fs.FileMode {
	if e.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

// dirInfo is a directory without storage of its own (an S3 prefix, a
// mapping entry); it reports the current time as its modification time.
func dirInfo(name string) os.FileInfo { return entryInfo{name: name, dir: true, modTime: time.Now()} }

// bufferFile is an io.WriterAt collecting an upload in memory; commit
// stores the content once the client closes the file.
type bufferFile struct {
	data   []byte
	commit func([]byte) error
}

func (b *bufferFile) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if end := off + int64(len(p)); end > int64(len(b.data)) {
		b.data = append(b.data, make([]byte, end-int64(len(b.data)))...)
	}
	return copy(b.data[off:], p), nil
}

// Close stores the file.
func (b *bufferFile) Close() error { return b.commit(b.data) }
