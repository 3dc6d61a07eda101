package transfer_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	awssecretsmanager "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awstransfer "github.com/aws/aws-sdk-go-v2/service/transfer"
)

// policyPath is the minimal IAM policy the documentation gives (docs/iam.md).
const policyPath = "../../docs/iam-policy.json"

// TestIAMPolicyMatchesCalls checks that docs/iam-policy.json allows exactly the Transfer, EC2 and
// Secrets Manager operations the operator calls, nothing more and nothing less, and besides them only
// iam:PassRole, restricted to passing roles to Transfer Family. The operations are found in the
// package's source: methods called on values of the API and EC2API interfaces, and the
// operations of the SDK paginators built from them.
func TestIAMPolicyMatchesCalls(t *testing.T) {
	calls := operationsCalled(t)
	if len(calls) == 0 {
		t.Fatal("found no AWS operation in the source: the parser is broken")
	}
	sdkOps := sdkOperations()
	var want []string
	for _, op := range calls {
		if !sdkOps[op] {
			t.Errorf("%s is not an operation of the Transfer, EC2 or Secrets Manager SDK client", op)
		}
		want = append(want, op)
	}
	transferActions, others := policyActions(t)
	got := slices.Concat(transferActions, others)
	sort.Strings(got)
	wantAll := slices.Concat(want, []string{"iam:PassRole"})
	sort.Strings(wantAll)
	if !slices.Equal(got, wantAll) {
		t.Errorf("actions of %s:\n got %v\nwant %v (the operations internal/transfer calls, and iam:PassRole)", policyPath, got, wantAll)
	}
}

// TestIAMPolicyParserFindsEveryUse checks the source scanner on code that uses the API in each
// way it recognises, and that it refuses a use it cannot account for.
func TestIAMPolicyParserFindsEveryUse(t *testing.T) {
	src := `package p
type API interface{}
type EC2API interface{}
var _ API = (*Client)(nil)
type Service struct{ api API; ec2api EC2API }
func (s *Service) a() {
	_, err := s.api.DeleteServer(ctx, nil)
	s.api.DescribeServer(ctx, nil)
	pages := transfer.NewListUsersPaginator(s.api, nil)
	_ = pages
	s.ec2api.ModifyVpcEndpoint(ctx, nil)
	nis := ec2.NewDescribeNetworkInterfacesPaginator(s.ec2api, nil)
	_ = nis
}
func b(api API) { api.StartServer(ctx, nil) }
func c(api API) *Service { return &Service{api: api} }
func d(s *Service) bool { return s.ec2api == nil }
`
	ops, unknown := scanSource(t, map[string]string{"p.go": src})
	if want := []string{"ec2:DescribeNetworkInterfaces", "ec2:ModifyVpcEndpoint", "transfer:DeleteServer", "transfer:DescribeServer", "transfer:ListUsers", "transfer:StartServer"}; !slices.Equal(ops, want) {
		t.Errorf("operations: got %v, want %v", ops, want)
	}
	if len(unknown) != 0 {
		t.Errorf("unexpected unknown uses: %v", unknown)
	}
	_, unknown = scanSource(t, map[string]string{"p.go": `package p
type API interface{}
var _ API = (*Client)(nil)
type Service struct{ api API }
func (s *Service) a() { helper(s.api) }
func (s *Service) b() API { return s.api }
func (s *Service) c() { x := s.api; x.DeleteServer(ctx, nil) }
`})
	if len(unknown) != 3 {
		t.Errorf("uses the scanner cannot follow (an unknown function, a return, an assignment): got %v, want all 3 reported", unknown)
	}
}

// operationsCalled returns the AWS operations the non-test source of the package calls.
func operationsCalled(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources[f] = string(data)
	}
	ops, unknown := scanSource(t, sources)
	for _, u := range unknown {
		t.Errorf("%s: a use of the API this test cannot map to AWS operations; teach scanSource about it", u)
	}
	return ops
}

var paginatorOrWaiter = regexp.MustCompile(`^New(\w+)(Paginator|Waiter)$`)

// interfaceService maps the package's interfaces over SDK clients to the service prefix of their
// IAM actions.
var interfaceService = map[string]string{"API": "transfer", "EC2API": "ec2", "SecretsAPI": "secretsmanager"}

