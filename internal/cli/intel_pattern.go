package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/liaison-dev/liaison/internal/intel/pattern"
)

// Exit codes of "intel pattern", like the OASIS reference matcher's
// command line: 0 valid / matched, 1 no match, 2 invalid pattern or input.
const (
	patternExitNoMatch = 1
	patternExitInvalid = 2
)

func intelPatternCmd() *cobra.Command {
	c := &cobra.Command{Use: "pattern", Short: "Check STIX 2.1 patterns and match them against observed-data"}
	c.AddCommand(patternCheckCmd(), patternMatchCmd())
	return c
}

func patternCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check PATTERN",
		Short: "Validate a STIX 2.1 pattern: prints \"valid\" (exit 0) or the error and its position (exit 2)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := pattern.Parse(args[0])
			if err != nil {
				printPatternError(cmd.ErrOrStderr(), args[0], err)
				return &codeError{code: patternExitInvalid}
			}
			fmt.Fprintln(cmd.OutOrStdout(), "valid")
			printPatternWarnings(cmd.ErrOrStderr(), p)
			return nil
		},
	}
}

func patternMatchCmd() *cobra.Command {
	var src string
	var asJSON bool
	c := &cobra.Command{
		Use:   "match --pattern PATTERN FILE",
		Short: "Match a STIX 2.1 pattern against observed-data in FILE (a bundle or JSON array; - for stdin): exit 0 on a match, 1 on none, 2 on invalid pattern or input",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			p, err := pattern.Parse(src)
			if err != nil {
				printPatternError(stderr, src, err)
				return &codeError{code: patternExitInvalid}
			}
			f, err := openFile(args[0], cmd.InOrStdin())
			if err != nil {
				return &codeError{code: patternExitInvalid, err: err}
			}
			obs, err := pattern.DecodeObservedData(f)
			f.Close()
			if err != nil {
				return &codeError{code: patternExitInvalid, err: fmt.Errorf("%s: %w", args[0], err)}
			}
			res, err := p.Match(obs)
			switch {
			case errors.Is(err, pattern.ErrTooComplex):
				return &codeError{code: patternExitInvalid, err: fmt.Errorf("%w (%d observed-data); narrow the pattern or the input", err, len(obs))}
			case err != nil:
				return &codeError{code: patternExitInvalid, err: err}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := printJSON(out, matchJSON(res)); err != nil {
					return err
				}
			} else if res.Matched {
				fmt.Fprintf(out, "match: %d of %d observed-data\n", len(res.ObservedData), len(obs))
				for _, id := range res.ObservedData {
					fmt.Fprintln(out, "  "+id)
				}
				if res.Partial {
					fmt.Fprintln(out, "(search stopped at a limit; more observed-data may match)")
				}
			} else {
				fmt.Fprintf(out, "no match in %d observed-data\n", len(obs))
			}
			if !res.Matched {
				return &codeError{code: patternExitNoMatch}
			}
			return nil
		},
	}
	c.Flags().StringVar(&src, "pattern", "", "the STIX 2.1 pattern (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	c.MarkFlagRequired("pattern")
	return c
}

func matchJSON(r *pattern.Result) any {
	ids, bindings := r.ObservedData, r.Bindings
	if ids == nil {
		ids = []string{}
	}
	if bindings == nil {
		bindings = [][]string{}
	}
	return struct {
		Matched      bool       `json:"matched"`
		ObservedData []string   `json:"observed_data"`
		Bindings     [][]string `json:"bindings"`
		Partial      bool       `json:"partial"`
	}{r.Matched, ids, bindings, r.Partial}
}

// printPatternError prints the error, then the offending line of the
// pattern with a caret under the position.
func printPatternError(w io.Writer, src string, err error) {
	fmt.Fprintln(w, "liaison: invalid pattern:", err)
	var pe *pattern.Error
	if !errors.As(err, &pe) || !utf8.ValidString(src) {
		return
	}
	lines := strings.Split(src, "\n")
	if pe.Pos.Line < 1 || pe.Pos.Line > len(lines) {
		return
	}
	line := []rune(strings.TrimRight(lines[pe.Pos.Line-1], "\r"))
	col := pe.Pos.Column - 1 // runes before the caret
	// Show at most 100 characters around a long line's error.
	const width = 100
	prefix, suffix := "", ""
	if len(line) > width {
		from := max(0, min(col-width/2, len(line)-width))
		if from > 0 {
			prefix = "…"
		}
		if from+width < len(line) {
			suffix = "…"
		}
		line = line[from : from+width]
		col -= from
		if prefix != "" {
			col++
		}
	}
	shown := []rune(prefix + string(line) + suffix)
	pad := make([]rune, 0, col)
	for i := 0; i < col && i < len(shown); i++ {
		if shown[i] == '\t' {
			pad = append(pad, '\t')
		} else {
			pad = append(pad, ' ')
		}
	}
	fmt.Fprintf(w, "  %s\n  %s^\n", string(shown), string(pad))
}

func printPatternWarnings(w io.Writer, p *pattern.Pattern) {
	for _, wn := range p.Warnings() {
		fmt.Fprintln(w, "liaison: warning:", wn)
	}
}
