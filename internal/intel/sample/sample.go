package sample

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/stix"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/internal/validation"
)

// DefaultMaxBytes bounds one upload when the configuration sets no limit.
const DefaultMaxBytes = 256 << 20

// Service stores samples and documents and ties them to STIX objects.
type Service struct {
	Store store.Store
	Clock clock.Clock
	Intel *intel.Service
	Blobs *Blobs
	// Federation sends samples to peers; nil shares none.
	Federation Sender
	// Self is this node's party code.
	Self string
	// MaxBytes bounds one upload (DefaultMaxBytes when zero).
	MaxBytes int64
}

// Limit is the largest upload accepted.
func (s *Service) Limit() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return DefaultMaxBytes
}

// NewSample describes an upload.
type NewSample struct {
	// Collection is the id or alias of the collection the STIX objects go
	// to.
	Collection string `json:"collection"`
	// Kind is store.SampleMalware (default) or store.SampleDocument.
	Kind string `json:"kind"`
	// Name is the file's name, kept as metadata only.
	Name     string `json:"name"`
	MIMEType string `json:"mime_type,omitempty"`
	// MalwareName names a new malware object (samples); MalwareID instead
	// ties the sample to an existing one.
	MalwareName string `json:"malware_name,omitempty"`
	MalwareID   string `json:"malware_id,omitempty"`
	// ReportName creates a report object over the sample (required for
	// documents, which are the report's analysis).
	ReportName        string `json:"report_name,omitempty"`
	ReportDescription string `json:"report_description,omitempty"`
	// About lists further STIX ids the report covers.
	About []string `json:"about,omitempty"`
	// TLP marks every object and governs where the sample may go.
	TLP marking.TLP `json:"-"`
	// Recipients are the parties a TLP:RED sample is for.
	Recipients []string `json:"recipients,omitempty"`
}

var (
	nameRE  = regexp.MustCompile(`^[^\x00-\x1f/\\]{1,255}$`)
	mimeRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]{0,126}$`)
	partyRE = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,15}$`)
)

// The messages of sample validation; the console translates them by code.
var (
	msgReportName    = validation.Define("sample.report_name", "a document is the analysis of a report: name the report")
	msgDocumentNames = validation.Define("sample.document_malware", "documents are not malware; use about to name what the report covers")
	msgKind          = validation.Define("sample.kind", `must be "sample" or "document"`)
	msgName          = validation.Define("sample.name", "must be a file name of 1-255 characters without control characters or slashes")
	msgMIMEType      = validation.Define("sample.mime_type", "is not a media type")
	msgMalwareID     = validation.Define("sample.malware_id", "must be a malware--UUID identifier")
	msgAboutMax      = validation.Define("sample.about_max", "at most {max} ids")
	msgSTIXID        = validation.Define("sample.stix_id", "is not a STIX identifier")
	msgTLP           = validation.Define("sample.tlp", "is not a TLP level")
	msgParty         = validation.Define("sample.party", "is not a party code")
	msgRecipients    = validation.Define("sample.recipients", "named recipients are for TLP:RED only")
	msgFormat        = validation.Define("sample.format", `must be "raw" or "zip"`)
)

// Validate checks n and fills defaults.
func (n *NewSample) Validate() error {
	var errs validation.Errors
	if n.Kind == "" {
		n.Kind = store.SampleMalware
	}
	n.Name = path.Base(strings.ReplaceAll(n.Name, "\\", "/"))
	errs.Required("collection", n.Collection, 200)
	switch n.Kind {
	case store.SampleMalware:
		if n.MalwareName == "" && n.MalwareID == "" {
			n.MalwareName = n.Name
		}
	case store.SampleDocument:
		if n.ReportName == "" {
			errs.Report("report_name", msgReportName, nil)
		}
		if n.MalwareName != "" || n.MalwareID != "" {
			errs.Report("malware_name", msgDocumentNames, nil)
		}
	default:
		errs.Report("kind", msgKind, nil)
	}
	if !nameRE.MatchString(n.Name) || n.Name == "." || n.Name == ".." {
		errs.Report("name", msgName, nil)
	}
	if n.MIMEType != "" && !mimeRE.MatchString(n.MIMEType) {
		errs.Report("mime_type", msgMIMEType, nil)
	}
	errs.MaxLen("malware_name", n.MalwareName, 250)
	if n.MalwareID != "" && (!stix.ValidID(n.MalwareID) || !strings.HasPrefix(n.MalwareID, "malware--")) {
		errs.Report("malware_id", msgMalwareID, nil)
	}
	errs.MaxLen("report_name", n.ReportName, 250)
	errs.MaxLen("report_description", n.ReportDescription, 10000)
	if len(n.About) > 100 {
		errs.Report("about", msgAboutMax, validation.Params{"max": "100"})
	}
	for i, id := range n.About {
		if !stix.ValidID(id) {
			errs.Report(fmt.Sprintf("about[%d]", i), msgSTIXID, nil)
		}
	}
	if n.TLP < marking.Clear || n.TLP > marking.Red {
		errs.Report("tlp", msgTLP, nil)
	}
	for i, p := range n.Recipients {
		if !partyRE.MatchString(p) {
			errs.Report(fmt.Sprintf("recipients[%d]", i), msgParty, nil)
		}
	}
	if len(n.Recipients) > 0 && n.TLP != marking.Red {
		errs.Report("recipients", msgRecipients, nil)
	}
	return errs.Err()
}

