package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/testenv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/aws/smithy-go"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

const (
	accessKey = "AKIDSTANDALONETEST"
	secretKey = "standalone-test-secret"
	account   = "210987654321"
	region    = "eu-central-1"
	role      = "arn:aws:iam::210987654321:role/transfer-user"

	// roleAccount holds the roles of the --role flags.
	roleAccount = "444455556666"
	assumedRole = "arn:aws:iam::444455556666:role/transfer"
	irsaRole    = "arn:aws:iam::444455556666:role/irsa"
)

// TestStandaloneBinary builds the command, runs it on a free loopback port
// with strict SigV4 and its data plane, drives it with the SDK, its admin
// endpoint and the AWS CLI, and stops it with SIGTERM.
func TestStandaloneBinary(t *testing.T) {
	events := make(chan emulator.CustomStepEvent, 1)
	lambda := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev emulator.CustomStepEvent
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		events <- ev
	}))
	t.Cleanup(lambda.Close)
	bin := filepath.Join(t.TempDir(), "transfer-emulator")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--transition-delay", "0", "--account", account,
		"--sigv4-access-key", accessKey, "--sigv4-secret-key", secretKey, "--seed", "3",
		"--data-plane", "--bucket", "preset-bucket", "--efs-root", filepath.Join(t.TempDir(), "efs"), "--custom-step-endpoint", lambda.URL,
		"--max-object-size", "64Ki",
		"--role", assumedRole+",external-id=xid", "--role", irsaRole+",web-identity,max-session=2h")
	// Not a pipe the test reads: Wait closes a pipe's read end, and lines not yet read would be
	// lost. With a buffer, Wait returns only once the whole log has been copied into it.
	logs := &testenv.SyncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	var exitErr error
	exited := make(chan struct{})
	go func() {
		exitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	url := waitListenURL(t, logs, exited)

	t.Run("SDK", func(t *testing.T) { checkSDK(t, url) })
	t.Run("AdminEndpoint", func(t *testing.T) { checkAdmin(t, url) })
	t.Run("AWSCLI", func(t *testing.T) { checkAWSCLI(t, url) })
	t.Run("DataPlane", func(t *testing.T) { checkDataPlane(t, url, logs) })
	t.Run("Workflows", func(t *testing.T) { checkWorkflows(t, url, events) })
	t.Run("STS", func(t *testing.T) { checkSTS(t, url) })

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-exited:
		if exitErr != nil {
			t.Errorf("after SIGTERM the emulator exited with %v; log:\n%s", exitErr, logs)
		}
	case <-time.After(processTimeout):
		t.Fatalf("the emulator did not exit within %s of SIGTERM; log:\n%s", processTimeout, logs)
	}
	if !strings.Contains(logs.String(), "shutting down") || !strings.Contains(logs.String(), "stopped") {
		t.Errorf("log does not show a graceful shutdown:\n%s", logs)
	}
}

// processTimeout bounds how long the emulator may take to start or to stop: generous, for a busy
// machine.
const processTimeout = time.Minute

