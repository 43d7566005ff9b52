// Command liaison runs and administers a Liaison node; see `liaison help`.
package main

import (
	"os"

	"github.com/liaison-dev/liaison/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
