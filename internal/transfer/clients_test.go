package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/google/go-cmp/cmp"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// fakeEndpoint is an AWS Transfer endpoint on 127.0.0.1 that records when each request arrives
// and what it carries, and answers DescribeServer for testServerID, UpdateServer, and
// ResourceNotFoundException for any other server.
type fakeEndpoint struct {
	URL string

	mu       sync.Mutex
	arrivals []time.Time
	requests []fakeRequest
}

type fakeRequest struct {
	Target string
	Body   map[string]any
}

func startFakeEndpoint(t *testing.T) *fakeEndpoint {
	t.Helper()
	f := &fakeEndpoint{}
	srv := httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeEndpoint) serveHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	target := r.Header.Get("X-Amz-Target")
	f.mu.Lock()
	f.arrivals = append(f.arrivals, arrived)
	f.requests = append(f.requests, fakeRequest{Target: target, Body: body})
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if id, _ := body["ServerId"].(string); id != testServerID {
		w.Header().Set("X-Amzn-Errortype", CodeResourceNotFound)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ResourceNotFoundException","Message":"Unknown server"}`)
		return
	}
	switch target {
	case "TransferService.DescribeServer":
		_, _ = io.WriteString(w, `{"Server":{"Arn":"`+testServerARN+`","ServerId":"`+testServerID+`","State":"ONLINE"}}`)
	case "TransferService.UpdateServer", "TransferService.DeleteServer":
		_, _ = io.WriteString(w, `{"ServerId":"`+testServerID+`"}`)
	default:
		w.Header().Set("X-Amzn-Errortype", "UnknownOperationException")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"UnknownOperationException"}`)
	}
}

func (f *fakeEndpoint) recorded() ([]time.Time, []fakeRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.arrivals), slices.Clone(f.requests)
}

func testAWSConfig() aws.Config {
	return aws.Config{Region: testRegion, Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
}

// TestForOwnAccount checks that an empty region means the default one, that each region has one
// Service shared by every caller, and that without any region For fails with ErrNoRegion.
func TestForOwnAccount(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cfg        aws.Config
		opts       ClientOptions
		region     string
		wantRegion string
		wantErr    error
	}{
		{name: "empty region is the config's", cfg: testAWSConfig(), wantRegion: testRegion},
		{name: "named region", cfg: testAWSConfig(), region: "eu-west-1", wantRegion: "eu-west-1"},
		{name: "option overrides the config's region", cfg: testAWSConfig(), opts: ClientOptions{DefaultRegion: "eu-central-1"}, wantRegion: "eu-central-1"},
		{name: "no region at all", wantErr: ErrNoRegion},
		{name: "no default but a named region", region: "eu-west-1", wantRegion: "eu-west-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewClients(tc.cfg, tc.opts)
			s, err := c.For(Account{}, tc.region)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("For(own, %q) error = %v, want %v", tc.region, err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if s.Region() != tc.wantRegion {
				t.Errorf("For(own, %q).Region() = %q, want %q", tc.region, s.Region(), tc.wantRegion)
			}
			if again, _ := c.For(Account{}, tc.wantRegion); again != s {
				t.Errorf("For(own, %q) built a second Service for %s", tc.wantRegion, tc.wantRegion)
			}
		})
	}

	t.Run("regions have their own Service, shared by concurrent callers", func(t *testing.T) {
		c := NewClients(testAWSConfig(), ClientOptions{})
		var wg sync.WaitGroup
		got := make([]*Service, 8)
		for i := range got {
			region := []string{"ap-south-1", "sa-east-1"}[i%2]
			wg.Go(func() { got[i], _ = c.For(Account{}, region) })
		}
		wg.Wait()
		for i, s := range got {
			if s == nil || s != got[i%2] {
				t.Fatalf("For returned %p and %p for the same region", got[i%2], s)
			}
		}
		if got[0] == got[1] {
			t.Error("two regions share one Service")
		}
	})
}

// TestRateLimit checks that the client-side limit spreads concurrent requests over time: 11
// requests at 20 per second with a burst of 1 take at least half a second to arrive. (Measured
// from before the first is sent, not from its arrival: on a busy machine the first request can
// arrive late while the last, released by the limiter, arrives at once.)
func TestRateLimit(t *testing.T) {
	f := startFakeEndpoint(t)
	c := NewClients(testAWSConfig(), ClientOptions{EndpointURL: f.URL, RateLimit: 20, Burst: 1})
	s, err := c.For(Account{}, "")
	if err != nil {
		t.Fatal(err)
	}
	const n = 11
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := s.DescribeServer(ctx, testServerID)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("DescribeServer: %v", err)
		}
	}
	arrivals, _ := f.recorded()
	if len(arrivals) != n {
		t.Fatalf("%d requests arrived, want %d", len(arrivals), n)
	}
	slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
	if spread, want := arrivals[n-1].Sub(start), (n-1)*time.Second/20; spread < want {
		t.Errorf("%d requests arrived within %v, want at least %v", n, spread, want)
	}
}

// TestRateLimitPerRegion checks that each region has its own limiter: a request in one region
// does not wait for the budget another region spent. The limit, one request in 1000 s, is so low
// that a shared limiter would refuse the second request at once, as its wait would outlast the
// context; no duration is measured, which a busy machine could stretch.
func TestRateLimitPerRegion(t *testing.T) {
	f := startFakeEndpoint(t)
	c := NewClients(testAWSConfig(), ClientOptions{EndpointURL: f.URL, RateLimit: 0.001, Burst: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first, _ := c.For(Account{}, testRegion)
	if _, err := first.DescribeServer(ctx, testServerID); err != nil {
		t.Fatal(err)
	}
	second, _ := c.For(Account{}, "eu-west-1")
	if _, err := second.DescribeServer(ctx, testServerID); err != nil {
		t.Errorf("the first request in another region failed: it waited for this region's limiter: %v", err)
	}
}

// TestServiceOverHTTP checks the Service against the real SDK over HTTP: a described server is
// mapped to Server, AWS errors keep their class, and an update clears lists by sending [].
func TestServiceOverHTTP(t *testing.T) {
	f := startFakeEndpoint(t)
	c := NewClients(testAWSConfig(), ClientOptions{EndpointURL: f.URL})
	s, err := c.For(Account{}, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	t.Run("DescribeServer", func(t *testing.T) {
		got, err := s.DescribeServer(ctx, testServerID)
		if err != nil {
			t.Fatalf("DescribeServer: %v", err)
		}
		if got.ID != testServerID || got.ARN != testServerARN || got.State != StateOnline {
			t.Errorf("DescribeServer = {ID:%q ARN:%q State:%q}, want {%q %q %q}", got.ID, got.ARN, got.State, testServerID, testServerARN, StateOnline)
		}
	})
	t.Run("DescribeServer of a missing server", func(t *testing.T) {
		_, err := s.DescribeServer(ctx, "s-00000000000000000")
		if !IsNotFound(err) {
			t.Errorf("DescribeServer error = %v, want one IsNotFound accepts", err)
		}
		if got, want := Describe(err), "ResourceNotFoundException: Unknown server"; got != want {
			t.Errorf("Describe() = %q, want %q", got, want)
		}
	})
	t.Run("DeleteServer of a missing server", func(t *testing.T) {
		if err := s.DeleteServer(ctx, "s-00000000000000000"); err != nil {
			t.Errorf("DeleteServer = %v, want nil", err)
		}
	})
	t.Run("UpdateServer clears lists with []", func(t *testing.T) {
		spec := v1alpha1.TransferServerSpec{
			StructuredLogDestinations: []v1alpha1.LogDestinationARN{},
			WorkflowDetails:           &v1alpha1.WorkflowDetails{OnUpload: []v1alpha1.WorkflowDetail{}},
		}
		observed := awsServer(func(d *types.DescribedServer) {
			d.StructuredLogDestinations = []string{testLog1}
			d.WorkflowDetails = &types.WorkflowDetails{OnUpload: []types.WorkflowDetail{
				{WorkflowId: aws.String(testWorkflow1), ExecutionRole: aws.String(testRole)},
			}}
		})
		p := PlanServer(desiredServer(spec), observed, false)
		_, before := f.recorded()
		if err := s.UpdateServer(ctx, testServerID, p.Update); err != nil {
			t.Fatalf("UpdateServer: %v", err)
		}
		_, after := f.recorded()
		want := []fakeRequest{{Target: "TransferService.UpdateServer", Body: map[string]any{
			"ServerId":                  testServerID,
			"StructuredLogDestinations": []any{},
			"WorkflowDetails":           map[string]any{"OnUpload": []any{}},
		}}}
		if diff := cmp.Diff(want, after[len(before):]); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
	})
	t.Run("empty UpdateServer sends nothing", func(t *testing.T) {
		_, before := f.recorded()
		if err := s.UpdateServer(ctx, testServerID, ServerUpdate{}); err != nil {
			t.Fatalf("UpdateServer: %v", err)
		}
		if _, after := f.recorded(); len(after) != len(before) {
			t.Errorf("an empty update sent %d requests", len(after)-len(before))
		}
	})
}

// TestMissingCredentialsAreUnauthenticated checks that a request the SDK cannot sign, because the
// credentials provider fails, is classified Unauthenticated and says so, while a request whose
// context ended stays Retryable; and that nothing reaches the endpoint.
func TestMissingCredentialsAreUnauthenticated(t *testing.T) {
	f := startFakeEndpoint(t)
	noCreds := aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		if err := ctx.Err(); err != nil {
			return aws.Credentials{}, err
		}
		return aws.Credentials{}, errors.New("no EC2 IMDS role found")
	})
	c := NewClients(aws.Config{Region: testRegion, Credentials: noCreds}, ClientOptions{EndpointURL: f.URL})
	s, err := c.For(Account{}, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.DescribeServer(context.Background(), testServerID)
	if got := Classify(err); got != Unauthenticated {
		t.Errorf("Classify(%v) = %v, want Unauthenticated", err, got)
	}
	if got := Describe(err); got != "no AWS credentials: no EC2 IMDS role found" {
		t.Errorf("Describe() = %q", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.DescribeServer(ctx, testServerID); Classify(err) != Retryable {
		t.Errorf("with an ended context: Classify(%v) = %v, want Retryable", err, Classify(err))
	}
	if _, requests := f.recorded(); len(requests) != 0 {
		t.Errorf("%d requests reached the endpoint without credentials", len(requests))
	}
}
