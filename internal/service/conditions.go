package service

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

	integrationsv1 "github.com/connectflo/integrations/gen/connectflo/integrations/v1"
	"github.com/connectflo/integrations/internal/conditions"
	"github.com/connectflo/integrations/internal/fields"
	"github.com/connectflo/integrations/internal/handles"
	"github.com/connectflo/integrations/internal/hubspot"
	"github.com/connectflo/integrations/internal/records"
	"github.com/connectflo/integrations/internal/resname"
	"github.com/connectflo/integrations/internal/rpcerr"
)

// compileCondition type-checks an expression against a connection's discovered fields,
// through the compiled conditions its handle keeps.
func (s *Service) compileCondition(ctx context.Context, connection, expression string) (*conditions.Program, *handles.Handle, error) {
	name, err := resname.ParseConnection("connection", connection)
	if err != nil {
		return nil, nil, s.fail(ctx, err)
	}
	if err := authorize(ctx, name.Workspace); err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(expression) == "" {
		return nil, nil, rpcerr.InvalidArgument(rpcerr.Violation{Field: "expression",
			Description: "is required: a CEL condition such as contact.lifecyclestage == \"customer\""})
	}
	h, err := s.handles.Get(ctx, name)
	if err != nil {
		return nil, nil, s.failFor(ctx, err, name.String())
	}
	p, err := h.Compile(ctx, expression)
	var ce *conditions.ConditionError
	if errors.As(err, &ce) {
		return nil, nil, conditionErrorStatus(ce)
	}
	if err != nil {
		return nil, nil, s.failFor(ctx, err, name.String())
	}
	return p, h, nil
}

// conditionErrorStatus is INVALID_ARGUMENT with each issue placed in the expression.
func conditionErrorStatus(ce *conditions.ConditionError) error {
	var vs []rpcerr.Violation
	for _, is := range ce.Issues {
		vs = append(vs, rpcerr.Violation{Field: "expression", Description: fmt.Sprintf("line %d, column %d: %s", is.Line, is.Column, is.Message)})
	}
	first := ce.Issues[0]
	return rpcerr.Invalid(conditionIssueReason(first.Code), "invalid condition", map[string]string{
		"line": fmt.Sprint(first.Line), "column": fmt.Sprint(first.Column), "offset": fmt.Sprint(first.Offset), "issue": string(first.Code)}, vs...)
}

// conditionIssueReasons is the error reason of each compile issue.
var conditionIssueReasons = map[conditions.IssueCode]string{
	conditions.CodeSyntax:          rpcerr.ReasonConditionSyntax,
	conditions.CodeTooLong:         rpcerr.ReasonConditionTooLong,
	conditions.CodeUnknownName:     rpcerr.ReasonConditionUnknownName,
	conditions.CodeUnknownField:    rpcerr.ReasonConditionUnknownField,
	conditions.CodeUnknownOption:   rpcerr.ReasonConditionUnknownOption,
	conditions.CodeEmptyComparison: rpcerr.ReasonConditionEmptyComparison,
	conditions.CodeTypeMismatch:    rpcerr.ReasonConditionTypeMismatch,
	conditions.CodeNotBool:         rpcerr.ReasonConditionNotBool,
	conditions.CodeTooCostly:       rpcerr.ReasonConditionTooCostly,
	conditions.CodeInvalid:         rpcerr.ReasonConditionInvalid,
}

// conditionIssueReason is the reason of an issue code; CONDITION_INVALID ("anything else CEL
// refuses") for a code without one of its own, which a test rules out.
func conditionIssueReason(code conditions.IssueCode) string {
	if r, ok := conditionIssueReasons[code]; ok {
		return r
	}
	return rpcerr.ReasonConditionInvalid
}

// ValidateCondition compiles and type-checks a condition.
func (s *Service) ValidateCondition(ctx context.Context, req *integrationsv1.ValidateConditionRequest) (*integrationsv1.ValidateConditionResponse, error) {
	p, h, err := s.compileCondition(ctx, req.GetConnection(), req.GetExpression())
	if err != nil {
		return nil, err
	}
	return &integrationsv1.ValidateConditionResponse{ReferencedFields: p.Fields(), SchemaVersion: h.Connection().SchemaVersion}, nil
}

