// Command transfer-operator runs the manager that makes AWS Transfer Family match the objects of
// a cluster: servers (TransferServer), their users (TransferUser) and directory groups'
// accesses (TransferAccess), managed workflows (TransferWorkflow), and the AWS accounts they
// live in (AWSAccount). controllers.kinds lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"go.uber.org/zap/zapcore"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/controllers"
	"github.com/transfer-operator/transfer-operator/internal/metricsauth"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// version is set at build time by `make build` (-X main.version=...).
var version = "dev"

// defaultGCPercent is the garbage collector's target when GOGC is not set: the heap may grow by
// 30% of what is live between collections instead of all of it. The operator is idle most of the
// time and its live heap grows with the objects it caches, so memory is worth more than the CPU
// the extra collections cost while a fleet converges (docs/benchmarks.md).
const defaultGCPercent = 30

// leaderElectionID names the Lease the replicas compete for; it must stay stable across releases.
const leaderElectionID = "transfer-operator.transfer.operators.dev"

// flags are the manager's command-line settings.
type flags struct {
	kubeconfig                   string
	metricsAddr                  string
	metricsSecure                bool
	metricsCertDir               string
	probeAddr                    string
	pprofAddr                    string
	leaderElect                  bool
	leaderElectionNS             string
	leaseDuration                time.Duration
	renewDeadline                time.Duration
	retryPeriod                  time.Duration
	serverConcurrency            int
	userConcurrency              int
	resync                       time.Duration
	watchNamespaces              string
	awsRegion                    string
	regions                      string
	allowAdoption                bool
	awsEndpointURL               string
	awsEC2EndpointURL            string
	awsSTSEndpointURL            string
	awsSecretsManagerEndpointURL string
	awsRateLimit                 float64
	awsRateBurst                 int
	driftShare                   float64
	fullCompare                  time.Duration
	kubeQPS                      float64
	kubeBurst                    int
	shutdownTimeout              time.Duration
	dev                          bool
	printVersion                 bool
}

