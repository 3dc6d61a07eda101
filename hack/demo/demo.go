package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
	"github.com/transfer-operator/transfer-operator/internal/testpartner"
)

const (
	// region is the operator's default region, the one the samples' ARNs name.
	region = "eu-west-1"
	// namespace is where the samples go: kubectl's default.
	namespace = "default"
	// samplesDir is applied with kubectl -k, relative to the repository root.
	samplesDir = "config/samples"
	// steps is the number of numbered steps.
	steps = 9
	// demoUser and demoServer are the samples the update step changes.
	demoUser     = "alice"
	demoServer   = "partners-sftp"
	demoWorkflow = "archive-uploads"
	// pollInterval is how often the table is refreshed.
	pollInterval = 500 * time.Millisecond
	// operatorStopTimeout bounds the operator's graceful shutdown.
	operatorStopTimeout = 20 * time.Second
)

// errKeptUntilInterrupt ends a -keep run that was ready and then stopped with Ctrl-C.
var errKeptUntilInterrupt = errors.New("stopped after keeping everything running")

// demo is one run: what it started, so that it can stop all of it.
type demo struct {
	cfg  config
	out  io.Writer
	tty  *os.File
	root string

	workDir    string
	ownWorkDir bool
	kubectlBin string
	kubeconfig string
	logPath    string
	logFile    *os.File

	// shown is what the table last showed of each object, off a terminal.
	shown map[string]string

	cp  *testenv.ControlPlane
	emu *emulator.Server
	op  *testenv.Operator

	// key is the SSH key the update step gives demoUser and the login step logs in with.
	key *userKey
	// login is set once the login step is done.
	login *login
	// partner is the partner the connector step started, and connectorID its connector; both
	// are unset until that step runs.
	partner     *testpartner.Partner
	connectorID string
}

func newDemo(cfg config, out *os.File) *demo {
	return &demo{cfg: cfg, out: out, tty: terminal(out), root: testenv.RepoRoot(), shown: map[string]string{}}
}

// main runs the demo, stops everything it started and returns the exit status.
func (d *demo) main(ctx context.Context) int {
	d.say("transfer-operator demo: a local control plane, the operator, the AWS emulator.")
	d.say("Ctrl-C stops it at any time, and everything it started with it.")
	summary, err := d.run(ctx)
	interrupted := ctx.Err() != nil
	if err != nil && !interrupted && d.logPath != "" {
		if lines := problems(d.logPath, 10); len(lines) > 0 {
			d.say("")
			d.say("The operator's last errors and warnings (%s):", d.logPath)
			for _, l := range lines {
				d.say("  | %s", l)
			}
		}
	}
	failed := err != nil && !interrupted
	// After a failure or Ctrl-C the operator's log is what tells what happened: it is kept.
	cleanupErr := d.cleanup(failed || interrupted)
	switch {
	case failed || cleanupErr != nil:
		d.say("demo: error: %v", errors.Join(err, cleanupErr))
		return 1
	case errors.Is(err, errKeptUntilInterrupt):
		d.say("demo: stopped: everything the demo started is stopped")
		return 0
	case interrupted:
		d.say("demo: interrupted: everything the demo started is stopped")
		return 130
	}
	d.say("demo: done: %s", summary)
	return 0
}

