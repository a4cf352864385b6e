package budget_test

import (
	"context"
	"fmt"
	"time"

	"github.com/connectflo/integrations/internal/budget"
	"github.com/connectflo/integrations/internal/hubspot"
)

// Two limiters, as two replicas would hold for one HubSpot app, share one window of 100
// requests: once replica A has sent 60, replica B gets the other 40, and the next request
// would wait for the window, past this deadline, so it is refused at once.
func ExampleMemory() {
	ledger := budget.NewMemory(0, nil)
	replicaA := hubspot.NewLimiter(hubspot.LimiterConfig{Shared: ledger.Window("app:42")})
	replicaB := hubspot.NewLimiter(hubspot.LimiterConfig{Shared: ledger.Window("app:42")})
	for range 60 {
		p, _ := replicaA.Wait(context.Background(), hubspot.KindStandard)
		p.Done(nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	granted := 0
	for {
		p, err := replicaB.Wait(ctx, hubspot.KindStandard)
		if err != nil {
			break
		}
		p.Done(nil)
		granted++
	}
	fmt.Println("replica B's share of the window:", granted)
	// Output: replica B's share of the window: 40
}
