package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestNilMeasuresNothing: a component built without metrics calls the same
// hooks.
func TestNilMeasuresNothing(t *testing.T) {
	var m *Metrics
	m.ClickAcked(time.Millisecond)
	m.CardUpdated(time.Millisecond)
	m.CommandReplied(time.Millisecond)
	m.JobStarted("reveal", time.Second)
	m.JobFinished("reveal", JobDone, time.Second)
	m.JobKinds("reveal")
	m.SetJobs(map[string]int{"pending": 1})
	m.SetQueue([]QueueStat{{Kind: "reveal", Pending: 1}})
	m.SetRounds([]string{"collecting"}, nil)
	m.SetConnected(true)
	m.SlackCall("chat.postMessage", 0, false, false)
}

func TestSlackCalls(t *testing.T) {
	m := New()
	m.SlackCall("chat.update", 2*time.Second, false, false)
	m.SlackCall("chat.update", 0, true, true)
	m.SlackCall("chat.update", 0, false, true)
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"calls", testutil.ToFloat64(m.slackCalls.WithLabelValues("chat.update")), 3},
		{"429s", testutil.ToFloat64(m.slackLimited.WithLabelValues("chat.update")), 1},
		{"errors", testutil.ToFloat64(m.slackErrors.WithLabelValues("chat.update")), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.budgetWait); n != 1 {
		t.Errorf("%d budget wait series, want 1", n)
	}
}

// TestQueueKindsStay: a kind whose jobs are all done reads 0, and does not
// vanish from an alert's view.
func TestQueueKindsStay(t *testing.T) {
	m := New()
	m.JobKinds("reveal", "nudge")
	m.SetQueue([]QueueStat{{Kind: "nudge", Pending: 3, OldestDue: 7 * time.Minute}})
	if got := testutil.ToFloat64(m.oldestDue.WithLabelValues("nudge")); got != 420 {
		t.Errorf("oldest due nudge = %v, want 420", got)
	}
	m.SetQueue(nil)
	for _, kind := range []string{"reveal", "nudge"} {
		if got := testutil.ToFloat64(m.pending.WithLabelValues(kind)); got != 0 {
			t.Errorf("pending %s = %v after the queue emptied", kind, got)
		}
	}
	if n := testutil.CollectAndCount(m.pending); n != 2 {
		t.Errorf("%d pending series, want 2", n)
	}
}

func TestHandlerServesText(t *testing.T) {
	m := New()
	m.ClickAcked(3 * time.Millisecond)
	if err := m.Register(m.clickAck); err == nil {
		t.Error("registering twice succeeded")
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{"# TYPE alignbot_click_ack_seconds histogram", "alignbot_click_ack_seconds_count 1", "go_goroutines", "process_"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// BenchmarkClickHooks is what a click costs the metrics: its ack, its card
// and its one response_url post. It should allocate nothing.
func BenchmarkClickHooks(b *testing.B) {
	m := New()
	m.SlackCall("response_url", 0, false, false)
	b.ReportAllocs()
	for b.Loop() {
		m.ClickAcked(time.Millisecond)
		m.SlackCall("response_url", 0, false, false)
		m.CardUpdated(20 * time.Millisecond)
	}
}
