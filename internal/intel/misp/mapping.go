package misp

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// pv is one observable property: a STIX object path (in the pattern
// grammar's syntax, STIX 2.1 §9.5) and its value, a string or an int64.
// MISP attributes and objects, STIX patterns and STIX cyber-observables
// all flatten to lists of them, which is how this package converts
// between the three.
type pv struct {
	Path  string
	Value any
}

func (p pv) root() string { t, _, _ := strings.Cut(p.Path, ":"); return t }

func (p pv) str() string {
	switch v := p.Value.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(p.Value)
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// step writes one path component, quoted when the grammar requires.
func step(k string) string {
	if plainKey.MatchString(k) {
		return k
	}
	return "'" + k + "'"
}

// Hash algorithms: MISP attribute type, STIX hashing-algorithm-ov name and
// hex length (0: not hex).
var hashAlgos = []struct {
	misp, stix string
	hexLen     int
}{
	{"md5", "MD5", 32}, {"sha1", "SHA-1", 40}, {"sha256", "SHA-256", 64}, {"sha512", "SHA-512", 128},
	{"sha3-256", "SHA3-256", 64}, {"sha3-512", "SHA3-512", 128}, {"ssdeep", "SSDEEP", 0}, {"tlsh", "TLSH", 0},
}

func hashByMISP(t string) (stix string, hexLen int, ok bool) {
	for _, h := range hashAlgos {
		if h.misp == t {
			return h.stix, h.hexLen, true
		}
	}
	return "", 0, false
}

// canonicalHash normalises a STIX hash key (and common misspellings).
func canonicalHash(k string) (misp, stix string, ok bool) {
	u := strings.ToUpper(strings.ReplaceAll(k, "_", "-"))
	for _, h := range hashAlgos {
		if u == h.stix || u == strings.ReplaceAll(h.stix, "-", "") {
			return h.misp, h.stix, true
		}
	}
	return "", "", false
}

func hashPath(root, stixAlg string) string { return root + ":hashes." + step(stixAlg) }

var hexRE = regexp.MustCompile(`^[0-9a-fA-F]+$`)

func checkHash(misp, v string) error {
	_, n, _ := hashByMISP(misp)
	if n > 0 && (len(v) != n || !hexRE.MatchString(v)) {
		return fmt.Errorf("%q is not a %s hash (%d hex digits)", v, misp, n)
	}
	if v == "" {
		return fmt.Errorf("empty %s hash", misp)
	}
	return nil
}

func ipPath(v string) (string, error) {
	s := v
	if p, err := netip.ParsePrefix(v); err == nil {
		if p.Addr().Is4() {
			return "ipv4-addr", nil
		}
		return "ipv6-addr", nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an IP address or CIDR block", v)
	}
	if a.Is4() || a.Is4In6() {
		return "ipv4-addr", nil
	}
	return "ipv6-addr", nil
}

func splitPair(v string) (string, string, error) {
	i := strings.LastIndex(v, "|")
	if i <= 0 || i == len(v)-1 {
		return "", "", fmt.Errorf("%q: want two values joined by |", v)
	}
	return v[:i], v[i+1:], nil
}

func port(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port number", s)
	}
	return n, nil
}

