package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// ParseObjects reads a STIX bundle ({"type":"bundle","objects":[...]}), a
// TAXII envelope ({"objects":[...]}) or a bare JSON array of objects, and
// validates every object. It returns the valid objects and one error per
// invalid object, so a caller can accept the good ones (as TAXII does) or
// refuse the lot (as the CLI does).
func (p *Parser) ParseObjects(r io.Reader, limit int64) ([]*Object, []error, error) {
	b, err := readAll(r, limit)
	if err != nil {
		return nil, nil, err
	}
	if int64(len(b)) > limit {
		return nil, nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, limit)
	}
	return p.ParseBundle(b)
}

// ParseBundle is ParseObjects for input already in memory. The objects'
// Raw bytes are slices of b, which the caller must not change afterwards.
func (p *Parser) ParseBundle(b []byte) ([]*Object, []error, error) {
	raws, err := splitObjects(b)
	if err != nil {
		return nil, nil, err
	}
	objs := make([]*Object, 0, len(raws))
	var errs []error
	scratch := make(props, 0, 32)
	for i, raw := range raws {
		o, err := p.parseValid(raw, i, &scratch)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, o)
	}
	return objs, errs, nil
}

// splitObjects checks the whole input is valid JSON once, then finds the
// objects' spans without decoding them.
func splitObjects(b []byte) ([][]byte, error) {
	b = bytes.TrimSpace(b)
	if !validJSON(b) {
		var v any
		err := json.Unmarshal(b, &v)
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var raws [][]byte
	switch {
	case len(b) > 0 && b[0] == '[':
		raws, _ = elements(b)
	case len(b) > 0 && b[0] == '{':
		top, err := members(b, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		typ, _ := top.get("type")
		t, _ := decodeString(typ)
		if t != "" && t != "bundle" {
			// A single object on its own.
			return [][]byte{b}, nil
		}
		if t == "bundle" {
			idRaw, _ := top.get("id")
			if id, _ := decodeString(idRaw); !ValidID(id) {
				return nil, fmt.Errorf("%w: bundle id %q is not a STIX identifier", ErrMalformed, id)
			}
		}
		objs, ok := top.get("objects")
		if ok {
			if raws, ok = elements(objs); !ok {
				return nil, fmt.Errorf("%w: objects must be a list", ErrMalformed)
			}
		}
	default:
		return nil, fmt.Errorf("%w: expected a JSON object or array", ErrMalformed)
	}
	if len(raws) > MaxBundleObjects {
		return nil, fmt.Errorf("%w: more than %d objects", ErrMalformed, MaxBundleObjects)
	}
	return raws, nil
}

// readAll reads up to limit+1 bytes of r, in one allocation when r tells
// its length (a bytes.Reader, a request body read into memory).
func readAll(r io.Reader, limit int64) ([]byte, error) {
	lr := io.LimitReader(r, limit+1)
	l, ok := r.(interface{ Len() int })
	if !ok {
		return io.ReadAll(lr)
	}
	b := make([]byte, 0, min(int64(l.Len()), limit)+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
