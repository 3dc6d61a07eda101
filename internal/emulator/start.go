package emulator

import (
	"context"
	"errors"
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

// Shutdown stops accepting connections and waits, until ctx ends, for
// requests in progress to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	<-s.done
	return err
}

// Close stops the server at once, closing open connections.
func (s *Server) Close() error {
	err := s.http.Close()
	<-s.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
