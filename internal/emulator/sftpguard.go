package emulator

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/pkg/sftp"
)

// sftpHandlers is what an SFTP session serves: pkg/sftp's request server
// handlers and RealPath.
type sftpHandlers interface {
	sftp.FileReader
	sftp.FileWriter
	sftp.FileCmder
	sftp.RealPathFileLister
}

// sftpGuard hands a session's handlers to pkg/sftp's request server, which
// calls them, and the files and listings they return, on goroutines of its
// own where nothing recovers a panic: one panic would end the emulator and
// every account's listeners with it. The guard answers a panic with
// SSH_FX_FAILURE and logs it, and fails a write that would make a file
// larger than maxSize before any memory or disk is spent on it.
type sftpGuard struct {
	h       sftpHandlers
	maxSize int64
	logf    func(format string, args ...any)
}

// handlers returns the request server handlers of the guarded session.
func (g *sftpGuard) handlers() sftp.Handlers {
	return sftp.Handlers{FileGet: g, FilePut: g, FileCmd: g, FileList: g}
}

// recover, deferred, turns a panic into an SSH_FX_FAILURE answer in *err.
func (g *sftpGuard) recover(err *error) {
	if p := recover(); p != nil {
		g.logf("SFTP request failed with a panic: %v\n%s", p, debug.Stack())
		*err = fmt.Errorf("internal error of the emulator: %w", sftp.ErrSSHFxFailure)
	}
}

// Fileread opens a file for download.
func (g *sftpGuard) Fileread(r *sftp.Request) (_ io.ReaderAt, err error) {
	defer g.recover(&err)
	rd, err := g.h.Fileread(r)
	if err != nil {
		return nil, err
	}
	return &guardedReader{rd: rd, g: g}, nil
}

// Filewrite opens a file for upload.
func (g *sftpGuard) Filewrite(r *sftp.Request) (_ io.WriterAt, err error) {
	defer g.recover(&err)
	w, err := g.h.Filewrite(r)
	if err != nil {
		return nil, err
	}
	return &guardedWriter{w: w, g: g}, nil
}

// Filecmd runs a command that changes the tree.
func (g *sftpGuard) Filecmd(r *sftp.Request) (err error) {
	defer g.recover(&err)
	return g.h.Filecmd(r)
}

// Filelist answers List and Stat.
func (g *sftpGuard) Filelist(r *sftp.Request) (_ sftp.ListerAt, err error) {
	defer g.recover(&err)
	l, err := g.h.Filelist(r)
	if err != nil {
		return nil, err
	}
	return &guardedLister{l: l, g: g}, nil
}

// RealPath makes a client's path absolute.
func (g *sftpGuard) RealPath(p string) (_ string, err error) {
	defer g.recover(&err)
	return g.h.RealPath(p)
}

// closeGuarded closes v if it is an io.Closer.
func (g *sftpGuard) closeGuarded(v any) (err error) {
	defer g.recover(&err)
	if c, ok := v.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

type guardedReader struct {
	rd io.ReaderAt
	g  *sftpGuard
}

func (r *guardedReader) ReadAt(p []byte, off int64) (_ int, err error) {
	defer r.g.recover(&err)
	return r.rd.ReadAt(p, off)
}

func (r *guardedReader) Close() error { return r.g.closeGuarded(r.rd) }

type guardedWriter struct {
	w io.WriterAt
	g *sftpGuard
}

// WriteAt writes p at off unless the file would then be larger than the
// guard's maxSize.
func (w *guardedWriter) WriteAt(p []byte, off int64) (_ int, err error) {
	defer w.g.recover(&err)
	if off < 0 {
		return 0, os.ErrInvalid
	}
	if off > w.g.maxSize-int64(len(p)) {
		return 0, errFileTooLarge{max: w.g.maxSize}
	}
	return w.w.WriteAt(p, off)
}

func (w *guardedWriter) Close() error { return w.g.closeGuarded(w.w) }

// TransferError passes on pkg/sftp's word that the transfer ended with the file open (a partial
// upload, for workflows' OnPartialUpload) to a writer that wants it.
func (w *guardedWriter) TransferError(err error) {
	defer w.g.recover(new(error))
	if t, ok := w.w.(interface{ TransferError(error) }); ok {
		t.TransferError(err)
	}
}

type guardedLister struct {
	l sftp.ListerAt
	g *sftpGuard
}

func (l *guardedLister) ListAt(entries []os.FileInfo, offset int64) (_ int, err error) {
	defer l.g.recover(&err)
	return l.l.ListAt(entries, offset)
}

func (l *guardedLister) Close() error { return l.g.closeGuarded(l.l) }
