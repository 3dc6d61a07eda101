package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

// samplesDir is config/samples, the examples `make demo` applies.
var samplesDir = filepath.Join(testenv.RepoRoot(), "config", "samples")

// TestSamples applies every sample in config/samples with the built kubectl to a real API server,
// server-side with strict field validation, so that a schema, CEL or unknown-field error in any
// sample fails. It then checks that the kustomization lists every file, that `kubectl apply -k`
// of the directory is accepted too, and that the stored objects cover the use cases the samples
// promise. (That the emulator accepts them and the operator makes them Ready is TestDemo's part.)
func TestSamples(t *testing.T) {
	files := sampleFiles(t)
	cp, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := cp.WriteKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	kubectl := kubectlRunner(t, kubeconfig)
	if out, err := kubectl("create", "namespace", "file-by-file"); err != nil {
		t.Fatalf("kubectl create namespace: %v\n%s", err, out)
	}

	for _, file := range files {
		t.Run(strings.TrimSuffix(file, ".yaml"), func(t *testing.T) {
			out, err := kubectl("apply", "--server-side", "--validate=strict", "--field-manager=samples-test",
				"-n", "file-by-file", "-f", filepath.Join(samplesDir, file))
			if err != nil {
				t.Fatalf("the API server refused %s: %v\n%s", file, err, out)
			}
			if !strings.Contains(out, "serverside-applied") {
				t.Fatalf("kubectl apply of %s did not apply anything:\n%s", file, out)
			}
		})
	}

	out, err := kubectl("apply", "--server-side", "--validate=strict", "-k", samplesDir)
	if err != nil {
		t.Fatalf("kubectl apply -k config/samples: %v\n%s", err, out)
	}
	if n := strings.Count(out, "serverside-applied"); n != len(files) {
		t.Fatalf("kubectl apply -k config/samples applied %d objects, want one for each of the %d files:\n%s", n, len(files), out)
	}

	servers, users, accesses := storedSamples(t, kubectl)
	checkSampleCoverage(t, servers, users)
	checkAccessSamples(t, servers, accesses)
}

// sampleFiles returns the YAML files of config/samples other than the kustomization, and fails
// unless the kustomization lists exactly those.
func sampleFiles(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(samplesDir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") && e.Name() != "kustomization.yaml" {
			files = append(files, e.Name())
		}
	}
	data, err := os.ReadFile(filepath.Join(samplesDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatalf("config/samples/kustomization.yaml: %v", err)
	}
	listed := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(listed, files) {
		t.Fatalf("config/samples/kustomization.yaml lists %v; the directory holds %v", listed, files)
	}
	if len(files) == 0 {
		t.Fatal("config/samples holds no samples")
	}
	return files
}

// storedSamples reads back, as the API server stored them, the objects `kubectl apply -k`
// created in the default namespace.
func storedSamples(t *testing.T, kubectl func(...string) (string, error)) ([]v1alpha1.TransferServer, []v1alpha1.TransferUser, []v1alpha1.TransferAccess) {
	t.Helper()
	var servers v1alpha1.TransferServerList
	var users v1alpha1.TransferUserList
	var accesses v1alpha1.TransferAccessList
	for kind, list := range map[string]any{"transferservers": &servers, "transferusers": &users, "transferaccesses": &accesses} {
		out, err := kubectl("get", kind, "-n", "default", "-o", "json")
		if err != nil {
			t.Fatalf("kubectl get %s: %v\n%s", kind, err, out)
		}
		if err := json.Unmarshal([]byte(out), list); err != nil {
			t.Fatalf("decoding %s: %v", kind, err)
		}
	}
	return servers.Items, users.Items, accesses.Items
}

