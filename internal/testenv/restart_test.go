package testenv

import (
	"bufio"
	"errors"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// startChild starts sh running script and returns once the script has printed its first line;
// the test kills what is left of it.
func startChild(t *testing.T, script string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatalf("reading the child's first line: %v", err)
	}
	return cmd
}

func TestTerminate(t *testing.T) {
	tests := []struct {
		name       string
		script     string
		wantSignal syscall.Signal
	}{
		{"stops on SIGTERM", "echo ready; exec sleep 60", syscall.SIGTERM},
		{"ignores SIGTERM", `trap "" TERM; echo ready; while :; do sleep 1; done`, syscall.SIGKILL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := startChild(t, tt.script)
			if !alive(cmd.Process.Pid) {
				t.Fatal("alive says a running child is not")
			}
			if err := terminate(cmd.Process.Pid, 500*time.Millisecond); err != nil {
				t.Fatalf("terminate: %v", err)
			}
			if alive(cmd.Process.Pid) {
				t.Fatal("alive says an exited child (a zombie until reaped) is running")
			}
			err := cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("child ended with %v", err)
			}
			if ws := exit.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != tt.wantSignal {
				t.Errorf("child ended with %v, want signal %v", ws, tt.wantSignal)
			}
		})
	}
}
