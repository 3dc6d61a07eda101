package controllers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awstransfer "github.com/aws/aws-sdk-go-v2/service/transfer"
	. "github.com/onsi/gomega"
	lua "github.com/yuin/gopher-lua"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

// The Argo CD health checks of docs/argocd run here, in gopher-lua (the engine Argo CD embeds),
// against objects whose status the reconcilers wrote; kstatus, which Flux uses, is computed on
// the same objects, so both tools are shown to read the same truth.

// Argo CD health statuses (github.com/argoproj/gitops-engine/pkg/health).
const (
	healthy     = "Healthy"
	progressing = "Progressing"
	degraded    = "Degraded"
)

// health is what an Argo CD health script returns.
type health struct {
	Status  string
	Message string
}

// healthScript returns the Argo CD health check of docs/argocd, the same for every kind.
func healthScript(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docs", "argocd", "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// argoHealth runs the health check on obj, an object of kind, in a Lua VM set up as Argo CD sets
// up the VM of an argocd-cm health script (util/lua/lua.go): no standard library but package,
// base and table, the object as the global obj converted as Argo CD converts it (with its kind,
// which Argo CD's live objects always carry), a one-second limit, and the returned table checked
// for a valid status.
func argoHealth(t *testing.T, kind string, obj client.Object) health {
	t.Helper()
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	u["apiVersion"], u["kind"] = v1alpha1.GroupVersion.String(), kind
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for name, open := range map[string]lua.LGFunction{lua.LoadLibName: lua.OpenPackage, lua.BaseLibName: lua.OpenBase, lua.TabLibName: lua.OpenTable} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(open), NRet: 0, Protect: true}, lua.LString(name)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", luaValue(l, u))
	if err := l.DoString(healthScript(t)); err != nil {
		t.Fatalf("the %s health check failed on %s: %v", kind, obj.GetName(), err)
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("the %s health check returned %s, not a table", kind, l.Get(-1).Type())
	}
	h := health{Status: lua.LVAsString(ret.RawGetString("status")), Message: lua.LVAsString(ret.RawGetString("message"))}
	switch h.Status {
	case "Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown":
	default:
		t.Fatalf("the %s health check returned status %q, which Argo CD replaces with Unknown", kind, h.Status)
	}
	if h.Message == "" {
		t.Errorf("the %s health check returned no message for %s", kind, obj.GetName())
	}
	return h
}

