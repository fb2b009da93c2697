package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/slackfake"
)

// The world changing under a round: one test per event (or error) Slack
// reports it by. Each checks the outcome: the facilitator is told once what
// happened and what to do, what cannot succeed waits (held, not retried nor
// given up), and it carries on by itself once the cause is fixed.

// heldOnCause returns the keys of the jobs held on cause.
func (h *harness) heldOnCause(cause string) []string {
	h.t.Helper()
	keys, err := h.store.HeldJobs(context.Background(), cause)
	if err != nil {
		h.t.Fatal(err)
	}
	return keys
}

// waitHeld waits until a job of kind is held on cause.
func (h *harness) waitHeldKind(kind, cause string) {
	h.t.Helper()
	h.waitFor(fmt.Sprintf("a %s job held on %s", kind, cause), func() bool {
		for _, k := range h.heldOnCause(cause) {
			if strings.HasPrefix(k, kind+":") {
				return true
			}
		}
		return false
	})
}

// checkNotRetried fails the test if a held job ran again: an hour later
// every job held on cause has still run once.
func (h orr) checkNotRetried(cause string) {
	h.t.Helper()
	before := h.heldOnCause(cause)
	h.at(h.clock.Now().Sub(t0) + time.Hour)
	var tries []string
	if err := h.store.DB().Select(&tries, `SELECT key FROM jobs WHERE held_on = $1 AND attempts > 1`, cause); err != nil {
		h.t.Fatal(err)
	}
	if len(tries) > 0 || len(h.heldOnCause(cause)) < len(before) {
		h.t.Errorf("jobs held on %s ran again: %v (held before: %v, after: %v)", cause, tries, before, h.heldOnCause(cause))
	}
}

// stopped waits for a replica whose Run ended by itself and returns its
// error.
func (h *harness) stopped(r *replica) error {
	h.t.Helper()
	select {
	case err := <-r.done:
		h.mu.Lock()
		r.cancel = nil
		h.mu.Unlock()
		return err
	case <-time.After(30 * time.Second):
		h.t.Fatal("the replica did not stop")
		return nil
	}
}

// startedRound starts a round of the given people and waits until its
// announcement and questionnaires are out.
func (h orr) startedRound(people ...string) slackfake.Message {
	h.t.Helper()
	h.startRound(people...)
	ann := h.waitMessage(revenue, "started a round")
	for _, u := range people {
		h.questionnaire(u)
	}
	h.idle()
	return ann
}

func TestTheBotRemovedFromTheChannel(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.logJobsOnFailure()
	r := h.startBot()
	h.startedRound(mkt, sales)
	id, err := h.slack.RemoveBot(revenue)
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(id)
	const told = "I was removed from <#CREVENUE>"
	note := h.waitDMs(fac, told, 1)[0]
	for _, want := range []string{"`/invite @alignbot` in <#CREVENUE>", "carry on where I left off", "`/alignment cancel`"} {
		if !strings.Contains(note.VisibleText(), want) {
			t.Errorf("the facilitator's note lacks %q: %s", want, note.VisibleText())
		}
	}
	// The leads carry on in their DMs; what goes to the channel waits.
	h.answerAndSubmit(orrScores, mkt, sales)
	h.waitHeldKind(jobReveal, causeChannel(revenue))
	h.checkNotRetried(causeChannel(revenue))
	if err := h.slack.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	h.idle()
	// Invited back, it picks up where it left off.
	if _, err := h.slack.InviteBot(revenue, fac); err != nil {
		t.Fatal(err)
	}
	reveal := h.waitMessage(revenue, "Alignment reveal · round 1")
	h.checkFresh(r.bot)
	if h.thread(reveal) == "" {
		t.Error("the reveal's thread is empty")
	}
	if n := h.countDMs(fac, told); n != 1 {
		t.Errorf("the facilitator was told %d times, want once", n)
	}
	if held := h.heldOnCause(causeChannel(revenue)); len(held) > 0 {
		t.Errorf("still held: %v", held)
	}
	h.noneParked()
}

