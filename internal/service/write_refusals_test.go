package service

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/hubspot"
)

// TestClearThenSet: allow_lifecycle_stage_backward acts only on HubSpot's lifecycle refusal:
// it clears the stage, then writes the request's properties again; a failure of either write
// is the call's error, and after a failed second write the stage stays cleared.
func TestClearThenSet(t *testing.T) {
	t.Parallel()
	backward := &hubspot.APIError{StatusCode: 400, Category: "VALIDATION_ERROR", Violations: []hubspot.Violation{
		{PropertyName: "lifecyclestage", Code: hubspot.CodeLifecycleStageBackward, Current: "customer", Requested: "lead"}}}
	other := &hubspot.APIError{StatusCode: 400, Category: "VALIDATION_ERROR", Violations: []hubspot.Violation{
		{PropertyName: "lifecyclestage", Code: "INVALID_OPTION"}}}
	down := errors.New("hubspot down")
	props := map[string]string{"lifecyclestage": "lead", "firstname": "Ada"}
	cleared := map[string]string{"lifecyclestage": ""}
	tests := []struct {
		name       string
		refused    error
		failures   []error // what each write answers, in order
		wantWrites []map[string]string
		wantErr    error
	}{
		{"another refusal is answered as is", other, nil, nil, other},
		{"clear, then set", backward, []error{nil, nil}, []map[string]string{cleared, props}, nil},
		{"the clear fails", backward, []error{down}, []map[string]string{cleared}, down},
		{"the set fails after the clear", backward, []error{nil, down}, []map[string]string{cleared, props}, down},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var writes []map[string]string
			write := func(_ context.Context, p map[string]string) (string, error) {
				writes = append(writes, p)
				if len(writes) > len(tt.failures) {
					t.Fatalf("write %d was not expected", len(writes))
				}
				if err := tt.failures[len(writes)-1]; err != nil {
					return "", err
				}
				return "ok", nil
			}
			_, err := clearThenSet(t.Context(), fmt.Errorf("update: %w", tt.refused), write, props)
			if diff := cmp.Diff(tt.wantWrites, writes); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.wantErr) { // errors.Is(nil, nil) holds
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
