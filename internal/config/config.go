// Package config reads and validates a node's configuration file
// (liaison.yaml in the node directory). Unknown keys and malformed values
// are errors that name the file, the line and the key: a typo in a security
// setting must never be silently ignored.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// FileName is the configuration file inside a node directory.
const FileName = "liaison.yaml"

// Config is a node's configuration. Relative paths are relative to the node
// directory. docs/configuration.md documents every key.
type Config struct {
	// Party is the code of the party (country or body) this node speaks for.
	Party string `yaml:"party"`
	// Name is the party's display name.
	Name string `yaml:"name"`
	// Listen is the HTTPS listen address.
	Listen string `yaml:"listen"`
	// PublicURL is the base URL peers use to reach this node; it goes into
	// the signed descriptor. Defaults to https://LISTEN.
	PublicURL string `yaml:"public_url"`
	// Database is empty for SQLite in the node directory, or a postgres://
	// URL. The environment variable LIAISON_DATABASE_URL overrides it.
	Database string `yaml:"database"`
	// SQLitePath is the SQLite file (default data/liaison.db).
	SQLitePath string `yaml:"sqlite_path"`
	TLS        TLS    `yaml:"tls"`
	Keys       Keys   `yaml:"keys"`
	Limits     Limits `yaml:"limits"`
	Log        Log    `yaml:"log"`
	// ShutdownTimeout bounds how long SIGTERM waits for in-flight requests.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// TimeZone is the party's time zone, used for business days.
	TimeZone string `yaml:"time_zone"`
	// Deadlines are the request clocks and hotline escalation
	// (docs/requests.md).
	Deadlines Deadlines `yaml:"deadlines,omitempty"`

	// Dir is the node directory the file was read from (not a key).
	Dir string `yaml:"-"`
}

// TLS names the node's certificate and key (PEM).
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Keys names the node's private key files.
type Keys struct {
	Signing    string `yaml:"signing"`
	Encryption string `yaml:"encryption"`
}

// Limits bounds what clients may send.
type Limits struct {
	// MaxBodyBytes is the largest API request body accepted (413 beyond).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ReadTimeout bounds reading one request, headers and body.
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing one response.
	WriteTimeout Duration `yaml:"write_timeout"`
	// MaxSampleBytes is the largest malware sample or analysis document
	// accepted by upload (413 beyond); 0 means 256 MiB.
	MaxSampleBytes int64 `yaml:"max_sample_bytes,omitempty"`
}

// Deadlines configures request deadline clocks and the hotline. Spans
// are "15m", "8h", "10d" or "2bd" (business days).
type Deadlines struct {
	// Weekend days (default saturday, sunday) and public holidays
	// (YYYY-MM-DD) of the party's calendar.
	Weekend  []string `yaml:"weekend,omitempty"`
	Holidays []string `yaml:"holidays,omitempty"`
	// Peers overrides the defaults per requesting party, keyed by request
	// type or "type/priority".
	Peers map[string]map[string]DeadlineLimits `yaml:"peers,omitempty"`
	// Hotline: time to acknowledge a call, and when it escalates to the
	// backup officer and to the supervisors.
	HotlineAcknowledge Duration `yaml:"hotline_acknowledge,omitempty"`
	HotlineBackup      Duration `yaml:"hotline_backup,omitempty"`
	HotlineSupervisor  Duration `yaml:"hotline_supervisor,omitempty"`
	// Where notices go: an SMTP relay, the sender address, the
	// supervisors' addresses and a webhook URL.
	SMTP        string   `yaml:"smtp,omitempty"`
	MailFrom    string   `yaml:"mail_from,omitempty"`
	Supervisors []string `yaml:"supervisors,omitempty"`
	Webhook     string   `yaml:"webhook,omitempty"`
}

// DeadlineLimits override the time to acknowledge and to answer.
type DeadlineLimits struct {
	Acknowledge string `yaml:"acknowledge,omitempty"`
	Answer      string `yaml:"answer,omitempty"`
}

