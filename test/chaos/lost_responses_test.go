package chaos

import (
	"testing"
	"time"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// TestLostResponses makes 30% of the CreateServer and CreateUser calls take effect in AWS and
// then answer 500 or drop the connection. The operator must find what it made by the ownership
// tag (servers, whose create it sends once) or adopt the user its own SDK retry bumped into
// (ResourceExistsException): every object Ready with exactly one AWS resource, none unowned;
// then, after deleting everything, nothing left in AWS and nothing stuck.
func TestLostResponses(t *testing.T) {
	// Seed 15 fails the first and the second CreateServer (one 500, one dropped connection).
	seed := seedFor(t, 15)
	servers, users := 3, 10
	if long() {
		servers, users = 8, 20
	}
	r := newReport(t, "lost responses")
	e := newEnv(t, emulator.Options{Seed: int64(seed), TransitionDelay: 200 * time.Millisecond})
	for _, op := range []string{"CreateServer", "CreateUser"} {
		if err := e.emu.SetCommitThenFail(op, 0.3); err != nil {
			t.Fatal(err)
		}
	}
	e.startOperator("op", "")
	objs := e.fleet("srv", servers, users)
	e.create(objs...)
	took := e.waitReady(convergeTimeout)

	calls := e.emu.Calls()
	lost := func(op string) int {
		return calls.Outcome(op, emulator.CodeInternalError) + calls.Outcome(op, emulator.OutcomeDropped)
	}
	r.add("objects", "%d TransferServers, %d TransferUsers", servers, servers*users)
	r.add("injected: CreateServer committed then lost", "%d of %d calls (%d answered 500, %d dropped)",
		lost("CreateServer"), calls.Of("CreateServer"), calls.Outcome("CreateServer", emulator.CodeInternalError), calls.Outcome("CreateServer", emulator.OutcomeDropped))
	r.add("injected: CreateUser committed then lost", "%d of %d calls (%d answered 500, %d dropped); %d ResourceExists answers to retries",
		lost("CreateUser"), calls.Of("CreateUser"), calls.Outcome("CreateUser", emulator.CodeInternalError), calls.Outcome("CreateUser", emulator.OutcomeDropped),
		calls.Outcome("CreateUser", emulator.CodeResourceExists))
	r.add("time to all Ready", "%s", took.Round(100*time.Millisecond))
	// Without lost responses the scenario tests nothing: the fixed seed must lose both kinds. (A
	// random seed of the long variant may spare the few CreateServer calls.)
	if lost("CreateUser") == 0 || lost("CreateServer") == 0 && !long() {
		t.Errorf("the seed injected no lost response for CreateServer (%d) or CreateUser (%d)", lost("CreateServer"), lost("CreateUser"))
	}
	tl := e.expectOnePerObject("after convergence")
	r.add("AWS resources per object", "%d resources for %d objects; missing %d, duplicated %d", tl.resources, tl.objects, len(tl.missing), len(tl.duplicated))
	r.add("unowned AWS resources", "%d", len(tl.unowned))

	stuck := e.deleteAll(convergeTimeout)
	if len(stuck) > 0 {
		t.Errorf("%d object(s) stuck after deletion:\n%v", len(stuck), first(stuck, 10))
	}
	r.add("stuck finalizers after deletion", "%d", len(stuck))
	r.add("AWS resources left after deletion", "%d", e.expectNothingLeft("after deletion"))
	r.add("panics in operator logs", "%d", e.expectNoPanics())
}
