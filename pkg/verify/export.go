package verify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"
)

// ExportFormat names the export format in its header.
const ExportFormat = "liaison-ledger-export/v1"

// Header is the first line of an export. The entries that follow are
// exactly those the checkpoint commits to: indexes 0 to Size-1, in order.
type Header struct {
	Format string `json:"format"`
	Origin string `json:"origin"`
	Size   uint64 `json:"size"`
	// Checkpoint is the signed note, with any cosignatures.
	Checkpoint string `json:"checkpoint"`
}

// ExportWriter writes an export: the header, then each entry on its line.
type ExportWriter struct {
	w    *bufio.Writer
	next uint64
	size uint64
}

// NewExportWriter writes h to w and returns a writer for the entries.
func NewExportWriter(w io.Writer, h Header) (*ExportWriter, error) {
	h.Format = ExportFormat
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := writeLine(bw, h); err != nil {
		return nil, err
	}
	return &ExportWriter{w: bw, size: h.Size}, nil
}

func writeLine(w *bufio.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// Write adds the next entry; entries must come in index order.
func (x *ExportWriter) Write(e Entry) error {
	if e.Index != x.next {
		return fmt.Errorf("verify: export: entry %d written after %d entries", e.Index, x.next)
	}
	x.next++
	return writeLine(x.w, e)
}

// Close flushes the export; it fails if fewer entries than the header's
// size were written.
func (x *ExportWriter) Close() error {
	if x.next != x.size {
		return fmt.Errorf("verify: export: %d entries written, header says %d", x.next, x.size)
	}
	return x.w.Flush()
}

// ExportReport summarises a verified export.
type ExportReport struct {
	Checkpoint *Checkpoint       `json:"-"`
	Origin     string            `json:"origin"`
	Size       uint64            `json:"size"`
	Root       []byte            `json:"root"`
	Cosigners  []Cosigner        `json:"cosigners"`
	Kinds      map[string]uint64 `json:"kinds"`
	Exercise   uint64            `json:"exercise"`
	Bodies     uint64            `json:"bodies"`
}

// EntryError places an error at one entry of an export.
type EntryError struct {
	Index uint64
	Err   error
}

func (e *EntryError) Error() string { return fmt.Sprintf("entry %d: %v", e.Index, e.Err) }
func (e *EntryError) Unwrap() error { return e.Err }

// VerifyExport reads a whole export from r and checks, in one pass and in
// memory logarithmic in its size: the header; the checkpoint's signature by
// log (and cosignatures by witnesses, listed in the report); that entries
// come with consecutive indexes from 0; that each entry is well formed and
// its body, when present, matches its hash; that there are exactly as many
// entries as the checkpoint's size; and that their Merkle root equals the
// signed root. A changed, removed, added or reordered entry fails with
// ErrRootMismatch or ErrMalformed; a bad key or signature with ErrSignature.
func VerifyExport(r io.Reader, log note.Verifier, witnesses ...note.Verifier) (*ExportReport, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), MaxExportLine)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, malformed("export header: %v", err)
		}
		return nil, malformed("export is empty")
	}
	var h Header
	if err := strictJSON(sc.Bytes(), &h); err != nil {
		return nil, malformed("export header: %v", err)
	}
	if h.Format != ExportFormat {
		return nil, malformed("export header: format %q, want %q", h.Format, ExportFormat)
	}
	cp, err := OpenCheckpoint([]byte(h.Checkpoint), log, witnesses...)
	if err != nil {
		return nil, err
	}
	if h.Origin != cp.Origin || h.Size != cp.Size {
		return nil, malformed("export header says %s size %d, its checkpoint %s size %d", h.Origin, h.Size, cp.Origin, cp.Size)
	}
	rep := &ExportReport{Checkpoint: cp, Origin: cp.Origin, Size: cp.Size, Root: cp.Root, Cosigners: cp.Cosigners, Kinds: map[string]uint64{}}
	rf := compact.RangeFactory{Hash: HashChildren}
	cr := rf.NewEmptyRange(0)
	var n uint64
	for sc.Scan() {
		var e Entry
		if err := strictJSON(sc.Bytes(), &e); err != nil {
			return nil, &EntryError{Index: n, Err: malformed("%v", err)}
		}
		if e.Index != n {
			return nil, &EntryError{Index: n, Err: malformed("found entry %d where entry %d belongs (removed or reordered)", e.Index, n)}
		}
		if n >= cp.Size {
			return nil, &EntryError{Index: n, Err: malformed("more entries than the checkpoint's %d", cp.Size)}
		}
		leaf, err := LeafHash(e)
		if err != nil {
			return nil, &EntryError{Index: n, Err: err}
		}
		if err := cr.Append(leaf, nil); err != nil {
			return nil, &EntryError{Index: n, Err: err}
		}
		rep.Kinds[e.Kind]++
		if e.Exercise {
			rep.Exercise++
		}
		if e.Body != nil {
			rep.Bodies++
		}
		n++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &EntryError{Index: n, Err: malformed("line longer than %d bytes", MaxExportLine)}
		}
		return nil, fmt.Errorf("verify: reading export: %w", err)
	}
	if n != cp.Size {
		return nil, malformed("export has %d entries, the checkpoint commits to %d (entries removed)", n, cp.Size)
	}
	root, err := cr.GetRootHash(nil)
	if err != nil {
		return nil, err
	}
	if root == nil {
		root = EmptyRoot()
	}
	if !bytes.Equal(root, cp.Root) {
		return nil, &RootMismatchError{What: "export", Expected: cp.Root, Computed: root}
	}
	return rep, nil
}

// strictJSON decodes one JSON value, refusing unknown fields and trailing
// data, so that what was verified is exactly what was read.
func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
