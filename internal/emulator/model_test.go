package emulator

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestModelPatternConversion(t *testing.T) {
	rows := []struct {
		pattern, value string
		match          bool
	}{
		{`s-([0-9a-f]{17})`, "s-0123456789abcdef0", true},
		{`s-([0-9a-f]{17})`, "xs-0123456789abcdef0", false}, // anchored at the start
		{`s-([0-9a-f]{17})`, "s-0123456789abcdef0x", false}, // and at the end
		{`(|/.*)`, "", true},
		{`[\u0021-\u007E]+`, "plain!", true},
		{`[\u0021-\u007E]+`, "two words", false},
		{`[\p{Print}]*`, "printable text", true},
		{`[\p{Print}]*`, "tab\there", false},
		{`\p{Print}+`, "x y", true},
		{`[\w][\w@.-]{2,99}`, "user@example.com", true},
	}
	for _, row := range rows {
		re, err := compileModelPattern(row.pattern)
		if err != nil {
			t.Fatalf("%s: %v", row.pattern, err)
		}
		if got := re.MatchString(row.value); got != row.match {
			t.Errorf("%s matching %q = %v, want %v", row.pattern, row.value, got, row.match)
		}
	}
}

func TestEmbeddedModel(t *testing.T) {
	if model.Metadata.TargetPrefix != "TransferService" || model.Metadata.JSONVersion != "1.1" {
		t.Errorf("model metadata = %+v", model.Metadata)
	}
	for op := range operations {
		if model.inputShape(op) == nil {
			t.Errorf("operation %s has no input shape in the model", op)
		}
	}
	var walk func(name string, seen map[string]bool)
	walk = func(name string, seen map[string]bool) {
		if seen[name] {
			return
		}
		seen[name] = true
		s := model.Shapes[name]
		if !slices.Contains(validatedTypes, s.Type) {
			t.Errorf("shape %s of type %s is reachable from an emulated operation but not validated", name, s.Type)
		}
		for _, m := range s.Members {
			walk(m.Shape, seen)
		}
		if s.Member != nil {
			walk(s.Member.Shape, seen)
		}
	}
	for op := range operations {
		walk(model.Operations[op].Input.Shape, map[string]bool{})
	}
	patterns := 0
	for _, s := range model.Shapes {
		if s.Pattern != "" {
			patterns++
			if s.re == nil {
				t.Errorf("pattern %s was not compiled", s.Pattern)
			}
		}
	}
	if patterns < 50 {
		t.Errorf("only %d patterns in the model", patterns)
	}
	if _, err := loadModel([]byte(`{"operations":{"X":{"input":{"shape":"Missing"}}},"shapes":{}}`)); err == nil {
		t.Error("a model with a dangling input shape loaded")
	}
}

// TestOrderedSetAgainstSortedSlice runs random inserts, deletes and pages
// against a sorted slice.
func TestOrderedSetAgainstSortedSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var set orderedSet
	var ref []string
	for i := range 5000 {
		key := string(rune('a'+rng.IntN(26))) + string(rune('a'+rng.IntN(26))) + string(rune('a'+rng.IntN(26)))
		if rng.IntN(3) == 0 {
			set.Delete(key)
			if j, ok := slices.BinarySearch(ref, key); ok {
				ref = slices.Delete(ref, j, j+1)
			}
		} else {
			set.Insert(key)
			if j, ok := slices.BinarySearch(ref, key); !ok {
				ref = slices.Insert(ref, j, key)
			}
		}
		if i%250 == 0 {
			if got := set.After("", len(ref)+1); !slices.Equal(got, ref) {
				t.Fatalf("step %d: full listing has %d keys, want %d", i, len(got), len(ref))
			}
			after := ""
			if len(ref) > 0 && rng.IntN(2) == 0 {
				after = ref[rng.IntN(len(ref))]
			}
			j, _ := slices.BinarySearch(ref, after)
			for j < len(ref) && ref[j] <= after {
				j++
			}
			want := ref[j:min(j+17, len(ref))]
			if got := set.After(after, 17); !slices.Equal(got, want) {
				t.Fatalf("step %d: After(%q) = %v, want %v", i, after, got, want)
			}
		}
	}
}
