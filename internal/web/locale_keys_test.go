package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/federation"
	"github.com/liaison-dev/liaison/internal/request"
	"github.com/liaison-dev/liaison/internal/validation"
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
	goKey := regexp.MustCompile(`"((?:err|flash|login|dash|hotline|req|compose|settings|intel|dir|audit|admin|time|common)\.[a-z0-9_.]+)"`)
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

// TestDomainMessagesTranslated checks every message the domain packages
// define: both catalogues translate it ("msg."+code), using only the
// message's own placeholders, and the catalogues hold no message the
// domain does not define.
func TestDomainMessagesTranslated(t *testing.T) {
	defined := map[string]validation.Message{}
	for _, m := range validation.Messages() {
		defined[m.Code] = m
	}
	// Every Define in the source, including packages the console does
	// not link, is a message the console may be handed.
	for _, code := range definedInSource(t) {
		if _, ok := defined[code]; !ok {
			defined[code] = validation.Message{Code: code}
			t.Errorf("message %q is defined in a package the console does not link", code)
		}
	}
	if len(defined) < 50 {
		t.Fatalf("only %d messages defined", len(defined))
	}
	for code, m := range defined {
		requireKey(t, "msg."+code, "validation.Messages")
		allowed := validation.Placeholders(m.Text)
		for _, l := range locale.Languages {
			tr, ok := (locale.Printer{Lang: l}).Lookup("msg." + code)
			if !ok {
				continue
			}
			for _, ph := range validation.Placeholders(tr) {
				if !slices.Contains(allowed, ph) {
					t.Errorf("%s: msg.%s uses {%s}, which %q does not have", l, code, ph, m.Text)
				}
			}
		}
	}
	for _, l := range locale.Languages {
		for _, k := range locale.Keys(l) {
			if code, ok := strings.CutPrefix(k, "msg."); ok {
				if _, ok := defined[code]; !ok {
					t.Errorf("%s: %q translates no defined message", l, k)
				}
			}
		}
	}
}

// definedInSource returns the codes of every validation.Define call in the
// module's Go files.
func definedInSource(t *testing.T) []string {
	t.Helper()
	def := regexp.MustCompile(`\bDefine\("([a-z0-9_.]+)"`)
	var codes []string
	err := filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != "../.." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range def.FindAllStringSubmatch(string(b), -1) {
			codes = append(codes, m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return codes
}

// TestConsoleDomainErrorsCoded: the packages whose field errors the
// console shows (request forms and actions, administration, samples)
// report every problem with a message code, never as free text, so no
// English reaches a Chinese page.
func TestConsoleDomainErrorsCoded(t *testing.T) {
	for _, dir := range []string{"../request", "../auth", "../directory", "../intel/sample"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		if len(files) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					// errs.Add(field, "free text"): a two-argument Add
					// whose detail is not a catalogue key.
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Add" && len(n.Args) == 2 {
						t.Errorf("%s: free-text field error; use Report with a message", fset.Position(n.Pos()))
					}
				case *ast.CompositeLit:
					// FieldError{Field: ..., Detail: ...} written by hand,
					// alone or in Errors{{...}}.
					lits := []ast.Expr{n}
					if typeName(n.Type) == "Errors" {
						lits = n.Elts
					} else if typeName(n.Type) != "FieldError" {
						break
					}
					for _, e := range lits {
						if cl, ok := e.(*ast.CompositeLit); ok && hasKey(cl, "Detail") {
							t.Errorf("%s: field error written by hand; use Message.On", fset.Position(cl.Pos()))
						}
					}
				}
				return true
			})
		}
	}
}

func typeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}

func hasKey(cl *ast.CompositeLit, key string) bool {
	for _, e := range cl.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == key {
				return true
			}
		}
	}
	return false
}
