package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is an Emulator listening on a loopback port.
type Server struct {
	*Emulator
	listener net.Listener
	http     *http.Server
	done     chan struct{}
}

// Start runs a new Emulator on 127.0.0.1 at a free port; Close stops it.
func Start(opts Options) (*Server, error) {
	return Listen("127.0.0.1:0", opts)
}

// Listen runs a new Emulator on addr; Close stops it.
func Listen(addr string, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		Emulator: New(opts),
		listener: ln,
		done:     make(chan struct{}),
	}
	if opts.DataPlane != nil {
		if s.dp, err = startDataPlane(s.Emulator, *opts.DataPlane); err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("starting the data plane: %w", err)
		}
	}
	s.http = &http.Server{Handler: s.Emulator, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.http.Serve(ln)
	}()
	return s, nil
}

// URL returns the base URL clients use as their endpoint, for example
// http://127.0.0.1:41234.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// S3URL returns the URL of the S3 API of the data plane, for example
// http://127.0.0.1:41235, or "" without Options.DataPlane.
func (s *Server) S3URL() string {
	if s.dp == nil {
		return ""
	}
	return s.dp.s3URL()
}

// SFTPAddress returns the 127.0.0.1 host:port on which a server of
// Options.AccountID accepts SFTP connections, or false without
// Options.DataPlane or such a server. The port is the server's for its
// lifetime; only an ONLINE server with the SFTP protocol serves it.
func (s *Server) SFTPAddress(region, serverID string) (string, bool) {
	return s.SFTPAddressIn(s.accountID, region, serverID)
}

// SFTPAddressIn is SFTPAddress for a server of account.
func (s *Server) SFTPAddressIn(account, region, serverID string) (string, bool) {
	if s.dp == nil {
		return "", false
	}
	return s.dp.endpoint(account, region, serverID)
}

// Shutdown stops accepting connections and waits, until ctx ends, for
// requests in progress to finish; the connectors' file transfers and
// listings in progress are cancelled and the data plane is closed at once.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	<-s.done
	return errors.Join(err, s.closeDataPlane())
}

// Close stops the server at once, closing open connections.
func (s *Server) Close() error {
	err := s.http.Close()
	<-s.done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, s.closeDataPlane())
}

// closeDataPlane ends the connectors' transfers and listings, then closes the data plane.
func (s *Server) closeDataPlane() error {
	s.runs.stop()
	if s.dp == nil {
		return nil
	}
	return s.dp.close()
}
