// Command demo runs transfer-operator on one machine, with nothing but Go installed: a local
// control plane (the real kube-apiserver, etcd and kube-controller-manager), the AWS Transfer
// Family emulator, and the operator binary as a process of its own, as in a cluster. It applies
// config/samples, shows the objects becoming Ready, updates a user, logs in as that user over
// SFTP and finds the uploaded file in the emulator's S3 and the copy the server's workflow
// archived, stops and starts a server, rotates a host key, connects to a local partner (OpenSSH's
// sshd) and sends it a file, deletes everything, and checks that the emulator is empty.
// `make demo` runs it.
//
// Usage:
//
//	go run ./hack/demo [-keep] [-transition-delay 2s] [-timeout 3m] [-work-dir DIR]
//
// Each flag has an environment variable that sets its default: DEMO_KEEP=1 keeps everything
// running after the update until Ctrl-C, for playing with kubectl; DEMO_TRANSITION_DELAY is how
// long the emulator's servers stay STARTING or STOPPING; DEMO_TIMEOUT bounds each wait.
//
// Ctrl-C (SIGINT) or SIGTERM at any point stops every process it started; the operator's log is
// kept, and the demo says where, after Ctrl-C or a failure. The exit status is 0
// when the demo completed (or, with -keep, was stopped by Ctrl-C once ready), 1 when something
// failed or timed out, 2 for bad flags, and 130 when it was interrupted before it was done.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// config is what the flags and environment variables ask for.
type config struct {
	keep            bool
	transitionDelay time.Duration
	timeout         time.Duration
	workDir         string
}

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo: error:", err)
		os.Exit(2)
	}
	// The control plane's client logs nothing the demo's reader needs.
	ctrllog.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(newDemo(cfg, os.Stdout).main(ctx))
}

// parseConfig reads the flags in args, whose defaults come from the DEMO_* variables of getenv.
func parseConfig(args []string, getenv func(string) string, usage io.Writer) (config, error) {
	var cfg config
	keep, err := envBool(getenv, "DEMO_KEEP")
	if err != nil {
		return cfg, err
	}
	delay, err := envDuration(getenv, "DEMO_TRANSITION_DELAY", 2*time.Second)
	if err != nil {
		return cfg, err
	}
	timeout, err := envDuration(getenv, "DEMO_TIMEOUT", 3*time.Minute)
	if err != nil {
		return cfg, err
	}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.BoolVar(&cfg.keep, "keep", keep, "keep everything running after the update, until Ctrl-C (env DEMO_KEEP)")
	fs.DurationVar(&cfg.transitionDelay, "transition-delay", delay, "how long emulated servers stay STARTING or STOPPING (env DEMO_TRANSITION_DELAY)")
	fs.DurationVar(&cfg.timeout, "timeout", timeout, "how long each step may take before the demo fails (env DEMO_TIMEOUT)")
	fs.StringVar(&cfg.workDir, "work-dir", "", "directory for the kubeconfig, the operator binary and its log; kept afterwards (default: a temporary directory, removed afterwards but for the operator's log after Ctrl-C or a failure)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if cfg.transitionDelay < 0 || cfg.timeout <= 0 {
		return cfg, errors.New("-transition-delay must not be negative and -timeout must be positive")
	}
	return cfg, nil
}

func envBool(getenv func(string) string, name string) (bool, error) {
	v := getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want 1 or 0", name, v)
	}
	return b, nil
}

func envDuration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want a duration such as 2s", name, v)
	}
	return d, nil
}
