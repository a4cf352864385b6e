package main

import (
	"google.golang.org/protobuf/proto"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/resname"
)

// testPageToken builds the page token SearchRecords would issue at offset for a request with
// only a parent (the paging fields are not part of the fingerprint).
func testPageToken(parent string, offset int64) string {
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&integrationsv1.SearchRecordsRequest{Parent: parent})
	return resname.EncodePageToken(resname.PageToken{After: offset, Fingerprint: resname.Fingerprint("SearchRecords", string(b))})
}
