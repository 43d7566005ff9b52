package sample_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/demo"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/sample"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

func openNode(t *testing.T) (*node.Node, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "node")
	if _, err := node.Init(t.Context(), node.InitOptions{Dir: dir, Party: "US", Name: "United States"}); err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(t.Context(), dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if _, err := n.Intel.CreateCollection(t.Context(), "t", intel.NewCollection{Title: "Samples", Alias: "samples",
		Grants: []store.Grant{{Grantee: "*", CanRead: true, CanWrite: true}}}); err != nil {
		t.Fatal(err)
	}
	return n, dir
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestAddStoresEncryptedAndDescribes(t *testing.T) {
	n, dir := openNode(t)
	ctx := t.Context()
	payload := append([]byte("MZ\x90\x00 this is not really malware, only test bytes "), bytes.Repeat([]byte{0xcc}, 100_000)...)
	added, err := n.Samples.Add(ctx, "analyst", sample.NewSample{Collection: "samples", Name: `C:\Users\x\dropper.exe`,
		MalwareName: "Dropper", ReportName: "Dropper triage", TLP: marking.Amber}, bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	s := added.Sample
	if !added.New || s.SHA256 != digest(payload) || s.Size != int64(len(payload)) || s.Name != "dropper.exe" ||
		len(s.MD5) != 32 || len(s.SHA1) != 40 || len(s.SHA512) != 128 {
		t.Fatalf("added %+v", added)
	}
	// On disk: ciphertext only, 0600, named by the hash, no exec bit.
	blob := filepath.Join(dir, "data/samples", s.SHA256[:2], s.SHA256+".age")
	raw, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, payload[:20]) || !bytes.HasPrefix(raw, []byte("age-encryption.org/v1")) {
		t.Fatal("the blob is not an age file, or holds plaintext")
	}
	for _, p := range []string{blob, filepath.Join(dir, "keys/samples.age")} {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	// The objects are in the collection and describe the sample.
	coll, _ := n.Store.GetCollection(ctx, "samples")
	rows, err := n.Store.QueryObjects(ctx, store.STIXFilter{CollectionID: coll.ID, Limit: 10, WithBody: true})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, r := range rows {
		types = append(types, r.Type)
		if r.Type == "file" && (r.ID != added.FileID || !bytes.Contains(r.Body, []byte(s.SHA256)) || r.TLP != int(marking.Amber)) {
			t.Errorf("file object %s", r.Body)
		}
		if r.Type == "malware" && !bytes.Contains(r.Body, []byte(`"sample_refs":["`+added.FileID)) {
			t.Errorf("malware object %s", r.Body)
		}
	}
	slices.Sort(types)
	if strings.Join(types, ",") != "file,malware,report" {
		t.Fatalf("objects %v", types)
	}
	// The same bytes again: one blob, one record, already-known objects.
	again, err := n.Samples.Add(ctx, "analyst", sample.NewSample{Collection: "samples", Name: "dropper.exe", MalwareName: "Dropper",
		TLP: marking.Amber}, bytes.NewReader(payload))
	if err != nil || again.New || again.FileID != added.FileID {
		t.Fatalf("second add: %+v, %v", again, err)
	}
	// Raw and zipped hand-outs give back the bytes.
	var out bytes.Buffer
	if err := n.Samples.Write(ctx, "analyst", s.SHA256, sample.FormatRaw, &out); err != nil || !bytes.Equal(out.Bytes(), payload) {
		t.Fatalf("raw download: %v", err)
	}
	out.Reset()
	if err := n.Samples.Write(ctx, "analyst", s.SHA256, sample.FormatZip, &out); err != nil || !bytes.HasPrefix(out.Bytes(), []byte("PK\x03\x04")) {
		t.Fatalf("zip download: %v", err)
	}
	audit, _ := n.Store.ListAudit(ctx, store.AuditFilter{ObjectID: s.SHA256})
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	if strings.Join(actions, ",") != "sample.store,sample.link,sample.link,sample.download,sample.download" {
		t.Fatalf("audit %v", actions)
	}
	// A blob changed on disk is refused, not served.
	os.WriteFile(blob, append(raw[:len(raw)-5:len(raw)-5], 1, 2, 3, 4, 5), 0o600)
	out.Reset()
	if err := n.Samples.Write(ctx, "analyst", s.SHA256, sample.FormatRaw, &out); !errors.Is(err, sample.ErrCorrupt) {
		t.Fatalf("tampered blob: %v", err)
	}
}

func TestAddRefuses(t *testing.T) {
	n, _ := openNode(t)
	ctx := t.Context()
	n.Samples.MaxBytes = 1000
	if _, err := n.Samples.Add(ctx, "a", sample.NewSample{Collection: "samples", Name: "big.bin"}, io.LimitReader(rand.Reader, 1001)); !errors.Is(err, sample.ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	cases := []struct {
		n     sample.NewSample
		field string
	}{
		{sample.NewSample{Collection: "samples", Name: ""}, "name"},
		{sample.NewSample{Collection: "samples", Name: "a", Kind: "exe"}, "kind"},
		{sample.NewSample{Collection: "samples", Name: "a", Kind: store.SampleDocument}, "report_name"},
		{sample.NewSample{Collection: "samples", Name: "a", MalwareID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "malware_id"},
		{sample.NewSample{Collection: "samples", Name: "a", Recipients: []string{"CN"}, TLP: marking.Amber}, "recipients"},
		{sample.NewSample{Collection: "samples", Name: "a", MIMEType: "nope"}, "mime_type"},
	}
	for _, c := range cases {
		_, err := n.Samples.Add(ctx, "a", c.n, strings.NewReader("x"))
		var ve validation.Errors
		if !errors.As(err, &ve) || ve[0].Field != c.field {
			t.Errorf("%+v: %v, want an error on %s", c.n, err, c.field)
		}
	}
	if _, err := n.Samples.Add(ctx, "a", sample.NewSample{Collection: "nope", Name: "a"}, strings.NewReader("x")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown collection: %v", err)
	}
}

// TestSharingSamplesEnforcesMarkings runs three nodes: US shares a
// collection with CN and EU and uploads samples of every interesting TLP.
// Each peer receives, as an encrypted attachment, exactly the samples its
// marking allows, stores them encrypted, and keeps no plain copy.
func TestSharingSamplesEnforcesMarkings(t *testing.T) {
	ctx := t.Context()
	cast := append(slices.Clone(demo.Parties), demo.Europol)
	w, err := demo.Build(ctx, demo.Options{Dir: filepath.Join(t.TempDir(), "w"), Log: slog.New(slog.DiscardHandler), Parties: cast})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	sctx, cancel := context.WithCancel(ctx)
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- w.Serve(sctx, func() { close(ready) }) }()
	defer func() { cancel(); <-done }()
	<-ready
	nodes := map[string]*demo.Running{}
	for _, r := range w.Nodes {
		nodes[r.Party.Code] = r
	}
	us := nodes["US"].Node
	coll, err := us.Intel.CreateCollection(ctx, "t", intel.NewCollection{Title: "Samples", Grants: []store.Grant{
		{Grantee: "agency:FBI", CanRead: true, CanWrite: true}, {Grantee: "party:CN", CanRead: true}, {Grantee: "party:EU", CanRead: true}}})
	if err != nil {
		t.Fatal(err)
	}
	payloads := map[string][]byte{}
	upload := func(label string, n sample.NewSample) {
		b := make([]byte, 300_000+len(label))
		rand.Read(b)
		n.Collection, n.Name = coll.ID, label+".bin"
		a, err := us.Samples.Add(ctx, "t", n, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		payloads[a.Sample.SHA256] = b
		for _, s := range a.Sharing {
			want := label == "amber" || label == "doc" || (label == "red" && s.Party == "CN")
			if s.Allowed != want {
				t.Errorf("%s to %s: %+v", label, s.Party, s.Decision)
			}
		}
		payloads[label] = []byte(a.Sample.SHA256)
	}
	upload("amber", sample.NewSample{TLP: marking.Amber})
	upload("red", sample.NewSample{TLP: marking.Red, Recipients: []string{"CN"}})
	upload("strict", sample.NewSample{TLP: marking.AmberStrict})
	upload("doc", sample.NewSample{Kind: store.SampleDocument, ReportName: "Analysis of the amber sample", MIMEType: "application/pdf", TLP: marking.Green})
	want := map[string][]string{"CN": {"amber", "red", "doc"}, "EU": {"amber", "doc"}}
	for party, labels := range want {
		n := nodes[party].Node
		for _, label := range labels {
			sha := string(payloads[label])
			var got store.Sample
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				if got, err = n.Store.GetSample(ctx, sha); err == nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("%s never received %s: %v", party, label, err)
			}
			if got.Source != "US" || got.Name != label+".bin" {
				t.Errorf("%s: %+v", party, got)
			}
			var out bytes.Buffer
			if err := n.Samples.Write(ctx, "t", sha, sample.FormatRaw, &out); err != nil || !bytes.Equal(out.Bytes(), payloads[sha]) {
				t.Errorf("%s: %s does not read back: %v", party, label, err)
			}
			// The link names the collection where the file object landed.
			links, _ := n.Store.ListSampleLinks(ctx, sha)
			if len(links) != 1 {
				t.Fatalf("%s: links %+v", party, links)
			}
			rows, err := n.Store.QueryObjects(ctx, store.STIXFilter{CollectionID: links[0].CollectionID, IDs: []string{links[0].FileID}, Limit: 1})
			if err != nil || len(rows) != 1 {
				t.Errorf("%s: file object %s not in %s: %v", party, links[0].FileID, links[0].CollectionID, err)
			}
		}
	}
	// The samples not allowed never arrived; give the queue a moment to
	// be sure nothing is in flight.
	time.Sleep(300 * time.Millisecond)
	for party, not := range map[string][]string{"CN": {"strict"}, "EU": {"strict", "red"}} {
		for _, label := range not {
			if _, err := nodes[party].Node.Store.GetSample(ctx, string(payloads[label])); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s holds the %s sample: %v", party, label, err)
			}
		}
		// No plain copy is left anywhere in the receiver's directory.
		filepath.WalkDir(nodes[party].Node.Config.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, _ := os.ReadFile(p)
			if _, ok := payloads[digest(b)]; ok {
				t.Errorf("%s: plain sample at %s", party, p)
			}
			return nil
		})
	}
}