// run does the steps and returns the summary of a completed demo.
func (d *demo) run(ctx context.Context) (string, error) {
	if err := d.prepare(ctx); err != nil {
		return "", err
	}
	if err := d.start(ctx); err != nil {
		return "", err
	}
	if err := d.createHostKeySecrets(ctx); err != nil {
		return "", err
	}
	if err := d.createCredentialsSecret(ctx); err != nil {
		return "", err
	}
	count, err := d.createSamples(ctx)
	if err != nil {
		return "", err
	}
	if err := d.addKey(ctx); err != nil {
		return "", err
	}
	if err := d.logIn(ctx, 5); err != nil {
		return "", err
	}
	if err := d.stopAndStart(ctx); err != nil {
		return "", err
	}
	if err := d.rotateHostKey(ctx, 7); err != nil {
		return "", err
	}
	if err := d.connectPartner(ctx, 8); err != nil {
		return "", err
	}
	if d.cfg.keep {
		return "", d.keepRunning(ctx)
	}
	if err := d.deleteAll(ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d objects Ready, emulator empty", count), nil
}

// prepare gets the envtest binaries and builds the operator.
func (d *demo) prepare(ctx context.Context) error {
	d.step(1, "Preparing")
	if d.cfg.workDir != "" {
		d.workDir = d.cfg.workDir
		if err := os.MkdirAll(d.workDir, 0o755); err != nil {
			return err
		}
	} else {
		dir, err := os.MkdirTemp("", "transfer-operator-demo-")
		if err != nil {
			return err
		}
		d.workDir, d.ownWorkDir = dir, true
	}
	d.kubeconfig = filepath.Join(d.workDir, "kubeconfig")
	d.logPath = filepath.Join(d.workDir, "operator.log")
	key, err := newUserKey(d.workDir)
	if err != nil {
		return fmt.Errorf("generating %s's SSH key: %w", demoUser, err)
	}
	d.key = key

	began := time.Now()
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		d.say("  kube-apiserver, etcd, kube-controller-manager, kubectl: hack/setup-envtest.sh")
		d.say("  (the first run builds them from source: 20 to 25 minutes on 2 cores)")
		var stdout bytes.Buffer
		cmd := exec.CommandContext(ctx, filepath.Join(d.root, "hack", "setup-envtest.sh"))
		cmd.Dir, cmd.Stdout = d.root, &stdout
		out, err := runGroup(ctx, cmd, func(line string) {
			if strings.HasPrefix(line, "setup-envtest:") {
				d.say("    %s", line)
			}
		})
		if err != nil {
			return commandError("hack/setup-envtest.sh", err, out)
		}
		assets = strings.TrimSpace(stdout.String())
		// testenv.Start finds the binaries here instead of running the script again.
		if err := os.Setenv("KUBEBUILDER_ASSETS", assets); err != nil {
			return err
		}
	}
	d.kubectlBin = filepath.Join(assets, "kubectl")
	if _, err := os.Stat(d.kubectlBin); err != nil {
		return fmt.Errorf("no kubectl among the envtest binaries: %w", err)
	}
	d.say("  envtest binaries: %s (%s)", assets, since(began))

	began = time.Now()
	bin := filepath.Join(d.workDir, "transfer-operator")
	d.say("  building the operator: go build -o %s", bin)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = d.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := runGroup(ctx, cmd, nil); err != nil {
		return commandError("go build", err, out)
	}
	d.say("  built (%s)", since(began))
	return nil
}

// start starts the control plane, the emulator and the operator.
func (d *demo) start(ctx context.Context) error {
	d.step(2, "Starting")
	began := time.Now()
	cp, err := testenv.StartWith(testenv.Options{ControllerManager: true})
	if err != nil {
		return err
	}
	d.cp = cp
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := cp.WriteKubeconfig(d.kubeconfig); err != nil {
		return err
	}
	d.say("  control plane: kube-apiserver, etcd and kube-controller-manager, CRDs installed (%s)", since(began))

	emu, err := emulator.Start(emulator.Options{
		TransitionDelay: d.cfg.transitionDelay,
		DataPlane:       &emulator.DataPlaneOptions{EFSRoot: filepath.Join(d.workDir, "efs")},
	})
	if err != nil {
		return fmt.Errorf("starting the emulator: %w", err)
	}
	d.emu = emu
	d.say("  emulator:      %s: Transfer Family, S3 and Secrets Manager (servers take %s to start or stop)", emu.URL(), d.cfg.transitionDelay)
	d.say("  SFTP servers:  each listens on a 127.0.0.1 port of its own")

	d.logFile, err = os.Create(d.logPath)
	if err != nil {
		return err
	}
	d.op, err = testenv.StartOperator(testenv.OperatorConfig{
		Binary:      filepath.Join(d.workDir, "transfer-operator"),
		Kubeconfig:  d.kubeconfig,
		EndpointURL: emu.URL(),
		Region:      region,
		Args:        []string{"--dev"},
		Output:      d.logFile,
	})
	if err != nil {
		return err
	}
	d.say("  operator:      pid %d, default region %s", d.op.PID(), region)
	d.say("  operator log:  %s", d.logPath)
	if procs := children(); len(procs) > 0 {
		var list []string
		for _, p := range procs {
			list = append(list, fmt.Sprintf("%s=%d", p.name, p.pid))
		}
		d.say("  processes:     %s", strings.Join(list, " "))
	}
	d.say("  kubeconfig:    %s", d.kubeconfig)
	d.say("  look around from another terminal, for example:")
	d.say("    %s --kubeconfig %s get transfer", d.kubectlBin, d.kubeconfig)
	return nil
}

