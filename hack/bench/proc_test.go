package main

import (
	"os"
	"os/exec"
	"regexp"
	"testing"
)

func TestProcessFigures(t *testing.T) {
	status, err := procStatus(os.Getpid())
	if err != nil || status.VmRSS < 1<<20 || status.VmHWM < status.VmRSS {
		t.Errorf("procStatus of the test: RSS %d, peak %d bytes, %v", status.VmRSS, status.VmHWM, err)
	}
	if _, err := cpuTime(os.Getpid()); err != nil {
		t.Errorf("cpuTime of the test: %v", err)
	}

	child := exec.Command("sleep", "60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	byProcess := cpuByProcess()
	for _, name := range []string{"bench", "sleep"} {
		if _, ok := byProcess[name]; !ok {
			t.Errorf("cpuByProcess has no %s: %v", name, byProcess)
		}
	}
}

func TestMachineFigures(t *testing.T) {
	m := machineInfo()
	if m.MemoryMiB <= 0 || m.CPU == "" || m.Kernel == "" {
		t.Errorf("machineInfo = %+v", m)
	}
	if load := loadavg(); !regexp.MustCompile(`^\d+\.\d\d \d+\.\d\d \d+\.\d\d$`).MatchString(load) {
		t.Errorf("loadavg = %q", load)
	}
}