// SpanRE is the syntax of a deadline span.
var SpanRE = regexp.MustCompile(`^[0-9]{1,5}(m|h|d|bd)$`)

// Log configures structured logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
}

// Duration is a time.Duration written as "30s", "5m".
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (e.g. 30s, 5m)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Defaults returns a configuration with every default filled in.
func Defaults() Config {
	return Config{
		Listen:          "127.0.0.1:8443",
		SQLitePath:      "data/liaison.db",
		TLS:             TLS{Cert: "tls/cert.pem", Key: "tls/key.pem"},
		Keys:            Keys{Signing: "keys/signing.pem", Encryption: "keys/encryption.pem"},
		Limits:          Limits{MaxBodyBytes: 1 << 20, ReadTimeout: Duration(30 * time.Second), WriteTimeout: Duration(60 * time.Second)},
		Log:             Log{Level: "info"},
		ShutdownTimeout: Duration(30 * time.Second),
		TimeZone:        "UTC",
	}
}

// PartyCode is the syntax of a party code: 2 to 16 of A-Z, 0-9 and '-'.
var PartyCode = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,15}$`)

// FieldError names the bad key.
type FieldError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Field, e.Msg)
}

// Load reads DIR/liaison.yaml, applies defaults and the environment, and
// validates the result.
func Load(dir string) (*Config, error) {
	path := filepath.Join(dir, FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(path, b)
	if err != nil {
		return nil, err
	}
	cfg.Dir = dir
	if v := os.Getenv("LIAISON_DATABASE_URL"); v != "" {
		cfg.Database = v
	}
	if err := cfg.Validate(path); err != nil {
		return nil, err
	}
	return cfg, nil
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// Parse decodes a configuration file's bytes, rejecting unknown keys.
func Parse(path string, b []byte) (*Config, error) {
	cfg := Defaults()
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, yamlError(path, err)
	}
	if err := checkKeys(path, &root, "", configKeys); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(path, err)
	}
	return &cfg, nil
}

func yamlError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		var line int
		fmt.Sscan(m[1], &line)
		return &FieldError{File: path, Line: line, Field: "value", Msg: m[2]}
	}
	return fmt.Errorf("%s: %s", path, msg)
}

// configKeys is the tree of accepted keys; checkKeys uses it to report an
// unknown key with its line before decoding.
var configKeys = map[string]any{
	"party": nil, "name": nil, "listen": nil, "public_url": nil, "database": nil, "sqlite_path": nil,
	"tls":              map[string]any{"cert": nil, "key": nil},
	"keys":             map[string]any{"signing": nil, "encryption": nil},
	"limits":           map[string]any{"max_body_bytes": nil, "read_timeout": nil, "write_timeout": nil},
	"log":              map[string]any{"level": nil},
	"shutdown_timeout": nil, "time_zone": nil,
	"deadlines": map[string]any{"weekend": nil, "holidays": nil, "peers": nil, "hotline_acknowledge": nil, "hotline_backup": nil,
		"hotline_supervisor": nil, "smtp": nil, "mail_from": nil, "supervisors": nil, "webhook": nil},
}

func checkKeys(path string, n *yaml.Node, prefix string, allowed map[string]any) error {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		field := strings.TrimSuffix(prefix, ".")
		if field == "" {
			field = "(document)"
		}
		return &FieldError{File: path, Line: n.Line, Field: field, Msg: "must be a mapping of keys to values"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub, ok := allowed[k.Value]
		if !ok {
			return &FieldError{File: path, Line: k.Line, Field: prefix + k.Value, Msg: "unknown key"}
		}
		if m, ok := sub.(map[string]any); ok {
			if err := checkKeys(path, v, prefix+k.Value+".", m); err != nil {
				return err
			}
		}
	}
	return nil
}

// Validate checks every value, reporting all problems at once.
func (c *Config) Validate(path string) error {
	var errs []error
	bad := func(field, msg string) { errs = append(errs, &FieldError{File: path, Field: field, Msg: msg}) }
	if !PartyCode.MatchString(c.Party) {
		bad("party", "must be 2-16 characters of A-Z, 0-9 and '-', starting with a letter (e.g. US, CN)")
	}
	if strings.TrimSpace(c.Name) == "" || len(c.Name) > 200 {
		bad("name", "must be 1-200 characters")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "must be HOST:PORT")
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "https://") {
		bad("public_url", "must be an https:// URL")
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		bad("database", "must be empty (SQLite) or a postgres:// URL")
	}
	for field, v := range map[string]string{"tls.cert": c.TLS.Cert, "tls.key": c.TLS.Key, "keys.signing": c.Keys.Signing, "keys.encryption": c.Keys.Encryption, "sqlite_path": c.SQLitePath} {
		if v == "" {
			bad(field, "must not be empty")
		}
	}
	if c.Limits.MaxBodyBytes < 1024 || c.Limits.MaxBodyBytes > 1<<30 {
		bad("limits.max_body_bytes", "must be between 1024 and 1073741824")
	}
	if c.Limits.ReadTimeout <= 0 {
		bad("limits.read_timeout", "must be positive")
	}
	if c.Limits.WriteTimeout <= 0 {
		bad("limits.write_timeout", "must be positive")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error")
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown_timeout", "must be positive")
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" {
		bad("time_zone", "must be an IANA time zone such as UTC or Asia/Shanghai")
	}
	errs = append(errs, c.Deadlines.validate(path)...)
	return errors.Join(errs...)
}

func (d *Deadlines) validate(path string) []error {
	var errs []error
	bad := func(field, msg string) {
		errs = append(errs, &FieldError{File: path, Field: "deadlines." + field, Msg: msg})
	}
	for _, w := range d.Weekend {
		if !strings.Contains("monday tuesday wednesday thursday friday saturday sunday", strings.ToLower(w)) || len(w) < 6 {
			bad("weekend", fmt.Sprintf("%q is not a day of the week", w))
		}
	}
	for _, h := range d.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			bad("holidays", fmt.Sprintf("%q is not a date (YYYY-MM-DD)", h))
		}
	}
	for peer, m := range d.Peers {
		if !PartyCode.MatchString(peer) {
			bad("peers."+peer, "is not a party code")
		}
		for key, l := range m {
			for k, v := range map[string]string{"acknowledge": l.Acknowledge, "answer": l.Answer} {
				if v != "" && !SpanRE.MatchString(v) {
					bad("peers."+peer+"."+key+"."+k, "must be 15m, 8h, 10d or 2bd (business days)")
				}
			}
		}
	}
	for k, v := range map[string]Duration{"hotline_acknowledge": d.HotlineAcknowledge, "hotline_backup": d.HotlineBackup, "hotline_supervisor": d.HotlineSupervisor} {
		if v < 0 {
			bad(k, "must be positive")
		}
	}
	if d.Webhook != "" && !strings.HasPrefix(d.Webhook, "https://") && !strings.HasPrefix(d.Webhook, "http://") {
		bad("webhook", "must be an http(s) URL")
	}
	if d.SMTP != "" {
		if _, _, err := net.SplitHostPort(d.SMTP); err != nil {
			bad("smtp", "must be HOST:PORT")
		}
	}
	return errs
}

// Path resolves a configured path against the node directory.
func (c *Config) Path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// Endpoint is the URL advertised to peers.
func (c *Config) Endpoint() string {
	if c.PublicURL != "" {
		return strings.TrimSuffix(c.PublicURL, "/")
	}
	return "https://" + c.Listen
}

// Marshal writes the configuration as YAML with a header comment.
func (c *Config) Marshal() ([]byte, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, err
	}
	return append([]byte("# Liaison node configuration; every key is documented in docs/configuration.md.\n"), b...), nil
}
