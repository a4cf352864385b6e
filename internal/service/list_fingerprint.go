package service

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/connectflo/integrations/internal/resname"
)

// requestFingerprint identifies a list request without its paging fields, so that a page
// token is only accepted on the request it came from (AIP-158).
func requestFingerprint(method string, req proto.Message) uint64 {
	m := proto.Clone(req)
	r := m.ProtoReflect()
	for _, f := range []protoreflect.Name{"page_token", "page_size"} {
		if fd := r.Descriptor().Fields().ByName(f); fd != nil {
			r.Clear(fd)
		}
	}
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	return resname.Fingerprint(method, string(b))
}