// EvaluateCondition evaluates a condition against live records, fetching only the fields it reads.
func (s *Service) EvaluateCondition(ctx context.Context, req *integrationsv1.EvaluateConditionRequest) (*integrationsv1.EvaluateConditionResponse, error) {
	ref, err := checkEvaluationInputs(req)
	if err != nil {
		return nil, err
	}
	p, h, err := s.compileCondition(ctx, req.GetConnection(), req.GetExpression())
	if err != nil {
		return nil, err
	}
	need := map[string][]string{} // object → properties the expression reads
	for _, f := range p.Fields() {
		obj, prop, _ := strings.Cut(f, ".")
		need[obj] = append(need[obj], prop)
	}
	hasContact := ref.GetId() != "" || ref.GetEmail() != ""
	var missing []rpcerr.Violation
	if (len(need["contact"]) > 0 || req.GetResolveAssociations()) && !hasContact {
		missing = append(missing, rpcerr.Violation{Field: "contact", Description: "the condition reads contact fields (or resolve_associations is set): give the contact's id or email"})
	}
	if len(need["company"]) > 0 && req.GetCompanyId() == "" && !req.GetResolveAssociations() {
		missing = append(missing, rpcerr.Violation{Field: "company_id", Description: "the condition reads company fields: give company_id, or set resolve_associations to use the contact's primary company"})
	}
	if len(need["deal"]) > 0 && req.GetDealId() == "" && !req.GetResolveAssociations() {
		missing = append(missing, rpcerr.Violation{Field: "deal_id", Description: "the condition reads deal fields: give deal_id, or set resolve_associations to use the contact's most recent open deal"})
	}
	if len(missing) > 0 {
		return nil, rpcerr.InvalidArgument(missing...)
	}
	name, c := h.Name(), h.Connection()
	client, err := h.Client(ctx)
	if err != nil {
		return nil, s.failFor(ctx, err, name.String())
	}
	resp := &integrationsv1.EvaluateConditionResponse{CompanyId: req.GetCompanyId(), DealId: req.GetDealId()}
	var recs conditions.Records
	if hasContact {
		o, err := fetchContact(ctx, client, ref, need["contact"])
		if err != nil {
			return nil, s.recordError(ctx, err, resname.Record{ObjectCollection: resname.ObjectCollection{Connection: name, ObjectType: "contacts"}, ID: ref.GetId() + ref.GetEmail()})
		}
		resp.ContactId, recs.Contact = o.ID.String(), o.Properties
		if req.GetResolveAssociations() {
			if resp.CompanyId == "" && len(need["company"]) > 0 {
				if resp.CompanyId, err = primaryCompany(ctx, client, resp.ContactId); err != nil {
					return nil, s.failFor(ctx, err, name.String())
				}
			}
			if resp.DealId == "" && len(need["deal"]) > 0 {
				if resp.DealId, err = latestOpenDeal(ctx, client, dealSchema(ctx, h), resp.ContactId); err != nil {
					return nil, s.failFor(ctx, err, name.String())
				}
			}
		}
	}
	for _, x := range []struct {
		id, objectType string
		into           *map[string]string
		props          []string
	}{{resp.CompanyId, "companies", &recs.Company, need["company"]}, {resp.DealId, "deals", &recs.Deal, need["deal"]}} {
		if x.id == "" || len(x.props) == 0 {
			continue
		}
		o, err := client.GetObject(ctx, x.objectType, x.id, hubspot.GetObjectOptions{Properties: x.props})
		if err != nil {
			return nil, s.recordError(ctx, err, resname.Record{ObjectCollection: resname.ObjectCollection{Connection: name, ObjectType: x.objectType}, ID: x.id})
		}
		*x.into = o.Properties
	}
	now := time.Now()
	if req.GetNow() != nil {
		now = req.GetNow().AsTime()
	}
	if loc, err := time.LoadLocation(c.AccountTimeZone); err == nil && c.AccountTimeZone != "" {
		now = now.In(loc) // calendar days are counted in the HubSpot account's time zone
	}
	res, err := p.Eval(ctx, recs, now)
	if err != nil {
		return nil, evalErrorStatus(err)
	}
	resp.Result, resp.DependsOnEmpty, resp.EmptyFields = res.Matched, res.DependsOnEmpty, res.EmptyFields
	for _, r := range res.Reads {
		resp.Values = append(resp.Values, &integrationsv1.EvaluatedField{Field: r.Field, Value: readValueProto(r)})
	}
	return resp, nil
}

// checkEvaluationInputs checks the records and time an evaluation names, before any work, and
// returns the contact reference with its email normalised.
func checkEvaluationInputs(req *integrationsv1.EvaluateConditionRequest) (*integrationsv1.ContactRef, error) {
	var vs []rpcerr.Violation
	addField := func(err error) {
		var fe *resname.FieldError
		if errors.As(err, &fe) {
			vs = append(vs, rpcerr.Violation{Field: fe.Field, Description: fe.Description})
		}
	}
	ref := req.GetContact()
	switch r := ref.GetRef().(type) {
	case *integrationsv1.ContactRef_Id:
		addField(resname.CheckObjectID("contact.id", r.Id))
	case *integrationsv1.ContactRef_Email:
		email, v := normalizeEmail("contact.email", r.Email)
		if v != nil {
			vs = append(vs, *v)
		}
		ref = &integrationsv1.ContactRef{Ref: &integrationsv1.ContactRef_Email{Email: email}}
	}
	for _, id := range []struct{ field, value string }{{"company_id", req.GetCompanyId()}, {"deal_id", req.GetDealId()}} {
		if id.value != "" {
			addField(resname.CheckObjectID(id.field, id.value))
		}
	}
	if n := req.GetNow(); n != nil && (n.CheckValid() != nil || !conditions.NowInRange(n.AsTime())) {
		vs = append(vs, rpcerr.Violation{Field: "now", Description: fmt.Sprintf("must be between %s and %s; leave it unset to evaluate at the time of the call",
			conditions.EarliestNow.Format(time.RFC3339), conditions.LatestNow.Format(time.RFC3339))})
	}
	if len(vs) > 0 {
		return nil, rpcerr.InvalidArgument(vs...)
	}
	return ref, nil
}

