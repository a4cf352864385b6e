package outbox

import (
	"context"
	"strconv"
)

// MaxPageBytes bounds a page of List by the size of its events as stored: the page ends
// after the event that reaches it, even before PageSize events (always at least one), so a
// page of large events stays far below the 4 MiB a gRPC client accepts by default.
const MaxPageBytes = 1 << 20

// Page sizes of List: a PageSize of 0 means DefaultPageSize, and one over MaxPageSize is
// MaxPageSize.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// ListOptions selects a page of a connection's events.
type ListOptions struct {
	Workspace  string
	Connection string
	Status     Status // "" for every status
	PageSize   int    // default DefaultPageSize, at most MaxPageSize
	PageToken  string // NextPageToken of the previous page
}

// Page is one page of events, newest first.
type Page struct {
	Events        []Event
	NextPageToken string // "" on the last page
}

// List returns a connection's events, newest first: at most PageSize of them and about
// MaxPageBytes.
func (o *Outbox) List(ctx context.Context, opts ListOptions) (Page, error) {
	size := opts.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize)
	var before int64
	if opts.PageToken != "" {
		n, err := strconv.ParseInt(opts.PageToken, 10, 64)
		if err != nil || n <= 0 {
			return Page{}, invalidf("page_token", "is not a token this list returned")
		}
		before = n
	}
	rows, more, err := o.st.ListOutboxEvents(ctx, opts.Workspace, opts.Connection, string(opts.Status), before, size, MaxPageBytes)
	if err != nil {
		return Page{}, err
	}
	var p Page
	for _, r := range rows {
		ev, err := eventOf(r)
		if err != nil {
			return Page{}, err
		}
		p.Events = append(p.Events, ev)
	}
	if more && len(rows) > 0 {
		p.NextPageToken = strconv.FormatInt(rows[len(rows)-1].Seq, 10)
	}
	return p, nil
}
