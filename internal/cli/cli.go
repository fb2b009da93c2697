// Package cli wires alignbot together: configuration, logger, database
// (embedded or not), migrations, then the command asked for.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/metrics"
	"github.com/alignbot/alignbot/internal/pgembed"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

const usage = `alignbot runs the Marketing-Sales Alignment Maturity Diagnostic in Slack.

Usage:
  alignbot demo        try it without Slack: the whole diagnostic in a browser
  alignbot [run]       connect to Slack (Socket Mode) and serve
  alignbot doctor [--channel C123]
                       check the Slack app, the tokens, the database and the
                       time-zone data, one line each, with the fix for what fails
  alignbot migrate     apply database migrations and exit
  alignbot export --round ID [--format json|csv]
  alignbot export --latest --channel C123 [--workspace T123] [--format json|csv]
                       print a revealed round; refused before its reveal
  alignbot instruments list the instruments a round can use
  alignbot healthcheck ask the running bot's /healthz (for a container's HEALTHCHECK)
  alignbot help [COMMAND]
                       this text, or a command's (also: alignbot COMMAND --help)
`

// The commands' own help, printed by "alignbot COMMAND --help".
const (
	runUsage = `Usage: alignbot [run]

Connects to Slack over Socket Mode and serves until interrupted (Ctrl-C,
SIGTERM). Migrates the database first. Serves /healthz (alive), /readyz
(Socket Mode connected, database reachable and migrated; 503 with the
reason otherwise, and as soon as it is stopping) and /metrics (Prometheus)
on ALIGNBOT_HTTP_ADDR.

Configuration (environment):
`
	migrateUsage = `Usage: alignbot migrate

Applies the database migrations this alignbot embeds, then exits. The bot
also migrates at start-up.

Configuration (environment): DATABASE_URL, or ALIGNBOT_DATA_DIR for the
embedded PostgreSQL; ALIGNBOT_LOG_FORMAT. See alignbot help.
`
	exportUsage = `Usage:
  alignbot export --round ID [--format json|csv]
  alignbot export --latest --channel C123 [--workspace T123] [--format json|csv]

Prints a revealed round: the instrument, respondents with their answers,
predictions, totals and tiers, questions with scores by role, lead gap and
structural gaps, flags, the team tier, the gaps to own with their owners,
what became of the previous round's owned gaps, and the next round's date. Before the reveal it refuses: blind holds for operators too.
It only reads: a database not migrated to this alignbot's schema is refused
(run alignbot migrate first).

Configuration (environment): DATABASE_URL, or ALIGNBOT_DATA_DIR for the
embedded PostgreSQL. See alignbot help.
`
	instrumentsUsage = `Usage: alignbot instruments

Lists the instruments a round can use: id, name, number of questions and
roles. Name one after the people in /alignment start, or pick it in the
start form; the first is the default.
`
)

// App is what `alignbot run` serves: the Slack bot. It is built by the
// NewApp that main passes in, so that this package wires configuration,
// logging and the database without depending on the Slack adapter.
type App interface {
	Run(ctx context.Context) error
	// Connected reports whether the Socket Mode connection is up, for
	// /readyz.
	Connected() bool
}

// NewApp builds the App from the configuration, the database, the logger
// and the metrics it records into.
type NewApp func(cfg config.Config, store *storage.Storage, log *slog.Logger, m *metrics.Metrics) (App, error)

// command is one of alignbot's subcommands.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

func commands(newApp NewApp) map[string]command {
	return map[string]command{
		"run": func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return run(ctx, newApp, args, stdout, stderr)
		},
		"migrate":     migrate,
		"export":      export,
		"instruments": instruments,
		"doctor":      doctorCommand,
		"healthcheck": healthcheck,
	}
}

