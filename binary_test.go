package main

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestBinaryLeavesOutUnusedEC2Operations builds the operator and checks that the linker dropped
// the EC2 operations it never calls. The binary reaches reflection by method name, so a type that
// can reach an interface keeps every exported method; EC2's client has 800 of them, 19 MB of code
// and several MiB of resident memory (docs/benchmarks.md).
func TestBinaryLeavesOutUnusedEC2Operations(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "transfer-operator")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	symbols, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, s := range symbols {
		linked[s.Name] = true
	}
	const ec2Client = "github.com/aws/aws-sdk-go-v2/service/ec2.(*Client)."
	for _, op := range []string{"DescribeVpcEndpoints", "ModifyVpcEndpoint", "DescribeNetworkInterfaces"} {
		if !linked[ec2Client+op] {
			t.Errorf("%s%s is not in the binary; the operator calls it", ec2Client, op)
		}
	}
	for _, op := range []string{"DescribeInstances", "RunInstances", "CreateVpc"} {
		if linked[ec2Client+op] {
			t.Errorf("%s%s is in the binary, which never calls it: the EC2 client reaches an interface", ec2Client, op)
		}
	}
}
