package metricsauth

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	authenticationclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
)

// fakeAPIServer answers TokenReviews from its users and SubjectAccessReviews by allowing get
// on /metrics to the group "scrapers", and keeps the reviews it was sent, those it failed
// included.
type fakeAPIServer struct {
	users map[string]authenticationv1.UserInfo
	// holdTokenReviews and holdAccessReviews, when set, keep each review of their kind
	// unanswered until they are closed.
	holdTokenReviews, holdAccessReviews chan struct{}

	mu sync.Mutex
	// broken fails every review with a 500.
	broken bool
	// failTokenReviews and failAccessReviews are the statuses the next reviews of their kind
	// fail with, one each.
	failTokenReviews, failAccessReviews []int
	tokens                              []string
	reviews                             []authorizationv1.SubjectAccessReviewSpec
}

func (f *fakeAPIServer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch req.URL.Path {
	case "/apis/authentication.k8s.io/v1/tokenreviews":
		var review authenticationv1.TokenReview
		if err := json.NewDecoder(req.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if f.holdTokenReviews != nil {
			<-f.holdTokenReviews
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.tokens = append(f.tokens, review.Spec.Token)
		if f.fail(w, &f.failTokenReviews) {
			return
		}
		review.Status.User, review.Status.Authenticated = f.users[review.Spec.Token]
		_ = json.NewEncoder(w).Encode(review)
	case "/apis/authorization.k8s.io/v1/subjectaccessreviews":
		var review authorizationv1.SubjectAccessReview
		if err := json.NewDecoder(req.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if f.holdAccessReviews != nil {
			<-f.holdAccessReviews
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.reviews = append(f.reviews, review.Spec)
		if f.fail(w, &f.failAccessReviews) {
			return
		}
		a := review.Spec.NonResourceAttributes
		review.Status.Allowed = a != nil && a.Path == "/metrics" && a.Verb == "get" && strings.Contains(strings.Join(review.Spec.Groups, ","), "scrapers")
		_ = json.NewEncoder(w).Encode(review)
	default:
		http.NotFound(w, req)
	}
}

// fail answers with a failure, and reports so, when the server is broken or next holds a status
// to fail with (which it then drops). The caller holds f.mu.
func (f *fakeAPIServer) fail(w http.ResponseWriter, next *[]int) bool {
	code := 0
	switch {
	case f.broken:
		code = http.StatusInternalServerError
	case len(*next) > 0:
		code, *next = (*next)[0], (*next)[1:]
	default:
		return false
	}
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","code":%d}`, code)
	return true
}

// calls returns how many TokenReviews and SubjectAccessReviews the server was sent.
func (f *fakeAPIServer) calls() (tokenReviews, accessReviews int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.tokens), len(f.reviews)
}

// inProcess is an http.RoundTripper that serves requests with a handler, without a network, so
// that a synctest bubble sees every goroutine that waits for an answer.
type inProcess struct{ http.Handler }

func (p inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	w := httptest.NewRecorder()
	p.ServeHTTP(w, req)
	return w.Result(), nil
}

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// newTestReviewer returns a reviewer that asks api.
func newTestReviewer(t *testing.T, api *fakeAPIServer, clock *fakeClock) *reviewer {
	t.Helper()
	// JSON, which the fake decodes; client-go may otherwise send protobuf.
	config := &rest.Config{Host: "https://api.example", ContentConfig: rest.ContentConfig{ContentType: "application/json"}}
	client := &http.Client{Transport: inProcess{api}}
	authn, err := authenticationclient.NewForConfigAndClient(config, client)
	if err != nil {
		t.Fatal(err)
	}
	authz, err := authorizationclient.NewForConfigAndClient(config, client)
	if err != nil {
		t.Fatal(err)
	}
	return newReviewer(authn.TokenReviews(), authz.SubjectAccessReviews(), clock)
}

// scraper serves one request through a filter, and returns the status code.
type scraper func(method, path, authorization string) int

// newScraper returns a scraper through the filter of a reviewer that asks api, in front of a
// handler that answers "metrics".
func newScraper(t *testing.T, api *fakeAPIServer, clock *fakeClock) scraper {
	t.Helper()
	return filtered(t, newTestReviewer(t, api, clock), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("metrics"))
	}))
}

