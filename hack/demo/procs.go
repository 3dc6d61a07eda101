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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// runGroup runs cmd in a process group of its own and returns its standard error, and its
// standard output too unless cmd.Stdout is already set. When ctx
// ends, the whole group (a script and the builds it started) gets SIGINT, as from a terminal,
// and SIGKILL 10 seconds later; nothing of it outlives the call. Each line of the output is
// also passed to progress, when it is not nil, as it comes.
func runGroup(ctx context.Context, cmd *exec.Cmd, progress func(line string)) ([]byte, error) {
	var out lineBuffer
	out.progress = progress
	cmd.Stderr = &out
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-pgid, syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
		}
		err = ctx.Err()
	}
	// Whatever is left of the group (a compiler the script's go command started) goes too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
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
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []childProcess
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name is in parentheses and may hold spaces; the state and the parent's
		// ID follow the last closing parenthesis.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 || fields[0] == "Z" {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid != self {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		name, _, _ := bytes.Cut(cmdline, []byte{0})
		out = append(out, childProcess{pid: pid, name: filepath.Base(string(name))})
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
