// Command alignbot runs the Marketing-Sales Alignment Maturity Diagnostic in
// Slack. See README.md; `alignbot --help` lists commands and configuration.
package main

import (
	"log/slog"
	"os"

	"github.com/alignbot/alignbot/bot"
	"github.com/alignbot/alignbot/internal/cli"
	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/demo"
	"github.com/alignbot/alignbot/internal/metrics"
	"github.com/alignbot/alignbot/storage"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, newBot, cli.WithCommand("demo", demo.Command)))
}

func newBot(cfg config.Config, store *storage.Storage, log *slog.Logger, m *metrics.Metrics) (cli.App, error) {
	return bot.New(bot.Options{Config: cfg, Store: store, Logger: log, Metrics: m})
}
