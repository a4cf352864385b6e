package app

import "time"

// Ready is what a started program tells its caller once it serves: the bound addresses,
// which with port 0 are known only then.
type Ready struct {
	GRPCAddr string // host:port of the gRPC listener
	HTTPAddr string // host:port of the HTTP listener (REST gateway, /livez, /readyz, /metrics)
	TLS      bool   // both listeners serve TLS
	// HubSpotURL is the HubSpot base URL the server calls: in demo mode, its embedded
	// sandbox's address.
	HubSpotURL string
}

// RunOption changes how Run runs the program, for callers that embed it (tests, tools).
type RunOption func(*runOptions)

type runOptions struct {
	ready     func(Ready)
	pollEvery time.Duration
}

// PollEvery has every connection polled for HubSpot changes every d, below the 10 s floor
// of a connection's poll interval, and the poller look for due connections as often: for
// tests that need polling to detect a change in well under a second, not minutes. It is not
// an option of the program: a real server polls each connection at its ChangeSettings'
// interval, within the floor that keeps polling a bounded share of HubSpot's budget.
func PollEvery(d time.Duration) RunOption {
	return func(o *runOptions) { o.pollEvery = d }
}

// OnReady has Run call ready once the server serves, so that a caller starting it on port 0
// learns its addresses without reading its log. It is not called for subcommands, nor when
// the server fails to start (Run then returns the error).
func OnReady(ready func(Ready)) RunOption {
	return func(o *runOptions) { o.ready = ready }
}

// notifyReady tells the caller, if it asked, that s serves.
func (s *Server) notifyReady() {
	if s.ready != nil {
		s.ready(Ready{GRPCAddr: s.GRPCAddr(), HTTPAddr: s.HTTPAddr(), TLS: s.certs != nil, HubSpotURL: s.cfg.HubSpotBaseURL})
	}
}
