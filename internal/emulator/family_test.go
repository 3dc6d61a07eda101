package emulator

import (
	"errors"
	"regexp"
	"slices"
	"testing"
)

// gadget is the record of a family made up for these tests.
type gadget struct{ name string }

func (gadget) family() family {
	return family{resourceType: "Gadget", unknown: "Unknown gadget", exists: "Gadget already exists"}
}

func (g gadget) clone() gadget { return g }

// gadgets returns a store holding a gadget for each key.
func gadgets(keys ...string) *records[gadget] {
	var s records[gadget]
	for _, k := range keys {
		s.insert(k, &gadget{name: k})
	}
	return &s
}

// wantAPIError fails unless err is an *apiError with the given code, resource and message.
func wantAPIError(t *testing.T, err error, code, resource, message string) {
	t.Helper()
	var aerr *apiError
	if !errors.As(err, &aerr) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if aerr.Code != code || aerr.Resource != resource || aerr.Message != message || (code != CodeInvalidNextToken && aerr.ResourceType != "Gadget") {
		t.Errorf("error = %+v, want %s %q (Gadget %q)", aerr, code, message, resource)
	}
}

func names(gs []*gadget) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.name)
	}
	return out
}

func TestRecordsCreateGetDelete(t *testing.T) {
	tests := []struct {
		name    string
		op      func(s *records[gadget]) error
		wantErr string // error code, "" for none
		want    []string
	}{
		{"create a new key", func(s *records[gadget]) error { return s.create("b", &gadget{name: "b"}) }, "", []string{"a", "b", "c"}},
		{"create a key held", func(s *records[gadget]) error { return s.create("a", &gadget{name: "other"}) }, CodeResourceExists, []string{"a", "c"}},
		{"get a key held", func(s *records[gadget]) error { _, err := s.get("c"); return err }, "", []string{"a", "c"}},
		{"get a missing key", func(s *records[gadget]) error { _, err := s.get("b"); return err }, CodeResourceNotFound, []string{"a", "c"}},
		{"delete a key held", func(s *records[gadget]) error { _, err := s.delete("a"); return err }, "", []string{"c"}},
		{"delete a missing key", func(s *records[gadget]) error { _, err := s.delete("b"); return err }, CodeResourceNotFound, []string{"a", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gadgets("c", "a")
			err := tt.op(s)
			switch tt.wantErr {
			case "":
				if err != nil {
					t.Fatalf("error = %v", err)
				}
			case CodeResourceExists:
				wantAPIError(t, err, CodeResourceExists, "a", "Gadget already exists")
			case CodeResourceNotFound:
				wantAPIError(t, err, CodeResourceNotFound, "b", "Unknown gadget")
			}
			if got := names(s.all()); !slices.Equal(got, tt.want) || s.len() != len(tt.want) {
				t.Errorf("records = %q (len %d), want %q", got, s.len(), tt.want)
			}
		})
	}
}

func TestRecordsKeepWhatWasStored(t *testing.T) {
	s := gadgets("a")
	g, _ := s.lookup("a")
	if err := s.create("a", &gadget{name: "other"}); err == nil {
		t.Fatal("create of a key held succeeded")
	}
	if got, err := s.get("a"); err != nil || got != g {
		t.Errorf("get = %v, %v; want the record stored first", got, err)
	}
	if got, err := s.delete("a"); err != nil || got != g {
		t.Errorf("delete = %v, %v; want the record removed", got, err)
	}
	if _, ok := s.lookup("a"); ok {
		t.Error("lookup finds a deleted record")
	}
}

func TestRecordsNewID(t *testing.T) {
	shape := regexp.MustCompile(`^x-[0-9a-f]{17}$`)
	first := (&records[gadget]{}).newID(New(Options{Seed: 3}), "x-")
	if again := (&records[gadget]{}).newID(New(Options{Seed: 3}), "x-"); again != first {
		t.Fatalf("seed 3 draws %q, then %q", first, again)
	}
	s := gadgets(first)
	// The same seed draws first again, which s holds: newID draws until the ID is free.
	id := s.newID(New(Options{Seed: 3}), "x-")
	if !shape.MatchString(first) || !shape.MatchString(id) || id == first {
		t.Errorf("newID = %q after %q, want another x- and 17 hex digits", id, first)
	}
}

