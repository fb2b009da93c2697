// Package pgembed runs a private PostgreSQL server for alignbot when no
// DATABASE_URL is configured, using the PostgreSQL binaries installed on the
// machine. Its data lives in a directory of our choosing and survives restarts.
//
// # Layout
//
// Everything lives under [Options.DataDir]:
//
//	pgdata/             the cluster (PGDATA), created by initdb on first start
//	pgdata.init/        a cluster being created; renamed to pgdata when initdb succeeds
//	postgres-password   the superuser password, generated on first start (0600)
//
// initdb writes into pgdata.init and the directory is renamed only once
// initdb has succeeded, so an interrupted first start never leaves a
// half-made cluster behind. pgembed never deletes pgdata: when it is not a
// cluster of the installed major version, Start fails and says why.
//
// The server listens on 127.0.0.1 only, with scram-sha-256 password
// authentication, and with Unix-domain sockets disabled
// (unix_socket_directories=”), so it never needs /var/run/postgresql, a
// socket path short enough for the kernel, or a socket directory writable by
// the server's user.
//
// # Running as root
//
// initdb and postgres refuse to run as root, and CI and containers run us as
// root. When the process is root, pgembed runs initdb and postgres as an
// unprivileged account: the owner of an existing cluster, else the "postgres"
// user, else "nobody". The switch happens in the forked child before exec,
// through [syscall.SysProcAttr.Credential], so it needs no setpriv, runuser,
// sudo or shell. The cluster directory belongs to that account; DataDir and
// every directory above it must be traversable by it (o+x). As root, Start
// creates missing directories with mode 0711 for that reason, and when an
// existing one blocks the way, the error names it.
//
// # Why not embedded-postgres' process handling
//
// github.com/fergusstrange/embedded-postgres (v1.34.0) was the starting point;
// reading it showed that its process handling does not fit a long-running bot
// that keeps its data, so pgembed runs initdb and postgres itself:
//   - It starts the server through "pg_ctl start", which detaches it: when the
//     bot is killed, postgres keeps running and keeps the data directory
//     locked. pgembed's postgres is a direct child that gets SIGINT (fast
//     shutdown) from the kernel when its parent dies (Linux PR_SET_PDEATHSIG).
//   - It has no way to run the binaries as another user. Wrapper scripts with
//     setpriv would also need ownership fixes between steps it performs
//     in-process as root (the password file it writes, the data directory it
//     deletes and lets initdb recreate), so the scripts would have to chown
//     things as root before dropping privileges.
//   - It deletes the data directory whenever PG_VERSION does not match its
//     configured version (18 by default), and whenever PG_VERSION is missing.
//   - The server log goes to a temporary file that is never removed and is
//     copied to the Logger only at start and stop.
//   - Start takes no context and polls readiness in a tight loop.
//
// # Crashes
//
// postgres removes a postmaster.pid left by a server that is gone and refuses
// to start when that server still runs, which is what we want, so pgembed
// leaves the file alone. After an unclean stop postgres replays its WAL on
// the next start.
//
// # In use
//
// A second alignbot on the same DataDir (an export while the bot runs, say)
// would get postgres' complaint about its lock file. Start looks first: when
// postmaster.pid names a live process, or postgres refuses for that reason,
// it returns an error matching [ErrDataDirInUse] that says to stop the other
// alignbot or to set DATABASE_URL to its server, and where the password is.
package pgembed

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// Names inside Options.DataDir.
const (
	clusterDirName  = "pgdata"
	initDirName     = "pgdata.init"
	passwordName    = "postgres-password"
	pwfilePattern   = ".initdb-pwfile-*"
	listenAddress   = "127.0.0.1"
	maxPortAttempts = 3
)

// How long Stop waits for a fast shutdown, then for an immediate one, before
// killing the server.
const (
	fastShutdownTimeout      = 30 * time.Second
	immediateShutdownTimeout = 10 * time.Second
)

// readinessPollInterval is how often Start looks at postmaster.pid while the
// server starts up.
const readinessPollInterval = 25 * time.Millisecond

