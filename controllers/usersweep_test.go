package controllers

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awstransfer "github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// TestUserSweep checks, against the emulator through the SDK, that a sweep lists a server's
// users and queues exactly those that changed in AWS or are gone, that only watched users wait
// a full period, and that a failed listing sends every user of the server back to full
// comparisons.
func TestUserSweep(t *testing.T) {
	emu := emulator.New(emulator.Options{})
	web := httptest.NewServer(emu)
	defer web.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")}
	clients := transfer.NewClients(cfg, transfer.ClientOptions{EndpointURL: web.URL})
	api := awstransfer.NewFromConfig(cfg, func(o *awstransfer.Options) { o.BaseEndpoint = aws.String(web.URL) })
	ctx := context.Background()
	created, err := api.CreateServer(ctx, &awstransfer.CreateServerInput{})
	if err != nil {
		t.Fatal(err)
	}
	serverID := aws.ToString(created.ServerId)
	names := []string{"alice", "bob", "carol"}
	for _, name := range names {
		if _, err := api.CreateUser(ctx, &awstransfer.CreateUserInput{ServerId: created.ServerId, UserName: aws.String(name),
			Role: aws.String("arn:aws:iam::111122223333:role/sftp"), HomeDirectory: aws.String("/bucket/" + name)}); err != nil {
			t.Fatal(err)
		}
	}

	clk := clocktesting.NewFakePassiveClock(time.Unix(1_000_000, 0))
	sweep := newUserSweep(newDriftSchedule(0, clk), Options{Resync: time.Minute, Clock: clk}, time.Hour)
	queue := priorityqueue.New[reconcile.Request]("sweep-test")
	defer queue.ShutDown()
	if len(sweep.due()) != 0 {
		t.Fatal("a sweep was due before the controller gave its queue")
	}
	if err := sweep.Start(ctx, queue); err != nil {
		t.Fatal(err)
	}
	svc, err := clients.For(transfer.Account{}, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	object := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: "team-a", Name: name} }
	for _, name := range names {
		user, err := svc.DescribeUser(ctx, serverID, name)
		if err != nil {
			t.Fatal(err)
		}
		sweep.watch(object(name), svc, serverID, name, user.Summary())
	}
	if got := sweep.period(serverID, "alice"); got != 51*time.Minute {
		t.Errorf("a watched user waits %s for a full comparison, want 51m: jittered by 10%%, within the full period of 1h", got)
	}
	if got := sweep.period(serverID, "dave"); got != time.Minute {
		t.Errorf("a user not watched waits %s, want the resync period of 1m", got)
	}
	if due := sweep.due(); len(due) != 0 {
		t.Errorf("servers due before a resync period passed: %v", due)
	}
	clk.SetTime(clk.Now().Add(2 * time.Minute))
	due := sweep.due()
	if !slices.Equal(due, []string{serverID}) {
		t.Fatalf("due after a resync period: %v", due)
	}

	// Unchanged: nothing queued, the next sweep a resync period away.
	before := testutil.ToFloat64(driftRequests.WithLabelValues("us-east-1"))
	sweep.sweep(ctx, due[0])
	if queue.Len() != 0 {
		t.Fatalf("an unchanged server queued %d users", queue.Len())
	}
	if got := testutil.ToFloat64(driftRequests.WithLabelValues("us-east-1")) - before; got != 1 {
		t.Errorf("a sweep of three users counted %v drift requests, want one ListUsers", got)
	}
	if len(sweep.due()) != 0 {
		t.Error("the server is due again right after its sweep")
	}

	// Alice's home directory changed, bob is gone: both queued at low priority; bob is no longer
	// watched, alice until her pass.
	if err := emu.ModifyUser("us-east-1", serverID, "alice", func(u *emulator.UserRecord) { u.HomeDirectory = "/elsewhere" }); err != nil {
		t.Fatal(err)
	}
	if _, err := api.DeleteUser(ctx, &awstransfer.DeleteUserInput{ServerId: created.ServerId, UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	sweep.sweep(ctx, due[0])
	if got := drain(t, queue); !slices.Equal(got, []string{"team-a/alice", "team-a/bob"}) {
		t.Errorf("queued %v, want team-a/alice and team-a/bob", got)
	}
	for name, want := range map[string]bool{"alice": true, "bob": false, "carol": true} {
		if got := sweep.watched(serverID, name); got != want {
			t.Errorf("%s watched: %t, want %t", name, got, want)
		}
	}

	sweep.sweep(ctx, due[0])
	if got := drain(t, queue); len(got) != 0 {
		t.Errorf("a sweep before alice's pass queued %v again", got)
	}
	sweep.forget(serverID, "alice") // her pass found her changed and corrects her

	// Carol as DescribeUser reports her differs from her listing (AWS reporting a field
	// otherwise in one than in the other): queued once; her pass finds her in sync, described as
	// before, and the listing's summary becomes hers.
	described := transfer.UserSummary{Role: "arn:aws:iam::111122223333:role/sftp", HomeDirectory: "/bucket/carol"} // no type; the listing says PATH
	sweep.watch(object("carol"), svc, serverID, "carol", described)
	sweep.sweep(ctx, due[0])
	if got := drain(t, queue); !slices.Equal(got, []string{"team-a/carol"}) {
		t.Fatalf("queued %v, want team-a/carol, whose listing differs", got)
	}
	sweep.watch(object("carol"), svc, serverID, "carol", described)
	sweep.sweep(ctx, due[0])
	if got := drain(t, queue); len(got) != 0 {
		t.Errorf("carol, in sync and listed as before, was queued again: %v", got)
	}
	if err := emu.ModifyUser("us-east-1", serverID, "carol", func(u *emulator.UserRecord) { u.Role = "arn:aws:iam::111122223333:role/other" }); err != nil {
		t.Fatal(err)
	}
	sweep.sweep(ctx, due[0])
	if got := drain(t, queue); !slices.Equal(got, []string{"team-a/carol"}) {
		t.Errorf("carol's role changed in AWS; queued %v", got)
	}
	sweep.watch(object("carol"), svc, serverID, "carol", described)

	// A listing refused: carol is queued and compared in full from now on.
	if err := emu.FailNext("ListUsers", 1, emulator.FailAccessDenied); err != nil {
		t.Fatal(err)
	}
	sweep.sweep(ctx, due[0])
	if got := drain(t, queue); !slices.Equal(got, []string{"team-a/carol"}) {
		t.Errorf("after a failed listing queued %v, want team-a/carol", got)
	}
	if sweep.watched(serverID, "carol") || len(sweep.servers) != 0 {
		t.Errorf("after a failed listing the sweep still watches %v", sweep.servers)
	}
}

// TestUserSweepOff checks that a full period not longer than the resync period watches nobody.
func TestUserSweepOff(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Unix(1_000_000, 0))
	sweep := newUserSweep(newDriftSchedule(0, clk), Options{Resync: time.Hour, Clock: clk}, time.Hour)
	sweep.watch(types.NamespacedName{Namespace: "a", Name: "b"}, nil, "s-1", "b", transfer.UserSummary{})
	if got := sweep.period("s-1", "b"); got != time.Hour || len(sweep.servers) != 0 {
		t.Errorf("period %s with %d servers watched; want the resync period and none", got, len(sweep.servers))
	}
}

// drain returns the queued requests as sorted namespace/name strings and empties the queue. Each
// must be queued at low priority, as the drift pass it is.
func drain(t *testing.T, q priorityqueue.PriorityQueue[reconcile.Request]) []string {
	t.Helper()
	var got []string
	for q.Len() > 0 {
		req, priority, _ := q.GetWithPriority()
		if priority != handler.LowPriority {
			t.Errorf("%s queued at priority %d, want low", req, priority)
		}
		got = append(got, req.String())
		q.Done(req)
		q.Forget(req)
	}
	slices.Sort(got)
	return got
}
