package conditions

import (
	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// recordTypeProvider makes contact, company and deal CEL struct types whose fields come from
// the discovered schema, so the checker types `company.annualrevenue` as a double and rejects
// `deal.closdate`. Every other type question goes to CEL's own registry.
type recordTypeProvider struct {
	types.Provider
	objects *objectSet
}

var _ types.Provider = (*recordTypeProvider)(nil)

// withRecordTypes installs the provider over the environment's existing one.
func withRecordTypes(objects *objectSet) cel.EnvOption {
	return func(env *cel.Env) (*cel.Env, error) {
		p := &recordTypeProvider{Provider: env.CELTypeProvider(), objects: objects}
		return cel.CustomTypeProvider(p)(env)
	}
}

func (p *recordTypeProvider) FindStructType(name string) (*types.Type, bool) {
	if o, ok := p.objects.byTypeName(name); ok {
		return types.NewTypeTypeWithParam(o.celType), true
	}
	if name == ownerTypeName {
		return types.NewTypeTypeWithParam(ownerCELType), true
	}
	return p.Provider.FindStructType(name)
}

func (p *recordTypeProvider) FindStructFieldNames(name string) ([]string, bool) {
	if o, ok := p.objects.byTypeName(name); ok {
		return o.names, true
	}
	if name == ownerTypeName {
		return ownerFieldNames, true
	}
	return p.Provider.FindStructFieldNames(name)
}

func (p *recordTypeProvider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if o, ok := p.objects.byTypeName(name); ok {
		fs, ok := o.byName[field]
		if !ok {
			return nil, false
		}
		return fs.fieldType, true
	}
	if name == ownerTypeName {
		ft, ok := ownerFieldTypes[field]
		return ft, ok
	}
	return p.Provider.FindStructFieldType(name, field)
}

// NewValue refuses to build CRM records inside a condition (`hubspot.Contact{...}`): a
// condition reads the records it is given.
func (p *recordTypeProvider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.objects.byTypeName(name); ok || name == ownerTypeName {
		return types.NewErr("a condition cannot create a %s record", name)
	}
	return p.Provider.NewValue(name, fields)
}