// Options configure Start.
type Options struct {
	// DataDir holds the cluster and its password; it is created if missing
	// and kept across restarts. Required. When running as root, the server's
	// unprivileged user must be able to traverse it and its parents.
	DataDir string

	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int

	// BinariesPath is a directory holding initdb and postgres (or a
	// directory whose bin/ does, as embedded-postgres expects). Empty means
	// the locally installed PostgreSQL: pg_config --bindir, then the newest
	// /usr/lib/postgresql/*/bin, then initdb on PATH.
	BinariesPath string

	// Logger receives the output of initdb and postgres. Nil discards it.
	Logger io.Writer

	// Database is created on first start; "alignbot" if empty.
	Database string

	// User is the superuser initdb creates; "alignbot" if empty.
	User string

	// ExistingOnly makes Start fail with ErrNoCluster instead of creating
	// a cluster, for commands that only read (export).
	ExistingOnly bool

	// Settings are server parameters (postgres -c name=value) for this
	// run, such as a higher max_connections for a test server.
	Settings map[string]string
}

// Errors callers can test for with errors.Is.
var (
	// ErrDataDirInUse: another server, normally a running alignbot's,
	// has the data directory. Its message says how to reach that server.
	ErrDataDirInUse = errors.New("data directory in use")
	// ErrNoCluster: Options.ExistingOnly was set and DataDir holds no
	// cluster.
	ErrNoCluster = errors.New("no PostgreSQL cluster")
)

// Server is a running PostgreSQL server started by Start. Only one Server
// may use a DataDir at a time; postgres refuses a second one, but two first
// starts racing to create the cluster are not guarded against.
type Server struct {
	url     string
	addr    string
	dataDir string

	proc    *os.Process
	exited  chan struct{} // closed once postgres has exited and waitErr is set
	waitErr error
	log     *logTail

	stopOnce sync.Once
	stopErr  error
}

// Start starts a PostgreSQL server on opts.DataDir, creating the cluster on
// first use and reusing it afterwards, and waits until it accepts
// connections or ctx is done. The caller must call Stop.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if !supported {
		return nil, errors.New("pgembed: embedded PostgreSQL needs a Unix system; set DATABASE_URL")
	}
	if opts.DataDir == "" {
		return nil, errors.New("pgembed: Options.DataDir is required")
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("pgembed: invalid port %d", opts.Port)
	}
	if opts.Database == "" {
		opts.Database = "alignbot"
	}
	if opts.User == "" {
		opts.User = "alignbot"
	}
	if opts.Logger == nil {
		opts.Logger = io.Discard
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgembed: data dir: %w", err)
	}

	bin, err := findBinaries(ctx, opts.BinariesPath)
	if err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	version, err := bin.version(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	cluster := filepath.Join(dataDir, clusterDirName)
	acct, err := serverAccount(cluster)
	if err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}

	fresh, err := checkCluster(cluster, version)
	if err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	if fresh && opts.ExistingOnly {
		return nil, fmt.Errorf("pgembed: %w in %s", ErrNoCluster, dataDir)
	}
	if !fresh {
		// postgres would refuse too, but with a message about its lock
		// file that does not say what to do.
		if holder, ok := lockHolder(cluster); ok {
			return nil, holder.inUse(dataDir, opts)
		}
	}

	dirMode := fs.FileMode(0o700)
	if acct != nil {
		dirMode = 0o711 // the server's user must get through to pgdata
	}
	if err := os.MkdirAll(dataDir, dirMode); err != nil {
		return nil, fmt.Errorf("pgembed: data dir: %w", err)
	}
	password, err := loadPassword(filepath.Join(dataDir, passwordName), fresh)
	if err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	if fresh {
		if err := initCluster(ctx, bin, acct, dataDir, opts.User, password, opts.Logger); err != nil {
			return nil, fmt.Errorf("pgembed: %w", err)
		}
	}

	for attempt := 1; ; attempt++ {
		port := opts.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, fmt.Errorf("pgembed: %w", err)
			}
		}
		srv, err := launch(ctx, bin, acct, cluster, port, opts, password)
		// A port picked for us may be taken before postgres binds it.
		if errors.Is(err, errPortInUse) && opts.Port == 0 && attempt < maxPortAttempts {
			continue
		}
		if errors.Is(err, ErrDataDirInUse) {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("pgembed: %w", err)
		}
		return srv, nil
	}
}

// URL returns a lib/pq connection URL for the server's database. It contains
// the password: do not log it.
func (s *Server) URL() string { return s.url }

