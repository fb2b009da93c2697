// Command alignbot runs the Marketing-Sales Alignment Maturity Diagnostic in
// Slack. See README.md; `alignbot --help` lists commands and configuration.
package main

import (
	"os"

	"github.com/alignbot/alignbot/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
