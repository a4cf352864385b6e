package bytecache

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// op is one step of a scenario: put (size > 0), get (size 0) or removePrefix (prefix set).
type op struct {
	key          string
	size         int64
	removePrefix string
}

// keys returns the cached keys, sorted.
func keys(c *Cache) []string {
	var out []string
	for k := range c.items {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestEvictsLeastRecentlyUsedBySize(t *testing.T) {
	tests := []struct {
		name     string
		budget   int64
		ops      []op
		wantKeys []string
		wantUsed int64
	}{
		{"within budget keeps all", 100, []op{{key: "a", size: 40}, {key: "b", size: 60}}, []string{"a", "b"}, 100},
		{"one large entry evicts several small ones", 100,
			[]op{{key: "a", size: 30}, {key: "b", size: 30}, {key: "c", size: 30}, {key: "big", size: 80}}, []string{"big"}, 80},
		{"the oldest goes first", 100, []op{{key: "a", size: 50}, {key: "b", size: 50}, {key: "c", size: 50}}, []string{"b", "c"}, 100},
		{"a read makes an entry recent", 100,
			[]op{{key: "a", size: 50}, {key: "b", size: 50}, {key: "a"}, {key: "c", size: 50}}, []string{"a", "c"}, 100},
		{"replacing a key counts its new size only", 100,
			[]op{{key: "a", size: 50}, {key: "b", size: 40}, {key: "a", size: 60}}, []string{"a", "b"}, 100},
		{"larger than the budget is not kept and drops the old value", 100,
			[]op{{key: "a", size: 50}, {key: "b", size: 20}, {key: "a", size: 101}}, []string{"b"}, 20},
		{"remove by prefix", 1000,
			[]op{{key: "conn1|contacts", size: 10}, {key: "conn1|deals", size: 10}, {key: "conn10|deals", size: 10}, {removePrefix: "conn1|"}},
			[]string{"conn10|deals"}, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.budget)
			for _, o := range tc.ops {
				switch {
				case o.removePrefix != "":
					c.RemovePrefix(o.removePrefix)
				case o.size > 0:
					c.Put(o.key, "value of "+o.key, o.size)
				default:
					if _, ok := c.Get(o.key); !ok {
						t.Fatalf("Get(%q) missed", o.key)
					}
				}
			}
			if d := cmp.Diff(tc.wantKeys, keys(c)); d != "" {
				t.Errorf("keys (-want +got):\n%s", d)
			}
			if used, _, _ := c.Stats(); used != tc.wantUsed {
				t.Errorf("used = %d, want %d", used, tc.wantUsed)
			}
		})
	}
}

// TestNeverOverBudget: however many tenants put entries, the bytes held stay within budget.
func TestNeverOverBudget(t *testing.T) {
	c := New(10 << 20)
	for i := range 1000 {
		c.Put(fmt.Sprintf("workspaces/w%d/connections/c|contacts", i), i, int64(1+i%7)<<20) // 1–7 MB each
		if used, budget, _ := c.Stats(); used > budget {
			t.Fatalf("after %d puts %d bytes are held, over the budget of %d", i+1, used, budget)
		}
	}
	v, ok := c.Get("workspaces/w999/connections/c|contacts")
	if !ok || v != 999 {
		t.Errorf("the latest entry = %v, %v; want it kept", v, ok)
	}
}
