// Package match is the indicator index: it answers "which active
// indicators mention this observable?" for IP addresses (with CIDR
// containment), domain names, URLs, e-mail addresses and file hashes, fast
// enough to sweep a day of logs in seconds.
//
// Indicators are indexed by the observables their STIX patterns compare
// for equality (=, IN) or containment (ISSUBSET, CIDR values). The index
// finds candidates; a full evaluation against observed data, with
// qualifiers, is the pattern package's Match.
package match

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/liaison-dev/liaison/internal/intel/pattern"
)

// Kinds of observable the index knows.
const (
	IPv4   = "ipv4-addr"
	IPv6   = "ipv6-addr"
	Domain = "domain-name"
	URL    = "url"
	Email  = "email-addr"
	File   = "file"
)

// Observable is one thing seen: a STIX cyber-observable's type and value,
// or a file's hashes. Its JSON form is the SCO's own, so STIX observables
// can be matched as they are.
type Observable struct {
	Type   string            `json:"type"`
	Value  string            `json:"value,omitempty"`
	Hashes map[string]string `json:"hashes,omitempty"`
}

// Indicator is what the index returns about a matching indicator.
type Indicator struct {
	ID           string `json:"id"`
	Name         string `json:"name,omitempty"`
	TLP          string `json:"tlp"`
	CreatedByRef string `json:"created_by_ref,omitempty"`
	CollectionID string `json:"collection_id"`
}

// Index is immutable once built and safe for concurrent lookups.
type Index struct {
	inds []Indicator
	// Each map holds postings: an indicator number when >= 0, else -(n+1)
	// for overflow[n]. Most observables are named by one indicator, so most
	// postings take no allocation of their own. Keys are typed per kind
	// (addresses as integers, names as the lower-cased string) so that a
	// lookup builds no key and allocates nothing but its result.
	names    map[string]map[string]int32 // kind or "hash:ALGO" -> value -> posting
	ip4      map[uint32]int32
	ip6      map[[16]byte]int32
	overflow [][]int32
	// v4 and v6 hold CIDR prefixes by length.
	v4 map[int]map[uint32]int32
	v6 map[int]map[[16]byte]int32
}

// Builder accumulates indicators.
type Builder struct {
	ix      *Index
	skipped int
}

// NewBuilder returns an empty builder sized for n indicators.
func NewBuilder(n int) *Builder {
	return &Builder{ix: &Index{names: map[string]map[string]int32{}, ip4: make(map[uint32]int32, n/2),
		ip6: map[[16]byte]int32{}, v4: map[int]map[uint32]int32{}, v6: map[int]map[[16]byte]int32{}}}
}

// Add indexes one indicator by its parsed pattern. It reports how many
// observables were indexed; zero means nothing in the pattern is
// indexable (it can still be evaluated by pattern.Match).
func (b *Builder) Add(ind Indicator, p *pattern.Pattern) int {
	ix := b.ix
	n := int32(len(ix.inds))
	ix.inds = append(ix.inds, ind)
	count := 0
	walkObs(p.Expr, func(c *pattern.Comparison) {
		for _, key := range keysOf(c) {
			count++
			switch {
			case key.prefix.IsValid() && key.prefix.Addr().Is4():
				m := ix.v4[key.prefix.Bits()]
				if m == nil {
					m = map[uint32]int32{}
					ix.v4[key.prefix.Bits()] = m
				}
				a := key.prefix.Addr().As4()
				k := binary.BigEndian.Uint32(a[:])
				old, ok := m[k]
				m[k] = ix.post(old, n, ok)
			case key.prefix.IsValid():
				m := ix.v6[key.prefix.Bits()]
				if m == nil {
					m = map[[16]byte]int32{}
					ix.v6[key.prefix.Bits()] = m
				}
				k := key.prefix.Addr().As16()
				_, ok := m[k]
				m[k] = ix.post(m[k], n, ok)
			case key.addr.IsValid() && key.addr.Is4():
				a := key.addr.As4()
				k := binary.BigEndian.Uint32(a[:])
				old, ok := ix.ip4[k]
				ix.ip4[k] = ix.post(old, n, ok)
			case key.addr.IsValid():
				k := key.addr.As16()
				old, ok := ix.ip6[k]
				ix.ip6[k] = ix.post(old, n, ok)
			default:
				m := ix.names[key.space]
				if m == nil {
					m = map[string]int32{}
					ix.names[key.space] = m
				}
				old, ok := m[key.name]
				m[key.name] = ix.post(old, n, ok)
			}
		}
	})
	if count == 0 {
		b.skipped++
	}
	return count
}

