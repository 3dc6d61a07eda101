package transfer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// ErrNoRegion is returned for an object that names no region when the operator has no default.
var ErrNoRegion = errors.New("no AWS region: set spec.region or start the operator with --aws-region (or AWS_REGION)")

// ClientOptions configure the clients a Clients hands out.
type ClientOptions struct {
	// DefaultRegion is used for objects that name no region.
	DefaultRegion string
	// EndpointURL overrides the Transfer endpoint (an emulator); empty keeps the SDK's resolution,
	// which also honours AWS_ENDPOINT_URL_TRANSFER.
	EndpointURL string
	// EC2EndpointURL overrides the EC2 endpoint (an emulator that serves EC2 as well); empty
	// keeps the SDK's resolution, which also honours AWS_ENDPOINT_URL_EC2.
	EC2EndpointURL string
	// RateLimit is the client-side limit of AWS requests per second and region, retries
	// included; zero or less disables it.
	RateLimit float64
	// Burst is the number of requests allowed at once above RateLimit.
	Burst int
}

// Clients hands out one Transfer client and one EC2 client per region, built once from a base AWS config and
// shared by every reconciler. Each region has its own client-side rate limiter, because AWS
// rate limits are per account and region.
type Clients struct {
	cfg  aws.Config
	opts ClientOptions

	mu       sync.Mutex
	byRegion map[string]*Service
}

// NewClients returns a Clients for the given base config (credentials from the SDK's default
// chain) and options.
func NewClients(cfg aws.Config, opts ClientOptions) *Clients {
	if opts.DefaultRegion == "" {
		opts.DefaultRegion = cfg.Region
	}
	if cfg.Credentials != nil {
		cfg.Credentials = markedCredentials{cfg.Credentials}
	}
	return &Clients{cfg: cfg, opts: opts, byRegion: map[string]*Service{}}
}

// ForRegion returns the Service for region, or for the default region when region is empty.
func (c *Clients) ForRegion(region string) (*Service, error) {
	region = c.Resolve(region)
	if region == "" {
		return nil, ErrNoRegion
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.byRegion[region]; ok {
		return s, nil
	}
	var limiter *rate.Limiter
	if c.opts.RateLimit > 0 {
		limiter = rate.NewLimiter(rate.Limit(c.opts.RateLimit), max(c.opts.Burst, 1))
	}
	client := transfer.NewFromConfig(c.cfg, func(o *transfer.Options) {
		o.Region = region
		if c.opts.EndpointURL != "" {
			o.BaseEndpoint = aws.String(c.opts.EndpointURL)
		}
		if limiter != nil {
			o.APIOptions = append(o.APIOptions, rateLimitMiddleware(limiter))
		}
		o.APIOptions = append(o.APIOptions, metricsMiddleware(region))
	})
	ec2Client := ec2.NewFromConfig(c.cfg, func(o *ec2.Options) {
		o.Region = region
		if c.opts.EC2EndpointURL != "" {
			o.BaseEndpoint = aws.String(c.opts.EC2EndpointURL)
		}
		if limiter != nil {
			o.APIOptions = append(o.APIOptions, rateLimitMiddleware(limiter))
		}
		o.APIOptions = append(o.APIOptions, metricsMiddleware(region))
	})
	s := NewService(client, region).UseEC2(ec2Client)
	c.byRegion[region] = s
	return s, nil
}

// Resolve returns the region an object that names region is served in: region itself, or the
// default region when region is empty.
func (c *Clients) Resolve(region string) string {
	return cmp.Or(region, c.opts.DefaultRegion)
}

// DefaultRegion is the region used for objects that name none; empty when there is none.
func (c *Clients) DefaultRegion() string { return c.opts.DefaultRegion }

// rateLimitMiddleware waits for the limiter before every attempt of a request, retries included,
// so that retries after throttling also respect the limit.
func rateLimitMiddleware(l *rate.Limiter) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("TransferOperatorRateLimit",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := l.Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("waiting for the AWS rate limiter: %w", err)
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}

// markedCredentials wraps the errors of a credentials provider in a CredentialsError, so that
// Classify can tell a request the operator could not sign from one AWS refused. A context that
// ended is not a credentials problem and passes unmarked.
type markedCredentials struct {
	aws.CredentialsProvider
}

func (m markedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := m.CredentialsProvider.Retrieve(ctx)
	if err != nil && ctx.Err() == nil {
		return creds, &CredentialsError{Err: err}
	}
	return creds, err
}

// IsCredentialsProvider lets the SDK see through the wrapper (it looks for anonymous credentials).
func (m markedCredentials) IsCredentialsProvider(target aws.CredentialsProvider) bool {
	return aws.IsCredentialsProvider(m.CredentialsProvider, target)
}
