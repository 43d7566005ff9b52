// Command liaison runs and administers a Liaison node; see `liaison help`.
package main

import (
	"os"
	"runtime/debug"

	"github.com/liaison-dev/liaison/internal/cli"
)

// gcPercent is the garbage collector's target unless GOGC says otherwise.
// A node's live heap is small (tens of MB) while every delivery allocates
// short-lived buffers, so collecting half as often costs little memory and
// saves about a tenth of the CPU a delivery takes (docs/benchmarks.md).
const gcPercent = 200

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
