package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrorsNameFileLineAndKey(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown top-level key", "party: US\nname: U\nlisten_addr: x\n", []string{"f.yaml:3", "listen_addr", "unknown key"}},
		{"unknown nested key", "party: US\nlimits:\n  max_body: 5\n", []string{"f.yaml:3", "limits.max_body", "unknown key"}},
		{"bad duration", "shutdown_timeout: soon\n", []string{"f.yaml:1", "not a duration"}},
		{"wrong type", "limits:\n  max_body_bytes: lots\n", []string{"f.yaml:2", "lots"}},
		{"section not a mapping", "tls: yes\n", []string{"f.yaml:1", "tls", "mapping"}},
		{"not yaml", "party: [\n", []string{"f.yaml"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestValidateNamesEveryBadField(t *testing.T) {
	c := Defaults()
	c.Party, c.Name, c.Listen, c.Database, c.TimeZone, c.Log.Level = "u s", "", "nowhere", "mysql://x", "Mars/Base", "loud"
	c.Limits.MaxBodyBytes = 1
	err := c.Validate("f.yaml")
	for _, f := range []string{"party", "name", "listen", "database", "time_zone", "log.level", "limits.max_body_bytes"} {
		if err == nil || !strings.Contains(err.Error(), "f.yaml: "+f+":") {
			t.Errorf("error %v does not name %s", err, f)
		}
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("not a FieldError: %T", err)
	}
}

func TestRoundTripAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	c := Defaults()
	c.Party, c.Name = "US", "United States"
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Party != "US" || got.Listen != "127.0.0.1:8443" || got.Endpoint() != "https://127.0.0.1:8443" || got.Database != "" {
		t.Fatalf("Load = %+v", got)
	}
	t.Setenv("LIAISON_DATABASE_URL", "postgres://db/liaison")
	if got, err = Load(dir); err != nil || got.Database != "postgres://db/liaison" {
		t.Fatalf("env override: %+v, %v", got, err)
	}
}
