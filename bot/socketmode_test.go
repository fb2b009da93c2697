package bot

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/slackfake"
)

// Socket Mode's lifecycle: Slack asks the app to reconnect (a disconnect
// message with reason refresh_requested, warning or link_disabled) and
// redelivers events it thinks were lost. Nothing a person sent is lost or
// handled twice.

// dmReplies counts the bot's answers in its DM with user.
func (h *harness) dmReplies(user string) int {
	return len(h.slack.DMs(user))
}

// writeToBot has each of users type a message in the bot's Messages tab,
// n times, and returns the envelopes.
func (h *harness) writeToBot(users []string, n int, label string) []string {
	h.t.Helper()
	var ids []string
	for i := range n {
		for _, u := range users {
			id, err := h.slack.SendDirectMessage(u, fmt.Sprintf("%s %d", label, i))
			if err != nil {
				h.t.Fatal(err)
			}
			ids = append(ids, id)
		}
	}
	return ids
}

func TestReconnectsLoseAndDoubleNoEnvelope(t *testing.T) {
	t.Parallel()
	writers := []string{admin, owner, outside}
	for _, reason := range []string{"refresh_requested", "warning", "link_disabled"} {
		t.Run(reason, func(t *testing.T) {
			t.Parallel()
			h := newOrr(t)
			h.startBot()
			h.startBot()
			h.writeToBot(writers, 2, "before")
			opened := h.slack.Calls("apps.connections.open")
			if reason == "warning" {
				// Slack warns, and closes the connections a moment later;
				// envelopes keep coming to them until then.
				h.slack.WarnDisconnect(300 * time.Millisecond)
			} else {
				h.slack.RequestReconnect(reason)
			}
			h.writeToBot(writers, 2, "during")
			// A command typed meanwhile is answered once too.
			cmd, err := h.slack.SlashCommand(fac, revenue, "help")
			if err != nil {
				t.Fatal(err)
			}
			h.waitFor("both replicas to reconnect", func() bool {
				return h.slack.Calls("apps.connections.open") >= opened+2 && h.slack.Connections() == 2
			})
			h.writeToBot(writers, 2, "after")
			// Answers that meet the DM's pace wait for it (on the bot's
			// clock, which settle moves on).
			h.settle("every message to be answered", func() bool {
				for _, u := range writers {
					if h.dmReplies(u) < 6 {
						return false
					}
				}
				return true
			})
			h.idle()
			for _, u := range writers {
				if n := h.dmReplies(u); n != 6 {
					t.Errorf("%s wrote 6 messages and got %d answers", u, n)
				}
			}
			if e := envelope(h, cmd); e.Acked {
				if got := h.ephemerals(fac); len(got) != 1 {
					t.Errorf("the command was answered %d times", len(got))
				}
			} else {
				// A command Slack delivered on a connection the app had
				// already dropped fails for the person, who sees Slack's
				// error: not silence, and not twice.
				t.Logf("the command met the closing connection: %+v", e)
			}
			if errs := h.slack.ProtocolErrors(); len(errs) > 0 {
				t.Errorf("protocol errors: %v", errs)
			}
			redelivered := 0
			for _, e := range h.slack.Envelopes() {
				if len(e.Deliveries) > 1 {
					redelivered++
				}
			}
			t.Logf("%d envelopes delivered more than once", redelivered)
		})
	}
}

func envelope(h orr, id string) slackfake.Envelope {
	for _, e := range h.slack.Envelopes() {
		if e.ID == id {
			return e
		}
	}
	return slackfake.Envelope{}
}

// An event Slack delivers again, in the same envelope or a new one with the
// same event_id, is handled once.
func TestARedeliveredEventIsHandledOnce(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	id, err := h.slack.SendDirectMessage(admin, "what's waiting for me?")
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(id)
	h.waitFor("the answer", func() bool { return h.dmReplies(admin) == 1 })
	if err := h.slack.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	again, err := h.slack.RedeliverAsNew(id)
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(again)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.slack.WaitFor(ctx, func() bool {
		acks := 0
		for _, a := range h.slack.Acks() {
			if a.EnvelopeID == id {
				acks++
			}
		}
		return acks >= 2
	}); err != nil {
		t.Fatal(err)
	}
	h.idle()
	if n := h.dmReplies(admin); n != 1 {
		t.Errorf("one message, delivered three times, got %d answers", n)
	}
}
