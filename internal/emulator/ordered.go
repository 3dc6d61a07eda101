package emulator

import "hash/fnv"

// orderedSet is a set of strings kept in byte order (a treap), so listing a
// page after a key costs O(log n + page) and inserting or removing a key costs
// O(log n), however many keys there are. The zero value is an empty set. It
// is not safe for concurrent use.
type orderedSet struct {
	root *treapNode
}

type treapNode struct {
	key         string
	prio        uint64
	left, right *treapNode
}

// Insert adds key; it is a no-op when key is present.
func (s *orderedSet) Insert(key string) {
	if s.has(key) {
		return
	}
	less, rest := split(s.root, key)
	s.root = merge(merge(less, &treapNode{key: key, prio: priority(key)}), rest)
}

// Delete removes key; it is a no-op when key is absent.
func (s *orderedSet) Delete(key string) {
	if !s.has(key) {
		return
	}
	less, rest := split(s.root, key)
	_, greater := split(rest, key+"\x00")
	s.root = merge(less, greater)
}

// After returns up to limit keys greater than after, in order; after == ""
// starts at the first key.
func (s *orderedSet) After(after string, limit int) []string {
	var out []string
	var stack []*treapNode
	n := s.root
	for n != nil {
		if n.key > after {
			stack = append(stack, n)
			n = n.left
		} else {
			n = n.right
		}
	}
	for len(stack) > 0 && len(out) < limit {
		n = stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out = append(out, n.key)
		for c := n.right; c != nil; c = c.left {
			stack = append(stack, c)
		}
	}
	return out
}

func (s *orderedSet) has(key string) bool {
	n := s.root
	for n != nil {
		switch {
		case key < n.key:
			n = n.left
		case key > n.key:
			n = n.right
		default:
			return true
		}
	}
	return false
}

// split returns the keys of t below key and the keys at or above key.
func split(t *treapNode, key string) (less, rest *treapNode) {
	if t == nil {
		return nil, nil
	}
	if t.key < key {
		l, r := split(t.right, key)
		t.right = l
		return t, r
	}
	l, r := split(t.left, key)
	t.left = r
	return l, t
}

// merge joins two treaps whose keys are all ordered a < b.
func merge(a, b *treapNode) *treapNode {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.prio > b.prio:
		a.right = merge(a.right, b)
		return a
	default:
		b.left = merge(a, b.left)
		return b
	}
}

// priority derives a node's heap priority from its key, so the tree's shape
// is deterministic and balanced in expectation even for sorted insertions.
func priority(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