// luaValue converts an unstructured value as Argo CD's decodeValue does.
func luaValue(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(luaValue(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for k, item := range v {
			t.RawSetH(lua.LString(k), luaValue(l, item))
		}
		return t
	}
	return lua.LNil
}

// expectStatus checks what Argo CD and kstatus make of obj.
func expectStatus(t *testing.T, kind string, obj client.Object, want string, wantKstatus status.Status, messageHas string) {
	t.Helper()
	h := argoHealth(t, kind, obj)
	if h.Status != want || !strings.Contains(h.Message, messageHas) {
		t.Errorf("Argo CD health of %s %s: got %s %q, want %s with %q", kind, obj.GetName(), h.Status, h.Message, want, messageHas)
	}
	if got := kstatusOf(t, obj); got != wantKstatus {
		t.Errorf("kstatus of %s %s: got %s, want %s", kind, obj.GetName(), got, wantKstatus)
	}
}

// TestArgoCDHealthReadyAndWaiting checks objects the operator reconciled to Ready (a running
// server, one declared Offline, a user) are Healthy and Current, and that a user waiting for a
// TransferServer that does not exist, an object the operator has not looked at yet, and an
// object whose latest spec the operator has not finished are Progressing and InProgress.
func TestArgoCDHealthReadyAndWaiting(t *testing.T) {
	ns := newNamespace(t)
	srv := readyServer(t, ns, "online")
	expectStatus(t, "TransferServer", srv, healthy, status.CurrentStatus, srv.Status.ServerID+" is ONLINE")

	offline := newServer(ns, "offline", func(s *v1alpha1.TransferServerSpec) { s.State = v1alpha1.ServerOffline })
	create(t, offline)
	waitReady(t, offline)
	expectStatus(t, "TransferServer", offline, healthy, status.CurrentStatus, "OFFLINE")

	usr := newUser(ns, "alice", "online", nil)
	create(t, usr)
	waitReady(t, usr)
	expectStatus(t, "TransferUser", usr, healthy, status.CurrentStatus, "matches the spec")

	waiting := newUser(ns, "early", "missing", nil)
	create(t, waiting)
	waitCondition(t, waiting, v1alpha1.ConditionReconciling, v1alpha1.ReasonServerNotReady)
	expectStatus(t, "TransferUser", waiting, progressing, status.InProgressStatus, "ServerNotReady: waiting for TransferServer missing")

	access := newAccess(ns, "partners", "missing", groupSID, nil)
	create(t, access)
	waitCondition(t, access, v1alpha1.ConditionReconciling, v1alpha1.ReasonServerNotReady)
	expectStatus(t, "TransferAccess", access, progressing, status.InProgressStatus, "ServerNotReady: waiting for TransferServer missing")

	// Between a spec change and the operator's first status write, the status still says Ready
	// for the previous generation: that is not Healthy yet.
	for _, obj := range []conditioned{srv, usr} {
		lagging := obj.DeepCopyObject().(conditioned)
		lagging.SetGeneration(obj.GetGeneration() + 1)
		kind := reflect.TypeOf(obj).Elem().Name()
		expectStatus(t, kind, lagging, progressing, status.InProgressStatus, "Waiting for the operator to apply generation")
	}

	// Just applied, before the operator wrote any status.
	fresh := srv.DeepCopy()
	fresh.Status = v1alpha1.TransferServerStatus{}
	if h := argoHealth(t, "TransferServer", fresh); h.Status != progressing || !strings.Contains(h.Message, "TransferServer") {
		t.Errorf("a TransferServer without status: got %s %q, want Progressing, naming the kind", h.Status, h.Message)
	}
}

// TestArgoCDHealthWhileRetrying checks that a server whose creation AWS keeps throttling is
// Progressing and InProgress, with the AWS error in the message: the operator is retrying.
func TestArgoCDHealthWhileRetrying(t *testing.T) {
	ns := newNamespace(t)
	if err := emu.FailNext("CreateServer", 1000, emulator.FailThrottling); err != nil {
		t.Fatal(err)
	}
	defer emu.ClearFaults()
	srv := newServer(ns, "throttled", nil)
	create(t, srv)
	waitCondition(t, srv, v1alpha1.ConditionReconciling, v1alpha1.ReasonAWSError)
	expectStatus(t, "TransferServer", srv, progressing, status.InProgressStatus, "ThrottlingException")
}

// TestArgoCDHealthStalled checks that objects retrying cannot help are Degraded and Failed, with
// the reason in the message: a server AWS refuses to create (AccessDenied) and a user whose name
// is taken by a user the operator did not create (AlreadyExists).
func TestArgoCDHealthStalled(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := readyServer(t, ns, "srv")
	_, err := awsAPI.CreateUser(context.Background(), &awstransfer.CreateUserInput{
		ServerId: aws.String(srv.Status.ServerID), UserName: aws.String("taken"), Role: aws.String(roleARN),
	})
	g.Expect(err).NotTo(HaveOccurred())
	usr := newUser(ns, "taken", "srv", nil)
	create(t, usr)
	waitCondition(t, usr, v1alpha1.ConditionStalled, v1alpha1.ReasonAlreadyExists)
	expectStatus(t, "TransferUser", usr, degraded, status.FailedStatus, "AlreadyExists: a user named taken already exists")

	g.Expect(emu.FailNext("CreateServer", 1000, emulator.FailAccessDenied)).To(Succeed())
	defer emu.ClearFaults()
	denied := newServer(ns, "denied", nil)
	create(t, denied)
	waitCondition(t, denied, v1alpha1.ConditionStalled, v1alpha1.ReasonAccessDenied)
	expectStatus(t, "TransferServer", denied, degraded, status.FailedStatus, "AccessDenied: the operator's AWS identity may not do this: AccessDeniedException")

	// A fix pushed from Git is Progressing until the operator has tried it.
	lagging := denied.DeepCopy()
	lagging.Generation++
	expectStatus(t, "TransferServer", lagging, progressing, status.InProgressStatus, "Waiting for the operator")
}

// TestArgoCDHealthSnippetMatchesScripts checks that the argocd-cm snippet in
// docs/argocd/README.md holds exactly the scripts the other tests run, under the keys Argo CD
// reads.
func TestArgoCDHealthSnippetMatchesScripts(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docs", "argocd", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Kind     string            `json:"kind"`
		Metadata metav1.ObjectMeta `json:"metadata"`
		Data     map[string]string `json:"data"`
	}
	for _, block := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1) {
		if bytes.Contains(block[1], []byte("name: argocd-cm")) {
			if err := yaml.Unmarshal(block[1], &cm); err != nil {
				t.Fatalf("the argocd-cm snippet is not valid YAML: %v", err)
			}
			break
		}
	}
	if cm.Kind != "ConfigMap" || cm.Metadata.Name != "argocd-cm" {
		t.Fatalf("docs/argocd/README.md has no argocd-cm ConfigMap snippet")
	}
	for _, kind := range []string{"TransferServer", "TransferUser", "TransferAccess", "TransferWorkflow"} {
		key := "resource.customizations.health.transfer.operators.dev_" + kind
		if got, want := cm.Data[key], healthScript(t); got != want {
			t.Errorf("the snippet's %s differs from docs/argocd/health.lua", key)
		}
	}
}

// argoCDManager is the field manager Argo CD applies with when ServerSideApply=true.
const argoCDManager = "argocd-controller"

// applyManifest server-side applies a YAML manifest as Argo CD does and returns the object the
// API server answered with; with dryRun nothing is stored, which is how Argo CD's server-side
// diff predicts the object it compares with the live one.
func applyManifest(t *testing.T, manifest string, dryRun bool) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatal(err)
	}
	opts := []client.ApplyOption{client.FieldOwner(argoCDManager), client.ForceOwnership}
	if dryRun {
		opts = append(opts, client.DryRunAll)
	}
	if err := k8s.Apply(context.Background(), client.ApplyConfigurationFromUnstructured(u), opts...); err != nil {
		t.Fatalf("applying %s: %v", u.GetName(), err)
	}
	return u
}

