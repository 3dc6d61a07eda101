package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"

	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

// TestDemo builds hack/demo (what `make demo` runs) and runs it non-interactively with short
// state transitions: to the end, kept running until Ctrl-C, timing out, and interrupted half-way.
// Each run must exit as documented and leave no process it started and no temporary file behind
// (a failed or interrupted run keeps only the operator's log).
func TestDemo(t *testing.T) {
	if _, err := testenv.Assets(); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "demo")
	build := exec.Command("go", "build", "-o", bin, "./hack/demo")
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hack/demo: %v\n%s", err, out)
	}
	samples := sampleObjects(t)

	t.Run("Complete", func(t *testing.T) {
		run := startDemo(t, bin)
		code := run.wait(t, 6*time.Minute)
		out := run.output()
		if code != 0 {
			t.Fatalf("the demo exited with %d, want 0:\n%s", code, out)
		}
		if want := fmt.Sprintf("demo: done: %d objects Ready, emulator empty", len(samples)); lastOutputLine(out) != want {
			t.Fatalf("the last line is %q, want %q:\n%s", lastOutputLine(out), want, out)
		}
		created := demoSection(out, "[3/9]", "[4/9]")
		for _, s := range samples {
			row := regexp.MustCompile(`(?m)^\s+` + s.Kind + `\s+` + regexp.QuoteMeta(s.Metadata.Name) + `\s+(s-[0-9a-f]{17}\s+\S+|w-[a-z0-9]{17}\s+-|c-[0-9a-f]{17}\s+ACTIVE)\s+Ready$`)
			if !row.MatchString(created) {
				t.Errorf("the demo never showed %s %s Ready:\n%s", s.Kind, s.Metadata.Name, created)
			}
		}
		for _, want := range []string{
			"the emulator holds 3 SSH keys for alice",
			"as status.hostKeyFingerprint says",
			"  sftp> put hello.txt /hello.txt",
			" hello.txt\n",
			"    s3://partners-bucket/home/alice/hello.txt  38 bytes\n",
			"COMPLETED: COPY, TAG\n",
			"tags archived=true\n",
			"is OFFLINE\n",
			"is ONLINE\n",
			"step 2, once clients trust the 2026 key: the 2025 key is removed",
			"partner-acme is Ready, not Connected (ConnectionFailed): its partner, sftp.acme.example, is a placeholder",
			"Connected is False, reason HostKeyNotTrusted",
			`    the partner presented host key "ecdsa-sha2-nistp256 `,
			"partner-local is Ready and Connected",
			"/partner-files/upload/invoice.csv  30 bytes\n",
			"ListFileTransferResults: /partners-bucket/outbound/invoice.csv COMPLETED\n",
			"the emulator's snapshot holds no server, user, access, workflow, connector or secret",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the output lacks %q:\n%s", want, out)
			}
		}
		if !regexp.MustCompile(`\n    archived: s3://partners-archive/alice/\d{4}-\d{2}-\d{2}/hello\.txt  38 bytes, tags archived=true\n`).MatchString(out) {
			t.Errorf("the output does not show hello.txt archived by the workflow:\n%s", out)
		}
		// sshd rewrites its command line ("sshd: /usr/sbin/sshd -D -e -f .../sshd_config [listener] ...").
		if !slices.ContainsFunc(slices.Collect(maps.Keys(run.tracker.names())), func(n string) bool { return strings.Contains(n, "sshd") }) {
			t.Errorf("never saw the demo run the partner's sshd (saw %v)", run.tracker.names())
		}
		run.checkNothingLeft(t)
	})

	t.Run("KeepUntilCtrlC", func(t *testing.T) {
		run := startDemo(t, bin, "DEMO_KEEP=1")
		run.waitForOutput(t, "demo: ready: press Ctrl-C", 6*time.Minute)
		checkPrintedLogin(t, run.output())
		checkPrintedTransfer(t, run.output())
		if err := run.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		code := run.wait(t, stopTimeout)
		out := run.output()
		if code != 0 || lastOutputLine(out) != "demo: stopped: everything the demo started is stopped" {
			t.Fatalf("after Ctrl-C the demo exited with %d and last said %q; want 0 and that it stopped:\n%s", code, lastOutputLine(out), out)
		}
		if strings.Contains(out, "[9/9] Deleting") {
			t.Errorf("with DEMO_KEEP the samples should stay applied:\n%s", out)
		}
		checkKeptLog(t, out)
		run.checkNothingLeft(t)
	})

	t.Run("TimeoutFails", func(t *testing.T) {
		run := startDemo(t, bin, "DEMO_TRANSITION_DELAY=1m", "DEMO_TIMEOUT=3s")
		code := run.wait(t, 6*time.Minute)
		out := run.output()
		want := "demo: error: timed out after 3s waiting until every sample is Ready; pending:"
		if code != 1 || !strings.Contains(out, want) {
			t.Fatalf("the demo exited with %d; want 1 and %q:\n%s", code, want, out)
		}
		pending := out[strings.Index(out, want):]
		for _, s := range samples {
			if s.Kind == "TransferWorkflow" {
				// A workflow has no state transition to wait for: it is Ready at once.
				continue
			}
			if !strings.Contains(pending, "\n  "+s.Kind+" "+s.Metadata.Name+": ") {
				t.Errorf("the error does not say why %s %s is not Ready:\n%s", s.Kind, s.Metadata.Name, pending)
			}
		}
		checkKeptLog(t, out)
		run.checkNothingLeft(t)
	})

	t.Run("CtrlCWhileWaiting", func(t *testing.T) {
		run := startDemo(t, bin, "DEMO_TRANSITION_DELAY=1m")
		run.waitForOutput(t, "transferuser.transfer.operators.dev/etl-loader created", 6*time.Minute)
		// As a terminal does: SIGINT to the foreground process group, the operator included.
		if err := syscall.Kill(-run.cmd.Process.Pid, syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		code := run.wait(t, stopTimeout)
		out := run.output()
		if code != 130 || lastOutputLine(out) != "demo: interrupted: everything the demo started is stopped" {
			t.Fatalf("after Ctrl-C the demo exited with %d and last said %q; want 130 and that it stopped:\n%s", code, lastOutputLine(out), out)
		}
		checkKeptLog(t, out)
		run.checkNothingLeft(t)
	})
}

