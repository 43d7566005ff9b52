package pattern

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// MaxReportedBindings bounds Result.Bindings.
const MaxReportedBindings = 100

// Result is the outcome of Match.
type Result struct {
	Matched bool
	// ObservedData lists, in input order, the ids of the observed-data
	// that take part in at least one found binding.
	ObservedData []string
	// Bindings lists found bindings, at most MaxReportedBindings: each the
	// ids of the observed-data bound to the pattern's observation
	// expressions, in input order. An id repeats when number_observed lets
	// one observed-data stand for several observations.
	Bindings [][]string
	// Partial is set when the matcher stopped enumerating at a limit. The
	// match itself is certain; the lists above may be incomplete.
	Partial bool
}

// Match evaluates the pattern against observations (STIX 2.1 §9.8).
//
// Semantics, following the specification and the OASIS reference matcher
// (cti-pattern-matcher):
//
//   - An observed-data with number_observed n counts as n observations.
//   - [ comparison ] is satisfied by one observation when one of its SCOs
//     satisfies the whole comparison expression: comparisons joined by AND
//     must hold for the same SCO, OR for any. A comparison holds when any
//     value its object path selects passes; a missing property never
//     passes, NOT included.
//   - A AND B: A and B are satisfied by disjoint sets of observations.
//     A OR B: either is satisfied. A FOLLOWEDBY B: disjoint, and it is
//     possible to pick times in the observations' [first_observed,
//     last_observed] intervals so that all of A's precede B's (the latest
//     first_observed of A is not after the earliest last_observed of B).
//   - WITHIN d SECONDS: the observations' intervals can all be touched by
//     one window of d seconds (max first_observed - min last_observed <= d).
//     START s STOP e: every observation's interval meets [s, e) — its
//     last_observed >= s and its first_observed < e. REPEATS n TIMES: n
//     disjoint satisfactions of the qualified expression. Qualifiers apply
//     in source order, each to the expression as qualified so far.
//
// Match returns ErrUnsupportedRegex when the pattern has a MATCHES operand
// RE2 cannot run, and ErrTooComplex when the limits stopped the search
// before any match was found.
func (p *Pattern) Match(observations []*ObservedData) (*Result, error) {
	if len(p.warnings) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedRegex, p.warnings[0])
	}
	m := &matcher{obs: observations}
	bs := m.eval(p.Expr)
	if len(bs) == 0 {
		if m.truncated {
			return nil, ErrTooComplex
		}
		return &Result{}, nil
	}
	res := &Result{Matched: true, Partial: m.truncated}
	used := make([]bool, len(observations))
	for i, b := range bs {
		var ids []string
		for _, idx := range b {
			used[idx] = true
			ids = append(ids, observations[idx].ID)
		}
		if i < MaxReportedBindings {
			res.Bindings = append(res.Bindings, ids)
		}
	}
	for i, u := range used {
		if u {
			res.ObservedData = append(res.ObservedData, observations[i].ID)
		}
	}
	return res, nil
}

// binding is a multiset of observed-data indices, sorted; an index may
// repeat up to that observed-data's number_observed.
type binding []int32

type matcher struct {
	obs       []*ObservedData
	work      int
	truncated bool
	buf       [2][]any // scratch for values, reused between calls
}

// spend charges n units of work and reports whether the budget allows
// going on.
func (m *matcher) spend(n int) bool {
	m.work += n
	if m.work > MaxWork {
		m.truncated = true
		return false
	}
	return true
}

func (m *matcher) eval(e ObservationExpr) []binding {
	switch e := e.(type) {
	case *Observation:
		var out []binding
		types := objectTypes(e.Comparison)
		for i, od := range m.obs {
			if m.holds(e.Comparison, types, od) {
				out = append(out, binding{int32(i)})
			}
			if len(out) >= MaxBindings {
				m.truncated = true
				break
			}
		}
		return m.qualify(out, e.Qualifiers)
	case *Group:
		return m.qualify(m.eval(e.Expr), e.Qualifiers)
	case *ObservationOp:
		acc := m.eval(e.Operands[0])
		for _, o := range e.Operands[1:] {
			if e.Op != ObsOr && len(acc) == 0 {
				return nil
			}
			next := m.eval(o)
			switch e.Op {
			case ObsOr:
				acc = m.union(acc, next)
			case ObsAnd:
				acc = m.join(acc, next, false)
			case ObsFollowedBy:
				acc = m.join(acc, next, true)
			}
		}
		return acc
	}
	return nil
}

func (m *matcher) qualify(bs []binding, qs []Qualifier) []binding {
	for _, q := range qs {
		if len(bs) == 0 {
			return nil
		}
		switch q.Kind {
		case QualWithin:
			bs = filter(bs, func(b binding) bool {
				return m.maxFirst(b).Sub(m.minLast(b)) <= q.Within
			})
		case QualStartStop:
			bs = filter(bs, func(b binding) bool {
				for _, i := range b {
					od := m.obs[i]
					if od.LastObserved.Before(q.Start) || !od.FirstObserved.Before(q.Stop) {
						return false
					}
				}
				return true
			})
		case QualRepeats:
			bs = m.repeat(bs, q.Repeats)
		}
	}
	return bs
}

