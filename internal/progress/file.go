package progress

import (
	"embed"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"

	"github.com/liaison-dev/liaison/internal/yamlfile"
)

// Format names the rounds file format.
const Format = "liaison-rounds/v1"

// MaxFileSize bounds an imported rounds file.
const MaxFileSize = 4 << 20

//go:embed data/*.yaml
var data embed.FS

// ExampleName is the file name of the shipped example data set.
const ExampleName = "us-cn-2015-2017.yaml"

// Example returns the shipped data set: the US–China dialogue rounds of
// 2015–2017 and their commitments, from the project's source documents.
func Example() []byte {
	b, err := data.ReadFile("data/" + ExampleName)
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

// DataSet is a rounds file: rounds with their commitments.
type DataSet struct {
	Format string      `yaml:"format" json:"format"`
	Rounds []RoundFile `yaml:"rounds" json:"rounds"`
}

// RoundFile is one round as written in a file.
type RoundFile struct {
	Number      int              `yaml:"number" json:"number"`
	Slug        string           `yaml:"slug" json:"slug"`
	Kind        string           `yaml:"kind" json:"kind"`
	Title       string           `yaml:"title" json:"title"`
	Date        string           `yaml:"date" json:"date"`
	Place       string           `yaml:"place" json:"place"`
	CoChairs    []CoChairFile    `yaml:"co_chairs" json:"co_chairs"`
	Summary     string           `yaml:"summary" json:"summary"`
	Sources     []string         `yaml:"sources" json:"sources"`
	Commitments []CommitmentFile `yaml:"commitments" json:"commitments"`
}

// CoChairFile is a co-chair as written in a file.
type CoChairFile struct {
	Party string `yaml:"party" json:"party"`
	Name  string `yaml:"name" json:"name"`
	Title string `yaml:"title" json:"title,omitempty"`
}

// CommitmentFile is a commitment as written in a file.
type CommitmentFile struct {
	ID       string         `yaml:"id" json:"id"`
	Area     string         `yaml:"area" json:"area"`
	Text     string         `yaml:"text" json:"text"`
	Owners   []OwnerFile    `yaml:"owners" json:"owners"`
	Due      string         `yaml:"due" json:"due,omitempty"`
	Status   string         `yaml:"status" json:"status"`
	Evidence []EvidenceFile `yaml:"evidence" json:"evidence,omitempty"`
	Notes    string         `yaml:"notes" json:"notes,omitempty"`
}

// OwnerFile is a commitment owner as written in a file.
type OwnerFile struct {
	Party  string `yaml:"party" json:"party"`
	Agency string `yaml:"agency" json:"agency,omitempty"`
}

// EvidenceFile is an evidence link as written in a file.
type EvidenceFile struct {
	Kind string `yaml:"kind" json:"kind"`
	Ref  string `yaml:"ref" json:"ref"`
	Date string `yaml:"date" json:"date,omitempty"`
	Note string `yaml:"note" json:"note,omitempty"`
}

// Vocabularies.
var (
	RoundKinds = []string{"summit", "dialogue", "preparatory", "working-group"}
	Areas      = []string{"requests", "hotline", "network-protection", "information-sharing", "mla", "case-cooperation",
		"cyber-enabled-crime", "exercise", "dialogue", "norms", "other"}
	Statuses      = []string{"open", "in_progress", "done", "missed", "dropped"}
	EvidenceKinds = []string{"request", "drill", "exercise", "case", "seminar", "meeting", "dialogue", "document", "intel", "lead"}
)

var (
	slugRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,79}$`)
	partyRE = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,15}$`)
)

// ParseFile parses and validates a rounds file (YAML, or JSON, which YAML
// reads too). Every problem is reported, each as a validation.FieldError
// whose field names the file, the line and the path of the field, e.g.
// "rounds.yaml:12 rounds[1].commitments[0].due".
func ParseFile(name string, r io.Reader) (*DataSet, error) {
	var ds DataSet
	doc, err := yamlfile.Decode(name, r, MaxFileSize, &ds)
	if err != nil {
		return nil, err
	}
	v := &checker{yamlfile.Checker{Doc: doc}}
	v.check(&ds)
	if err := v.Errs.Err(); err != nil {
		return nil, err
	}
	return &ds, nil
}