func parseFlags(args []string) (flags, zap.Options, error) {
	var f flags
	fs := flag.NewFlagSet("transfer-operator", flag.ContinueOnError)
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "Path to a kubeconfig. Default: $KUBECONFIG, ~/.kube/config, or the in-cluster configuration.")
	fs.StringVar(&f.metricsAddr, "metrics-bind-address", ":8443", "Address the metrics endpoint binds to; \"0\" disables it.")
	fs.BoolVar(&f.metricsSecure, "metrics-secure", true, "Serve metrics over HTTPS, with Kubernetes authentication and authorization of every scrape.")
	fs.StringVar(&f.metricsCertDir, "metrics-cert-dir", "", "Directory holding the certificate (tls.crt) and key (tls.key) the HTTPS metrics endpoint serves, reloaded when they change, such as a mounted cert-manager Secret; scrapers can then verify it. Empty: a self-signed certificate, which no scraper can verify.")
	fs.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz probes bind to.")
	fs.StringVar(&f.pprofAddr, "pprof-bind-address", "", "Address Go's profiles (/debug/pprof/) bind to, to find where memory or CPU goes; empty disables them. Bind to localhost and reach it with kubectl port-forward.")
	fs.BoolVar(&f.leaderElect, "leader-elect", inCluster(), "Elect a leader, so that only one replica reconciles at a time. Default: on when running in a cluster.")
	fs.StringVar(&f.leaderElectionNS, "leader-election-namespace", "", "Namespace of the leader election Lease. Default: the operator's own namespace.")
	fs.DurationVar(&f.leaseDuration, "leader-election-lease-duration", 15*time.Second, "How long a standby waits after the leader stops renewing before it takes over.")
	fs.DurationVar(&f.renewDeadline, "leader-election-renew-deadline", 10*time.Second, "How long the leader keeps trying to renew its lease before it gives up leadership.")
	fs.DurationVar(&f.retryPeriod, "leader-election-retry-period", 2*time.Second, "How often leader election clients retry.")
	fs.IntVar(&f.serverConcurrency, "server-concurrency", 4, "TransferServers reconciled at once, and as many TransferWorkflows.")
	fs.IntVar(&f.userConcurrency, "user-concurrency", 16, "TransferUsers reconciled at once, and as many TransferAccesses.")
	fs.DurationVar(&f.resync, "resync-period", 10*time.Minute, "How often each object is compared with AWS to correct drift; each object's period is jittered by 10%.")
	fs.DurationVar(&f.fullCompare, "full-compare-period", time.Hour, "Longest a user waits for a full comparison with AWS (DescribeUser) while listings of its server (ListUsers, once a resync period) show no drift in its role, home directory or number of SSH keys. Not longer than --resync-period: every user is described every resync period.")
	fs.StringVar(&f.watchNamespaces, "watch-namespaces", "", "Comma-separated namespaces to watch. Default: all namespaces.")
	fs.StringVar(&f.awsRegion, "aws-region", "", "AWS region for objects that name none. Default: the SDK's (AWS_REGION, the profile).")
	fs.StringVar(&f.regions, "regions", "", "Comma-separated AWS regions objects may create or adopt resources in through the operator's own account; others are Stalled (RegionNotAllowed). Default: the default region only. AWSAccounts declare their own (spec.regions).")
	fs.BoolVar(&f.allowAdoption, "allow-adoption", false, "Let objects in the operator's own account take over AWS resources they did not create (spec.serverId, spec.workflowId, spec.adopt); otherwise they are Stalled (AdoptionNotAllowed). AWSAccounts grant it with spec.allowAdoption.")
	fs.StringVar(&f.awsEndpointURL, "aws-endpoint-url", "", "Transfer API endpoint override, for an emulator. The SDK's AWS_ENDPOINT_URL_TRANSFER is honoured too.")
	fs.StringVar(&f.awsEC2EndpointURL, "aws-ec2-endpoint-url", "", "EC2 API endpoint override (the VPC endpoints of VPC servers), for an emulator. The SDK's AWS_ENDPOINT_URL_EC2 is honoured too.")
	fs.StringVar(&f.awsSecretsManagerEndpointURL, "aws-secretsmanager-endpoint-url", "", "Secrets Manager endpoint override (the secrets of TransferConnectors' credentials), for an emulator. The SDK's AWS_ENDPOINT_URL_SECRETS_MANAGER is honoured too.")
	fs.StringVar(&f.awsSTSEndpointURL, "aws-sts-endpoint-url", "", "STS endpoint override (assuming the roles of AWSAccounts, and the operator's own web identity), for an emulator. The SDK's AWS_ENDPOINT_URL_STS is honoured too.")
	fs.Float64Var(&f.awsRateLimit, "aws-rate-limit", 10, "Client-side limit of AWS requests per second and region, retries included; 0 disables it.")
	fs.IntVar(&f.awsRateBurst, "aws-rate-burst", 20, "AWS requests allowed at once above --aws-rate-limit.")
	fs.Float64Var(&f.driftShare, "drift-budget", 0.5, "Share of --aws-rate-limit that drift detection may use, between 0 and 1; when a fleet needs more at --resync-period, its period stretches instead. 0 leaves drift detection unbounded.")
	fs.Float64Var(&f.kubeQPS, "kube-api-qps", -1, "Client-side limit of Kubernetes API requests per second; 0 or less disables it and leaves the API server's priority and fairness to pace the operator.")
	fs.IntVar(&f.kubeBurst, "kube-api-burst", 0, "Kubernetes API requests allowed at once above --kube-api-qps; 0 means twice --kube-api-qps.")
	fs.DurationVar(&f.shutdownTimeout, "graceful-shutdown-timeout", 30*time.Second, "How long running reconciles may take to finish on shutdown.")
	fs.BoolVar(&f.dev, "dev", false, "Development mode: human-readable console logs at debug level instead of JSON.")
	fs.BoolVar(&f.printVersion, "version", false, "Print the version and exit.")
	zapOpts := zap.Options{TimeEncoder: zapcore.ISO8601TimeEncoder}
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return f, zapOpts, err
	}
	if f.driftShare < 0 || f.driftShare > 1 {
		err := fmt.Errorf("--drift-budget must be between 0 and 1, the share of --aws-rate-limit drift detection may use; got %v", f.driftShare)
		fmt.Fprintln(fs.Output(), err)
		return f, zapOpts, err
	}
	if f.dev {
		zapOpts.Development = true
	}
	return f, zapOpts, nil
}