// attrPVs maps a MISP attribute type and value to observable properties.
// ok is false for types without a STIX observable (they travel as
// x-misp-attribute objects); err names what is wrong with the value.
func attrPVs(typ, v string) (pvs []pv, ok bool, err error) {
	if h, _, isHash := hashByMISP(typ); isHash {
		return []pv{{hashPath("file", h), v}}, true, checkHash(typ, v)
	}
	if name, alg, isPair := strings.Cut(typ, "|"); isPair && name == "filename" {
		h, _, isHash := hashByMISP(alg)
		if !isHash {
			return nil, false, nil
		}
		fn, hv, err := splitPair(v)
		if err == nil {
			err = checkHash(alg, hv)
		}
		return []pv{{"file:name", fn}, {hashPath("file", h), hv}}, true, err
	}
	switch typ {
	case "ip-src", "ip-dst":
		t, err := ipPath(v)
		return []pv{{t + ":value", v}}, true, err
	case "ip-src|port", "ip-dst|port":
		dir := strings.TrimSuffix(strings.TrimPrefix(typ, "ip-"), "|port")
		ip, p, err := splitPair(v)
		if err != nil {
			return nil, true, err
		}
		if _, err := ipPath(ip); err != nil {
			return nil, true, err
		}
		n, err := port(p)
		return []pv{{"network-traffic:" + dir + "_ref.value", ip}, {"network-traffic:" + dir + "_port", n}}, true, err
	case "domain", "hostname":
		if v == "" || strings.ContainsAny(v, " /\t") {
			return nil, true, fmt.Errorf("%q is not a domain name", v)
		}
		return []pv{{"domain-name:value", v}}, true, nil
	case "domain|ip":
		d, ip, err := splitPair(v)
		if err == nil {
			_, err = ipPath(ip)
		}
		return []pv{{"domain-name:value", d}, {"domain-name:resolves_to_refs[*].value", ip}}, true, err
	case "url", "link", "uri":
		if v == "" {
			return nil, true, fmt.Errorf("empty URL")
		}
		return []pv{{"url:value", v}}, true, nil
	case "email", "email-src", "email-dst":
		if !strings.Contains(v, "@") {
			return nil, true, fmt.Errorf("%q is not an e-mail address", v)
		}
		return []pv{{"email-addr:value", v}}, true, nil
	case "email-subject":
		return []pv{{"email-message:subject", v}}, true, nil
	case "filename":
		return []pv{{"file:name", v}}, true, nil
	case "mutex":
		return []pv{{"mutex:name", v}}, true, nil
	case "AS":
		n, err := strconv.ParseInt(strings.TrimPrefix(strings.ToUpper(v), "AS"), 10, 64)
		if err != nil || n < 0 || n > 4294967295 {
			return nil, true, fmt.Errorf("%q is not an AS number", v)
		}
		return []pv{{"autonomous-system:number", n}}, true, nil
	case "mac-address":
		return []pv{{"mac-addr:value", strings.ToLower(v)}}, true, nil
	case "regkey":
		return []pv{{"windows-registry-key:key", v}}, true, nil
	case "x509-fingerprint-md5", "x509-fingerprint-sha1", "x509-fingerprint-sha256":
		alg := strings.TrimPrefix(typ, "x509-fingerprint-")
		h, _, _ := hashByMISP(alg)
		return []pv{{hashPath("x509-certificate", h), v}}, true, checkHash(alg, v)
	}
	return nil, false, nil
}

