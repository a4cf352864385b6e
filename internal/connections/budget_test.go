package connections

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/hubspot"
)

// keyRecorder is a SharedBudget that notes the keys it is asked for.
type keyRecorder struct{ keys []string }

func (r *keyRecorder) Window(key string) hubspot.SharedWindow {
	r.keys = append(r.keys, key)
	return nil
}

// TestLimitersClaimTheSharedBudgetOfTheirApp: with a shared budget, each app's limiter is
// built once on the app's key in the ledger (an app not known yet: the account's), and
// connections of one app share it; without one, limiters stay in the process.
func TestLimitersClaimTheSharedBudgetOfTheirApp(t *testing.T) {
	t.Parallel()
	rec := &keyRecorder{}
	m := New(nil, nil, Config{Budget: rec})
	a1, a2 := m.limiterFor(7, 100), m.limiterFor(7, 200)
	m.limiterFor(0, 300)
	m.limiterFor(8, 100)
	if a1 != a2 {
		t.Error("two connections of app 7 got different limiters")
	}
	if diff := cmp.Diff([]string{"app:7", "hub:300", "app:8"}, rec.keys); diff != "" {
		t.Errorf("shared budget keys (-want +got):\n%s", diff)
	}
	alone := New(nil, nil, Config{})
	if alone.limiterFor(7, 100) == nil {
		t.Error("no limiter without a shared budget")
	}
}
