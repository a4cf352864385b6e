package upsert_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/upsert"
)

func TestCheckContact(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		email string
		props map[string]string
		want  *upsert.ContactError // nil when accepted
	}{
		{"email alone", "ada@example.com", nil, nil},
		{"the same email as a property", "ada@example.com", map[string]string{"email": " ADA@example.com "}, nil},
		{"no email", " ", nil, &upsert.ContactError{Field: "email", Message: "is required: the contact's email, e.g. ada@example.com"}},
		{"another email as a property", "ada@example.com", map[string]string{"email": "bob@example.com"},
			&upsert.ContactError{Field: "properties.email", Message: "differs from the contact's email; the email identifies the contact and cannot be changed by an upsert"}},
		{"an empty email property", "ada@example.com", map[string]string{"email": ""},
			&upsert.ContactError{Field: "properties.email", Message: "differs from the contact's email; the email identifies the contact and cannot be changed by an upsert"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := upsert.CheckContact(tc.email, tc.props)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("CheckContact = %v; want the contact accepted", err)
				}
				return
			}
			ce, ok := errors.AsType[*upsert.ContactError](err)
			if !ok || !errors.Is(err, upsert.ErrInvalidContact) {
				t.Fatalf("CheckContact = %v; want a *ContactError matching ErrInvalidContact", err)
			}
			if diff := cmp.Diff(tc.want, ce); diff != "" {
				t.Errorf("CheckContact (-want +got):\n%s", diff)
			}
		})
	}
}
