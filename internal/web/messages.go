package web

import (
	"strings"

	"github.com/liaison-dev/liaison/internal/hotline"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/validation"
)

// Domain messages reach the console as field errors with a code and
// parameters (validation.FieldError). The console shows them in the
// user's language from the catalogue key "msg."+code; a message without a
// code, or with one the catalogue lacks, is shown as the domain gave it,
// in English.

// msgParams names the parameters that hold domain values the catalogue
// translates, with the prefix of their keys. Parameters ending in "s"
// hold lists joined by ", ".
var msgParams = map[string]string{
	"type":       "type.",
	"priority":   "priority.",
	"phase":      "phase.",
	"types":      "type.",
	"status":     "status.",
	"action":     "action.",
	"side":       "side.",
	"grounds":    "ground.",
	"values":     "value.",
	"conditions": "cond.",
}

// message returns a domain field error in the user's language.
func (v *View) message(fe validation.FieldError) string {
	if fe.Code == "" {
		return fe.Detail
	}
	text, ok := v.p.Lookup("msg." + fe.Code)
	if !ok {
		return fe.Detail
	}
	return validation.Expand(text, v.params(fe.Params))
}

// callReason is a hotline call's reason in the user's language.
func (v *View) callReason(c hotline.CallView) string {
	return v.message(validation.FieldError{Detail: c.Reason, Code: c.ReasonCode, Params: c.ReasonParams})
}

// params translates the parameters that hold domain values.
func (v *View) params(p validation.Params) validation.Params {
	if len(p) == 0 {
		return p
	}
	out := make(validation.Params, len(p))
	for k, val := range p {
		prefix, ok := msgParams[k]
		if !ok {
			out[k] = val
			continue
		}
		if !strings.HasSuffix(k, "s") {
			out[k] = v.p.TOr(prefix+val, val)
			continue
		}
		items := strings.Split(val, ", ")
		for i, it := range items {
			items[i] = v.p.TOr(prefix+it, it)
		}
		out[k] = strings.Join(items, v.p.T("common.listsep"))
	}
	return out
}

// formErrors maps the domain's field errors onto form fields, each in the
// user's language; the first error of a field wins. Errors without a code
// that the console made itself carry a catalogue key, which View.Err
// translates.
func (v *View) formErrors(errs validation.Errors) map[string]string {
	out := map[string]string{}
	for _, e := range errs {
		k := e.Field
		if name, ok := strings.CutPrefix(k, "fields."); ok {
			k = fieldKey(name)
		}
		if _, dup := out[k]; !dup {
			out[k] = v.message(e)
		}
	}
	return out
}

// transition says, in the user's language, why an action was refused and
// what is allowed instead.
func (v *View) transition(te *request.TransitionError) string {
	why := v.message(validation.FieldError{Detail: te.Why, Code: te.Code, Params: te.Params})
	allowed := make([]string, len(te.Allowed))
	for i, a := range te.Allowed {
		allowed[i] = v.p.T("action." + string(a))
	}
	list := strings.Join(allowed, v.p.T("common.listsep"))
	if list == "" {
		list = v.p.T("req.allowed_none")
	}
	return v.p.T("req.transition", v.p.TOr("action."+string(te.Action), string(te.Action)), why, list)
}

// VoidReason says, in the user's language, why a timeline event had no
// effect.
func (v *View) VoidReason(e request.Event) string {
	if len(e.VoidWhy) == 0 {
		return e.Void
	}
	parts := make([]string, len(e.VoidWhy))
	for i, fe := range e.VoidWhy {
		parts[i] = v.message(fe)
		if fe.Field != "action" {
			parts[i] = v.p.TOr("label."+fe.Field, fe.Field) + v.p.T("common.colon") + parts[i]
		}
	}
	return strings.Join(parts, v.p.T("common.listsep"))
}
