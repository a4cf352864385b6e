package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestFailOfACallerThatWentAway: an error that is only the caller's context ending (the
// PostgreSQL driver returns it mid-query) is CANCELLED or DEADLINE_EXCEEDED, not INTERNAL, and
// is not logged as an error; the same error while the caller still waits is INTERNAL.
func TestFailOfACallerThatWentAway(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithTimeout(context.Background(), 0)
	defer cancel2()
	for _, tc := range []struct {
		name     string
		ctx      context.Context
		err      error
		want     codes.Code
		errorLog bool
	}{
		{"cancelled mid-query", cancelled, fmt.Errorf("store: read: %w", context.Canceled), codes.Canceled, false},
		{"deadline passed mid-query", expired, fmt.Errorf("store: read: %w", context.DeadlineExceeded), codes.DeadlineExceeded, false},
		{"a context error while the caller waits", context.Background(), fmt.Errorf("store: read: %w", context.Canceled), codes.Internal, true},
		{"another error of a caller that went away", cancelled, errors.New("disk full"), codes.Internal, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			s := &Service{logger: slog.New(slog.NewTextHandler(&logs, nil))}
			got := status.Code(s.fail(tc.ctx, tc.err))
			if got != tc.want {
				t.Errorf("code %v, want %v", got, tc.want)
			}
			if logged := bytes.Contains(logs.Bytes(), []byte("level=ERROR")); logged != tc.errorLog {
				t.Errorf("logged an error: %v, want %v\n%s", logged, tc.errorLog, logs.String())
			}
		})
	}
}