func TestList(t *testing.T) {
	e := New(Options{Seed: 1})
	s := gadgets("e", "c", "a", "d", "b")
	all := func() (*records[gadget], error) { return s, nil }
	render := func(g *gadget) string { return g.name }
	page := func(t *testing.T, token string, size int, listing string, sc scope[gadget]) ([]string, string, error) {
		t.Helper()
		in := listInput{MaxResults: &size}
		if token != "" {
			in.NextToken = &token
		}
		return list(e, in, "ListGadgets", listing, sc, render)
	}

	t.Run("pages in key order", func(t *testing.T) {
		var got [][]string
		token := ""
		for {
			keys, next, err := page(t, token, 2, "us-east-1", all)
			if err != nil {
				t.Fatalf("page after %q: %v", token, err)
			}
			got = append(got, keys)
			if token = next; token == "" {
				break
			}
		}
		want := [][]string{{"a", "b"}, {"c", "d"}, {"e"}}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("pages = %q, want %q", got, want)
		}
	})
	t.Run("one page without MaxResults", func(t *testing.T) {
		keys, next, err := list(e, listInput{}, "ListGadgets", "us-east-1", all, render)
		if err != nil || next != "" || !slices.Equal(keys, []string{"a", "b", "c", "d", "e"}) {
			t.Errorf("list = %q, %q, %v", keys, next, err)
		}
	})
	t.Run("empty listing is an empty page", func(t *testing.T) {
		keys, next, err := list(e, listInput{}, "ListGadgets", "us-east-1", func() (*records[gadget], error) { return &records[gadget]{}, nil }, render)
		if err != nil || next != "" || keys == nil || len(keys) != 0 {
			t.Errorf("list = %#v, %q, %v; want an empty, non-nil page", keys, next, err)
		}
	})

	_, token, err := page(t, "", 2, "us-east-1", all)
	if err != nil || token == "" {
		t.Fatalf("first page: token %q, %v", token, err)
	}
	missing := func() (*records[gadget], error) { return nil, errNotFound("Gadget", "owner", "Unknown owner") }
	errorCases := []struct {
		name     string
		token    string
		listing  string
		sc       scope[gadget]
		code     string
		resource string
		message  string
	}{
		{"token of another listing", token, "eu-west-1", all, CodeInvalidNextToken, "", "Invalid NextToken"},
		{"forged token", "x" + token, "us-east-1", all, CodeInvalidNextToken, "", "Invalid NextToken"},
		{"scope missing", "", "us-east-1", missing, CodeResourceNotFound, "owner", "Unknown owner"},
		{"token checked before the scope", "garbage", "us-east-1", missing, CodeInvalidNextToken, "", "Invalid NextToken"},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := page(t, tt.token, 2, tt.listing, tt.sc)
			wantAPIError(t, err, tt.code, tt.resource, tt.message)
		})
	}
}

func TestUpdate(t *testing.T) {
	refused := errInvalidRequest("refused")
	tests := []struct {
		name     string
		key      string
		change   func(g *gadget) error
		wantErr  error
		notFound bool
		want     []string
	}{
		{"a change stored", "b", func(g *gadget) error { g.name = "B"; return nil }, nil, false, []string{"a", "B"}},
		{"a refused change leaves no trace", "b", func(g *gadget) error { g.name = "B"; return refused }, refused, false, []string{"a", "b"}},
		{"a missing key", "c", func(g *gadget) error { return nil }, nil, true, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gadgets("a", "b")
			err := update(New(Options{}), func() (*records[gadget], error) { return s, nil }, tt.key, tt.change)
			switch {
			case tt.notFound:
				wantAPIError(t, err, CodeResourceNotFound, "c", "Unknown gadget")
			case err != tt.wantErr:
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
			if got := names(s.all()); !slices.Equal(got, tt.want) {
				t.Errorf("records = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRemove(t *testing.T) {
	e := New(Options{})
	s := gadgets("a", "b")
	sc := func() (*records[gadget], error) { return s, nil }
	if _, err := remove(e, sc, "a"); err != nil {
		t.Fatalf("remove a: %v", err)
	}
	_, err := remove(e, sc, "a")
	wantAPIError(t, err, CodeResourceNotFound, "a", "Unknown gadget")
	if got := names(s.all()); !slices.Equal(got, []string{"b"}) {
		t.Errorf("records after remove = %q", got)
	}
}
