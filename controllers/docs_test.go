package controllers_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/transfer-operator/transfer-operator/internal/testenv"
)

// TestTroubleshootingCoversEveryReason checks that docs/troubleshooting.md has a section for
// every condition reason declared in api/v1alpha1/common_types.go, and none for a reason that
// does not exist.
func TestTroubleshootingCoversEveryReason(t *testing.T) {
	root := testenv.RepoRoot()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, "api", "v1alpha1", "common_types.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range spec.Names {
			if !strings.HasPrefix(name.Name, "Reason") || i >= len(spec.Values) {
				continue
			}
			if lit, ok := spec.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				value, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				reasons = append(reasons, value)
			}
		}
		return true
	})
	if len(reasons) < 10 {
		t.Fatalf("found only %d reasons in common_types.go: %v", len(reasons), reasons)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "troubleshooting.md"))
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^### `(\\w+)`$").FindAllSubmatch(doc, -1) {
		documented = append(documented, string(m[1]))
	}
	slices.Sort(reasons)
	slices.Sort(documented)
	if !slices.Equal(reasons, documented) {
		t.Errorf("reason sections of docs/troubleshooting.md:\n got %v\nwant %v (the reasons of api/v1alpha1)", documented, reasons)
	}
}
