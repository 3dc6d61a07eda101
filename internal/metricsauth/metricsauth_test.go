package metricsauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	authenticationclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
)

// fakeAPIServer answers TokenReviews from its users and SubjectAccessReviews by allowing get
// on /metrics to the group "scrapers", and keeps the reviews it was sent.
type fakeAPIServer struct {
	users map[string]authenticationv1.UserInfo

	mu      sync.Mutex
	broken  bool
	tokens  []string
	reviews []authorizationv1.SubjectAccessReviewSpec
}

func (f *fakeAPIServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if f.broken {
		http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","code":500}`, http.StatusInternalServerError)
		return
	}
	switch req.URL.Path {
	case "/apis/authentication.k8s.io/v1/tokenreviews":
		var review authenticationv1.TokenReview
		if err := json.NewDecoder(req.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.tokens = append(f.tokens, review.Spec.Token)
		review.Status.User, review.Status.Authenticated = f.users[review.Spec.Token]
		_ = json.NewEncoder(w).Encode(review)
	case "/apis/authorization.k8s.io/v1/subjectaccessreviews":
		var review authorizationv1.SubjectAccessReview
		if err := json.NewDecoder(req.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.reviews = append(f.reviews, review.Spec)
		a := review.Spec.NonResourceAttributes
		review.Status.Allowed = a != nil && a.Path == "/metrics" && a.Verb == "get" && strings.Contains(strings.Join(review.Spec.Groups, ","), "scrapers")
		_ = json.NewEncoder(w).Encode(review)
	default:
		http.NotFound(w, req)
	}
}

// calls returns how many TokenReviews and SubjectAccessReviews the server was sent.
func (f *fakeAPIServer) calls() (tokenReviews, accessReviews int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.tokens), len(f.reviews)
}

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// scrape serves one request through the filter of a reviewer that asks api, and returns the
// status code.
type scraper func(method, path, authorization string) int

func newScraper(t *testing.T, api *fakeAPIServer, clock *fakeClock) scraper {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	// JSON, which the fake decodes; client-go may otherwise send protobuf.
	config := &rest.Config{Host: srv.URL, ContentConfig: rest.ContentConfig{ContentType: "application/json"}}
	authn, err := authenticationclient.NewForConfigAndClient(config, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	authz, err := authorizationclient.NewForConfigAndClient(config, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	handler, err := newReviewer(authn.TokenReviews(), authz.SubjectAccessReviews(), clock).filter(logr.Discard(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("metrics"))
	}))
	if err != nil {
		t.Fatal(err)
	}
	return func(method, path, authorization string) int {
		req := httptest.NewRequest(method, path, nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		return w.Code
	}
}

func newFakeAPIServer() *fakeAPIServer {
	return &fakeAPIServer{users: map[string]authenticationv1.UserInfo{
		"prometheus-token": {Username: "system:serviceaccount:monitoring:prometheus", UID: "4a1", Groups: []string{"system:serviceaccounts", "scrapers"},
			Extra: map[string]authenticationv1.ExtraValue{"authentication.kubernetes.io/credential-id": {"JTI=1"}}},
		"stranger-token": {Username: "system:serviceaccount:default:stranger", Groups: []string{"system:serviceaccounts"}},
	}}
}

func TestFilter(t *testing.T) {
	scrape := newScraper(t, newFakeAPIServer(), &fakeClock{now: time.Now()})
	for _, tc := range []struct {
		name, method, path, authorization string
		want                              int
	}{
		{"a scraper the cluster allows", "GET", "/metrics", "Bearer prometheus-token", http.StatusOK},
		{"the scheme in any case", "GET", "/metrics", "bearer prometheus-token", http.StatusOK},
		{"no token", "GET", "/metrics", "", http.StatusUnauthorized},
		{"basic authentication", "GET", "/metrics", "Basic cHJvbWV0aGV1czpzZWNyZXQ=", http.StatusUnauthorized},
		{"an empty token", "GET", "/metrics", "Bearer ", http.StatusUnauthorized},
		{"a token the cluster does not know", "GET", "/metrics", "Bearer forged", http.StatusUnauthorized},
		{"a user the cluster does not allow", "GET", "/metrics", "Bearer stranger-token", http.StatusForbidden},
		{"another path", "GET", "/debug", "Bearer prometheus-token", http.StatusForbidden},
		{"another verb", "POST", "/metrics", "Bearer prometheus-token", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := scrape(tc.method, tc.path, tc.authorization); got != tc.want {
				t.Errorf("%s %s with %q: status %d, want %d", tc.method, tc.path, tc.authorization, got, tc.want)
			}
		})
	}
}

func TestFilterReviewsWhoTheTokenIs(t *testing.T) {
	api := newFakeAPIServer()
	scrape := newScraper(t, api, &fakeClock{now: time.Now()})
	if got := scrape("GET", "/metrics", "Bearer prometheus-token"); got != http.StatusOK {
		t.Fatalf("status %d, want 200", got)
	}
	want := authorizationv1.SubjectAccessReviewSpec{
		User: "system:serviceaccount:monitoring:prometheus", UID: "4a1", Groups: []string{"system:serviceaccounts", "scrapers"},
		Extra:                 map[string]authorizationv1.ExtraValue{"authentication.kubernetes.io/credential-id": {"JTI=1"}},
		NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/metrics", Verb: "get"},
	}
	if !reflect.DeepEqual(api.reviews, []authorizationv1.SubjectAccessReviewSpec{want}) {
		t.Errorf("access reviews %+v, want %+v", api.reviews, want)
	}
	if !reflect.DeepEqual(api.tokens, []string{"prometheus-token"}) {
		t.Errorf("token reviews of %q, want one of prometheus-token", api.tokens)
	}
}

func TestFilterRemembersAnswersForTheirTTL(t *testing.T) {
	api := newFakeAPIServer()
	clock := &fakeClock{now: time.Now()}
	scrape := newScraper(t, api, clock)
	expect := func(step string, authorization string, status, tokenReviews, accessReviews int) {
		t.Helper()
		if got := scrape("GET", "/metrics", authorization); got != status {
			t.Errorf("%s: status %d, want %d", step, got, status)
		}
		if tr, ar := api.calls(); tr != tokenReviews || ar != accessReviews {
			t.Errorf("%s: %d token and %d access reviews in all, want %d and %d", step, tr, ar, tokenReviews, accessReviews)
		}
	}
	expect("first scrape", "Bearer prometheus-token", http.StatusOK, 1, 1)
	expect("second scrape", "Bearer prometheus-token", http.StatusOK, 1, 1)
	expect("a forged token", "Bearer forged", http.StatusUnauthorized, 2, 1)
	expect("the forged token again", "Bearer forged", http.StatusUnauthorized, 2, 1)
	expect("a stranger", "Bearer stranger-token", http.StatusForbidden, 3, 2)
	expect("the stranger again", "Bearer stranger-token", http.StatusForbidden, 3, 2)

	clock.now = clock.now.Add(tokenTTL + time.Second)
	expect("after the token TTL", "Bearer prometheus-token", http.StatusOK, 4, 2)
	expect("the stranger after the deny TTL", "Bearer stranger-token", http.StatusForbidden, 5, 3)

	clock.now = clock.now.Add(allowTTL - tokenTTL)
	expect("after the allow TTL", "Bearer prometheus-token", http.StatusOK, 6, 4)
}

func TestFilterFailsWhenTheAPIServerDoes(t *testing.T) {
	api := newFakeAPIServer()
	clock := &fakeClock{now: time.Now()}
	scrape := newScraper(t, api, clock)
	api.broken = true
	if got := scrape("GET", "/metrics", "Bearer prometheus-token"); got != http.StatusInternalServerError {
		t.Errorf("token review failing: status %d, want 500", got)
	}
	api.broken = false
	if got := scrape("GET", "/metrics", "Bearer prometheus-token"); got != http.StatusOK {
		t.Errorf("API server back: status %d, want 200 (a failed review is not remembered)", got)
	}
	clock.now = clock.now.Add(allowTTL + time.Second)
	api.broken = true
	if got := scrape("GET", "/metrics", "Bearer stranger-token"); got != http.StatusInternalServerError {
		t.Errorf("access review failing: status %d, want 500", got)
	}
}
