package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// adminRoutes registers the /_sandbox/ API: JSON, no auth, the same operations as the
// Go methods, for tests and tools outside the process.
func (s *Sandbox) adminRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /_sandbox/accounts", func(w http.ResponseWriter, r *http.Request) {
		adminJSON(w, http.StatusOK, s.Accounts())
	})
	m.HandleFunc("POST /_sandbox/accounts", adminCreate(s.CreateAccount))
	m.HandleFunc("POST /_sandbox/accounts/{hubId}/seed", func(w http.ResponseWriter, r *http.Request) {
		sum, err := s.SeedSampleData(pathHubID(r))
		adminResult(w, http.StatusCreated, sum, err)
	})
	m.HandleFunc("GET /_sandbox/accounts/{hubId}/tokens", func(w http.ResponseWriter, r *http.Request) {
		adminJSON(w, http.StatusOK, nonNil(s.Tokens(pathHubID(r))))
	})
	m.HandleFunc("POST /_sandbox/tokens", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Token
			Scopes *[]string `json:"scopes"` // absent: every scope
		}
		if !adminDecode(w, r, &in) {
			return
		}
		in.Token.Scopes = AllScopes()
		if in.Scopes != nil {
			in.Token.Scopes = *in.Scopes
		}
		t, err := s.CreateToken(in.Token)
		adminResult(w, http.StatusCreated, t, err)
	})
	m.HandleFunc("POST /_sandbox/tokens/{token}/revoke", func(w http.ResponseWriter, r *http.Request) {
		adminResult(w, http.StatusOK, map[string]bool{"revoked": true}, s.RevokeToken(r.PathValue("token")))
	})
	m.HandleFunc("POST /_sandbox/accounts/{hubId}/properties/{objectType}", func(w http.ResponseWriter, r *http.Request) {
		var p Property
		if !adminDecode(w, r, &p) {
			return
		}
		created, err := s.CreateProperty(pathHubID(r), r.PathValue("objectType"), p)
		adminResult(w, http.StatusCreated, created, err)
	})
	m.HandleFunc("POST /_sandbox/accounts/{hubId}/objects/{objectType}", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Properties map[string]string `json:"properties"`
		}
		if !adminDecode(w, r, &in) {
			return
		}
		id, err := s.CreateRecord(pathHubID(r), r.PathValue("objectType"), in.Properties)
		adminResult(w, http.StatusCreated, map[string]string{"id": id}, err)
	})
	m.HandleFunc("POST /_sandbox/accounts/{hubId}/associations", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			FromType string `json:"fromType"`
			FromID   string `json:"fromId"`
			ToType   string `json:"toType"`
			ToID     string `json:"toId"`
			TypeID   int    `json:"typeId"`
		}
		if !adminDecode(w, r, &in) {
			return
		}
		err := s.Associate(pathHubID(r), in.FromType, in.FromID, in.ToType, in.ToID, in.TypeID)
		adminResult(w, http.StatusCreated, in, err)
	})
	s.writeRuleRoutes(m)
	m.HandleFunc("GET /_sandbox/limits", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		l := s.limits
		s.mu.Unlock()
		adminJSON(w, http.StatusOK, limitsToWire(l))
	})
	m.HandleFunc("PUT /_sandbox/limits", func(w http.ResponseWriter, r *http.Request) {
		var in limitsWire
		if !adminDecode(w, r, &in) {
			return
		}
		l, err := in.limits()
		if err == nil {
			s.SetLimits(l)
		}
		adminResult(w, http.StatusOK, in, err)
	})
	m.HandleFunc("GET /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		var out []faultWire
		for _, f := range s.Faults() {
			out = append(out, faultToWire(f))
		}
		adminJSON(w, http.StatusOK, nonNil(out))
	})
	m.HandleFunc("POST /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		var in faultWire
		if !adminDecode(w, r, &in) {
			return
		}
		rule, err := in.rule()
		if err != nil {
			adminResult(w, 0, nil, err)
			return
		}
		id, err := s.AddFault(rule)
		adminResult(w, http.StatusCreated, map[string]string{"id": id}, err)
	})
	m.HandleFunc("DELETE /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("DELETE /_sandbox/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := s.RemoveFault(r.PathValue("id")); err != nil {
			adminResult(w, 0, nil, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET /_sandbox/counters", func(w http.ResponseWriter, r *http.Request) {
		adminJSON(w, http.StatusOK, s.Counters())
	})
	m.HandleFunc("POST /_sandbox/counters/reset", func(w http.ResponseWriter, r *http.Request) {
		s.ResetCounters()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("POST /_sandbox/reset", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Seed uint64 `json:"seed"`
		}
		if !adminDecode(w, r, &in) {
			return
		}
		s.Reset(in.Seed)
		w.WriteHeader(http.StatusNoContent)
	})
}

func pathHubID(r *http.Request) int64 {
	n, _ := strconv.ParseInt(r.PathValue("hubId"), 10, 64)
	return n
}

func adminCreate[T any](create func(T) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in T
		if !adminDecode(w, r, &in) {
			return
		}
		out, err := create(in)
		adminResult(w, http.StatusCreated, out, err)
	}
}

func adminDecode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeJSON(r, v); err != nil {
		adminJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON: " + err.Error()})
		return false
	}
	return true
}

func adminResult(w http.ResponseWriter, status int, v any, err error) {
	var verr *ValidationError
	switch {
	case err == nil:
		adminJSON(w, status, v)
	case errors.As(err, &verr):
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(verr.Body)
	case errors.Is(err, ErrNotFound):
		adminJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	case errors.Is(err, ErrConflict):
		adminJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
	default:
		adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// limitsWire is Limits with durations as Go duration strings ("200ms").
type limitsWire struct {
	Window          string `json:"window,omitempty"`
	PerWindow       int    `json:"perWindow,omitempty"`
	Daily           int    `json:"daily,omitempty"`
	LimitIncreases  int    `json:"limitIncreases,omitempty"`
	SearchPerSecond int    `json:"searchPerSecond,omitempty"`
	SearchWindow    string `json:"searchWindow,omitempty"`
}

func limitsToWire(l Limits) limitsWire {
	return limitsWire{Window: durString(l.Window), PerWindow: l.PerWindow, Daily: l.Daily, LimitIncreases: l.LimitIncreases,
		SearchPerSecond: l.SearchPerSecond, SearchWindow: durString(l.SearchWindow)}
}

func (w limitsWire) limits() (Limits, error) {
	win, err := parseDur(w.Window)
	if err != nil {
		return Limits{}, err
	}
	sw, err := parseDur(w.SearchWindow)
	if err != nil {
		return Limits{}, err
	}
	if err := checkLimitIncreases(w.LimitIncreases); err != nil {
		return Limits{}, err
	}
	return Limits{Window: win, PerWindow: w.PerWindow, Daily: w.Daily, LimitIncreases: w.LimitIncreases, SearchPerSecond: w.SearchPerSecond, SearchWindow: sw}, nil
}

func durString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func parseDur(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}