// Removed before it could announce the round, and nobody said so: Slack's
// not_in_channel is how it finds out.
func TestTheBotFindsItIsNoLongerInTheChannel(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot(func(o *Options) { o.NoJobRunner = true })
	h.startRound(mkt, sales)
	if err := h.slack.SetBotMember(revenue, false); err != nil {
		t.Fatal(err)
	}
	h.startBot()
	note := h.waitDMs(fac, "I was removed from <#CREVENUE> (Slack: not_in_channel)", 1)[0]
	if !strings.Contains(note.VisibleText(), "`/invite @alignbot`") {
		t.Errorf("the facilitator's note: %s", note.VisibleText())
	}
	h.waitHeldKind(jobAnnounce, causeChannel(revenue))
	if j, err := h.store.Job(context.Background(), jobPayload{}.key(jobAnnounce, 1)); err != nil || j.Attempts != 1 {
		t.Errorf("the announcement: %d attempts (%v), want 1", j.Attempts, err)
	}
	// The respondents are not held up.
	h.questionnaire(mkt)
	h.questionnaire(sales)
	if _, err := h.slack.InviteBot(revenue, fac); err != nil {
		t.Fatal(err)
	}
	h.waitMessage(revenue, "started a round")
	h.noneParked()
}

func TestTheChannelArchived(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.logJobsOnFailure()
	r := h.startBot()
	h.startedRound(mkt, sales)
	id, err := h.slack.ArchiveChannel(revenue, admin)
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(id)
	const told = "<#CREVENUE> was archived"
	note := h.waitDMs(fac, told, 1)[0]
	if !strings.Contains(note.VisibleText(), "Unarchive <#CREVENUE>") {
		t.Errorf("the facilitator's note: %s", note.VisibleText())
	}
	h.answerAndSubmit(orrScores, mkt, sales)
	h.waitHeldKind(jobReveal, causeChannel(revenue))
	h.checkNotRetried(causeChannel(revenue))
	if _, err := h.slack.UnarchiveChannel(revenue, admin); err != nil {
		t.Fatal(err)
	}
	h.waitMessage(revenue, "Alignment reveal · round 1")
	// Slack redelivers the archiving late, after the unarchiving: it was
	// handled already.
	again, err := h.slack.RedeliverAsNew(id)
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(again)
	h.waitFor("the redelivery to be recognised", func() bool {
		return strings.Contains(h.logs.String(), "a workspace change delivered again")
	})
	h.checkFresh(r.bot)
	if n := h.countDMs(fac, told); n != 1 {
		t.Errorf("the facilitator was told %d times, want once", n)
	}
	h.noneParked()
}

// A rename changes nothing alignbot depends on: the round carries on in
// the same channel and nobody is bothered.
func TestTheChannelRenamed(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	ann := h.startedRound(mkt, sales)
	dms := len(h.slack.DMs(fac))
	id, err := h.slack.RenameChannel(revenue, "revenue-council")
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(id)
	h.waitFor("the rename to be handled", func() bool { return strings.Contains(h.logs.String(), "channel renamed; rounds carry on") })
	// The round goes on posting where it did.
	h.answer(mkt, "Q1", 2)
	h.waitFor("the announcement's update", func() bool {
		return strings.Contains(h.current(ann).VisibleText(), "Marketing lead <@UMARIA01> — answering")
	})
	h.idle()
	if n := len(h.slack.DMs(fac)); n != dms {
		t.Errorf("the facilitator got %d DMs about a rename", n-dms)
	}
	var held int
	if err := h.store.DB().Get(&held, `SELECT count(*) FROM jobs WHERE state = 'held'`); err != nil || held != 0 {
		t.Errorf("%d jobs held (%v)", held, err)
	}
	h.noneParked()
}