// checkKeptLog checks that a failed or interrupted demo said where it kept the operator's log,
// and kept that log and nothing else; it removes them, for checkNothingLeft.
func checkKeptLog(t *testing.T, out string) {
	t.Helper()
	m := regexp.MustCompile(`The operator's log is kept in (\S+)\.`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the demo does not say where the operator's log is:\n%s", out)
	}
	if log, err := os.ReadFile(m[1]); err != nil || !strings.Contains(string(log), "starting transfer-operator") {
		t.Fatalf("the operator's log %s: %v\n%s", m[1], err, log)
	}
	if err := os.Remove(m[1]); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Dir(m[1])); err != nil {
		t.Fatalf("the kept work directory holds more than the log: %v", err)
	}
}

// stopTimeout bounds how long the demo may take to stop everything after Ctrl-C: the operator,
// the emulator and the control plane, each of which may take its time on a busy machine.
const stopTimeout = 3 * time.Minute

// sampleObject is the kind and name of one sample.
type sampleObject struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

func sampleObjects(t *testing.T) []sampleObject {
	t.Helper()
	var objs []sampleObject
	for _, file := range sampleFiles(t) {
		data, err := os.ReadFile(filepath.Join(samplesDir, file))
		if err != nil {
			t.Fatal(err)
		}
		var o sampleObject
		if err := yaml.Unmarshal(data, &o); err != nil || o.Kind == "" || o.Metadata.Name == "" {
			t.Fatalf("%s is not one object with a kind and a name: %v", file, err)
		}
		objs = append(objs, o)
	}
	return objs
}

// demoRun is one run of the demo binary, with every process it started recorded.
type demoRun struct {
	cmd     *exec.Cmd
	tmp     string
	out     *syncBuffer
	done    chan struct{}
	tracker *processTracker
}

// startDemo runs the demo with short transitions and its own TMPDIR, in a process group of its
// own so that a test can signal it as a terminal would.
func startDemo(t *testing.T, bin string, env ...string) *demoRun {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	run := &demoRun{tmp: tmp, out: &syncBuffer{}, done: make(chan struct{})}
	run.cmd = exec.Command(bin)
	run.cmd.Dir = testenv.RepoRoot()
	run.cmd.Env = append(os.Environ(), append([]string{"TMPDIR=" + tmp, "DEMO_TRANSITION_DELAY=200ms", "DEMO_TIMEOUT=2m", "DEMO_KEEP="}, env...)...)
	run.cmd.Stdout, run.cmd.Stderr = run.out, run.out
	run.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := run.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	run.tracker = trackDescendants(run.cmd.Process.Pid)
	go func() {
		_ = run.cmd.Wait()
		close(run.done)
	}()
	t.Cleanup(func() {
		select {
		case <-run.done:
		default:
			_ = syscall.Kill(-run.cmd.Process.Pid, syscall.SIGKILL)
			<-run.done
		}
		run.tracker.stop()
		run.tracker.killSurvivors()
	})
	return run
}

