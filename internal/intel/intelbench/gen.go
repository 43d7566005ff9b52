// Package intelbench runs the threat-intelligence benchmarks behind
// `liaison bench intel` and `liaison bench match`: STIX ingest against a
// peer parser measured in the same run, TAXII paging over a large
// collection, and indicator lookups against a large index.
package intelbench

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"
)

// uuid returns a deterministic version-4 UUID for n.
func uuid(r *rand.Rand) string {
	a, b := r.Uint64(), r.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(a>>32), uint16(a>>16), uint16(a)&0xfff, uint16(b>>48)&0x3fff|0x8000, b&0xffffffffffff)
}

var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Bundle returns a STIX 2.1 bundle of n objects in the mix an analyst's
// feed has: indicators (half), observables, malware, relationships,
// identities and reports.
func Bundle(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b bytes.Buffer
	b.Grow(n * 600)
	fmt.Fprintf(&b, `{"type":"bundle","id":"bundle--%s","objects":[`, uuid(r))
	identity := "identity--" + uuid(r)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		ts := base.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000Z")
		switch i % 10 {
		case 0, 1, 2, 3, 4:
			fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created_by_ref":"%s","created":"%s","modified":"%s","name":"C2 node %d","indicator_types":["malicious-activity"],"pattern":"%s","pattern_type":"stix","valid_from":"%s","object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}`,
				uuid(r), identity, ts, ts, i, IndicatorPattern(i), ts)
		case 5, 6:
			fmt.Fprintf(&b, `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--%s","value":"10.%d.%d.%d"}`, uuid(r), i>>16&255, i>>8&255, i&255)
		case 7:
			fmt.Fprintf(&b, `{"type":"malware","spec_version":"2.1","id":"malware--%s","created_by_ref":"%s","created":"%s","modified":"%s","name":"Family %d","malware_types":["remote-access-trojan"],"is_family":true}`,
				uuid(r), identity, ts, ts, i)
		case 8:
			fmt.Fprintf(&b, `{"type":"relationship","spec_version":"2.1","id":"relationship--%s","created_by_ref":"%s","created":"%s","modified":"%s","relationship_type":"indicates","source_ref":"indicator--%s","target_ref":"malware--%s"}`,
				uuid(r), identity, ts, ts, uuid(r), uuid(r))
		case 9:
			fmt.Fprintf(&b, `{"type":"report","spec_version":"2.1","id":"report--%s","created_by_ref":"%s","created":"%s","modified":"%s","name":"Weekly report %d","report_types":["threat-report"],"published":"%s","object_refs":["indicator--%s","malware--%s"]}`,
				uuid(r), identity, ts, ts, i, ts, uuid(r), uuid(r))
		}
	}
	b.WriteString("]}")
	return b.Bytes()
}

// IndicatorPattern returns the i-th benchmark indicator's pattern: IP
// addresses, CIDR ranges, domains, URLs, e-mail addresses and hashes.
func IndicatorPattern(i int) string {
	switch i % 20 {
	case 0:
		return fmt.Sprintf("[ipv4-addr:value ISSUBSET '172.%d.%d.0/24']", i>>16&15|16, i>>8&255)
	case 1, 2, 3, 4, 5, 6, 7:
		return fmt.Sprintf("[ipv4-addr:value = '%s']", IPv4(i))
	case 8, 9, 10, 11, 12:
		return fmt.Sprintf("[domain-name:value = '%s']", Domain(i))
	case 13, 14, 15, 16:
		return fmt.Sprintf("[file:hashes.'SHA-256' = '%s']", Hash(i))
	case 17, 18:
		return fmt.Sprintf("[url:value = 'https://%s/login']", Domain(i))
	}
	return fmt.Sprintf("[email-addr:value = 'payroll%d@%s']", i, Domain(i))
}

// IPv4 is the i-th benchmark address.
func IPv4(i int) string { return fmt.Sprintf("%d.%d.%d.%d", 11+i>>24&127, i>>16&255, i>>8&255, i&255) }

// Domain is the i-th benchmark domain.
func Domain(i int) string { return fmt.Sprintf("c2-%x.example", i) }

// Hash is the i-th benchmark SHA-256.
func Hash(i int) string { return fmt.Sprintf("%064x", uint64(i)*0x9e3779b97f4a7c15) }