// String describes the server without its password.
func (s *Server) String() string {
	return fmt.Sprintf("postgres at %s (data in %s)", s.addr, s.dataDir)
}

// Stop shuts the server down: a fast shutdown (open transactions are rolled
// back, clients disconnected), then an immediate one, then SIGKILL if it does
// not exit in time. Calling Stop again returns the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	steps := []struct {
		signal  func(*os.Process) error
		timeout time.Duration
	}{
		{interrupt, fastShutdownTimeout},
		{quit, immediateShutdownTimeout},
		{(*os.Process).Kill, immediateShutdownTimeout},
	}
	for _, step := range steps {
		// An error means the process has exited already; exited says so.
		_ = step.signal(s.proc)
		timer := time.NewTimer(step.timeout)
		select {
		case <-s.exited:
			timer.Stop()
			if s.waitErr != nil {
				return fmt.Errorf("pgembed: stop: postgres: %w\n%s", s.waitErr, s.log.tail())
			}
			return nil
		case <-timer.C:
		}
	}
	return fmt.Errorf("pgembed: stop: postgres (pid %d) did not exit", s.proc.Pid)
}

var errPortInUse = errors.New("port in use")

// launch runs postgres on the cluster and waits until it serves
// opts.Database, creating that database if it is missing.
func launch(ctx context.Context, bin binaries, acct *account, cluster string, port int, opts Options, password string) (*Server, error) {
	log := &logTail{w: opts.Logger}
	args := []string{
		"-D", cluster,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=" + listenAddress,
		"-c", "unix_socket_directories=",
	}
	for _, name := range slices.Sorted(maps.Keys(opts.Settings)) {
		args = append(args, "-c", name+"="+opts.Settings[name])
	}
	cmd := exec.Command(bin.postgres, args...)
	cmd.Dir = cluster
	cmd.Env = childEnv()
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.SysProcAttr = serverProcAttr(acct)

	addr := net.JoinHostPort(listenAddress, strconv.Itoa(port))
	srv := &Server{
		url:     connURL(opts.User, password, addr, opts.Database),
		addr:    addr,
		dataDir: filepath.Dir(cluster),
		exited:  make(chan struct{}),
		log:     log,
	}
	started := make(chan error, 1)
	go func() {
		// The kernel sends the parent-death signal when the thread that
		// forked postgres exits, not the process; keep this thread until
		// postgres is gone.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		srv.proc = cmd.Process
		started <- nil
		srv.waitErr = cmd.Wait()
		close(srv.exited)
	}()
	if err := <-started; err != nil {
		return nil, unreachableError(err, cluster, acct)
	}

	err := srv.waitReady(ctx, cluster, connURL(opts.User, password, addr, "postgres"), opts.Database)
	if err != nil {
		_ = srv.Stop()
		tail := log.tail()
		if lockConflict(tail) {
			// Another server started between our look at postmaster.pid
			// and ours, or holds the directory in a way we cannot see
			// (another PID namespace).
			if holder, ok := lockHolder(cluster); ok {
				return nil, holder.inUse(filepath.Dir(cluster), opts)
			}
		}
		if strings.Contains(tail, "Address already in use") {
			return nil, fmt.Errorf("%w: %w", errPortInUse, err)
		}
		return nil, err
	}
	return srv, nil
}

// lockConflict reports whether postgres' output says that another server
// holds the data directory: its lock file names a live process, or its
// shared memory is still attached.
func lockConflict(log string) bool {
	return strings.Contains(log, `lock file "postmaster.pid" already exists`) ||
		strings.Contains(log, "pre-existing shared memory block") && strings.Contains(log, "still in use")
}

// holder is the server that postmaster.pid names.
type holder struct {
	pid, port int
}

