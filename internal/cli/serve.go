package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/metrics"
	"github.com/alignbot/alignbot/storage"
)

// probes answers an orchestrator's questions about this replica: is the
// process alive (/healthz), and can it do its work (/readyz).
type probes struct {
	store    *storage.Storage
	app      App
	stopping atomic.Bool
}

// ready returns nil when the replica can do its work, or why it cannot: it
// is stopping, its Socket Mode connection is down, the database does not
// answer, or the database lacks this build's migrations. A database already
// migrated further, by a newer replica during an upgrade, keeps it ready.
func (p *probes) ready(ctx context.Context) error {
	if p.stopping.Load() {
		return errors.New("stopping")
	}
	if !p.app.Connected() {
		return errors.New("socket mode not connected")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := p.store.Ping(ctx); err != nil {
		return errors.New("database unreachable")
	}
	err := p.store.CheckMigrated(ctx)
	var schema *storage.SchemaError
	switch {
	case err == nil:
	case errors.As(err, &schema) && schema.Version > schema.Want && schema.Missing == "":
	case errors.As(err, &schema):
		return err
	default:
		return errors.New("database unreachable")
	}
	return nil
}

// handler serves /healthz, /readyz and /metrics.
func (p *probes) handler(m *metrics.Metrics) http.Handler {
	mux := http.NewServeMux()
	// Alive is all /healthz says: restarting a replica would not bring back
	// Slack or the database, so their absence is /readyz's to report.
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := p.ready(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("/metrics", m.Handler())
	return mux
}

// readyGauge is /readyz as a metric, for an alert on readiness.
func (p *probes) readyGauge() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "alignbot_ready",
		Help: "1 when /readyz answers 200 (Socket Mode connected, database reachable and migrated, not stopping), else 0.",
	}, func() float64 {
		if p.ready(context.Background()) != nil {
			return 0
		}
		return 1
	})
}

const healthcheckUsage = `Usage: alignbot healthcheck

Asks the alignbot running on this machine for /healthz at ALIGNBOT_HTTP_ADDR
(a host of 0.0.0.0, :: or none means 127.0.0.1) and exits 0 when it answers
200, 1 otherwise. It is the container image's HEALTHCHECK, which has no
curl.
`

func healthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if err := parseFlags(flag.NewFlagSet("healthcheck", flag.ContinueOnError), args, healthcheckUsage, stdout); err != nil {
		return err
	}
	addr, err := config.LoadHTTPAddr()
	if err != nil {
		return err
	}
	if addr == "" {
		return errors.New("healthcheck: ALIGNBOT_HTTP_ADDR is empty, so there is no listener to ask")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: ALIGNBOT_HTTP_ADDR: %w", err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
