package emulator

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"syscall"
)

// domainEFS is the Domain of a server in front of Amazon EFS.
const domainEFS = "EFS"

// fileSystemID is the form of an EFS file system ID (the model's
// EfsFileSystemId shape is not in the Transfer model; "fs-" and 8 to 40 hex
// digits is what EFS issues).
var fileSystemID = regexp.MustCompile(`^fs-[0-9a-f]{8,40}$`)

// efsStorage is the EFS domain: each file system ID is a subdirectory of a
// local directory, created by the first write into it. Every file operation
// runs in an os.Root of its file system's directory, so no path, symbolic
// link or ".." reaches outside it. SDK PosixProfile: "The POSIX user ID used
// for all EFS operations by this user"; the emulator records that owner for
// every file and directory a user creates and reports it in SFTP listings;
// when it runs as root it also chowns the local file.
type efsStorage struct {
	dir  string
	root *os.Root

	mu     sync.Mutex
	owners map[string]PosixProfile // by "/fs-id/key"
}

// newEFSStorage opens dir as the EFS root; close releases it.
func newEFSStorage(dir string) (*efsStorage, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("EFS root: %w", err)
	}
	return &efsStorage{dir: dir, root: root, owners: map[string]PosixProfile{}}, nil
}

func (s *efsStorage) close() error { return s.root.Close() }

// FileOwner is the POSIX owner recorded for a file or directory an SFTP user
// created on an EFS server.
type FileOwner struct {
	// Path is "/" + file system ID + "/" + path in it.
	Path string
	UID  int64 `json:"Uid"`
	GID  int64 `json:"Gid"`
}

// recordedOwners returns the owners recorded so far, by path.
func (s *efsStorage) recordedOwners() []FileOwner {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]FileOwner, 0, len(s.owners))
	for _, p := range slices.Sorted(maps.Keys(s.owners)) {
		out = append(out, FileOwner{Path: p, UID: s.owners[p].UID, GID: s.owners[p].GID})
	}
	return out
}

// fileSystem opens the directory of a file system as a root that no path,
// symbolic link or ".." leaves, the directory of the EFS root included. With
// create (a write) a missing directory is made first; otherwise a missing
// file system is fs.ErrNotExist.
func (s *efsStorage) fileSystem(fsID string, create bool) (*os.Root, error) {
	if !fileSystemID.MatchString(fsID) {
		return nil, fs.ErrNotExist
	}
	if create {
		if err := s.root.Mkdir(fsID, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	return s.root.OpenRoot(fsID)
}

// rootName is the name of a key in its file system's root.
func rootName(key string) string {
	if key == "" {
		return "."
	}
	return filepath.FromSlash(key)
}

// own records owner for a file or directory, and when the emulator runs as
// root gives it to the owner with chown.
func (s *efsStorage) own(fsID, key string, owner *PosixProfile, chown func(uid, gid int) error) error {
	if owner == nil {
		return nil
	}
	s.mu.Lock()
	s.owners["/"+fsID+"/"+key] = *owner
	s.mu.Unlock()
	if os.Geteuid() == 0 {
		if err := chown(int(owner.UID), int(owner.GID)); err != nil {
			return fmt.Errorf("chown /%s/%s: %w", fsID, key, err)
		}
	}
	return nil
}

// withOwner reports the recorded owner of a file, when there is one, as
// its uid and gid.
func (s *efsStorage) withOwner(fsID, key string, info os.FileInfo) os.FileInfo {
	s.mu.Lock()
	owner, ok := s.owners["/"+fsID+"/"+key]
	s.mu.Unlock()
	if !ok {
		return info
	}
	return entryInfo{name: info.Name(), size: info.Size(), dir: info.IsDir(), modTime: info.ModTime(),
		owner: &syscall.Stat_t{Uid: uint32(owner.UID), Gid: uint32(owner.GID)}}
}

func (s *efsStorage) stat(fsID, key string) (os.FileInfo, error) {
	if fsID == "" {
		return dirInfo("/"), nil
	}
	r, err := s.fileSystem(fsID, false)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info, err := r.Stat(rootName(key))
	if err != nil {
		return nil, err
	}
	return s.withOwner(fsID, key, info), nil
}

func (s *efsStorage) list(fsID, key string) ([]os.FileInfo, error) {
	if fsID == "" {
		entries, err := readDir(s.root, ".")
		if err != nil {
			return nil, err
		}
		var out []os.FileInfo
		for _, e := range entries {
			if e.IsDir() && fileSystemID.MatchString(e.Name()) {
				out = append(out, dirInfo(e.Name()))
			}
		}
		return out, nil
	}
	r, err := s.fileSystem(fsID, false)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	entries, err := readDir(r, rootName(key))
	if err != nil {
		return nil, err
	}
	out := make([]os.FileInfo, 0, len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, s.withOwner(fsID, path.Join(key, e.Name()), info))
	}
	return out, nil
}

// readDir lists a directory of r; the entries' Info is read in r too.
func readDir(r *os.Root, name string) ([]os.DirEntry, error) {
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

func (s *efsStorage) open(fsID, key string) (io.ReaderAt, error) {
	r, err := s.fileSystem(fsID, false)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Open(rootName(key))
}

func (s *efsStorage) create(fsID, key string, owner *PosixProfile) (io.WriterAt, error) {
	if key == "" {
		return nil, fs.ErrPermission
	}
	r, err := s.fileSystem(fsID, true)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.OpenFile(rootName(key), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if err := s.own(fsID, key, owner, f.Chown); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// mkdir makes a directory; of key "", the file system's own directory.
func (s *efsStorage) mkdir(fsID, key string, owner *PosixProfile) error {
	if !fileSystemID.MatchString(fsID) {
		return fs.ErrNotExist
	}
	if key == "" {
		return s.root.Mkdir(fsID, 0o755)
	}
	r, err := s.fileSystem(fsID, true)
	if err != nil {
		return err
	}
	defer r.Close()
	name := rootName(key)
	if err := r.Mkdir(name, 0o755); err != nil {
		return err
	}
	return s.own(fsID, key, owner, func(uid, gid int) error { return r.Lchown(name, uid, gid) })
}

func (s *efsStorage) remove(fsID, key string) error {
	r, err := s.fileSystem(fsID, false)
	if err != nil {
		return err
	}
	defer r.Close()
	name := rootName(key)
	info, err := r.Lstat(name)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return errors.New("is a directory")
	}
	return s.forget(fsID, key, r.Remove(name))
}

func (s *efsStorage) rmdir(fsID, key string) error {
	if key == "" {
		return fs.ErrPermission
	}
	r, err := s.fileSystem(fsID, false)
	if err != nil {
		return err
	}
	defer r.Close()
	name := rootName(key)
	info, err := r.Lstat(name)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return syscall.ENOTDIR
	}
	return s.forget(fsID, key, r.Remove(name))
}

func (s *efsStorage) rename(fsID, from, to string) error {
	if from == "" || to == "" {
		return fs.ErrPermission
	}
	r, err := s.fileSystem(fsID, false)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Rename(rootName(from), rootName(to)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if owner, ok := s.owners["/"+fsID+"/"+from]; ok {
		delete(s.owners, "/"+fsID+"/"+from)
		s.owners["/"+fsID+"/"+to] = owner
	}
	return nil
}

// forget drops the recorded owner of a removed file; err is the removal's.
func (s *efsStorage) forget(fsID, key string, err error) error {
	if err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.owners, "/"+fsID+"/"+key)
	s.mu.Unlock()
	return nil
}