func TestARespondentDeactivated(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.startedRound(mkt, sales, obs)
	id, err := h.slack.DeactivateUser(sales)
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(id)
	const told = "<@USAMUE01> (Sales lead) of round 1 in <#CREVENUE> was deactivated"
	note := h.waitDMs(fac, told, 1)[0]
	if !strings.Contains(note.VisibleText(), "The comparison needs both leads: `/alignment cancel`") {
		t.Errorf("the facilitator's note: %s", note.VisibleText())
	}
	// Their reminder waits; the others' go out.
	h.at(48 * time.Hour)
	h.waitDMs(mkt, orrNudge, 1)
	h.waitDMs(obs, orrNudge, 1)
	h.waitHeldKind(jobNudge, causeUser(sales))
	if n := h.countDMs(sales, orrNudge); n != 0 {
		t.Errorf("a deactivated person got %d reminders", n)
	}
	h.checkNotRetried(causeUser(sales))
	// Back, they get it.
	if _, err := h.slack.ReactivateUser(sales); err != nil {
		t.Fatal(err)
	}
	h.waitDMs(sales, orrNudge, 1)
	if n := h.countDMs(fac, told); n != 1 {
		t.Errorf("the facilitator was told %d times, want once", n)
	}
	h.noneParked()
}

func TestARespondentLeavesTheChannel(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.startedRound(mkt, sales)
	id, err := h.slack.LeaveChannel(revenue, sales)
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(id)
	const told = "<@USAMUE01> (Sales lead) left <#CREVENUE>"
	note := h.waitDMs(fac, told, 1)[0]
	if !strings.Contains(note.VisibleText(), "invite them back to <#CREVENUE>") {
		t.Errorf("the facilitator's note: %s", note.VisibleText())
	}
	// Slack delivering the event again tells nobody twice.
	again, err := h.slack.RedeliverAsNew(id)
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(again)
	h.idle()
	if n := h.countDMs(fac, told); n != 1 {
		t.Errorf("the facilitator was told %d times, want once", n)
	}
	// Their questionnaire still works.
	h.answer(sales, "Q1", 2)
}

func TestAnOwnerDeactivated(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	h.startBot()
	h.revealed()
	h.command(fac, revenue, fmt.Sprintf("assign Q7 %s Write the attribution rules", h.slack.MentionUser(owner)))
	h.gapsOwnerDM(owner, "Q7")
	h.idle()
	id, err := h.slack.DeactivateUser(owner)
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(id)
	const told = "<@UOWEN001>, the owner of the action on Q7 in round 1, was deactivated"
	note := h.waitDMs(fac, told, 1)[0]
	if !strings.Contains(note.VisibleText(), "*Change owner*") || !strings.Contains(note.VisibleText(), "/alignment assign Q7") {
		t.Errorf("the facilitator's note: %s", note.VisibleText())
	}
	// Their first reminder, a week on, waits for them.
	h.at(h.clock.Now().Sub(t0) + 168*time.Hour)
	h.waitHeldKind(jobOwnerDM, causeUser(owner))
	if n := h.countDMs(owner, orrOwnerNudge); n != 0 {
		t.Errorf("a deactivated owner got %d reminders", n)
	}
	if _, err := h.slack.ReactivateUser(owner); err != nil {
		t.Fatal(err)
	}
	h.waitDMs(owner, orrOwnerNudge, 1)
	if n := h.countDMs(fac, told); n != 1 {
		t.Errorf("the facilitator was told %d times, want once", n)
	}
	h.noneParked()
}

// tokenLostAndRestored checks what every way of losing the token has in
// common: jobs are held (not retried, not given up, nobody DMed with a
// token Slack refuses), and all of them go out once alignbot runs again
// with a token Slack takes.
func (h orr) tokenLostAndRestored(r *replica, ann slackfake.Message, restart func()) {
	h.t.Helper()
	// A click still answers through its response_url; the announcement's
	// update waits.
	h.answer(mkt, "Q1", 2)
	h.waitHeldKind(jobProgress, causeWorkspace)
	h.at(48 * time.Hour)
	h.waitHeldKind(jobNudge, causeWorkspace)
	h.checkNotRetried(causeWorkspace)
	h.noneParked()
	if n := h.countDMs(mkt, orrNudge) + h.countDMs(sales, orrNudge); n != 0 {
		h.t.Errorf("%d reminders went out with a refused token", n)
	}
	restart()
	h.waitDMs(mkt, orrNudge, 1)
	h.waitDMs(sales, orrNudge, 1)
	h.waitFor("the announcement's update", func() bool {
		return strings.Contains(h.current(ann).VisibleText(), "Marketing lead <@UMARIA01> — answering")
	})
	var held int
	if err := h.store.DB().Get(&held, `SELECT count(*) FROM jobs WHERE state = 'held'`); err != nil || held != 0 {
		h.t.Errorf("%d jobs still held (%v)", held, err)
	}
	h.noneParked()
}

