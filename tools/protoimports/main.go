// Command protoimports writes google/api/field_behavior.proto and google/api/resource.proto
// into a folder, printed from the descriptors that the Go module
// google.golang.org/genproto/googleapis/api compiles in.
//
// scripts/generate needs them as .proto source for buf, and no module in the Go module cache
// ships their source (grpc-gateway v1's third_party holds only annotations.proto, http.proto
// and httpbody.proto). Printing them from genproto's registered descriptors gives exactly the
// definitions, extension numbers and go_package of the Go package that the generated code then
// imports; only their comments are missing, which nothing reads. Like the rest of third_party/,
// the output is never committed.
//
// Usage: go run ./protoimports DIR (from tools/), which writes DIR/google/api/*.proto.
package main

import (
	"fmt"
	"os"

	"github.com/jhump/protoreflect/v2/protoprint"
	"google.golang.org/protobuf/reflect/protoreflect"

	"google.golang.org/genproto/googleapis/api/annotations"
)

// files are the protos printed: the ones our API imports beyond what grpc-gateway v1 ships.
var files = []protoreflect.FileDescriptor{
	annotations.File_google_api_field_behavior_proto,
	annotations.File_google_api_resource_proto,
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: protoimports DIR")
		os.Exit(2)
	}
	p := &protoprint.Printer{}
	if err := p.PrintProtosToFileSystem(files, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "protoimports:", err)
		os.Exit(1)
	}
}