// checkSampleCoverage fails unless the samples show each use case the documentation promises,
// and every user belongs to a server that can have users.
func checkSampleCoverage(t *testing.T, servers []v1alpha1.TransferServer, users []v1alpha1.TransferUser) {
	t.Helper()
	byName := map[string]v1alpha1.TransferServer{}
	for _, s := range servers {
		byName[s.Name] = s
	}
	serverCases := map[string]func(v1alpha1.TransferServerSpec) bool{
		"a public SFTP server with service-managed users": func(s v1alpha1.TransferServerSpec) bool {
			return s.EndpointType == "PUBLIC" && slices.Equal(s.Protocols, []v1alpha1.Protocol{v1alpha1.ProtocolSFTP}) &&
				serviceManaged(s)
		},
		"a VPC server with Elastic IPs and security groups": func(s v1alpha1.TransferServerSpec) bool {
			e := s.EndpointDetails
			return s.EndpointType == "VPC" && e != nil && len(e.SubnetIDs) > 1 &&
				len(e.AddressAllocationIDs) == len(e.SubnetIDs) && len(e.SecurityGroupIDs) > 0
		},
		"an API_GATEWAY identity provider server": func(s v1alpha1.TransferServerSpec) bool {
			return s.IdentityProviderType == "API_GATEWAY" && s.IdentityProviderDetails != nil && s.IdentityProviderDetails.URL != ""
		},
		"an AWS_LAMBDA identity provider server": func(s v1alpha1.TransferServerSpec) bool {
			return s.IdentityProviderType == "AWS_LAMBDA" && s.IdentityProviderDetails != nil && s.IdentityProviderDetails.Function != ""
		},
		"an EFS server": func(s v1alpha1.TransferServerSpec) bool { return s.Domain == "EFS" && serviceManaged(s) },
		"host keys from Secrets, with descriptions": func(s v1alpha1.TransferServerSpec) bool {
			return len(s.HostKeys) > 0 && s.HostKeys[0].SecretRef.Name != "" && s.HostKeys[0].Description != ""
		},
		"a custom hostname in a Route 53 zone": func(s v1alpha1.TransferServerSpec) bool {
			return s.CustomHostname != nil && s.CustomHostname.Hostname != "" && s.CustomHostname.Route53HostedZoneID != ""
		},
	}
	for name, matches := range serverCases {
		if !slices.ContainsFunc(servers, func(s v1alpha1.TransferServer) bool { return matches(s.Spec) }) {
			t.Errorf("no sample shows %s", name)
		}
	}

	userCases := map[string]func(v1alpha1.TransferUser, v1alpha1.TransferServer) bool{
		"a LOGICAL home directory with ${Transfer:UserName} and two SSH keys on a public server": func(u v1alpha1.TransferUser, s v1alpha1.TransferServer) bool {
			return u.Spec.HomeDirectoryType == "LOGICAL" && len(u.Spec.SSHPublicKeys) == 2 &&
				slices.ContainsFunc(u.Spec.HomeDirectoryMappings, func(m v1alpha1.HomeDirectoryMapEntry) bool {
					return strings.Contains(m.Target, "${Transfer:UserName}")
				}) && s.Spec.EndpointType == "PUBLIC"
		},
		"an EFS user with a POSIX profile": func(u v1alpha1.TransferUser, s v1alpha1.TransferServer) bool {
			return u.Spec.PosixProfile != nil && s.Spec.Domain == "EFS"
		},
	}
	for _, u := range users {
		if u.Spec.ServerRef == nil {
			t.Errorf("user sample %s names no TransferServer: samples must work on their own", u.Name)
			continue
		}
		s, ok := byName[u.Spec.ServerRef.Name]
		switch {
		case !ok:
			t.Errorf("user sample %s refers to TransferServer %s, which is not a sample", u.Name, u.Spec.ServerRef.Name)
		case !serviceManaged(s.Spec):
			t.Errorf("user sample %s is on server %s, whose identity provider is %s: users exist only on SERVICE_MANAGED servers",
				u.Name, s.Name, s.Spec.IdentityProviderType)
		}
	}
	for name, matches := range userCases {
		if !slices.ContainsFunc(users, func(u v1alpha1.TransferUser) bool {
			return u.Spec.ServerRef != nil && matches(u, byName[u.Spec.ServerRef.Name])
		}) {
			t.Errorf("no sample shows %s", name)
		}
	}
}

// checkAccessSamples fails unless a sample shows a directory group's access with a logical home
// and a session policy, and every access belongs to a sample server whose users are in a
// directory.
func checkAccessSamples(t *testing.T, servers []v1alpha1.TransferServer, accesses []v1alpha1.TransferAccess) {
	t.Helper()
	shown := false
	for _, a := range accesses {
		i := slices.IndexFunc(servers, func(s v1alpha1.TransferServer) bool {
			return a.Spec.ServerRef != nil && s.Name == a.Spec.ServerRef.Name
		})
		if i < 0 || servers[i].Spec.IdentityProviderType != "AWS_DIRECTORY_SERVICE" {
			t.Errorf("access sample %s does not name a sample TransferServer with identityProviderType AWS_DIRECTORY_SERVICE", a.Name)
			continue
		}
		shown = shown || (a.Spec.HomeDirectoryType == "LOGICAL" && a.Spec.Policy != "")
	}
	if !shown {
		t.Error("no sample shows a directory group's access with a LOGICAL home directory and a session policy")
	}
}

func serviceManaged(s v1alpha1.TransferServerSpec) bool {
	return s.IdentityProviderType == "" || s.IdentityProviderType == "SERVICE_MANAGED"
}

// kubectlRunner returns a function that runs the built kubectl against kubeconfig and returns
// its combined output.
func kubectlRunner(t *testing.T, kubeconfig string) func(args ...string) (string, error) {
	t.Helper()
	assets, err := testenv.Assets()
	if err != nil {
		t.Fatal(err)
	}
	return func(args ...string) (string, error) {
		cmd := exec.Command(filepath.Join(assets, "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
}
