package controllers

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// userSweep notices drift of many users with few AWS requests. Once a resync period it lists the
// users of each server (ListUsers, 1,000 users a request) and compares what the listing shows of
// each user (transfer.UserSummary: role, home directory and its type, number of SSH keys) with
// what it showed when the user's last full pass found it in sync. A user that changed there or
// is gone is queued at once, at the low priority of drift passes; the others need a full
// comparison (DescribeUser: policy, POSIX profile, mappings, key bodies, tags) only once a full
// period.
//
// Only a user whose last full pass found it in sync is watched; any other, and every user of a
// server whose listing failed, goes back to a full comparison every resync period until a pass
// finds it in sync again. The sweep runs on the leader only.
type userSweep struct {
	drift  *driftSchedule
	clock  clock.PassiveClock
	resync time.Duration
	// full is the longest a watched user waits for a full comparison; no user is watched when
	// it is not longer than resync.
	full time.Duration
	// tick is how often the sweep looks for servers that are due.
	tick time.Duration

	mu sync.Mutex
	// servers are the servers whose users are watched, by server ID, unique in AWS.
	servers map[string]*sweptUsers
	queue   workqueue.TypedRateLimitingInterface[reconcile.Request]
}

// sweptUsers are the watched users of one server, by user name, the service of its account and
// region, and when it is swept next.
type sweptUsers struct {
	svc   *transfer.Service
	users map[string]sweptUser
	next  time.Time
}

// sweptUser is a watched user: its object, and the hash of its summary when it was in sync.
// A listing that shows another summary queues the user and notes that summary (listed, with
// queued set) until the pass ends.
type sweptUser struct {
	object  types.NamespacedName
	summary uint64
	listed  uint64
	queued  bool
}

// summarySeed hashes summaries for the life of the process.
var summarySeed = maphash.MakeSeed()

func hashSummary(s transfer.UserSummary) uint64 { return maphash.Comparable(summarySeed, s) }

// newUserSweep returns the sweep of users with opts (their resync period and clock defaulted)
// and a full period of full.
func newUserSweep(drift *driftSchedule, opts Options, full time.Duration) *userSweep {
	return &userSweep{drift: drift, clock: opts.Clock, resync: opts.Resync, full: full, tick: time.Second, servers: map[string]*sweptUsers{}}
}

// period returns how long a user may wait for its next full comparison: when it is watched, 85%
// of the full period, so that with the jitter of 10% and a late worker every user is still
// compared within the full period; else the resync period.
func (s *userSweep) period(serverID, userName string) time.Duration {
	if s.watched(serverID, userName) {
		return s.full * 85 / 100
	}
	return s.resync
}

// watch starts watching a user that a full pass through svc found in sync, with its summary
// then. A user that a listing queued and that the pass found in sync, described as before, is
// one whose listing AWS reports otherwise than DescribeUser (a field's default, say): what the
// listing showed becomes the summary to compare with, so that it is not queued at every sweep.
func (s *userSweep) watch(object types.NamespacedName, svc *transfer.Service, serverID, userName string, summary transfer.UserSummary) {
	if s.full <= s.resync {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	srv := s.servers[serverID]
	if srv == nil {
		srv = &sweptUsers{users: map[string]sweptUser{}, next: s.clock.Now().Add(jitter(s.resync))}
		s.servers[serverID] = srv
	}
	srv.svc = svc
	u := sweptUser{object: object, summary: hashSummary(summary)}
	if old, ok := srv.users[userName]; ok && old.queued && old.summary == u.summary {
		u.summary = old.listed
	}
	srv.users[userName] = u
}

// forget stops watching a user.
func (s *userSweep) forget(serverID, userName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if srv := s.servers[serverID]; srv != nil {
		delete(srv.users, userName)
		if len(srv.users) == 0 {
			delete(s.servers, serverID)
		}
	}
}

// watched reports whether a user is watched.
func (s *userSweep) watched(serverID, userName string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	srv := s.servers[serverID]
	if srv == nil {
		return false
	}
	_, ok := srv.users[userName]
	return ok
}

// Start takes the queue of the TransferUser controller: as its source, the sweep queues the
// users it finds changed.
func (s *userSweep) Start(_ context.Context, queue workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = queue
	return nil
}

func (s *userSweep) String() string { return "user sweep" }

// run sweeps the servers that are due until ctx ends; it is the sweep's manager Runnable.
func (s *userSweep) run(ctx context.Context) error {
	ticker := time.NewTicker(s.tick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			for _, srv := range s.due() {
				s.sweep(ctx, srv)
			}
		}
	}
}

// due returns the servers whose sweep is due; none before the controller gave its queue.
func (s *userSweep) due() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queue == nil {
		return nil
	}
	now := s.clock.Now()
	var due []string
	for id, srv := range s.servers {
		if !srv.next.After(now) {
			due = append(due, id)
		}
	}
	return due
}

// sweep lists the users of one server and queues those that changed or are gone. When the
// listing fails, every user of the server is queued, for full comparisons until they are in
// sync again. Its requests count as drift detection's, and its next sweep is scheduled within
// the drift budget.
func (s *userSweep) sweep(ctx context.Context, serverID string) {
	s.mu.Lock()
	srv := s.servers[serverID]
	s.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, calls := transfer.CountCalls(ctx)
	listed, err := srv.svc.ListUserSummaries(ctx, serverID)
	countDriftRequests(calls)
	if ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.servers[serverID] != srv {
		return
	}
	var changed []types.NamespacedName
	for name, u := range srv.users {
		l, ok := listed[name]
		if err != nil || !ok {
			changed = append(changed, u.object)
			delete(srv.users, name)
			continue
		}
		if h := hashSummary(l); h != u.summary && !(u.queued && h == u.listed) {
			changed = append(changed, u.object)
			u.listed, u.queued = h, true
			srv.users[name] = u
		}
	}
	logger := log.Log.WithName("user-sweep")
	if err != nil {
		logger.Error(err, "listing the users of a server failed; its users are compared in full until they are in sync", "region", srv.svc.Region(), "account", srv.svc.AccountID(), "serverId", serverID)
	} else if len(changed) > 0 {
		logger.Info("users changed in AWS; correcting them", "region", srv.svc.Region(), "account", srv.svc.AccountID(), "serverId", serverID, "users", len(changed))
	}
	if len(srv.users) == 0 {
		delete(s.servers, serverID)
	} else {
		srv.next = s.clock.Now().Add(s.drift.next(log.IntoContext(ctx, logger), "usersweep", calls.Limit(), calls.Calls(), jitter(s.resync)))
	}
	for _, obj := range changed {
		s.enqueue(reconcile.Request{NamespacedName: obj})
	}
}

// enqueue queues a user whose drift a listing showed: at low priority, as the drift pass it is,
// behind every watch event.
func (s *userSweep) enqueue(req reconcile.Request) {
	if pq, ok := s.queue.(priorityqueue.PriorityQueue[reconcile.Request]); ok {
		pq.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(handler.LowPriority)}, req)
		return
	}
	s.queue.Add(req)
}