func instruments(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := parseFlags(flag.NewFlagSet("instruments", flag.ContinueOnError), args, instrumentsUsage, stdout); err != nil {
		return err
	}
	for _, in := range scoring.Instruments {
		var roles []string
		for _, r := range in.Roles {
			roles = append(roles, r.Label)
		}
		fmt.Fprintf(stdout, "%s\t%s\t%d questions\t%s\n", in.ID, in.Name, len(in.Questions), strings.Join(roles, ", "))
	}
	return nil
}

// Main runs one command until it ends or the process is interrupted (SIGINT,
// SIGTERM) and returns the process exit code: 0, 1 for a failure, 2 for a
// usage mistake. newApp builds the bot for `run`; opts add commands built
// elsewhere (the demo).
func Main(args []string, stdout, stderr io.Writer, newApp NewApp, opts ...Option) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, stdout, stderr, newApp, opts...)
}

// Run is Main until ctx is done instead of until a signal.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, newApp NewApp, opts ...Option) int {
	cmd := "run"
	switch {
	case len(args) > 0 && isHelpFlag(args[0]):
		cmd, args = "help", args[1:]
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		cmd, args = args[0], args[1:]
	}
	if cmd == "help" {
		// "alignbot help export" is "alignbot export --help".
		if len(args) == 0 || isHelpFlag(args[0]) {
			if err := writeUsage(stdout); err != nil {
				fmt.Fprintf(stderr, "alignbot: %v\n", err)
				return 1
			}
			return 0
		}
		cmd, args = args[0], []string{"--help"}
	}
	all := commands(newApp)
	for _, opt := range opts {
		opt(all)
	}
	runCommand, ok := all[cmd]
	if !ok {
		fmt.Fprintf(stderr, "alignbot: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	err := asUsageError(runCommand(ctx, args, stdout, stderr))
	var usageErr usageError
	switch {
	case err == nil, errors.Is(err, errHelped):
		return 0
	case errors.As(err, &usageErr):
		fmt.Fprintf(stderr, "alignbot: %v\n\n%s", err, usageErr.usage)
		return 2
	default:
		fmt.Fprintf(stderr, "alignbot: %v\n", err)
		return 1
	}
}

func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}

func writeUsage(w io.Writer) error {
	if _, err := io.WriteString(w, usage+"\nConfiguration (environment):\n"); err != nil {
		return err
	}
	return config.Usage(w)
}

// usageError is a mistake on the command line; usage is the command's help.
type usageError struct{ msg, usage string }

func (e usageError) Error() string { return e.msg }

// errHelped says that the command printed its help, as asked.
var errHelped = errors.New("help printed")

// parseFlags parses a command's arguments. Asked for help, it prints the
// command's usage to stdout and returns errHelped; on a mistake it returns a
// usageError carrying that usage.
func parseFlags(flags *flag.FlagSet, args []string, about string, stdout io.Writer) error {
	flags.SetOutput(io.Discard)
	err := flags.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		if _, err := io.WriteString(stdout, commandUsage(flags, about)); err != nil {
			return err
		}
		return errHelped
	case err != nil:
		return usageError{msg: flags.Name() + ": " + err.Error(), usage: commandUsage(flags, about)}
	case flags.NArg() > 0:
		return usageError{msg: fmt.Sprintf("%s: unexpected argument %q", flags.Name(), flags.Arg(0)), usage: commandUsage(flags, about)}
	}
	return nil
}

// commandUsage is about followed by the command's flags, if it has any.
func commandUsage(flags *flag.FlagSet, about string) string {
	var b strings.Builder
	b.WriteString(about)
	hasFlags := false
	flags.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		b.WriteString("\nFlags:\n")
		flags.SetOutput(&b)
		flags.PrintDefaults()
		flags.SetOutput(io.Discard)
	}
	return b.String()
}

// runHelp is run's usage followed by every variable.
func runHelp() string {
	var b strings.Builder
	b.WriteString(runUsage)
	config.Usage(&b)
	return b.String()
}

