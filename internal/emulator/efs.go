package emulator

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
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
// local directory, created on first use. SDK PosixProfile: "The POSIX user ID
// used for all EFS operations by this user"; the emulator records that owner
// for every file and directory a user creates and reports it in SFTP
// listings; when it runs as root it also chowns the local file.
type efsStorage struct {
	dir string

	mu     sync.Mutex
	owners map[string]PosixProfile // by "/fs-id/key"
}

func newEFSStorage(dir string) *efsStorage {
	return &efsStorage{dir: dir, owners: map[string]PosixProfile{}}
}

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

// local returns the local path of a location; the file system's directory
// is created on first use. Keys are clean (homedir.go), so they cannot leave
// the file system's directory.
func (s *efsStorage) local(fsID, key string) (string, error) {
	if !fileSystemID.MatchString(fsID) {
		return "", fs.ErrNotExist
	}
	root := filepath.Join(s.dir, fsID)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	return filepath.Join(root, filepath.FromSlash(key)), nil
}

func (s *efsStorage) own(fsID, key, local string, owner *PosixProfile) error {
	if owner == nil {
		return nil
	}
	s.mu.Lock()
	s.owners["/"+fsID+"/"+key] = *owner
	s.mu.Unlock()
	if os.Geteuid() == 0 {
		if err := os.Chown(local, int(owner.UID), int(owner.GID)); err != nil {
			return fmt.Errorf("chown %s: %w", local, err)
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
	local, err := s.local(fsID, key)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(local)
	if err != nil {
		return nil, err
	}
	return s.withOwner(fsID, key, info), nil
}

func (s *efsStorage) list(fsID, key string) ([]os.FileInfo, error) {
	if fsID == "" {
		entries, err := os.ReadDir(s.dir)
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
	local, err := s.local(fsID, key)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(local)
	if err != nil {
		return nil, err
	}
	out := make([]os.FileInfo, 0, len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, s.withOwner(fsID, filepath.ToSlash(filepath.Join(key, e.Name())), info))
	}
	return out, nil
}

func (s *efsStorage) open(fsID, key string) (io.ReaderAt, error) {
	local, err := s.local(fsID, key)
	if err != nil {
		return nil, err
	}
	return os.Open(local)
}

func (s *efsStorage) create(fsID, key string, owner *PosixProfile) (io.WriterAt, error) {
	if key == "" {
		return nil, fs.ErrPermission
	}
	local, err := s.local(fsID, key)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(local, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if err := s.own(fsID, key, local, owner); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

func (s *efsStorage) mkdir(fsID, key string, owner *PosixProfile) error {
	if key == "" {
		return fs.ErrExist
	}
	local, err := s.local(fsID, key)
	if err != nil {
		return err
	}
	if err := os.Mkdir(local, 0o755); err != nil {
		return err
	}
	return s.own(fsID, key, local, owner)
}

func (s *efsStorage) remove(fsID, key string) error {
	local, err := s.local(fsID, key)
	if err != nil {
		return err
	}
	if info, err := os.Stat(local); err == nil && info.IsDir() {
		return errors.New("is a directory")
	}
	return s.forget(fsID, key, os.Remove(local))
}

func (s *efsStorage) rmdir(fsID, key string) error {
	if key == "" {
		return fs.ErrPermission
	}
	local, err := s.local(fsID, key)
	if err != nil {
		return err
	}
	return s.forget(fsID, key, syscall.Rmdir(local))
}

func (s *efsStorage) rename(fsID, from, to string) error {
	if from == "" || to == "" {
		return fs.ErrPermission
	}
	src, err := s.local(fsID, from)
	if err != nil {
		return err
	}
	dst, err := s.local(fsID, to)
	if err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
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
