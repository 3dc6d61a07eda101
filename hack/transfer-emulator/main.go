// Command transfer-emulator serves the AWS Transfer Family API emulator of
// internal/emulator on a TCP address, for demos, e2e tests and manual checks
// with the AWS CLI. docs/emulator.md describes its flags and admin endpoint.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// shutdownTimeout bounds how long requests in progress may take to finish
// after SIGINT or SIGTERM.
const shutdownTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "transfer-emulator:", err)
		os.Exit(2)
	}
}

// run parses the flags, serves the emulator until ctx ends and then shuts it
// down gracefully. Its log goes to logOut.
func run(ctx context.Context, args []string, logOut io.Writer) error {
	fs := flag.NewFlagSet("transfer-emulator", flag.ContinueOnError)
	fs.SetOutput(logOut)
	listen := fs.String("listen", "127.0.0.1:4566", "TCP address to serve on (port 0 picks a free port)")
	account := fs.String("account", emulator.DefaultAccountID, "12-digit AWS account ID used in ARNs")
	delay := fs.Duration("transition-delay", 2*time.Second, "how long servers stay STARTING or STOPPING and connectors PENDING (0: transitions complete at once)")
	latency := fs.Duration("latency", 0, "delay added to every API call")
	accessKey := fs.String("sigv4-access-key", "", "with --sigv4-secret-key, verify SigV4 signatures and accept only this access key")
	secretKey := fs.String("sigv4-secret-key", "", "secret key of --sigv4-access-key")
	seed := fs.Int64("seed", 0, "seed for generated IDs, random faults and generated secrets, for reproducible tests (0: IDs and faults from the time, secrets from crypto/rand)")
	dataPlane := fs.Bool("data-plane", false, "serve SFTP for every ONLINE SFTP server (each on its own 127.0.0.1 port) and the S3 API of its storage on a port of its own too (S3 is always served on --listen) and log connectors' transfers")
	s3Listen := fs.String("s3-listen", "127.0.0.1:0", "with --data-plane: TCP address of the S3 API's own port")
	customStep := fs.String("custom-step-endpoint", "", "with --data-plane: URL that workflows' CUSTOM steps POST their event to, in place of invoking a Lambda function; the step waits for SendWorkflowStepState")
	efsRoot := fs.String("efs-root", "", "with --data-plane: directory holding one subdirectory per EFS file system ID (default: a temporary directory, removed at exit)")
	var maxObjectSize *resource.Quantity
	fs.Func("max-object-size", "with --data-plane: the largest file an SFTP upload writes and the largest object the S3 API stores, a quantity such as 512Mi (default "+
		resource.NewQuantity(emulator.DefaultMaxObjectSize, resource.BinarySI).String()+", at most 5Ti)", func(v string) error {
		q, err := resource.ParseQuantity(v)
		if err == nil && q.Sign() <= 0 {
			err = errors.New("the size must be positive")
		}
		maxObjectSize = &q
		return err
	})
	var buckets []string
	fs.Func("bucket", "with --data-plane: an S3 bucket to create at start (repeatable; others are created on first use)", func(name string) error {
		buckets = append(buckets, name)
		return nil
	})
	var roles []emulator.Role
	fs.Func("role", "an IAM role STS lets principals assume (repeatable): ARN[,trusted=ACCOUNT[;ACCOUNT...]][,external-id=ID][,web-identity][,max-session=DURATION]; trusted defaults to --account", func(v string) error {
		role, err := parseRole(v)
		roles = append(roles, role)
		return err
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if (*accessKey == "") != (*secretKey == "") {
		return errors.New("--sigv4-access-key and --sigv4-secret-key must be given together")
	}
	if len(*account) != 12 || strings.Trim(*account, "0123456789") != "" {
		return fmt.Errorf("--account %q is not a 12-digit account ID", *account)
	}
	opts := emulator.Options{AccountID: *account, TransitionDelay: *delay, Seed: *seed}
	if *accessKey != "" {
		opts.StrictSigV4 = &emulator.Credentials{AccessKeyID: *accessKey, SecretAccessKey: *secretKey}
	}

	logger := log.New(logOut, "transfer-emulator: ", log.LstdFlags)
	if *dataPlane {
		opts.DataPlane = &emulator.DataPlaneOptions{S3Listen: *s3Listen, Buckets: buckets, EFSRoot: *efsRoot, Logf: logger.Printf, CustomStepEndpoint: *customStep}
		if maxObjectSize != nil {
			opts.DataPlane.MaxObjectSize = maxObjectSize.Value()
		}
	} else if len(buckets) > 0 || *efsRoot != "" || *customStep != "" || maxObjectSize != nil {
		return errors.New("--bucket, --efs-root, --custom-step-endpoint and --max-object-size need --data-plane")
	}
	srv, err := emulator.Listen(*listen, opts)
	if err != nil {
		return err
	}
	srv.SetLatency(*latency)
	for _, role := range roles {
		if err := srv.DefineRole(role); err != nil {
			_ = srv.Close()
			return fmt.Errorf("--role: %w", err)
		}
		logger.Printf("role %s (trusted accounts %v, external ID %t, web identity %t)", role.ARN, role.TrustedAccounts, role.ExternalID != "", role.WebIdentity)
	}
	logger.Printf("listening on %s for Transfer, EC2, STS, S3 and Secrets Manager (account %s, transition delay %s, latency %s, strict SigV4 %t); admin API at %s%s",
		srv.URL(), *account, *delay, *latency, opts.StrictSigV4 != nil, srv.URL(), emulator.AdminPrefix)

	<-ctx.Done()
	logger.Printf("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Printf("stopped")
	return nil
}

// parseRole parses a --role value: the role's ARN, then comma-separated options trusted=A;B,
// external-id=ID, web-identity and max-session=DURATION. The ARN ends at the first comma, so a
// role whose name holds a comma cannot be given on the command line (use PUT /_emulator/roles).
func parseRole(v string) (emulator.Role, error) {
	parts := strings.Split(v, ",")
	role := emulator.Role{ARN: parts[0]}
	for _, opt := range parts[1:] {
		key, value, hasValue := strings.Cut(opt, "=")
		switch {
		case key == "trusted" && hasValue:
			role.TrustedAccounts = strings.Split(value, ";")
		case key == "external-id" && hasValue:
			role.ExternalID = value
		case key == "web-identity" && !hasValue:
			role.WebIdentity = true
		case key == "max-session" && hasValue:
			d, err := time.ParseDuration(value)
			if err != nil {
				return role, fmt.Errorf("max-session %q: %w", value, err)
			}
			role.MaxSessionDuration = d
		default:
			return role, fmt.Errorf("unknown role option %q (want trusted=ACCOUNT[;ACCOUNT], external-id=ID, web-identity or max-session=DURATION)", opt)
		}
	}
	return role, nil
}
