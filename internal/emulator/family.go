package emulator

// A resource family (servers, users, accesses, workflows, executions) is its records and its
// rules. What every family shares is here: its records in one scope, kept by key in key order;
// the ResourceNotFoundException and ResourceExistsException AWS answers about them; IDs of the
// Transfer Family shape; updating and deleting a record. Listing pages are in pagination.go,
// ARNs in arns.go, tags in tags.go. Each account is an Emulator of its own (accounts.go), so a
// scope is always one account's.

// family is how AWS names the records of one family in its errors.
type family struct {
	// resourceType is the ResourceType member of the family's errors ("User").
	resourceType string
	// unknown is the message of its ResourceNotFoundException ("Unknown user").
	unknown string
	// exists is the message of its ResourceExistsException ("User already exists"); unused by
	// a family whose IDs the service assigns (newID).
	exists string
}

// record is what a family stores: a type that names its family.
type record interface {
	family() family
}

// records are the records of one family in one scope (a region, a server), by key, listed in
// byte order of their keys. The zero value is empty and ready to use; e.mu guards it.
type records[R record] struct {
	byKey map[string]*R
	order orderedSet
}

// scope finds the records of a family in one scope when it runs under e.mu, or fails as its
// owner is missing (ResourceNotFoundException for the server of a user).
type scope[R record] func() (*records[R], error)

// get returns the record of key in the scope, or the scope's error, or the family's
// ResourceNotFoundException; e.mu must be held.
func (sc scope[R]) get(key string) (*R, error) {
	recs, err := sc()
	if err != nil {
		return nil, err
	}
	return recs.get(key)
}

// familyOf is the family of the records of type R.
func familyOf[R record]() family {
	var r R
	return r.family()
}

// lookup returns the record of key, or false.
func (s *records[R]) lookup(key string) (*R, bool) {
	r, ok := s.byKey[key]
	return r, ok
}

// get returns the record of key, or the family's ResourceNotFoundException naming key.
func (s *records[R]) get(key string) (*R, error) {
	if r, ok := s.byKey[key]; ok {
		return r, nil
	}
	f := familyOf[R]()
	return nil, errNotFound(f.resourceType, key, f.unknown)
}

// create stores rec under key, or answers the family's ResourceExistsException when a record
// has key.
func (s *records[R]) create(key string, rec *R) error {
	if _, ok := s.byKey[key]; ok {
		f := familyOf[R]()
		return errExists(f.resourceType, key, f.exists)
	}
	s.insert(key, rec)
	return nil
}

// insert stores rec under key, which no record has (an ID from newID).
func (s *records[R]) insert(key string, rec *R) {
	if s.byKey == nil {
		s.byKey = map[string]*R{}
	}
	s.byKey[key] = rec
	s.order.Insert(key)
}

// delete removes the record of key and returns it, or the family's ResourceNotFoundException.
func (s *records[R]) delete(key string) (*R, error) {
	r, err := s.get(key)
	if err != nil {
		return nil, err
	}
	delete(s.byKey, key)
	s.order.Delete(key)
	return r, nil
}

// len returns the number of records.
func (s *records[R]) len() int { return len(s.byKey) }

// all returns every record in key order.
func (s *records[R]) all() []*R {
	out := make([]*R, 0, len(s.byKey))
	for _, key := range s.order.After("", len(s.byKey)) {
		out = append(out, s.byKey[key])
	}
	return out
}

// newID returns prefix and 17 random hex digits that no record has as its key: the shape of
// the IDs the service assigns (s-, w-, and c-, p-, cert-, a-, webapp- of connectors, profiles,
// certificates, agreements and web apps); e.mu must be held.
func (s *records[R]) newID(e *Emulator, prefix string) string {
	for {
		id := prefix + e.randomHex(17)
		if _, taken := s.byKey[id]; !taken {
			return id
		}
	}
}

// clonable is a record that copies itself deeply, so that an update can be refused without a
// trace.
type clonable[R any] interface {
	record
	clone() R
}

// update applies change to a copy of the record of key in the scope and stores the copy, under
// e.mu; when change fails (a rule refuses the update) the record stays as it was. It answers the
// scope's error, the family's ResourceNotFoundException, or change's error.
func update[R clonable[R]](e *Emulator, sc scope[R], key string, change func(*R) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec, err := sc.get(key)
	if err != nil {
		return err
	}
	next := (*rec).clone()
	if err := change(&next); err != nil {
		return err
	}
	*rec = next
	return nil
}

// remove deletes the record of key from the scope under e.mu, answering the scope's error or
// the family's ResourceNotFoundException when there is none.
func remove[R record](e *Emulator, sc scope[R], key string) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	recs, err := sc()
	if err != nil {
		return nil, err
	}
	_, err = recs.delete(key)
	return nil, err
}
