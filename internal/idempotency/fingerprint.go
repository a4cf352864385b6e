package idempotency

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxElementDigests bounds the per-element digests of a repeated field (a batch of 1,000
// contacts): the elements past it share one digest, so a row stays small whatever the batch.
const maxElementDigests = 100

// digestLen is how much of a field's SHA-256 is kept: enough to tell two values apart, short
// enough that a hundred of them stay a few KB.
const digestLen = 8

// requestPrint identifies a request apart from its request_id: the method, a hash of the
// whole request, and a hash per field so that a reused request_id can say what differs.
//
// The hashes cover every field, a Connect's access_token included: SHA-256 of a token that
// carries a random UUID reveals nothing that could be turned back into it.
type requestPrint struct {
	method string
	sum    []byte
	fields []fieldDigest // in field order; list elements in index order
}

// fieldDigest is the hash of one field, or one element of a repeated field.
type fieldDigest struct{ path, sum string }

// marshalDeterministic encodes m the same way for the same content (map entries sorted), so a
// request sent twice, over gRPC or through the REST gateway, hashes the same.
var marshalDeterministic = proto.MarshalOptions{Deterministic: true}

// fingerprint hashes req without the field requestID.
func fingerprint(method string, req proto.Message, requestID protoreflect.FieldDescriptor) (requestPrint, error) {
	m := proto.Clone(req).ProtoReflect()
	m.Clear(requestID)
	whole, err := marshalDeterministic.Marshal(m.Interface())
	if err != nil {
		return requestPrint{}, err
	}
	sum := sha256.Sum256(whole)
	p := requestPrint{method: method, sum: sum[:]}
	fds := m.Descriptor().Fields()
	for i := range fds.Len() {
		fd := fds.Get(i)
		if !m.Has(fd) {
			continue
		}
		if !fd.IsList() {
			d, err := digestOf(m, fd, m.Get(fd))
			if err != nil {
				return requestPrint{}, err
			}
			p.fields = append(p.fields, fieldDigest{string(fd.Name()), d})
			continue
		}
		list := m.Get(fd).List()
		for j := 0; j < list.Len(); j++ {
			only := m.New()
			dst := only.Mutable(fd).List()
			path := fmt.Sprintf("%s[%d]", fd.Name(), j)
			if j == maxElementDigests {
				for ; j < list.Len(); j++ {
					dst.Append(list.Get(j))
				}
				path = fmt.Sprintf("%s[%d:]", fd.Name(), maxElementDigests)
			} else {
				dst.Append(list.Get(j))
			}
			d, err := digestOf(only, fd, only.Get(fd))
			if err != nil {
				return requestPrint{}, err
			}
			p.fields = append(p.fields, fieldDigest{path, d})
		}
	}
	return p, nil
}

// digestOf hashes field fd holding v, alone in a message of m's type.
func digestOf(m protoreflect.Message, fd protoreflect.FieldDescriptor, v protoreflect.Value) (string, error) {
	only := m.New()
	only.Set(fd, v)
	b, err := marshalDeterministic.Marshal(only.Interface())
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:digestLen]), nil
}

// sameRequest reports whether two prints are of the same request.
func sameRequest(a requestPrint, method string, sum []byte) bool {
	return a.method == method && bytes.Equal(a.sum, sum)
}

// encodeFields stores the field digests as "path=digest" lines.
func encodeFields(fields []fieldDigest) string {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f.path + "=" + f.sum + "\n")
	}
	return b.String()
}

// decodeFields reads what encodeFields wrote.
func decodeFields(s string) []fieldDigest {
	var out []fieldDigest
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if path, sum, ok := strings.Cut(line, "="); ok {
			out = append(out, fieldDigest{path, sum})
		}
	}
	return out
}

// firstDifference names the first field, in field order, whose value differs between the
// first request (its stored digests) and this one: set in one and not in the other, or set
// to another value. It is "" when the digests agree (a difference they cannot show).
func firstDifference(first []fieldDigest, now []fieldDigest) string {
	was := make(map[string]string, len(first))
	for _, f := range first {
		was[f.path] = f.sum
	}
	is := make(map[string]string, len(now))
	for _, f := range now {
		is[f.path] = f.sum
	}
	// Walk both in order; the earlier list position wins, the first request's on a tie.
	for i := 0; i < max(len(first), len(now)); i++ {
		if i < len(first) && is[first[i].path] != first[i].sum {
			return first[i].path
		}
		if i < len(now) && was[now[i].path] != now[i].sum {
			return now[i].path
		}
	}
	return ""
}
