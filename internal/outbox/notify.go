package outbox

import "sync"

// notifier wakes WaitDelivered callers when their event reaches a final status.
type notifier struct {
	mu      sync.Mutex
	waiting map[string][]chan struct{}
}

func (n *notifier) wait(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	n.mu.Lock()
	n.waiting[id] = append(n.waiting[id], ch)
	n.mu.Unlock()
	return ch, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		list := n.waiting[id]
		for i, c := range list {
			if c == ch {
				n.waiting[id] = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(n.waiting[id]) == 0 {
			delete(n.waiting, id)
		}
	}
}

func (n *notifier) notify(id string) {
	n.mu.Lock()
	list := n.waiting[id]
	delete(n.waiting, id)
	n.mu.Unlock()
	for _, ch := range list {
		close(ch)
	}
}
