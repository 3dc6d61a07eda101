package chaos

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// otherRegion is the default region the operator is restarted with.
const otherRegion = "eu-central-1"

// TestDefaultRegionChange restarts the operator with another default region (a Helm upgrade of
// aws.region, a new AWS_REGION) while objects that name no region exist. Nothing may be created,
// moved or orphaned: every object says LocationChanged and keeps managing its resource where it
// was recorded, a spec change is applied there, a new object goes to the new default region, and
// deletion deletes everything where it is.
func TestDefaultRegionChange(t *testing.T) {
	seed := seedFor(t, 11)
	servers, users := 2, 5
	if long() {
		servers, users = 4, 20
	}
	r := newReport(t, "configuration change: the operator's default region")
	e := newEnv(t, emulator.Options{Seed: int64(seed)})
	op := e.startOperator("op", "")
	e.create(e.fleet("srv", servers, users)...)
	e.waitReady(convergeTimeout)
	e.expectOnePerObject("before the change")

	if err := op.stop(); err != nil {
		t.Fatalf("stopping the operator: %v", err)
	}
	e.startOperator("op-moved", "", "--aws-region="+otherRegion)
	objects := servers * (users + 1)
	var located int
	deadline := time.Now().Add(convergeTimeout)
	for time.Now().Before(deadline) {
		located = e.countCondition(v1alpha1.ConditionLocationChanged, v1alpha1.ReasonDefaultRegionChanged)
		if located == servers {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	r.add("objects", "%d TransferServers, %d TransferUsers, no spec.region", servers, servers*users)
	r.add("TransferServers that say LocationChanged after the restart", "%d of %d", located, servers)
	if located != servers {
		t.Errorf("%d of %d TransferServers say LocationChanged/DefaultRegionChanged", located, servers)
	}
	e.waitReady(convergeTimeout)

	// A change of spec is applied where the user lives.
	usr := &v1alpha1.TransferUser{}
	usr.Name, usr.Namespace = "srv-0-u00", e.ns
	update(e, usr, func(u *v1alpha1.TransferUser) { u.Spec.HomeDirectory = "/bucket/moved-home" })
	// A new object goes to the new default region.
	fresh := e.newServer("fresh")
	e.create(fresh)
	e.waitReady(convergeTimeout)
	home := ""
	err := retry(convergeTimeout, func() error {
		for _, srv := range e.emu.Snapshot().Regions[region].Servers {
			if u, ok := srv.User("srv-0-u00"); ok {
				if home = u.HomeDirectory; home == "/bucket/moved-home" {
					return nil
				}
			}
		}
		return fmt.Errorf("home directory %q", home)
	})
	r.add("spec change after the restart", "applied in %s: %v", region, err == nil)
	if err != nil {
		t.Errorf("the spec change of srv-0-u00 was not applied where the user lives: %v", err)
	}

	snap := e.emu.Snapshot()
	inOther := len(snap.Regions[otherRegion].Servers)
	r.add("servers in the old / new default region", "%d / %d", len(snap.Regions[region].Servers), inOther)
	if inOther != 1 {
		t.Errorf("%d servers in %s; want only the new object's", inOther, otherRegion)
	}
	for _, srv := range snap.Regions[otherRegion].Servers {
		if tagValue(srv.Tags, "transfer.operators.dev/owner-uid") != string(fresh.UID) {
			t.Errorf("server %s in %s does not belong to the new object: tags %v", srv.ServerID, otherRegion, srv.Tags)
		}
	}
	if err := e.c.Get(context.Background(), clientKey(fresh), fresh); err != nil {
		t.Fatal(err)
	}
	if fresh.Status.Region != otherRegion {
		t.Errorf("the new server recorded region %q; want %s", fresh.Status.Region, otherRegion)
	}
	tl := e.tallyIn(region, otherRegion)
	r.add("AWS resources per object", "%d for %d objects; missing %d, duplicated %d, unowned %d",
		tl.resources, tl.objects, len(tl.missing), len(tl.duplicated), len(tl.unowned))
	if tl.resources != objects+1 || len(tl.missing)+len(tl.duplicated)+len(tl.unowned) > 0 {
		t.Errorf("after the change: %s\nmissing: %v\nduplicated: %v\nunowned: %v", tl, tl.missing, tl.duplicated, tl.unowned)
	}

	stuck := e.deleteAll(convergeTimeout)
	left := e.expectNothingLeft("after deletion")
	for _, srv := range e.emu.Snapshot().Regions[otherRegion].Servers {
		left++
		t.Errorf("after deletion: server %s is left in %s", srv.ServerID, otherRegion)
	}
	r.add("stuck finalizers / AWS resources left after deletion", "%d / %d", len(stuck), left)
	r.add("panics in operator logs", "%d", e.expectNoPanics())
	if len(stuck) > 0 {
		t.Errorf("%d object(s) stuck after deletion: %v", len(stuck), first(stuck, 10))
	}
}

// TestTwoOwners applies, next to a fleet, objects that name AWS resources the fleet's objects
// manage: TransferUsers with spec.adopt and another object's userName, and a TransferServer whose
// spec.serverId names another's server, with adoption allowed (--allow-adoption; without it they
// are refused before any AWS call, TestTenantsGetWhatThePlatformTeamGrants in controllers). The
// newcomers must be Stalled OwnedByAnother and cost no
// AWS write over several resync periods, the owners stay Ready and unchanged, and deleting the
// newcomers leaves every resource in AWS.
func TestTwoOwners(t *testing.T) {
	seed := seedFor(t, 12)
	servers, users := 2, 4
	if long() {
		servers, users = 3, 15
	}
	r := newReport(t, "two objects claim one AWS resource")
	e := newEnv(t, emulator.Options{Seed: int64(seed)})
	e.startOperator("op", "", "--allow-adoption")
	e.create(e.fleet("srv", servers, users)...)
	e.waitReady(convergeTimeout)

	owner := &v1alpha1.TransferServer{}
	owner.Name, owner.Namespace = "srv-0", e.ns
	if err := e.c.Get(context.Background(), clientKey(owner), owner); err != nil {
		t.Fatal(err)
	}
	var newcomers []conditioned
	claim := e.newServer("claims-srv-0")
	claim.Spec.ServerID = owner.Status.ServerID
	newcomers = append(newcomers, claim)
	for i := range servers {
		for j := range users {
			u := e.newUser(fmt.Sprintf("claims-srv-%d-u%02d", i, j), fmt.Sprintf("srv-%d", i), 9000+j)
			u.Spec.UserName, u.Spec.Adopt = fmt.Sprintf("srv-%d-u%02d", i, j), true
			u.Spec.HomeDirectory = "/bucket/claimed"
			newcomers = append(newcomers, u)
		}
	}
	before := e.emu.Calls()
	for _, obj := range newcomers {
		e.create(obj)
	}
	for _, obj := range newcomers {
		c := e.waitStalled(obj, convergeTimeout)
		if c.Reason != v1alpha1.ReasonOwnedByAnother || !strings.Contains(c.Message, "managed by Transfer") {
			t.Errorf("%s is Stalled with %s %q; want %s naming the owner", obj.GetName(), c.Reason, c.Message, v1alpha1.ReasonOwnedByAnother)
		}
	}
	time.Sleep(2*resync + resync/2)
	after := e.emu.Calls()
	writes := map[string]int{}
	for _, op := range []string{"UpdateUser", "UpdateServer", "DeleteUser", "DeleteServer", "TagResource", "UntagResource", "ImportSshPublicKey", "DeleteSshPublicKey", "CreateServer"} {
		if n := after.Of(op) - before.Of(op); n > 0 {
			writes[op] = n
		}
	}
	refusedCreates := after.Of("CreateUser") - before.Of("CreateUser")
	r.add("newcomers", "1 TransferServer by spec.serverId, %d TransferUsers with spec.adopt", servers*users)
	r.add("AWS writes by the newcomers over 2.5 resyncs", "%v; CreateUser (refused, once each): %d", writes, refusedCreates)
	if len(writes) > 0 || refusedCreates > servers*users {
		t.Errorf("the newcomers wrote to AWS: %v, CreateUser %d (want at most one refused create each)", writes, refusedCreates)
	}
	e.checkOwnersUnchanged()

	for _, obj := range newcomers {
		if err := e.c.Delete(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	for _, obj := range newcomers {
		err := retry(convergeTimeout, func() error {
			if err := e.c.Get(context.Background(), clientKey(obj), obj); !apierrors.IsNotFound(err) {
				return fmt.Errorf("%s is not released: %s", obj.GetName(), describe(obj))
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
	tl := e.expectOnePerObject("after deleting the newcomers")
	r.add("AWS resources after deleting the newcomers", "%d for %d objects", tl.resources, tl.objects)
	e.checkOwnersUnchanged()
	stuck := e.deleteAll(convergeTimeout)
	r.add("stuck finalizers / AWS resources left after deletion", "%d / %d", len(stuck), e.expectNothingLeft("after deletion"))
	r.add("panics in operator logs", "%d", e.expectNoPanics())
}

// checkOwnersUnchanged fails the test unless every user of the fleet keeps the home directory
// its own object gives it.
func (e *env) checkOwnersUnchanged() {
	e.t.Helper()
	for _, srv := range e.emu.Snapshot().Regions[region].Servers {
		for _, u := range srv.Users {
			if u.HomeDirectory != "/bucket/"+u.UserName {
				e.t.Errorf("user %s on %s has home directory %s: a newcomer changed it", u.UserName, srv.ServerID, u.HomeDirectory)
			}
		}
	}
}

// countCondition counts the env's objects whose condition typ is True with reason.
func (e *env) countCondition(typ, reason string) int {
	n := 0
	servers, _ := e.servers()
	users, _ := e.users()
	var objs []conditioned
	for i := range servers {
		objs = append(objs, &servers[i])
	}
	for i := range users {
		objs = append(objs, &users[i])
	}
	for _, obj := range objs {
		if c := meta.FindStatusCondition(obj.GetConditions(), typ); c != nil && c.Status == metav1.ConditionTrue && c.Reason == reason {
			n++
		}
	}
	return n
}