func filter(bs []binding, keep func(binding) bool) []binding {
	out := bs[:0:0]
	for _, b := range bs {
		if keep(b) {
			out = append(out, b)
		}
	}
	return out
}

// repeat finds n-fold disjoint combinations of bs.
func (m *matcher) repeat(bs []binding, n int) []binding {
	if n == 1 {
		return bs
	}
	// Each combination uses at least n*minSize observations out of those
	// the bindings mention; if there are not that many, none exists.
	minSize, capacity := len(bs[0]), 0
	seen := make(map[int32]bool)
	for _, b := range bs {
		minSize = min(minSize, len(b))
		for _, i := range b {
			if !seen[i] {
				seen[i] = true
				capacity += m.obs[i].NumberObserved
			}
		}
	}
	if int64(n)*int64(minSize) > int64(capacity) {
		return nil
	}
	if minSize == 1 && len(seen) == len(bs) {
		// Single observations: when they are exactly enough, the one
		// combination is all of them; when the partial combinations
		// would be too many to list, try time windows.
		if capacity == n {
			var all binding
			for _, b := range bs {
				for range m.obs[b[0]].NumberObserved {
					all = append(all, b[0])
				}
			}
			slices.Sort(all)
			return []binding{all}
		}
		if choose(capacity, min(n, capacity/2)) > MaxBindings {
			return m.repeatWindows(bs, n)
		}
	}
	acc := bs
	for k := 2; k <= n; k++ {
		if m.work > MaxWork {
			// Out of budget before reaching n: no n-fold binding found.
			return nil
		}
		acc = m.join(acc, bs, false)
		if len(acc) == 0 {
			return nil
		}
	}
	return acc
}

// repeatWindows handles REPEATS over single observations when there are
// too many combinations to list: it tries, for each observation in time
// order, the n observations that follow it (counting number_observed).
// Those are the combinations WITHIN is most likely to accept. The list is
// incomplete, so the search is marked truncated: a match is certain, a
// failure is reported as ErrTooComplex.
func (m *matcher) repeatWindows(bs []binding, n int) []binding {
	m.truncated = true
	idx := make([]int32, len(bs))
	for i, b := range bs {
		idx[i] = b[0]
	}
	sort.Slice(idx, func(i, j int) bool {
		a, b := m.obs[idx[i]], m.obs[idx[j]]
		if !a.FirstObserved.Equal(b.FirstObserved) {
			return a.FirstObserved.Before(b.FirstObserved)
		}
		if !a.LastObserved.Equal(b.LastObserved) {
			return a.LastObserved.Before(b.LastObserved)
		}
		return idx[i] < idx[j]
	})
	var out []binding
	for s := range idx {
		if !m.spend(n) {
			break
		}
		w := make(binding, 0, n)
		for _, i := range idx[s:] {
			take := min(m.obs[i].NumberObserved, n-len(w))
			for range take {
				w = append(w, i)
			}
			if len(w) == n {
				break
			}
		}
		if len(w) < n {
			break // later starts have even fewer observations after them
		}
		slices.Sort(w)
		out = append(out, w)
		if len(out) >= MaxBindings {
			break
		}
	}
	return out
}

// choose returns the binomial coefficient C(n, k), saturating above
// MaxBindings.
func choose(n, k int) int {
	if k < 0 || k > n {
		return 0
	}
	k = min(k, n-k)
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n-k+i) / float64(i)
		if c > MaxBindings {
			return MaxBindings + 1
		}
	}
	return int(c + 0.5)
}

func (m *matcher) union(a, b []binding) []binding {
	seen := make(map[string]struct{}, len(a)+len(b))
	out := make([]binding, 0, len(a)+len(b))
	for _, list := range [][]binding{a, b} {
		for _, x := range list {
			k := x.key()
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
			out = append(out, x)
			if len(out) >= MaxBindings {
				m.truncated = true
				return out
			}
		}
	}
	return out
}

// join combines every binding of l with every disjoint binding of r;
// with follow, only where l's observations can precede r's.
func (m *matcher) join(l, r []binding, follow bool) []binding {
	seen := make(map[string]struct{})
	var out []binding
	for _, a := range l {
		var aMaxFirst time.Time
		if follow {
			aMaxFirst = m.maxFirst(a)
		}
		for _, b := range r {
			if !m.spend(1 + len(a) + len(b)) {
				return out
			}
			if follow && aMaxFirst.After(m.minLast(b)) {
				continue
			}
			c, ok := m.merge(a, b)
			if !ok {
				continue
			}
			k := c.key()
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
			out = append(out, c)
			if len(out) >= MaxBindings {
				m.truncated = true
				return out
			}
		}
	}
	return out
}

