package main

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinaryLeavesOutWhatItNeverUses builds the operator and checks that two costly things stay
// out of it (docs/benchmarks.md):
//   - the EC2 operations it never calls. The binary reaches reflection by method name, so a type
//     that can reach an interface keeps every exported method; EC2's client has 800 of them, 19 MB
//     of code and 6 MiB of resident memory;
//   - k8s.io/apiserver, with CEL and gRPC, which controller-runtime's metrics filter would bring
//     (internal/metricsauth does its work): 33 MB of binary and about 18 MiB of resident memory.
func TestBinaryLeavesOutWhatItNeverUses(t *testing.T) {
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
		for _, pkg := range []string{"k8s.io/apiserver/", "github.com/google/cel-go/", "google.golang.org/grpc."} {
			if strings.HasPrefix(s.Name, pkg) {
				t.Errorf("%s is in the binary: a dependency brought %s back", s.Name, pkg)
				break
			}
		}
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
