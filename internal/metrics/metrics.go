// Package metrics is what alignbot measures, in Prometheus' terms: how fast
// a click is acknowledged and its card redrawn, how fast a slash command is
// answered, how late and how long jobs run, how deep the outbox is, what
// Slack's Web API answers and how long calls wait for Slack's budget, and
// how many rounds are in each state.
//
// One *Metrics is made at start-up and passed down (bot.Options, the
// outbox's and the Slack client's options); its methods do nothing on a nil
// *Metrics, so a component built without one measures nothing. Every label
// takes its values from a set the code fixes (a Slack method, a job kind, a
// round state, an outcome): never a person, a channel, a round or a score,
// so the series stay few and blind holds.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Outcomes of a job run, the values of the outcome label.
const (
	JobDone     = "done"     // completed
	JobRetried  = "retried"  // failed, will run again
	JobDeferred = "deferred" // not yet time, or Slack asked to slow down
	JobDropped  = "dropped"  // pointless now (its round was cancelled…)
	JobParked   = "parked"   // given up after too many failures
	JobHeld     = "held"     // waits until its cause is fixed (the bot re-invited…)
	JobLost     = "lost"     // its lease ended and another replica took it
)

// Metrics holds alignbot's metrics and the registry that serves them.
type Metrics struct {
	reg *prometheus.Registry

	clickAck     prometheus.Histogram
	clickCard    prometheus.Histogram
	commandReply prometheus.Histogram

	jobLatency  *prometheus.HistogramVec
	jobDuration *prometheus.HistogramVec
	jobRuns     *prometheus.CounterVec
	jobs        *prometheus.GaugeVec
	pending     *prometheus.GaugeVec
	oldestDue   *prometheus.GaugeVec

	slackCalls   *prometheus.CounterVec
	slackLimited *prometheus.CounterVec
	slackErrors  *prometheus.CounterVec
	budgetWait   *prometheus.HistogramVec
	methods      sync.Map // Slack method → *methodSeries

	rounds    *prometheus.GaugeVec
	connected prometheus.Gauge

	mu         sync.Mutex
	queueKinds map[string]bool // kinds reported by SetQueue, kept at 0 once gone
}

// methodSeries are one Slack method's series, looked up once so that a call
// costs no label hashing.
type methodSeries struct {
	calls, limited, errors prometheus.Counter
	wait                   prometheus.Observer
}

// Buckets, in seconds. A click is acked within milliseconds and its card
// redrawn within a second or so; jobs may run hours late when Slack's
// budget or a person's working hours hold them.
var (
	ackBuckets     = prometheus.ExponentialBuckets(0.0005, 2, 14) // 0.5ms … 4s
	replyBuckets   = prometheus.ExponentialBuckets(0.005, 2, 13)  // 5ms … 20s
	latencyBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 16 * 3600}
	runBuckets     = prometheus.ExponentialBuckets(0.005, 2, 15) // 5ms … 80s
	waitBuckets    = []float64{0.001, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120}
)