// newLogger writes log/slog records to w in format. LogAuto is text on a
// terminal, where a person reads them, and JSON anywhere else (a file, a
// pipe, a log collector).
func newLogger(w io.Writer, format config.LogFormat) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if format == config.LogText || (format != config.LogJSON && isTerminal(w)) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// redactedURL is raw for logs: its password, or a user name given without
// one (a token, perhaps), replaced by xxxxx.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		if _, hasPassword := u.User.Password(); !hasPassword {
			u.User = url.User("xxxxx")
		}
	}
	return u.Redacted()
}

// access says what a command may do to the database.
type access int

const (
	// migrateSchema applies pending migrations.
	migrateSchema access = iota
	// readOnly refuses a database not at this build's schema, and never
	// creates an embedded cluster.
	readOnly
	// inspect neither changes nor checks the schema, and never creates an
	// embedded cluster: doctor looks at the schema itself.
	inspect
)

// errNoDatabase matches the error of a command that needs an existing
// embedded database when there is none.
var errNoDatabase = errors.New("no database")

type noDatabaseError struct{ dir string }

func (e noDatabaseError) Error() string {
	return fmt.Sprintf("no database in ALIGNBOT_DATA_DIR %s: set ALIGNBOT_DATA_DIR or DATABASE_URL to the bot's database, "+
		"or create it with `alignbot migrate`", e.dir)
}

func (e noDatabaseError) Is(target error) bool { return target == errNoDatabase }

// openStorage connects to DATABASE_URL, or starts the embedded PostgreSQL
// under ALIGNBOT_DATA_DIR, then migrates or checks the schema. The returned
// func releases both.
func openStorage(ctx context.Context, db config.Database, log *slog.Logger, mode access) (*storage.Storage, func(), error) {
	url := db.URL.Value()
	var embedded *pgembed.Server
	var logFile *os.File
	if url == "" {
		dir, err := filepath.Abs(db.DataDir)
		if err != nil {
			return nil, nil, fmt.Errorf("ALIGNBOT_DATA_DIR: %w", err)
		}
		noDatabase := noDatabaseError{dir: dir}
		if mode != migrateSchema {
			if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
				return nil, nil, noDatabase
			}
		}
		if logFile, err = openLog(dir); err != nil {
			return nil, nil, err
		}
		start := time.Now()
		embedded, err = pgembed.Start(ctx, pgembed.Options{DataDir: dir, Logger: logFile, ExistingOnly: mode != migrateSchema})
		if err != nil {
			logFile.Close()
			switch {
			case errors.Is(err, pgembed.ErrDataDirInUse):
				return nil, nil, err
			case errors.Is(err, pgembed.ErrNoCluster):
				return nil, nil, noDatabase
			}
			return nil, nil, fmt.Errorf("embedded postgres (set DATABASE_URL to use your own): %w", err)
		}
		log.Info("embedded postgres started", slog.String("data_dir", dir), slog.String("took", time.Since(start).Round(time.Millisecond).String()))
		url = embedded.URL()
	}
	stopEmbedded := func() {
		if embedded == nil {
			return
		}
		if err := embedded.Stop(); err != nil {
			log.Error("stopping embedded postgres failed", slog.Any("error", err))
		}
		logFile.Close()
	}
	store, err := storage.Open(ctx, url)
	if err != nil {
		stopEmbedded()
		return nil, nil, err
	}
	switch mode {
	case readOnly:
		err = store.CheckMigrated(ctx)
	case migrateSchema:
		err = store.Migrate(ctx, log)
	}
	if err != nil {
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

// listen opens the health listener before anything starts, so that a port
// already taken stops the bot instead of only being logged.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("ALIGNBOT_HTTP_ADDR: %s is already in use by another program (another alignbot?): "+
			"stop it, choose another address such as 127.0.0.1:9090, or set ALIGNBOT_HTTP_ADDR empty to disable the listener", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("ALIGNBOT_HTTP_ADDR: cannot listen: %w", err)
	}
	return ln, nil
}

