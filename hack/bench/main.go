// Command bench runs the operator's performance scenarios (docs/benchmarks.md) against a real
// control plane (kube-apiserver and etcd), the Transfer emulator and the operator binary running
// as a process of its own; it prints a table of figures and targets and writes them, with the
// machine, the commit and the AWS calls of each scenario, to bench-results.json.
//
//	go run ./hack/bench            (make bench)
//
// Five operator runs, each with its own namespace, emulator and operator process:
//
//   - main: 10 servers and 1,000 users applied at once (converge), then two resync periods
//     without changes (steady-state), then 100 users changed in the emulator (drift);
//   - throttled: the same objects against an emulator that throttles above 20 requests/second;
//   - scale: 20 servers, then 10,000 users; memory and idle CPU of the operator;
//   - defaults: the default AWS rate limit, a fleet whose drift detection needs more than its
//     budget, and 20 spec changes (change latency, drift requests, achieved period);
//   - connectors: 50 TransferConnectors to one OpenSSH partner (internal/testpartner), then two
//     resync periods without changes (AWS writes, reads and TestConnections, drift budget).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/procfs"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

// config holds the bench's flags.
type config struct {
	out             string
	runs            string
	servers         int
	users           int
	scaleServers    int
	scaleUsers      int
	defaultsServers int
	defaultsUsers   int
	defaultsResync  time.Duration
	connectors      int
	resync          time.Duration
	latency         time.Duration
	operatorArgs    string
	operatorBinary  string
	operatorEnv     string
	keepLogs        bool
	timeout         time.Duration
	scaleTimeout    time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.out, "out", "bench-results.json", "File the results are written to.")
	flag.StringVar(&cfg.runs, "runs", "main,throttled,scale,defaults,connectors", "Operator runs to do: main (converge, steady-state, drift), throttled, scale, defaults (default flags, a fleet larger than the drift budget, spec changes), connectors (SFTP connectors to an OpenSSH partner at steady state); converge is main cut short after its first scenario.")
	flag.IntVar(&cfg.servers, "servers", 10, "TransferServers of the main and throttled runs.")
	flag.IntVar(&cfg.users, "users", 1000, "TransferUsers of the main and throttled runs.")
	flag.IntVar(&cfg.scaleServers, "scale-servers", 20, "TransferServers of the scale run.")
	flag.IntVar(&cfg.scaleUsers, "scale-users", 10000, "TransferUsers of the scale run.")
	flag.IntVar(&cfg.defaultsServers, "defaults-servers", 10, "TransferServers of the defaults run.")
	flag.IntVar(&cfg.defaultsUsers, "defaults-users", 500, "TransferUsers of the defaults run.")
	flag.DurationVar(&cfg.defaultsResync, "defaults-resync", 30*time.Second, "--resync-period of the defaults run; the run scales its figures to the default 10 minutes.")
	flag.IntVar(&cfg.connectors, "connectors", 50, "TransferConnectors of the connectors run.")
	flag.DurationVar(&cfg.resync, "resync", 30*time.Second, "--resync-period of the main run (steady-state and drift) and the connectors run.")
	flag.DurationVar(&cfg.latency, "latency", 20*time.Millisecond, "Latency the emulator adds to every call.")
	flag.StringVar(&cfg.operatorBinary, "operator", "", "A prebuilt operator binary to run instead of building one from this checkout.")
	flag.StringVar(&cfg.operatorEnv, "operator-env", "", "Extra environment for every operator run, space-separated NAME=VALUE pairs (such as GOMEMLIMIT=64MiB).")
	flag.StringVar(&cfg.operatorArgs, "operator-args", "", "Extra flags for every operator run, space-separated; they override the bench's.")
	flag.BoolVar(&cfg.keepLogs, "keep-logs", false, "Keep the operator logs (they are kept anyway when the bench fails).")
	flag.DurationVar(&cfg.timeout, "converge-timeout", 2*time.Minute, "Longest wait for the main, throttled and connectors runs to converge.")
	flag.DurationVar(&cfg.scaleTimeout, "scale-timeout", 5*time.Minute, "Longest wait for the scale run to converge.")
	flag.Parse()
	ctrllog.SetLogger(logr.Discard())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// results is what bench-results.json holds.
