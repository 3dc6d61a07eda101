package emulator

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"syscall"

	"github.com/pkg/sftp"
)

// sftpSession serves the SFTP requests of one logged-in user
// (github.com/pkg/sftp request server handlers): paths the client names are
// session paths, mapped to storage by the user's homeView.
type sftpSession struct {
	view  homeView
	store storage
	// owner is the POSIX profile files are created with (EFS only).
	owner *PosixProfile
	// noOpSetStat makes SETSTAT succeed without effect. SDK
	// ProtocolDetails.SetStatOption: "Use the ENABLE_NO_OP value to have the
	// server ignore the SETSTAT command, and upload files without needing to
	// make any changes to your SFTP client"; an S3 object has no attributes
	// to set otherwise.
	noOpSetStat bool
	// uploaded, when set, is told of every file the client wrote and closed,
	// and whether the upload was partial (the session ended with the file
	// open); the data plane runs the server's workflows from it.
	uploaded func(root, key string, partial bool)
}

// locate resolves a session path to a storage location; a path outside the
// user's mappings does not exist.
func (s *sftpSession) locate(p string) (root, key string, err error) {
	r := s.view.resolve(p)
	if !r.mapped {
		return "", "", fs.ErrNotExist
	}
	root, key = splitStoragePath(r.target)
	return root, key, nil
}

// Fileread opens a file for download.
func (s *sftpSession) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	root, key, err := s.locate(r.Filepath)
	if err != nil {
		return nil, err
	}
	return s.store.open(root, key)
}

// Filewrite opens a file for upload; it is stored when the client closes it.
func (s *sftpSession) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	res := s.view.resolve(r.Filepath)
	if !res.mapped || res.mappedDir || len(res.children) > 0 {
		return nil, fs.ErrPermission
	}
	root, key := splitStoragePath(res.target)
	w, err := s.store.create(root, key, s.owner)
	if err != nil || s.uploaded == nil {
		return w, err
	}
	return &uploadFile{WriterAt: w, done: func(partial bool) { s.uploaded(root, key, partial) }}, nil
}

// uploadFile is a file being uploaded: once it is closed and stored, done is
// told whether the upload was complete. github.com/pkg/sftp's request server
// calls TransferError before it closes a file that was still open when the
// session ended, which is what the SDK calls a partial upload
// (WorkflowDetails.OnPartialUpload: "A partial upload occurs when a file is
// open when the session disconnects").
type uploadFile struct {
	io.WriterAt
	done    func(partial bool)
	partial bool
}

// TransferError marks the upload partial.
func (u *uploadFile) TransferError(error) { u.partial = true }

// Close stores the file and then reports the upload.
func (u *uploadFile) Close() error {
	if c, ok := u.WriterAt.(io.Closer); ok {
		if err := c.Close(); err != nil {
			return err
		}
	}
	u.done(u.partial)
	return nil
}

// Filecmd runs the commands that change the tree.
func (s *sftpSession) Filecmd(r *sftp.Request) error {
	switch r.Method {
	case "Setstat":
		if s.noOpSetStat {
			return nil
		}
		if _, ok := s.store.(*efsStorage); ok {
			return nil
		}
		return sftp.ErrSSHFxOpUnsupported
	case "Rename":
		root, from, err := s.locate(r.Filepath)
		if err != nil {
			return err
		}
		toRoot, to, err := s.locate(r.Target)
		if err != nil {
			return err
		}
		if toRoot != root {
			return errCrossRoot
		}
		return s.store.rename(root, from, to)
	case "Mkdir":
		root, key, err := s.locate(r.Filepath)
		if err != nil {
			return err
		}
		return s.store.mkdir(root, key, s.owner)
	case "Rmdir", "Remove":
		res := s.view.resolve(r.Filepath)
		if !res.mapped {
			return fs.ErrNotExist
		}
		if res.mappedDir || res.file || len(res.children) > 0 {
			return fs.ErrPermission
		}
		root, key := splitStoragePath(res.target)
		if r.Method == "Rmdir" {
			return s.store.rmdir(root, key)
		}
		return s.store.remove(root, key)
	}
	return sftp.ErrSSHFxOpUnsupported
}

// Filelist answers List and Stat.
func (s *sftpSession) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "List":
		entries, err := s.list(r.Filepath)
		return listing(entries), err
	case "Stat":
		info, err := s.stat(r.Filepath)
		if err != nil {
			return nil, err
		}
		return listing{info}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

// RealPath makes a client's path absolute against the home directory, so
// that the session starts there.
func (s *sftpSession) RealPath(p string) (string, error) {
	if !path.IsAbs(p) {
		p = path.Join(s.view.home, p)
	}
	return cleanSessionPath(p), nil
}

// stat describes a session path. A directory holding mapping entries is a
// directory; on S3, where directories are only key prefixes, so are the
// user's home and a DIRECTORY mapping's entry while nothing is stored there
// (as with S3StorageOptions.DirectoryListingOptimization ENABLED, user
// guide "Implementing logical directories": "To avoid this requirement,
// consider enabling Amazon S3 performance optimization"). On EFS they must
// exist.
func (s *sftpSession) stat(p string) (os.FileInfo, error) {
	p = cleanSessionPath(p)
	res := s.view.resolve(p)
	_, onS3 := s.store.(*s3Storage)
	virtualDir := len(res.children) > 0 || (onS3 && (res.mappedDir || p == s.view.home))
	if !res.mapped {
		if virtualDir {
			return dirInfo(path.Base(p)), nil
		}
		return nil, fs.ErrNotExist
	}
	root, key := splitStoragePath(res.target)
	info, err := s.store.stat(root, key)
	switch {
	case err == nil:
		return renamed(info, path.Base(p)), nil
	case errors.Is(err, fs.ErrNotExist) && virtualDir && !res.file:
		return dirInfo(path.Base(p)), nil
	}
	return nil, err
}

// list returns the entries of a session directory: what is stored at its
// target and the mapping entries below it.
func (s *sftpSession) list(p string) ([]os.FileInfo, error) {
	dir, err := s.stat(p)
	if err != nil {
		return nil, err
	}
	if !dir.IsDir() {
		return []os.FileInfo{dir}, nil
	}
	res := s.view.resolve(p)
	var entries []os.FileInfo
	if res.mapped {
		root, key := splitStoragePath(res.target)
		stored, err := s.store.list(root, key)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		entries = stored
	}
	for _, child := range res.children {
		info, err := s.stat(path.Join(cleanSessionPath(p), child))
		if err != nil {
			continue
		}
		entries = slices.DeleteFunc(entries, func(e os.FileInfo) bool { return e.Name() == child })
		entries = append(entries, info)
	}
	slices.SortFunc(entries, func(a, b os.FileInfo) int {
		switch {
		case a.Name() < b.Name():
			return -1
		case a.Name() > b.Name():
			return 1
		}
		return 0
	})
	return entries, nil
}

// renamed reports info under the name the session sees.
func renamed(info os.FileInfo, name string) os.FileInfo {
	if info.Name() == name {
		return info
	}
	e := entryInfo{name: name, size: info.Size(), dir: info.IsDir(), modTime: info.ModTime()}
	e.owner, _ = info.Sys().(*syscall.Stat_t)
	return e
}

// listing is a ListerAt over a fixed list.
type listing []os.FileInfo

// ListAt copies the entries from offset into ls.
func (l listing) ListAt(ls []os.FileInfo, offset int64) (int, error) {
	if offset >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(ls, l[offset:])
	if n < len(ls) {
		return n, io.EOF
	}
	return n, nil
}
