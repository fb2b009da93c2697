// Package cli wires alignbot together: configuration, logger, database
// (embedded or not), migrations, then the command asked for.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/alignbot/alignbot/bot"
	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/pgembed"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

const usage = `alignbot runs the Marketing-Sales Alignment Maturity Diagnostic in Slack.

Usage:
  alignbot [run]       connect to Slack (Socket Mode) and serve
  alignbot migrate     apply database migrations and exit
  alignbot export --round ID [--format json|csv]
  alignbot export --latest --channel C123 [--workspace T123] [--format json|csv]
                       print a revealed round; refused before its reveal
  alignbot help        this text

`

// Main runs one command and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		config.Usage(stdout)
		return 0
	case "run":
		err = run(ctx, stderr)
	case "migrate":
		err = migrate(ctx, stderr)
	case "export":
		err = export(ctx, args, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "alignbot: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "alignbot: %v\n", err)
		var usageErr usageError
		if errors.As(err, &usageErr) {
			return 2
		}
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// openStorage connects to DATABASE_URL, or starts the embedded PostgreSQL
// under ALIGNBOT_DATA_DIR, and migrates. The returned func releases both.
func openStorage(ctx context.Context, db config.Database, log *slog.Logger) (*storage.Storage, func(), error) {
	url := db.URL.Value()
	var embedded *pgembed.Server
	if url == "" {
		dir, err := filepath.Abs(db.DataDir)
		if err != nil {
			return nil, nil, fmt.Errorf("ALIGNBOT_DATA_DIR: %w", err)
		}
		logFile, err := openLog(dir)
		if err != nil {
			return nil, nil, err
		}
		start := time.Now()
		embedded, err = pgembed.Start(ctx, pgembed.Options{DataDir: dir, Logger: logFile})
		if err != nil {
			logFile.Close()
			return nil, nil, fmt.Errorf("embedded postgres (set DATABASE_URL to use your own): %w", err)
		}
		log.Info("embedded postgres started", slog.String("data_dir", dir), slog.String("took", time.Since(start).Round(time.Millisecond).String()))
		url = embedded.URL()
	}
	stopEmbedded := func() {
		if embedded != nil {
			if err := embedded.Stop(); err != nil {
				log.Error("stopping embedded postgres failed", slog.Any("error", err))
			}
		}
	}
	store, err := storage.Open(ctx, url)
	if err != nil {
		stopEmbedded()
		return nil, nil, err
	}
	if err := store.Migrate(ctx, log); err != nil {
		store.Close()
		stopEmbedded()
		return nil, nil, err
	}
	return store, func() { store.Close(); stopEmbedded() }, nil
}

func openLog(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return nil, fmt.Errorf("ALIGNBOT_DATA_DIR: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "postgres.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ALIGNBOT_DATA_DIR: %w", err)
	}
	return f, nil
}

func run(ctx context.Context, stderr io.Writer) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := newLogger(stderr)
	store, closeStore, err := openStorage(ctx, cfg.Database, log)
	if err != nil {
		return err
	}
	defer closeStore()
	b, err := bot.New(bot.Options{Config: cfg, Store: store, Logger: log})
	if err != nil {
		return err
	}
	if cfg.HTTPAddr != "" {
		srv := &http.Server{Addr: cfg.HTTPAddr, Handler: healthHandler(store), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("health listener failed", slog.Any("error", err))
			}
		}()
		defer srv.Close()
	}
	log.Info("alignbot starting", slog.String("slack_api_url", cfg.APIURL), slog.String("deadline", cfg.Deadline.String()),
		slog.String("working_hours", cfg.WorkingHours.String()))
	err = b.Run(ctx)
	log.Info("alignbot stopped")
	return err
}

func migrate(ctx context.Context, stderr io.Writer) error {
	db, err := config.LoadDatabase()
	if err != nil {
		return err
	}
	log := newLogger(stderr)
	store, closeStore, err := openStorage(ctx, db, log)
	if err != nil {
		return err
	}
	defer closeStore()
	v, err := store.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	log.Info("database is migrated", slog.Int("schema_version", v))
	return nil
}

func export(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	roundID := fs.Int64("round", 0, "round ID")
	latest := fs.Bool("latest", false, "the channel's latest revealed round")
	channel := fs.String("channel", "", "channel ID, with --latest")
	workspace := fs.String("workspace", "", "workspace (team) ID, with --latest; needed only when the channel ID is in several workspaces")
	format := fs.String("format", "json", "json or csv")
	if err := fs.Parse(args); err != nil {
		return usageError{"export: " + err.Error()}
	}
	if *format != "json" && *format != "csv" {
		return usageError{"export: --format must be json or csv"}
	}
	if (*roundID == 0) == !*latest || (*latest && *channel == "") {
		return usageError{"export: give --round ID, or --latest --channel C123"}
	}
	db, err := config.LoadDatabase()
	if err != nil {
		return err
	}
	store, closeStore, err := openStorage(ctx, db, newLogger(io.Discard))
	if err != nil {
		return err
	}
	defer closeStore()
	id := *roundID
	if *latest {
		round, err := store.LatestRevealedRound(ctx, *workspace, *channel)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("export: no revealed round in channel %s", *channel)
		}
		if err != nil {
			return err
		}
		id = round.ID
	}
	rv, err := bot.LoadReveal(ctx, store, scoring.AlignmentMaturity, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("export: no round %s", strconv.FormatInt(id, 10))
	case errors.Is(err, bot.ErrNotRevealedYet):
		return fmt.Errorf("export: round %d: %w", id, err)
	case err != nil:
		return err
	}
	e := bot.Export(rv)
	if *format == "csv" {
		return e.WriteCSV(stdout)
	}
	return e.WriteJSON(stdout)
}

// healthHandler serves /healthz (the database answers) and /metrics (the
// job queue by state, in Prometheus' text format).
func healthHandler(store *storage.Storage) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := store.Ping(ctx); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		counts, err := store.JobCounts(r.Context())
		if err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "# HELP alignbot_jobs Jobs in the queue by state.")
		fmt.Fprintln(w, "# TYPE alignbot_jobs gauge")
		for _, s := range []storage.JobState{storage.JobPending, storage.JobDone, storage.JobParked, storage.JobCancelled} {
			fmt.Fprintf(w, "alignbot_jobs{state=%q} %d\n", s, counts[s])
		}
	})
	return mux
}
