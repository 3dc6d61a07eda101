package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// validateInput checks a request body against the input shape of op in the
// service model. A body that is not JSON, or a member of the wrong JSON type,
// is a SerializationException; constraint violations are collected and
// reported together as one InvalidRequestException in the service's
// "N validation errors detected: ..." style, each naming the member path
// (lowerCamel names, lists as "name.1.member").
func validateInput(op string, body []byte) error {
	in := model.inputShape(op)
	if in == nil {
		return nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return errSerialization("request body is not valid JSON: " + err.Error())
	}
	if _, ok := v.(map[string]any); !ok {
		return errSerialization("request body must be a JSON object")
	}
	w := walker{}
	w.value(in, v, "")
	if w.serialization != nil {
		return w.serialization
	}
	if len(w.violations) == 0 {
		return nil
	}
	noun := "error"
	if len(w.violations) > 1 {
		noun = "errors"
	}
	return errInvalidRequest("%d validation %s detected: %s", len(w.violations), noun, strings.Join(w.violations, "; "))
}

// walker accumulates the violations found while walking a value.
type walker struct {
	violations    []string
	serialization *apiError
}

func (w *walker) violate(s *shape, path string, v any, constraint string) {
	w.violations = append(w.violations, fmt.Sprintf("Value %sat '%s' failed to satisfy constraint: %s",
		describeValue(s, v), path, constraint))
}

func (w *walker) wrongType(path, want string) {
	if w.serialization == nil {
		w.serialization = errSerialization(fmt.Sprintf("expected %s at '%s'", want, path))
	}
}

// validatedTypes are the shape types value checks; TestEmbeddedModel makes
// sure every shape reachable from an emulated operation's input is one.
var validatedTypes = []string{"structure", "list", "string", "integer", "long"}

// value validates v (decoded with UseNumber) against s; path is the member
// path of v, empty for the top-level input.
func (w *walker) value(s *shape, v any, path string) {
	if v == nil {
		return
	}
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			w.wrongType(path, "a JSON object")
			return
		}
		for _, name := range s.memberOrder {
			mv, present := obj[name]
			mpath := joinPath(path, lowerCamel(name))
			ms := model.Shapes[s.Members[name].Shape]
			if s.isRequired[name] && (!present || mv == nil) {
				w.violate(ms, mpath, nil, "Member must not be null")
				continue
			}
			if present {
				w.value(ms, mv, mpath)
			}
		}
	case "list":
		list, ok := v.([]any)
		if !ok {
			w.wrongType(path, "a JSON array")
			return
		}
		w.bounds(s, path, v, float64(len(list)), "length")
		elem := model.Shapes[s.Member.Shape]
		for i, ev := range list {
			epath := fmt.Sprintf("%s.%d.member", path, i+1)
			if ev == nil {
				w.violate(elem, epath, nil, "Member must not be null")
				continue
			}
			w.value(elem, ev, epath)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			w.wrongType(path, "a string")
			return
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			w.violate(s, path, v, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
			return
		}
		w.bounds(s, path, v, float64(len(utf16.Encode([]rune(str)))), "length")
		if s.re != nil && !s.re.MatchString(str) {
			w.violate(s, path, v, "Member must satisfy regular expression pattern: "+s.Pattern)
		}
	case "integer", "long":
		num, ok := v.(json.Number)
		if !ok {
			w.wrongType(path, "a number")
			return
		}
		f, err := num.Float64()
		if err != nil || f != math.Trunc(f) {
			w.wrongType(path, "an integer")
			return
		}
		if s.Type == "integer" && (f < math.MinInt32 || f > math.MaxInt32) {
			w.wrongType(path, "a 32-bit integer")
			return
		}
		w.bounds(s, path, v, f, "value")
	}
}

// bounds applies a shape's min and max to n, which is a length for strings
// and lists and the value itself for numbers.
func (w *walker) bounds(s *shape, path string, v any, n float64, what string) {
	if s.Min != nil && n < *s.Min {
		w.violate(s, path, v, fmt.Sprintf("Member must have %s greater than or equal to %s", what, formatBound(*s.Min)))
	}
	if s.Max != nil && n > *s.Max {
		w.violate(s, path, v, fmt.Sprintf("Member must have %s less than or equal to %s", what, formatBound(*s.Max)))
	}
}

func formatBound(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// describeValue renders v for a violation message, followed by a space;
// sensitive shapes are never echoed.
func describeValue(s *shape, v any) string {
	if s != nil && s.Sensitive {
		return ""
	}
	switch t := v.(type) {
	case nil:
		return "null "
	case string:
		return "'" + t + "' "
	case json.Number:
		return "'" + t.String() + "' "
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = fmt.Sprint(e)
		}
		return "'[" + strings.Join(parts, ", ") + "]' "
	default:
		return ""
	}
}

func joinPath(parent, member string) string {
	if parent == "" {
		return member
	}
	return parent + "." + member
}

// lowerCamel turns a model member name into the lowerCamel form the service
// uses in validation messages ("UserName" -> "userName").
func lowerCamel(name string) string {
	if name == "" {
		return name
	}
	return strings.ToLower(name[:1]) + name[1:]
}
