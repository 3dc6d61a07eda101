package helm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

var update = flag.Bool("update", false, "rewrite the values table of charts/transfer-operator/README.md")

const (
	tableStart = "<!-- values:start -->\n"
	tableEnd   = "<!-- values:end -->\n"
)

// valueDoc is one documented value of values.yaml.
type valueDoc struct {
	path        string // dotted, such as metrics.serviceMonitor.enabled
	description string
}

var (
	docLine  = regexp.MustCompile(`^\s*# -- (.*)$`)
	moreLine = regexp.MustCompile(`^\s*#\s?(.*)$`)
	keyLine  = regexp.MustCompile(`^(\s*)([A-Za-z0-9_.\-/]+):(\s|$)`)
)

// parseValueDocs reads the `# -- description` comments of values.yaml: a comment that starts
// with `# --`, and the comment lines after it, documents the key on the next line. Blank lines
// between a description and its key are an error.
func parseValueDocs(data []byte) ([]valueDoc, error) {
	type level struct {
		indent int
		key    string
	}
	var (
		stack   []level
		docs    []valueDoc
		pending []string
		lineNo  int
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		switch {
		case docLine.MatchString(line):
			pending = []string{docLine.FindStringSubmatch(line)[1]}
		case moreLine.MatchString(line):
			if pending != nil {
				pending = append(pending, moreLine.FindStringSubmatch(line)[1])
			}
		case strings.TrimSpace(line) == "":
			if pending != nil {
				return nil, fmt.Errorf("values.yaml:%d: a blank line separates a description from its key", lineNo)
			}
		case keyLine.MatchString(line):
			m := keyLine.FindStringSubmatch(line)
			indent := len(m[1])
			for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
				stack = stack[:len(stack)-1]
			}
			stack = append(stack, level{indent, m[2]})
			if pending != nil {
				keys := make([]string, len(stack))
				for i, l := range stack {
					keys[i] = l.key
				}
				docs = append(docs, valueDoc{
					path:        strings.Join(keys, "."),
					description: strings.Join(strings.Fields(strings.Join(pending, " ")), " "),
				})
				pending = nil
			}
		default: // list items and the like, inside a documented value
			pending = nil
		}
	}
	return docs, sc.Err()
}

// loadValues returns values.yaml parsed and its documentation.
func loadValues(t *testing.T) (map[string]any, []valueDoc) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096).Decode(&values); err != nil {
		t.Fatal(err)
	}
	docs, err := parseValueDocs(data)
	if err != nil {
		t.Fatal(err)
	}
	return values, docs
}

// lookup returns the value at a dotted path; false when there is none or a step of the path
// is not a map.
func lookup(values map[string]any, path string) (any, bool) {
	v, ok, err := unstructured.NestedFieldNoCopy(values, strings.Split(path, ".")...)
	return v, ok && err == nil
}

// leaves returns the paths of the values that are not non-empty maps.
func leaves(prefix string, values map[string]any) []string {
	var out []string
	for k, v := range values {
		path := strings.TrimPrefix(prefix+"."+k, ".")
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			out = append(out, leaves(path, m)...)
		} else {
			out = append(out, path)
		}
	}
	return out
}

// loadSchema returns values.schema.json.
func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatalf("values.schema.json: %v", err)
	}
	return schema
}

// schemaType returns the type values.schema.json gives a dotted path, such as "string" or
// "integer or string"; "" when the schema does not describe the path.
func schemaType(schema map[string]any, path string) string {
	resolve := func(s map[string]any) map[string]any {
		if ref, ok := s["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/definitions/")
			if def, ok := schema["definitions"].(map[string]any)[name].(map[string]any); ok {
				return def
			}
		}
		return s
	}
	cur := schema
	for _, key := range strings.Split(path, ".") {
		props, _ := resolve(cur)["properties"].(map[string]any)
		next, ok := props[key].(map[string]any)
		if !ok {
			return ""
		}
		cur = next
	}
	cur = resolve(cur)
	if typ, ok := cur["type"].(string); ok {
		return typ
	}
	var types []string
	for _, key := range []string{"anyOf", "oneOf"} {
		alternatives, _ := cur[key].([]any)
		for _, a := range alternatives {
			if typ, ok := resolve(a.(map[string]any))["type"].(string); ok && !slices.Contains(types, typ) {
				types = append(types, typ)
			}
		}
	}
	return strings.Join(types, " or ")
}

// valuesTable renders the Markdown table of the documented values.
func valuesTable(values map[string]any, docs []valueDoc, schema map[string]any) string {
	var b strings.Builder
	b.WriteString("| Key | Type | Default | Description |\n|-----|------|---------|-------------|\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, d := range docs {
		v, _ := lookup(values, d.path)
		def, _ := json.Marshal(v)
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", d.path, schemaType(schema, d.path), cell(string(def)), cell(d.description))
	}
	return b.String()
}

func TestChartReadmeDocumentsEveryValue(t *testing.T) {
	values, docs := loadValues(t)
	schema := loadSchema(t)

	documented := map[string]bool{}
	for _, d := range docs {
		if documented[d.path] {
			t.Errorf("values.yaml documents %s twice", d.path)
		}
		documented[d.path] = true
		if _, ok := lookup(values, d.path); !ok {
			t.Errorf("values.yaml documents %s, which is not a value", d.path)
		}
		if schemaType(schema, d.path) == "" {
			t.Errorf("values.schema.json does not give %s a type", d.path)
		}
		if d.description == "" {
			t.Errorf("%s has an empty description", d.path)
		}
	}
	for _, leaf := range leaves("", values) {
		covered := false
		for p := leaf; p != ""; p = p[:max(strings.LastIndex(p, "."), 0)] {
			if documented[p] {
				covered = true
				break
			}
		}
		if !covered {
			t.Errorf("values.yaml: %s has no `# --` description", leaf)
		}
	}

	readmePath := filepath.Join(chartDir, "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start, end := strings.Index(text, tableStart), strings.Index(text, tableEnd)
	if start < 0 || end < start {
		t.Fatalf("README.md lacks the %q and %q markers", tableStart, tableEnd)
	}
	want := valuesTable(values, docs, schema)
	got := text[start+len(tableStart) : end]
	if got == want {
		return
	}
	if *update {
		text = text[:start+len(tableStart)] + want + text[end:]
		if err := os.WriteFile(readmePath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("rewrote the values table of charts/transfer-operator/README.md")
		return
	}
	t.Errorf("the values table of charts/transfer-operator/README.md is out of date: run make helm-docs\nwant:\n%s", want)
}

func TestParseValueDocs(t *testing.T) {
	docs, err := parseValueDocs([]byte(`# A heading, not documentation.

# -- Top.
top: 1
nested:
  # -- First line
  # second line.
  child: ""
  # -- A map.
  map:
    inner: x
  # -- A list.
  list:
    - name: a
      value: b
other: 2
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []valueDoc{
		{"top", "Top."},
		{"nested.child", "First line second line."},
		{"nested.map", "A map."},
		{"nested.list", "A list."},
	}
	if !slices.Equal(docs, want) {
		t.Errorf("got %v, want %v", docs, want)
	}
	if _, err := parseValueDocs([]byte("# -- Dangling.\n\nkey: 1\n")); err == nil {
		t.Error("a description separated from its key by a blank line was accepted")
	}
}
