package main

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/procfs"
	"k8s.io/apimachinery/pkg/util/wait"
)

func TestRunGroupOutput(t *testing.T) {
	var lines []string
	out, err := runGroup(context.Background(), exec.CommandContext(context.Background(), "sh", "-c", "echo one; echo two >&2"),
		func(line string) { lines = append(lines, line) })
	if err != nil {
		t.Fatalf("runGroup: %v", err)
	}
	if got := string(out); got != "one\ntwo\n" {
		t.Errorf("output %q, want both streams", got)
	}
	if !slices.Equal(lines, []string{"one", "two"}) {
		t.Errorf("progress saw %q", lines)
	}
}

// TestRunGroupCancel checks that when the context ends, runGroup returns the context's error and
// leaves nothing of the group running, not even a process that ignores SIGINT.
func TestRunGroupCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The background subshell prints its process ID once it ignores SIGINT, then becomes a sleep
	// that does not hold the output pipe.
	script := `(trap "" INT; sh -c 'echo $PPID'; exec sleep 60 >/dev/null 2>&1) & wait`
	var survivor int
	_, err := runGroup(ctx, exec.CommandContext(ctx, "sh", "-c", script), func(line string) {
		survivor, _ = strconv.Atoi(strings.TrimSpace(line))
		cancel()
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("runGroup returned %v, want the context's error", err)
	}
	if survivor == 0 {
		t.Fatal("the script printed no process ID")
	}
	gone := func(context.Context) (bool, error) {
		p, err := procfs.NewProc(survivor)
		if err != nil {
			return true, nil
		}
		stat, err := p.Stat()
		return err != nil || stat.State == "Z", nil
	}
	if err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 10*time.Second, true, gone); err != nil {
		t.Errorf("process %d of the group still runs after runGroup returned", survivor)
	}
}
