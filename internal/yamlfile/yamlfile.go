// Package yamlfile decodes the YAML files people write for the node
// (exercise scenarios, dialogue rounds and commitments) strictly, and
// places every problem at a line of the file: errors are
// validation.Errors whose field reads "FILE:LINE path", e.g.
// "rounds.yaml:12 rounds[1].commitments[0].due".
package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/liaison-dev/liaison/internal/validation"
)

// Doc is a decoded file: its name and the line of every value by path.
type Doc struct {
	name  string
	lines map[string]int
}

// Decode reads at most maxSize bytes from r and decodes them into v,
// refusing unknown fields. name is how errors refer to the file.
func Decode(name string, r io.Reader, maxSize int64, v any) (*Doc, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > maxSize {
		return nil, validation.Errors{{Field: name, Detail: fmt.Sprintf("is larger than %d bytes", maxSize)}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, yamlErrors(name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, validation.Errors{{Field: name, Detail: "is empty"}}
		}
		return nil, yamlErrors(name, err)
	}
	d := &Doc{name: name, lines: map[string]int{}}
	d.index(&root, "")
	return d, nil
}

// Named returns a Doc for input that was not read from a file (a request
// body checked with the same rules): its fields are "NAME path".
func Named(name string) *Doc { return &Doc{name: name, lines: map[string]int{}} }

// Field names the value at path for an error: "FILE:LINE path" with the
// line of the value, or of its closest enclosing element when the value
// is absent.
func (d *Doc) Field(path string) string {
	for p := path; ; {
		if l, ok := d.lines[p]; ok {
			return fmt.Sprintf("%s:%d %s", d.name, l, path)
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return d.name + " " + path
		}
		p = p[:i]
	}
}

// Checker collects the problems found in a decoded file, each placed at
// the line of its field (see Doc.Field).
type Checker struct {
	Doc  *Doc
	Errs validation.Errors
}

// Add reports a problem with the field at path.
func (c *Checker) Add(path, detail string) {
	c.Errs.Add(c.Doc.Field(path), detail)
}

// Required reports a blank v, or one longer than max characters.
func (c *Checker) Required(path, v string, max int) {
	switch {
	case strings.TrimSpace(v) == "":
		c.Add(path, "is required")
	case len([]rune(v)) > max:
		c.Add(path, "is longer than "+strconv.Itoa(max)+" characters")
	}
}

// OneOf reports a v that is not in set.
func (c *Checker) OneOf(path, v string, set []string) {
	if !slices.Contains(set, v) {
		c.Add(path, "must be one of "+strings.Join(set, ", "))
	}
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlErrors turns the YAML library's errors into field errors at a line.
func yamlErrors(name string, err error) error {
	var te *yaml.TypeError
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var out validation.Errors
	for _, m := range msgs {
		if g := yamlLineRE.FindStringSubmatch(m); g != nil {
			out.Add(name+":"+g[1], g[2])
		} else {
			out.Add(name, m)
		}
	}
	return out
}

// index records the line of every value under its path.
func (d *Doc) index(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			d.index(c, path)
		}
		return
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			d.lines[p] = n.Content[i].Line
			d.index(n.Content[i+1], p)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			d.lines[p] = c.Line
			d.index(c, p)
		}
	}
	if _, ok := d.lines[path]; !ok {
		d.lines[path] = n.Line
	}
}
