// Package locale holds the web console's translations: one JSON catalogue
// per language (en, zh-CN), embedded in the binary, with the same keys in
// each. A missing key is a test failure, never a silent fallback in
// production: Printer.T returns the key itself so the gap is visible.
package locale

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

//go:embed *.json
var files embed.FS

// Languages are the console's languages, the default first.
var Languages = []string{"en", "zh-CN"}

// Default is the language for users who chose none.
const Default = "en"

var catalogues = map[string]map[string]string{}

func init() {
	for _, l := range Languages {
		b, err := files.ReadFile(l + ".json")
		if err != nil {
			panic("locale: " + err.Error())
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic("locale: " + l + ".json: " + err.Error())
		}
		catalogues[l] = m
	}
}

// Keys returns the sorted keys of a language's catalogue.
func Keys(lang string) []string {
	out := make([]string, 0, len(catalogues[lang]))
	for k := range catalogues[lang] {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Has reports whether lang translates key.
func Has(lang, key string) bool {
	_, ok := catalogues[lang][key]
	return ok
}

// Supported returns lang if the console speaks it, else Default.
func Supported(lang string) string {
	if slices.Contains(Languages, lang) {
		return lang
	}
	return Default
}

// FromAcceptLanguage picks a language from an Accept-Language header.
func FromAcceptLanguage(h string) string {
	for part := range strings.SplitSeq(h, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch t := strings.ToLower(tag); {
		case t == "en" || strings.HasPrefix(t, "en-"):
			return "en"
		case t == "zh" || t == "zh-cn" || t == "zh-hans" || strings.HasPrefix(t, "zh-hans-") || t == "zh-sg":
			return "zh-CN"
		}
	}
	return Default
}

// Printer translates for one language.
type Printer struct{ Lang string }

// T returns the translation of key, formatted with args (fmt verbs). An
// unknown key returns the key, so a gap shows on screen and in tests.
func (p Printer) T(key string, args ...any) string {
	s, ok := catalogues[p.Lang][key]
	if !ok {
		s, ok = catalogues[Default][key]
	}
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Lookup returns the translation of key in the printer's language, and
// whether the catalogue has it.
func (p Printer) Lookup(key string) (string, bool) {
	s, ok := catalogues[p.Lang][key]
	return s, ok
}

// TOr translates key when the catalogue has it, else returns fallback
// (values that come from outside, such as a peer's free text).
func (p Printer) TOr(key, fallback string) string {
	if s, ok := catalogues[p.Lang][key]; ok {
		return s
	}
	return fallback
}