// attrFromPVs is the inverse of attrPVs: the MISP type and value of a
// set of properties. hint, a type recorded when the attribute left MISP,
// chooses among types that share a STIX form (ip-src and ip-dst).
func attrFromPVs(pvs []pv, hint string) (typ, value string, ok bool) {
	m := map[string]string{}
	for _, p := range pvs {
		if _, dup := m[p.Path]; dup {
			return "", "", false
		}
		m[p.Path] = p.str()
	}
	pick := func(def string, choices ...string) string {
		if slices.Contains(choices, hint) {
			return hint
		}
		return def
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	one := func(path string) bool { return len(keys) == 1 && keys[0] == path }
	switch {
	case one("ipv4-addr:value"), one("ipv6-addr:value"):
		return pick("ip-dst", "ip-src", "ip-dst"), m[keys[0]], true
	case len(keys) == 2 && keys[0] == "network-traffic:dst_port" && keys[1] == "network-traffic:dst_ref.value":
		return "ip-dst|port", m[keys[1]] + "|" + m[keys[0]], true
	case len(keys) == 2 && keys[0] == "network-traffic:src_port" && keys[1] == "network-traffic:src_ref.value":
		return "ip-src|port", m[keys[1]] + "|" + m[keys[0]], true
	case one("domain-name:value"):
		return pick("domain", "domain", "hostname"), m[keys[0]], true
	case len(keys) == 2 && keys[0] == "domain-name:resolves_to_refs[*].value" && keys[1] == "domain-name:value":
		return "domain|ip", m[keys[1]] + "|" + m[keys[0]], true
	case one("url:value"):
		return pick("url", "url", "link", "uri"), m[keys[0]], true
	case one("email-addr:value"):
		return pick("email", "email", "email-src", "email-dst"), m[keys[0]], true
	case one("email-message:subject"):
		return "email-subject", m[keys[0]], true
	case one("file:name"):
		return "filename", m[keys[0]], true
	case one("mutex:name"):
		return "mutex", m[keys[0]], true
	case one("autonomous-system:number"):
		return "AS", m[keys[0]], true
	case one("mac-addr:value"):
		return "mac-address", m[keys[0]], true
	case one("windows-registry-key:key"):
		return "regkey", m[keys[0]], true
	}
	hashOf := func(p string) (root, misp string, ok bool) {
		root, rest, _ := strings.Cut(p, ":hashes.")
		mispAlg, _, ok := canonicalHash(strings.Trim(rest, "'"))
		return root, mispAlg, ok && rest != ""
	}
	switch len(keys) {
	case 1:
		if root, alg, ok := hashOf(keys[0]); ok {
			switch root {
			case "file":
				return alg, m[keys[0]], true
			case "x509-certificate":
				if alg == "md5" || alg == "sha1" || alg == "sha256" {
					return "x509-fingerprint-" + alg, m[keys[0]], true
				}
			}
		}
	case 2:
		if keys[1] == "file:name" {
			if root, alg, ok := hashOf(keys[0]); ok && root == "file" {
				return "filename|" + alg, m["file:name"] + "|" + m[keys[0]], true
			}
		}
	}
	return "", "", false
}

// relation maps one attribute of a MISP object template to a path.
type relation struct {
	rel, typ, path string
	integer        bool
}

// templates are the MISP object templates given a STIX form. Others
// travel as x-misp-object objects.
var templates = map[string][]relation{
	"file": {{"filename", "filename", "file:name", false}, {"md5", "md5", "file:hashes.MD5", false},
		{"sha1", "sha1", "file:hashes.'SHA-1'", false}, {"sha256", "sha256", "file:hashes.'SHA-256'", false},
		{"sha512", "sha512", "file:hashes.'SHA-512'", false}, {"ssdeep", "ssdeep", "file:hashes.SSDEEP", false},
		{"tlsh", "tlsh", "file:hashes.TLSH", false}, {"size-in-bytes", "size-in-bytes", "file:size", true},
		{"mime-type", "mime-type", "file:mime_type", false}},
	"domain-ip": {{"domain", "domain", "domain-name:value", false}, {"ip", "ip-dst", "domain-name:resolves_to_refs[*].value", false}},
	"ip-port": {{"ip-dst", "ip-dst", "network-traffic:dst_ref.value", false}, {"ip-src", "ip-src", "network-traffic:src_ref.value", false},
		{"dst-port", "port", "network-traffic:dst_port", true}, {"src-port", "port", "network-traffic:src_port", true}},
	"url": {{"url", "url", "url:value", false}},
	"email": {{"from", "email-src", "email-message:from_ref.value", false}, {"to", "email-dst", "email-message:to_refs[*].value", false},
		{"cc", "email-dst", "email-message:cc_refs[*].value", false}, {"subject", "email-subject", "email-message:subject", false}},
}

// objectPVs maps a MISP object's attributes; ok is false when the
// template or one of its attributes has no STIX form.
func objectPVs(o Object) ([]pv, bool) {
	rels, known := templates[o.Name]
	if !known {
		return nil, false
	}
	var out []pv
	for _, a := range o.Attribute {
		if a.Deleted {
			continue
		}
		i := slices.IndexFunc(rels, func(r relation) bool { return r.rel == a.ObjectRelation })
		if i < 0 {
			return nil, false
		}
		r := rels[i]
		var v any = a.Value
		if r.integer {
			n, err := strconv.ParseInt(a.Value, 10, 64)
			if err != nil {
				return nil, false
			}
			v = n
		}
		out = append(out, pv{r.path, v})
	}
	return out, len(out) > 0
}

// objectFromPVs is the inverse of objectPVs for a named template.
func objectFromPVs(name string, pvs []pv) ([]Attribute, bool) {
	rels, known := templates[name]
	if !known {
		return nil, false
	}
	var out []Attribute
	for _, p := range pvs {
		i := slices.IndexFunc(rels, func(r relation) bool { return r.path == p.Path })
		if i < 0 {
			return nil, false
		}
		out = append(out, Attribute{Type: rels[i].typ, ObjectRelation: rels[i].rel, Value: p.str()})
	}
	return out, len(out) > 0
}

// guessTemplate names the template for properties that came without one.
func guessTemplate(pvs []pv) string {
	names := make([]string, 0, len(templates))
	for n := range templates {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		rels := templates[name]
		all := true
		for _, p := range pvs {
			if !slices.ContainsFunc(rels, func(r relation) bool { return r.path == p.Path }) {
				all = false
				break
			}
		}
		if all {
			return name
		}
	}
	return ""
}

// literal writes a pattern constant (STIX 2.1 §9.2).
func literal(v any) string {
	if n, ok := v.(int64); ok {
		return strconv.FormatInt(n, 10)
	}
	s := strings.ReplaceAll(fmt.Sprint(v), `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

// patternOf writes the properties as one observation per object type,
// joined by AND.
func patternOf(pvs []pv) string {
	var roots []string
	by := map[string][]string{}
	for _, p := range pvs {
		r := p.root()
		if _, ok := by[r]; !ok {
			roots = append(roots, r)
		}
		by[r] = append(by[r], p.Path+" = "+literal(p.Value))
	}
	obs := make([]string, len(roots))
	for i, r := range roots {
		obs[i] = "[" + strings.Join(by[r], " AND ") + "]"
	}
	return strings.Join(obs, " AND ")
}

// scoNamespace is the UUIDv5 namespace of STIX cyber-observable ids
// (STIX 2.1 §2.9).
var scoNamespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

func uuid5(ns [16]byte, name []byte) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write(name)
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// derivedNS names the UUIDs this package derives for things MISP gives
// no identifier of their own (an object's attributes seen from STIX, the
// organisation without a uuid).
var derivedNS = [16]byte{0x6c, 0x69, 0x61, 0x69, 0x73, 0x6f, 0x6e, 0x2d, 0x6d, 0x69, 0x73, 0x70, 0x2d, 0x69, 0x64, 0x73}

func derived(parts ...string) string { return uuid5(derivedNS, []byte(strings.Join(parts, "\x00"))) }

// idContributing lists each SCO type's ID-contributing properties
// (STIX 2.1 §6).
var idContributing = map[string][]string{
	"domain-name": {"value"}, "ipv4-addr": {"value"}, "ipv6-addr": {"value"}, "url": {"value"}, "email-addr": {"value"},
	"mac-addr": {"value"}, "mutex": {"name"}, "autonomous-system": {"number"}, "windows-registry-key": {"key", "values"},
	"file": {"hashes", "name", "extensions", "parent_directory_ref"}, "x509-certificate": {"hashes", "serial_number"},
	"email-message":   {"from_ref", "subject", "body"},
	"network-traffic": {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"},
}

// scoID derives an SCO's id: UUIDv5 over the canonical JSON of its
// ID-contributing properties, with only the first of MD5, SHA-1, SHA-256,
// SHA-512 from hashes (STIX 2.1 §2.9).
func scoID(o map[string]any) string {
	typ := o["type"].(string)
	c := map[string]any{}
	for _, k := range idContributing[typ] {
		v, ok := o[k]
		if !ok {
			continue
		}
		if k == "hashes" {
			h := v.(map[string]string)
			for _, alg := range []string{"MD5", "SHA-1", "SHA-256", "SHA-512"} {
				if x, ok := h[alg]; ok {
					v = map[string]string{alg: x}
					break
				}
			}
		}
		c[k] = v
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(c)
	return typ + "--" + uuid5(scoNamespace, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// buildSCOs turns properties into cyber-observable objects: one per object
// type named in the paths, with referenced addresses as objects of their
// own. It returns the root objects' ids and every object, or ok false
// when the properties do not make valid objects.
func buildSCOs(pvs []pv) (roots []string, all []map[string]any, ok bool) {
	var order []string
	objs := map[string]map[string]any{}
	var children []map[string]any
	for _, p := range pvs {
		r := p.root()
		o, seen := objs[r]
		if !seen {
			o = map[string]any{"type": r, "spec_version": "2.1"}
			objs[r] = o
			order = append(order, r)
		}
		rest := strings.TrimPrefix(p.Path, r+":")
		switch {
		case strings.HasPrefix(rest, "hashes."):
			h, _ := o["hashes"].(map[string]string)
			if h == nil {
				h = map[string]string{}
				o["hashes"] = h
			}
			h[strings.Trim(strings.TrimPrefix(rest, "hashes."), "'")] = p.str()
		case strings.HasSuffix(rest, "_ref.value"), strings.HasSuffix(rest, "_refs[*].value"):
			typ := "email-addr"
			if r != "email-message" {
				t, err := ipPath(p.str())
				if err != nil {
					return nil, nil, false
				}
				typ = t
			}
			c := map[string]any{"type": typ, "spec_version": "2.1", "value": p.str()}
			c["id"] = scoID(c)
			children = append(children, c)
			if k, ok := strings.CutSuffix(rest, "[*].value"); ok {
				l, _ := o[k].([]string)
				o[k] = append(l, c["id"].(string))
			} else {
				k := strings.TrimSuffix(rest, ".value")
				if _, dup := o[k]; dup {
					return nil, nil, false
				}
				o[k] = c["id"]
			}
		case strings.ContainsAny(rest, ".["):
			return nil, nil, false
		default:
			if _, dup := o[rest]; dup {
				return nil, nil, false
			}
			o[rest] = p.Value
		}
	}
	for _, r := range order {
		o := objs[r]
		switch r {
		case "network-traffic":
			proto := "ipv4"
			for _, c := range children {
				if c["type"] == "ipv6-addr" {
					proto = "ipv6"
				}
			}
			o["protocols"] = []string{proto}
		case "email-message":
			o["is_multipart"] = false
		}
		o["id"] = scoID(o)
		roots = append(roots, o["id"].(string))
		all = append(all, o)
	}
	return roots, append(all, children...), true
}

// flatten is the inverse of buildSCOs for one root object; byID resolves
// its references.
func flatten(o map[string]any, byID map[string]map[string]any) []pv {
	typ, _ := o["type"].(string)
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []pv
	refValue := func(id any) (string, bool) {
		s, _ := id.(string)
		c := byID[s]
		v, ok := c["value"].(string)
		return v, ok
	}
	for _, k := range keys {
		v := o[k]
		switch {
		case k == "type" || k == "id" || k == "spec_version" || k == "object_marking_refs" || k == "defanged" ||
			k == "extensions" || k == "protocols" || k == "is_multipart" || strings.HasPrefix(k, "x_"):
		case k == "hashes":
			h, _ := v.(map[string]any)
			algs := make([]string, 0, len(h))
			for a := range h {
				algs = append(algs, a)
			}
			slices.Sort(algs)
			for _, a := range algs {
				if s, ok := h[a].(string); ok {
					if _, std, ok := canonicalHash(a); ok {
						a = std
					}
					out = append(out, pv{hashPath(typ, a), s})
				}
			}
		case strings.HasSuffix(k, "_ref"):
			if s, ok := refValue(v); ok {
				out = append(out, pv{typ + ":" + k + ".value", s})
			}
		case strings.HasSuffix(k, "_refs"):
			l, _ := v.([]any)
			for _, id := range l {
				if s, ok := refValue(id); ok {
					out = append(out, pv{typ + ":" + k + "[*].value", s})
				}
			}
		default:
			switch x := v.(type) {
			case string:
				out = append(out, pv{typ + ":" + k, x})
			case float64:
				if x == float64(int64(x)) {
					out = append(out, pv{typ + ":" + k, int64(x)})
				}
			}
		}
	}
	return out
}