type results struct {
	Machine  machine                        `json:"machine"`
	Commit   string                         `json:"commit"`
	Dirty    bool                           `json:"dirty"`
	Command  string                         `json:"command"`
	Started  time.Time                      `json:"started"`
	Duration float64                        `json:"durationSeconds"`
	Figures  []figure                       `json:"figures"`
	AWSCalls map[string]emulator.CallCounts `json:"awsCalls"`
	Details  map[string]map[string]any      `json:"details"`
	Load     map[string]string              `json:"loadavg"`
	Runs     map[string][]string            `json:"operatorFlags"`
	Notes    []string                       `json:"notes,omitempty"`
}

// machine describes where the bench ran.
type machine struct {
	Cores     int    `json:"cores"`
	MemoryMiB int64  `json:"memoryMiB"`
	CPU       string `json:"cpu"`
	Kernel    string `json:"kernel"`
	Go        string `json:"go"`
}

// figure is one measured value and the target it must meet.
type figure struct {
	Scenario string  `json:"scenario"`
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Target   string  `json:"target"`
	Met      bool    `json:"met"`
}

// add records a figure and whether its value, as recorded (rounded), meets the target: op and
// bound, such as "<=" and 15.
func (r *results) add(scenario, name string, value float64, unit, op string, bound float64) {
	value, bound = round(value), round(bound)
	met := false
	switch op {
	case "<=":
		met = value <= bound
	case "<":
		met = value < bound
	case "==":
		met = value == bound
	}
	r.addMet(scenario, name, value, unit, op, bound, met)
}

// addMet records a figure whose met is decided by the caller, for a value that alone cannot
// tell, such as a wait that ended before everything converged.
func (r *results) addMet(scenario, name string, value float64, unit, op string, bound float64, met bool) {
	r.Figures = append(r.Figures, figure{
		Scenario: scenario, Name: name, Value: round(value), Unit: unit,
		Target: op + " " + strconv.FormatFloat(round(bound), 'f', -1, 64), Met: met,
	})
}

// detail records a figure without a target.
func (r *results) detail(scenario, name string, value any) {
	if r.Details[scenario] == nil {
		r.Details[scenario] = map[string]any{}
	}
	if f, ok := value.(float64); ok {
		value = round(f)
	}
	r.Details[scenario][name] = value
}

func (r *results) load(when string) { r.Load[when] = loadavg() }

func round(v float64) float64 {
	p, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 3, 64), 64)
	return p
}

