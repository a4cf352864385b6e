package fields

import (
	"math/bits"
	"strings"
)

// maxSuggestDistance is the largest edit distance a suggestion may have: a typo or two, not a
// different word. Bounding it lets each comparison stop early and skip names whose length
// alone rules them out.
const maxSuggestDistance = 3

// suggestIndex is built once per schema, on the first miss that asks for a suggestion.
// Names and labels are folded (lowercase letters and digits only), so "First Name",
// "first_name" and "FirstName" all find firstname by one map read; typos are searched only
// among keys of nearly the same length.
type suggestIndex struct {
	exact map[string]string      // folded name or label → field name
	byLen map[int][]suggestEntry // folded length → keys of that length, in field-name order
}

type suggestEntry struct {
	key, name string
	chars     uint64 // charSet(key)
}

// charSet has a bit for each of the 36 symbols (a-z, 0-9) that occur in a folded key. One
// edit adds or removes at most one symbol from the set and a substitution at most two, so
// keys whose sets differ in more than 2·d symbols are more than d edits apart: most keys are
// ruled out by one XOR and a popcount, without computing a distance.
func charSet(key string) uint64 {
	var set uint64
	for i := 0; i < len(key); i++ {
		if c := key[i]; c >= 'a' {
			set |= 1 << (c - 'a')
		} else {
			set |= 1 << (26 + c - '0')
		}
	}
	return set
}

func newSuggestIndex(names []string, byName map[string]*Field) *suggestIndex {
	ix := &suggestIndex{exact: map[string]string{}, byLen: map[int][]suggestEntry{}}
	add := func(key, name string) {
		if key == "" {
			return
		}
		if _, dup := ix.exact[key]; dup {
			return // the first field in name order keeps the key
		}
		ix.exact[key] = name
		ix.byLen[len(key)] = append(ix.byLen[len(key)], suggestEntry{key: key, name: name, chars: charSet(key)})
	}
	for _, n := range names { // sorted, so ties resolve the same way every time
		add(fold(n), n)
	}
	for _, n := range names {
		add(fold(byName[n].Label), n)
	}
	return ix
}

// fold keeps the lowercase ASCII letters and digits of s, at most MaxNameLength of them
// (labels can be long; names that long are refused before they get here).
func fold(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < MaxNameLength; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	return b.String()
}

// suggest returns the field whose folded name or label is closest to name's, or "" when none
// is within a likely typo (a third of the name's length, at most maxSuggestDistance).
func (ix *suggestIndex) suggest(name string) string {
	key := fold(name)
	if key == "" {
		return ""
	}
	if n, ok := ix.exact[key]; ok {
		return n
	}
	// Widen the distance one edit at a time: at a small distance the character sets rule out
	// nearly every key before any distance is computed, and the first distance with a match
	// ends the search.
	limit := min(len(key)/3+1, maxSuggestDistance)
	chars := charSet(key)
	var sc scratch
	for d := 1; d <= limit; d++ {
		best := ""
		for l := len(key) - d; l <= len(key)+d; l++ {
			for _, e := range ix.byLen[l] {
				if bits.OnesCount64(chars^e.chars) > 2*d || (best != "" && e.name > best) {
					continue
				}
				if boundedLevenshtein(key, e.key, d, &sc) <= d {
					best = e.name // the first field by name among the closest
				}
			}
		}
		if best != "" {
			return best
		}
	}
	return ""
}

// scratch holds the two rows of boundedLevenshtein for keys of up to MaxNameLength.
type scratch [2][MaxNameLength + 1]int

// boundedLevenshtein is the edit distance between a and b by bytes when it is at most bound,
// and bound+1 otherwise. Only the diagonal band of width 2·bound+1 is computed, and the
// computation stops as soon as a whole row exceeds bound, so a comparison costs
// O(len(a)·bound) at most and usually far less. bound must not be negative.
// sc, when not nil, is reused for the rows, so that the comparisons of one suggestion
// allocate nothing.
func boundedLevenshtein(a, b string, bound int, sc *scratch) int {
	if d := len(a) - len(b); d > bound || -d > bound {
		return bound + 1
	}
	inf := bound + 1
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	if sc != nil && len(b) <= MaxNameLength {
		prev, cur = sc[0][:len(b)+1], sc[1][:len(b)+1]
	}
	for j := range prev {
		prev[j] = min(j, inf)
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-bound), min(len(b), i+bound)
		cur[0] = min(i, inf)
		if lo > 1 {
			cur[lo-1] = inf
		}
		rowMin := cur[0]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost, inf)
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if hi < len(b) {
			cur[hi+1] = inf
		}
		if rowMin > bound {
			return inf
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
