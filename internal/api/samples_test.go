package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/sample"
	"github.com/liaison-dev/liaison/internal/store"
)

func TestSampleUploadDownload(t *testing.T) {
	tn := newTestNode(t)
	coll, err := tn.n.Intel.CreateCollection(t.Context(), "t", intel.NewCollection{Title: "Samples",
		Grants: []store.Grant{{Grantee: "agency:FBI", CanRead: true, CanWrite: true}}})
	if err != nil {
		t.Fatal(err)
	}
	tn.n.Samples.MaxBytes = 50_000
	send := func(ct, query string, body io.Reader) (*http.Response, []byte) {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", tn.srv.URL+api.Prefix+"/intel/samples?"+query, body)
		req.SetBasicAuth("u-analyst", password)
		req.Header.Set("Content-Type", ct)
		resp, err := tn.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	payload := bytes.Repeat([]byte("not malware "), 1000)
	resp, b := send("application/octet-stream", "collection="+coll.ID+"&name=a.exe&tlp=green&malware_name=Alpha", bytes.NewReader(payload))
	var added sample.Added
	json.Unmarshal(b, &added)
	if resp.StatusCode != http.StatusCreated || added.Sample.Size != int64(len(payload)) || added.MalwareID == "" {
		t.Fatalf("raw upload: %d %s", resp.StatusCode, b)
	}
	// Multipart, fields first.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("collection", coll.ID)
	mw.WriteField("kind", "document")
	mw.WriteField("report_name", "Alpha analysis")
	mw.WriteField("about", added.MalwareID)
	fw, _ := mw.CreateFormFile("file", "alpha.pdf")
	fw.Write([]byte("%PDF-1.7 analysis"))
	mw.Close()
	resp, b = send(mw.FormDataContentType(), "", &mp)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(b), `report--`) || !strings.Contains(string(b), `alpha.pdf`) {
		t.Fatalf("multipart upload: %d %s", resp.StatusCode, b)
	}
	if resp, b := send("application/octet-stream", "collection="+coll.ID+"&name=big", bytes.NewReader(make([]byte, 50_001))); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("too large: %d %s", resp.StatusCode, b)
	}
	if resp, b := send("application/octet-stream", "collection="+coll.ID+"&name=x&tlp=blue", strings.NewReader("x")); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad tlp: %d %s", resp.StatusCode, b)
	}
	if resp, b := send("application/json", "collection="+coll.ID, strings.NewReader("{}")); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("json: %d %s", resp.StatusCode, b)
	}
	sha := added.Sample.SHA256
	resp, b = tn.do(t, "GET", api.Prefix+"/intel/samples?collection="+coll.ID, "u-auditor", "")
	if resp.StatusCode != 200 || strings.Count(string(b), `"sha256"`) != 2 {
		t.Fatalf("list: %d %s", resp.StatusCode, b)
	}
	resp, b = tn.do(t, "GET", api.Prefix+"/intel/samples/"+sha, "u-liaison-officer", "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), added.FileID) {
		t.Fatalf("get: %d %s", resp.StatusCode, b)
	}
	resp, b = tn.do(t, "GET", api.Prefix+"/intel/samples/"+sha+"/content?format=raw", "u-analyst", "")
	if resp.StatusCode != 200 || !bytes.Equal(b, payload) || resp.Header.Get("X-Liaison-Warning") == "" {
		t.Fatalf("raw download: %d", resp.StatusCode)
	}
	resp, b = tn.do(t, "GET", api.Prefix+"/intel/samples/"+sha+"/content", "u-analyst", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" || !bytes.HasPrefix(b, []byte("PK")) {
		t.Fatalf("zip download: %d", resp.StatusCode)
	}
	if resp, _ := tn.do(t, "GET", api.Prefix+"/intel/samples/"+sha+"/content", "u-liaison-officer", ""); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("officer downloads a sample: %d", resp.StatusCode)
	}
	if resp, _ := tn.do(t, "GET", api.Prefix+"/intel/samples/"+strings.Repeat("0", 64), "u-analyst", ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown sample: %d", resp.StatusCode)
	}
}