func main() {
	f, zapOpts, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		os.Exit(2)
	}
	if f.printVersion {
		fmt.Println(version)
		return
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	if err := run(ctrl.SetupSignalHandler(), f); err != nil {
		ctrl.Log.Error(err, "transfer-operator stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, f flags) error {
	log := ctrl.Log.WithName("setup")
	restConfig, err := kubeConfig(f.kubeconfig)
	if err != nil {
		return fmt.Errorf("loading the Kubernetes client configuration: %w", err)
	}
	setKubeRateLimit(restConfig, f.kubeQPS, f.kubeBurst)
	if f.metricsCertDir != "" {
		// controller-runtime serves a self-signed certificate, silently, when these are missing.
		for _, name := range []string{"tls.crt", "tls.key"} {
			if _, err := os.Stat(filepath.Join(f.metricsCertDir, name)); err != nil {
				return fmt.Errorf("reading the metrics certificate (--metrics-cert-dir): %w", err)
			}
		}
	}
	mgr, err := ctrl.NewManager(restConfig, managerOptions(f, restConfig))
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}

	if f.awsSTSEndpointURL != "" {
		// The SDK's default chain builds its own STS client for web identity credentials
		// (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE), which reads the endpoint only from there.
		if err := os.Setenv("AWS_ENDPOINT_URL_STS", f.awsSTSEndpointURL); err != nil {
			return fmt.Errorf("setting AWS_ENDPOINT_URL_STS: %w", err)
		}
	}
	var loadOpts []func(*config.LoadOptions) error
	if f.awsRegion != "" {
		loadOpts = append(loadOpts, config.WithRegion(f.awsRegion))
	}
	awsConfig, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return fmt.Errorf("loading the AWS configuration: %w", err)
	}
	clients := transfer.NewClients(awsConfig, transfer.ClientOptions{
		DefaultRegion:             f.awsRegion,
		EndpointURL:               f.awsEndpointURL,
		EC2EndpointURL:            f.awsEC2EndpointURL,
		STSEndpointURL:            f.awsSTSEndpointURL,
		SecretsManagerEndpointURL: f.awsSecretsManagerEndpointURL,
		RateLimit:                 f.awsRateLimit,
		Burst:                     f.awsRateBurst,
	})
	if clients.DefaultRegion() == "" {
		log.Info("no default AWS region: objects without spec.region will be Stalled; set --aws-region or AWS_REGION")
	}

	cfg := controllers.Config{
		Servers:           controllers.Options{Resync: f.resync, MaxConcurrentReconciles: f.serverConcurrency},
		Users:             controllers.Options{Resync: f.resync, MaxConcurrentReconciles: f.userConcurrency},
		DriftBudget:       f.driftShare * f.awsRateLimit,
		FullComparePeriod: f.fullCompare,
		OwnAccount:        controllers.AccountPolicy{Regions: splitList(f.regions), AllowAdoption: f.allowAdoption},
	}
	if err := controllers.Setup(ctx, mgr, clients, cfg); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("adding the readiness check: %w", err)
	}
	log.Info("starting transfer-operator", "version", version, "region", clients.DefaultRegion(),
		"watchNamespaces", f.watchNamespaces, "leaderElection", f.leaderElect)
	return mgr.Start(ctx)
}

// managerOptions turns the flags into manager options.
func managerOptions(f flags, restConfig *rest.Config) ctrl.Options {
	scheme := runtime.NewScheme()
	// Only the API groups the operator reads or writes: every other group of client-go's scheme
	// costs memory for nothing (docs/benchmarks.md). Secrets (core), Events (events.k8s.io, and
	// core for the legacy recorder), the leader election Lease (coordination.k8s.io).
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, eventsv1.AddToScheme, coordinationv1.AddToScheme, v1alpha1.AddToScheme} {
		utilruntime.Must(add(scheme))
	}

	metrics := metricsserver.Options{BindAddress: f.metricsAddr, SecureServing: f.metricsSecure, CertDir: f.metricsCertDir}
	if f.metricsSecure {
		metrics.FilterProvider = metricsauth.Filter
	}
	cacheOpts := cache.Options{DefaultTransform: controllers.TrimForCache}
	if namespaces := splitList(f.watchNamespaces); len(namespaces) > 0 {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range namespaces {
			cacheOpts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	return ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metrics,
		HealthProbeBindAddress:        f.probeAddr,
		PprofBindAddress:              f.pprofAddr,
		LeaderElection:                f.leaderElect,
		LeaderElectionID:              leaderElectionID,
		LeaderElectionNamespace:       f.leaderElectionNS,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &f.leaseDuration,
		RenewDeadline:                 &f.renewDeadline,
		RetryPeriod:                   &f.retryPeriod,
		GracefulShutdownTimeout:       &f.shutdownTimeout,
		Cache:                         cacheOpts,
	}
}

// kubeConfig loads the Kubernetes client configuration from path, or from the usual places when
// path is empty.
func kubeConfig(path string) (*rest.Config, error) {
	if path != "" {
		return clientcmd.BuildConfigFromFlags("", path)
	}
	return ctrl.GetConfig()
}

// setKubeRateLimit sets the client-side rate limit of the Kubernetes clients the same way
// whatever the configuration came from: client-go would otherwise apply its 5 requests/second
// to a kubeconfig file while controller-runtime turns the limit off in a cluster.
func setKubeRateLimit(cfg *rest.Config, qps float64, burst int) {
	if qps <= 0 {
		cfg.QPS, cfg.Burst = -1, 0
		return
	}
	if burst <= 0 {
		burst = int(2 * qps)
	}
	cfg.QPS, cfg.Burst = float32(qps), max(burst, 1)
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// inCluster reports whether the operator runs in a Kubernetes Pod.
func inCluster() bool {
	_, err := rest.InClusterConfig()
	return err == nil
}
