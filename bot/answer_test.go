package bot

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/slackfake"
)

// A transient error on a lookup is tried again before the person is told
// to try again: a start whose every lookup meets Slack failing twice still
// starts.
func TestAFlakyLookupDoesNotRefuseAStart(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	// The lists that fill the directory fail, so every check asks Slack
	// one person or channel at a time; and each of those fails twice.
	for _, m := range []string{"users.list", "conversations.list"} {
		h.slack.InjectFault(m, slackfake.Fault{Status: http.StatusInternalServerError, Share: 1})
	}
	r := h.startBot()
	h.slack.InjectFault("conversations.info", slackfake.Fault{Status: http.StatusServiceUnavailable, Next: 2})
	h.slack.InjectFault("users.info", slackfake.Fault{Status: http.StatusBadGateway, Next: 2})
	got := h.ask(fac, revenue, "start "+h.slack.MentionUser(mkt)+" "+h.slack.MentionUser(sales))
	if !strings.Contains(got, "Started round 1") {
		t.Fatalf("the start was refused: %s", got)
	}
	retried := r.bot.limited.Retried()
	if retried["users.info"] != 2 || retried["conversations.info"] != 2 {
		t.Errorf("retried %v; want users.info and conversations.info twice each", retried)
	}
}

// A reply that Slack fails to take is tried again through the
// response_url.
func TestACommandsReplyIsTriedAgain(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.slack.InjectFault("response_url", slackfake.Fault{Status: http.StatusServiceUnavailable, Next: 2})
	if got := h.ask(fac, revenue, "help"); !strings.Contains(got, "/alignment start") {
		t.Fatalf("help: %s", got)
	}
	if n := h.slack.Calls("response_url"); n != 3 {
		t.Errorf("%d response_url posts, want 3 (two refused)", n)
	}
	if n := h.slack.Calls("chat.postEphemeral"); n != 0 {
		t.Errorf("%d ephemeral posts; the response_url worked on the third try", n)
	}
	h.waitFor("the command to be forgotten", h.noCommands)
}

// noCommands reports whether no command is waiting for an answer.
func (h *harness) noCommands() bool {
	var n int
	err := h.store.DB().Get(&n, `SELECT count(*) FROM commands`)
	return err == nil && n == 0
}

// When the response_url is gone for good, the answer goes in the channel,
// then by DM: the person always hears back.
func TestACommandIsAnsweredWhenItsResponseURLFails(t *testing.T) {
	t.Parallel()
	t.Run("in the channel", func(t *testing.T) {
		t.Parallel()
		h := newOrr(t)
		h.startBot()
		h.slack.InjectFault("response_url", slackfake.Fault{Status: http.StatusServiceUnavailable, Share: 1})
		if got := h.ask(fac, revenue, "help"); !strings.Contains(got, "/alignment start") {
			t.Fatalf("help: %q", got)
		}
		if n := h.slack.Calls("chat.postEphemeral"); n != 1 {
			t.Errorf("%d ephemeral posts, want 1", n)
		}
		h.waitFor("the command to be forgotten", h.noCommands)
	})
	t.Run("by DM", func(t *testing.T) {
		t.Parallel()
		h := newOrr(t)
		h.startBot()
		h.slack.InjectFault("response_url", slackfake.Fault{Status: http.StatusServiceUnavailable, Share: 1})
		h.slack.InjectFault("chat.postEphemeral", slackfake.Fault{Status: http.StatusServiceUnavailable, Share: 1})
		h.command(fac, revenue, "help")
		dm := h.waitDMs(fac, "/alignment start", 1)[0]
		if h.countDMs(fac, "/alignment start") != 1 || len(h.ephemerals(fac)) != 0 {
			t.Errorf("the help went out %d times by DM, %d ephemerals: %s", h.countDMs(fac, "/alignment start"), len(h.ephemerals(fac)), dm.VisibleText())
		}
		h.waitFor("the command to be forgotten", h.noCommands)
	})
}

// A command whose replica dies after acknowledging it, before answering,
// is answered by another replica: the person is told to check and try
// again, never left in silence.
func TestACommandWhoseReplicaDiesIsAnswered(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the replica process's log:\n%s", logs.String())
		}
	})
	doomed := startReplicaProcess(t, h.replicaSpecFor("doomed"), logs)
	h.waitFor("the replica process to connect", func() bool { return h.slack.Connections() == 1 })

	// The replica reads the channel's round when the database lets it: not
	// before it is killed.
	ctx := context.Background()
	lock, err := h.store.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Rollback() })
	if _, err := lock.ExecContext(ctx, `LOCK TABLE rounds IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	h.command(fac, revenue, "status")
	h.waitFor("the replica to wait for the database", func() bool {
		var waiting int
		err := h.store.DB().Get(&waiting, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`)
		return err == nil && waiting > 0 && !h.noCommands()
	})
	doomed.kill()
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}

	h.startBot(func(o *Options) { o.CommandAbandoned = time.Second })
	got := h.waitEphemeral(fac, 1)
	if !strings.Contains(got, "I lost track of `/alignment status`") || !strings.Contains(got, "try again") {
		t.Errorf("the person was told: %s", got)
	}
	h.waitFor("the command to be forgotten", h.noCommands)
	h.idle()
	if n := len(h.ephemerals(fac)); n != 1 {
		t.Errorf("%d answers, want 1", n)
	}
}
