package sandbox

import (
	"fmt"
	"maps"
	"strconv"
)

// faultWire is FaultRule on the admin API: durations as Go duration strings and
// error rates keyed by status strings ({"503": 0.5}).
type faultWire struct {
	ID               string             `json:"id,omitempty"`
	Method           string             `json:"method,omitempty"`
	Path             string             `json:"path,omitempty"`
	Latency          string             `json:"latency,omitempty"`
	Jitter           string             `json:"jitter,omitempty"`
	ResponseDelay    string             `json:"responseDelay,omitempty"`
	ErrorRates       map[string]float64 `json:"errorRates,omitempty"`
	Outage           string             `json:"outage,omitempty"`
	ResetRate        float64            `json:"resetRate,omitempty"`
	LostResponseRate float64            `json:"lostResponseRate,omitempty"`
	Count            int                `json:"count,omitempty"`
}

func (w faultWire) rule() (FaultRule, error) {
	r := FaultRule{Method: w.Method, Path: w.Path, ResetRate: w.ResetRate,
		LostResponseRate: w.LostResponseRate, Count: w.Count}
	var err error
	for _, d := range []struct {
		s   string
		dst *int64
	}{{w.Latency, (*int64)(&r.Latency)}, {w.Jitter, (*int64)(&r.Jitter)},
		{w.ResponseDelay, (*int64)(&r.ResponseDelay)}, {w.Outage, (*int64)(&r.Outage)}} {
		dur, perr := parseDur(d.s)
		if perr != nil {
			err = perr
		}
		*d.dst = int64(dur)
	}
	if err != nil {
		return FaultRule{}, err
	}
	for k, v := range w.ErrorRates {
		status, perr := strconv.Atoi(k)
		if perr != nil {
			return FaultRule{}, fmt.Errorf("error rate key %q is not a status code", k)
		}
		if r.ErrorRates == nil {
			r.ErrorRates = map[int]float64{}
		}
		r.ErrorRates[status] = v
	}
	return r, nil
}

func faultToWire(r FaultRule) faultWire {
	w := faultWire{ID: r.ID, Method: r.Method, Path: r.Path, Latency: durString(r.Latency),
		Jitter: durString(r.Jitter), ResponseDelay: durString(r.ResponseDelay), Outage: durString(r.Outage), ResetRate: r.ResetRate,
		LostResponseRate: r.LostResponseRate, Count: r.Count}
	for k := range maps.Keys(r.ErrorRates) {
		if w.ErrorRates == nil {
			w.ErrorRates = map[string]float64{}
		}
		w.ErrorRates[strconv.Itoa(k)] = r.ErrorRates[k]
	}
	return w
}
