package transfer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
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
	// SecretsManagerEndpointURL overrides the Secrets Manager endpoint (an emulator that serves
	// it as well); empty keeps the SDK's resolution.
	SecretsManagerEndpointURL string
	// STSEndpointURL overrides the STS endpoint the operator assumes AWSAccount roles through;
	// empty keeps the SDK's resolution, which also honours AWS_ENDPOINT_URL_STS.
	STSEndpointURL string
	// RateLimit is the client-side limit of AWS requests per second, account and region,
	// retries included; zero or less disables it.
	RateLimit float64
	// Burst is the number of requests allowed at once above RateLimit.
	Burst int
}

// Account is where a Service acts: the operator's own credentials (the zero Account), or a role
// the operator assumes.
type Account struct {
	// RoleARN is the IAM role to assume; "" means the operator's own credentials.
	RoleARN string
	// ExternalID is sent with AssumeRole when set.
	ExternalID string
}

// ID returns the 12-digit account of the role, or "" for the operator's own credentials, whose
// account is not known without asking AWS.
func (a Account) ID() string { return AccountOfARN(a.RoleARN) }

// RoleSessionName is the session name of the operator's assumed-role sessions, as CloudTrail
// shows it.
const RoleSessionName = "transfer-operator"

// credentialsExpiryWindow is how long before they expire assumed-role credentials are refreshed,
// so that no request is signed with credentials that expire on its way.
const credentialsExpiryWindow = 2 * time.Minute

// Clients hands out one Service (a Transfer client and an EC2 client) per account and region,
// built once from a base AWS config and shared by every reconciler. Each account and region has
// its own client-side rate limiter, because AWS rate limits are per account and region. The
// credentials of an assumed role are cached once per role and refreshed before they expire.
type Clients struct {
	cfg  aws.Config
	opts ClientOptions
	// sts is built on first use: an operator without AWSAccounts never needs it.
	sts func() *sts.Client

	mu       sync.Mutex
	services map[serviceKey]*Service
	roles    map[Account]*aws.CredentialsCache
	limiters map[limiterKey]*rate.Limiter
}

type serviceKey struct {
	account Account
	region  string
}

// limiterKey is an account ID ("" for the operator's own) and a region.
type limiterKey struct{ accountID, region string }

// NewClients returns a Clients for the given base config (credentials from the SDK's default
// chain) and options.
func NewClients(cfg aws.Config, opts ClientOptions) *Clients {
	if opts.DefaultRegion == "" {
		opts.DefaultRegion = cfg.Region
	}
	base := cfg.Copy()
	stsClient := sync.OnceValue(func() *sts.Client {
		return sts.NewFromConfig(base, func(o *sts.Options) {
			// STS is regional; the default region picks the endpoint (and its partition).
			o.Region = cmp.Or(opts.DefaultRegion, "us-east-1")
			if opts.STSEndpointURL != "" {
				o.BaseEndpoint = aws.String(opts.STSEndpointURL)
			}
		})
	})
	if cfg.Credentials != nil {
		cfg.Credentials = markedCredentials{CredentialsProvider: cfg.Credentials}
	}
	return &Clients{
		cfg: cfg, opts: opts, sts: stsClient,
		services: map[serviceKey]*Service{},
		roles:    map[Account]*aws.CredentialsCache{},
		limiters: map[limiterKey]*rate.Limiter{},
	}
}

// For returns the Service that acts in account and region, or in the default region when region
// is empty.
func (c *Clients) For(account Account, region string) (*Service, error) {
	region = c.Resolve(region)
	if region == "" {
		return nil, ErrNoRegion
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := serviceKey{account: account, region: region}
	if s, ok := c.services[key]; ok {
		return s, nil
	}
	cfg := c.cfg.Copy()
	invalidate := c.invalidateOwn
	if account.RoleARN != "" {
		cache := c.roleCredentials(account)
		cfg.Credentials = markedCredentials{CredentialsProvider: cache, roleARN: account.RoleARN}
		invalidate = cache.Invalidate
	}
	limiter := c.limiter(limiterKey{accountID: account.ID(), region: region})
	common := func(apiOptions *[]func(*middleware.Stack) error) {
		if limiter != nil {
			*apiOptions = append(*apiOptions, rateLimitMiddleware(limiter))
		}
		*apiOptions = append(*apiOptions, metricsMiddleware(account.ID(), region), expiryMiddleware(invalidate))
	}
	client := transfer.NewFromConfig(cfg, func(o *transfer.Options) {
		o.Region = region
		if c.opts.EndpointURL != "" {
			o.BaseEndpoint = aws.String(c.opts.EndpointURL)
		}
		common(&o.APIOptions)
	})
	ec2Client := ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		o.Region = region
		if c.opts.EC2EndpointURL != "" {
			o.BaseEndpoint = aws.String(c.opts.EC2EndpointURL)
		}
		common(&o.APIOptions)
	})
	secretsClient := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		o.Region = region
		if c.opts.SecretsManagerEndpointURL != "" {
			o.BaseEndpoint = aws.String(c.opts.SecretsManagerEndpointURL)
		}
		common(&o.APIOptions)
	})
	s := NewService(client, region).UseEC2(newEC2Calls(ec2Client)).UseSecrets(secretsClient).inAccount(account)
	c.services[key] = s
	return s, nil
}

