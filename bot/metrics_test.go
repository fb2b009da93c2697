package bot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/alignbot/alignbot/internal/metrics"
)

// scrape GETs /metrics from m's handler over HTTP and parses it as
// Prometheus would.
func scrape(t *testing.T, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// series finds the metric of a family whose labels are exactly labels
// (name=value pairs).
func series(families map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	f := families[name]
	if f == nil {
		return nil
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := len(got) == len(labels)/2
		for i := 0; match && i+1 < len(labels); i += 2 {
			match = got[labels[i]] == labels[i+1]
		}
		if match {
			return m
		}
	}
	return nil
}

func histogramCount(families map[string]*dto.MetricFamily, name string, labels ...string) uint64 {
	return series(families, name, labels...).GetHistogram().GetSampleCount()
}

func counterValue(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	return series(families, name, labels...).GetCounter().GetValue()
}

// TestMetricsAfterARound plays a round through the fake Slack and scrapes
// /metrics: every histogram an operator watches moved, the counts match
// what happened, and no label names a person, a channel or a round.
func TestMetricsAfterARound(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	m := metrics.New()
	r := h.startBot(func(o *Options) { o.Metrics = m })
	h.waitFor("Slack's hello", r.bot.Connected)
	if v := scrape(t, m)["alignbot_socket_connected"].GetMetric()[0].GetGauge().GetValue(); v != 1 {
		t.Errorf("alignbot_socket_connected = %v once connected", v)
	}
	id := h.revealStart([]string{mkt, sales}, "")
	scores := map[string][]int{mkt: {2, 2, 1, 2, 2, 0, 1, 0, 0, 0}, sales: {2, 2, 1, 2, 2, 1, 1, 0, 0, 0}}
	for _, u := range []string{mkt, sales} {
		h.answerAll(u, scores[u])
		h.submit(u)
	}
	h.revealWait(id)
	r.bot.countOnce(context.Background())

	f := scrape(t, m)
	const clicks = 2 * (10 + 1) // ten answers and a Submit each
	for _, hist := range []struct {
		name   string
		labels []string
		min    uint64
	}{
		{"alignbot_click_ack_seconds", nil, clicks},
		{"alignbot_click_card_seconds", nil, clicks},
		{"alignbot_command_reply_seconds", nil, 1},
		{"alignbot_job_latency_seconds", []string{"kind", "reveal"}, 1},
		{"alignbot_job_duration_seconds", []string{"kind", "reveal"}, 1},
		{"alignbot_job_latency_seconds", []string{"kind", "questionnaire"}, 2},
		{"alignbot_slack_budget_wait_seconds", []string{"method", "chat.postMessage"}, 3},
	} {
		if got := histogramCount(f, hist.name, hist.labels...); got < hist.min {
			t.Errorf("%s%v: %d observations, want at least %d", hist.name, hist.labels, got, hist.min)
		}
	}
	if got := counterValue(f, "alignbot_job_runs_total", "kind", "reveal", "outcome", "done"); got != 1 {
		t.Errorf("reveal jobs done: %v, want 1", got)
	}
	// Every Slack call the fake answered was counted, by method.
	for method, n := range h.slack.CallCounts() {
		if method == "upload_url" || method == "apps.connections.open" {
			continue // an upload, and slack-go's Socket Mode client: neither is budgeted
		}
		if got := counterValue(f, "alignbot_slack_calls_total", "method", method); got != float64(n) {
			t.Errorf("alignbot_slack_calls_total{method=%q} = %v, the fake answered %d", method, got, n)
		}
	}
	if got := series(f, "alignbot_rounds", "state", "revealed").GetGauge().GetValue(); got != 1 {
		t.Errorf("revealed rounds: %v, want 1", got)
	}
	if series(f, "alignbot_outbox_oldest_due_seconds", "kind", "reveal") == nil || series(f, "alignbot_outbox_pending", "kind", "nudge") == nil {
		t.Error("the outbox gauges lack a kind")
	}
	checkBounded(t, f)
}

// allowedLabels are the only labels alignbot's metrics have, and each one's
// values come from a set the code fixes.
var allowedLabels = map[string]bool{"method": true, "kind": true, "outcome": true, "state": true}

// slackID looks like a Slack user, channel, team, bot or app ID.
var slackID = regexp.MustCompile(`^[UWCDGTBAE][A-Z0-9]{6,}$`)

// checkBounded fails when an alignbot_* series has a label outside
// allowedLabels or a value that names a person, a channel, a round or a
// workspace.
func checkBounded(t *testing.T, f map[string]*dto.MetricFamily) {
	t.Helper()
	n := 0
	for name, fam := range f {
		if !strings.HasPrefix(name, "alignbot_") {
			continue
		}
		for _, m := range fam.GetMetric() {
			n++
			for _, l := range m.GetLabel() {
				v := l.GetValue()
				if !allowedLabels[l.GetName()] || slackID.MatchString(v) || regexp.MustCompile(`^\d+$`).MatchString(v) ||
					strings.ContainsAny(v, " @<#") {
					t.Errorf("%s has label %s=%q", name, l.GetName(), v)
				}
			}
		}
	}
	if n > 400 {
		t.Errorf("%d alignbot series: label sets are not bounded", n)
	}
}

// TestMetricsAreBlind: before the reveal, the metrics of a round whose lead
// answered all 0s and of one whose lead answered all 2s have the same
// series, and none is about scores: nothing in /metrics says how anyone
// answered.
func TestMetricsAreBlind(t *testing.T) {
	t.Parallel()
	seriesOf := func(t *testing.T, score int) []string {
		h := newHarness(t)
		m := metrics.New()
		r := h.startBot(func(o *Options) { o.Metrics = m })
		h.revealStart([]string{mkt, sales}, "")
		h.answerAll(mkt, slices.Repeat([]int{score}, 10))
		h.idle()
		r.bot.countOnce(context.Background())
		f := scrape(t, m)
		checkBounded(t, f)
		var out []string
		for name, fam := range f {
			if !strings.HasPrefix(name, "alignbot_") {
				continue
			}
			if regexp.MustCompile(`score|answer|tier|total_points|gap`).MatchString(strings.TrimSuffix(name, "_total")) {
				t.Errorf("metric %s is about answers", name)
			}
			for _, s := range fam.GetMetric() {
				var labels []string
				for _, l := range s.GetLabel() {
					labels = append(labels, l.GetName()+"="+l.GetValue())
				}
				out = append(out, name+"{"+strings.Join(labels, ",")+"}")
			}
		}
		sort.Strings(out)
		return out
	}
	var zeros, twos []string
	t.Run("all 0", func(t *testing.T) { t.Parallel(); zeros = seriesOf(t, 0) })
	t.Run("all 2", func(t *testing.T) { t.Parallel(); twos = seriesOf(t, 2) })
	t.Cleanup(func() {
		if !slices.Equal(zeros, twos) {
			t.Errorf("the series differ with the answers:\nall 0: %v\nall 2: %v", zeros, twos)
		}
	})
}