// lockHolder reads the cluster's postmaster.pid and reports the server it
// names when that process is alive, as postgres judges it (a process we may
// not signal is alive too).
func lockHolder(cluster string) (holder, bool) {
	data, err := os.ReadFile(filepath.Join(cluster, "postmaster.pid"))
	if err != nil {
		return holder{}, false
	}
	lines := strings.Split(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	// Our own pid or thread id is a stale file's coincidence, not a server.
	if err != nil || pid <= 0 || pid == os.Getpid() || ownThread(pid) || !alive(pid) {
		return holder{}, false
	}
	h := holder{pid: pid}
	if len(lines) >= 4 {
		h.port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
	}
	return h, true
}

// inUse explains that the data directory is taken, and how to reach the
// server that has it. It names the password file, never the password.
func (h holder) inUse(dataDir string, opts Options) error {
	var b strings.Builder
	fmt.Fprintf(&b, "the data directory %s is in use by a running alignbot", dataDir)
	switch {
	case h.pid > 0 && h.port > 0:
		fmt.Fprintf(&b, " (its PostgreSQL, pid %d, listens on %s:%d)", h.pid, listenAddress, h.port)
	case h.pid > 0:
		fmt.Fprintf(&b, " (its PostgreSQL has pid %d)", h.pid)
	}
	b.WriteString(": stop that alignbot first, or set DATABASE_URL to its server")
	port := "PORT"
	if h.port > 0 {
		port = strconv.Itoa(h.port)
	}
	user, database := opts.User, opts.Database
	if user == "" {
		user = "alignbot"
	}
	if database == "" {
		database = "alignbot"
	}
	fmt.Fprintf(&b, ", postgres://%s:PASSWORD@%s:%s/%s?sslmode=disable with the PASSWORD in %s",
		user, listenAddress, port, database, filepath.Join(dataDir, passwordName))
	return &inUseError{msg: b.String()}
}

type inUseError struct{ msg string }

func (e *inUseError) Error() string        { return e.msg }
func (e *inUseError) Is(target error) bool { return target == ErrDataDirInUse }

// waitReady waits until postgres reports in postmaster.pid that it accepts
// connections, as pg_ctl does (polling with connections would fill the log
// with "the database system is starting up"), then creates database if it
// does not exist: on every start, not only the first, so that a crash between
// initdb and CREATE DATABASE heals itself.
func (s *Server) waitReady(ctx context.Context, cluster, adminURL, database string) error {
	ticker := time.NewTicker(readinessPollInterval)
	defer ticker.Stop()
	for !pidFileReady(filepath.Join(cluster, "postmaster.pid"), s.proc.Pid) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for postgres to accept connections: %w\n%s", ctx.Err(), s.log.tail())
		case <-s.exited:
			return fmt.Errorf("postgres exited before accepting connections: %v\n%s", s.waitErr, s.log.tail())
		case <-ticker.C:
		}
	}

	connector, err := pq.NewConnector(adminURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		if pqErr := pq.As(err); pqErr != nil && pqErr.Code.Class() == pqerror.ClassInvalidAuthorizationSpecification {
			return fmt.Errorf("connect: %w (does %s still hold the password the cluster was created with?)",
				err, filepath.Join(s.dataDir, passwordName))
		}
		return fmt.Errorf("connect: %w", err)
	}

	var exists bool
	err = db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", database).Scan(&exists)
	if err != nil {
		return fmt.Errorf("look up database %q: %w", database, err)
	}
	if !exists {
		if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(database)); err != nil {
			return fmt.Errorf("create database %q: %w", database, err)
		}
	}
	return nil
}

// pidFileReady reports whether the postmaster.pid at path is pid's and says
// "ready" on its status line (the 8th, PostgreSQL 10 and later).
func pidFileReady(path string, pid int) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	lines := strings.Split(string(data), "\n")
	return len(lines) >= 8 && lines[0] == strconv.Itoa(pid) && strings.TrimSpace(lines[7]) == "ready"
}

// checkCluster reports whether the cluster still has to be created, and
// fails when dir holds something pgembed must not touch.
func checkCluster(dir, version string) (fresh bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		if _, statErr := os.Stat(dir); errors.Is(statErr, fs.ErrNotExist) {
			return true, nil
		}
		return false, fmt.Errorf("%s exists but is not a PostgreSQL data directory (no PG_VERSION): move it away", dir)
	default:
		return false, fmt.Errorf("read cluster version: %w", err)
	}
	clusterVersion := strings.TrimSpace(string(data))
	if !sameMajor(version, clusterVersion) {
		return false, fmt.Errorf("%s was created by PostgreSQL %s but the server binaries are PostgreSQL %s: "+
			"upgrade the cluster with pg_upgrade, point BinariesPath at PostgreSQL %s, or set DATABASE_URL",
			dir, clusterVersion, version, clusterVersion)
	}
	return false, nil
}

