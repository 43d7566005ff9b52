package progress

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// FuzzReadReport: a report uploaded for verification (HTML or JSON) never
// panics the reader, and what it accepts re-encodes.
func FuzzReadReport(f *testing.F) {
	f.Add([]byte(`{"figures":{"format":"liaison-report/v2","origin":"US","round":4}}`))
	f.Add([]byte(`<html>` + reportScriptOpen + `{"signature":"x"}</script></html>`))
	f.Add([]byte(reportScriptOpen + `{`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ReadReport(b)
		if err != nil {
			return
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Figures.SignedMessage(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzDecodeState: the fast state scanner agrees with encoding/json on
// every input encoding/json accepts.
func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"status":"answered","sent":"2026-11-25T20:42:25.793367Z","paused":0,"answer_fixed":true,"ground":"x"}`))
	f.Add([]byte(`{"sent":"2026-11-25T20:42:25Z","reasons":"a \"b\"","ack_due":"2026-11-25T20:42:25+08:00"}`))
	f.Add([]byte(`{"paused": 12, "x": [1, {"sent": 3}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var want factState
		werr := json.Unmarshal(b, &want)
		var got factState
		gerr := decodeState(b, &got)
		if werr != nil {
			return // the scanner may accept more; the store only holds encoding/json output
		}
		if gerr != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%q: scanner %+v %v, encoding/json %+v", b, got, gerr, want)
		}
	})
}

// FuzzParseUTC: the fast reader of UTC times agrees with time.Parse
// whenever it accepts.
func FuzzParseUTC(f *testing.F) {
	for _, s := range []string{"2026-11-25T20:42:25.793367Z", "2026-11-25T20:42:25Z", "2016-02-29T00:00:00.1Z", "2017-02-29T00:00:00Z",
		"2026-04-31T23:59:59.999999999Z", "2026-11-25T24:00:00Z", "2026-11-25T20:42:60Z", "0000-01-01T00:00:00Z", "2026-11-25T20:42:25.Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseUTC([]byte(s))
		want, err := time.Parse(time.RFC3339Nano, s)
		if ok && (err != nil || got != want || fmt.Sprint(got) != fmt.Sprint(want)) {
			t.Fatalf("%q: %v, time.Parse %v %v", s, got, want, err)
		}
	})
}
