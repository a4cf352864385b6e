package rpcdecode

import (
	"errors"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// GatewayCodec is the codec of the REST gateway's loopback connection to the server. The
// gateway fills request messages from URL paths and queries without checking that the text is
// UTF-8, and protobuf refuses to encode such a message (grpc-go then answers INTERNAL, HTTP
// 500, before the call leaves). GatewayCodec encodes the text as it is, so that the server's
// Codec refuses it as it refuses the same bytes from a gRPC caller: INVALID_ARGUMENT naming the
// field, through the interceptors.
type GatewayCodec struct{ base encoding.CodecV2 }

// NewGatewayCodec returns the codec, over grpc-go's registered proto codec.
func NewGatewayCodec() *GatewayCodec { return &GatewayCodec{base: encoding.GetCodecV2("proto")} }

// Name is the content subtype the codec serves.
func (c *GatewayCodec) Name() string { return c.base.Name() }

// Unmarshal decodes like grpc-go's proto codec.
func (c *GatewayCodec) Unmarshal(data mem.BufferSlice, v any) error { return c.base.Unmarshal(data, v) }

// Marshal encodes like grpc-go's proto codec, and a message whose text is not UTF-8 as well.
func (c *GatewayCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(proto.Message)
	if !ok || InvalidUTF8Field(m) == "" {
		return c.base.Marshal(v)
	}
	b, err := marshalKeepingText(m.ProtoReflect())
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

// errUnsupportedMapKind: a map whose keys or values are neither text nor messages holds text
// that is not UTF-8 only in messages, which this encoder does not reach; none of the API's maps
// are such.
var errUnsupportedMapKind = errors.New("rpcdecode: map of scalar values other than text")

// marshalKeepingText encodes m with proto.Marshal, except the fields holding text that is not
// UTF-8: those are left out of it and appended encoded by hand (the wire format allows fields
// in any order, and repeated elements and map entries keep theirs).
func marshalKeepingText(m protoreflect.Message) ([]byte, error) {
	rest := proto.Clone(m.Interface()).ProtoReflect()
	var tail []byte
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if invalidIn(singleField(m, fd), "") == "" {
			return true
		}
		rest.Clear(fd)
		switch {
		case fd.IsList():
			for i := 0; i < v.List().Len() && err == nil; i++ {
				tail, err = appendValue(tail, fd, v.List().Get(i))
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				var entry []byte
				if entry, err = appendValue(nil, fd.MapKey(), k.Value()); err == nil {
					entry, err = appendValue(entry, fd.MapValue(), mv)
				}
				tail = protowire.AppendTag(tail, fd.Number(), protowire.BytesType)
				tail = protowire.AppendBytes(tail, entry)
				return err == nil
			})
		default:
			tail, err = appendValue(tail, fd, v)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	head, err := proto.Marshal(rest.Interface())
	return append(head, tail...), err
}

// singleField is a message of m's type holding only fd, for checking one field's text.
func singleField(m protoreflect.Message, fd protoreflect.FieldDescriptor) protoreflect.Message {
	one := m.New()
	one.Set(fd, m.Get(fd))
	return one
}

// appendValue appends one text or message value of fd (a list element, a map key or value).
func appendValue(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) ([]byte, error) {
	switch {
	case fd.Kind() == protoreflect.StringKind:
		b = protowire.AppendTag(b, fd.Number(), protowire.BytesType)
		return protowire.AppendString(b, v.String()), nil
	case fd.Message() != nil:
		inner, err := marshalKeepingText(v.Message())
		b = protowire.AppendTag(b, fd.Number(), protowire.BytesType)
		return protowire.AppendBytes(b, inner), err
	}
	return nil, errUnsupportedMapKind
}
