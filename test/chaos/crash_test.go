package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// TestCrashPoints kills the operator with SIGKILL while it creates, updates (tags, home
// directories, keys), stops and starts, and deletes 50 users on 3 servers, and starts it again
// each time: 20 kills in all. The first kills of each phase land after a call that changes AWS
// (CreateServer, CreateUser, ImportSshPublicKey, ...) took effect and before its answer reached
// the operator; the others at seeded random moments, counted in AWS calls. After each phase
// every object must be Ready with exactly one AWS resource, and AWS must match the spec; after
// the deletion nothing may be left in AWS and no object may be stuck with its finalizer.
func TestCrashPoints(t *testing.T) {
	seed := seedFor(t, 20260522)
	rng := rand.New(rand.NewPCG(seed, 0xc4a5))
	servers, users := 3, 50
	phases := []string{"create", "update", "stop", "start", "delete"}
	kills := map[string]int{"create": 6, "update": 5, "stop": 2, "start": 2, "delete": 5}
	// Kills land after up to this many AWS calls of the restarted operator.
	callsPerKill := map[string]int{"create": 40, "update": 40, "stop": 8, "start": 8, "delete": 15}
	if long() {
		servers, users = 4, 100
		kills = map[string]int{"create": 15, "update": 15, "stop": 10, "start": 10, "delete": 15}
	}
	r := newReport(t, "crash points")
	e := newEnv(t, emulator.Options{Seed: int64(seed), TransitionDelay: 500 * time.Millisecond})
	// A little latency and a client-side limit stretch the work over a few seconds.
	e.emu.SetLatency(10 * time.Millisecond)
	proxy := newHoldingProxy(t, e.emu.URL())
	op := e.startOperator("op", proxy.URL, "--aws-rate-limit=30", "--aws-rate-burst=10")
	// The calls whose answers the first kills of each phase hold back.
	heldKills := map[string][]string{
		"create": {"CreateServer", "CreateUser"},
		"update": {"ImportSshPublicKey", "UpdateUser"},
		"stop":   {"StopServer"},
		"start":  {"StartServer"},
		"delete": {"DeleteUser", "DeleteServer"},
	}
	var held []string
	// killWhileHeld kills the operator while the answer to its next call of awsOp is held back,
	// and restarts it; it reports whether such a call came.
	killWhileHeld := func(awsOp string, ch <-chan struct{}) bool {
		select {
		case <-ch:
			held = append(held, awsOp)
			op.restart()
			return true
		case <-time.After(convergeTimeout):
			proxy.disarm()
			t.Errorf("the operator made no %s call to be killed in", awsOp)
			op.restart()
			return false
		}
	}

	srvName := func(i int) string { return fmt.Sprintf("srv-%d", i) }
	userName := func(i int) string { return fmt.Sprintf("user-%02d", i) }
	serverOf := func(i int) string { return srvName(i % servers) }
	forServers := func(f func(s *v1alpha1.TransferServer)) {
		for i := range servers {
			update(e, &v1alpha1.TransferServer{ObjectMeta: e.meta(srvName(i))}, f)
		}
	}

	acts := map[string]func(){
		"create": func() {
			for i := range servers {
				e.create(e.newServer(srvName(i)))
			}
			for i := range users {
				e.create(e.newUser(userName(i), serverOf(i), i))
			}
		},
		"update": func() {
			forServers(func(s *v1alpha1.TransferServer) { s.Spec.Tags = v1alpha1.Tags{"suite": "chaos", "phase": "update"} })
			for i := range users {
				update(e, &v1alpha1.TransferUser{ObjectMeta: e.meta(userName(i))}, func(u *v1alpha1.TransferUser) {
					u.Spec.Tags = v1alpha1.Tags{"suite": "chaos", "phase": "update"}
					u.Spec.HomeDirectory = "/bucket/v2/" + u.Name
					u.Spec.SSHPublicKeys = []v1alpha1.SSHPublicKey{sshKey(10000 + i), sshKey(20000 + i)}
				})
			}
		},
		"stop":  func() { forServers(func(s *v1alpha1.TransferServer) { s.Spec.State = v1alpha1.ServerOffline }) },
		"start": func() { forServers(func(s *v1alpha1.TransferServer) { s.Spec.State = v1alpha1.ServerOnline }) },
		"delete": func() {
			ctx := context.Background()
			for _, obj := range []client.Object{&v1alpha1.TransferUser{}, &v1alpha1.TransferServer{}} {
				if err := e.c.DeleteAllOf(ctx, obj, client.InNamespace(e.ns)); err != nil {
					t.Fatal(err)
				}
			}
		},
	}
	// done reports whether the phase's work is over.
	done := func(phase string) bool {
		if phase == "delete" {
			return len(e.waitReleased(0)) == 0
		}
		pending, err := e.notReady()
		return err == nil && len(pending) == 0
	}

	totalKills, midWork := 0, 0
	for _, phase := range phases {
		// The first hold is armed before the phase starts: its call may come at once.
		armed := proxy.hold(heldKills[phase][0])
		acts[phase]()
		busy := 0
		for k := range kills[phase] {
			reached := false
			if k < len(heldKills[phase]) {
				// The first kills of a phase land while the answer to a call that changed AWS
				// is held back: the operator dies after AWS acted and before it heard of it.
				ch := armed
				if k > 0 {
					ch = proxy.hold(heldKills[phase][k])
				}
				reached = killWhileHeld(heldKills[phase][k], ch)
			} else {
				// The others land a seeded number of AWS calls into the restarted operator's
				// work, just after an AWS call, however fast or busy the machine is: a
				// restarted operator may take seconds to make its first call. A phase that is
				// over before that many calls gets its kill once it is seen to be over.
				target := e.emu.Calls().Total() + 1 + rng.IntN(callsPerKill[phase])
				deadline := time.Now().Add(convergeTimeout)
				for nextCheck := time.Now(); e.emu.Calls().Total() < target && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
					if time.Now().After(nextCheck) {
						if done(phase) {
							break
						}
						nextCheck = time.Now().Add(250 * time.Millisecond)
					}
				}
				reached = e.emu.Calls().Total() >= target
				op.restart()
			}
			// Checked after the kill, so as not to delay it: what is not done now was not done
			// then.
			if reached && !done(phase) {
				busy++
			}
		}
		totalKills += kills[phase]
		midWork += busy

		var took time.Duration
		if phase == "delete" {
			start := time.Now()
			stuck := e.waitReleased(convergeTimeout)
			took = time.Since(start)
			if len(stuck) > 0 {
				t.Errorf("%d object(s) stuck after deletion:\n%s", len(stuck), strings.Join(first(stuck, 10), "\n"))
			}
			r.add("delete: kills (mid-work) / time to all released after the last kill", "%d (%d) / %s", kills[phase], busy, took.Round(100*time.Millisecond))
			r.add("stuck finalizers after deletion", "%d", len(stuck))
			r.add("AWS resources left after deletion", "%d", e.expectNothingLeft("after deletion"))
			continue
		}
		took = e.waitReady(convergeTimeout)
		tl := e.expectOnePerObject("after " + phase)
		r.add(phase+": kills (mid-work) / time to all Ready after the last kill", "%d (%d) / %s", kills[phase], busy, took.Round(100*time.Millisecond))
		r.add(phase+": AWS resources per object", "%d for %d objects; missing %d, duplicated %d, unowned %d",
			tl.resources, tl.objects, len(tl.missing), len(tl.duplicated), len(tl.unowned))
		switch phase {
		case "update":
			e.checkUsersUpdated(users, userName)
		case "stop":
			e.checkServerStates(emulator.StateOffline)
		case "start":
			e.checkServerStates(emulator.StateOnline)
		}
	}
	r.add("SIGKILLs in all (mid-work)", "%d (%d)", totalKills, midWork)
	r.add("SIGKILLs after AWS acted, before the operator heard", "%d: %s", len(held), strings.Join(held, ", "))
	r.add("creates of unknown outcome looked up by ownership tag (ListServers) / servers found so", "%d / %d",
		e.emu.Calls().Of("ListServers"), e.countLogs("whose response was lost"))
	r.add("panics in operator logs", "%d", e.expectNoPanics())
	// The kill after a CreateServer took effect must have been recovered by the ownership tag.
	if e.countLogs("whose response was lost") == 0 {
		t.Errorf("no server created before a kill was found again by its ownership tag")
	}
	// Kills that all land between phases would test nothing.
	if midWork < totalKills/2 {
		t.Errorf("only %d of %d kills landed while the operator was at work", midWork, totalKills)
	}
}

