package hubspot

import "slices"

// fairQueue is the line of requests waiting for one budget's slots. It shares the budget
// among callers, not among requests: a caller is whoever the request is made for (WithCaller;
// the service names an RPC's caller by its API key). In a single first-in first-out line, one
// workflow that queues 500 reads makes every other workflow on the connection wait for all
// 500 of them, close to a minute at HubSpot's 100 requests per 10 s.
//
// Each caller has its own first-in first-out line, and the callers take turns: only the
// first waiter of the caller whose turn it is may take a slot, so grants still happen one at
// a time in a single order. A grant passes the turn on: the caller goes to the back of the
// turns if it has more waiters, and leaves them otherwise. A caller that starts waiting joins
// at the back. So with A holding 500 waiters, B's first request is granted after at most one
// of A's, and B's k-th after at most k of A's: each caller with work queued gets an equal
// share of the slots, whatever the others queue. Every request costs one slot, so taking
// turns request by request is already fair in slots.
//
// What does not change:
//   - The rolling window decides when a slot is free; the queue only decides who takes it. The
//     number and timing of grants are those of the single line, so the window's guarantee
//     (no rolling window over the budget, no 429 of our own making) holds as before.
//   - It is work-conserving: the turn only ever goes to a caller with a waiter, so a caller
//     alone gets the whole budget, and no slot waits for a caller that has nothing queued.
//   - A waiter that leaves (its context ended, or it was refused) gives up its place but not
//     its caller's turn, which passes only with a grant.
//
// Memory is proportional to the waiters: a caller's line is dropped the moment it empties.
//
// fairQueue is not safe for concurrent use; Limiter.mu guards it.
type fairQueue struct {
	turns   []*callerLine          // callers with waiters; turns[0] is the one whose turn it is
	byName  map[string]*callerLine // the same lines, by caller
	waiting int
}

// callerLine is one caller's waiters, first-in first-out.
type callerLine struct {
	caller  string
	waiters []*waiter
}

// waiter is one request queued for a slot. wake has room for one signal so notifying never
// blocks and never loses a wake-up.
type waiter struct {
	caller string
	wake   chan struct{}
}

func newWaiter(caller string) *waiter {
	return &waiter{caller: caller, wake: make(chan struct{}, 1)}
}

// len is the number of waiters.
func (q *fairQueue) len() int { return q.waiting }

// callers is the number of callers with a waiter.
func (q *fairQueue) callers() int { return len(q.turns) }

// head is the waiter that may take the next slot, or nil.
func (q *fairQueue) head() *waiter {
	if len(q.turns) == 0 {
		return nil
	}
	return q.turns[0].waiters[0]
}

// join puts me at the back of its caller's line; a caller new to the queue takes the last turn.
func (q *fairQueue) join(me *waiter) {
	line := q.byName[me.caller]
	if line == nil {
		if q.byName == nil {
			q.byName = map[string]*callerLine{}
		}
		line = &callerLine{caller: me.caller}
		q.byName[me.caller] = line
		q.turns = append(q.turns, line)
	}
	line.waiters = append(line.waiters, me)
	q.waiting++
}

// ahead is how many grants go before me if nobody joins or leaves: its place in the line if
// queued, else the place it would take by joining now. The turns go round one waiter per caller
// at a time, so me, k-th in the line of the j-th caller in turn order, has ahead of it its own
// k predecessors, k from every other caller (fewer if it has fewer), and one more from each
// caller before it in turn order that still has one left at round k. Callers who start waiting
// later can only add to that; waiters ahead that leave can only take from it.
func (q *fairQueue) ahead(me *waiter, queued bool) int {
	j := len(q.turns)
	k := 0
	if line := q.byName[me.caller]; line != nil {
		j = slices.Index(q.turns, line)
		k = len(line.waiters)
		if queued {
			k = slices.Index(line.waiters, me)
		}
	}
	n := k
	for i, line := range q.turns {
		switch {
		case i < j:
			n += min(len(line.waiters), k+1)
		case i > j:
			n += min(len(line.waiters), k)
		}
	}
	return n
}

// granted removes the head, which took a slot, and passes the turn on.
func (q *fairQueue) granted(me *waiter) {
	line := q.turns[0]
	if line.waiters[0] != me {
		panic("hubspot: fairQueue.granted: the waiter is not the head")
	}
	line.waiters = slices.Delete(line.waiters, 0, 1)
	q.waiting--
	q.turns = slices.Delete(q.turns, 0, 1)
	if len(line.waiters) == 0 {
		delete(q.byName, line.caller)
		return
	}
	q.turns = append(q.turns, line)
}

// leave removes a waiter that gives up; its caller keeps its turn.
func (q *fairQueue) leave(me *waiter) {
	line := q.byName[me.caller]
	if line == nil {
		return
	}
	i := slices.Index(line.waiters, me)
	if i < 0 {
		return
	}
	line.waiters = slices.Delete(line.waiters, i, i+1)
	q.waiting--
	if len(line.waiters) == 0 {
		delete(q.byName, line.caller)
		q.turns = slices.DeleteFunc(q.turns, func(l *callerLine) bool { return l == line })
	}
}
