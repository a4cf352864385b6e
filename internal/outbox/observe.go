package outbox

import "github.com/connectflo/integrations/internal/store"

// savedObserver, when set, is told of every batch of delivery state this process saved
// (events delivered, failed, held or due again). Tests set it before Start so that they wait
// for a state instead of polling the store; it is nil in production. It is called from the
// goroutine that saved and must not block.
type savedObserver func(rows []store.OutboxEvent)

// observeSaved tells the observer, if any, about rows just saved.
func (o *Outbox) observeSaved(rows []store.OutboxEvent) {
	if o.onSaved != nil {
		o.onSaved(rows)
	}
}
