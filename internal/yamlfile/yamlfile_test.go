package yamlfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/validation"
)

type file struct {
	Title string `yaml:"title"`
	Items []struct {
		Name string `yaml:"name"`
		Due  string `yaml:"due"`
	} `yaml:"items"`
}

func TestDecode(t *testing.T) {
	src := "title: T\nitems:\n  - name: a\n    due: x\n  - name: b\n"
	var f file
	d, err := Decode("f.yaml", strings.NewReader(src), 1<<10, &f)
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "T" || len(f.Items) != 2 {
		t.Fatalf("decoded %+v", f)
	}
	for path, want := range map[string]string{
		"title":          "f.yaml:1 title",
		"items[0].due":   "f.yaml:4 items[0].due",
		"items[1].due":   "f.yaml:5 items[1].due", // absent: the element's line
		"items[1]":       "f.yaml:5 items[1]",
		"missing.nested": "f.yaml missing.nested", // nowhere in the file
	} {
		if got := d.Field(path); got != want {
			t.Errorf("Field(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, src, field, detail string
		max                      int64
	}{
		{"too large", "title: T\n", "f.yaml", "is larger than 4 bytes", 4},
		{"empty", "", "f.yaml", "is empty", 1 << 10},
		{"syntax", "title: [\n", "f.yaml", "did not find expected node content", 1 << 10},
		{"unknown field", "title: T\nextra: 1\n", "f.yaml:2", "field extra not found in type yamlfile.file", 1 << 10},
		{"wrong type", "items: 3\n", "f.yaml:1", "cannot unmarshal !!int `3` into", 1 << 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f file
			_, err := Decode("f.yaml", strings.NewReader(tc.src), tc.max, &f)
			var errs validation.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("err = %v, want validation errors", err)
			}
			if !strings.HasPrefix(errs[0].Field, tc.field) || !strings.Contains(errs[0].Detail, tc.detail) {
				t.Fatalf("error = %q %q, want field %q and %q", errs[0].Field, errs[0].Detail, tc.field, tc.detail)
			}
		})
	}
}
