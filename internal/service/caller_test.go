package service

import (
	"context"
	"testing"

	"google.golang.org/grpc"

	"github.com/connectflo/integrations/internal/auth"
	"github.com/connectflo/integrations/internal/hubspot"
)

func TestNameCallerNamesHubSpotRequestsAfterTheAPIKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"an authenticated call is its key's", auth.WithPrincipal(t.Context(), auth.Principal{KeyID: "k7q2", Workspace: "acme"}), "apikey/k7q2"},
		{"two keys of one workspace are two callers", auth.WithPrincipal(t.Context(), auth.Principal{KeyID: "k9x1", Workspace: "acme"}), "apikey/k9x1"},
		{"a call without a key (public services) stays unnamed", t.Context(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got string
			_, err := NameCaller()(tt.ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/connectflo.integrations.v1.IntegrationService/GetRecord"},
				func(ctx context.Context, _ any) (any, error) {
					got = hubspot.CallerFrom(ctx)
					return nil, nil
				})
			if err != nil || got != tt.want {
				t.Errorf("caller %q, err %v; want %q", got, err, tt.want)
			}
		})
	}
}