// Added is the outcome of an upload.
type Added struct {
	Sample    store.Sample `json:"sample"`
	New       bool         `json:"new"`
	FileID    string       `json:"file_id"`
	MalwareID string       `json:"malware_id,omitempty"`
	ReportID  string       `json:"report_id,omitempty"`
	// Status is the ingest of the STIX objects.
	Status *intel.Status `json:"status"`
	// Sharing is the decision for every peer the collection is shared
	// with.
	Sharing []intel.PreviewOutcome `json:"sharing"`
}

// ErrObjectsRefused: the STIX objects describing the sample were refused
// by the collection (the wrapped message says why). The sample's bytes
// are stored but linked to nothing; fix the input and upload again.
var ErrObjectsRefused = errors.New("sample: the STIX objects were refused")

// Add stores r (at most Limit bytes) encrypted, records it, adds the STIX
// objects describing it to the collection and sends it to the peers the
// collection is shared with where its TLP allows. Requires a valid n
// (Validate) whose collection the caller may write to.
func (s *Service) Add(ctx context.Context, actor string, n NewSample, r io.Reader) (*Added, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	coll, err := s.Store.GetCollection(ctx, n.Collection)
	if err != nil {
		return nil, err
	}
	d, err := s.Blobs.Put(r, s.Limit())
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now().UTC().Truncate(time.Millisecond)
	smp := store.Sample{SHA256: d.SHA256, MD5: d.MD5, SHA1: d.SHA1, SHA512: d.SHA512, Size: d.Size, Kind: n.Kind, Name: n.Name,
		MIMEType: n.MIMEType, CreatedBy: actor, Created: now}
	var created bool
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		var err error
		if created, err = q.PutSample(ctx, smp); err != nil || !created {
			return err
		}
		return audit.RecordDetail(ctx, q, s.Clock, actor, "sample.store", "sample", d.SHA256, nil, smp,
			fmt.Sprintf("%s %s, %d bytes, stored encrypted", n.Kind, n.Name, d.Size))
	})
	if err != nil {
		return nil, err
	}
	if !created {
		if smp, err = s.Store.GetSample(ctx, d.SHA256); err != nil {
			return nil, err
		}
	}
	objs, err := buildObjects(n, d, stix.FormatTimestamp(now))
	if err != nil {
		return nil, err
	}
	parsed, err := parseAll(s.Intel.Parser, objs.All)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrObjectsRefused, err)
	}
	st, err := s.Intel.Add(ctx, actor, coll.ID, parsed, nil)
	if err != nil {
		return nil, err
	}
	if st.Failure > 0 {
		return nil, fmt.Errorf("%w: %s: %s", ErrObjectsRefused, st.Failures[0].ID, st.Failures[0].Message)
	}
	link := store.SampleLink{SHA256: d.SHA256, CollectionID: coll.ID, FileID: objs.FileID, MalwareID: objs.MalwareID,
		ReportID: objs.ReportID, TLP: int(n.TLP), Recipients: n.Recipients, Created: now}
	sharing, err := s.link(ctx, actor, smp, link, coll)
	if err != nil {
		return nil, err
	}
	return &Added{Sample: smp, New: created, FileID: objs.FileID, MalwareID: objs.MalwareID, ReportID: objs.ReportID,
		Status: st, Sharing: sharing}, nil
}

// Get returns a sample's record and links.
func (s *Service) Get(ctx context.Context, sha string) (store.Sample, []store.SampleLink, error) {
	if !ValidSHA256(sha) {
		return store.Sample{}, nil, store.ErrNotFound
	}
	smp, err := s.Store.GetSample(ctx, sha)
	if err != nil {
		return store.Sample{}, nil, err
	}
	links, err := s.Store.ListSampleLinks(ctx, sha)
	return smp, links, err
}

// CanRead reports whether one of this node's agencies may read a sample:
// it may read one of the collections the sample is linked to.
func (s *Service) CanRead(ctx context.Context, links []store.SampleLink, agency string) (bool, error) {
	for _, l := range links {
		a, err := s.Intel.AccessFor(ctx, l.CollectionID, agency, "")
		if err != nil {
			return false, err
		}
		if a.Read {
			return true, nil
		}
	}
	return false, nil
}

// Formats of a download.
const (
	FormatRaw = "raw"
	FormatZip = "zip"
)

// Write hands the sample's plain bytes to an authorised person, raw or as
// the conventional zip, and records who took it in the audit trail first
// (custody of live malware). A read error after the first byte means w
// holds a truncated or unverified copy, which the caller must discard.
func (s *Service) Write(ctx context.Context, actor, sha, format string, w io.Writer) error {
	if format != FormatRaw && format != FormatZip {
		return validation.Errors{msgFormat.On("format", nil)}
	}
	smp, err := s.Store.GetSample(ctx, sha)
	if err != nil {
		return err
	}
	rc, err := s.Blobs.Open(sha)
	if err != nil {
		return err
	}
	defer rc.Close()
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		return audit.RecordDetail(ctx, q, s.Clock, actor, "sample.download", "sample", sha, nil, nil,
			fmt.Sprintf("%s handed out %s (%s, %d bytes)", smp.Kind, format, smp.Name, smp.Size))
	})
	if err != nil {
		return err
	}
	if format == FormatZip {
		return WriteZip(w, sha, smp.Created, ZipPassword, rc)
	}
	_, err = io.Copy(w, rc)
	return err
}

// List pages through the samples of a collection.
func (s *Service) List(ctx context.Context, f store.SampleFilter) ([]store.Sample, error) {
	coll, err := s.Store.GetCollection(ctx, f.CollectionID)
	if err != nil {
		return nil, err
	}
	f.CollectionID = coll.ID
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	return s.Store.ListSamples(ctx, f)
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }
