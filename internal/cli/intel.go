package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/intel"
	"github.com/liaison-dev/liaison/internal/intel/match"
	"github.com/liaison-dev/liaison/internal/intel/misp"
	"github.com/liaison-dev/liaison/internal/intel/stix"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
)

// maxImportBytes bounds a file given to intel import or match.
const maxImportBytes = 1 << 30

func intelCmd() *cobra.Command {
	c := &cobra.Command{Use: "intel", Short: "Threat intelligence: collections, STIX import and export, indicator matching"}
	c.AddCommand(collectionCmd(), intelImportCmd(), intelExportCmd(), intelMatchCmd(), intelPatternCmd())
	return c
}

func openFile(name string, stdin io.Reader) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(stdin), nil
	}
	return os.Open(name)
}

func collectionCmd() *cobra.Command {
	c := &cobra.Command{Use: "collection", Short: "Manage TAXII collections"}
	var dir string
	var n intel.NewCollection
	var grants []string
	create := &cobra.Command{
		Use:   "create --dir DIR --title TITLE [--alias A] --grant GRANTEE:rw ...",
		Short: "Create a collection; grants are \"*\", \"agency:CODE\" or \"party:CODE\" with :r, :w or :rw",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, g := range grants {
				i := strings.LastIndex(g, ":")
				if i < 0 || strings.Trim(g[i+1:], "rw") != "" || g[i+1:] == "" {
					return usageError{fmt.Errorf("--grant %q: want GRANTEE:r, GRANTEE:w or GRANTEE:rw", g)}
				}
				n.Grants = append(n.Grants, store.Grant{Grantee: g[:i], CanRead: strings.Contains(g[i+1:], "r"), CanWrite: strings.Contains(g[i+1:], "w")})
			}
			return withNode(cmd, dir, func(nd *node.Node) error {
				col, err := nd.Intel.CreateCollection(cmd.Context(), actor(), n)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created collection %s (%s)\nTAXII: /taxii2/liaison/collections/%s/\n", col.ID, col.Title, col.ID)
				return nil
			})
		},
	}
	create.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	create.Flags().StringVar(&n.Title, "title", "", "title")
	create.Flags().StringVar(&n.Description, "description", "", "description")
	create.Flags().StringVar(&n.Alias, "alias", "", "short alias usable in place of the id")
	create.Flags().StringArrayVar(&grants, "grant", nil, "GRANTEE:r|w|rw (repeatable)")
	var ldir string
	list := &cobra.Command{
		Use: "list --dir DIR", Short: "List collections and their grants", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, ldir, func(nd *node.Node) error {
				cs, err := nd.Store.ListCollections(cmd.Context())
				if err != nil {
					return err
				}
				for _, c := range cs {
					gs, err := nd.Store.ListGrants(cmd.Context(), c.ID)
					if err != nil {
						return err
					}
					var g []string
					for _, x := range gs {
						g = append(g, x.Grantee+":"+map[bool]string{true: "r"}[x.CanRead]+map[bool]string{true: "w"}[x.CanWrite])
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s  %-20s  %s  [%s]\n", c.ID, c.Alias, c.Title, strings.Join(g, " "))
				}
				return nil
			})
		},
	}
	list.Flags().StringVar(&ldir, "dir", "", "node directory (required)")
	c.AddCommand(create, list)
	return c
}