// post adds indicator n to a posting.
func (ix *Index) post(old, n int32, exists bool) int32 {
	switch {
	case !exists:
		return n
	case old == n:
		return old
	case old >= 0:
		ix.overflow = append(ix.overflow, []int32{old, n})
		return -int32(len(ix.overflow))
	default:
		l := ix.overflow[-old-1]
		if l[len(l)-1] != n {
			ix.overflow[-old-1] = append(l, n)
		}
		return old
	}
}

// Build finishes the index.
func (b *Builder) Build() *Index { return b.ix }

// Len is the number of indicators indexed.
func (ix *Index) Len() int { return len(ix.inds) }

func walkObs(e pattern.ObservationExpr, fn func(*pattern.Comparison)) {
	switch e := e.(type) {
	case *pattern.Observation:
		walkCmp(e.Comparison, fn)
	case *pattern.Group:
		walkObs(e.Expr, fn)
	case *pattern.ObservationOp:
		for _, o := range e.Operands {
			walkObs(o, fn)
		}
	}
}

func walkCmp(e pattern.ComparisonExpr, fn func(*pattern.Comparison)) {
	switch e := e.(type) {
	case *pattern.Comparison:
		if !e.Negated {
			fn(e)
		}
	case *pattern.ComparisonOp:
		for _, o := range e.Operands {
			walkCmp(o, fn)
		}
	}
}

// key is where a value goes: a CIDR prefix, an exact address, or a name
// in a space (a kind, or "hash:ALGO").
type key struct {
	prefix      netip.Prefix
	addr        netip.Addr
	space, name string
}

// keysOf returns the index keys a comparison names.
func keysOf(c *pattern.Comparison) []key {
	var values []pattern.Value
	switch c.Op {
	case pattern.OpEqual, pattern.OpIsSubset:
		values = []pattern.Value{c.Value}
	case pattern.OpIn:
		values = c.Value.Set
	default:
		return nil
	}
	kind, algo := pathKind(c.Path)
	if kind == "" {
		return nil
	}
	var out []key
	for _, v := range values {
		if v.Kind != pattern.KindString {
			continue
		}
		if k, ok := normalise(kind, algo, v.Str); ok {
			out = append(out, k)
		}
	}
	return out
}

// pathKind recognises the object paths the index covers.
func pathKind(p pattern.ObjectPath) (kind, algo string) {
	switch {
	case len(p.Steps) == 1 && p.Steps[0].Kind == pattern.StepKey && p.Steps[0].Key == "value":
		switch p.Type {
		case IPv4, IPv6, Domain, URL, Email:
			return p.Type, ""
		}
	case p.Type == File && len(p.Steps) == 2 && p.Steps[0].Key == "hashes" && p.Steps[1].Kind == pattern.StepKey:
		if a := hashAlgo(p.Steps[1].Key); a != "" {
			return File, a
		}
	}
	return "", ""
}

// hashSpaces names the index space of each hash algorithm.
var hashSpaces = map[string]string{"MD5": "hash:MD5", "SHA-1": "hash:SHA-1", "SHA-256": "hash:SHA-256",
	"SHA-512": "hash:SHA-512", "SSDEEP": "hash:SSDEEP", "TLSH": "hash:TLSH"}

// hashAlgo normalises hash algorithm names (STIX hashing-algorithm-ov and
// the common misspellings in the wild).
func hashAlgo(s string) string {
	switch strings.ToUpper(strings.ReplaceAll(s, "_", "-")) {
	case "MD5":
		return "MD5"
	case "SHA-1", "SHA1":
		return "SHA-1"
	case "SHA-256", "SHA256":
		return "SHA-256"
	case "SHA-512", "SHA512":
		return "SHA-512"
	case "SSDEEP":
		return "SSDEEP"
	case "TLSH":
		return "TLSH"
	}
	return ""
}

