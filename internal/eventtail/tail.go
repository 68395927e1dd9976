// Package eventtail follows the ticket events of the whole installation
// once per process and fans what is new out to that process's
// subscriptions (GraphQL ticketEvents). One reader polls the database
// — every Interval, or at once when a commit of this process kicks it —
// while at least one subscriber listens; a subscriber is woken only when
// there is something for it to look at: new event IDs, or a change of
// who may see what (a contact or agent changed, a token revoked). Each
// subscriber then reads those events itself, under its own privacy, so
// the tail never decides who sees an event. An idle subscription costs
// nothing but its goroutine; an idle process costs the tail's few
// indexed queries a poll, whatever the number of subscriptions.
//
// The database is the channel between processes: events committed by
// any process are seen by every process's tail. On PostgreSQL a commit's
// ID may be lower than one already seen (transactions commit out of ID
// order), so the tail re-reads a short window of recent events and
// remembers the IDs it passed on.
package eventtail

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"helpdesk/ent"
	"helpdesk/ent/agent"
	"helpdesk/ent/apitoken"
	"helpdesk/ent/contact"
	"helpdesk/ent/ticketevent"
	"helpdesk/internal/viewer"
)

const (
	// DefaultInterval is how often the tail looks for new events without
	// a kick: events of other processes reach subscribers within it.
	DefaultInterval = 300 * time.Millisecond
	// lookBack is how far back each poll re-reads: longer than a
	// transaction takes to commit after taking its ID.
	lookBack = 5 * time.Second
	// batch bounds the events one poll reads; more wait for the next.
	batch = 1000
)

// Update is what a subscriber is woken with: the new events since it
// last took, and whether access may have changed meanwhile.
type Update struct {
	// Events are IDs of new events, in the order seen.
	Events []int
	// Access: a contact or agent changed or a token was revoked since
	// the last update; a subscriber re-checks its caller.
	Access bool
}

// Sub is one subscriber.
type Sub struct {
	tail *Tail
	c    chan struct{}
	mu   sync.Mutex
	next Update
}

// C is signalled when an Update is waiting (Take it).
func (s *Sub) C() <-chan struct{} { return s.c }

// Take returns and clears what is waiting.
func (s *Sub) Take() Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.next
	s.next = Update{}
	return u
}

// Close stops the subscriber's updates.
func (s *Sub) Close() {
	t := s.tail
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.subs, s)
	if len(t.subs) == 0 && t.stop != nil {
		close(t.stop)
		t.stop = nil
	}
}

func (s *Sub) push(ids []int, access bool) {
	s.mu.Lock()
	s.next.Events = append(s.next.Events, ids...)
	s.next.Access = s.next.Access || access
	s.mu.Unlock()
	select {
	case s.c <- struct{}{}:
	default:
	}
}

// Tail is one process's follower of ticket events.
type Tail struct {
	DB *ent.Client
	// Interval between polls; 0 is DefaultInterval.
	Interval time.Duration
	Logger   *slog.Logger

	once sync.Once
	kick chan struct{}
	mu   sync.Mutex
	subs map[*Sub]struct{}
	stop chan struct{} // closes the running reader; nil while none runs
}

func (t *Tail) init() {
	t.once.Do(func() {
		t.kick = make(chan struct{}, 1)
		t.subs = map[*Sub]struct{}{}
		if t.Interval <= 0 {
			t.Interval = DefaultInterval
		}
		if t.Logger == nil {
			t.Logger = slog.Default()
		}
	})
}

// Subscribe adds a subscriber: it is told of events committed from now
// on. Close it when done. The first subscriber starts the reader, the
// last one to close stops it.
func (t *Tail) Subscribe() *Sub {
	t.init()
	s := &Sub{tail: t, c: make(chan struct{}, 1)}
	t.mu.Lock()
	t.subs[s] = struct{}{}
	if t.stop == nil {
		t.stop = make(chan struct{})
		go t.run(t.stop)
	}
	t.mu.Unlock()
	return s
}

// Kick makes the tail poll now: a commit of this process wrote events.
func (t *Tail) Kick() {
	t.init()
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// run follows the events until stop closes.
func (t *Tail) run(stop chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-stop; cancel() }()
	sys := viewer.SystemContext(ctx)
	tick := time.NewTicker(t.Interval)
	defer tick.Stop()
	var (
		start  = time.Now() // a subscriber is told of what commits after it came
		seen   = map[int]time.Time{}
		marker accessMarker
		primed bool
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-t.kick:
		}
		now := time.Now()
		m, err := readMarker(sys, t.DB)
		if err != nil {
			if ctx.Err() == nil {
				t.Logger.Warn("event tail: reading who may see what failed; the next poll tries again", "err", err)
			}
			continue
		}
		access := primed && m != marker
		marker, primed = m, true
		since := now.Add(-lookBack)
		if since.Before(start) {
			since = start.Add(-time.Millisecond)
		}
		evs, err := t.DB.TicketEvent.Query().Where(ticketevent.CreatedAtGT(since)).
			Order(ticketevent.ByID()).Limit(batch).Select(ticketevent.FieldID, ticketevent.FieldCreatedAt).All(sys)
		if err != nil {
			if ctx.Err() == nil {
				t.Logger.Warn("event tail: reading new events failed; the next poll tries again", "err", err)
			}
			continue
		}
		var ids []int
		for _, ev := range evs {
			if _, ok := seen[ev.ID]; ok || ev.CreatedAt.Before(start) {
				continue
			}
			seen[ev.ID] = ev.CreatedAt
			ids = append(ids, ev.ID)
		}
		for id, at := range seen {
			if at.Before(now.Add(-2 * lookBack)) {
				delete(seen, id)
			}
		}
		t.mu.Lock()
		subs := make([]*Sub, 0, len(t.subs))
		for s := range t.subs {
			subs = append(subs, s)
		}
		t.mu.Unlock()
		if len(ids) == 0 && !access {
			continue
		}
		for _, s := range subs {
			s.push(ids, access)
		}
	}
}

// accessMarker changes when who may see what may have changed: the
// latest change of any contact or agent, the latest revocation.
type accessMarker struct {
	contacts, agents, revoked time.Time
}

func readMarker(ctx context.Context, c *ent.Client) (accessMarker, error) {
	var m accessMarker
	ct, err := c.Contact.Query().Order(ent.Desc(contact.FieldUpdatedAt)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return m, err
	} else if ct != nil {
		m.contacts = ct.UpdatedAt
	}
	a, err := c.Agent.Query().Order(ent.Desc(agent.FieldUpdatedAt)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return m, err
	} else if a != nil {
		m.agents = a.UpdatedAt
	}
	tk, err := c.APIToken.Query().Where(apitoken.RevokedAtNotNil()).Order(ent.Desc(apitoken.FieldRevokedAt)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return m, err
	} else if tk != nil {
		m.revoked = *tk.RevokedAt
	}
	return m, nil
}