func fetchContact(ctx context.Context, client *hubspot.Client, ref *integrationsv1.ContactRef, props []string) (*hubspot.Object, error) {
	opts := hubspot.GetObjectOptions{Properties: append([]string{"hs_object_id"}, props...)}
	id := ref.GetId()
	if id == "" {
		id, opts.IDProperty = ref.GetEmail(), "email" // normalised by checkEvaluationInputs
	}
	return client.GetObject(ctx, "contacts", id, opts)
}

// primaryCompany is the contact's company labelled Primary, else its first company ("" if none).
func primaryCompany(ctx context.Context, client *hubspot.Client, contactID string) (string, error) {
	page, err := client.ListAssociations(ctx, "contacts", contactID, "companies", hubspot.ListAssociationsOptions{})
	if err != nil || len(page.Results) == 0 {
		return "", err
	}
	for _, a := range page.Results {
		for _, t := range a.AssociationTypes {
			if t.TypeID == 1 { // contact → company, Primary (https://developers.hubspot.com/docs/api/crm/associations)
				return a.ToObjectID.String(), nil
			}
		}
	}
	return page.Results[0].ToObjectID.String(), nil
}

// dealSchema is the connection's deals schema, whose pipelines say which stages are closed;
// an empty one when it cannot be read (latestOpenDeal then knows the default pipeline's).
func dealSchema(ctx context.Context, h *handles.Handle) *fields.Schema {
	if schemas, err := h.Schemas(ctx); err == nil && schemas["deals"] != nil {
		return schemas["deals"]
	}
	return fields.NewSchema("deals", 0, nil)
}

// latestOpenDeal is the most recently created deal of the contact that is not closed ("" if
// none): HubSpot's hs_is_closed, or a closed stage of any pipeline.
func latestOpenDeal(ctx context.Context, client *hubspot.Client, deals *fields.Schema, contactID string) (string, error) {
	page, err := client.ListAssociations(ctx, "contacts", contactID, "deals", hubspot.ListAssociationsOptions{})
	if err != nil || len(page.Results) == 0 {
		return "", err
	}
	var inputs []string
	for _, a := range page.Results {
		inputs = append(inputs, a.ToObjectID.String())
	}
	res, err := client.BatchRead(ctx, "deals", hubspot.BatchReadRequest{IDs: inputs, Properties: []string{"createdate", "dealstage", "hs_is_closed"}})
	if err != nil {
		return "", err
	}
	type cand struct {
		id      string
		created string
	}
	var open []cand
	for _, out := range res.Outcomes {
		if out.Object == nil {
			continue // a deal deleted since; not a candidate
		}
		o := out.Object
		p := o.Properties
		if p["hs_is_closed"] == "true" || deals.StageClosed(p["dealstage"]) {
			continue
		}
		open = append(open, cand{o.ID.String(), p["createdate"]})
	}
	if len(open) == 0 {
		return "", nil
	}
	sort.Slice(open, func(i, j int) bool { return open[i].created > open[j].created })
	return open[0].id, nil
}

// readValueProto is the API view of a field the evaluation read: HubSpot's stored string
// typed as GetRecord types it (records.Typed), so raw is exactly what HubSpot holds and a date
// is midnight UTC, whatever time zone the evaluation counted days in.
func readValueProto(r conditions.FieldRead) *integrationsv1.FieldValue {
	if r.Empty {
		return &integrationsv1.FieldValue{}
	}
	return fieldValueProto(records.Typed(&fields.Field{Kind: r.Kind}, r.Raw, true))
}

// evalErrorStatus maps an evaluation failure: none of them is fixed by retrying.
func evalErrorStatus(err error) error {
	var bad *conditions.BadValueError
	var ee *conditions.EvalError
	switch {
	case errors.As(err, &bad):
		return rpcerr.New(codes.FailedPrecondition, rpcerr.ReasonConditionBadValue, err.Error()+": fix the value in HubSpot, or guard the condition",
			map[string]string{"field": bad.Field})
	case errors.As(err, &ee):
		return rpcerr.New(codes.FailedPrecondition, rpcerr.ReasonConditionFailed, err.Error(), nil)
	case errors.Is(err, conditions.ErrTimeout) || errors.Is(err, conditions.ErrTooCostly):
		return rpcerr.New(codes.InvalidArgument, rpcerr.ReasonConditionTooCostly, err.Error()+": simplify the condition", nil)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return rpcerr.New(codes.DeadlineExceeded, rpcerr.ReasonDeadline, "the call's deadline passed during evaluation", nil)
	}
	return err
}
