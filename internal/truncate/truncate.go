// Package truncate shortens text for messages, logs and stored records without cutting a
// UTF-8 character in two. It imports nothing of the project, so every package may use it;
// it is the only place that shortens text.
package truncate

import "unicode/utf8"

// Ellipsis marks a cut.
const Ellipsis = "…"

// Text cuts s to at most maxBytes bytes on a UTF-8 character boundary, marking the cut with
// Ellipsis, which counts towards maxBytes. s is returned as is when it fits. A maxBytes
// smaller than the ellipsis gives the ellipsis alone.
func Text(s string, maxBytes int) string {
	if len(s) <= maxBytes {
		return s
	}
	cut := max(maxBytes-len(Ellipsis), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + Ellipsis
}