func intelImportCmd() *cobra.Command {
	var dir, collection string
	var partial bool
	c := &cobra.Command{
		Use:   "import --dir DIR --collection ID FILE",
		Short: "Import a STIX 2.1 bundle (or JSON array of objects), or MISP event JSON, into a collection",
		Long: "Every object is validated first. By default one invalid object refuses the whole file and nothing is stored; --partial stores the valid objects and reports the rest. " +
			"MISP event JSON ({\"Event\":...}, a list of them, or a MISP REST response) is recognised and converted to STIX first (docs/intel.md).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := openFile(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			defer f.Close()
			return withNode(cmd, dir, func(nd *node.Node) error {
				objs, rejected, err := parseImport(nd.Intel.Parser, f)
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				if len(rejected) > 0 && !partial {
					for _, e := range rejected {
						fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", args[0], e)
					}
					return fmt.Errorf("%s: %d invalid object(s); nothing imported (use --partial to import the valid ones)", args[0], len(rejected))
				}
				st, err := nd.Intel.Add(cmd.Context(), actor(), collection, objs, rejected)
				if err != nil {
					return err
				}
				for _, f := range st.Failures {
					fmt.Fprintf(cmd.ErrOrStderr(), "refused %s: %s\n", f.ID, f.Message)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%d of %d objects stored (status %s)\n", st.Success, st.Total, st.ID)
				if st.Failure > 0 && !partial {
					return &codeError{code: exitError}
				}
				return nil
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().StringVar(&collection, "collection", "", "collection id or alias (required)")
	c.Flags().BoolVar(&partial, "partial", false, "store the valid objects even if some are invalid")
	c.MarkFlagRequired("collection")
	return c
}

// parseImport reads a STIX bundle or, when the file is MISP event JSON,
// converts it to STIX objects first.
func parseImport(p *stix.Parser, r io.Reader) ([]*stix.Object, []error, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxImportBytes+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(b)) > maxImportBytes {
		return nil, nil, fmt.Errorf("larger than %d bytes", maxImportBytes)
	}
	if !misp.IsMISP(b) {
		return p.ParseObjects(bytes.NewReader(b), maxImportBytes)
	}
	raws, err := misp.Import(b)
	if err != nil {
		return nil, nil, err
	}
	var objs []*stix.Object
	var rejected []error
	for _, raw := range raws {
		o, err := p.Parse(raw)
		if err != nil {
			rejected = append(rejected, err)
			continue
		}
		objs = append(objs, o)
	}
	return objs, rejected, nil
}

func intelExportCmd() *cobra.Command {
	var dir, collection, out, format string
	var all bool
	c := &cobra.Command{
		Use:   "export --dir DIR --collection ID [--all-versions] [--format stix|misp] [--out FILE]",
		Short: "Export a collection as a STIX 2.1 bundle, or as MISP event JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "stix":
			case "misp":
				if all {
					return usageError{errors.New("--all-versions: MISP events hold the latest version only")}
				}
			default:
				return usageError{fmt.Errorf("--format %q: want stix or misp", format)}
			}
			return withNode(cmd, dir, func(nd *node.Node) error {
				col, err := nd.Store.GetCollection(cmd.Context(), collection)
				if err != nil {
					return fmt.Errorf("collection %q: %w", collection, err)
				}
				w := cmd.OutOrStdout()
				if out != "" {
					f, err := os.Create(out)
					if err != nil {
						return err
					}
					defer f.Close()
					w = f
				}
				if format == "misp" {
					return exportMISP(cmd, nd, col.ID, w)
				}
				fmt.Fprintf(w, `{"type":"bundle","id":"bundle--%s","objects":[`, intel.NewUUID())
				f := store.STIXFilter{CollectionID: col.ID, Versions: []string{store.VersionLast}, Limit: 5000, WithBody: true}
				if all {
					f.Versions = []string{store.VersionAll}
				}
				n := 0
				for {
					rows, more, err := nd.Intel.Objects(cmd.Context(), f)
					if err != nil {
						return err
					}
					for _, r := range rows {
						if n > 0 {
							io.WriteString(w, ",")
						}
						w.Write(r.Body)
						n++
					}
					if !more {
						break
					}
					f.AddedAfter = rows[len(rows)-1].DateAdded
				}
				io.WriteString(w, "]}\n")
				fmt.Fprintf(cmd.ErrOrStderr(), "exported %d objects\n", n)
				return nil
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().StringVar(&collection, "collection", "", "collection id or alias (required)")
	c.Flags().StringVar(&out, "out", "", "write to FILE")
	c.Flags().BoolVar(&all, "all-versions", false, "every version, not only the latest")
	c.Flags().StringVar(&format, "format", "stix", "stix (a STIX 2.1 bundle) or misp (MISP event JSON)")
	c.MarkFlagRequired("collection")
	return c
}

// exportMISP converts the latest version of every object of a collection
// to MISP events.
func exportMISP(cmd *cobra.Command, nd *node.Node, collectionID string, w io.Writer) error {
	var raws []json.RawMessage
	f := store.STIXFilter{CollectionID: collectionID, Versions: []string{store.VersionLast}, Limit: 5000, WithBody: true}
	for {
		rows, more, err := nd.Intel.Objects(cmd.Context(), f)
		if err != nil {
			return err
		}
		for _, r := range rows {
			raws = append(raws, r.Body)
		}
		if !more {
			break
		}
		f.AddedAfter = rows[len(rows)-1].DateAdded
	}
	events, err := misp.Export(raws)
	if err != nil {
		return err
	}
	b, err := misp.Marshal(events)
	if err != nil {
		return err
	}
	w.Write(append(b, '\n'))
	fmt.Fprintf(cmd.ErrOrStderr(), "exported %d objects as %d MISP events\n", len(raws), len(events))
	return nil
}

// readObservables reads a JSON array of observables (STIX cyber-observable
// objects or {"type","value"} pairs), a STIX bundle of them, or plain text
// with one "type:value" per line.
func readObservables(r io.Reader) ([]match.Observable, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxImportBytes))
	if err != nil {
		return nil, err
	}
	t := strings.TrimSpace(string(b))
	var obs []match.Observable
	switch {
	case strings.HasPrefix(t, "["):
		if err := json.Unmarshal(b, &obs); err != nil {
			return nil, err
		}
	case strings.HasPrefix(t, "{"):
		var bundle struct {
			Objects []match.Observable `json:"objects"`
		}
		if err := json.Unmarshal(b, &bundle); err != nil {
			return nil, err
		}
		obs = bundle.Objects
	default:
		for i, line := range strings.Split(t, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			typ, val, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("line %d: want TYPE:VALUE", i+1)
			}
			o := match.Observable{Type: typ, Value: val}
			if typ == "file" {
				algo, h, ok := strings.Cut(val, ":")
				if !ok {
					return nil, fmt.Errorf("line %d: want file:ALGORITHM:HASH", i+1)
				}
				o = match.Observable{Type: typ, Hashes: map[string]string{algo: h}}
			}
			obs = append(obs, o)
		}
	}
	for i, o := range obs {
		if err := o.Validate(); err != nil {
			return nil, fmt.Errorf("observable %d: %w", i+1, err)
		}
	}
	return obs, nil
}

func intelMatchCmd() *cobra.Command {
	var dir string
	var asJSON bool
	c := &cobra.Command{
		Use:   "match --dir DIR FILE",
		Short: "Match a file of observables against every active indicator on the node",
		Long:  "FILE is a JSON array of STIX cyber-observables (or {\"type\",\"value\"} objects), a STIX bundle, or text lines TYPE:VALUE (file:SHA-256:HASH for hashes). Exit 0 when something matched, 1 when nothing did.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := openFile(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			defer f.Close()
			obs, err := readObservables(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			return withNode(cmd, dir, func(nd *node.Node) error {
				ix, err := nd.Intel.Index(cmd.Context())
				if err != nil {
					return err
				}
				start := time.Now()
				hits := 0
				var results []intel.MatchResult
				for _, o := range obs {
					inds := ix.Lookup(o)
					if len(inds) == 0 {
						continue
					}
					hits++
					results = append(results, intel.MatchResult{Observable: o, Indicators: inds})
				}
				took := time.Since(start)
				if asJSON {
					if err := printJSON(cmd.OutOrStdout(), results); err != nil {
						return err
					}
				} else {
					for _, r := range results {
						for _, ind := range r.Indicators {
							fmt.Fprintf(cmd.OutOrStdout(), "%s %s\t%s\t%s\t%s\n", r.Observable.Type, r.Observable.Value+hashList(r.Observable.Hashes), ind.ID, ind.TLP, ind.Name)
						}
					}
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%d of %d observables matched %d indicators in %s\n", hits, len(obs), ix.Len(), took.Round(time.Microsecond))
				if hits == 0 {
					return &codeError{code: exitError}
				}
				return nil
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func hashList(h map[string]string) string {
	var parts []string
	for a, v := range h {
		parts = append(parts, a+"="+v)
	}
	return strings.Join(parts, ",")
}