func run(ctx context.Context, cfg config) (err error) {
	start := time.Now()
	res := &results{
		Machine: machineInfo(), Commit: git("rev-parse", "HEAD"), Dirty: git("status", "--porcelain") != "",
		Command: strings.TrimSpace("go run ./hack/bench " + strings.Join(os.Args[1:], " ")),
		Started: start.UTC(), AWSCalls: map[string]emulator.CallCounts{}, Details: map[string]map[string]any{},
		Load: map[string]string{}, Runs: map[string][]string{},
	}
	res.load("start")
	fmt.Printf("bench: %d cores, %d MiB, load %s, commit %s\n", res.Machine.Cores, res.Machine.MemoryMiB, res.Load["start"], short(res.Commit))

	work, err := os.MkdirTemp("", "transfer-operator-bench-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil || cfg.keepLogs {
			fmt.Fprintf(os.Stderr, "bench: operator logs kept in %s\n", work)
			return
		}
		_ = os.RemoveAll(work)
	}()

	fmt.Println("bench: building the operator and starting the control plane")
	bin := cfg.operatorBinary
	if bin == "" {
		if bin, err = testenv.BuildOperator(work); err != nil {
			return err
		}
	}
	cp, err := testenv.Start()
	if err != nil {
		return err
	}
	defer func() {
		if serr := cp.Stop(); serr != nil {
			fmt.Fprintln(os.Stderr, "bench: stopping the control plane:", serr)
		}
	}()
	kubeconfig := filepath.Join(work, "kubeconfig")
	if err := cp.WriteKubeconfig(kubeconfig); err != nil {
		return err
	}
	b := &bench{cfg: cfg, cp: cp, binary: bin, kubeconfig: kubeconfig, work: work, res: res}
	if err := b.init(); err != nil {
		return err
	}

	runs := map[string]func(context.Context) error{"main": b.runMain, "throttled": b.runThrottled, "scale": b.runScale, "defaults": b.runDefaults,
		"connectors": b.runConnectors, "converge": func(ctx context.Context) error { b.convergeOnly = true; return b.runMain(ctx) }}
	for _, name := range strings.Split(cfg.runs, ",") {
		name = strings.TrimSpace(name)
		f, ok := runs[name]
		if !ok {
			return fmt.Errorf("unknown run %q (main, throttled, scale, defaults, connectors, converge)", name)
		}
		if err := f(ctx); err != nil {
			return fmt.Errorf("run %s: %w", name, err)
		}
	}

	res.load("end")
	res.Duration = round(time.Since(start).Seconds())
	printTable(os.Stdout, res)
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(cfg.out, append(data, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("bench: wrote %s in %.0f s\n", cfg.out, res.Duration)
	return nil
}

// printTable prints the figures as a Markdown table.
func printTable(w io.Writer, res *results) {
	fmt.Fprintf(w, "\nMachine: %d cores (%s), %d MiB; load average at start %s, at end %s; commit %s%s\n\n",
		res.Machine.Cores, res.Machine.CPU, res.Machine.MemoryMiB, res.Load["start"], res.Load["end"], short(res.Commit), dirtyMark(res.Dirty))
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "| scenario\t figure\t value\t target\t met |")
	fmt.Fprintln(tw, "|---\t---\t---\t---\t--- |")
	for _, f := range res.Figures {
		met := "yes"
		if !f.Met {
			met = "NO"
		}
		fmt.Fprintf(tw, "| %s\t %s\t %s %s\t %s %s\t %s |\n", f.Scenario, f.Name, strconv.FormatFloat(f.Value, 'f', -1, 64), f.Unit, f.Target, f.Unit, met)
	}
	_ = tw.Flush()
	met := 0
	for _, f := range res.Figures {
		if f.Met {
			met++
		}
	}
	fmt.Fprintf(w, "\n%d of %d targets met.\n\n", met, len(res.Figures))
	for _, note := range res.Notes {
		fmt.Fprintln(w, "Note:", note)
	}
	for _, run := range sortedKeys(res.Runs) {
		fmt.Fprintf(w, "Operator flags, %s run: %s\n", run, strings.Join(res.Runs[run], " "))
	}
	for _, scenario := range sortedKeys(res.AWSCalls) {
		fmt.Fprintf(w, "AWS calls, %s: %s\n", scenario, callSummary(res.AWSCalls[scenario]))
	}
}

func dirtyMark(dirty bool) string {
	if dirty {
		return " (with uncommitted changes)"
	}
	return ""
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// machineInfo reads the cores, memory and CPU model of this machine.
func machineInfo() machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if fs, err := procfs.NewDefaultFS(); err == nil {
		if mem, err := fs.Meminfo(); err == nil && mem.MemTotal != nil {
			m.MemoryMiB = int64(*mem.MemTotal / 1024)
		}
		if cpus, err := fs.CPUInfo(); err == nil && len(cpus) > 0 {
			m.CPU = cpus[0].ModelName
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	return m
}

// loadavg returns the 1, 5 and 15 minute load averages.
func loadavg() string {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return "unknown"
	}
	avg, err := fs.LoadAvg()
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.2f %.2f %.2f", avg.Load1, avg.Load5, avg.Load15)
}

func git(args ...string) string {
	cmd := exec.Command("git", args...)
	cmd.Dir = testenv.RepoRoot()
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// errTimeout marks a wait that ran out of time.
var errTimeout = errors.New("timed out")