// createSamples applies config/samples and waits until every object is Ready. It returns the
// number of objects.
func (d *demo) createSamples(ctx context.Context) (int, error) {
	d.step(3, "Creating the samples")
	d.say("  Watch internal-sftp-vpc: AWS attaches Elastic IPs only to a stopped server,")
	d.say("  so the operator creates it, stops it, attaches them and starts it again.")
	if err := d.kubectl(ctx, "", "apply", "-k", samplesDir); err != nil {
		return 0, err
	}
	objs, err := d.watch(ctx, "every sample is Ready", allReady)
	if err != nil {
		return 0, err
	}
	ready, held := countKinds(objs), emulatorCounts(d.emu.Snapshot())
	if !maps.Equal(ready, held) {
		return 0, fmt.Errorf("these objects are Ready: %s; but the emulator holds %s", describeCounts(ready), describeCounts(held))
	}
	d.say("  the emulator holds %s", describeCounts(held))
	d.saySampleConnection(objs)
	if err := d.checkWorkflow(objs); err != nil {
		return 0, err
	}
	return len(objs), nil
}

// checkWorkflow checks that the demo server runs the demo workflow in the emulator.
func (d *demo) checkWorkflow(objs []object) error {
	find := func(kind, name string) object {
		if i := slices.IndexFunc(objs, func(o object) bool { return o.kind == kind && o.name == name }); i >= 0 {
			return objs[i]
		}
		return object{}
	}
	wf, srv := find("TransferWorkflow", demoWorkflow), find("TransferServer", demoServer)
	rec, ok := d.emu.Snapshot().Server(region, srv.id)
	if wf.id == "" || !ok || len(rec.WorkflowDetails.OnUpload) != 1 || rec.WorkflowDetails.OnUpload[0].WorkflowID != wf.id {
		return fmt.Errorf("%s is Ready, but the emulator's server %q does not run workflow %q of %s on upload", demoServer, srv.id, wf.id, demoWorkflow)
	}
	d.say("  the emulator's server %s runs workflow %s on upload", srv.id, wf.id)
	return nil
}

// addKey adds a third SSH key to the demo user: the demo's own, which the login step uses.
func (d *demo) addKey(ctx context.Context) error {
	d.step(4, "Updating: %s gets a third SSH key", demoUser)
	newKey := d.key.authorized
	d.say("  (the demo's key for %s; its private half is %s)", demoUser, d.key.path)
	patch := fmt.Sprintf(`[{"op":"add","path":"/spec/sshPublicKeys/-","value":%q}]`, newKey)
	shown := fmt.Sprintf(`[{"op":"add","path":"/spec/sshPublicKeys/-","value":"%s...%s"}]`, newKey[:20], newKey[len(newKey)-15:])
	if err := d.kubectl(ctx, "patch transferuser "+demoUser+" --type=json \\\n      -p '"+shown+"'",
		"patch", "transferuser", demoUser, "--type=json", "-p", patch); err != nil {
		return err
	}
	if _, err := d.watch(ctx, demoUser+" is Ready with the new key", allReady); err != nil {
		return err
	}
	u, err := d.emulatorUser(ctx)
	if err != nil {
		return err
	}
	if n := len(u.SSHPublicKeys); n != 3 {
		return fmt.Errorf("%s is Ready, but the emulator holds %d SSH keys for it, not 3", demoUser, n)
	}
	d.say("  the emulator holds 3 SSH keys for %s", demoUser)
	return nil
}

