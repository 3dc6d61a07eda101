package testpartner

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// sshd is a running `sshd -D -e`: it stays in the foreground and logs to stderr.
type sshd struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	once sync.Once
}

// startSSHD starts sshd with the config file config, appending its log to the file log. A file,
// not a pipe: the processes sshd forks inherit its stderr, and a pipe would keep Wait waiting
// for the last of them to close it.
func startSSHD(config, log string) (*sshd, error) {
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", config)
	cmd.Stdout, cmd.Stderr = f, f
	// A process group of its own, so that a terminal's Ctrl-C reaches only the test, which
	// decides how sshd stops; Pdeathsig ends sshd if the test process dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &sshd{cmd: cmd, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// exited reports whether sshd has ended.
func (s *sshd) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// kill ends sshd and every process it forked, and waits for sshd to be gone. sshd serves each
// connection in a process of its own session, which a process group signal misses and which
// would otherwise go on serving a client that never hangs up; SIGSTOP freezes the tree until a
// scan of /proc finds no new process, so none forks past the SIGKILL.
func (s *sshd) kill() {
	s.once.Do(func() {
		stopped := map[int]bool{}
		for fresh := true; fresh; {
			fresh = false
			for _, pid := range tree(s.cmd.Process.Pid) {
				if !stopped[pid] {
					_ = syscall.Kill(pid, syscall.SIGSTOP)
					stopped[pid], fresh = true, true
				}
			}
		}
		for pid := range stopped {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	<-s.done
}

// tree returns root and the processes descending from it, as /proc shows them now.
func tree(root int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone since the listing
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses, so read after the last ')'.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(fields[1]); err == nil {
			children[ppid] = append(children[ppid], pid)
		}
	}
	pids := []int{root}
	for i := 0; i < len(pids); i++ {
		pids = append(pids, children[pids[i]]...)
	}
	return pids
}
