package demo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alignbot/alignbot/internal/pgembed"
	"github.com/alignbot/alignbot/storage"
)

// Usage is `alignbot demo --help`.
const Usage = `Usage: alignbot demo [--addr 127.0.0.1:8080] [--keep]

Runs the whole diagnostic on this machine, in a browser, without Slack or
tokens: a fake Slack with a demo workspace (Fran the facilitator, Maya the
marketing lead, Sam the sales lead, Rui the RevOps observer, #revenue-team),
alignbot connected to it, and a page at --addr that looks and works like
Slack. Act as any of the four, answer the questionnaire, see the reveal and
its chart, assign owners, and move the demo's clock forward to watch the
reminders, the deadline and the next round.

It starts an embedded PostgreSQL in a temporary directory (PostgreSQL's
server binaries must be installed), or, with DATABASE_URL set, creates a
scratch database on that server. Ctrl-C stops everything and removes what
the demo created, unless --keep.
`

// usageError is a mistake on the demo's command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Usage lets the command line print the demo's help after the mistake.
func (e usageError) Usage() string { return commandUsage() }

func commandUsage() string {
	fs, _, _ := flags()
	var b strings.Builder
	b.WriteString(Usage + "\nFlags:\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	return b.String()
}

func flags() (*flag.FlagSet, *string, *bool) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "where the page listens (host:port); loopback unless you mean to share the demo")
	keep := fs.Bool("keep", false, "keep the demo's database and logs when it stops, and say where they are")
	fs.SetOutput(io.Discard)
	return fs, addr, keep
}

// Command runs `alignbot demo` until ctx is done (Ctrl-C).
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, addr, keep := flags()
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		_, err := io.WriteString(stdout, commandUsage())
		return err
	case err != nil:
		return usageError{"demo: " + err.Error()}
	case fs.NArg() > 0:
		return usageError{fmt.Sprintf("demo: unexpected argument %q", fs.Arg(0))}
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return usageError{"demo: --addr wants host:port, such as 127.0.0.1:8080"}
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fmt.Fprintf(stderr, "alignbot demo: warning: --addr %s is reachable from other machines, and anyone who opens it can act as anyone in the demo\n", *addr)
	}

	dir, err := os.MkdirTemp("", "alignbot-demo-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// The embedded PostgreSQL runs as an unprivileged user when we are
	// root: it must be able to reach its data directory.
	if err := os.Chmod(dir, 0o711); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	cleanup := []func(){}
	defer func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}()
	cleanup = append(cleanup, func() {
		if *keep {
			fmt.Fprintf(stdout, "alignbot demo: kept %s (the bot's log is alignbot.log there)\n", dir)
			return
		}
		os.RemoveAll(dir)
	})
	logFile, err := os.OpenFile(filepath.Join(dir, "alignbot.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	cleanup = append(cleanup, func() { logFile.Close() })
	log := slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))

	dbURL, keptHint := "", ""
	if server := os.Getenv("DATABASE_URL"); server != "" {
		url, drop, err := storage.CreateScratchDatabase(ctx, server, "alignbot_demo_")
		if err != nil {
			return fmt.Errorf("demo: DATABASE_URL: %w", err)
		}
		dbURL = url
		cleanup = append(cleanup, func() {
			if *keep {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := drop(ctx); err != nil {
				fmt.Fprintf(stderr, "alignbot demo: %v\n", err)
			}
		})
		keptHint = "the demo's database is a scratch database on DATABASE_URL's server"
	} else {
		fmt.Fprintln(stdout, "alignbot demo: starting PostgreSQL…")
		pgDir := filepath.Join(dir, "data")
		pg, err := pgembed.Start(ctx, pgembed.Options{DataDir: pgDir, Logger: logFile})
		if err != nil {
			return fmt.Errorf("demo: embedded postgres (install PostgreSQL's server binaries, or set DATABASE_URL to a server where you may create databases): %w", err)
		}
		cleanup = append(cleanup, func() {
			if err := pg.Stop(); err != nil {
				fmt.Fprintf(stderr, "alignbot demo: stopping postgres: %v\n", err)
			}
		})
		dbURL = pg.URL()
		keptHint = "ALIGNBOT_DATA_DIR=" + pgDir + " alignbot export --latest --channel " + channelID + " prints the kept round"
	}

	d, err := Start(ctx, Config{Addr: *addr, DatabaseURL: dbURL, Log: log})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(stdout, "\nalignbot demo is running: open %s in your browser.\n\n", d.URL())
	fmt.Fprintf(stdout, "  You are Fran, the facilitator: type %s in #%s.\n", startCommand, channel)
	fmt.Fprintf(stdout, "  Switch to Maya, Sam or Rui in the sidebar to answer as them; the bar at the top moves the clock.\n\n")
	fmt.Fprintf(stdout, "Ctrl-C stops the demo")
	if *keep {
		fmt.Fprintf(stdout, " and keeps %s (%s).\n", dir, keptHint)
	} else {
		fmt.Fprintf(stdout, " and removes what it created. The bot's log: %s\n", logFile.Name())
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "\nalignbot demo: stopping…")
	return d.Close()
}