// stopAndStart stops the demo server with spec.state Offline and starts it with Online.
func (d *demo) stopAndStart(ctx context.Context) error {
	d.step(6, "Stopping %s, then starting it again", demoServer)
	for _, s := range []struct{ spec, state string }{{"Offline", emulator.StateOffline}, {"Online", emulator.StateOnline}} {
		patch := fmt.Sprintf(`{"spec":{"state":%q}}`, s.spec)
		shown := fmt.Sprintf("patch transferserver %s --type=merge -p '%s'", demoServer, patch)
		if err := d.kubectl(ctx, shown, "patch", "transferserver", demoServer, "--type=merge", "-p", patch); err != nil {
			return err
		}
		done := func(objs []object) bool {
			i := slices.IndexFunc(objs, func(o object) bool { return o.kind == "TransferServer" && o.name == demoServer })
			return allReady(objs) && i >= 0 && objs[i].state == s.state
		}
		objs, err := d.watch(ctx, demoServer+" is Ready and "+s.state, done)
		if err != nil {
			return err
		}
		id := objs[slices.IndexFunc(objs, func(o object) bool { return o.name == demoServer })].id
		srv, ok := d.emu.Snapshot().Server(region, id)
		if !ok || srv.State != s.state {
			return fmt.Errorf("%s is Ready and %s, but the emulator says %s is %q", demoServer, s.state, id, srv.State)
		}
		d.say("  the emulator says %s is %s", id, srv.State)
	}
	return nil
}

// deleteAll deletes the samples and the partner step's connector, and checks that the emulator
// is empty: no Transfer Family resource and no Secrets Manager secret.
func (d *demo) deleteAll(ctx context.Context) error {
	d.step(9, "Deleting everything")
	if err := d.kubectl(ctx, "", "delete", "-k", samplesDir, "--wait=false"); err != nil {
		return err
	}
	if d.connectorID != "" {
		if err := d.kubectl(ctx, "", "delete", "tcon", demoConnector, "--wait=false"); err != nil {
			return err
		}
	}
	if _, err := d.watch(ctx, "every object is gone", func(objs []object) bool { return len(objs) == 0 }); err != nil {
		return err
	}
	snap := d.emu.Snapshot()
	held := emulatorCounts(snap)
	for _, r := range snap.Regions {
		if len(r.Secrets) > 0 {
			held["Secrets Manager secret"] += len(r.Secrets)
		}
	}
	if len(held) > 0 {
		return fmt.Errorf("the emulator still holds %s after the delete", describeCounts(held))
	}
	d.say("  the emulator's snapshot holds no server, user, access, workflow, connector or secret")
	d.say("  To try kubectl yourself, DEMO_KEEP=1 make demo keeps everything running at the end.")
	return nil
}

// keepRunning waits for Ctrl-C, telling the user what to try meanwhile.
func (d *demo) keepRunning(ctx context.Context) error {
	d.step(9, "Running until Ctrl-C (DEMO_KEEP)")
	if d.connectorID != "" {
		d.say("  The samples and %s stay applied, and the partner keeps running. From another terminal, try:", demoConnector)
	} else {
		d.say("  The samples stay applied. From another terminal, try:")
	}
	d.say("    export KUBECONFIG=%s", d.kubeconfig)
	d.say("    %s get transfer", d.kubectlBin)
	d.say("    %s describe transferserver %s", d.kubectlBin, demoServer)
	d.say("    %s delete -k %s", d.kubectlBin, filepath.Join(d.root, samplesDir))
	d.say("  The AWS CLI reaches the emulator (any credentials do):")
	d.say("    AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo \\")
	d.say("      aws transfer list-servers --region %s --endpoint-url %s", region, d.emu.URL())
	d.sayLoginCommands()
	d.sayConnectorCommands()
	d.say("  The operator's log: %s", d.logPath)
	d.say("demo: ready: press Ctrl-C to stop everything")
	select {
	case <-ctx.Done():
		d.say("")
		return errKeptUntilInterrupt
	case <-d.operatorExited(ctx):
		return fmt.Errorf("the operator exited unexpectedly; see %s", d.logPath)
	}
}

// operatorExited is closed when the operator process ends.
func (d *demo) operatorExited(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if d.op.Exited() {
					close(ch)
					return
				}
			}
		}
	}()
	return ch
}