// waitListenURL waits until the log holds the startup line and returns the URL it names; it
// fails the test if the emulator exits first or takes longer than processTimeout.
func waitListenURL(t *testing.T, logs *testenv.SyncBuffer, exited <-chan struct{}) string {
	t.Helper()
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	deadline := time.After(processTimeout)
	for {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return m[1]
		}
		select {
		case <-exited:
			t.Fatalf("the emulator exited before it listened; log:\n%s", logs)
		case <-deadline:
			t.Fatalf("no startup line within %s; log:\n%s", processTimeout, logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func client(url, secret string) *transfer.Client {
	return transfer.NewFromConfig(aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secret, ""),
		BaseEndpoint: aws.String(url),
	}, func(o *transfer.Options) { o.Retryer = aws.NopRetryer{} })
}

func checkSDK(t *testing.T, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := client(url, secretKey)
	out, err := c.CreateServer(ctx, &transfer.CreateServerInput{})
	if err != nil {
		t.Fatalf("CreateServer: %v", err)
	}
	d, err := c.DescribeServer(ctx, &transfer.DescribeServerInput{ServerId: out.ServerId})
	if err != nil {
		t.Fatalf("DescribeServer: %v", err)
	}
	if want := "arn:aws:transfer:" + region + ":" + account + ":server/" + aws.ToString(out.ServerId); aws.ToString(d.Server.Arn) != want || d.Server.State != "ONLINE" {
		t.Errorf("server %s in state %s, want %s ONLINE (flags --account and --transition-delay 0)", aws.ToString(d.Server.Arn), d.Server.State, want)
	}
	_, err = client(url, "wrong").ListServers(ctx, &transfer.ListServersInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Errorf("request signed with the wrong secret: %v, want InvalidSignatureException", err)
	}
	if _, err := c.DeleteServer(ctx, &transfer.DeleteServerInput{ServerId: out.ServerId}); err != nil {
		t.Fatalf("DeleteServer: %v", err)
	}
	e := ec2.NewFromConfig(aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, "wrong", ""),
		BaseEndpoint: aws.String(url),
	}, func(o *ec2.Options) { o.Retryer = aws.NopRetryer{} })
	_, err = e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("EC2 request signed with the wrong secret: %v, want SignatureDoesNotMatch", err)
	}

	wf, err := c.CreateWorkflow(ctx, &transfer.CreateWorkflowInput{Description: aws.String("sdk"), Steps: []types.WorkflowStep{{
		Type: types.WorkflowStepTypeDelete, DeleteStepDetails: &types.DeleteStepDetails{Name: aws.String("remove")},
	}}})
	if err != nil {
		t.Fatalf("CreateWorkflow: %v", err)
	}
	dw, err := c.DescribeWorkflow(ctx, &transfer.DescribeWorkflowInput{WorkflowId: wf.WorkflowId})
	if err != nil {
		t.Fatalf("DescribeWorkflow: %v", err)
	}
	if want := "arn:aws:transfer:" + region + ":" + account + ":workflow/" + aws.ToString(wf.WorkflowId); aws.ToString(dw.Workflow.Arn) != want ||
		len(dw.Workflow.Steps) != 1 || aws.ToString(dw.Workflow.Steps[0].DeleteStepDetails.Name) != "remove" {
		t.Errorf("workflow %+v, want %s with its DELETE step", dw.Workflow, want)
	}
	if _, err := c.DeleteWorkflow(ctx, &transfer.DeleteWorkflowInput{WorkflowId: wf.WorkflowId}); err != nil {
		t.Fatalf("DeleteWorkflow: %v", err)
	}
}

// checkSTS assumes the roles of the --role flags: the one that wants an external ID with the
// base credentials (verified by strict SigV4, as are the assumed credentials), the web identity
// one anonymously; a server created with the assumed credentials is in the role's account.
func checkSTS(t *testing.T, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stsClient := func(creds aws.CredentialsProvider) *sts.Client {
		return sts.New(sts.Options{Region: region, BaseEndpoint: aws.String(url), Credentials: creds, Retryer: aws.NopRetryer{}})
	}
	base := credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")
	_, err := stscreds.NewAssumeRoleProvider(stsClient(base), assumedRole).Retrieve(ctx)
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
		t.Errorf("AssumeRole without the external ID: %v, want AccessDenied", err)
	}
	assumed := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient(base), assumedRole, func(o *stscreds.AssumeRoleOptions) {
		o.ExternalID = aws.String("xid")
	}))
	c := transfer.NewFromConfig(aws.Config{Region: region, Credentials: assumed, BaseEndpoint: aws.String(url)}, func(o *transfer.Options) { o.Retryer = aws.NopRetryer{} })
	out, err := c.CreateServer(ctx, &transfer.CreateServerInput{})
	if err != nil {
		t.Fatalf("CreateServer with the assumed role: %v", err)
	}
	resp := adminGet(t, url+"/_emulator/snapshot?account="+roleAccount)
	defer resp.Body.Close()
	var snap struct {
		Regions map[string]struct{ Servers []struct{ Arn string } }
	}
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		t.Fatalf("decode snapshot: %v", err)
	}
	want := "arn:aws:transfer:" + region + ":" + roleAccount + ":server/" + aws.ToString(out.ServerId)
	if servers := snap.Regions[region].Servers; len(servers) != 1 || servers[0].Arn != want {
		t.Errorf("snapshot of %s holds %+v, want %s", roleAccount, servers, want)
	}

	web, err := stsClient(aws.AnonymousCredentials{}).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(irsaRole), RoleSessionName: aws.String("pod"), WebIdentityToken: aws.String("token"), DurationSeconds: aws.Int32(7200),
	})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity of the web-identity role for 2h: %v", err)
	}
	if got := aws.ToString(web.AssumedRoleUser.Arn); got != "arn:aws:sts::"+roleAccount+":assumed-role/irsa/pod" {
		t.Errorf("web identity session %s", got)
	}
}

