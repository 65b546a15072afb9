package sc

import (
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Object is one metadata object: its store key, spec, status and the store
// epoch of its last change. Stored objects are never mutated: a change
// stores a new Object.
type Object struct {
	Name   string
	Spec   protocol.Message
	Status protocol.Message
	Epoch  int64
}

// Change is one incremental store change.
type Change struct {
	// Delete is true when Obj (the last known object) was removed.
	Delete bool
	Obj    *Object
}

// maxQueuedChanges bounds a subscriber's queue. A subscriber that falls
// further behind gets a full snapshot instead of the changes it missed.
const maxQueuedChanges = 512

// Store holds the metadata objects by label and notifies subscribers of
// changes. With a directory it persists specs (and statuses) of every object
// atomically, one file per object (see persist.go).
type Store struct {
	mu    sync.RWMutex
	epoch int64
	kinds map[string]map[string]*Object
	subs  map[string]map[*Subscription]struct{}
	dir   string
	log   *slog.Logger
}

// NewStore returns a store; dir "" keeps everything in memory. With a dir the
// caller loads it with Load before use.
func NewStore(dir string, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{kinds: map[string]map[string]*Object{}, subs: map[string]map[*Subscription]struct{}{}, dir: dir, log: log}
	for _, l := range protocol.Labels {
		s.kinds[l] = map[string]*Object{}
		s.subs[l] = map[*Subscription]struct{}{}
	}
	return s
}

// Epoch returns the store epoch (bumped by every change).
func (s *Store) Epoch() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.epoch
}

// Get returns the object label/name or nil.
func (s *Store) Get(label, name string) *Object {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.kinds[label][name]
}

// List returns the objects of label sorted by name.
func (s *Store) List(label string) []*Object {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.listLocked(label)
}

func (s *Store) listLocked(label string) []*Object {
	m := s.kinds[label]
	out := make([]*Object, 0, len(m))
	for _, o := range m {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Put stores spec and status under label/name, persisting it when the store
// has a directory, and notifies subscribers. It returns the stored object.
func (s *Store) Put(label, name string, spec, status protocol.Message) (*Object, error) {
	return s.put(label, name, spec, status, true)
}

// PutStatus replaces the status of an existing object without persisting it
// (statuses of partitions and SPUs are rebuilt at runtime); it returns nil
// when the object does not exist.
func (s *Store) PutStatus(label, name string, status protocol.Message) *Object {
	s.mu.RLock()
	old := s.kinds[label][name]
	s.mu.RUnlock()
	if old == nil {
		return nil
	}
	o, _ := s.put(label, name, old.Spec, status, false)
	return o
}

func (s *Store) put(label, name string, spec, status protocol.Message, persist bool) (*Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.kinds[label]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLabel, label)
	}
	o := &Object{Name: name, Spec: spec, Status: status, Epoch: s.epoch + 1}
	if persist && s.dir != "" {
		if err := writeObjectFile(s.dir, label, o); err != nil {
			return nil, err
		}
	}
	s.epoch++
	m[name] = o
	s.notifyLocked(label, Change{Obj: o})
	return o, nil
}

// Delete removes label/name; it returns the removed object or nil.
func (s *Store) Delete(label, name string) (*Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.kinds[label][name]
	if o == nil {
		return nil, nil
	}
	if s.dir != "" {
		if err := removeObjectFile(s.dir, label, name); err != nil {
			return nil, err
		}
		// A deletion leaves no object carrying its epoch; record it so the
		// epoch never goes back after a restart.
		if err := writeEpochFile(s.dir, s.epoch+1); err != nil {
			return nil, err
		}
	}
	s.epoch++
	delete(s.kinds[label], name)
	s.notifyLocked(label, Change{Delete: true, Obj: o})
	return o, nil
}

func (s *Store) notifyLocked(label string, c Change) {
	for sub := range s.subs[label] {
		sub.mu.Lock()
		if !sub.full {
			if len(sub.changes) >= maxQueuedChanges {
				sub.full = true
				sub.changes = nil
			} else {
				sub.changes = append(sub.changes, c)
			}
		}
		sub.mu.Unlock()
		sub.signal()
	}
}

// Subscription follows the changes of one label. Its first Next is a full
// snapshot; later ones return the queued changes, or a snapshot again when
// the subscriber fell more than maxQueuedChanges behind.
type Subscription struct {
	store   *Store
	label   string
	ready   chan struct{}
	mu      sync.Mutex
	full    bool
	changes []Change
}

// Update is what Next returns: a full snapshot (Full, All) or changes.
type Update struct {
	Epoch   int64
	Full    bool
	All     []*Object
	Changes []Change
}

// Subscribe starts following label. Close the subscription when done.
func (s *Store) Subscribe(label string) *Subscription {
	sub := &Subscription{store: s, label: label, ready: make(chan struct{}, 1), full: true}
	s.mu.Lock()
	if s.subs[label] == nil {
		s.subs[label] = map[*Subscription]struct{}{}
	}
	s.subs[label][sub] = struct{}{}
	s.mu.Unlock()
	sub.signal()
	return sub
}

func (sub *Subscription) signal() {
	select {
	case sub.ready <- struct{}{}:
	default:
	}
}

// Ready is signalled when Next has something to return.
func (sub *Subscription) Ready() <-chan struct{} { return sub.ready }

// Next returns and clears what is pending; ok is false when nothing is.
func (sub *Subscription) Next() (u Update, ok bool) {
	s := sub.store
	s.mu.RLock()
	defer s.mu.RUnlock()
	sub.mu.Lock()
	defer sub.mu.Unlock()
	u.Epoch = s.epoch
	if sub.full {
		sub.full = false
		sub.changes = nil
		u.Full = true
		u.All = s.listLocked(sub.label)
		return u, true
	}
	if len(sub.changes) == 0 {
		return u, false
	}
	u.Changes = slices.Clone(sub.changes)
	sub.changes = sub.changes[:0]
	return u, true
}

// Close stops the subscription.
func (sub *Subscription) Close() {
	s := sub.store
	s.mu.Lock()
	delete(s.subs[sub.label], sub)
	s.mu.Unlock()
}