func (r *demoRun) output() string { return r.out.String() }

// wait waits for the demo to exit and returns its exit status; it fails the test if that takes
// longer than timeout.
func (r *demoRun) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		t.Fatalf("the demo did not exit within %s:\n%s", timeout, r.output())
	}
	r.tracker.stop()
	return r.cmd.ProcessState.ExitCode()
}

// errDemoExited says the demo exited before what was waited for happened.
var errDemoExited = errors.New("the demo exited")

// waitForOutput waits until the demo has printed s.
func (r *demoRun) waitForOutput(t *testing.T, s string, timeout time.Duration) {
	t.Helper()
	printed := func(context.Context) (bool, error) {
		// Whether it had exited is read first: its output is complete by then.
		exited := false
		select {
		case <-r.done:
			exited = true
		default:
		}
		if strings.Contains(r.output(), s) {
			return true, nil
		}
		if exited {
			return false, errDemoExited
		}
		return false, nil
	}
	switch err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, timeout, true, printed); {
	case err == nil:
	case errors.Is(err, errDemoExited):
		t.Fatalf("the demo exited with %d before printing %q:\n%s", r.cmd.ProcessState.ExitCode(), s, r.output())
	default:
		t.Fatalf("the demo did not print %q within %s:\n%s", s, timeout, r.output())
	}
}

// checkNothingLeft fails if a process the demo started still runs, if any process uses its
// TMPDIR, or if the demo left files there. It also fails if the tracker did not see the control
// plane and the operator, which would make the first check vacuous.
func (r *demoRun) checkNothingLeft(t *testing.T) {
	t.Helper()
	seen := r.tracker.names()
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "transfer-operator"} {
		if !seen[name] {
			t.Errorf("never saw the demo run %s (saw %v)", name, seen)
		}
	}
	for _, p := range r.tracker.survivors() {
		t.Errorf("%s (pid %d), started by the demo, still runs", p.name, p.pid)
	}
	for _, p := range procsMentioning(r.tmp) {
		t.Errorf("process %d still uses the demo's TMPDIR: %s", p.pid, p.name)
	}
	if entries, _ := os.ReadDir(r.tmp); len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the demo left %v in its TMPDIR", names)
	}
}

func lastOutputLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// section returns the part of s from the line starting with from up to the one starting with to.
func demoSection(s, from, to string) string {
	i := strings.Index(s, "\n"+from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, "\n"+to); j >= 0 {
		s = s[:j]
	}
	return s
}

// trackedProcess is one process seen by the tracker: start is its start time in clock ticks since
// boot, which tells it apart from a later process with the same ID.
type trackedProcess struct {
	pid   int
	start uint64
	name  string
}

// processTracker records every descendant of a process while it runs, by polling /proc.
type processTracker struct {
	root   int
	mu     sync.Mutex
	seen   map[int]trackedProcess
	cancel context.CancelFunc
	done   chan struct{}
}

