package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// The tests of messages edited in place hold an older render back on its
// way to Slack (the fake's Hold) until a newer change is committed, and
// sent too where nothing stops it, then let the older one land: the
// message must still end on a fresh render of the database.

// liveSettled reports whether every live message has its latest revision
// on Slack, nobody is sending one, and no job is due or running.
func (h *harness) liveSettled() bool {
	var n int
	err := h.store.DB().Get(&n, `SELECT count(*) FROM live_messages WHERE sent < revision OR sender IS NOT NULL`)
	return err == nil && n == 0 && h.quiet()
}

// waitLiveSettled waits until liveSettled.
func (h *harness) waitLiveSettled() {
	h.t.Helper()
	h.waitFor("every message edited in place to be sent its latest revision", h.liveSettled)
}

// visible is what a person sees of a rendered message, as the fake shows
// what it received.
func visible(m render.Message) string {
	blocks, _ := json.Marshal(m.Blocks)
	return slackfake.Message{Text: m.Text, Blocks: blocks}.VisibleText()
}

// staleLive compares every live message on Slack with a fresh render of the
// database (by b, a replica of this harness) and returns how each one that
// differs differs.
func (h *harness) staleLive(b *Bot) []string {
	h.t.Helper()
	return staleLive(h.t, h.slack, h.store, b)
}

