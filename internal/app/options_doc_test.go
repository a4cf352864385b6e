package app

import (
	"bufio"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// documentedOption is one row of the options table of docs/configuration.md, as far as the
// code decides it: the flag, the variable and the default. The Meaning column is prose for
// readers.
type documentedOption struct {
	Flag, Env, Default string
}

// TestConfigurationDocListsEveryOption: docs/configuration.md lists exactly the options of
// configOptions, with the same flags, variables and defaults. The page keeps its own longer
// prose, so the table is checked rather than generated: a failure shows the rows that differ.
func TestConfigurationDocListsEveryOption(t *testing.T) {
	var want []documentedOption
	for _, o := range configOptions(&Config{}) {
		d := documentedOption{Flag: "—", Env: "—", Default: "—"}
		if o.flag != "" {
			d.Flag = "--" + o.flag
		}
		if o.env != "" {
			d.Env = o.env
		}
		switch {
		case o.defaultDoc != "":
			d.Default = o.defaultDoc
		case o.def != "":
			d.Default = o.def
		case o.value.isBool:
			d.Default = "off"
		}
		want = append(want, d)
	}
	got := documentedOptions(t, configurationDoc)
	for _, rows := range [][]documentedOption{want, got} {
		sort.Slice(rows, func(i, j int) bool { return rows[i].Flag+rows[i].Env < rows[j].Flag+rows[j].Env })
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s %q table differs from configOptions (-code +docs):\n%s", configurationDoc, optionsHeading, diff)
	}
}

// configurationDoc is the page that documents every option, under optionsHeading.
const (
	configurationDoc = "../../docs/configuration.md"
	optionsHeading   = "## Options"
)

// documentedOptions reads the rows of the first table under optionsHeading, code spans
// unquoted ("`720h`" is 720h).
func documentedOptions(t *testing.T, path string) []documentedOption {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []documentedOption
	inSection, inTable := false, false
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			inSection = line == optionsHeading
		case inSection && strings.HasPrefix(line, "|"):
			inTable = true
			cells := strings.Split(strings.Trim(line, "|"), "|")
			if len(cells) < 4 {
				t.Fatalf("%s: options row %q: want 4 columns", path, line)
			}
			for i := range cells[:3] {
				cells[i] = strings.ReplaceAll(strings.TrimSpace(cells[i]), "`", "")
			}
			if cells[0] == "Flag" || strings.HasPrefix(cells[0], "---") {
				continue // header and its rule
			}
			rows = append(rows, documentedOption{Flag: cells[0], Env: cells[1], Default: cells[2]})
		case inTable:
			return rows // the table has ended
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s has no table under %q", path, optionsHeading)
	}
	return rows
}
