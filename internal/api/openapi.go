package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Version is the API version stated in the OpenAPI document.
const Version = "1.0.0"

// schemaHooks refine the generated component schemas where a Go type
// cannot say everything (a request's fields depend on its type). They run
// once the route schemas are built.
var schemaHooks []func(schemas map[string]any)

// OpenAPI returns the OpenAPI 3.1 document describing every route. It is
// derived from the route table and the Go types the handlers decode and
// encode, so it cannot go stale.
func OpenAPI() map[string]any {
	schemas := map[string]any{
		"Problem": schemaOf(reflect.TypeFor[Problem](), nil),
	}
	paths := map[string]any{}
	for _, rt := range routes {
		op := map[string]any{
			"summary":              rt.Summary,
			"operationId":          operationID(rt),
			"security":             []any{map[string]any{"bearer": []any{}}, map[string]any{"basic": []any{}}},
			"x-liaison-permission": string(rt.Perm),
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Body), schemas)}}}
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if rt.Response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Response), schemas)}}
		}
		problem := func(desc string) any {
			return map[string]any{"description": desc, "content": map[string]any{
				"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
		}
		resp := map[string]any{strconv.Itoa(status): ok,
			"401": problem("Missing or invalid credentials"),
			"403": problem("The caller's role does not allow this"),
		}
		if rt.Body != nil {
			resp["400"] = problem("Malformed body; the field at fault is named")
			resp["413"] = problem("Body larger than the configured limit")
			resp["422"] = problem("Invalid fields, each named")
		}
		if strings.Contains(rt.Path, "{") {
			resp["404"] = problem("No such object")
		}
		op["responses"] = resp
		path := Prefix + rt.Path
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(rt.Method)] = op
	}
	for _, hook := range schemaHooks {
		hook(schemas)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Liaison node API", "version": Version,
			"description": "REST API of a Liaison node. Errors are RFC 9457 problem details naming the offending field."},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "API token from `liaison token create`"},
				"basic":  map[string]any{"type": "http", "scheme": "basic"},
			},
		},
	}
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

func operationID(rt Route) string {
	id := strings.ToLower(rt.Method)
	for _, part := range strings.Split(rt.Path, "/") {
		part = strings.Trim(part, "{}")
		if part != "" {
			id += strings.ToUpper(part[:1]) + part[1:]
		}
	}
	return id
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	rawJSONType = reflect.TypeFor[json.RawMessage]()
)

// schemaOf builds a JSON Schema for t; named struct types go into defs and
// are referenced, so the document stays small.
func schemaOf(t reflect.Type, defs map[string]any) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawJSONType:
		return map[string]any{"type": "object", "description": "any JSON value, e.g. a STIX object"}
	case t.Kind() == reflect.Pointer:
		return schemaOf(t.Elem(), defs)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return map[string]any{"type": "string", "contentEncoding": "base64"}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), defs)}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), defs)}
	case t.Kind() != reflect.Struct:
		return map[string]any{}
	}
	name := t.Name()
	if defs != nil {
		if _, ok := defs[name]; ok {
			return map[string]any{"$ref": "#/components/schemas/" + name}
		}
		defs[name] = map[string]any{} // placeholder against recursion
	}
	props := map[string]any{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		jname, _, _ := strings.Cut(tag, ",")
		if jname == "-" {
			continue
		}
		if jname == "" {
			jname = f.Name
		}
		ps := schemaOf(f.Type, defs)
		if format := f.Tag.Get("format"); format != "" {
			ps["format"] = format
		}
		props[jname] = ps
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if defs == nil {
		return s
	}
	defs[name] = s
	return map[string]any{"$ref": "#/components/schemas/" + name}
}