// scanSource finds the names declared with type API or EC2API (struct fields, parameters,
// variables) and returns the methods called on them and the operations of the paginators built
// from them, as IAM actions such as transfer:DescribeServer, sorted, and the positions of any
// other use of them, which it cannot account for.
func scanSource(t *testing.T, sources map[string]string) (ops, unknown []string) {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	for name, src := range sources {
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	apiNames := map[string]string{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			var names []*ast.Ident
			var typ ast.Expr
			switch n := n.(type) {
			case *ast.Field:
				names, typ = n.Names, n.Type
			case *ast.ValueSpec:
				names, typ = n.Names, n.Type
			}
			if id, ok := typ.(*ast.Ident); ok && interfaceService[id.Name] != "" {
				for _, name := range names {
					if name.Name != "_" { // var _ API = (*transfer.Client)(nil)
						apiNames[name.Name] = interfaceService[id.Name]
					}
				}
			}
			return true
		})
	}
	serviceOf := func(e ast.Expr) string {
		switch e := e.(type) {
		case *ast.Ident:
			return apiNames[e.Name]
		case *ast.SelectorExpr:
			return apiNames[e.Sel.Name]
		}
		return ""
	}
	found := map[string]bool{}
	for _, f := range files {
		ast.PreorderStack(f, nil, func(n ast.Node, stack []ast.Node) bool {
			e, ok := n.(ast.Expr)
			if !ok || serviceOf(e) == "" || len(stack) == 0 {
				return true
			}
			service := serviceOf(e)
			if id, ok := e.(*ast.Ident); ok {
				if parent, ok := stack[len(stack)-1].(*ast.SelectorExpr); ok && parent.Sel == id {
					return true // the field name of s.api, seen as part of the selector
				}
			}
			switch parent := stack[len(stack)-1].(type) {
			case *ast.Field, *ast.ValueSpec, *ast.KeyValueExpr:
				return false // a declaration, or the value stored in a field declared with type API
			case *ast.BinaryExpr:
				if isNil(parent.X) || isNil(parent.Y) {
					return false // a check that the client is there
				}
			case *ast.SelectorExpr:
				if parent.X == e && len(stack) >= 2 {
					if call, ok := stack[len(stack)-2].(*ast.CallExpr); ok && call.Fun == parent {
						found[service+":"+parent.Sel.Name] = true
						return false
					}
				}
			case *ast.CallExpr:
				if fun, ok := parent.Fun.(*ast.SelectorExpr); ok {
					if m := paginatorOrWaiter.FindStringSubmatch(fun.Sel.Name); m != nil && m[2] == "Paginator" {
						found[service+":"+m[1]] = true
						return false
					}
				}
			}
			unknown = append(unknown, fset.Position(e.Pos()).String())
			return false
		})
	}
	for op := range found {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops, unknown
}

func isNil(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "nil"
}

// sdkOperations returns the operations of the Transfer, EC2 and Secrets Manager SDK clients as
// IAM actions.
func sdkOperations() map[string]bool {
	ops := map[string]bool{}
	for service, client := range map[string]any{"transfer": &awstransfer.Client{}, "ec2": &awsec2.Client{}, "secretsmanager": &awssecretsmanager.Client{}} {
		typ := reflect.TypeOf(client)
		for i := range typ.NumMethod() {
			ops[service+":"+typ.Method(i).Name] = true
		}
	}
	return ops
}

// policyStatement is a statement of an IAM policy; Action may be a string or a list.
type policyStatement struct {
	Sid       string
	Effect    string
	Action    json.RawMessage
	Resource  json.RawMessage
	Condition map[string]map[string]json.RawMessage
}

// policyActions returns the transfer actions the policy allows, sorted, and the others.
func policyActions(t *testing.T) (transferActions, others []string) {
	t.Helper()
	data, err := os.ReadFile(policyPath)
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Version   string
		Statement []policyStatement
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&policy); err != nil {
		t.Fatalf("%s: %v", policyPath, err)
	}
	if policy.Version != "2012-10-17" {
		t.Errorf("%s: Version %q, want 2012-10-17", policyPath, policy.Version)
	}
	for _, s := range policy.Statement {
		if s.Effect != "Allow" {
			t.Errorf("%s: a statement with Effect %q; the minimal policy only allows", policyPath, s.Effect)
		}
		var actions []string
		if err := json.Unmarshal(s.Action, &actions); err != nil {
			var one string
			if err := json.Unmarshal(s.Action, &one); err != nil {
				t.Fatalf("%s: Action is neither a string nor a list: %s", policyPath, s.Action)
			}
			actions = []string{one}
		}
		for _, a := range actions {
			if strings.ContainsAny(a, "*?") {
				t.Errorf("%s: wildcard action %s allows more than the operator calls", policyPath, a)
			}
			if strings.HasPrefix(a, "transfer:") {
				transferActions = append(transferActions, a)
				continue
			}
			others = append(others, a)
			if a == "iam:PassRole" && string(s.Condition["StringEquals"]["iam:PassedToService"]) != `"transfer.amazonaws.com"` {
				t.Errorf("%s: iam:PassRole must be limited to iam:PassedToService transfer.amazonaws.com", policyPath)
			}
		}
	}
	sort.Strings(transferActions)
	sort.Strings(others)
	return transferActions, others
}
