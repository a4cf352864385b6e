package service

import (
	"testing"

	"github.com/connectflo/integrations/internal/conditions"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// TestEveryConditionIssueHasItsReason: each compile issue code has a reason of its own in the
// ErrorReason enum, CONDITION_ and the code, as callers have always seen it.
func TestEveryConditionIssueHasItsReason(t *testing.T) {
	for _, code := range conditions.IssueCodes {
		got, ok := conditionIssueReasons[code]
		if !ok {
			t.Errorf("issue code %s has no reason", code)
			continue
		}
		if want := "CONDITION_" + string(code); got != want || !rpcerr.IsReason(got) {
			t.Errorf("issue code %s: reason %q (in the enum: %v), want %q", code, got, rpcerr.IsReason(got), want)
		}
	}
	if len(conditionIssueReasons) != len(conditions.IssueCodes) {
		t.Errorf("%d reasons for %d issue codes", len(conditionIssueReasons), len(conditions.IssueCodes))
	}
}
