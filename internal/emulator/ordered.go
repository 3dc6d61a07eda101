package emulator

import "github.com/google/btree"

// orderedSetDegree is the B-tree's minimum degree; 32 is what client-go's
// own B-tree indexes use.
const orderedSetDegree = 32

// orderedSet is a set of strings kept in byte order (a B-tree), so listing a
// page after a key costs O(log n + page) and inserting or removing a key costs
// O(log n), however many keys there are. The zero value is an empty set. It
// is not safe for concurrent use.
type orderedSet struct {
	tree *btree.BTreeG[string]
}

// Insert adds key; it is a no-op when key is present.
func (s *orderedSet) Insert(key string) {
	if s.tree == nil {
		s.tree = btree.NewOrderedG[string](orderedSetDegree)
	}
	s.tree.ReplaceOrInsert(key)
}

// Delete removes key; it is a no-op when key is absent.
func (s *orderedSet) Delete(key string) {
	if s.tree != nil {
		s.tree.Delete(key)
	}
}

// After returns up to limit keys greater than after, in order; after == ""
// starts at the first key.
func (s *orderedSet) After(after string, limit int) []string {
	if s.tree == nil || limit <= 0 {
		return nil
	}
	var out []string
	// after+"\x00" is the least string greater than after.
	s.tree.AscendGreaterOrEqual(after+"\x00", func(key string) bool {
		out = append(out, key)
		return len(out) < limit
	})
	return out
}
