package outbox_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/alignbot/alignbot/internal/metrics"
	"github.com/alignbot/alignbot/internal/outbox"
	"github.com/alignbot/alignbot/storage"
)

// TestRunsAreMeasured: every run is counted by kind and outcome, timed,
// and its lateness is measured from when it was due.
func TestRunsAreMeasured(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	clk := newClock()
	outcomes := map[string]func() error{
		"ok":        func() error { return nil },
		"defer":     func() error { return outbox.Defer(t0.Add(time.Hour)) },
		"drop":      func() error { return outbox.Drop("pointless") },
		"fail":      func() error { return errors.New("boom") },
		"wait":      func() error { return errWait },
		"permanent": func() error { return errGone },
	}
	kinds := map[string]outbox.Kind{}
	var jobs []storage.NewJob
	for kind, outcome := range outcomes {
		kinds[kind] = outbox.Kind{Run: func(context.Context, storage.Job) (any, error) { return nil, outcome() }}
		jobs = append(jobs, storage.NewJob{Key: "job:" + kind, Kind: kind, RunAt: t0.Add(-90 * time.Second)})
	}
	enqueue(t, s, jobs...)
	m := metrics.New()
	r := outbox.New(outbox.Options{Store: s, Kinds: kinds, Worker: "w", Clock: clk.Now, Classify: classify, Metrics: m})
	if n, err := r.RunDue(context.Background()); err != nil || n != len(outcomes) {
		t.Fatalf("RunDue: %d, %v", n, err)
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ok": "done", "defer": "deferred", "drop": "dropped", "fail": "retried", "wait": "deferred", "permanent": "parked"}
	got := map[string]string{}
	for _, s := range families["alignbot_job_runs_total"].GetMetric() {
		var kind, outcome string
		for _, l := range s.GetLabel() {
			switch l.GetName() {
			case "kind":
				kind = l.GetValue()
			case "outcome":
				outcome = l.GetValue()
			}
		}
		if s.GetCounter().GetValue() != 1 {
			t.Errorf("%s/%s counted %v times", kind, outcome, s.GetCounter().GetValue())
		}
		got[kind] = outcome
	}
	for kind, outcome := range want {
		if got[kind] != outcome {
			t.Errorf("%s: outcome %q, want %q", kind, got[kind], outcome)
		}
	}
	for _, name := range []string{"alignbot_job_latency_seconds", "alignbot_job_duration_seconds"} {
		if n := len(families[name].GetMetric()); n != len(outcomes) {
			t.Errorf("%s has %d kinds, want %d", name, n, len(outcomes))
		}
	}
	for _, s := range families["alignbot_job_latency_seconds"].GetMetric() {
		h := s.GetHistogram()
		if h.GetSampleCount() != 1 || h.GetSampleSum() != 90 {
			t.Errorf("latency %v: %d runs, %v s; want 1 run 90 s late", s.GetLabel(), h.GetSampleCount(), h.GetSampleSum())
		}
	}
}