func trackDescendants(root int) *processTracker {
	ctx, cancel := context.WithCancel(context.Background())
	tr := &processTracker{root: root, seen: map[int]trackedProcess{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(tr.done)
		for {
			tr.scan()
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return tr
}

func (tr *processTracker) scan() {
	children := map[int][]int{}
	procs := map[int]trackedProcess{}
	for _, pid := range procPIDs() {
		ppid, state, start, ok := procStat(pid)
		if !ok || state == "Z" {
			continue
		}
		children[ppid] = append(children[ppid], pid)
		procs[pid] = trackedProcess{pid: pid, start: start, name: procName(pid)}
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	queue := children[tr.root]
	for len(queue) > 0 {
		pid := queue[0]
		queue = append(queue[1:], children[pid]...)
		if _, ok := tr.seen[pid]; !ok {
			tr.seen[pid] = procs[pid]
		}
	}
}

func (tr *processTracker) stop() {
	tr.cancel()
	<-tr.done
}

// names returns the names of the processes seen.
func (tr *processTracker) names() map[string]bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := map[string]bool{}
	for _, p := range tr.seen {
		out[p.name] = true
	}
	return out
}

// survivors returns the processes seen that are still running.
func (tr *processTracker) survivors() []trackedProcess {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []trackedProcess
	for _, p := range tr.seen {
		if _, state, start, ok := procStat(p.pid); ok && state != "Z" && start == p.start {
			out = append(out, p)
		}
	}
	return out
}

// killSurvivors ends what a failed demo left, so that one failure does not leak into others.
func (tr *processTracker) killSurvivors() {
	for _, p := range tr.survivors() {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
}

func procPIDs() []int {
	procs, _ := procfs.AllProcs()
	pids := make([]int, len(procs))
	for i, p := range procs {
		pids[i] = p.PID
	}
	return pids
}

// procStat returns the parent, state and start time of a process.
func procStat(pid int) (ppid int, state string, start uint64, ok bool) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, "", 0, false
	}
	stat, err := p.Stat()
	if err != nil {
		return 0, "", 0, false
	}
	return stat.PPID, stat.State, stat.Starttime, true
}

// procName is the base name of the process's executable, from its command line.
func procName(pid int) string {
	if argv := procArgs(pid); len(argv) > 0 {
		return filepath.Base(argv[0])
	}
	return "?"
}

// procArgs is the command line of a process; nil when it has none or is gone.
func procArgs(pid int) []string {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return nil
	}
	argv, _ := p.CmdLine()
	return argv
}

// procsMentioning returns the running processes whose command line contains s.
func procsMentioning(s string) []trackedProcess {
	var out []trackedProcess
	for _, pid := range procPIDs() {
		cmdline := strings.Join(procArgs(pid), " ")
		if !strings.Contains(cmdline, s) {
			continue
		}
		if _, state, _, ok := procStat(pid); ok && state != "Z" {
			out = append(out, trackedProcess{pid: pid, name: cmdline})
		}
	}
	return out
}

// syncBuffer is an io.Writer safe for a process's stdout and stderr at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// checkPrintedLogin runs the sftp and aws s3 ls commands a DEMO_KEEP run prints, as a person
// would paste them (sftp in batch mode), and fails unless both show the file the demo uploaded.
func checkPrintedLogin(t *testing.T, out string) {
	t.Helper()
	var sftpLine, s3Line string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "sftp -i "):
			sftpLine = line
		case strings.HasPrefix(line, "aws s3 ls "):
			s3Line = line
		}
	}
	if sftpLine == "" || s3Line == "" {
		t.Fatalf("the demo printed no sftp or aws s3 ls command:\n%s", out)
	}
	args := append([]string{"-b", "-", "-o", "StrictHostKeyChecking=yes"}, strings.Fields(sftpLine)[1:]...)
	cmd := exec.Command("sftp", args...)
	cmd.Stdin = strings.NewReader("ls -l\n")
	got, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(got), "hello.txt") {
		t.Errorf("%s: %v\n%s", sftpLine, err, got)
	}
	cmd = exec.Command("aws", strings.Fields(s3Line)[1:]...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=demo", "AWS_SECRET_ACCESS_KEY=demo")
	got, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(got), "hello.txt") {
		t.Errorf("%s: %v\n%s", s3Line, err, got)
	}
}

// checkPrintedTransfer runs the aws transfer start-file-transfer command a DEMO_KEEP run prints,
// as a person would paste it, after removing the file the demo sent, and fails unless the file
// arrives again in the directory of the ls -l command printed after it.
func checkPrintedTransfer(t *testing.T, out string) {
	t.Helper()
	var command, dir string
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "aws transfer start-file-transfer "):
			command = line
			for j := i + 1; strings.HasSuffix(command, "\\") && j < len(lines); j++ {
				command = strings.TrimSuffix(command, "\\") + " " + strings.TrimSpace(lines[j])
			}
		case command != "" && dir == "" && strings.HasPrefix(line, "ls -l "):
			dir = strings.TrimPrefix(line, "ls -l ")
		}
	}
	if command == "" || dir == "" {
		t.Fatalf("the demo printed no aws transfer start-file-transfer command, or not where the file goes:\n%s", out)
	}
	sent := filepath.Join(dir, "invoice.csv")
	if err := os.Remove(sent); err != nil {
		t.Fatalf("the demo's transfer should have left %s: %v", sent, err)
	}
	cmd := exec.Command("aws", strings.Fields(command)[1:]...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=demo", "AWS_SECRET_ACCESS_KEY=demo")
	if got, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", command, err, got)
	}
	arrived := func(context.Context) (bool, error) {
		_, err := os.Stat(sent)
		return err == nil, nil
	}
	if err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, time.Minute, true, arrived); err != nil {
		t.Errorf("%s: %s did not arrive on the partner's disk: %v", command, sent, err)
	}
}
