package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

func awsErr(code string) error {
	return fmt.Errorf("operation: %w", &smithy.GenericAPIError{Code: code, Message: "says " + code})
}

// TestOutcome checks the one place that turns the error of a pass into conditions and a result:
// AWS errors no retry can fix become Stalled with a reason a person can act on, keeping their
// cause; waits requeue after their delay; transient errors are returned for the workqueue's
// backoff; success is Ready with a jittered resync.
func TestOutcome(t *testing.T) {
	const resync = 10 * time.Minute
	for _, tc := range []struct {
		name        string
		err         error
		wantReady   metav1.ConditionStatus
		wantType    string // the condition that is True besides Ready, if any
		wantReason  string
		wantRequeue time.Duration // 0: a resync, jittered
		wantErr     bool
	}{
		{name: "success", wantReady: metav1.ConditionTrue, wantReason: v1alpha1.ReasonReconciled},
		{name: "not found on a write", err: awsErr(transfer.CodeResourceNotFound), wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionStalled, wantReason: v1alpha1.ReasonNotFound},
		{name: "exists", err: awsErr(transfer.CodeResourceExists), wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionStalled, wantReason: v1alpha1.ReasonAlreadyExists},
		{name: "invalid request", err: awsErr(transfer.CodeInvalidRequest), wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionStalled, wantReason: v1alpha1.ReasonInvalidSpec},
		{name: "access denied", err: awsErr(transfer.CodeAccessDenied), wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionStalled, wantReason: v1alpha1.ReasonAccessDenied},
		{name: "unknown key", err: awsErr("UnrecognizedClientException"), wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionStalled, wantReason: v1alpha1.ReasonInvalidCredentials},
		{name: "no credentials", err: &transfer.CredentialsError{Err: errors.New("no EC2 IMDS role found")}, wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionStalled, wantReason: v1alpha1.ReasonInvalidCredentials},
		{name: "unknown operation", err: awsErr("UnknownOperationException"), wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionStalled, wantReason: v1alpha1.ReasonUnsupportedOperation},
		{name: "stalled by the pass", err: stalled(v1alpha1.ReasonSecretNotFound, "no secret"), wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionStalled, wantReason: v1alpha1.ReasonSecretNotFound},
		{name: "waiting", err: waiting(v1alpha1.ReasonStarting, 7*time.Second, "starting"), wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionReconciling, wantReason: v1alpha1.ReasonStarting, wantRequeue: 7 * time.Second},
		{name: "throttled", err: awsErr(transfer.CodeThrottling), wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionReconciling, wantReason: v1alpha1.ReasonAWSError, wantErr: true},
		{name: "conflict while changing state", err: awsErr(transfer.CodeConflict), wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionReconciling, wantReason: v1alpha1.ReasonAWSError, wantErr: true},
		{name: "5xx", err: awsErr(transfer.CodeServiceUnavailable), wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionReconciling, wantReason: v1alpha1.ReasonAWSError, wantErr: true},
		{name: "network", err: errors.New("connection reset by peer"), wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionReconciling, wantReason: v1alpha1.ReasonAWSError, wantErr: true},
		{name: "context ended", err: context.DeadlineExceeded, wantReady: metav1.ConditionFalse, wantType: v1alpha1.ConditionReconciling, wantReason: v1alpha1.ReasonAWSError, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := &v1alpha1.TransferServer{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
			result, err := outcome(obj, meaning(tc.err), "ready", resync)
			if (err != nil) != tc.wantErr {
				t.Fatalf("outcome() error = %v, want an error: %t", err, tc.wantErr)
			}
			ready := meta.FindStatusCondition(obj.Status.Conditions, v1alpha1.ConditionReady)
			if ready == nil || ready.Status != tc.wantReady || ready.Reason != tc.wantReason || ready.ObservedGeneration != 3 {
				t.Fatalf("Ready = %+v, want %s with reason %s for generation 3", ready, tc.wantReady, tc.wantReason)
			}
			for _, typ := range []string{v1alpha1.ConditionStalled, v1alpha1.ConditionReconciling} {
				c := meta.FindStatusCondition(obj.Status.Conditions, typ)
				if want := typ == tc.wantType; (c != nil && c.Status == metav1.ConditionTrue) != want {
					t.Errorf("%s = %+v, want True: %t", typ, c, want)
				}
			}
			switch {
			case tc.wantErr && result.RequeueAfter != 0:
				t.Errorf("a transient error requeues after %s; want the workqueue's backoff", result.RequeueAfter)
			case tc.wantRequeue > 0 && result.RequeueAfter != tc.wantRequeue:
				t.Errorf("RequeueAfter = %s, want %s", result.RequeueAfter, tc.wantRequeue)
			case !tc.wantErr && tc.wantRequeue == 0 && (result.RequeueAfter < resync*9/10 || result.RequeueAfter > resync*11/10):
				t.Errorf("RequeueAfter = %s, want a resync of %s ± 10%%", result.RequeueAfter, resync)
			}
			// A resync is a drift pass, which waits behind every watch event; a wait or a retry
			// keeps the priority of the change it works on.
			isResync := tc.err == nil || tc.wantType == v1alpha1.ConditionStalled
			if low := result.Priority != nil && *result.Priority == handler.LowPriority; low != isResync {
				t.Errorf("Priority = %v, want low priority: %t", result.Priority, isResync)
			}
			if tc.wantType == v1alpha1.ConditionStalled && tc.err != nil {
				var stall *stallError
				if !errors.As(meaning(tc.err), &stall) || (stall.cause == nil) != (transfer.Classify(tc.err) == transfer.Retryable) {
					t.Errorf("meaning(%v) = %v: want a stall that keeps its AWS cause", tc.err, meaning(tc.err))
				}
			}
		})
	}
}

