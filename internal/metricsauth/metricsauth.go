// Package metricsauth lets only those the cluster allows scrape the operator's metrics. It
// authenticates a scrape's bearer token with a TokenReview and authorizes the request with a
// SubjectAccessReview for its path and verb, as the API server would a non-resource URL
// (nonResourceURLs: [/metrics], verbs: [get]).
//
// It does what controller-runtime's metrics/filters does, with its caching, without linking
// k8s.io/apiserver: that package's webhook, CEL and tracing dependencies cost the operator 33 MB
// of binary and about 18 MiB of resident memory (docs/benchmarks.md).
package metricsauth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/cache"
	authenticationclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// How long answers are trusted: those of controller-runtime's filter (and of the API server's
// delegating authenticator and authorizer). A revoked token or binding takes effect within them.
const (
	tokenTTL = time.Minute
	allowTTL = 5 * time.Minute
	denyTTL  = 30 * time.Second
	// reviewTimeout bounds each review, as the filter's TokenAccessReviewTimeout does.
	reviewTimeout = 10 * time.Second
	// cacheSize bounds each cache: far more scrapers than a cluster has.
	cacheSize = 1024
)

// Filter is a metricsserver.FilterProvider: it reviews with the API server that config reaches.
// The operator's identity needs create on tokenreviews (authentication.k8s.io) and
// subjectaccessreviews (authorization.k8s.io).
func Filter(config *rest.Config, httpClient *http.Client) (metricsserver.Filter, error) {
	authn, err := authenticationclient.NewForConfigAndClient(config, httpClient)
	if err != nil {
		return nil, err
	}
	authz, err := authorizationclient.NewForConfigAndClient(config, httpClient)
	if err != nil {
		return nil, err
	}
	return newReviewer(authn.TokenReviews(), authz.SubjectAccessReviews(), clock.RealClock{}).filter, nil
}

// reviewer asks the API server who a token belongs to and what they may do, and remembers the
// answers for their TTL.
type reviewer struct {
	tokens authenticationclient.TokenReviewInterface
	access authorizationclient.SubjectAccessReviewInterface
	// users maps a token's SHA-256 to its *authenticationv1.UserInfo, nil when the token is
	// not valid.
	users *cache.LRUExpireCache
	// decisions maps a SubjectAccessReviewSpec, as JSON, to whether it is allowed.
	decisions *cache.LRUExpireCache
}

func newReviewer(tokens authenticationclient.TokenReviewInterface, access authorizationclient.SubjectAccessReviewInterface, now cache.Clock) *reviewer {
	return &reviewer{
		tokens:    tokens,
		access:    access,
		users:     cache.NewLRUExpireCacheWithClock(cacheSize, now),
		decisions: cache.NewLRUExpireCacheWithClock(cacheSize, now),
	}
}

func (r *reviewer) filter(log logr.Logger, next http.Handler) (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		user, err := r.authenticate(ctx, bearerToken(req))
		if err != nil {
			log.Error(err, "Authentication failed")
			http.Error(w, "Authentication failed", http.StatusInternalServerError)
			return
		}
		if user == nil {
			log.V(4).Info("Authentication failed")
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		allowed, err := r.authorize(ctx, user, strings.ToLower(req.Method), req.URL.Path)
		if err != nil {
			msg := fmt.Sprintf("Authorization for user %s failed", user.Username)
			log.Error(err, msg)
			http.Error(w, msg, http.StatusInternalServerError)
			return
		}
		if !allowed {
			msg := fmt.Sprintf("Authorization denied for user %s", user.Username)
			log.V(4).Info(msg)
			http.Error(w, msg, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, req)
	}), nil
}

// bearerToken returns the token of a request's "Authorization: Bearer" header, or "".
func bearerToken(req *http.Request) string {
	scheme, token, ok := strings.Cut(req.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// authenticate returns the user a token belongs to, or nil when the token is missing or not
// valid. Only a failed review is an error.
func (r *reviewer) authenticate(ctx context.Context, token string) (*authenticationv1.UserInfo, error) {
	if token == "" {
		return nil, nil
	}
	key := sha256.Sum256([]byte(token))
	if user, ok := r.users.Get(key); ok {
		return user.(*authenticationv1.UserInfo), nil
	}
	ctx, cancel := context.WithTimeout(ctx, reviewTimeout)
	defer cancel()
	review, err := r.tokens.Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("reviewing the token: %w", err)
	}
	var user *authenticationv1.UserInfo
	if review.Status.Authenticated {
		user = &review.Status.User
	}
	r.users.Add(key, user, tokenTTL)
	return user, nil
}

// authorize reports whether user may verb the non-resource path.
func (r *reviewer) authorize(ctx context.Context, user *authenticationv1.UserInfo, verb, path string) (bool, error) {
	spec := authorizationv1.SubjectAccessReviewSpec{
		User:                  user.Username,
		UID:                   user.UID,
		Groups:                user.Groups,
		Extra:                 map[string]authorizationv1.ExtraValue{},
		NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: path, Verb: verb},
	}
	for k, v := range user.Extra {
		spec.Extra[k] = authorizationv1.ExtraValue(v)
	}
	// JSON orders map keys, so equal specs have equal keys.
	keyJSON, err := json.Marshal(spec)
	if err != nil {
		return false, err
	}
	key := string(keyJSON)
	if allowed, ok := r.decisions.Get(key); ok {
		return allowed.(bool), nil
	}
	ctx, cancel := context.WithTimeout(ctx, reviewTimeout)
	defer cancel()
	review, err := r.access.Create(ctx, &authorizationv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("reviewing access: %w", err)
	}
	allowed := review.Status.Allowed && !review.Status.Denied
	ttl := denyTTL
	if allowed {
		ttl = allowTTL
	}
	r.decisions.Add(key, allowed, ttl)
	return allowed, nil
}
