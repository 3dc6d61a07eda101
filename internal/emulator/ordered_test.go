package emulator

import (
	"slices"
	"testing"
)

func TestOrderedSetAfter(t *testing.T) {
	var s orderedSet
	for _, k := range []string{"b", "d", "a", "c", "b", "e"} {
		s.Insert(k)
	}
	s.Delete("e")
	s.Delete("absent")
	tests := []struct {
		after string
		limit int
		want  []string
	}{
		{"", 10, []string{"a", "b", "c", "d"}},
		{"", 2, []string{"a", "b"}},
		{"b", 10, []string{"c", "d"}},
		{"bb", 1, []string{"c"}},
		{"d", 10, nil},
		{"", 0, nil},
	}
	for _, tt := range tests {
		if got := s.After(tt.after, tt.limit); !slices.Equal(got, tt.want) {
			t.Errorf("After(%q, %d) = %q, want %q", tt.after, tt.limit, got, tt.want)
		}
	}
}

func TestOrderedSetZeroValue(t *testing.T) {
	var s orderedSet
	s.Delete("a")
	if got := s.After("", 10); got != nil {
		t.Errorf("After on an empty set = %q", got)
	}
}