// filtered returns a scraper through r's filter in front of next.
func filtered(t *testing.T, r *reviewer, next http.Handler) scraper {
	t.Helper()
	handler, err := r.filter(logr.Discard(), next)
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

// TestFilterFailsWhenTheAPIServerDoes runs in a synctest bubble: the retries' backoff passes in
// fake time.
func TestFilterFailsWhenTheAPIServerDoes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := newFakeAPIServer()
		clock := &fakeClock{now: time.Now()}
		scrape := newScraper(t, api, clock)
		api.broken = true
		if got := scrape("GET", "/metrics", "Bearer prometheus-token"); got != http.StatusInternalServerError {
			t.Errorf("token review failing: status %d, want 500", got)
		}
		if tr, _ := api.calls(); tr != retryBackoff.Steps {
			t.Errorf("%d token reviews, want %d: one and the retries of its backoff", tr, retryBackoff.Steps)
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
	})
}

// TestFilterRetriesTransientFailures runs in a synctest bubble: the backoff passes in fake time.
func TestFilterRetriesTransientFailures(t *testing.T) {
	for _, tc := range []struct {
		name                                string
		failTokenReviews, failAccessReviews []int
		status, tokenReviews, accessReviews int
	}{
		{"token review: an internal error, then too many requests", []int{500, 429}, nil, http.StatusOK, 3, 1},
		{"access review: too many requests, then an internal error", nil, []int{429, 500}, http.StatusOK, 1, 3},
		{"a gateway timeout", []int{504}, nil, http.StatusOK, 2, 1},
		{"access review forbidden to the operator is not retried", nil, []int{403}, http.StatusInternalServerError, 1, 1},
		{"a bad request is not retried", []int{400}, nil, http.StatusInternalServerError, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				api := newFakeAPIServer()
				api.failTokenReviews, api.failAccessReviews = tc.failTokenReviews, tc.failAccessReviews
				scrape := newScraper(t, api, &fakeClock{now: time.Now()})
				if got := scrape("GET", "/metrics", "Bearer prometheus-token"); got != tc.status {
					t.Errorf("status %d, want %d", got, tc.status)
				}
				if tr, ar := api.calls(); tr != tc.tokenReviews || ar != tc.accessReviews {
					t.Errorf("%d token and %d access reviews, want %d and %d", tr, ar, tc.tokenReviews, tc.accessReviews)
				}
			})
		})
	}
}

// TestConcurrentScrapesShareReviews starts scrapes with one token nobody has reviewed yet, and
// holds the API server's answers until every scrape waits (synctest.Wait): each review must be
// asked once, not once a scrape.
func TestConcurrentScrapesShareReviews(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := newFakeAPIServer()
		api.holdTokenReviews, api.holdAccessReviews = make(chan struct{}), make(chan struct{})
		scrape := newScraper(t, api, &fakeClock{now: time.Now()})
		statuses := make([]int, 10)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Go(func() { statuses[i] = scrape("GET", "/metrics", "Bearer prometheus-token") })
		}
		synctest.Wait()
		close(api.holdTokenReviews)
		synctest.Wait()
		close(api.holdAccessReviews)
		wg.Wait()
		for i, status := range statuses {
			if status != http.StatusOK {
				t.Errorf("scrape %d: status %d, want 200", i, status)
			}
		}
		if tr, ar := api.calls(); tr != 1 || ar != 1 {
			t.Errorf("%d scrapes sent %d token and %d access reviews, want one of each", len(statuses), tr, ar)
		}
	})
}

func TestFilterHandsOnNoToken(t *testing.T) {
	var seen []string
	scrape := filtered(t, newTestReviewer(t, newFakeAPIServer(), &fakeClock{now: time.Now()}), http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) {
		seen = append(seen, req.Header.Get("Authorization"))
	}))
	if got := scrape("GET", "/metrics", "Bearer prometheus-token"); got != http.StatusOK {
		t.Fatalf("status %d, want 200", got)
	}
	if !reflect.DeepEqual(seen, []string{""}) {
		t.Errorf("the metrics handler saw Authorization %q, want one request without it", seen)
	}
}
