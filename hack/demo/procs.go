package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// runGroup runs cmd, which must come from exec.CommandContext(ctx, ...), in a process group of
// its own and returns its standard error, and its standard output too unless cmd.Stdout is
// already set. When ctx ends, the whole group (a script and the builds it started) gets SIGINT,
// as from a terminal, and the script SIGKILL 10 seconds later (exec.Cmd's Cancel and WaitDelay);
// nothing of the group outlives the call. Each line of the output is also passed to progress,
// when it is not nil, as it comes.
func runGroup(ctx context.Context, cmd *exec.Cmd, progress func(line string)) ([]byte, error) {
	var out lineBuffer
	out.progress = progress
	cmd.Stderr = &out
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		// Whatever is left of the group (a compiler the script's go command started) goes too.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return out.Bytes(), err
}

// lineBuffer collects output and hands complete lines to progress.
type lineBuffer struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	partial  []byte
	progress func(string)
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if b.progress == nil {
		return len(p), nil
	}
	b.partial = append(b.partial, p...)
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		b.progress(string(b.partial[:i]))
		b.partial = b.partial[i+1:]
	}
}

func (b *lineBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.buf.Bytes())
}

// childProcess is a process whose parent is this one.
type childProcess struct {
	pid  int
	name string
}

// children lists the processes this one started that are still running, by the base name of
// their executable; nil where /proc is not available.
func children() []childProcess {
	procs, err := procfs.AllProcs()
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []childProcess
	for _, p := range procs {
		stat, err := p.Stat()
		if err != nil || stat.State == "Z" || stat.PPID != self {
			continue
		}
		name := stat.Comm
		if argv, err := p.CmdLine(); err == nil && len(argv) > 0 {
			name = filepath.Base(argv[0])
		}
		out = append(out, childProcess{pid: p.PID, name: name})
	}
	slices.SortFunc(out, func(a, b childProcess) int { return strings.Compare(a.name, b.name) })
	return out
}

// problems returns the last n error and warning lines of the operator's log at path, each cut
// to a readable length.
func problems(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer func() { _ = f.Close() }()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "\tERROR\t") && !strings.Contains(line, "\tWARN\t") && !strings.Contains(line, `"type": "Warning"`) {
			continue
		}
		if len(line) > 160 {
			line = line[:157] + "..."
		}
		lines = append(lines, line)
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines
}

// indent writes each line of text to w with prefix in front.
func indent(w io.Writer, prefix, text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintln(w, prefix+line)
	}
}
