package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-dev/liaison/internal/ledger"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/pkg/verify"
)

// openLedger gives the node's transparency log.
func openLedger(n *node.Node) (*ledger.Log, error) {
	return n.Ledger, nil
}

func logCmd() *cobra.Command {
	c := &cobra.Command{Use: "log", Short: "The node's transparency log: checkpoints, proofs, export and offline verification"}
	c.AddCommand(logCheckpointCmd(), logKeyCmd(), logProveCmd(), logExportCmd(), logVerifyCmd(), logAlarmsCmd())
	return c
}

func logCheckpointCmd() *cobra.Command {
	var dir string
	var asJSON bool
	c := &cobra.Command{
		Use:   "checkpoint --dir DIR [--json]",
		Short: "Add every new entry to the tree and print the signed checkpoint (C2SP tlog-checkpoint, with cosignatures)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(n *node.Node) error {
				l, err := openLedger(n)
				if err != nil {
					return err
				}
				cp, err := l.Checkpoint(cmd.Context())
				if err != nil {
					return err
				}
				msg, err := l.CosignedNote(cmd.Context(), n.Store, cp)
				if err != nil {
					return err
				}
				if !asJSON {
					_, err := cmd.OutOrStdout().Write(msg)
					return err
				}
				return printJSON(cmd.OutOrStdout(), map[string]any{"origin": l.Origin(), "size": cp.Size, "root": cp.Root,
					"checkpoint": string(msg), "log_key": l.VerifierKey(), "at": cp.At})
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON with the log's verifier key")
	return c
}

func logKeyCmd() *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "key --dir DIR",
		Short: "Print the verifier keys (vkeys) of this node's log and of its cosignatures, for `liaison log verify --key/--witness`",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(n *node.Node) error {
				lk, err := ledger.LogVerifierKey(n.Config.Party, n.Identity.SigningPublic())
				if err != nil {
					return err
				}
				ck, err := ledger.CosignerVerifierKey(n.Config.Party, n.Identity.SigningPublic())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "log:      %s\ncosigner: %s\n", lk, ck)
				return nil
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	return c
}

