package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/progress"
	"github.com/liaison-dev/liaison/internal/store"
	"github.com/liaison-dev/liaison/pkg/verify"
)

// The transparency ledger, dialogue rounds and commitments, the progress
// metrics and reports.

// CheckpointView is the node's latest checkpoint.
type CheckpointView struct {
	Origin     string    `json:"origin"`
	Size       int64     `json:"size"`
	Root       []byte    `json:"root"`
	At         time.Time `json:"at"`
	Checkpoint string    `json:"checkpoint"` // the signed note with every cosignature
	LogKey     string    `json:"log_key"`
}

// LedgerKeys are the verifier keys of the node's log and cosignatures.
type LedgerKeys struct {
	Log      string `json:"log"`
	Cosigner string `json:"cosigner"`
}

// ConsistencyView is a consistency proof between two sizes.
type ConsistencyView struct {
	From   uint64   `json:"from"`
	To     uint64   `json:"to"`
	Hashes [][]byte `json:"hashes"`
}

// ReportVerifyResult is the answer of POST /reports/verify.
type ReportVerifyResult struct {
	progress.Verification
	// Report is the report with this node's cosignature added.
	Report *progress.Report `json:"report"`
}

func init() {
	routes = append(routes,
		Route{Method: "GET", Path: "/ledger/checkpoint", Perm: auth.LedgerRead, Summary: "Integrate new entries and return the signed checkpoint of the node's log with the peers' cosignatures (C2SP tlog-checkpoint, tlog-cosignature)", Response: CheckpointView{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				cp, err := s.Ledger.Checkpoint(r.Context())
				if err != nil {
					return err
				}
				n, err := s.Ledger.CosignedNote(r.Context(), s.Store, cp)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, CheckpointView{Origin: s.Ledger.Origin(), Size: cp.Size, Root: cp.Root, At: cp.At,
					Checkpoint: string(n), LogKey: s.Ledger.VerifierKey()})
				return nil
			}},
		Route{Method: "GET", Path: "/ledger/keys", Perm: auth.LedgerRead, Summary: "Verifier keys (vkeys) of the node's log and of its cosignatures", Response: LedgerKeys{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				writeJSON(w, http.StatusOK, LedgerKeys{Log: s.Ledger.VerifierKey(), Cosigner: s.Ledger.CosignerKey()})
				return nil
			}},
		Route{Method: "GET", Path: "/ledger/proofs/{id}", Perm: auth.LedgerRead, Summary: "Inclusion proofs under the latest checkpoint: {id} is an entry index, or the id of an envelope, request or other recorded object (every entry of it)", Response: []verify.InclusionProof{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				id := r.PathValue("id")
				var proofs []*verify.InclusionProof
				var err error
				if i, perr := strconv.ParseUint(id, 10, 63); perr == nil && len(id) < 20 {
					var pr *verify.InclusionProof
					if pr, err = s.Ledger.Prove(r.Context(), i); err == nil {
						proofs = append(proofs, pr)
					}
				} else {
					proofs, err = s.Ledger.ProveObject(r.Context(), id, 100)
				}
				if err != nil {
					return ledgerError(err)
				}
				writeJSON(w, http.StatusOK, proofs)
				return nil
			}},
		Route{Method: "GET", Path: "/ledger/consistency", Perm: auth.LedgerRead, Summary: "Consistency proof between two sizes of the log (?from=N&to=M; to defaults to the latest checkpoint)", Response: ConsistencyView{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				q := r.URL.Query()
				from, err := strconv.ParseUint(q.Get("from"), 10, 63)
				if err != nil {
					return badRequest("from must be a size")
				}
				var to uint64
				if v := q.Get("to"); v != "" {
					if to, err = strconv.ParseUint(v, 10, 63); err != nil {
						return badRequest("to must be a size")
					}
				} else {
					cp, err := s.Ledger.Latest(r.Context())
					if err != nil {
						return ledgerError(err)
					}
					to = uint64(cp.Size)
				}
				if from > to {
					return badRequest("from must not exceed to")
				}
				hs, err := s.Ledger.ConsistencyHashes(r.Context(), from, to)
				if err != nil {
					return ledgerError(err)
				}
				writeJSON(w, http.StatusOK, ConsistencyView{From: from, To: to, Hashes: hs})
				return nil
			}},
		Route{Method: "GET", Path: "/ledger/export", Perm: auth.LedgerRead, Summary: "The whole log up to a new checkpoint, streamed as JSON lines (the export format of pkg/verify; check it offline with `liaison log verify`)",
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				w.Header().Set("Content-Type", "application/jsonl")
				w.Header().Set("Content-Disposition", `attachment; filename="ledger-export.jsonl"`)
				if _, err := s.Ledger.Export(r.Context(), w); err != nil {
					// Headers are gone: the truncated export fails verification.
					s.Log.ErrorContext(r.Context(), "ledger export", "err", err)
				}
				return nil
			}},
		Route{Method: "GET", Path: "/ledger/alarms", Perm: auth.LedgerRead, Summary: "Fork and rollback alarms detected by the cosigning exchange, with their evidence (?after=ID&limit=N)", Response: []store.LedgerAlarm{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				after, limit, err := page(r)
				if err != nil {
					return err
				}
				as, err := s.Ledger.Alarms(r.Context(), after, limit)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, as)
				return nil
			}},
		Route{Method: "GET", Path: "/rounds", Perm: auth.ProgressRead, Summary: "Dialogue rounds with their commitments counted by status", Response: []progress.RoundSummary{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				rs, err := s.Progress.Rounds(r.Context())
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, rs)
				return nil
			}},
		Route{Method: "GET", Path: "/rounds/{id}", Perm: auth.ProgressRead, Summary: "A round ({id} is its number) with its commitments", Response: progress.RoundDetail{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				n, err := roundNumber(r.PathValue("id"))
				if err != nil {
					return err
				}
				d, err := s.Progress.Round(r.Context(), n)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, d)
				return nil
			}},
		Route{Method: "POST", Path: "/rounds/import", Perm: auth.ProgressManage, Summary: "Import rounds and commitments from a rounds file (YAML or JSON, format liaison-rounds/v1) in the body, or the shipped example with ?example=1; recorded in the audit trail and the ledger", Response: progress.ImportResult{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				var src io.Reader = http.MaxBytesReader(w, r.Body, progress.MaxFileSize+1)
				name := "body"
				if r.URL.Query().Get("example") == "1" {
					src, name = bytes.NewReader(progress.Example()), "example"
				}
				ds, err := progress.ParseFile(name, src)
				if err != nil {
					var mbe *http.MaxBytesError
					if errors.As(err, &mbe) {
						return &bodyError{status: http.StatusRequestEntityTooLarge, detail: "the rounds file is too large"}
					}
					return err
				}
				res, err := s.Progress.Import(r.Context(), p.Actor(), ds)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, res)
				return nil
			}},
		Route{Method: "GET", Path: "/commitments", Perm: auth.ProgressRead, Summary: "Commitments (?round=N&status=S&party=P)", Response: []store.Commitment{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				q := r.URL.Query()
				f := store.CommitmentFilter{Status: q.Get("status"), Party: q.Get("party")}
				if v := q.Get("round"); v != "" {
					n, err := roundNumber(v)
					if err != nil {
						return err
					}
					f.Round = &n
				}
				cs, err := s.Progress.Commitments(r.Context(), f)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, cs)
				return nil
			}},
		Route{Method: "POST", Path: "/commitments/{id}", Perm: auth.ProgressManage, Summary: "Set a commitment's status, add evidence (requests, drills, exercises, cases, seminars...) and notes; audited and recorded in the ledger", Body: progress.StatusChange{}, Response: store.Commitment{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				var ch progress.StatusChange
				if err := decode(w, r, s.MaxBody, &ch); err != nil {
					return err
				}
				c, err := s.Progress.UpdateCommitment(r.Context(), p.Actor(), r.PathValue("id"), ch)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, c)
				return nil
			}},
		Route{Method: "GET", Path: "/progress/metrics", Perm: auth.ProgressRead, Summary: "Timeliness metrics from the record over a period (?from=&to=, RFC 3339 or YYYY-MM-DD; default: everything until now): per party pair, type, priority and category, with drills and intelligence shared; exercise traffic excluded", Response: progress.Metrics{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				from, to, err := period(r.URL.Query().Get("from"), r.URL.Query().Get("to"), s.Progress.Clock.Now())
				if err != nil {
					return err
				}
				m, err := s.Progress.Metrics(r.Context(), from, to)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, m)
				return nil
			}},
		Route{Method: "GET", Path: "/reports", Perm: auth.ProgressRead, Summary: "Reports made or verified at this node, newest first, with the cosignatures each holds (the other party's arrives over federation once it has verified the report)", Response: []progress.KeptReport{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				_, limit, err := page(r)
				if err != nil {
					return err
				}
				rs, err := s.Progress.Reports(r.Context(), limit)
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, rs)
				return nil
			}},
		Route{Method: "GET", Path: "/reports/{id}", Perm: auth.ProgressRead, Summary: "The signed progress report of round {id} at a new checkpoint (?format=json, html or pdf); its figures are recomputable by the other party (POST /reports/verify)", Response: progress.Report{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				n, err := roundNumber(r.PathValue("id"))
				if err != nil {
					return err
				}
				format := r.URL.Query().Get("format")
				if format != "" && format != "json" && format != "html" && format != "pdf" {
					return badRequest("format must be json, html or pdf")
				}
				rep, err := s.Progress.Report(r.Context(), n)
				if err != nil {
					return err
				}
				switch format {
				case "html":
					var b bytes.Buffer
					if err := progress.WriteHTML(&b, rep); err != nil {
						return err
					}
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="report-round-%d.html"`, n))
					w.Write(b.Bytes())
				case "pdf":
					var b bytes.Buffer
					if err := progress.WritePDF(&b, rep); err != nil {
						return err
					}
					w.Header().Set("Content-Type", "application/pdf")
					w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="report-round-%d.pdf"`, n))
					w.Write(b.Bytes())
				default:
					writeJSON(w, http.StatusOK, rep)
				}
				return nil
			}},
		Route{Method: "POST", Path: "/reports/verify", Perm: auth.ReportVerify, Summary: "Verify a peer's progress report (the report JSON, or its HTML file) against this node's record and, when every figure matches, cosign it; 422 report-mismatch names the figures that differ", Body: progress.Report{}, Response: ReportVerifyResult{},
			handle: func(s *Server, w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
				b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<20))
				if err != nil {
					return &bodyError{status: http.StatusRequestEntityTooLarge, detail: "the report is too large"}
				}
				rep, err := progress.ReadReport(b)
				if err != nil {
					return badRequest("the body holds no report: give the report JSON or its HTML file")
				}
				v, err := s.Progress.Verify(r.Context(), rep)
				switch {
				case errors.Is(err, progress.ErrReportMismatch):
					writeProblem(w, r, Problem{Type: ProblemType + "report-mismatch", Title: "Report figures do not match the record",
						Status: http.StatusUnprocessableEntity, Detail: strings.Join(v.Mismatches, "; ")})
					return nil
				case errors.Is(err, progress.ErrReportSignature), errors.Is(err, progress.ErrNoReport):
					writeProblem(w, r, Problem{Type: ProblemType + "report-signature", Title: "Report signature does not verify",
						Status: http.StatusUnprocessableEntity, Detail: "the report is not signed by a paired peer, or its checkpoint is not that peer's"})
					return nil
				case err != nil:
					return err
				}
				writeJSON(w, http.StatusOK, ReportVerifyResult{Verification: *v, Report: rep})
				return nil
			}},
	)
}