// New makes the metrics, registered with the Go runtime's and the process'
// own.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		clickAck: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "alignbot_click_ack_seconds", Buckets: ackBuckets,
			Help: "Time from a button click's envelope arriving on the Socket Mode connection to its ack."}),
		clickCard: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "alignbot_click_card_seconds", Buckets: replyBuckets,
			Help: "Time from a button click's envelope arriving to the clicked message redrawn (response_url, or chat.update)."}),
		commandReply: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "alignbot_command_reply_seconds", Buckets: replyBuckets,
			Help: "Time from a slash command's envelope arriving to its answer sent (a reply or a form opened)."}),
		jobLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "alignbot_job_latency_seconds", Buckets: latencyBuckets,
			Help: "Time from a job being due to a replica starting it, by kind."}, []string{"kind"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "alignbot_job_duration_seconds", Buckets: runBuckets,
			Help: "Time a job run takes, Slack's budget waits included, by kind."}, []string{"kind"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alignbot_job_runs_total",
			Help: "Job runs by kind and outcome (done, retried, deferred, dropped, parked, lost)."}, []string{"kind", "outcome"}),
		jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "alignbot_jobs",
			Help: "Jobs in the queue by state, counted every 30 seconds (the whole queue: the same on every replica)."}, []string{"state"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "alignbot_outbox_pending",
			Help: "Jobs not yet done by kind, due or not, counted every 30 seconds (the whole queue: the same on every replica)."}, []string{"kind"}),
		oldestDue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "alignbot_outbox_oldest_due_seconds",
			Help: "How long the oldest job that is due and not running has been due, by kind; 0 when none is."}, []string{"kind"}),
		slackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alignbot_slack_calls_total",
			Help: "Calls to Slack's Web API (and response_url posts) by method."}, []string{"method"}),
		slackLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alignbot_slack_rate_limited_total",
			Help: "Calls Slack answered with 429 (rate limited) by method."}, []string{"method"}),
		slackErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alignbot_slack_errors_total",
			Help: "Calls that failed otherwise (a Slack error, an HTTP error, no answer) by method."}, []string{"method"}),
		budgetWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "alignbot_slack_budget_wait_seconds", Buckets: waitBuckets,
			Help: "Time a call waited for its method's (and channel's) share of Slack's rate limit, by method."}, []string{"method"}),
		rounds: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "alignbot_rounds",
			Help: "Rounds by state, counted every 30 seconds (all workspaces: the same on every replica)."}, []string{"state"}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "alignbot_socket_connected",
			Help: "1 while this replica's Socket Mode connection is up (Slack said hello), else 0."}),
		queueKinds: map[string]bool{},
	}
	m.reg.MustRegister(m.clickAck, m.clickCard, m.commandReply, m.jobLatency, m.jobDuration, m.jobRuns, m.jobs,
		m.pending, m.oldestDue, m.slackCalls, m.slackLimited, m.slackErrors, m.budgetWait, m.rounds, m.connected,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus' text format. A collector that
// fails (the process collector without /proc, say) leaves its metrics out
// rather than failing the scrape.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Register adds a collector of the caller's (a readiness gauge, say).
func (m *Metrics) Register(c prometheus.Collector) error { return m.reg.Register(c) }

// ClickAcked records how long a click waited for its ack.
func (m *Metrics) ClickAcked(d time.Duration) {
	if m != nil {
		m.clickAck.Observe(d.Seconds())
	}
}

// CardUpdated records how long a click waited for its card to be redrawn.
func (m *Metrics) CardUpdated(d time.Duration) {
	if m != nil {
		m.clickCard.Observe(d.Seconds())
	}
}

// CommandReplied records how long a slash command waited for its answer.
func (m *Metrics) CommandReplied(d time.Duration) {
	if m != nil {
		m.commandReply.Observe(d.Seconds())
	}
}

// JobStarted records how late a job of kind started.
func (m *Metrics) JobStarted(kind string, late time.Duration) {
	if m != nil {
		m.jobLatency.WithLabelValues(kind).Observe(max(late, 0).Seconds())
	}
}

// JobFinished records a job run of kind: how it ended and how long it took.
func (m *Metrics) JobFinished(kind, outcome string, took time.Duration) {
	if m != nil {
		m.jobDuration.WithLabelValues(kind).Observe(took.Seconds())
		m.jobRuns.WithLabelValues(kind, outcome).Inc()
	}
}

// JobKinds makes the series of each kind exist at zero, so that a dashboard
// shows every kind before it first runs.
func (m *Metrics) JobKinds(kinds ...string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	for _, k := range kinds {
		m.jobLatency.WithLabelValues(k)
		m.jobDuration.WithLabelValues(k)
		m.jobRuns.WithLabelValues(k, JobDone)
		m.queueKinds[k] = true
	}
	m.mu.Unlock()
	m.SetQueue(nil)
}

// SetJobs sets the job queue by state.
func (m *Metrics) SetJobs(byState map[string]int) {
	if m == nil {
		return
	}
	for state, n := range byState {
		m.jobs.WithLabelValues(state).Set(float64(n))
	}
}

// QueueStat is one kind's part of the outbox.
type QueueStat struct {
	Kind    string
	Pending int
	// OldestDue is how long the oldest due job that is not running has
	// been due; 0 when none is.
	OldestDue time.Duration
}

// SetQueue sets the outbox's depth and lateness by kind. A kind missing
// from stats, once seen, is set to zero rather than forgotten, so that its
// series do not vanish from alerts.
func (m *Metrics) SetQueue(stats []QueueStat) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	for _, s := range stats {
		seen[s.Kind] = true
		m.queueKinds[s.Kind] = true
		m.pending.WithLabelValues(s.Kind).Set(float64(s.Pending))
		m.oldestDue.WithLabelValues(s.Kind).Set(s.OldestDue.Seconds())
	}
	for kind := range m.queueKinds {
		if !seen[kind] {
			m.pending.WithLabelValues(kind).Set(0)
			m.oldestDue.WithLabelValues(kind).Set(0)
		}
	}
}

// SetRounds sets the rounds by state; states missing from byState are 0.
func (m *Metrics) SetRounds(states []string, byState map[string]int) {
	if m == nil {
		return
	}
	for _, s := range states {
		m.rounds.WithLabelValues(s).Set(float64(byState[s]))
	}
}

// SetConnected records whether the Socket Mode connection is up.
func (m *Metrics) SetConnected(up bool) {
	if m == nil {
		return
	}
	if up {
		m.connected.Set(1)
	} else {
		m.connected.Set(0)
	}
}

// SlackCall records one call of a Slack method: how long it waited for its
// budget, and whether Slack refused it for the rate limit or it failed
// otherwise.
func (m *Metrics) SlackCall(method string, waited time.Duration, rateLimited, failed bool) {
	if m == nil {
		return
	}
	s := m.method(method)
	s.calls.Inc()
	s.wait.Observe(waited.Seconds())
	switch {
	case rateLimited:
		s.limited.Inc()
	case failed:
		s.errors.Inc()
	}
}

func (m *Metrics) method(name string) *methodSeries {
	if s, ok := m.methods.Load(name); ok {
		return s.(*methodSeries)
	}
	s := &methodSeries{
		calls:   m.slackCalls.WithLabelValues(name),
		limited: m.slackLimited.WithLabelValues(name),
		errors:  m.slackErrors.WithLabelValues(name),
		wait:    m.budgetWait.WithLabelValues(name),
	}
	actual, _ := m.methods.LoadOrStore(name, s)
	return actual.(*methodSeries)
}