func run(ctx context.Context, newApp NewApp, args []string, stdout, stderr io.Writer) error {
	if err := parseFlags(flag.NewFlagSet("run", flag.ContinueOnError), args, runHelp(), stdout); err != nil {
		return err
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat)
	gcPercent := tuneGC()
	var ln net.Listener
	if cfg.HTTPAddr != "" {
		if ln, err = listen(cfg.HTTPAddr); err != nil {
			return err
		}
		defer ln.Close()
	}
	store, closeStore, err := openStorage(ctx, cfg.Database, log, migrateSchema)
	if err != nil {
		return err
	}
	defer closeStore()
	m := metrics.New()
	b, err := newApp(cfg, store, log, m)
	if err != nil {
		return err
	}
	// A signal makes /readyz say "stopping" before the bot is told to stop,
	// so that an orchestrator stops counting on this replica first.
	p := &probes{store: store, app: b}
	appCtx, stopApp := context.WithCancel(context.WithoutCancel(ctx))
	defer stopApp()
	go func() {
		select {
		case <-ctx.Done():
			p.stopping.Store(true)
			log.Info("alignbot stopping: /readyz answers 503")
			stopApp()
		case <-appCtx.Done():
		}
	}()
	if err := m.Register(p.readyGauge()); err != nil {
		return err
	}
	if ln != nil {
		srv := &http.Server{Handler: p.handler(m), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("health listener failed", slog.Any("error", err))
			}
		}()
		defer srv.Close()
		log.Info("health listener started", slog.String("http_addr", ln.Addr().String()))
	}
	log.Info("alignbot starting", slog.String("slack_api_url", redactedURL(cfg.APIURL)), slog.String("deadline", cfg.Deadline.String()),
		slog.String("working_hours", cfg.WorkingHours.String()), slog.Int("gc_percent", gcPercent))
	err = b.Run(appCtx)
	log.Info("alignbot stopped")
	return err
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := parseFlags(flag.NewFlagSet("migrate", flag.ContinueOnError), args, migrateUsage, stdout); err != nil {
		return err
	}
	logging, err := config.LoadLogging()
	if err != nil {
		return err
	}
	db, err := config.LoadDatabase()
	if err != nil {
		return err
	}
	log := newLogger(stderr, logging.LogFormat)
	store, closeStore, err := openStorage(ctx, db, log, migrateSchema)
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
	flags := flag.NewFlagSet("export", flag.ContinueOnError)
	roundID := flags.Int64("round", 0, "round ID")
	latest := flags.Bool("latest", false, "the channel's latest revealed round")
	channel := flags.String("channel", "", "channel ID, with --latest")
	workspace := flags.String("workspace", "", "workspace (team) ID, with --latest; needed only when the channel ID is in several workspaces")
	format := flags.String("format", "json", "json or csv")
	if err := parseFlags(flags, args, exportUsage, stdout); err != nil {
		return err
	}
	if *format != "json" && *format != "csv" {
		return usageError{"export: --format must be json or csv", commandUsage(flags, exportUsage)}
	}
	if (*roundID == 0) == !*latest || (*latest && *channel == "") {
		return usageError{"export: give --round ID, or --latest --channel C123", commandUsage(flags, exportUsage)}
	}
	db, err := config.LoadDatabase()
	if err != nil {
		return err
	}
	store, closeStore, err := openStorage(ctx, db, newLogger(io.Discard, config.LogJSON), readOnly)
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
	rv, err := report.Load(ctx, store, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("export: no round %s", strconv.FormatInt(id, 10))
	case errors.Is(err, report.ErrNotRevealedYet):
		return fmt.Errorf("export: round %d: %w", id, err)
	case err != nil:
		return err
	}
	e := report.Export(rv)
	if *format == "csv" {
		return e.WriteCSV(stdout)
	}
	return e.WriteJSON(stdout)
}