// adminGet sends a GET to the admin endpoint, signed as --sigv4-* requires.
func adminGet(t *testing.T, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := emulator.SignAdminRequest(req, nil, emulator.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func checkAdmin(t *testing.T, url string) {
	unsigned, err := http.Get(url + "/_emulator/calls")
	if err != nil {
		t.Fatal(err)
	}
	_ = unsigned.Body.Close()
	if unsigned.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned GET /_emulator/calls with --sigv4-*: %d, want 403", unsigned.StatusCode)
	}
	resp := adminGet(t, url+"/_emulator/calls")
	defer resp.Body.Close()
	var calls map[string]map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /_emulator/calls: %d %v", resp.StatusCode, err)
	}
	if calls["CreateServer"]["ok"] != 1 || calls["ListServers"]["InvalidSignatureException"] != 1 {
		t.Errorf("calls = %v", calls)
	}
}

// checkAWSCLI runs the AWS CLI (any version with "aws transfer") against the
// emulator: the caller's identity and an assumed role of a --role flag, an S3
// object and a Secrets Manager secret on the same endpoint, then servers and
// users are created, described, listed and deleted, every request signed by the
// CLI and verified by the emulator.
func checkAWSCLI(t *testing.T, url string) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the AWS CLI is required for this test and was not found in PATH: install it with `apt-get update && apt-get install -y awscli` (Debian) or `pip install awscli`")
	}
	home := t.TempDir()
	cli := func(service string, args ...string) (map[string]any, error) {
		t.Helper()
		args = append([]string{service}, args...)
		args = append(args, "--endpoint-url", url, "--region", region, "--output", "json")
		cmd := exec.Command(awsPath, args...)
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + home,
			"AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=" + secretKey,
			"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
			"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1", "AWS_EC2_METADATA_DISABLED=true",
		}
		if v := os.Getenv("PYENV_ROOT"); v != "" {
			cmd.Env = append(cmd.Env, "PYENV_ROOT="+v)
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, errors.New(strings.TrimSpace(stderr.String()))
		}
		out := map[string]any{}
		if s := bytes.TrimSpace(stdout.Bytes()); len(s) > 0 {
			if err := json.Unmarshal(s, &out); err != nil {
				t.Fatalf("aws %s printed %q: %v", strings.Join(args, " "), s, err)
			}
		}
		return out, nil
	}
	run := func(args ...string) (map[string]any, error) {
		t.Helper()
		return cli("transfer", args...)
	}
	must := func(args ...string) map[string]any {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("aws transfer %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	mustEC2 := func(args ...string) map[string]any {
		t.Helper()
		out, err := cli("ec2", args...)
		if err != nil {
			t.Fatalf("aws ec2 %s: %v", strings.Join(args, " "), err)
		}
		return out
	}

	caller, err := cli("sts", "get-caller-identity")
	if err != nil || caller["Account"] != account || caller["Arn"] != "arn:aws:iam::"+account+":user/emulator" {
		t.Errorf("aws sts get-caller-identity: %v, %v", caller, err)
	}
	assumed, err := cli("sts", "assume-role", "--role-arn", assumedRole, "--role-session-name", "cli", "--external-id", "xid")
	if user, _ := assumed["AssumedRoleUser"].(map[string]any); err != nil || user["Arn"] != "arn:aws:sts::"+roleAccount+":assumed-role/transfer/cli" {
		t.Errorf("aws sts assume-role: %v, %v", assumed, err)
	}

	// S3 and Secrets Manager answer on the same endpoint, signed and verified as the others.
	body := filepath.Join(home, "object.txt")
	if err := os.WriteFile(body, []byte("from the CLI"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := cli("s3api", "put-object", "--bucket", "cli-bucket", "--key", "dir/object.txt", "--body", body); err != nil {
		t.Errorf("aws s3api put-object on the main listener: %v", err)
	}
	objects, err := cli("s3api", "list-objects-v2", "--bucket", "cli-bucket")
	if contents, _ := objects["Contents"].([]any); err != nil || len(contents) != 1 {
		t.Errorf("aws s3api list-objects-v2 on the main listener: %v, %v", objects, err)
	}
	secret, err := cli("secretsmanager", "create-secret", "--name", "cli/partner", "--secret-string", `{"Username":"alice","Password":"pw"}`)
	if err != nil {
		t.Fatalf("aws secretsmanager create-secret: %v", err)
	}
	arn, _ := secret["ARN"].(string)
	if value, err := cli("secretsmanager", "get-secret-value", "--secret-id", arn); err != nil || value["SecretString"] != `{"Username":"alice","Password":"pw"}` {
		t.Errorf("aws secretsmanager get-secret-value: %v, %v", value, err)
	}

	created := must("create-server", "--protocols", "SFTP", "--tags", "Key=env,Value=cli")
	id, _ := created["ServerId"].(string)
	if !regexp.MustCompile(`^s-[0-9a-f]{17}$`).MatchString(id) {
		t.Fatalf("create-server printed %v", created)
	}
	server, _ := must("describe-server", "--server-id", id)["Server"].(map[string]any)
	if server["State"] != "ONLINE" || server["Arn"] != "arn:aws:transfer:"+region+":"+account+":server/"+id {
		t.Errorf("describe-server printed %v", server)
	}
	if servers, _ := must("list-servers")["Servers"].([]any); len(servers) != 1 {
		t.Errorf("list-servers printed %v", servers)
	}

	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
	must("create-user", "--server-id", id, "--user-name", "cli-user", "--role", role, "--ssh-public-key-body", key,
		"--home-directory-type", "LOGICAL", "--home-directory-mappings", `[{"Entry":"/","Target":"/bucket/${Transfer:UserName}"}]`)
	user, _ := must("describe-user", "--server-id", id, "--user-name", "cli-user")["User"].(map[string]any)
	keys, _ := user["SshPublicKeys"].([]any)
	mappings, _ := user["HomeDirectoryMappings"].([]any)
	if user["UserName"] != "cli-user" || len(keys) != 1 || len(mappings) != 1 || mappings[0].(map[string]any)["Target"] != "/bucket/cli-user" {
		t.Errorf("describe-user printed %v", user)
	}
	if users, _ := must("list-users", "--server-id", id)["Users"].([]any); len(users) != 1 {
		t.Errorf("list-users printed %v", users)
	}
	_, err = run("create-user", "--server-id", id, "--user-name", "cli-user", "--role", role)
	if err == nil || !strings.Contains(err.Error(), "ResourceExistsException") {
		t.Errorf("creating the user again: %v, want ResourceExistsException", err)
	}
	must("delete-user", "--server-id", id, "--user-name", "cli-user")
	checkCLIHostKeys(t, id, run, must)

	wf, _ := must("create-workflow", "--description", "cli workflow",
		"--steps", `[{"Type":"TAG","TagStepDetails":{"Name":"mark","Tags":[{"Key":"seen","Value":"yes"}]}}]`)["WorkflowId"].(string)
	if !regexp.MustCompile(`^w-[a-z0-9]{17}$`).MatchString(wf) {
		t.Fatalf("create-workflow printed workflow ID %q", wf)
	}
	workflow, _ := must("describe-workflow", "--workflow-id", wf)["Workflow"].(map[string]any)
	if steps, _ := workflow["Steps"].([]any); workflow["Description"] != "cli workflow" || len(steps) != 1 {
		t.Errorf("describe-workflow printed %v", workflow)
	}
	must("update-server", "--server-id", id, "--workflow-details", `{"OnUpload":[{"WorkflowId":"`+wf+`","ExecutionRole":"`+role+`"}]}`)
	_, err = run("delete-workflow", "--workflow-id", wf)
	if err == nil || !strings.Contains(err.Error(), "Workflow is still in use by server "+id) {
		t.Errorf("delete-workflow of a workflow the server runs: %v, want InvalidRequestException naming the server", err)
	}
	if workflows, _ := must("list-workflows")["Workflows"].([]any); len(workflows) != 1 {
		t.Errorf("list-workflows printed %v", workflows)
	}
	must("delete-server", "--server-id", id)
	must("delete-workflow", "--workflow-id", wf)
	_, err = run("describe-server", "--server-id", id)
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("describe-server after delete-server: %v, want ResourceNotFoundException", err)
	}
	checkAWSCLIVpcEndpoint(t, must, mustEC2, cli)
}

// checkAWSCLIVpcEndpoint checks the EC2 side with the CLI: a VPC server's endpoint, its network
// interfaces, a change of its security groups, and the error for an unknown endpoint.
func checkAWSCLIVpcEndpoint(t *testing.T, must, mustEC2 func(...string) map[string]any, cli func(string, ...string) (map[string]any, error)) {
	id, _ := must("create-server", "--endpoint-type", "VPC",
		"--endpoint-details", "VpcId=vpc-0123456789abcdef0,SubnetIds=subnet-0000000a,subnet-0000000b,SecurityGroupIds=sg-0000000000000000a")["ServerId"].(string)
	server, _ := must("describe-server", "--server-id", id)["Server"].(map[string]any)
	details, _ := server["EndpointDetails"].(map[string]any)
	vpce, _ := details["VpcEndpointId"].(string)
	endpoint := func() map[string]any {
		t.Helper()
		list, _ := mustEC2("describe-vpc-endpoints", "--vpc-endpoint-ids", vpce)["VpcEndpoints"].([]any)
		if len(list) != 1 {
			t.Fatalf("describe-vpc-endpoints %s printed %v", vpce, list)
		}
		return list[0].(map[string]any)
	}
	groups := func(ep map[string]any) []string {
		var out []string
		for _, g := range ep["Groups"].([]any) {
			out = append(out, g.(map[string]any)["GroupId"].(string))
		}
		return out
	}
	ep := endpoint()
	if ep["State"] != "available" || !slices.Equal(groups(ep), []string{"sg-0000000000000000a"}) || len(ep["DnsEntries"].([]any)) != 3 {
		t.Errorf("describe-vpc-endpoints printed %v", ep)
	}
	var enis []string
	for _, ni := range ep["NetworkInterfaceIds"].([]any) {
		enis = append(enis, ni.(string))
	}
	nis, _ := mustEC2(append([]string{"describe-network-interfaces", "--network-interface-ids"}, enis...)...)["NetworkInterfaces"].([]any)
	if len(nis) != 2 || nis[0].(map[string]any)["PrivateIpAddress"] == "" {
		t.Errorf("describe-network-interfaces printed %v", nis)
	}
	if out := mustEC2("modify-vpc-endpoint", "--vpc-endpoint-id", vpce,
		"--add-security-group-ids", "sg-0000000000000000b", "--remove-security-group-ids", "sg-0000000000000000a"); out["Return"] != true {
		t.Errorf("modify-vpc-endpoint printed %v", out)
	}
	if got := groups(endpoint()); !slices.Equal(got, []string{"sg-0000000000000000b"}) {
		t.Errorf("groups after modify-vpc-endpoint: %v", got)
	}
	must("delete-server", "--server-id", id)
	_, err := cli("ec2", "describe-vpc-endpoints", "--vpc-endpoint-ids", vpce)
	if err == nil || !strings.Contains(err.Error(), "InvalidVpcEndpointId.NotFound") {
		t.Errorf("describe-vpc-endpoints after delete-server: %v, want InvalidVpcEndpointId.NotFound", err)
	}
}

// checkDataPlane checks what --data-plane, --bucket and --efs-root start: the S3 API the log
// names, holding the preset bucket, and an SFTP listener for a new server, named by the log and
// the admin endpoint.
func checkDataPlane(t *testing.T, url string, logs *testenv.SyncBuffer) {
	m := regexp.MustCompile(`S3 API on (http://127\.0\.0\.1:\d+), EFS file systems under (\S+)`).FindStringSubmatch(logs.String())
	if m == nil || !strings.HasSuffix(m[2], "efs") {
		t.Fatalf("no S3 API line naming --efs-root in the log:\n%s", logs)
	}
	resp, err := http.Get(m[1] + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !strings.Contains(string(body), "<Name>preset-bucket</Name>") {
		t.Errorf("S3 ListBuckets does not hold --bucket preset-bucket: %s", body)
	}
	for size, want := range map[int]string{64 << 10: "", 64<<10 + 1: "<Code>EntityTooLarge</Code>"} {
		req, err := http.NewRequest(http.MethodPut, m[1]+"/preset-bucket/sized", bytes.NewReader(make([]byte, size)))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if (want == "") != (resp.StatusCode == http.StatusOK) || !strings.Contains(string(body), want) {
			t.Errorf("S3 PUT of %d bytes with --max-object-size 64Ki: %d %s", size, resp.StatusCode, body)
		}
	}
	out, err := client(url, secretKey).CreateServer(context.Background(), &transfer.CreateServerInput{})
	if err != nil {
		t.Fatalf("CreateServer: %v", err)
	}
	id := aws.ToString(out.ServerId)
	// The process writes its log through a pipe: the line comes a moment after the answer.
	portLine := regexp.MustCompile(`server ` + id + ` \(` + region + `\): SFTP on (127\.0\.0\.1:\d+)`)
	var line []string
	for deadline := time.Now().Add(time.Minute); line == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		line = portLine.FindStringSubmatch(logs.String())
	}
	if line == nil {
		t.Fatalf("the log does not name the SFTP port of %s:\n%s", id, logs)
	}
	resp = adminGet(t, url+"/_emulator/dataplane")
	defer resp.Body.Close()
	type endpoint struct {
		ServerID string `json:"ServerId"`
		Address  string
	}
	var info struct {
		S3Endpoint string
		SFTP       []endpoint
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if info.S3Endpoint != m[1] || !slices.Contains(info.SFTP, endpoint{ServerID: id, Address: line[1]}) {
		t.Errorf("admin data plane %+v, want S3 at %s and %s on %s", info, m[1], id, line[1])
	}
}

// checkWorkflows uploads a file over SFTP to a server whose workflow has a CUSTOM step: the
// event reaches --custom-step-endpoint, SendWorkflowStepState completes the execution, and the
// admin API shows it COMPLETED.
func checkWorkflows(t *testing.T, url string, events <-chan emulator.CustomStepEvent) {
	c := client(url, secretKey)
	ctx := context.Background()
	wf, err := c.CreateWorkflow(ctx, &transfer.CreateWorkflowInput{Steps: []types.WorkflowStep{{Type: types.WorkflowStepTypeCustom,
		CustomStepDetails: &types.CustomStepDetails{Target: aws.String("arn:aws:lambda:" + region + ":" + account + ":function:check"), TimeoutSeconds: aws.Int32(1800)}}}})
	if err != nil {
		t.Fatalf("CreateWorkflow: %v", err)
	}
	wfID := aws.ToString(wf.WorkflowId)
	srv, err := c.CreateServer(ctx, &transfer.CreateServerInput{WorkflowDetails: &types.WorkflowDetails{OnUpload: []types.WorkflowDetail{
		{WorkflowId: aws.String(wfID), ExecutionRole: aws.String("arn:aws:iam::" + account + ":role/workflow")}}}})
	if err != nil {
		t.Fatalf("CreateServer: %v", err)
	}
	id := aws.ToString(srv.ServerId)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	if _, err := c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: aws.String(id), UserName: aws.String("wendy"), HomeDirectory: aws.String("/inbox/wendy"),
		Role: aws.String("arn:aws:iam::" + account + ":role/user"), SshPublicKeyBody: aws.String(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	var info struct{ SFTP []emulator.SFTPEndpoint }
	getJSON(t, url+"/_emulator/dataplane", &info)
	i := slices.IndexFunc(info.SFTP, func(e emulator.SFTPEndpoint) bool { return e.ServerID == id })
	if i < 0 {
		t.Fatalf("no SFTP endpoint for %s: %+v", id, info)
	}
	conn, err := ssh.Dial("tcp", info.SFTP[i].Address, &ssh.ClientConfig{User: "wendy", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: processTimeout})
	if err != nil {
		t.Fatalf("SFTP login: %v", err)
	}
	defer conn.Close()
	sc, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	f, err := sc.Create("in.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	var ev emulator.CustomStepEvent
	select {
	case ev = <-events:
	case <-time.After(processTimeout):
		t.Fatalf("no event reached --custom-step-endpoint within %s", processTimeout)
	}
	if ev.ServiceMetadata.ExecutionDetails.WorkflowID != wfID {
		t.Fatalf("event of workflow %q, want %s", ev.ServiceMetadata.ExecutionDetails.WorkflowID, wfID)
	}
	if _, err := c.SendWorkflowStepState(ctx, &transfer.SendWorkflowStepStateInput{WorkflowId: aws.String(wfID),
		ExecutionId: aws.String(ev.ServiceMetadata.ExecutionDetails.ExecutionID), Token: aws.String(ev.Token), Status: types.CustomStepStatusSuccess}); err != nil {
		t.Fatalf("SendWorkflowStepState: %v", err)
	}
	for deadline := time.Now().Add(processTimeout); ; time.Sleep(20 * time.Millisecond) {
		var executions []struct {
			ExecutionID string `json:"ExecutionId"`
			Status      string
		}
		getJSON(t, url+"/_emulator/executions?region="+region+"&workflowId="+wfID, &executions)
		if len(executions) == 1 && executions[0].ExecutionID == ev.ServiceMetadata.ExecutionDetails.ExecutionID && executions[0].Status == "COMPLETED" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("admin executions %+v, want the execution COMPLETED", executions)
		}
	}
}

// getJSON decodes the JSON answer of a GET.
// getJSON decodes the answer of a signed GET to the admin endpoint into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp := adminGet(t, url)
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// checkCLIHostKeys imports, lists, describes, updates and deletes a host key of server id with
// the AWS CLI.
func checkCLIHostKeys(t *testing.T, id string, run func(...string) (map[string]any, error), must func(...string) map[string]any) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	body := string(pem.EncodeToMemory(block))
	imported := must("import-host-key", "--server-id", id, "--host-key-body", body, "--description", "cli key")
	keyID, _ := imported["HostKeyId"].(string)
	if !regexp.MustCompile(`^hostkey-[0-9a-f]{17}$`).MatchString(keyID) || imported["ServerId"] != id {
		t.Fatalf("import-host-key printed %v", imported)
	}
	if _, err := run("import-host-key", "--server-id", id, "--host-key-body", body); err == nil || !strings.Contains(err.Error(), "ResourceExistsException") {
		t.Errorf("importing the host key again: %v, want ResourceExistsException", err)
	}
	if keys, _ := must("list-host-keys", "--server-id", id)["HostKeys"].([]any); len(keys) != 2 {
		t.Errorf("list-host-keys printed %v, want the server's first key and the imported one", keys)
	}
	must("update-host-key", "--server-id", id, "--host-key-id", keyID, "--description", "renamed")
	described, _ := must("describe-host-key", "--server-id", id, "--host-key-id", keyID)["HostKey"].(map[string]any)
	if described["Description"] != "renamed" || described["HostKeyFingerprint"] != ssh.FingerprintSHA256(signer.PublicKey()) || described["Type"] != "ssh-ed25519" {
		t.Errorf("describe-host-key printed %v", described)
	}
	must("delete-host-key", "--server-id", id, "--host-key-id", keyID)
	if _, err := run("describe-host-key", "--server-id", id, "--host-key-id", keyID); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("describe-host-key after delete-host-key: %v, want ResourceNotFoundException", err)
	}
}

func TestParseRole(t *testing.T) {
	const arn = "arn:aws:iam::444455556666:role/transfer"
	for _, tc := range []struct {
		flag    string
		want    emulator.Role
		wantErr bool
	}{
		{flag: arn, want: emulator.Role{ARN: arn}},
		{flag: arn + ",trusted=111122223333;210987654321", want: emulator.Role{ARN: arn, TrustedAccounts: []string{"111122223333", "210987654321"}}},
		{flag: arn + ",external-id=xid,web-identity,max-session=3h", want: emulator.Role{ARN: arn, ExternalID: "xid", WebIdentity: true, MaxSessionDuration: 3 * time.Hour}},
		{flag: arn + ",web-identity=yes", wantErr: true},
		{flag: arn + ",max-session=long", wantErr: true},
		{flag: arn + ",trusted", wantErr: true},
		{flag: arn + ",unknown=1", wantErr: true},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			got, err := parseRole(tc.flag)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseRole(%q) error %v, want error %t", tc.flag, err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseRole(%q) = %+v, want %+v", tc.flag, got, tc.want)
			}
		})
	}
}
