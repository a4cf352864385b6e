package app

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// option is one setting: where it is read from, its default, what it is for, and how its
// text becomes a Config field. The table of them is configOptions.
type option struct {
	flag       string      // flag name without dashes; "" when only the environment sets it
	env        string      // environment variable; "" when only a flag sets it
	def        string      // default, written as a user would; "" for none (the field stays zero)
	defaultDoc string      // the default in words, when it is worked out at start (--key-file)
	help       string      // what it is for; the rule, the default and the variable are added
	value      valueParser // parses and checks the text into a Config field
	notInDemo  bool        // demo mode keeps its own: the flag is refused, the variable ignored
	secret     bool        // the value never appears in a message
}

// name is how messages call the option: its flag, or its variable when it has no flag.
func (o option) name() string {
	if o.flag != "" {
		return "--" + o.flag
	}
	return o.env
}

// usage is the option's line in --help.
func (o option) usage() string {
	var notes []string
	if o.value.want != "" && !o.value.isBool {
		notes = append(notes, o.value.want)
	}
	if o.defaultDoc != "" {
		notes = append(notes, "default "+o.defaultDoc)
	}
	switch {
	case o.env != "" && o.flag != "" && o.value.isBool:
		notes = append(notes, "env "+o.env+": "+o.value.want) // a bare flag needs no value, the variable does
	case o.env != "" && o.flag != "":
		notes = append(notes, "env "+o.env)
	}
	if len(notes) == 0 {
		return o.help
	}
	return o.help + " (" + strings.Join(notes, "; ") + ")"
}

// refusal is the error for text the option does not take, naming where the text came from
// (the flag or the variable) and what is wanted.
func (o option) refusal(from, text string) error {
	want := strings.ReplaceAll(o.value.want, "`", "")
	if o.secret {
		return fmt.Errorf("%s: want %s", from, want)
	}
	return fmt.Errorf("%s %q: want %s", from, text, want)
}

// flagValue holds what a flag was given. Parsing waits until every source is known, so that
// a refusal names the source the text came from.
type flagValue struct {
	text   string
	given  bool
	isBool bool
}

func (v *flagValue) String() string {
	if v == nil {
		return ""
	}
	return v.text
}

func (v *flagValue) Set(s string) error {
	v.text, v.given = s, true
	return nil
}

// IsBoolFlag lets a boolean option be given as a bare --name.
func (v *flagValue) IsBoolFlag() bool { return v.isBool }

// optionSet is a group of options bound to one FlagSet.
type optionSet struct {
	opts  []option
	flags []*flagValue // by index of opts; nil for an option without a flag
}

// bindOptions declares the flags of opts on fs, with their defaults and help.
func bindOptions(fs *flag.FlagSet, opts []option) *optionSet {
	s := &optionSet{opts: opts, flags: make([]*flagValue, len(opts))}
	for i, o := range opts {
		if o.flag == "" {
			continue
		}
		s.flags[i] = &flagValue{text: o.def, isBool: o.value.isBool}
		fs.Var(s.flags[i], o.flag, o.usage())
	}
	return s
}

// apply sets the Config fields of the options that keep selects, each from its flag if given,
// else from its environment variable if set, else from its default. It returns one error per
// refused value.
func (s *optionSet) apply(getenv func(string) string, keep func(option) bool) []error {
	var errs []error
	for i, o := range s.opts {
		if !keep(o) {
			continue
		}
		text, from := o.def, "the default of "+o.name() // a refused default is a bug in the table, caught by every test that parses the defaults
		if f := s.flags[i]; f != nil && f.given {
			text, from = f.text, "--"+o.flag
		} else if v := lookupEnv(getenv, o.env); v != "" {
			text, from = v, o.env
		} else if text == "" {
			continue // no default: the field stays zero
		}
		if !o.value.set(text) {
			errs = append(errs, o.refusal(from, text))
		}
	}
	return errs
}

// given returns the flags of the options keep selects that the command line gave.
func (s *optionSet) given(keep func(option) bool) []string {
	var names []string
	for i, o := range s.opts {
		if f := s.flags[i]; f != nil && f.given && keep(o) {
			names = append(names, o.name())
		}
	}
	return names
}

// printEnvOnly writes the help of the options that only the environment sets, which a
// FlagSet cannot list.
func (s *optionSet) printEnvOnly(w io.Writer) {
	for _, o := range s.opts {
		if o.flag == "" {
			fmt.Fprintf(w, "  %s (environment only)\n    \t%s\n", o.env, strings.ReplaceAll(o.usage(), "`", ""))
		}
	}
}

// printDemoNote writes which options demo mode does not read, so that --help says it where
// the table decides it.
func (s *optionSet) printDemoNote(w io.Writer) {
	var flags, vars []string
	for _, o := range s.opts {
		if !o.notInDemo {
			continue
		}
		if o.flag != "" {
			flags = append(flags, "--"+o.flag)
		}
		if o.env != "" {
			vars = append(vars, o.env)
		}
	}
	fmt.Fprintf(w, "Demo mode (--sandbox) keeps its database and keys in a temporary folder: it refuses %s and ignores %s.\n",
		listWords(flags, "and"), listWords(vars, "and"))
}

func lookupEnv(getenv func(string) string, name string) string {
	if name == "" {
		return ""
	}
	return getenv(name)
}

func readInDemo(o option) bool { return !o.notInDemo }
func notInDemo(o option) bool  { return o.notInDemo }
func every(option) bool        { return true }
