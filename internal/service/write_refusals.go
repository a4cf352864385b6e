package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"

	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// ruleRefusal maps HubSpot's refusals of a record write that come from its rules rather than
// from a value alone: a lifecycle stage moved backward (FAILED_PRECONDITION, reason
// LIFECYCLE_STAGE_BACKWARD, naming both stages by label) and properties that HubSpot or the
// account's admin requires (INVALID_ARGUMENT, one field violation per property, naming the
// rule). It returns nil for any other error. schema labels the values; singular names the
// object ("contact").
func ruleRefusal(err error, schema *fields.Schema, singular string) error {
	if v, ok := hubspot.LifecycleStageBackward(err); ok {
		return lifecycleBackward(v, schema, singular)
	}
	var apiErr *hubspot.APIError
	if !errors.Is(err, hubspot.ErrValidation) || !errors.As(err, &apiErr) {
		return nil
	}
	for _, v := range apiErr.Violations {
		if v.Code == hubspot.CodeMissingRequiredProperty || v.Code == hubspot.CodeMissingConditionalRequiredProperty {
			return refusedValues(apiErr, schema, singular)
		}
	}
	return nil
}

// refusedValues is HubSpot's verdict on a write's values: INVALID_ARGUMENT with one field
// violation per property it named, saying what was wrong with it.
func refusedValues(apiErr *hubspot.APIError, schema *fields.Schema, singular string) error {
	var vs []rpcerr.Violation
	for _, v := range apiErr.Violations {
		field := "properties"
		if v.PropertyName != "" {
			field = "properties." + v.PropertyName
		}
		vs = append(vs, rpcerr.Violation{Field: field, Description: violationDescription(v, schema, singular)})
	}
	return rpcerr.Invalid(rpcerr.ReasonHubSpotRejectedValue, "HubSpot refused the "+singular, nil, vs...)
}

// violationDescription says why HubSpot refused one property: a value it refused, a property
// it requires on create, or one the account's admin made required (by label when the schema
// knows the condition's field and option).
func violationDescription(v hubspot.Violation, schema *fields.Schema, singular string) string {
	switch v.Code {
	case hubspot.CodeMissingRequiredProperty:
		return "HubSpot requires it to create the " + singular + "; set it: " + v.Message
	case hubspot.CodeMissingConditionalRequiredProperty:
		if v.WhenProperty == "" {
			return "required by a rule of the HubSpot account; set it: " + v.Message
		}
		return fmt.Sprintf("required when %s is %s (a rule of the HubSpot account); set it", fieldLabel(schema, v.WhenProperty),
			optionLabel(schema, v.WhenProperty, v.WhenValue))
	}
	return "HubSpot refused the value: " + v.Message
}

// lifecycleBackward is the FAILED_PRECONDITION for a lifecycle stage moved backward.
func lifecycleBackward(v hubspot.Violation, schema *fields.Schema, singular string) error {
	field := "properties." + v.PropertyName
	msg := fmt.Sprintf("HubSpot only moves %s forward: the %s is at %s and the request sets the earlier %s; "+
		"to move it back, send the request again with allow_lifecycle_stage_backward set (the service clears the stage, then sets it)",
		v.PropertyName, singular, optionLabel(schema, v.PropertyName, v.Current), optionLabel(schema, v.PropertyName, v.Requested))
	return rpcerr.New(codes.FailedPrecondition, rpcerr.ReasonLifecycleStageBackward, msg,
		map[string]string{"field": field, "current": v.Current, "requested": v.Requested},
		&errdetails.PreconditionFailure{Violations: []*errdetails.PreconditionFailure_Violation{{
			Type: "LIFECYCLE_STAGE", Subject: field, Description: msg}}})
}

// clearThenSet is what allow_lifecycle_stage_backward does once HubSpot refused a write for
// moving the lifecycle stage backward, as HubSpot's docs advise: clear the stage, then write
// again (https://developers.hubspot.com/docs/guides/api/crm/objects/contacts). write sends
// properties; the refused write's own error is returned when refused is not such a refusal.
func clearThenSet[T any](ctx context.Context, refused error, write func(context.Context, map[string]string) (T, error), props map[string]string) (T, error) {
	var zero T
	v, ok := hubspot.LifecycleStageBackward(refused)
	if !ok {
		return zero, refused
	}
	if _, err := write(ctx, map[string]string{v.PropertyName: ""}); err != nil {
		return zero, err
	}
	return write(ctx, props)
}

func fieldLabel(schema *fields.Schema, name string) string {
	if schema == nil {
		return name
	}
	if f, ok := schema.Field(name); ok && f.Label != "" {
		return fmt.Sprintf("%s (%s)", quote(f.Label), name)
	}
	return name
}

// optionLabel names a choice value by its label, with the value: "Customer" (customer).
func optionLabel(schema *fields.Schema, name, value string) string {
	if schema == nil {
		return quote(value)
	}
	if f, ok := schema.Field(name); ok {
		for _, o := range f.Options {
			if o.Value == value && o.Label != "" && o.Label != value {
				return fmt.Sprintf("%s (%s)", quote(o.Label), value)
			}
		}
	}
	return quote(value)
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// singularOf names one record of an object type in messages: "companies" → "company".
func singularOf(objectType string) string {
	if stem, ok := strings.CutSuffix(objectType, "ies"); ok {
		return stem + "y"
	}
	return strings.TrimSuffix(objectType, "s")
}
