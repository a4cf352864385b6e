package fields

import (
	"fmt"
	"strings"
	"testing"
)

// schemaOf has n custom string fields besides a few defaults, named and labelled as
// HubSpot's custom properties usually are.
func schemaOf(n int) *Schema {
	fs := []Field{{Name: "email", Label: "Email"}, {Name: "firstname", Label: "First Name"}, {Name: "lifecyclestage", Label: "Lifecycle Stage"}}
	for i := range n - len(fs) {
		fs = append(fs, Field{Name: fmt.Sprintf("custom_field_%04d", i), Label: fmt.Sprintf("Custom field number %d", i)})
	}
	return NewSchema("contacts", 1, fs)
}

// unknownNames are n names no schema has, each size bytes long.
func unknownNames(n, size int) []string {
	out := make([]string, n)
	for i := range out {
		p := fmt.Sprintf("unknown_%05d_", i)
		out[i] = p + strings.Repeat("q", max(size-len(p), 0))
	}
	return out
}

// suggestBefore is Suggest as it was before the index (c8e650f): the full edit distance of
// the name to every field's name and label.
func suggestBefore(s *Schema, name string) string {
	lower := strings.ToLower(name)
	best, bestDist := "", 0
	for _, n := range s.names {
		d := levenshtein(lower, strings.ToLower(n))
		if dl := levenshtein(lower, strings.ToLower(s.byName[n].Label)); dl < d {
			d = dl
		}
		if best == "" || d < bestDist {
			best, bestDist = n, d
		}
	}
	if best == "" || bestDist > len(name)/3+1 {
		return ""
	}
	return best
}

// BenchmarkUnknownNames is the suggestion work of one request naming 200 unknown names of 250
// bytes against a 500-field schema: before, every name was compared in full with every name
// and label; now such names are refused by length before any comparison, a request
// suggests for its first MaxSuggestions misses only, and one suggestion compares only keys of
// about the same length, with a bounded distance.
func BenchmarkUnknownNames(b *testing.B) {
	s := schemaOf(500)
	long := unknownNames(200, 250)
	typos := make([]string, 200) // names that pass CheckName and are compared
	for i := range typos {
		typos[i] = fmt.Sprintf("custom_feild_%04d", i)
	}
	b.Run("before/200 names of 250 bytes", func(b *testing.B) {
		for b.Loop() {
			for _, n := range long {
				suggestBefore(s, n)
			}
		}
	})
	b.Run("after/200 names of 250 bytes", func(b *testing.B) {
		for b.Loop() {
			budget := NewSuggestionBudget()
			for _, n := range long {
				_, _ = s.Lookup(n, budget)
			}
		}
	})
	b.Run("before/200 typos", func(b *testing.B) {
		for b.Loop() {
			for _, n := range typos {
				suggestBefore(s, n)
			}
		}
	})
	b.Run("after/200 typos", func(b *testing.B) {
		for b.Loop() {
			budget := NewSuggestionBudget()
			for _, n := range typos {
				_, _ = s.Lookup(n, budget)
			}
		}
	})
}

// BenchmarkOneSuggestion is the cost of one suggestion as the schema grows.
func BenchmarkOneSuggestion(b *testing.B) {
	for _, size := range []int{500, 5000} {
		s := schemaOf(size)
		s.Suggest("warm", NewSuggestionBudget()) // build the index outside the timing
		b.Run(fmt.Sprintf("%d fields", size), func(b *testing.B) {
			for b.Loop() {
				if s.Suggest("custom_feild_0042", NewSuggestionBudget()) == "" {
					b.Fatal("no suggestion")
				}
			}
		})
	}
}
