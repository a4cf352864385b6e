package conditions

import (
	"regexp"
	"strings"
)

// The parser reports syntax errors in ANTLR's terms, with the grammar's token list; these
// patterns keep the part an author can act on.
var (
	mismatchedInput = regexp.MustCompile(`^Syntax error: (?:mismatched|extraneous) input '(.*)' expecting .*$`)
	missingToken    = regexp.MustCompile(`^Syntax error: missing '(.*)' at '(.*)'$`)
	tokenError      = regexp.MustCompile(`^Syntax error: token recognition error at: '(.*)'$`)
)

// syntaxMessage rewrites a parser message for a workflow author.
func syntaxMessage(msg string) string {
	if m := mismatchedInput.FindStringSubmatch(msg); m != nil {
		if m[1] == "<EOF>" {
			return "syntax error: the condition ends too early"
		}
		return "syntax error: unexpected '" + m[1] + "'"
	}
	if m := missingToken.FindStringSubmatch(msg); m != nil {
		at := "'" + m[2] + "'"
		if m[2] == "<EOF>" {
			at = "the end"
		}
		return "syntax error: missing '" + m[1] + "' before " + at
	}
	if m := tokenError.FindStringSubmatch(msg); m != nil {
		return "syntax error: unexpected character '" + m[1] + "'"
	}
	if strings.HasPrefix(msg, "expression recursion limit exceeded") || msg == "max recursion depth exceeded" {
		return "the condition is nested too deeply; split it into simpler parts"
	}
	if rest, ok := strings.CutPrefix(msg, "Syntax error: "); ok {
		return "syntax error: " + rest
	}
	return msg
}
