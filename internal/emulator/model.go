package emulator

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// modelJSON is the AWS Transfer Family service model (transfer-2018-11-05) as
// the AWS SDKs ship it; all input validation is derived from it.
//
//go:embed model/transfer-service-2.json
var modelJSON []byte

// serviceModel is the part of the service model the emulator reads.
type serviceModel struct {
	Metadata struct {
		TargetPrefix string `json:"targetPrefix"`
		JSONVersion  string `json:"jsonVersion"`
	} `json:"metadata"`
	Operations map[string]struct {
		Input *memberRef `json:"input"`
	} `json:"operations"`
	Shapes map[string]*shape `json:"shapes"`
}

type memberRef struct {
	Shape string `json:"shape"`
}

// shape is one model shape with its constraints; re, memberOrder and
// isRequired are derived when the model is loaded.
type shape struct {
	Type      string               `json:"type"`
	Members   map[string]memberRef `json:"members"`
	Member    *memberRef           `json:"member"`
	Required  []string             `json:"required"`
	Enum      []string             `json:"enum"`
	Min       *float64             `json:"min"`
	Max       *float64             `json:"max"`
	Pattern   string               `json:"pattern"`
	Sensitive bool                 `json:"sensitive"`

	re          *regexp.Regexp
	memberOrder []string
	isRequired  map[string]bool
}

// model is the parsed, compiled service model.
var model = mustLoadModel(modelJSON)

func mustLoadModel(data []byte) *serviceModel {
	m, err := loadModel(data)
	if err != nil {
		panic(fmt.Sprintf("emulator: embedded service model: %v", err))
	}
	return m
}

// loadModel parses a service model and compiles every pattern into an
// anchored RE2 expression.
func loadModel(data []byte) (*serviceModel, error) {
	var m serviceModel
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	for name, s := range m.Shapes {
		if s.Pattern != "" {
			re, err := compileModelPattern(s.Pattern)
			if err != nil {
				return nil, fmt.Errorf("shape %s: %w", name, err)
			}
			s.re = re
		}
		for member := range s.Members {
			s.memberOrder = append(s.memberOrder, member)
		}
		sort.Strings(s.memberOrder)
		s.isRequired = make(map[string]bool, len(s.Required))
		for _, r := range s.Required {
			s.isRequired[r] = true
		}
	}
	for name, op := range m.Operations {
		if op.Input != nil && m.Shapes[op.Input.Shape] == nil {
			return nil, fmt.Errorf("operation %s: unknown input shape %s", name, op.Input.Shape)
		}
	}
	return &m, nil
}

// compileModelPattern converts a model pattern (Java regular expression
// syntax) to RE2 and anchors it, because the model's patterns must match the
// whole value. Java's \uXXXX escapes become \x{XXXX} and \p{Print} becomes the
// printable ASCII range, which is what it means in Java.
func compileModelPattern(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			next := p[i+1]
			switch {
			case next == 'u' && i+5 < len(p):
				b.WriteString(`\x{` + p[i+2:i+6] + `}`)
				i += 5
			case strings.HasPrefix(p[i:], `\p{Print}`):
				if inClass {
					b.WriteString(`\x20-\x7E`)
				} else {
					b.WriteString(`[\x20-\x7E]`)
				}
				i += len(`\p{Print}`) - 1
			default:
				b.WriteByte(c)
				b.WriteByte(next)
				i++
			}
		case c == '[':
			inClass = true
			b.WriteByte(c)
		case c == ']':
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return regexp.Compile(`^(?:` + b.String() + `)$`)
}

// inputShape returns the input shape of a model operation, or nil when the
// operation takes no input.
func (m *serviceModel) inputShape(op string) *shape {
	o, ok := m.Operations[op]
	if !ok || o.Input == nil {
		return nil
	}
	return m.Shapes[o.Input.Shape]
}