// normalise turns a value into its index key: addresses parsed (CIDRs as
// prefixes), names lower-cased, hashes lower-cased hex.
func normalise(kind, algo, v string) (key, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return key{}, false
	}
	switch kind {
	case IPv4, IPv6:
		if strings.Contains(v, "/") {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return key{}, false
			}
			p = p.Masked()
			if p.IsSingleIP() {
				return key{addr: p.Addr().Unmap()}, true
			}
			return key{prefix: p}, true
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return key{}, false
		}
		return key{addr: a.Unmap()}, true
	case Domain:
		return key{space: Domain, name: strings.TrimSuffix(strings.ToLower(v), ".")}, true
	case Email:
		return key{space: Email, name: strings.ToLower(v)}, true
	case URL:
		return key{space: URL, name: v}, true
	case File:
		return key{space: hashSpaces[algo], name: strings.ToLower(v)}, true
	}
	return key{}, false
}

// Lookup returns the indicators that mention o, each once.
func (ix *Index) Lookup(o Observable) []Indicator {
	var out []Indicator
	ix.Each(o, func(ind *Indicator) { out = append(out, *ind) })
	return out
}

// Each calls fn for every indicator that mentions o, each once, and
// returns how many there were. It allocates nothing for the usual case of
// a few hits, which is what keeps a sweep of millions of observables fast.
func (ix *Index) Each(o Observable, fn func(*Indicator)) int {
	var buf [8]int32
	hits := buf[:0]
	add := func(p int32) {
		if p >= 0 {
			hits = append(hits, p)
			return
		}
		hits = append(hits, ix.overflow[-p-1]...)
	}
	switch o.Type {
	case IPv4, IPv6:
		a, err := netip.ParseAddr(strings.TrimSpace(o.Value))
		if err != nil {
			return 0
		}
		a = a.Unmap()
		if a.Is4() {
			b := a.As4()
			u := binary.BigEndian.Uint32(b[:])
			if p, ok := ix.ip4[u]; ok {
				add(p)
			}
			for bits, m := range ix.v4 {
				if p, ok := m[u&mask4(bits)]; ok {
					add(p)
				}
			}
		} else {
			if p, ok := ix.ip6[a.As16()]; ok {
				add(p)
			}
			for bits, m := range ix.v6 {
				pre, _ := a.Prefix(bits)
				if p, ok := m[pre.Addr().As16()]; ok {
					add(p)
				}
			}
		}
	case File:
		for algo, h := range o.Hashes {
			if a := hashAlgo(algo); a != "" {
				if p, ok := ix.names[hashSpaces[a]][strings.ToLower(h)]; ok {
					add(p)
				}
			}
		}
	default:
		k, ok := normalise(o.Type, "", o.Value)
		if !ok || k.space == "" {
			return 0
		}
		if p, ok := ix.names[k.space][k.name]; ok {
			add(p)
		}
	}
	return ix.each(hits, fn)
}

func (ix *Index) each(hits []int32, fn func(*Indicator)) int {
	if len(hits) > 16 {
		seen := make(map[int32]bool, len(hits))
		for _, h := range hits {
			if !seen[h] {
				seen[h] = true
				fn(&ix.inds[h])
			}
		}
		return len(seen)
	}
	n := 0
	for i, h := range hits {
		dup := false
		for _, prev := range hits[:i] {
			dup = dup || prev == h
		}
		if !dup {
			fn(&ix.inds[h])
			n++
		}
	}
	return n
}

func mask4(bits int) uint32 {
	if bits == 0 {
		return 0
	}
	return ^uint32(0) << (32 - bits)
}

// Validate checks an observable given for lookup, naming the bad field.
func (o Observable) Validate() error {
	switch o.Type {
	case IPv4, IPv6:
		if _, err := netip.ParseAddr(strings.TrimSpace(o.Value)); err != nil {
			return fmt.Errorf("value: %q is not an IP address", o.Value)
		}
	case Domain, URL, Email:
		if strings.TrimSpace(o.Value) == "" || len(o.Value) > 2048 {
			return fmt.Errorf("value: must be 1-2048 characters")
		}
	case File:
		if len(o.Hashes) == 0 {
			return fmt.Errorf("hashes: a file observable needs hashes")
		}
	default:
		return fmt.Errorf("type: %q is not one of ipv4-addr, ipv6-addr, domain-name, url, email-addr, file", o.Type)
	}
	return nil
}