// TestNoSpecMutation applies a server and a user the way Argo CD does (server-side apply from
// Git), lets the operator make them Ready and resync, and checks that the operator never wrote
// the spec: the generation is still 1, the spec is what was applied plus the CRD's defaults, no
// field manager but Argo CD's owns a spec field, and a server-side dry-run apply of the same
// manifest (Argo CD's server-side diff) predicts exactly the live spec.
func TestNoSpecMutation(t *testing.T) {
	ns := newNamespace(t)
	serverManifest := `
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferServer
metadata:
  name: gitops
  namespace: ` + ns + `
spec:
  protocols: [SFTP]
  endpointType: VPC
  endpointDetails:
    vpcId: vpc-0abc
    subnetIds: [subnet-1, subnet-2]
    securityGroupIds: [sg-0123456789abcdef0]
  securityPolicyName: TransferSecurityPolicy-2024-01
  tags:
    team: a
`
	userManifest := `
apiVersion: transfer.operators.dev/v1alpha1
kind: TransferUser
metadata:
  name: alice
  namespace: ` + ns + `
spec:
  serverRef: {name: gitops}
  role: ` + roleARN + `
  homeDirectoryType: LOGICAL
  homeDirectoryMappings:
    - {entry: /, target: "/bucket/home/${Transfer:UserName}", type: DIRECTORY}
  policy: |
    {
      "Statement": [ {"Resource": "arn:aws:s3:::bucket", "Action": "s3:ListBucket", "Effect": "Allow"} ],
      "Version": "2012-10-17"
    }
  sshPublicKeys:
    - ` + keyA + `
    - ` + keyB + `
  tags: {team: a}
`
	cases := []struct {
		manifest string
		obj      conditioned
		defaults map[string]any
	}{
		{serverManifest, &v1alpha1.TransferServer{}, map[string]any{"deletionPolicy": "Delete", "managementPolicy": "Manage", "state": "Online"}},
		{userManifest, &v1alpha1.TransferUser{}, map[string]any{"deletionPolicy": "Delete", "managementPolicy": "Manage"}},
	}
	for _, c := range cases {
		applied := applyManifest(t, c.manifest, false)
		c.obj.SetNamespace(ns)
		c.obj.SetName(applied.GetName())
		waitReady(t, c.obj)
	}
	// Let every object go through a drift-detecting resync after it became Ready: the second
	// describe of the server after this point begins only once the pass of the first has ended;
	// the user, once a describe found it in sync, is watched by listings of its server, which
	// begin a resync period after that pass.
	emu.ResetCalls()
	NewWithT(t).Eventually(func(g Gomega) {
		calls := emu.Calls()
		g.Expect(calls.Of("DescribeServer")).To(BeNumerically(">=", 2), "calls: %v", calls)
		g.Expect(calls.Of("DescribeUser")).To(BeNumerically(">=", 1), "calls: %v", calls)
		g.Expect(calls.Of("ListUsers")).To(BeNumerically(">=", 1), "calls: %v", calls)
	}).WithTimeout(2*resync + timeout).Should(Succeed())

	for _, c := range cases {
		want := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(c.manifest), &want.Object); err != nil {
			t.Fatal(err)
		}
		wantSpec := want.Object["spec"].(map[string]any)
		for k, v := range c.defaults {
			wantSpec[k] = v
		}
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(want.GroupVersionKind())
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(want), live); err != nil {
			t.Fatal(err)
		}
		name := want.GetKind() + " " + want.GetName()
		if live.GetGeneration() != 1 {
			t.Errorf("%s: generation %d, want 1: the spec was written after it was applied", name, live.GetGeneration())
		}
		if diff := jsonDiff(wantSpec, live.Object["spec"]); diff != "" {
			t.Errorf("%s: the live spec is not the applied spec plus defaults: %s", name, diff)
		}
		for _, mf := range live.GetManagedFields() {
			if mf.Manager != argoCDManager && mf.FieldsV1 != nil && strings.Contains(mf.FieldsV1.GetRawString(), `"f:spec"`) {
				t.Errorf("%s: field manager %s (%s) owns spec fields: %s", name, mf.Manager, mf.Operation, mf.FieldsV1.GetRawString())
			}
		}
		predicted := applyManifest(t, c.manifest, true)
		if diff := jsonDiff(live.Object["spec"], predicted.Object["spec"]); diff != "" {
			t.Errorf("%s: Argo CD's server-side diff would show a change: %s", name, diff)
		}
		if predicted.GetGeneration() != live.GetGeneration() {
			t.Errorf("%s: a dry-run apply of the manifest would make generation %d, live is %d", name, predicted.GetGeneration(), live.GetGeneration())
		}
	}
}

// jsonDiff returns "" when a and b are the same JSON, else both as JSON.
func jsonDiff(a, b any) string {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if bytes.Equal(ja, jb) {
		return ""
	}
	return "want " + string(ja) + "\n got " + string(jb)
}