// ledgerError maps the ledger's errors to problems.
func ledgerError(err error) error {
	switch {
	case errors.Is(err, ledger.ErrNotIntegrated):
		return badRequest("not yet in a checkpoint; ask for the checkpoint first")
	case errors.Is(err, store.ErrNotFound):
		return store.ErrNotFound
	}
	return err
}

func page(r *http.Request) (after int64, limit int, err error) {
	q := r.URL.Query()
	limit = 100
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil {
			return 0, 0, badRequest("after must be an id")
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return 0, 0, badRequest("limit must be 1 to 1000")
		}
	}
	return after, limit, nil
}

func roundNumber(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, badRequest("a round is a number")
	}
	return n, nil
}

// period parses ?from= and ?to= (RFC 3339 or a date, UTC).
func period(fromS, toS string, now time.Time) (from, to time.Time, err error) {
	parse := func(name, v string, def time.Time) (time.Time, error) {
		if v == "" {
			return def, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t.UTC(), nil
		}
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t.UTC(), nil
		}
		return time.Time{}, badRequest("%s must be RFC 3339 or YYYY-MM-DD", name)
	}
	if from, err = parse("from", fromS, time.Unix(0, 0).UTC()); err != nil {
		return
	}
	if to, err = parse("to", toS, now.UTC()); err != nil {
		return
	}
	if !from.Before(to) {
		err = badRequest("from must be before to")
	}
	return
}
