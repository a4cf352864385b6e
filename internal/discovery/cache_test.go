package discovery

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/bytecache"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/store"
)

// TestSchemaCacheEvictsBySize: schemas of many connections share one byte budget; the least
// recently used connection's schemas leave memory when another's arrive, and still read
// correctly (from the store) afterwards.
func TestSchemaCacheEvictsBySize(t *testing.T) {
	ctx := context.Background()
	d, prod, _ := newBenchEnv(t, 200)
	st := d.store.(*store.Store)
	stage := store.Connection{Workspace: "globex", ID: "stage", DisplayName: "Stage", Status: "CONNECTED", CreateTime: time.Now(), UpdateTime: time.Now()}
	if err := st.InsertConnection(ctx, &stage); err != nil {
		t.Fatal(err)
	}
	// Measure one connection's schemas, then allow one and a half of them.
	if _, err := d.Refresh(ctx, prod); err != nil {
		t.Fatal(err)
	}
	one, _, _ := d.memo.Stats()
	if one < 200*3*256 {
		t.Fatalf("one connection's schemas count %d bytes; want at least the fixed cost of its 600 fields", one)
	}
	d.memo = bytecache.New(one + one/2)

	wantFields := map[string]int{}
	for i, c := range []*store.Connection{&prod, &stage} {
		got, err := d.Refresh(ctx, *c)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			for ot, fs := range got {
				wantFields[ot] = len(fs.Fields)
			}
		}
		c.SchemaVersion = latestVersion(got)
	}
	cached := func(c store.Connection) bool {
		_, ok := d.memoized(resname.Connection{Workspace: c.Workspace, ID: c.ID}.String(), c.SchemaVersion)
		return ok
	}
	if d := cmp.Diff(map[string]bool{"prod": false, "stage": true}, map[string]bool{"prod": cached(prod), "stage": cached(stage)}); d != "" {
		t.Errorf("in memory after both refreshes (-want +got):\n%s", d)
	}
	if used, budget, _ := d.memo.Stats(); used > budget {
		t.Errorf("%d bytes held, over the budget of %d", used, budget)
	}
	again, err := d.Cached(ctx, prod)
	if err != nil {
		t.Fatal(err)
	}
	gotFields := map[string]int{}
	for ot, fs := range again {
		gotFields[ot] = len(fs.Fields)
	}
	if d := cmp.Diff(wantFields, gotFields); d != "" {
		t.Errorf("evicted schemas read back (-want +got fields per type):\n%s", d)
	}
}

// latestVersion is the schema version a refresh produced (the connection row carries it).
func latestVersion(got map[string]store.FieldSchema) int64 {
	var v int64
	for _, fs := range got {
		v = max(v, fs.Version)
	}
	return v
}
