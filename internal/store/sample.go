package store

import (
	"context"
	"database/sql"
	"time"
)

// SampleQueries keep the catalogue of malware samples and analysis
// documents (internal/intel/sample). The bytes themselves never enter the
// database: they live encrypted in the node's data directory, named by
// their SHA-256, which is the key here.
type SampleQueries interface {
	// PutSample records a sample's metadata unless its SHA-256 is already
	// known, and reports whether it was new. The first record wins: the
	// same bytes uploaded again change nothing.
	PutSample(ctx context.Context, s Sample) (bool, error)
	// GetSample returns the sample with that SHA-256 (lower-case hex);
	// ErrNotFound when there is none.
	GetSample(ctx context.Context, sha256 string) (Sample, error)
	// AddSampleLink records that a sample is described by STIX objects in
	// a collection. Adding the same link again is a no-op.
	AddSampleLink(ctx context.Context, l SampleLink) error
	// ListSampleLinks returns a sample's links, oldest first.
	ListSampleLinks(ctx context.Context, sha256 string) ([]SampleLink, error)
	// ListSamples pages through the samples linked to a collection in
	// SHA-256 order, after the cursor After (exclusive; "" for the first
	// page), at most Limit.
	ListSamples(ctx context.Context, f SampleFilter) ([]Sample, error)
}

// Kinds of stored file.
const (
	// SampleMalware is a malware sample: handed out only to the roles
	// allowed to handle samples, raw or zipped with the password
	// "infected".
	SampleMalware = "sample"
	// SampleDocument is an analysis report document (PDF, text...)
	// attached to a STIX report.
	SampleDocument = "document"
)

// Sample is one stored file, identified by the SHA-256 of its bytes.
type Sample struct {
	SHA256 string `json:"sha256"`
	MD5    string `json:"md5"`
	SHA1   string `json:"sha1"`
	SHA512 string `json:"sha512"`
	Size   int64  `json:"size"`
	// Kind is SampleMalware or SampleDocument.
	Kind string `json:"kind"`
	// Name is the file name given at upload (not trusted as a path).
	Name     string `json:"name"`
	MIMEType string `json:"mime_type,omitempty"`
	// Source is the party that sent it, or "" when uploaded here.
	Source    string    `json:"source,omitempty"`
	CreatedBy string    `json:"created_by"`
	Created   time.Time `json:"created"`
}

// SampleLink ties a sample to the STIX objects that describe it in one
// collection: the file observable and, when there are, the malware and
// report objects.
type SampleLink struct {
	SHA256       string `json:"sha256"`
	CollectionID string `json:"collection_id"`
	FileID       string `json:"file_id"`
	MalwareID    string `json:"malware_id,omitempty"`
	ReportID     string `json:"report_id,omitempty"`
	// TLP is the marking.TLP level of the objects, which governs who
	// the sample may go to.
	TLP int `json:"tlp"`
	// Recipients are the parties a TLP:RED sample is addressed to.
	Recipients []string  `json:"recipients,omitempty"`
	Created    time.Time `json:"created"`
}

// SampleFilter selects a page of a collection's samples.
type SampleFilter struct {
	CollectionID string
	After        string
	Limit        int
}

const sampleCols = `sha256, md5, sha1, sha512, size, kind, name, mime_type, source, created_by, created`

func scanSample(s interface{ Scan(...any) error }) (Sample, error) {
	var x Sample
	var created int64
	err := s.Scan(&x.SHA256, &x.MD5, &x.SHA1, &x.SHA512, &x.Size, &x.Kind, &x.Name, &x.MIMEType, &x.Source, &x.CreatedBy, &created)
	x.Created = fromMicros(created)
	return x, err
}

func (q queries) PutSample(ctx context.Context, s Sample) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO samples (`+sampleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`,
		s.SHA256, s.MD5, s.SHA1, s.SHA512, s.Size, s.Kind, s.Name, s.MIMEType, s.Source, s.CreatedBy, micros(s.Created))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (q queries) GetSample(ctx context.Context, sha256 string) (Sample, error) {
	s, err := scanSample(q.row(ctx, `SELECT `+sampleCols+` FROM samples WHERE sha256 = ?`, sha256))
	return s, q.mapErr(err)
}

func (q queries) AddSampleLink(ctx context.Context, l SampleLink) error {
	_, err := q.exec(ctx, `INSERT INTO sample_links (sha256, collection_id, file_id, malware_id, report_id, tlp, recipients, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256, collection_id, file_id) DO NOTHING`,
		l.SHA256, l.CollectionID, l.FileID, l.MalwareID, l.ReportID, l.TLP, joinList(l.Recipients), micros(l.Created))
	return err
}

func (q queries) ListSampleLinks(ctx context.Context, sha256 string) ([]SampleLink, error) {
	rows, err := q.query(ctx, `SELECT sha256, collection_id, file_id, malware_id, report_id, tlp, recipients, created
		FROM sample_links WHERE sha256 = ? ORDER BY created, collection_id, file_id`, sha256)
	return collect(rows, err, func(r *sql.Rows) (SampleLink, error) {
		var l SampleLink
		var recipients string
		var created int64
		err := r.Scan(&l.SHA256, &l.CollectionID, &l.FileID, &l.MalwareID, &l.ReportID, &l.TLP, &recipients, &created)
		l.Recipients, l.Created = splitList(recipients), fromMicros(created)
		return l, err
	})
}

func (q queries) ListSamples(ctx context.Context, f SampleFilter) ([]Sample, error) {
	rows, err := q.query(ctx, `SELECT `+sampleCols+` FROM samples WHERE sha256 > ?
		AND sha256 IN (SELECT sha256 FROM sample_links WHERE collection_id = ?) ORDER BY sha256 LIMIT ?`,
		f.After, f.CollectionID, f.Limit)
	return collect(rows, err, func(r *sql.Rows) (Sample, error) { return scanSample(r) })
}
