package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/web/locale"
)

func requireKey(t *testing.T, key, where string) {
	t.Helper()
	for _, l := range locale.Languages {
		if !locale.Has(l, key) {
			t.Errorf("%s: key %q missing in %s", where, key, l)
		}
	}
}

// TestTemplateKeysTranslated checks every literal key the templates and
// handlers use.
func TestTemplateKeysTranslated(t *testing.T) {
	lit := regexp.MustCompile(`\bt "([a-z0-9_.]+)"`)
	fs.WalkDir(assets, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(assets, p)
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			requireKey(t, m[1], p)
		}
		return nil
	})
	goKey := regexp.MustCompile(`"((?:err|flash|login|dash|hotline|req|compose|settings|intel|dir|audit|admin|time)\.[a-z0-9_.]+)"`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			requireKey(t, m[1], f)
		}
	}
}

// TestDomainValuesTranslated checks the keys templates build from domain
// values: every role, status, type, priority, action, schema field and
// enumerated value is shown translated.
func TestDomainValuesTranslated(t *testing.T) {
	for _, r := range auth.Roles {
		requireKey(t, "role."+string(r), "auth.Roles")
	}
	for _, s := range request.Statuses {
		requireKey(t, "status."+string(s), "request.Statuses")
	}
	for _, p := range request.Priorities {
		requireKey(t, "priority."+string(p), "request.Priorities")
	}
	for _, a := range request.Actions() {
		requireKey(t, "action."+string(a), "request.Actions")
	}
	for _, g := range request.Grounds {
		requireKey(t, "ground."+g, "request.Grounds")
	}
	for _, c := range request.Conditions {
		requireKey(t, "cond."+c, "request.Conditions")
	}
	for _, sc := range request.Schemas() {
		requireKey(t, "type."+string(sc.Type), "request.Schemas")
		for _, f := range sc.Fields {
			requireKey(t, "field."+f.Name, string(sc.Type))
			for _, v := range f.Values {
				requireKey(t, "value."+v, string(sc.Type)+"."+f.Name)
			}
		}
	}
	for _, h := range []string{federation.HealthOK, federation.HealthUnreachable, federation.HealthUnknown} {
		requireKey(t, "health."+h, "federation health")
	}
	for _, k := range []string{"phase.acknowledge", "phase.answer", "phase.paused", "side.requesting", "side.requested",
		"hotline.dir.in", "hotline.dir.out", "hotline.level.0", "hotline.level.1", "hotline.level.2",
		"deadline.yes", "deadline.no", "bool.yes", "bool.no", "completeness.full", "completeness.partial"} {
		requireKey(t, k, "console")
	}
}