// merge unions two multisets, failing when an observed-data would be used
// more times than its number_observed.
func (m *matcher) merge(a, b binding) (binding, bool) {
	out := make(binding, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j == len(b) || i < len(a) && a[i] <= b[j] {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
		n := len(out)
		run := 1
		for n-1-run >= 0 && out[n-1-run] == out[n-1] {
			run++
		}
		if run > m.obs[out[n-1]].NumberObserved {
			return nil, false
		}
	}
	return out, true
}

func (b binding) key() string {
	buf := make([]byte, 4*len(b))
	for i, x := range b {
		binary.LittleEndian.PutUint32(buf[4*i:], uint32(x))
	}
	return string(buf)
}

func (m *matcher) maxFirst(b binding) time.Time {
	t := m.obs[b[0]].FirstObserved
	for _, i := range b[1:] {
		if f := m.obs[i].FirstObserved; f.After(t) {
			t = f
		}
	}
	return t
}

func (m *matcher) minLast(b binding) time.Time {
	t := m.obs[b[0]].LastObserved
	for _, i := range b[1:] {
		if l := m.obs[i].LastObserved; l.Before(t) {
			t = l
		}
	}
	return t
}

// holds reports whether one SCO of od satisfies c; types lists the object
// types c can hold for.
func (m *matcher) holds(c ComparisonExpr, types []string, od *ObservedData) bool {
	for i, k := range od.keys {
		if t := od.types[i]; contains(types, t) && m.test(c, od, t, od.Objects[k]) {
			return true
		}
	}
	return false
}

func (m *matcher) test(c ComparisonExpr, od *ObservedData, rootType string, root map[string]any) bool {
	switch c := c.(type) {
	case *ComparisonOp:
		for _, o := range c.Operands {
			r := m.test(o, od, rootType, root)
			if c.Op == CmpOr && r {
				return true
			}
			if c.Op == CmpAnd && !r {
				return false
			}
		}
		return c.Op == CmpAnd
	case *Comparison:
		if rootType != c.Path.Type {
			return false
		}
		vals := m.values(od, root, c.Path.Steps)
		if !m.spend(1 + len(vals)) {
			return false
		}
		if c.Op == OpExists {
			return len(vals) > 0
		}
		for _, v := range vals {
			if c.testValue(v) {
				return true
			}
		}
	}
	return false
}

// values selects what an object path designates in one root SCO. Stepping
// through a *_ref property replaces the reference by the object it names,
// and a *_refs list by the list of objects, resolved within the
// observation; unresolved references drop out. *_hex and *_bin property
// values become bytes.
//
// The result aliases scratch space and is valid until the next call.
func (m *matcher) values(od *ObservedData, root map[string]any, steps []Step) []any {
	cur := append(m.buf[0][:0], root)
	for si, s := range steps {
		next := m.buf[(si+1)%2][:0]
		for _, v := range cur {
			switch s.Kind {
			case StepKey:
				obj, ok := v.(map[string]any)
				if !ok {
					continue
				}
				x, ok := obj[s.Key]
				if !ok {
					continue
				}
				if x, ok = od.step(s.Key, x); ok {
					next = append(next, x)
				}
			case StepIndex:
				list, ok := v.([]any)
				if !ok {
					continue
				}
				i := s.Index
				if i < 0 {
					i += len(list)
				}
				if i >= 0 && i < len(list) {
					next = append(next, list[i])
				}
			case StepAny:
				if list, ok := v.([]any); ok {
					next = append(next, list...)
				}
			}
			if len(next) > MaxPathValues {
				m.truncated = true
				next = next[:MaxPathValues]
				break
			}
		}
		m.buf[(si+1)%2] = next
		if len(next) == 0 {
			return nil
		}
		cur = next
	}
	return cur
}

// step post-processes the value of property key.
func (od *ObservedData) step(key string, x any) (any, bool) {
	switch {
	case strings.HasSuffix(key, "_ref"):
		ref, ok := x.(string)
		if !ok {
			return nil, false
		}
		o, ok := od.resolve(ref)
		return o, ok
	case strings.HasSuffix(key, "_refs"):
		list, ok := x.([]any)
		if !ok {
			return nil, false
		}
		var objs []any
		for _, r := range list {
			if ref, ok := r.(string); ok {
				if o, ok := od.resolve(ref); ok {
					objs = append(objs, o)
				}
			}
		}
		return objs, len(objs) > 0
	case strings.HasSuffix(key, "_hex"):
		if s, ok := x.(string); ok {
			if b, err := hex.DecodeString(s); err == nil {
				return b, true
			}
		}
	case strings.HasSuffix(key, "_bin"):
		if s, ok := x.(string); ok {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				return b, true
			}
		}
	}
	return x, true
}