func logProveCmd() *cobra.Command {
	var dir, out string
	c := &cobra.Command{
		Use:   "prove --dir DIR ID [--out FILE]",
		Short: "Print an inclusion proof for the entry at index ID, or for every entry of the object ID (a message, request, case...)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withNode(cmd, dir, func(n *node.Node) error {
				l, err := openLedger(n)
				if err != nil {
					return err
				}
				if _, err := l.Checkpoint(cmd.Context()); err != nil {
					return err
				}
				var v any
				if i, perr := strconv.ParseUint(args[0], 10, 64); perr == nil {
					v, err = l.Prove(cmd.Context(), i)
				} else {
					v, err = l.ProveObject(cmd.Context(), args[0], 0)
				}
				if err != nil {
					return fmt.Errorf("prove %s: %w", args[0], err)
				}
				return writeJSONTo(cmd, out, v)
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().StringVar(&out, "out", "", "write the proof to FILE instead of standard output")
	return c
}

func writeJSONTo(cmd *cobra.Command, path string, v any) error {
	if path == "" {
		return printJSON(cmd.OutOrStdout(), v)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := printJSON(f, v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func logExportCmd() *cobra.Command {
	var dir, out string
	c := &cobra.Command{
		Use:   "export --dir DIR --out FILE",
		Short: "Checkpoint the log and write all of it, with the signed (and cosigned) checkpoint, as JSON lines",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError{errors.New("--out is required")}
			}
			return withNode(cmd, dir, func(n *node.Node) error {
				l, err := openLedger(n)
				if err != nil {
					return err
				}
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return err
				}
				h, err := l.Export(cmd.Context(), f)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(out)
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "exported %d entries of %s to %s\nverify with: liaison log verify %s --key %s\n",
					h.Size, h.Origin, out, out, l.VerifierKey())
				return nil
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().StringVar(&out, "out", "", "file to create (required; never overwritten)")
	return c
}

func logVerifyCmd() *cobra.Command {
	var keys, witnesses []string
	var keyFile string
	var asJSON bool
	c := &cobra.Command{
		Use:   "verify FILE --key VKEY [--witness VKEY]...",
		Short: "Verify offline an export (or a proof from `log prove`) with the log's public key; exit 1 if anything was altered",
		Long: "Checks, without any node: the checkpoint's signature by --key, the cosignatures of every --witness (all required),\n" +
			"and for an export that its entries are complete, in order, unaltered and hash to the signed root; for a proof\n" +
			"that the entry is included under the signed root. --key and --witness take note verifier keys (`liaison log key`).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyFile != "" {
				b, err := os.ReadFile(keyFile)
				if err != nil {
					return err
				}
				for _, line := range strings.Split(string(b), "\n") {
					if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
						keys = append(keys, line)
					}
				}
			}
			if len(keys) == 0 {
				return usageError{errors.New("--key (or --key-file) is required")}
			}
			res, err := verifyFile(args[0], keys, witnesses)
			if err != nil {
				return &codeError{code: exitError, err: fmt.Errorf("verification FAILED: %s: %w", args[0], err)}
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "OK: %s\n", res.Summary)
			return nil
		},
	}
	c.Flags().StringArrayVar(&keys, "key", nil, "verifier key of the log (several: the one whose name is the log's origin is used)")
	c.Flags().StringVar(&keyFile, "key-file", "", "file of verifier keys, one a line")
	c.Flags().StringArrayVar(&witnesses, "witness", nil, "verifier key of a witness whose cosignature is required")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

type verifyResult struct {
	Summary string               `json:"summary"`
	Export  *verify.ExportReport `json:"export,omitempty"`
	Proofs  int                  `json:"proofs,omitempty"`
}

// verifyFile checks an export or a proof file. With several keys, the one
// named after the file's origin is the log key.
func verifyFile(path string, keys, witnessKeys []string) (*verifyResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ws []note.Verifier
	var wnames []string
	for _, k := range witnessKeys {
		v, err := verify.NewCosignerVerifier(k)
		if err != nil {
			return nil, err
		}
		ws, wnames = append(ws, v), append(wnames, v.Name())
	}
	br := bufio.NewReaderSize(f, 1<<16)
	head, _ := br.Peek(512)
	origin := guessOrigin(head)
	logKey, err := pickKey(keys, origin)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if bytes.HasPrefix(trimmed, []byte(`{"format"`)) {
		rep, err := verify.VerifyExport(br, logKey, ws...)
		if err != nil {
			return nil, err
		}
		if !rep.Checkpoint.Cosigned(wnames...) {
			return nil, fmt.Errorf("%w: not cosigned by every witness given (cosigners: %v)", verify.ErrSignature, rep.Cosigners)
		}
		return &verifyResult{Export: rep, Summary: fmt.Sprintf("export of %s: %d entries, root %x, signed%s",
			rep.Origin, rep.Size, rep.Root, cosignedBy(rep.Cosigners))}, nil
	}
	b, err := io.ReadAll(io.LimitReader(br, 64<<20))
	if err != nil {
		return nil, err
	}
	var proofs []*verify.InclusionProof
	if bytes.HasPrefix(trimmed, []byte("[")) {
		err = json.Unmarshal(b, &proofs)
	} else {
		var p verify.InclusionProof
		err = json.Unmarshal(b, &p)
		proofs = append(proofs, &p)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: neither an export nor a proof: %v", verify.ErrMalformed, err)
	}
	var cp *verify.Checkpoint
	for _, p := range proofs {
		if cp, err = p.Verify(logKey, ws...); err != nil {
			return nil, err
		}
		if !cp.Cosigned(wnames...) {
			return nil, fmt.Errorf("%w: not cosigned by every witness given", verify.ErrSignature)
		}
	}
	if cp == nil {
		return nil, fmt.Errorf("%w: no proofs in the file", verify.ErrMalformed)
	}
	return &verifyResult{Proofs: len(proofs), Summary: fmt.Sprintf("%d inclusion proof(s) in %s at size %d, signed%s",
		len(proofs), cp.Origin, cp.Size, cosignedBy(cp.Cosigners))}, nil
}

func cosignedBy(cs []verify.Cosigner) string {
	if len(cs) == 0 {
		return ""
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return ", cosigned by " + strings.Join(names, ", ")
}

// guessOrigin finds the checkpoint's origin line in the first bytes of a
// file, to choose among several keys; verification does not rely on it.
func guessOrigin(head []byte) string {
	i := bytes.Index(head, []byte(`"checkpoint":"`))
	if i < 0 {
		i = bytes.Index(head, []byte(`"checkpoint": "`))
		if i < 0 {
			return ""
		}
		i++
	}
	rest := head[i+len(`"checkpoint":"`):]
	if j := bytes.Index(rest, []byte(`\n`)); j > 0 {
		return string(rest[:j])
	}
	return ""
}

func pickKey(keys []string, origin string) (note.Verifier, error) {
	var vs []note.Verifier
	for _, k := range keys {
		v, err := verify.NewLogVerifier(k)
		if err != nil {
			return nil, err
		}
		if v.Name() == origin {
			return v, nil
		}
		vs = append(vs, v)
	}
	return vs[0], nil
}

func logAlarmsCmd() *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "alarms --dir DIR",
		Short: "List recorded forks and rollbacks (of peers' logs, or of this node's own)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(n *node.Node) error {
				as, err := n.Store.ListLedgerAlarms(cmd.Context(), 0, 1000)
				if err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), as)
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	return c
}
