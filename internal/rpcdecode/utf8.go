package rpcdecode

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// replaceInvalidUTF8 walks the wire bytes of a message of type md and returns them with every
// string field (nested messages, lists and maps included) made valid UTF-8, and the path of the
// first field that was not, e.g. "timeline_event.metadata.topic" or "inputs[2].email" ("" when
// every string was valid). Unknown fields are kept as they are.
func replaceInvalidUTF8(md protoreflect.MessageDescriptor, b []byte, prefix string) (out []byte, first string, err error) {
	seen := map[protowire.Number]int{} // occurrences of each list field so far, for indexes
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, "", protowire.ParseError(n)
		}
		vn := protowire.ConsumeFieldValue(num, typ, b[n:])
		if vn < 0 {
			return nil, "", protowire.ParseError(vn)
		}
		field, value := b[:n+vn], b[n:n+vn]
		b = b[n+vn:]
		fd := md.Fields().ByNumber(num)
		if fd == nil || typ != protowire.BytesType || (fd.Kind() != protoreflect.StringKind && fd.Message() == nil) {
			out = append(out, field...)
			continue
		}
		payload, _ := protowire.ConsumeBytes(value)
		path := prefix + string(fd.Name())
		if fd.IsList() {
			path += "[" + strconv.Itoa(seen[num]) + "]"
			seen[num]++
		}
		var bad string
		switch {
		case fd.Kind() == protoreflect.StringKind:
			if !utf8.Valid(payload) {
				bad, payload = path, []byte(strings.ToValidUTF8(string(payload), "\uFFFD"))
			}
		case fd.IsMap():
			payload, bad, err = replaceInMapEntry(fd, payload, path)
		default:
			payload, bad, err = replaceInvalidUTF8(fd.Message(), payload, path+".")
		}
		if err != nil {
			return nil, "", err
		}
		if first == "" {
			first = bad
		}
		out = protowire.AppendTag(out, num, typ)
		out = protowire.AppendBytes(out, payload)
	}
	return out, first, nil
}

// replaceInMapEntry is replaceInvalidUTF8 for one map entry; a bad value is named by its key
// ("metadata.topic"), a bad key by the map.
func replaceInMapEntry(fd protoreflect.FieldDescriptor, entry []byte, path string) ([]byte, string, error) {
	keyPath := path
	if fd.MapKey().Kind() == protoreflect.StringKind {
		if key := decodeKey(fd.Message(), entry); utf8.ValidString(key) {
			keyPath = path + "." + key
		}
	}
	out, bad, err := replaceInvalidUTF8(fd.Message(), entry, "")
	switch {
	case err != nil:
		return nil, "", err
	case bad == "key":
		bad = path
	case bad != "":
		bad = keyPath + strings.TrimPrefix(bad, "value")
	}
	return out, bad, nil
}

// decodeKey returns the string key of a map entry ("" if absent).
func decodeKey(entry protoreflect.MessageDescriptor, b []byte) string {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ""
		}
		vn := protowire.ConsumeFieldValue(num, typ, b[n:])
		if vn < 0 {
			return ""
		}
		if num == entry.Fields().ByName("key").Number() && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b[n : n+vn])
			return string(v)
		}
		b = b[n+vn:]
	}
	return ""
}

// InvalidUTF8Field returns the path of the first string field of m that is not valid UTF-8
// ("" if none): a message built in memory with such text (the REST gateway fills messages from
// URL paths and queries without checking) is one proto refuses to encode.
func InvalidUTF8Field(m proto.Message) string {
	return invalidIn(m.ProtoReflect(), "")
}

func invalidIn(m protoreflect.Message, prefix string) string {
	var bad string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		path := prefix + string(fd.Name())
		switch {
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				ks := k.String()
				if fd.MapKey().Kind() == protoreflect.StringKind && !utf8.ValidString(ks) {
					bad = path
				} else if fd.MapValue().Kind() == protoreflect.StringKind && !utf8.ValidString(mv.String()) {
					bad = path + "." + ks
				} else if fd.MapValue().Message() != nil {
					bad = invalidIn(mv.Message(), path+"."+ks+".")
				}
				return bad == ""
			})
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && bad == ""; i++ {
				bad = invalidValue(fd, l.Get(i), fmt.Sprintf("%s[%d]", path, i))
			}
		default:
			bad = invalidValue(fd, v, path)
		}
		return bad == ""
	})
	return bad
}

func invalidValue(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string) string {
	switch {
	case fd.Kind() == protoreflect.StringKind && !utf8.ValidString(v.String()):
		return path
	case fd.Message() != nil:
		return invalidIn(v.Message(), path+".")
	}
	return ""
}