// cleanup stops everything the demo started, in the reverse order, and removes its temporary
// files. With keepLog (after a failure or an interrupt) a temporary work directory is kept with
// the operator's log alone in it, and the demo says where it is.
func (d *demo) cleanup(keepLog bool) error {
	if d.op == nil && d.emu == nil && d.cp == nil && d.workDir == "" {
		return nil
	}
	began := time.Now()
	var errs []error
	if d.partner != nil {
		d.partner.Close()
	}
	if d.op != nil {
		// After Ctrl-C on a terminal the operator got SIGINT too, and the SIGTERM that follows
		// makes it exit at once; either way it is gone when Stop returns.
		if err := d.op.Stop(operatorStopTimeout); err != nil && !d.op.Exited() {
			errs = append(errs, fmt.Errorf("stopping the operator: %w", err))
		}
	}
	if d.emu != nil {
		if err := d.emu.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stopping the emulator: %w", err))
		}
	}
	if d.cp != nil {
		if err := d.cp.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stopping the control plane: %w", err))
		}
	}
	if d.logFile != nil {
		_ = d.logFile.Close()
	}
	for _, p := range children() {
		errs = append(errs, fmt.Errorf("%s (pid %d) was still running; killed it", p.name, p.pid))
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
	switch {
	case !d.ownWorkDir:
	case keepLog && d.logFile != nil:
		// Everything but the log goes: the binary, the kubeconfig, the demo user's key, the
		// known_hosts, the EFS directories and the partner's.
		entries, _ := os.ReadDir(d.workDir)
		for _, e := range entries {
			if p := filepath.Join(d.workDir, e.Name()); p != d.logPath {
				_ = os.RemoveAll(p)
			}
		}
		d.say("The operator's log is kept in %s.", d.logPath)
	default:
		if err := os.RemoveAll(d.workDir); err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case d.partner != nil:
		d.say("Stopped the partner, the operator, the emulator and the control plane (%s).", since(began))
	case d.op != nil || d.cp != nil:
		d.say("Stopped the operator, the emulator and the control plane (%s).", since(began))
	}
	return errors.Join(errs...)
}

// watch shows the objects until done says so, an object is Stalled, the operator exits, ctx
// ends or the step times out.
func (d *demo) watch(ctx context.Context, what string, done func([]object) bool) ([]object, error) {
	began := time.Now()
	v := newView(d.out, d.tty, d.shown)
	deadline := time.NewTimer(d.cfg.timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		objs, err := d.list(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("listing the objects: %w", err)
		}
		v.update(objs, fmt.Sprintf("waiting until %s ... %s", what, since(began)))
		if done(objs) {
			v.finish(objs, fmt.Sprintf("%s (%s)", what, since(began)))
			return objs, nil
		}
		for _, o := range objs {
			if c := o.stalled(); c != nil {
				return nil, fmt.Errorf("%s %s is Stalled (%s): %s", o.kind, o.name, c.Reason, c.Message)
			}
		}
		if d.op.Exited() {
			return nil, fmt.Errorf("the operator exited unexpectedly; see %s", d.logPath)
		}
		select {
		case <-ctx.Done():
			v.finish(objs, "interrupted")
			return nil, ctx.Err()
		case <-deadline.C:
			v.finish(objs, "timed out")
			return nil, timeoutError(what, d.cfg.timeout, objs)
		case <-tick.C:
		}
	}
}

