package main

import (
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

var pathVar = regexp.MustCompile(`\{([a-z_.]+)(=[^}]*)?\}`)

// escapedMark is utf8Mark once percent-encoded, and its replacement: bytes that are not UTF-8.
const escapedMark, escapedNotUTF8 = "%01BAD%01", "%FFBAD%FE"

// jsonMark is utf8Mark in JSON, and its replacement: a lone surrogate escape, which is no
// Unicode text.
const jsonMark, jsonNotUTF8 = `\u0001BAD\u0001`, `\udcffBAD\udcfe`

// restRequest builds the REST request of m from the method's HTTP rule: path variables from
// m's fields, then the rest as the JSON body ("*") or as query parameters. ok is false when
// JSON cannot express m (a timestamp out of range).
func restRequest(md protoreflect.MethodDescriptor, m proto.Message) (method, path, body string, ok bool) {
	rule := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
	var tmpl string
	switch p := rule.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		method, tmpl = "GET", p.Get
	case *annotations.HttpRule_Post:
		method, tmpl = "POST", p.Post
	case *annotations.HttpRule_Patch:
		method, tmpl = "PATCH", p.Patch
	case *annotations.HttpRule_Delete:
		method, tmpl = "DELETE", p.Delete
	}
	rest := proto.Clone(m)
	r := rest.ProtoReflect()
	path = pathVar.ReplaceAllStringFunc(tmpl, func(v string) string {
		// A dotted variable ({change_settings.name=...}) names a field of a message field.
		holder := r
		names := strings.Split(pathVar.FindStringSubmatch(v)[1], ".")
		for _, n := range names[:len(names)-1] {
			holder = holder.Mutable(holder.Descriptor().Fields().ByName(protoreflect.Name(n))).Message()
		}
		fd := holder.Descriptor().Fields().ByName(protoreflect.Name(names[len(names)-1]))
		val := holder.Get(fd).String()
		holder.Clear(fd)
		parts := strings.Split(val, "/")
		for i, p := range parts {
			parts[i] = url.PathEscape(p)
		}
		return strings.ReplaceAll(strings.Join(parts, "/"), escapedMark, escapedNotUTF8)
	})
	js, err := protojson.Marshal(rest)
	if err != nil {
		return "", "", "", false
	}
	if rule.GetBody() == "*" {
		return method, path, strings.ReplaceAll(string(js), jsonMark, jsonNotUTF8), true
	}
	var fields map[string]any
	json.Unmarshal(js, &fields)
	if b := rule.GetBody(); b != "" { // one field is the body, the others the query
		fd := r.Descriptor().Fields().ByName(protoreflect.Name(b))
		inner, _ := json.Marshal(fields[fd.JSONName()])
		if !r.Has(fd) {
			inner = []byte("{}")
		}
		delete(fields, fd.JSONName())
		body = strings.ReplaceAll(string(inner), jsonMark, jsonNotUTF8)
	}
	text := func(v any) string {
		if s, ok := v.(string); ok {
			return s
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	q := url.Values{}
	for k, v := range fields {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				q.Add(k, text(e))
			}
		case map[string]any: // no query form
		default:
			q.Set(k, text(v))
		}
	}
	if len(q) > 0 {
		path += "?" + strings.ReplaceAll(q.Encode(), escapedMark, escapedNotUTF8)
	}
	return method, path, body, true
}

// wrongJSONBodies are bodies of the wrong shape, and with each text field of base given a
// value of the wrong JSON type.
func wrongJSONBodies(base string) []struct{ name, body string } {
	out := []struct{ name, body string }{{"body is an array", `[]`}, {"body is a string", `"x"`}, {"body is a number", `42`},
		{"body is null", `null`}, {"body is truncated", base[:len(base)/2]}, {"body has an unknown field", `{"noSuchField":1}`}}
	var fields map[string]any
	if json.Unmarshal([]byte(base), &fields) != nil {
		return out
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, wrong := range []struct {
			name string
			v    any
		}{{"a number", 42}, {"an object", map[string]any{"a": 1}}, {"a list", []any{true}}, {"a huge number", 1e300}} {
			spoilt := map[string]any{}
			for kk, vv := range fields {
				spoilt[kk] = vv
			}
			spoilt[k] = wrong.v
			b, _ := json.Marshal(spoilt)
			out = append(out, struct{ name, body string }{k + " is " + wrong.name, string(b)})
		}
	}
	return out
}
