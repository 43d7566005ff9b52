package sample

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"fmt"

	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/stix"
	"github.com/liaison-dev/liaison/internal/store"
)

// scoNamespace is the UUIDv5 namespace of STIX cyber-observable ids
// (STIX 2.1 section 2.9).
var scoNamespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

// scoID derives a deterministic SCO id: UUIDv5 over the canonical JSON
// of the ID-contributing properties (SPEC 2.1 §2.9). Keys are sorted and
// HTML characters left unescaped, which is RFC 8785 for the plain strings
// and integers used here.
func scoID(typ string, contributing map[string]any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(contributing)
	h := sha1.New()
	h.Write(scoNamespace[:])
	h.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%s--%x-%x-%x-%x-%x", typ, b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// FileID is the id of the STIX file observable of a sample named name:
// SPEC 2.1 §6.7 makes hashes and name contribute, and §2.9 picks one hash,
// the first of MD5, SHA-1, SHA-256, SHA-512 present.
func FileID(d Digests, name string) string {
	c := map[string]any{"hashes": map[string]string{"MD5": d.MD5}}
	if name != "" {
		c["name"] = name
	}
	return scoID("file", c)
}

// objects builds the STIX objects describing a new sample.
type objects struct {
	FileID, MalwareID, ReportID string
	All                         []json.RawMessage
}

func marked(m map[string]any, tlp marking.TLP, recipients []string) map[string]any {
	m["object_marking_refs"] = []string{tlp.ID()}
	if tlp == marking.Red && len(recipients) > 0 {
		m[intel.RecipientsProperty] = recipients
	}
	return m
}

func buildObjects(n NewSample, d Digests, now string) (objects, error) {
	var o objects
	add := func(m map[string]any) {
		b, _ := json.Marshal(marked(m, n.TLP, n.Recipients))
		o.All = append(o.All, b)
	}
	file := map[string]any{"type": "file", "spec_version": "2.1", "name": n.Name, "size": d.Size,
		"hashes": map[string]string{"MD5": d.MD5, "SHA-1": d.SHA1, "SHA-256": d.SHA256, "SHA-512": d.SHA512}}
	if n.MIMEType != "" {
		file["mime_type"] = n.MIMEType
	}
	o.FileID = FileID(d, n.Name)
	file["id"] = o.FileID
	add(file)
	common := func(typ string) map[string]any {
		return map[string]any{"type": typ, "spec_version": "2.1", "id": typ + "--" + intel.NewUUID(), "created": now, "modified": now}
	}
	refs := []string{o.FileID}
	if n.Kind == store.SampleMalware {
		switch {
		case n.MalwareID != "":
			// An existing malware object is not ours to version: the
			// sample is tied to it by a relationship instead.
			rel := common("relationship")
			rel["relationship_type"], rel["source_ref"], rel["target_ref"] = "related-to", n.MalwareID, o.FileID
			rel["description"] = "sample of this malware (SHA-256 " + d.SHA256 + ")"
			o.MalwareID = n.MalwareID
			add(rel)
			refs = append(refs, n.MalwareID, rel["id"].(string))
		default:
			// SPEC 2.1 §4.7: sample_refs names the file or artifact
			// objects that are samples of a malware instance.
			mw := common("malware")
			mw["name"], mw["is_family"], mw["sample_refs"] = n.MalwareName, false, []string{o.FileID}
			o.MalwareID = mw["id"].(string)
			add(mw)
			refs = append(refs, o.MalwareID)
		}
	}
	refs = append(refs, n.About...)
	if n.ReportName != "" {
		rep := common("report")
		rep["name"], rep["published"], rep["object_refs"] = n.ReportName, now, refs
		rep["report_types"] = []string{"malware"}
		if n.ReportDescription != "" {
			rep["description"] = n.ReportDescription
		}
		if n.Kind == store.SampleDocument {
			// The analysis document itself, by hash, where STIX puts
			// references to material outside the object.
			rep["external_references"] = []map[string]any{{"source_name": "liaison-sample-store",
				"description": "analysis document " + n.Name + " (" + fmt.Sprint(d.Size) + " bytes)",
				"hashes":      map[string]string{"SHA-256": d.SHA256}}}
		}
		o.ReportID = rep["id"].(string)
		add(rep)
	}
	return o, nil
}

// parseAll validates the built objects as any other ingest would.
func parseAll(p *stix.Parser, raws []json.RawMessage) ([]*stix.Object, error) {
	out := make([]*stix.Object, 0, len(raws))
	for _, r := range raws {
		o, err := p.Parse(r)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}
