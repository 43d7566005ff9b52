package locale

import (
	"strings"
	"testing"
)

// TestCataloguesMatch fails on a key missing in either language, or left
// untranslated.
func TestCataloguesMatch(t *testing.T) {
	for _, l := range Languages {
		if len(Keys(l)) == 0 {
			t.Fatalf("%s: empty catalogue", l)
		}
		for _, k := range Keys(Default) {
			if !Has(l, k) {
				t.Errorf("%s lacks %q", l, k)
			}
		}
		for _, k := range Keys(l) {
			if !Has(Default, k) {
				t.Errorf("%s has %q, which %s lacks", l, k, Default)
			}
			if strings.TrimSpace(catalogues[l][k]) == "" {
				t.Errorf("%s: %q is empty", l, k)
			}
			if strings.Count(catalogues[l][k], "%") != strings.Count(catalogues[Default][k], "%") {
				t.Errorf("%s: %q has other format verbs than %s", l, k, Default)
			}
		}
	}
	// Chinese strings are Chinese: a copied English string is a gap.
	for _, k := range Keys("zh-CN") {
		zh := catalogues["zh-CN"][k]
		if zh == catalogues["en"][k] && strings.IndexFunc(zh, func(r rune) bool { return r >= 'a' && r <= 'z' }) >= 0 &&
			k != "health.ok" && !strings.HasPrefix(k, "time.") {
			t.Errorf("zh-CN: %q is the English %q", k, zh)
		}
	}
}

func TestPrinter(t *testing.T) {
	if got := (Printer{"zh-CN"}).T("time.left", "00:01:00"); got != "剩余 00:01:00" {
		t.Errorf("T = %q", got)
	}
	if got := (Printer{"en"}).T("no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q, want the key", got)
	}
	for h, want := range map[string]string{"zh-CN,zh;q=0.9": "zh-CN", "en-US": "en", "fr": "en", "": "en", "zh-Hans": "zh-CN"} {
		if got := FromAcceptLanguage(h); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", h, got, want)
		}
	}
}