// sameMajor reports whether version (e.g. "15.20", "9.6.24", "17beta1")
// belongs to major (the content of PG_VERSION, e.g. "15", "9.6").
func sameMajor(version, major string) bool {
	if major == "" || !strings.HasPrefix(version, major) {
		return false
	}
	rest := version[len(major):]
	return rest == "" || rest[0] < '0' || rest[0] > '9'
}

// loadPassword reads the superuser password, or creates one when the cluster
// is about to be created. It is written before initdb runs, so that a
// cluster never exists without it.
func loadPassword(path string, fresh bool) (string, error) {
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if password := strings.TrimSpace(string(data)); password != "" {
			return password, nil
		}
		if !fresh {
			return "", fmt.Errorf("password file %s is empty", path)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read password: %w", err)
	case !fresh:
		return "", fmt.Errorf("password file %s is missing; the cluster next to it cannot be reached without it", path)
	}

	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	password := hex.EncodeToString(b[:])
	if err := writeFileAtomic(path, password+"\n"); err != nil {
		return "", fmt.Errorf("write password: %w", err)
	}
	return password, nil
}

// initCluster runs initdb into pgdata.init and renames it to pgdata.
func initCluster(ctx context.Context, bin binaries, acct *account, dataDir, user, password string, logger io.Writer) error {
	log := &logTail{w: logger}
	tmp := filepath.Join(dataDir, initDirName)
	// Whatever is there is a leftover of an interrupted initdb.
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("init cluster: %w", err)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("init cluster: %w", err)
	}
	if err := acct.chown(tmp); err != nil {
		return fmt.Errorf("init cluster: %w", err)
	}

	pwfile, err := os.CreateTemp(dataDir, pwfilePattern)
	if err != nil {
		return fmt.Errorf("init cluster: %w", err)
	}
	defer os.Remove(pwfile.Name())
	_, err = pwfile.WriteString(password + "\n")
	if closeErr := pwfile.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = acct.chown(pwfile.Name())
	}
	if err != nil {
		return fmt.Errorf("init cluster: password file: %w", err)
	}

	cmd := exec.CommandContext(ctx, bin.initdb,
		"--pgdata="+tmp,
		"--username="+user,
		"--pwfile="+pwfile.Name(),
		"--auth=scram-sha-256",
		"--encoding=UTF8",
		// C: byte-order sorting, the same on every machine, and a locale
		// that exists everywhere.
		"--locale=C",
		// Its advice to run pg_ctl on pgdata.init would mislead.
		"--no-instructions",
	)
	cmd.Dir = tmp
	cmd.Env = childEnv()
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.SysProcAttr = initdbProcAttr(acct)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return fmt.Errorf("initdb: %w\n%s", err, log.tail())
		}
		return fmt.Errorf("initdb: %w", unreachableError(err, tmp, acct))
	}

	if err := os.Rename(tmp, filepath.Join(dataDir, clusterDirName)); err != nil {
		return fmt.Errorf("init cluster: %w", err)
	}
	if err := syncDir(dataDir); err != nil {
		return fmt.Errorf("init cluster: %w", err)
	}
	return nil
}

// connURL returns a lib/pq URL for database on addr.
func connURL(user, password, addr, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     addr,
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(listenAddress, "0"))
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	return port, nil
}

// childEnv is our environment without PG* variables, which initdb and
// postgres would otherwise read (PGDATA, PGPORT, PGOPTIONS…).
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

func writeFileAtomic(path, content string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	_, err = f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if closeErr := d.Close(); err == nil {
		err = closeErr
	}
	return err
}

// logTail passes the server's output on to w and keeps its end for error
// messages.
type logTail struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

const logTailSize = 4 << 10

// Write never fails: an error would stop os/exec copying the server's output,
// and postgres would block once the pipe is full.
func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	if len(l.buf) > logTailSize {
		l.buf = append(l.buf[:0], l.buf[len(l.buf)-logTailSize:]...)
	}
	_, _ = l.w.Write(p)
	return len(p), nil
}

func (l *logTail) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.TrimSpace(string(l.buf))
}