// staleLive compares every live message in store with what fake shows, b
// rendering the database as it is now.
func staleLive(t testing.TB, fake *slackfake.Server, store *storage.Storage, b *Bot) []string {
	t.Helper()
	ctx := context.Background()
	keys, err := store.LiveKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var stale []string
	for _, key := range keys {
		l, err := store.Live(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		st, err := b.renderLive(ctx, key, l.View)
		if err != nil {
			t.Fatalf("render %s: %v", key, err)
		}
		switch {
		case st.Gone:
		case st.Home != nil:
			v, ok := fake.Home(st.User)
			blocks, _ := json.Marshal(st.Home.Blocks.BlockSet)
			if want := (slackfake.Message{Blocks: blocks}).VisibleText(); !ok || v.VisibleText() != want {
				stale = append(stale, fmt.Sprintf("%s: Slack shows\n%s\nthe database says\n%s", key, v.VisibleText(), want))
			}
		case st.TS != "":
			m, ok := fake.Message(st.Channel, st.TS)
			if want := visible(st.Msg); !ok || m.VisibleText() != want || m.Text != st.Msg.Text {
				stale = append(stale, fmt.Sprintf("%s: Slack shows\n%s\nthe database says\n%s", key, m.VisibleText(), want))
			}
		}
	}
	return stale
}

// checkFresh fails the test unless every live message on Slack equals a
// fresh render of the database.
func (h *harness) checkFresh(b *Bot) {
	h.t.Helper()
	if err := h.poll(30*time.Second, h.liveSettled); err != nil {
		h.t.Error("the messages edited in place never settled on their latest revision")
	}
	for _, s := range h.staleLive(b) {
		h.t.Errorf("stale message: %s", s)
	}
}

func waitHeld(t *testing.T, hold *slackfake.Hold, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hold.WaitHeld(ctx, n); err != nil {
		t.Fatal(err)
	}
}

// The run: the update computed before the sales lead's first
// answer must not land after the one that shows them answering.
func TestAStaleProgressUpdateNeverLandsLast(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	r := h.startBot()
	h.startRound(mkt, sales, obs)
	ann := h.waitMessage(revenue, "started a round")
	for _, u := range []string{mkt, sales, obs} {
		h.questionnaire(u)
	}
	h.waitLiveSettled()

	// The marketing lead's first answer updates the announcement; that
	// update is slow to reach Slack.
	hold := h.slack.Hold(slackfake.HoldRule{Method: "chat.update", Channel: revenue, TS: ann.TS})
	t.Cleanup(hold.Release)
	h.answer(mkt, "Q1", 2)
	waitHeld(t, hold, 1)
	// Meanwhile the sales lead starts: their progress update is queued and
	// run while the older one is still on its way.
	h.answer(sales, "Q1", 1)
	h.waitFor("the sales lead's progress update to have run", func() bool {
		var n struct {
			Pending int `db:"pending"`
			All     int `db:"all"`
		}
		err := h.store.DB().Get(&n, `SELECT count(*) FILTER (WHERE state = 'pending') AS pending, count(*) AS all
			FROM jobs WHERE kind = $1`, jobProgress)
		return err == nil && n.All >= 2 && n.Pending == 1 // the one held on its way
	})
	hold.Release()

	h.checkFresh(r.bot)
	text := h.current(ann).VisibleText()
	for _, want := range []string{"Marketing lead <@UMARIA01> — answering", "Sales lead <@USAMUE01> — answering", "RevOps observer <@UOLGA001> — not started"} {
		if !strings.Contains(text, want) {
			t.Errorf("the announcement lacks %q:\n%s", want, text)
		}
	}
}

// A click's own reply (through its response_url) takes its turn like any
// other update: a slow reply to the first click cannot undo the second.
func TestAStaleQuestionnaireReplyNeverLandsLast(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	r := h.startBot()
	h.startBot()
	h.startRound(mkt, sales)
	card := h.questionnaire(mkt)
	h.questionnaire(sales)
	h.waitLiveSettled()

	hold := h.slack.Hold(slackfake.HoldRule{Method: "response_url", Channel: card.Channel, TS: card.TS})
	t.Cleanup(hold.Release)
	first := h.click(mkt, card, "Q1", "2")
	waitHeld(t, hold, 1)
	// The person clicks on before the card redraws; the click goes to the
	// other replica, records Q2 and is handled.
	replies := h.slack.Calls("response_url")
	second := h.send(h.buildBurst(mkt, card, []orrClick{{Question: "Q2", Score: 1}})...)[0]
	h.waitFor("the second click to be handled", func() bool {
		var n int
		err := h.store.DB().Get(&n, `SELECT count(*) FROM deliveries WHERE id = $1`, second)
		return err == nil && n == 1 && (strings.Contains(h.logs.String(), turnTaken) || h.slack.Calls("response_url") > replies)
	})
	if d := envelopeDeliveries(h, first, second); d[0] == d[1] {
		t.Fatalf("both clicks went to connection %d; the test needs two replicas", d[0])
	}
	hold.Release()

	h.checkFresh(r.bot)
	text := sectionTexts(h.current(card))
	if !answeredLine("Q1", 2).MatchString(text) || !answeredLine("Q2", 1).MatchString(text) {
		t.Errorf("the questionnaire should show Q1 2 and Q2 1:\n%s", text)
	}
}

// envelopeDeliveries returns the connection each envelope was first
// delivered on.
func envelopeDeliveries(h orr, ids ...string) []int {
	out := make([]int, len(ids))
	for _, e := range h.slack.Envelopes() {
		for i, id := range ids {
			if e.ID == id && len(e.Deliveries) > 0 {
				out[i] = e.Deliveries[0]
			}
		}
	}
	return out
}

// A click's slow reply cannot bring back a questionnaire its round's
// cancel already closed.
func TestAStaleClickReplyDoesNotUndoACancel(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	r := h.startBot()
	h.startRound(mkt, sales)
	card := h.questionnaire(mkt)
	h.questionnaire(sales)
	h.waitLiveSettled()

	hold := h.slack.Hold(slackfake.HoldRule{Method: "response_url", Channel: card.Channel, TS: card.TS})
	t.Cleanup(hold.Release)
	h.click(mkt, card, "Q1", "2")
	waitHeld(t, hold, 1)
	if got := h.ask(fac, revenue, "cancel"); !strings.Contains(got, "Cancelled round 1") {
		t.Fatalf("cancel: %s", got)
	}
	h.waitFor("the questionnaires' updates after the cancel to have run", func() bool {
		var n int
		err := h.store.DB().Get(&n, `SELECT count(*) FROM jobs WHERE kind = $1 AND state = 'pending'`, jobCard)
		return err == nil && n == 0
	})
	hold.Release()

	h.checkFresh(r.bot)
	if text := h.current(card).VisibleText(); !strings.Contains(text, "was cancelled") {
		t.Errorf("the questionnaire of the cancelled round shows:\n%s", text)
	}
}

// A sender that dies holding a message's turn leaves it behind its
// revision: the sweep sends it once the turn has run out.
func TestAMessageWhoseSenderDiedIsSentAgain(t *testing.T) {
	t.Parallel()
	const lease = 2 * time.Second
	h := newOrr(t)
	r := h.startBot(func(o *Options) { o.Store.SetLiveLease(lease) })
	h.store.SetLiveLease(lease)
	h.startRound(mkt, sales)
	card := h.questionnaire(mkt)
	h.waitLiveSettled()

	// A replica took the questionnaire's turn, then died.
	if _, ok, err := h.store.BeginLiveSend(context.Background(), cardKey(1, scoring.Marketing), "dead-replica"); err != nil || !ok {
		t.Fatal(ok, err)
	}
	h.click(mkt, card, "Q1", "2")
	h.waitFor("the click to be left to the dead sender", func() bool { return strings.Contains(h.logs.String(), turnTaken) })
	if answeredLine("Q1", 2).MatchString(sectionTexts(h.current(card))) {
		t.Fatal("the click was shown although another sender had the turn")
	}
	h.waitFor("the sweep to show the click", func() bool { return answeredLine("Q1", 2).MatchString(sectionTexts(h.current(card))) })
	h.checkFresh(r.bot)
}

// Every kind of message edited in place, through a whole round with two
// replicas: announcement, questionnaires, the reveal, an owner's DM and
// App Homes end on a fresh render of the database.
func TestEveryMessageEditedInPlaceEndsOnTheLatestState(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	r := h.startBot()
	h.startBot()
	for _, u := range []string{fac, mkt, owner} {
		if _, err := h.slack.OpenAppHome(u); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("the App Homes", func() bool {
		for _, u := range []string{fac, mkt, owner} {
			if _, ok := h.slack.Home(u); !ok {
				return false
			}
		}
		return true
	})
	h.revealed()
	h.command(fac, revenue, fmt.Sprintf("assign Q7 %s Write the attribution rules", h.slack.MentionUser(owner)))
	dm := h.gapsOwnerDM(owner, "Q7")
	h.click(owner, dm, "", "Still on it")
	h.waitFor("the owner's DM to show the new status", func() bool {
		return strings.Contains(h.current(dm).VisibleText(), "status: *in progress*")
	})
	h.checkFresh(r.bot)
	var kinds []string
	if err := h.store.DB().Select(&kinds, `SELECT DISTINCT split_part(key, ':', 1) FROM live_messages ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"announce", "card", "home", "owner", "reveal"}; strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Errorf("live messages of kinds %v, want %v", kinds, want)
	}
	var behind []string
	if err := h.store.DB().Select(&behind, `SELECT key FROM live_messages WHERE sent < revision`); err != nil || len(behind) > 0 {
		t.Errorf("behind: %v (%v)", behind, err)
	}
}
