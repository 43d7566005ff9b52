package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jsonObject decodes raw as a JSON object of raw members.
func jsonObject(raw []byte, into *map[string]json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return errors.New("not an object")
	}
	return json.Unmarshal(raw, into)
}

// ParseObjects reads a STIX bundle ({"type":"bundle","objects":[...]}), a
// TAXII envelope ({"objects":[...]}) or a bare JSON array of objects, and
// validates every object. It returns the valid objects and one error per
// invalid object, so a caller can accept the good ones (as TAXII does) or
// refuse the lot (as the CLI does).
func (p *Parser) ParseObjects(r io.Reader, limit int64) ([]*Object, []error, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(b)) > limit {
		return nil, nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, limit)
	}
	raws, err := splitObjects(b)
	if err != nil {
		return nil, nil, err
	}
	var objs []*Object
	var errs []error
	for i, raw := range raws {
		o, err := p.parse(raw, i)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, o)
	}
	return objs, errs, nil
}

func splitObjects(b []byte) ([]json.RawMessage, error) {
	b = bytes.TrimSpace(b)
	var raws []json.RawMessage
	switch {
	case len(b) > 0 && b[0] == '[':
		if err := json.Unmarshal(b, &raws); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	case len(b) > 0 && b[0] == '{':
		var top struct {
			Type    string            `json:"type"`
			ID      string            `json:"id"`
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(b, &top); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if top.Type != "" && top.Type != "bundle" {
			// A single object on its own.
			return []json.RawMessage{b}, nil
		}
		if top.Type == "bundle" && !ValidID(top.ID) {
			return nil, fmt.Errorf("%w: bundle id %q is not a STIX identifier", ErrMalformed, top.ID)
		}
		raws = top.Objects
	default:
		return nil, fmt.Errorf("%w: expected a JSON object or array", ErrMalformed)
	}
	if len(raws) > MaxBundleObjects {
		return nil, fmt.Errorf("%w: more than %d objects", ErrMalformed, MaxBundleObjects)
	}
	return raws, nil
}