// list returns the TransferAccesses, TransferConnectors, TransferServers, TransferUsers and
// TransferWorkflows, by kind and name.
func (d *demo) list(ctx context.Context) ([]object, error) {
	var servers v1alpha1.TransferServerList
	if err := d.cp.Client.List(ctx, &servers, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	var users v1alpha1.TransferUserList
	if err := d.cp.Client.List(ctx, &users, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	var accesses v1alpha1.TransferAccessList
	if err := d.cp.Client.List(ctx, &accesses, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	var objs []object
	for i := range accesses.Items {
		objs = append(objs, accessObject(&accesses.Items[i]))
	}
	var workflows v1alpha1.TransferWorkflowList
	if err := d.cp.Client.List(ctx, &workflows, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	for i := range workflows.Items {
		objs = append(objs, workflowObject(&workflows.Items[i]))
	}
	for i := range servers.Items {
		objs = append(objs, serverObject(&servers.Items[i]))
	}
	for i := range users.Items {
		objs = append(objs, userObject(&users.Items[i]))
	}
	var connectors v1alpha1.TransferConnectorList
	if err := d.cp.Client.List(ctx, &connectors, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	for i := range connectors.Items {
		objs = append(objs, connectorObject(&connectors.Items[i]))
	}
	slices.SortStableFunc(objs, func(a, b object) int {
		return cmp.Or(strings.Compare(a.kind, b.kind), strings.Compare(a.name, b.name))
	})
	return objs, nil
}

// emulatorUser returns the demo user as the emulator holds it.
func (d *demo) emulatorUser(ctx context.Context) (emulator.UserRecord, error) {
	var u v1alpha1.TransferUser
	if err := d.cp.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: demoUser}, &u); err != nil {
		return emulator.UserRecord{}, err
	}
	srv, ok := d.emu.Snapshot().Server(region, u.Status.ServerID)
	if !ok {
		return emulator.UserRecord{}, fmt.Errorf("the emulator has no server %q, the server of %s", u.Status.ServerID, demoUser)
	}
	rec, ok := srv.User(u.AWSUserName())
	if !ok {
		return emulator.UserRecord{}, fmt.Errorf("the emulator has no user %s on server %s", u.AWSUserName(), u.Status.ServerID)
	}
	return rec, nil
}

// kubectl runs the built kubectl against the demo's control plane from the repository root,
// showing the command (shown, or the arguments) and its output.
func (d *demo) kubectl(ctx context.Context, shown string, args ...string) error {
	d.say("  $ kubectl %s", cmp.Or(shown, strings.Join(args, " ")))
	return d.runKubectl(ctx, "", args...)
}

// apply applies manifest with kubectl, showing it as a here-document and kubectl's output.
func (d *demo) apply(ctx context.Context, manifest string) error {
	d.say("  $ kubectl apply -f - <<EOF")
	indent(d.out, "  ", manifest)
	d.say("  EOF")
	return d.runKubectl(ctx, manifest, "apply", "-f", "-")
}

// runKubectl runs kubectl with args and stdin, showing its output.
func (d *demo) runKubectl(ctx context.Context, stdin string, args ...string) error {
	cmd := exec.CommandContext(ctx, d.kubectlBin, append([]string{"--kubeconfig", d.kubeconfig}, args...)...)
	cmd.Dir, cmd.Stdin = d.root, strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(bytes.TrimSpace(out)) > 0 {
		indent(d.out, "    ", string(out))
	}
	if err != nil {
		return fmt.Errorf("kubectl %s: %w", args[0], err)
	}
	return nil
}

func (d *demo) step(n int, format string, args ...any) {
	d.say("")
	d.say("[%d/%d] %s", n, steps, fmt.Sprintf(format, args...))
}

func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, format+"\n", args...)
}

func allReady(objs []object) bool {
	return len(objs) > 0 && !slices.ContainsFunc(objs, func(o object) bool { return !o.ready() })
}

func countKinds(objs []object) map[string]int {
	counts := map[string]int{}
	for _, o := range objs {
		counts[o.kind]++
	}
	return counts
}

// emulatorCounts counts the servers, users, accesses, workflows and connectors of every region,
// by the kind of object that manages them; kinds with none are left out.
func emulatorCounts(snap emulator.Snapshot) map[string]int {
	counts := map[string]int{}
	for _, r := range snap.Regions {
		for _, s := range r.Servers {
			counts["TransferServer"]++
			if len(s.Users) > 0 {
				counts["TransferUser"] += len(s.Users)
			}
			if len(s.Accesses) > 0 {
				counts["TransferAccess"] += len(s.Accesses)
			}
		}
		if len(r.Workflows) > 0 {
			counts["TransferWorkflow"] += len(r.Workflows)
		}
		if len(r.Connectors) > 0 {
			counts["TransferConnector"] += len(r.Connectors)
		}
	}
	return counts
}

// describeCounts says counts by kind: "2 TransferServer, 3 TransferUser".
func describeCounts(counts map[string]int) string {
	var parts []string
	for _, kind := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[kind], kind))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

func timeoutError(what string, after time.Duration, objs []object) error {
	var pending []string
	for _, o := range objs {
		if o.ready() {
			continue
		}
		msg := "no Ready condition yet"
		if c := o.current(v1alpha1.ConditionReady); c != nil {
			msg = c.Message
		}
		pending = append(pending, fmt.Sprintf("%s %s: %s", o.kind, o.name, msg))
	}
	if len(pending) == 0 {
		return fmt.Errorf("timed out after %s waiting until %s", after, what)
	}
	return fmt.Errorf("timed out after %s waiting until %s; pending:\n  %s", after, what, strings.Join(pending, "\n  "))
}

func commandError(name string, err error, out []byte) error {
	return fmt.Errorf("%s: %w\n%s", name, err, strings.TrimSpace(string(out)))
}

func since(t time.Time) time.Duration {
	return time.Since(t).Round(100 * time.Millisecond)
}