// meta names an object of the env.
func (e *env) meta(name string) metav1.ObjectMeta { return metaIn(e.ns, name) }

// metaIn names an object of namespace ns.
func metaIn(ns, name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: ns} }

// checkUsersUpdated fails the test unless every user in AWS has the updated home directory, tags
// and exactly the two new keys.
func (e *env) checkUsersUpdated(users int, userName func(int) string) {
	e.t.Helper()
	byName := map[string]emulator.UserRecord{}
	for _, srv := range e.emu.Snapshot().Regions[region].Servers {
		for _, u := range srv.Users {
			byName[u.UserName] = u
		}
	}
	wrong := 0
	for i := range users {
		name := userName(i)
		u, ok := byName[name]
		var keys []string
		for _, k := range u.SSHPublicKeys {
			keys = append(keys, keyMaterial(k.SSHPublicKeyBody))
		}
		want := []string{keyMaterial(string(sshKey(10000 + i))), keyMaterial(string(sshKey(20000 + i)))}
		if !ok || u.HomeDirectory != "/bucket/v2/"+name || tagValue(u.Tags, "phase") != "update" || !sameStrings(keys, want) {
			wrong++
			if wrong <= 5 {
				e.t.Errorf("user %s in AWS does not match its updated spec: found %t, home %q, tags %v, %d keys", name, ok, u.HomeDirectory, u.Tags, len(keys))
			}
		}
	}
	for _, srv := range e.emu.Snapshot().Regions[region].Servers {
		if tagValue(srv.Tags, "phase") != "update" {
			e.t.Errorf("server %s in AWS lacks the updated tag: %v", srv.ServerID, srv.Tags)
		}
	}
}

// checkServerStates fails the test unless every server in AWS is in state.
func (e *env) checkServerStates(state string) {
	e.t.Helper()
	for _, srv := range e.emu.Snapshot().Regions[region].Servers {
		if srv.State != state {
			e.t.Errorf("server %s is %s in AWS, want %s", srv.ServerID, srv.State, state)
		}
	}
}

// keyMaterial returns the type and base64 body of an authorized_keys line, without the comment.
func keyMaterial(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 {
		return line
	}
	return f[0] + " " + f[1]
}

func tagValue(tags []emulator.Tag, key string) string {
	for _, t := range tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// sameStrings reports whether a and b hold the same strings, in any order.
func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
		if count[s] < 0 {
			return false
		}
	}
	return true
}