// invalidateOwn drops the operator's own cached credentials, when they are cached (the SDK's
// default chain caches them), so that the next request retrieves fresh ones.
func (c *Clients) invalidateOwn() {
	if m, ok := c.cfg.Credentials.(markedCredentials); ok {
		if cache, ok := m.CredentialsProvider.(*aws.CredentialsCache); ok {
			cache.Invalidate()
		}
	}
}

// roleCredentials returns the credentials cache of account's role, shared by all its regions.
// The caller holds c.mu.
func (c *Clients) roleCredentials(account Account) *aws.CredentialsCache {
	if cache, ok := c.roles[account]; ok {
		return cache
	}
	provider := stscreds.NewAssumeRoleProvider(c.sts(), account.RoleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = RoleSessionName
		if account.ExternalID != "" {
			o.ExternalID = aws.String(account.ExternalID)
		}
	})
	cache := aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = credentialsExpiryWindow
		o.ExpiryWindowJitterFrac = 0.5
	})
	c.roles[account] = cache
	return cache
}

// limiter returns the rate limiter of an account and region, or nil without a limit. The caller
// holds c.mu.
func (c *Clients) limiter(key limiterKey) *rate.Limiter {
	if c.opts.RateLimit <= 0 {
		return nil
	}
	if l, ok := c.limiters[key]; ok {
		return l
	}
	l := rate.NewLimiter(rate.Limit(c.opts.RateLimit), max(c.opts.Burst, 1))
	c.limiters[key] = l
	return l
}

// AssumeRole checks that the operator may act in account: it retrieves the role's credentials
// (AssumeRole, or the cache while they are fresh) and asks STS who they are (GetCallerIdentity).
// It returns the account the credentials act in. A refusal is a CredentialsError that
// Classify finds RoleRefused, with the operator's own identity when STS tells it.
func (c *Clients) AssumeRole(ctx context.Context, account Account) (string, error) {
	c.mu.Lock()
	creds := markedCredentials{CredentialsProvider: c.roleCredentials(account), roleARN: account.RoleARN}
	c.mu.Unlock()
	out, err := c.sts().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) {
		o.Credentials = creds
	})
	if err != nil {
		var creds *CredentialsError
		if Classify(err) == RoleRefused && errors.As(err, &creds) {
			// Who was refused is what the role's trust policy must name.
			creds.Caller, _ = c.Identity(ctx)
		}
		return "", fmt.Errorf("assuming role %s: %w", account.RoleARN, err)
	}
	return aws.ToString(out.Account), nil
}

// Identity returns the ARN of the operator's own identity, as STS reports it.
func (c *Clients) Identity(ctx context.Context) (string, error) {
	out, err := c.sts().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("asking STS for the operator's identity: %w", err)
	}
	return aws.ToString(out.Arn), nil
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
// roleARN is the role whose credentials these are, "" for the operator's own.
type markedCredentials struct {
	aws.CredentialsProvider
	roleARN string
}

func (m markedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := m.CredentialsProvider.Retrieve(ctx)
	if err != nil && ctx.Err() == nil {
		return creds, &CredentialsError{Err: err, RoleARN: m.roleARN}
	}
	return creds, err
}

// IsCredentialsProvider lets the SDK see through the wrapper (it looks for anonymous credentials).
func (m markedCredentials) IsCredentialsProvider(target aws.CredentialsProvider) bool {
	return aws.IsCredentialsProvider(m.CredentialsProvider, target)
}

// expiryMiddleware calls invalidate when AWS answers that the credentials a request was signed
// with expired (ExpiredToken, ExpiredTokenException: revoked early, or a skewed clock), so that
// the next request retrieves fresh ones instead of reusing them until the cache thinks they
// expire.
func expiryMiddleware(invalidate func()) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("TransferOperatorCredentialsExpiry",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if IsExpiredToken(err) {
					invalidate()
				}
				return out, md, err
			}), middleware.After)
	}
}

// AccountOfARN returns the account field of an ARN (arn:partition:service:region:account:...),
// or "" when arn is not one.
func AccountOfARN(s string) string {
	parsed, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	return parsed.AccountID
}

// RegionOfARN returns the region of an ARN, or "" when s is not one or names no region (IAM).
func RegionOfARN(s string) string {
	parsed, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	return parsed.Region
}