func TestTheTokensRevoked(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	r := h.startBot()
	ann := h.startedRound(mkt, sales)
	id, err := h.slack.RevokeTokens()
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(id)
	h.waitFor("the revocation to be logged", func() bool { return strings.Contains(h.logs.String(), `"reason":"tokens_revoked"`) })
	h.tokenLostAndRestored(r, ann, func() {
		// The app is installed again; alignbot restarts with the token.
		h.slack.RestoreTokens()
		h.stop(r)
		h.startBot()
	})
}

func TestTheAppUninstalled(t *testing.T) {
	t.Parallel()
	h := newOrr(t)
	r := h.startBot()
	h.startedRound(mkt, sales)
	h.answer(mkt, "Q1", 2)
	h.idle()
	if _, err := h.slack.UninstallApp(); err != nil {
		t.Fatal(err)
	}
	// Slack closes Socket Mode and refuses both tokens: the replica stops,
	// saying why, and leaves its work in the database.
	if err := h.stopped(r); err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("the replica stopped with %v, want invalid_auth", err)
	}
	// The reminders fall due while the app is gone.
	h.clock.Set(t0.Add(48 * time.Hour))
	var due int
	if err := h.store.DB().Get(&due, `SELECT count(*) FROM jobs WHERE kind = $1 AND state IN ('pending', 'held')`, jobNudge); err != nil || due != 2 {
		t.Fatalf("%d reminders waiting (%v), want 2", due, err)
	}
	// Reinstalled, alignbot starts again and everything goes out, once.
	h.slack.RestoreTokens()
	h.startBot()
	h.waitDMs(mkt, orrNudge, 1)
	h.waitDMs(sales, orrNudge, 1)
	h.idle()
	if n, m := h.countDMs(mkt, orrNudge), h.countDMs(sales, orrNudge); n != 1 || m != 1 {
		t.Errorf("reminders after the reinstall: %d and %d, want one each", n, m)
	}
	h.noneParked()
}

func TestSlackRefusesTheToken(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"invalid_auth", "account_inactive"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			h := newOrr(t)
			r := h.startBot()
			ann := h.startedRound(mkt, sales)
			h.slack.BreakToken(code)
			h.tokenLostAndRestored(r, ann, func() {
				h.slack.BreakToken("")
				h.stop(r)
				h.startBot()
			})
			if n := strings.Count(h.logs.String(), "slack refuses the bot token"); n != 1 {
				t.Errorf("logged %d times that Slack refuses the token, want once", n)
			}
		})
	}
}

// TestSlackErrorsNameTheirCause: which of Slack's answers hold a job, and
// on what.
func TestSlackErrorsNameTheirCause(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code, target, cause string
	}{
		{"not_in_channel", "CREVENUE", "channel:CREVENUE"},
		{"is_archived", "CREVENUE", "channel:CREVENUE"},
		{"channel_not_found", "GSECRET1", "channel:GSECRET1"},
		{"user_disabled", "USAMUE01", "user:USAMUE01"},
		{"user_not_found", "USAMUE01", "user:USAMUE01"},
		{"channel_not_found", "USAMUE01", "user:USAMUE01"},
		{"invalid_auth", "CREVENUE", "workspace"},
		{"account_inactive", "USAMUE01", "workspace"},
		{"token_revoked", "", "workspace"},
		{"channel_not_found", "D0000001", ""},
		{"msg_too_long", "CREVENUE", ""},
		{"cannot_dm_bot", "UBOTTY01", ""},
	} {
		err := heldOn(tc.target, fmt.Errorf("post: %w", slack.SlackErrorResponse{Err: tc.code}))
		var ce *causeError
		got := ""
		if errors.As(err, &ce) {
			got = ce.cause
		}
		if got != tc.cause {
			t.Errorf("%s for %s: held on %q, want %q", tc.code, tc.target, got, tc.cause)
		}
		if class := classify(err); class.Hold != tc.cause {
			t.Errorf("%s for %s: classified %+v", tc.code, tc.target, class)
		}
	}
}
