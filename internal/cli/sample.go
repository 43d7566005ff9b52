package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/intel/marking"
	"github.com/liaison-dev/liaison/internal/intel/sample"
	"github.com/liaison-dev/liaison/internal/node"
	"github.com/liaison-dev/liaison/internal/store"
)

func sampleCmd() *cobra.Command {
	c := &cobra.Command{Use: "sample", Short: "Malware samples and analysis documents: stored encrypted, never executed, shared under TLP"}
	c.AddCommand(sampleAddCmd(), sampleGetCmd(), sampleListCmd())
	return c
}

func sampleAddCmd() *cobra.Command {
	var dir, tlp string
	var n sample.NewSample
	var document bool
	c := &cobra.Command{
		Use:   "add --dir DIR --collection C FILE [--name N] [--malware-name M | --malware-id ID] [--report R] [--tlp amber]",
		Short: "Store a sample (or, with --document, an analysis report document) and describe it in a collection",
		Long: "The file is streamed, hashed (SHA-256, MD5, SHA-1, SHA-512 in one pass) and stored encrypted; it is never executed. " +
			"STIX file and malware objects (or, for a document, a report) are added to the collection and the sample is sent to the " +
			"peers the collection is shared with where its TLP allows (RED: only the --recipient parties; AMBER+STRICT: nobody).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := marking.ParseTLP(tlp)
			if err != nil {
				return usageError{fmt.Errorf("--tlp: %w", err)}
			}
			n.TLP = t
			if document {
				n.Kind = store.SampleDocument
			}
			if n.Name == "" {
				n.Name = filepath.Base(args[0])
			}
			f, err := openFile(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			defer f.Close()
			return withNode(cmd, dir, func(nd *node.Node) error {
				a, err := nd.Samples.Add(cmd.Context(), actor(), n, f)
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				state := "stored"
				if !a.New {
					state = "already stored"
				}
				fmt.Fprintf(w, "%s %s (%s, %d bytes, encrypted at rest)\n", state, a.Sample.SHA256, a.Sample.Name, a.Sample.Size)
				fmt.Fprintf(w, "md5 %s\nsha1 %s\nsha512 %s\n", a.Sample.MD5, a.Sample.SHA1, a.Sample.SHA512)
				fmt.Fprintf(w, "file %s\n", a.FileID)
				if a.MalwareID != "" {
					fmt.Fprintf(w, "malware %s\n", a.MalwareID)
				}
				if a.ReportID != "" {
					fmt.Fprintf(w, "report %s\n", a.ReportID)
				}
				for _, s := range a.Sharing {
					verdict := "sent to"
					if !s.Allowed {
						verdict = "withheld from"
					}
					fmt.Fprintf(w, "%s %s: %s\n", verdict, s.Party, s.Reason)
				}
				return nil
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().StringVar(&n.Collection, "collection", "", "collection id or alias (required)")
	c.Flags().StringVar(&n.Name, "name", "", "file name to record (default: the file's base name)")
	c.Flags().StringVar(&n.MIMEType, "mime-type", "", "media type to record")
	c.Flags().StringVar(&n.MalwareName, "malware-name", "", "name of the new malware object (default: the file name)")
	c.Flags().StringVar(&n.MalwareID, "malware-id", "", "tie the sample to this existing malware object instead")
	c.Flags().StringVar(&n.ReportName, "report", "", "also create a report object with this name (required with --document)")
	c.Flags().StringVar(&n.ReportDescription, "report-description", "", "the report's description")
	c.Flags().StringArrayVar(&n.About, "about", nil, "STIX id the report also covers (repeatable)")
	c.Flags().BoolVar(&document, "document", false, "the file is an analysis report document, not a sample")
	c.Flags().StringVar(&tlp, "tlp", "amber", "TLP 2.0 marking: clear, green, amber, amber+strict, red")
	c.Flags().StringArrayVar(&n.Recipients, "recipient", nil, "party a TLP:RED sample is for (repeatable)")
	c.MarkFlagRequired("collection")
	return c
}

func sampleGetCmd() *cobra.Command {
	var dir, out string
	var zipped bool
	c := &cobra.Command{
		Use:   "get --dir DIR SHA256 [--zip] --out FILE",
		Short: "Write a stored sample to FILE, raw or as the conventional zip with password \"infected\"",
		Long:  sample.ZipWarning + "\nThe file is written with mode 0600 (never executable) and must not exist. The hand-out is recorded in the audit trail.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{errors.New("--out FILE is required (samples are never written to a terminal)")}
			}
			format := sample.FormatRaw
			if zipped {
				format = sample.FormatZip
			}
			return withNode(cmd, dir, func(nd *node.Node) error {
				if _, err := nd.Store.GetSample(cmd.Context(), args[0]); err != nil {
					return fmt.Errorf("sample %s: %w", args[0], err)
				}
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return err
				}
				err = nd.Samples.Write(cmd.Context(), actor(), args[0], format, f)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(out) // never leave a truncated or unverified copy
					return err
				}
				fmt.Fprintln(cmd.ErrOrStderr(), sample.ZipWarning)
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s)\n", out, format)
				return nil
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().StringVar(&out, "out", "", "file to create (required; mode 0600)")
	c.Flags().BoolVar(&zipped, "zip", false, "zip with password \"infected\" (ZipCrypto) instead of raw bytes")
	return c
}

func sampleListCmd() *cobra.Command {
	var dir, collection string
	var asJSON bool
	c := &cobra.Command{
		Use:   "list --dir DIR --collection C",
		Short: "List the samples and documents of a collection",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, dir, func(nd *node.Node) error {
				var all []store.Sample
				f := store.SampleFilter{CollectionID: collection, Limit: 1000}
				for {
					page, err := nd.Samples.List(cmd.Context(), f)
					if err != nil {
						return err
					}
					all = append(all, page...)
					if len(page) < f.Limit {
						break
					}
					f.After = page[len(page)-1].SHA256
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), all)
				}
				for _, s := range all {
					src := "local"
					if s.Source != "" {
						src = "from " + s.Source
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s  %-8s  %10d  %s  (%s)\n", s.SHA256, s.Kind, s.Size, s.Name, src)
				}
				return nil
			})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "node directory (required)")
	c.Flags().StringVar(&collection, "collection", "", "collection id or alias (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("collection")
	return c
}