// checker checks a rounds file or a commitment update, each problem at
// its line.
type checker struct{ yamlfile.Checker }

func (c *checker) optional(path, v string, max int) {
	if len([]rune(v)) > max {
		c.Add(path, "is longer than "+strconv.Itoa(max)+" characters")
	}
}

func (c *checker) date(path, v string, required bool) {
	if v == "" {
		if required {
			c.Add(path, "is required (YYYY-MM-DD)")
		}
		return
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		c.Add(path, "must be a date YYYY-MM-DD")
	}
}

func (c *checker) party(path, v string) {
	if !partyRE.MatchString(v) {
		c.Add(path, "must be a party code such as US or CN")
	}
}

func (c *checker) check(ds *DataSet) {
	if ds.Format != Format {
		c.Add("format", "must be "+Format)
	}
	if len(ds.Rounds) == 0 {
		c.Add("rounds", "must list at least one round")
	}
	numbers, slugs, ids := map[int]bool{}, map[string]bool{}, map[string]bool{}
	for i, r := range ds.Rounds {
		p := fmt.Sprintf("rounds[%d]", i)
		if r.Number < 0 || r.Number > 9999 {
			c.Add(p+".number", "must be between 0 and 9999")
		} else if numbers[r.Number] {
			c.Add(p+".number", fmt.Sprintf("round %d appears twice", r.Number))
		}
		numbers[r.Number] = true
		if !slugRE.MatchString(r.Slug) {
			c.Add(p+".slug", "must be lower-case letters, digits and '-', at most 80")
		} else if slugs[r.Slug] {
			c.Add(p+".slug", "appears twice")
		}
		slugs[r.Slug] = true
		c.OneOf(p+".kind", r.Kind, RoundKinds)
		c.Required(p+".title", r.Title, 200)
		c.date(p+".date", r.Date, true)
		c.Required(p+".place", r.Place, 200)
		if len(r.CoChairs) == 0 {
			c.Add(p+".co_chairs", "must name at least one co-chair")
		}
		for j, ch := range r.CoChairs {
			q := fmt.Sprintf("%s.co_chairs[%d]", p, j)
			c.party(q+".party", ch.Party)
			c.Required(q+".name", ch.Name, 200)
			c.optional(q+".title", ch.Title, 200)
		}
		c.optional(p+".summary", r.Summary, 4000)
		for j, s := range r.Sources {
			c.Required(fmt.Sprintf("%s.sources[%d]", p, j), s, 500)
		}
		if len(r.Commitments) > 500 {
			c.Add(p+".commitments", "has more than 500 commitments")
		}
		for j, cm := range r.Commitments {
			q := fmt.Sprintf("%s.commitments[%d]", p, j)
			if !slugRE.MatchString(cm.ID) {
				c.Add(q+".id", "must be lower-case letters, digits and '-', at most 80")
			} else if ids[cm.ID] {
				c.Add(q+".id", "appears twice")
			}
			ids[cm.ID] = true
			c.OneOf(q+".area", cm.Area, Areas)
			c.Required(q+".text", cm.Text, 2000)
			if len(cm.Owners) == 0 {
				c.Add(q+".owners", "must name at least one owner")
			}
			for k, o := range cm.Owners {
				c.party(fmt.Sprintf("%s.owners[%d].party", q, k), o.Party)
				c.optional(fmt.Sprintf("%s.owners[%d].agency", q, k), o.Agency, 64)
			}
			c.date(q+".due", cm.Due, false)
			c.OneOf(q+".status", cm.Status, Statuses)
			c.optional(q+".notes", cm.Notes, 2000)
			for k, e := range cm.Evidence {
				ep := fmt.Sprintf("%s.evidence[%d]", q, k)
				c.OneOf(ep+".kind", e.Kind, EvidenceKinds)
				c.Required(ep+".ref", e.Ref, 500)
				c.date(ep+".date", e.Date, false)
				c.optional(ep+".note", e.Note, 1000)
			}
		}
	}
}