// TestFinished checks that a generation counts as done on success and on a stall, AWS's included,
// and not while waiting or retrying.
func TestFinished(t *testing.T) {
	for err, want := range map[error]bool{
		nil:                                      true,
		stalled(v1alpha1.ReasonInvalidSpec, "x"): true,
		awsErr(transfer.CodeInvalidRequest):      true,
		awsErr(transfer.CodeThrottling):          false,
		waiting(v1alpha1.ReasonStarting, time.Second, "x"): false,
	} {
		if got := finished(meaning(err)); got != want {
			t.Errorf("finished(%v) = %t, want %t", err, got, want)
		}
	}
}

// TestNoteLocation checks LocationChanged: set, naming both regions, when the recorded region is
// not the one the object resolves to today; removed when they agree or nothing is recorded yet.
func TestNoteLocation(t *testing.T) {
	obj := &v1alpha1.TransferServer{}
	noteLocation(obj, "the server", "eu-west-1", "eu-central-1")
	c := meta.FindStatusCondition(obj.Status.Conditions, v1alpha1.ConditionLocationChanged)
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != v1alpha1.ReasonDefaultRegionChanged {
		t.Fatalf("LocationChanged = %+v", c)
	}
	for _, region := range []string{"eu-west-1", "eu-central-1"} {
		if !strings.Contains(c.Message, region) {
			t.Errorf("message %q does not name %s", c.Message, region)
		}
	}
	noteLocation(obj, "the server", "eu-west-1", "eu-west-1")
	if c := meta.FindStatusCondition(obj.Status.Conditions, v1alpha1.ConditionLocationChanged); c != nil {
		t.Errorf("LocationChanged stays when the regions agree: %+v", c)
	}
	noteLocation(obj, "the server", "", "eu-central-1")
	if len(obj.Status.Conditions) != 0 {
		t.Errorf("conditions for an object with nothing recorded: %+v", obj.Status.Conditions)
	}
	if got := recordedRegion("", "arn:aws:transfer:ap-south-1:111122223333:server/s-1"); got != "ap-south-1" {
		t.Errorf("recordedRegion from the ARN = %q", got)
	}
}

// TestJitter checks that resyncs are spread by up to 10% either way, and that no resync stays
// none.
func TestJitter(t *testing.T) {
	const d = 10 * time.Minute
	seen := map[bool]bool{}
	for range 1000 {
		got := jitter(d)
		if got < d*9/10 || got > d*11/10 {
			t.Fatalf("jitter(%v) = %v, outside ±10%%", d, got)
		}
		seen[got < d] = true
	}
	if !seen[true] || !seen[false] {
		t.Errorf("jitter(%v) spread only one way in 1000 draws", d)
	}
	if got := jitter(0); got != 0 {
		t.Errorf("jitter(0) = %v", got)
	}
}

// TestPollAfter checks the poll back-off: the shortest interval at first, a quarter of the time
// spent Reconciling so far after that, never more than the bound.
func TestPollAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	opts := Options{PollInterval: 2 * time.Second, MaxPollInterval: 30 * time.Second, Clock: clocktesting.NewFakePassiveClock(now)}.withDefaults()
	for _, tc := range []struct {
		name    string
		waiting time.Duration // how long the object has been Reconciling; negative: it is not
		want    time.Duration
	}{
		{name: "not reconciling", waiting: -1, want: 2 * time.Second},
		{name: "just started", waiting: 0, want: 2 * time.Second},
		{name: "a minute in", waiting: time.Minute, want: 15 * time.Second},
		{name: "an hour in", waiting: time.Hour, want: 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := &v1alpha1.TransferServer{}
			if tc.waiting >= 0 {
				obj.Status.Conditions = []metav1.Condition{{
					Type: v1alpha1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonStarting,
					LastTransitionTime: metav1.NewTime(now.Add(-tc.waiting)),
				}}
			}
			if got := opts.pollAfter(obj); got != tc.want {
				t.Errorf("pollAfter() = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestNoteProblemOnce checks that becoming Stalled, or starting to wait for an object that does
// not exist, is told in one Warning Event, not again on every pass that stays so for the same
// reason, and again when the message changes; an ordinary wait is told in none.
func TestNoteProblemOnce(t *testing.T) {
	rec := record.NewFakeRecorder(10)
	n := notifier{recorder: rec}
	obj := &v1alpha1.TransferServer{}
	ctx := context.Background()
	for i, err := range []error{
		stalled(v1alpha1.ReasonSecretNotFound, "no secret"),
		stalled(v1alpha1.ReasonSecretNotFound, "no secret"),
		waiting(v1alpha1.ReasonStarting, time.Second, "starting"),
		stalled(v1alpha1.ReasonInvalidSpec, "bad spec"),
		waitingForMissing(nil, v1alpha1.ReasonServerNotReady, eventServerNotFound, time.Second, "no server"),
		waitingForMissing(nil, v1alpha1.ReasonServerNotReady, eventServerNotFound, time.Second, "no server"),
	} {
		noteProblem(ctx, n, obj, err)
		if _, err := outcome(obj, meaning(err), "ready", time.Minute); err != nil {
			t.Fatalf("pass %d: %v", i, err)
		}
	}
	close(rec.Events)
	var got []string
	for e := range rec.Events {
		got = append(got, e)
	}
	if len(got) != 3 || !strings.Contains(got[0], "no secret") || !strings.Contains(got[1], "bad spec") ||
		!strings.Contains(got[2], "Warning ServerNotFound no server") {
		t.Errorf("events = %q, want one for each stall and one for the missing server", got)
	}
}
