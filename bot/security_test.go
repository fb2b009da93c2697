package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/storage"
)

// Hostile input and permissions, tried as a channel member would: what
// people type is shown as typed and never pings or links, only the right
// people act, forged buttons change nothing, and limits hold. Helpers start
// with "sec" to stay out of other test files' way.

// secScores make, for seed 000's rules, the top gaps Q7 (combined 0, put
// first by the marketing lead's data-trust flag), Q3 and Q6 (combined 2);
// then Q8 and Q10. No structural gap, so no fix-it list.
var secScores = map[string][]int{
	mkt:   {2, 2, 1, 2, 2, 1, 0, 1, 2, 2},
	sales: {2, 2, 1, 2, 2, 1, 0, 1, 2, 1},
}

// secManagers is how a refusal names who manages round 1.
const secManagers = "Only <@UFACIL01>, <@UMARIA01> and <@USAMUE01> (who started it and who answer it) or a workspace admin can "

// secRevealed starts the facilitator's round in #revenue with the two
// leads, has them answer and submit, and returns the reveal once
// everything it sets off is done.
func secRevealed(t *testing.T) (*harness, slackfake.Message) {
	t.Helper()
	h := newHarness(t)
	h.startBot()
	h.startRound(mkt, sales)
	for _, u := range []string{mkt, sales} {
		h.answerAll(u, secScores[u])
		h.submit(u)
	}
	reveal := h.waitMessage(revenue, "Alignment reveal · round 1")
	h.settle()
	reveal = h.current(reveal)
	if text := reveal.VisibleText(); !strings.Contains(text, "*1. Q7 · ") || !strings.Contains(text, "*2. Q3 · ") || !strings.Contains(text, "*3. Q6 · ") {
		t.Fatalf("the reveal's top gaps are not Q7, Q3 and Q6:\n%s", text)
	}
	return h, reveal
}

// secSend sends an interaction, perhaps tampered with, and returns the
// answer that the owner of its response_url (who really clicked) sees.
func (h *harness) secSend(cb slack.InteractionCallback, shownTo string) string {
	h.t.Helper()
	n := len(h.ephemerals(shownTo))
	id, err := h.slack.SendInteraction(cb)
	if err != nil {
		h.t.Fatal(err)
	}
	h.waitAck(id)
	return h.waitEphemeral(shownTo, n+1)
}

// secClick clicks a button and returns the answer only the clicker sees.
func (h *harness) secClick(user string, msg slackfake.Message, card, label string) string {
	h.t.Helper()
	cb, err := h.slack.BuildClick(user, h.current(msg), card, label)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.secSend(cb, user)
}

// secForm clicks a button that opens a form, waits for it and submits it
// with values, returning the errors it shows (nil when accepted).
func (h *harness) secForm(user string, msg slackfake.Message, card, label, callbackID string, values map[string]map[string]string) map[string]string {
	h.t.Helper()
	before := len(h.slack.Views(user))
	h.click(user, h.current(msg), card, label)
	var form slackfake.View
	h.waitFor(fmt.Sprintf("%s's %s form", user, callbackID), func() bool {
		var ok bool
		form, ok = h.slack.OpenView(user)
		return ok && form.CallbackID == callbackID && len(h.slack.Views(user)) > before
	})
	return h.secSubmit(user, form, values)
}

func (h *harness) secSubmit(user string, form slackfake.View, values map[string]map[string]string) map[string]string {
	h.t.Helper()
	resp, err := h.slack.SubmitView(context.Background(), user, form.ID, values)
	if err != nil {
		h.t.Fatal(err)
	}
	if resp == nil || resp.ResponseAction != "errors" {
		return nil
	}
	return resp.Errors
}

// secState is what a refusal must leave alone: rounds, respondents,
// answers, actions and gaps set aside (not what jobs record, such as the
// ts of a message posted).
func (h *harness) secState() string {
	h.t.Helper()
	var s string
	err := h.store.DB().Get(&s, `SELECT concat_ws(E'\n--\n',
		(SELECT string_agg(format('%s %s %s %s %s %s %s', r.id, t.channel_id, r.state, r.deadline_at, r.cancelled_by, r.one_answer, r.one_answer_by), E'\n' ORDER BY r.id)
			FROM rounds r JOIN teams t ON t.id = r.team_id),
		(SELECT string_agg(format('%s %s %s %s %s', round_id, role, user_id, submitted_at, declined_at), E'\n' ORDER BY round_id, role) FROM respondents),
		(SELECT string_agg(format('%s %s %s %s', round_id, role, question_id, score), E'\n' ORDER BY round_id, role, question_id) FROM answers),
		(SELECT string_agg(format('%s %s %s %s', round_id, role, question_id, score), E'\n' ORDER BY round_id, role, question_id) FROM predictions),
		(SELECT string_agg(format('%s %s %s %s %s %s %s', round_id, question_id, owner_user_id, description, status, blocked_reason, due_at), E'\n' ORDER BY round_id, question_id) FROM actions),
		(SELECT string_agg(format('%s %s %s %s', round_id, question_id, marked_by, from_round), E'\n' ORDER BY round_id, question_id) FROM addressed_questions))`)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// secUnchanged fails when the state moved from before.
func (h *harness) secUnchanged(what, before string) {
	h.t.Helper()
	if after := h.secState(); after != before {
		h.t.Errorf("%s changed the database:\nbefore:\n%s\nafter:\n%s", what, before, after)
	}
}

// secForbidden is what no message of alignbot may hold: a channel-wide
// ping, a user group ping, a link to the address people typed, or that
// address where Slack would make it a link (not set as code).
var secForbidden = regexp.MustCompile("<!channel>|<!here>|<!everyone>|<!subteam\\^|<[^<>]*evil\\.example|(^|[^`])(https?://|www\\.)evil\\.example")

// secStrings collects every string in a JSON value, but the initial value
// of a form's input: a person's own text shown back to them to edit, as
// plain text, which Slack never reads as a mention or a link.
func secStrings(raw json.RawMessage, into *[]string) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		*into = append(*into, string(raw))
		return
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if k != "initial_value" {
					walk(e)
				}
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case string:
			*into = append(*into, v)
			// JSON held as a string (a form field, metadata) is read too.
			if strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[") {
				secStrings(json.RawMessage(v), into)
			}
		}
	}
	walk(v)
}

// secScan checks everything the fake holds and everything the bot sent:
// every message and each of its revisions, thread replies, DMs and
// ephemerals, response_url posts, views, and the raw Web API calls.
// It returns how many texts it read.
func (h *harness) secScan() int {
	h.t.Helper()
	type text struct{ where, s string }
	var texts []text
	add := func(where string, s string, blocks json.RawMessage) {
		texts = append(texts, text{where, s})
		var all []string
		secStrings(blocks, &all)
		for _, b := range all {
			texts = append(texts, text{where + " blocks", b})
		}
	}
	users := []string{fac, mkt, sales, obs, owner, admin, outside}
	var messages []slackfake.Message
	for _, ch := range []string{revenue, quiet, secret, hidden} {
		messages = append(messages, h.slack.Messages(ch)...)
	}
	for _, u := range users {
		messages = append(messages, h.slack.DMs(u)...)
		messages = append(messages, h.slack.Ephemerals(u)...)
		for _, ev := range h.slack.Views(u) {
			add(fmt.Sprintf("%s's %s view (%s)", u, ev.View.Type, ev.Method), ev.View.Title, ev.View.Blocks)
		}
		if v, ok := h.slack.Home(u); ok {
			add(u+"'s App Home", v.Title, v.Blocks)
		}
	}
	for _, m := range messages {
		where := fmt.Sprintf("message %s/%s (%s)", m.Channel, m.TS, m.Source)
		add(where, m.Text, m.Blocks)
		for i, r := range m.Revisions {
			add(fmt.Sprintf("%s revision %d (%s)", where, i, r.Method), r.Text, r.Blocks)
		}
	}
	for _, p := range h.slack.ResponsePosts() {
		add("response_url post to "+p.User, "", p.Body)
	}
	for _, c := range h.slack.Sent() {
		add(fmt.Sprintf("call %d %s", c.Seq, c.Method), "", c.Payload)
	}
	for _, a := range h.slack.Acks() {
		add("ack of "+a.EnvelopeType, "", a.Payload)
	}
	for _, tx := range texts {
		if m := secForbidden.FindString(tx.s); m != "" {
			h.t.Errorf("%s holds %q:\n%s", tx.where, m, render.Clip(tx.s, 2000))
		}
	}
	return len(texts)
}

// TestSecurityTypedTextStaysInert: mentions, user groups and links typed in
// the assign command, the assign form, the blocked form and the
// one-question form reach the thread, the reveal, the owner's DM, status,
// the DM tab and the App Home as the text that was typed, never as a ping
// or a link.
func TestSecurityTypedTextStaysInert(t *testing.T) {
	t.Parallel()
	h, reveal := secRevealed(t)
	ctx := context.Background()
	if _, err := h.slack.OpenAppHome(owner); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the owner's App Home", func() bool { _, ok := h.slack.Home(owner); return ok })

	// By command, as Slack sends it: mentions, user groups and links in
	// Slack's escaped forms, and &, <, > as entities.
	escaped := "assign Q7 " + h.slack.MentionUser(owner) + " <!channel> <!here> <https://evil.example|Log in to unblock> " +
		"<!subteam^S0123|@mkt-team> <!everyone> R&amp;D &lt;3 &amp;lt;"
	typed := "@channel @here Log in to unblock (https://evil.example) @mkt-team @everyone R&D <3 &lt;"
	got := h.ask(fac, revenue, escaped)
	if want := "<@UOWEN001> owns Q7: _" + render.Inert(typed, render.MaxText) + "_, due "; !strings.HasPrefix(got, want) {
		t.Errorf("assign by command: %q, want it to start %q", got, want)
	}
	if a, err := h.store.Action(ctx, 1, "Q7"); err != nil || a.Description != typed {
		t.Errorf("stored %q (%v), want what was typed: %q", a.Description, err, typed)
	}
	// What shows: the words typed, and the address as code.
	for _, want := range []string{"@channel @here Log in to unblock (`https://evil.example", "@mkt-team @everyone R&amp;D &lt;3 &amp;lt;"} {
		if !strings.Contains(got, want) {
			t.Errorf("assign by command: %q lacks %q", got, want)
		}
	}

	// By the form: what a person types into a form arrives exactly as
	// typed.
	formText := "<!channel> & <script> &lt;b&gt; <https://evil.example|Log in> <@UADMIN01>"
	if errs := h.secForm(fac, reveal, "Q3", "Assign owner", render.CallbackAssign, map[string]map[string]string{
		"owner": {"user": owner}, "action": {"text": formText}}); errs != nil {
		t.Fatalf("the assign form: %v", errs)
	}
	// The reason an owner is blocked.
	reason := "<!here> waiting on <https://evil.example|IT> & legal, ask <!subteam^S0123|@mkt-team>"
	dm := h.secOwnerDM(owner, "Q7")
	if errs := h.secForm(owner, dm, "", "Blocked", render.CallbackBlocked, map[string]map[string]string{"reason": {"text": reason}}); errs != nil {
		t.Fatalf("the blocked form: %v", errs)
	}
	// The team's answer to the one question.
	answer := "<!everyone> Q7 first: www.evil.example/login & <@UADMIN01>"
	if errs := h.secForm(fac, reveal, "", "Answer it as a team", render.CallbackOneAnswer, map[string]map[string]string{"answer": {"text": answer}}); errs != nil {
		t.Fatalf("the one-question form: %v", errs)
	}
	h.settle()
	if a, err := h.store.Action(ctx, 1, "Q3"); err != nil || a.Description != formText {
		t.Errorf("stored %q (%v), want what was typed: %q", a.Description, err, formText)
	}

	// Every place the texts show, as typed.
	inert := func(s string) string { return render.Inert(s, render.MaxText) }
	thread := h.thread(reveal)
	for _, want := range []string{
		"<@UFACIL01> named <@UOWEN001> owner of *Q7 · ", "_" + inert(typed) + "_",
		"_&lt;!channel&gt; &amp; &lt;script&gt; &amp;lt;b&amp;gt; &lt;`https://evil.example|Log` in&gt; &lt;@UADMIN01&gt;_",
		"*blocked*. Reason: " + inert(reason), "): _" + inert(answer) + "_",
	} {
		if !strings.Contains(thread, want) {
			t.Errorf("the reveal's thread lacks %q:\n%s", want, thread)
		}
	}
	revealText := h.current(reveal).VisibleText()
	for _, want := range []string{"Owner <@UOWEN001>: _" + inert(typed) + "_", "(" + inert(reason) + ")", "_" + inert(formText) + "_",
		"The team's answer (<@UFACIL01>): _" + inert(answer) + "_"} {
		if !strings.Contains(revealText, want) {
			t.Errorf("the reveal lacks %q:\n%s", want, revealText)
		}
	}
	dmText := h.current(h.secOwnerDM(owner, "Q7")).VisibleText()
	if want := "Your 30-day action: _" + inert(typed) + "_"; !strings.Contains(dmText, want) || !strings.Contains(dmText, inert(reason)) {
		t.Errorf("the owner's DM lacks %q or the reason:\n%s", want, dmText)
	}
	status := h.ask(obs, revenue, "status")
	for _, want := range []string{"_" + inert(typed) + "_", "_" + inert(formText) + "_"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	if _, err := h.slack.SendDirectMessage(owner, "what do I owe?"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the bot's answer in the Messages tab", func() bool {
		last, ok := h.slack.LastDM(owner)
		return ok && strings.Contains(last.VisibleText(), "here is what is waiting for you")
	})
	if last, _ := h.slack.LastDM(owner); !strings.Contains(last.VisibleText(), inert(formText)) {
		t.Errorf("the Messages tab answer lacks the action:\n%s", last.VisibleText())
	}
	h.waitFor("the owner's App Home to show both actions", func() bool {
		home, _ := h.slack.Home(owner)
		text := home.VisibleText()
		return strings.Contains(text, inert(typed)) && strings.Contains(text, inert(formText))
	})

	if n := h.secScan(); n < 100 {
		t.Errorf("scanned only %d texts", n)
	}
}

// secOwnerDM waits for the bot's DM to user about their action on q.
func (h *harness) secOwnerDM(user, q string) slackfake.Message {
	h.t.Helper()
	var msg slackfake.Message
	h.waitFor(fmt.Sprintf("%s's DM about %s", user, q), func() bool {
		for _, m := range h.slack.DMs(user) {
			if text := m.VisibleText(); strings.Contains(text, "*"+q+" · ") && strings.Contains(text, "Your 30-day action") && !m.Deleted {
				msg = m
			}
		}
		return msg.TS != ""
	})
	return msg
}

// TestSecurityPermissions: one decision each, the same by command, button
// and form. A channel member outside the round is refused, told who can,
// and nothing changes; an admin can; an owner changes their own action;
// the facilitator cancels and a respondent is told to decline; nobody
// starts a round in a private channel they are not in.
func TestSecurityPermissions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	ctx := context.Background()
	m := h.slack.MentionUser
	h.startRound(mkt, sales)
	h.questionnaire(mkt)
	h.questionnaire(sales)

	// While collecting: more time, cancel.
	before := h.secState()
	if got := h.ask(obs, revenue, "extend 3d"); got != secManagers+"give more time in round 1. Nothing was changed." {
		t.Errorf("extend by someone outside the round: %q", got)
	}
	for _, u := range []string{obs, sales} {
		got := h.ask(u, revenue, "cancel")
		if want := "Only <@UFACIL01>, who started round 1, or a workspace admin can cancel it."; !strings.HasPrefix(got, want) || !strings.Contains(got, "decline") {
			t.Errorf("cancel by %s: %q, want %q and how to decline", u, got, want)
		}
	}
	h.secUnchanged("refused extends and cancels", before)
	if got := h.ask(admin, revenue, "extend 1d"); !strings.HasPrefix(got, "Round 1 is now due") {
		t.Errorf("extend by an admin: %q", got)
	}
	if r, err := h.store.Round(ctx, 1); err != nil || !r.DeadlineAt.Equal(t0.Add(8*24*time.Hour)) {
		t.Errorf("after the admin's extend the deadline is %v (%v), want %v", r.DeadlineAt, err, t0.Add(8*24*time.Hour))
	}

	for _, u := range []string{mkt, sales} {
		h.answerAll(u, secScores[u])
		h.submit(u)
	}
	reveal := h.waitMessage(revenue, "Alignment reveal · round 1")
	h.settle()
	if got := h.ask(fac, revenue, "assign Q7 "+m(owner)+" Agree attribution with finance"); !strings.Contains(got, "<@UOWEN001> owns Q7") {
		t.Fatalf("assign Q7: %q", got)
	}
	if got := h.ask(fac, revenue, "addressed Q6"); !strings.HasPrefix(got, "Marked Q6 as already being addressed.") {
		t.Fatalf("addressed Q6: %q", got)
	}
	h.settle()
	reveal = h.current(reveal)
	dm := h.secOwnerDM(owner, "Q7")

	// Someone in the channel but not in the round: refused everywhere.
	before = h.secState()
	assignRefused := secManagers + "name owners for its gaps in round 1. Nothing was changed."
	asideRefused := secManagers + "set gaps aside or take that back in round 1. Nothing was changed."
	for _, tt := range []struct{ cmd, want string }{
		{"assign Q3 " + m(obs) + " mine now", assignRefused},
		{"assign Q7 " + m(obs) + " mine now", assignRefused},
		{"addressed Q3", asideRefused},
		{"unaddressed Q6", asideRefused},
		{"extend 1d", "No round is collecting answers in <#CREVENUE>."},
	} {
		if got := h.ask(obs, revenue, tt.cmd); got != tt.want {
			t.Errorf("%q by someone outside the round: %q, want %q", tt.cmd, got, tt.want)
		}
	}
	for _, tt := range []struct{ card, label, want string }{
		{"Q3", "Already being addressed", asideRefused},
		{"", "Undo Q6", asideRefused},
	} {
		if got := h.secClick(obs, reveal, tt.card, tt.label); got != tt.want {
			t.Errorf("%s clicked by someone outside the round: %q, want %q", tt.label, got, tt.want)
		}
	}
	for _, tt := range []struct {
		card, label, callback, field string
		values                       map[string]map[string]string
		want                         string
	}{
		{"Q3", "Assign owner", render.CallbackAssign, "owner", map[string]map[string]string{"owner": {"user": obs}}, assignRefused},
		{"Q7", "Change owner", render.CallbackAssign, "owner", map[string]map[string]string{"owner": {"user": obs}}, assignRefused},
		{"", "Answer it as a team", render.CallbackOneAnswer, "answer", map[string]map[string]string{"answer": {"text": "Q3"}},
			secManagers + "answer the one question in round 1. Nothing was changed."},
	} {
		errs := h.secForm(obs, reveal, tt.card, tt.label, tt.callback, tt.values)
		if errs[tt.field] != tt.want || len(errs) != 1 {
			t.Errorf("the %s form sent by someone outside the round: %v, want %q under %q", tt.label, errs, tt.want, tt.field)
		}
	}
	// The owner's buttons, were they to reach someone else: their click
	// and their form.
	statusRefused := "Only <@UOWEN001>, who owns Q7, or <@UFACIL01>, <@UMARIA01> and <@USAMUE01> (who started it and who answer it) or a workspace admin can change its status. Nothing was changed."
	cb, err := h.slack.BuildClick(owner, dm, "", "Done")
	if err != nil {
		t.Fatal(err)
	}
	cb.User = slack.User{ID: obs, Name: "olga", Username: "olga", TeamID: cb.User.TeamID}
	if got := h.secSend(cb, owner); got != statusRefused {
		t.Errorf("Done clicked by someone else: %q, want %q", got, statusRefused)
	}
	var blocked slack.InteractionCallback
	blocked.Type = slack.InteractionTypeViewSubmission
	blocked.User = slack.User{ID: obs, Name: "olga", TeamID: cb.Team.ID}
	blocked.Team = cb.Team
	blocked.View = slack.View{ID: "VFORGED01", Type: slack.VTModal, CallbackID: render.CallbackBlocked,
		PrivateMetadata: marshal(statusMetadata{Gap: "1:Q7", Where: dm.Channel}),
		State:           &slack.ViewState{Values: map[string]map[string]slack.BlockAction{"reason": {"text": {Type: "plain_text_input", Value: "stuck"}}}}}
	if errs := h.secSubmission(blocked); errs["reason"] != statusRefused {
		t.Errorf("the blocked form sent by someone else: %v, want %q", errs, statusRefused)
	}
	h.settle()
	h.secUnchanged("what someone outside the round tried", before)

	// An admin can; the owner changes their own action, and only that.
	if got := h.ask(admin, revenue, "addressed Q3"); !strings.HasPrefix(got, "Marked Q3 as already being addressed.") {
		t.Errorf("addressed by an admin: %q", got)
	}
	if got := h.ask(admin, revenue, "unaddressed Q3"); !strings.HasPrefix(got, "Q3 is a candidate for the top gaps again.") {
		t.Errorf("unaddressed by an admin: %q", got)
	}
	if got := h.ask(owner, revenue, "assign Q3 "+m(owner)+" mine too"); got != assignRefused {
		t.Errorf("an owner naming owners for other gaps: %q", got)
	}
	h.click(owner, h.current(dm), "", "Still on it")
	h.waitFor("the owner's action to be in progress", func() bool {
		a, err := h.store.Action(ctx, 1, "Q7")
		return err == nil && a.Status == storage.ActionInProgress
	})

	// Cancelling: the facilitator can; a respondent declines instead.
	h.settle()
	h.startRound(mkt, sales)
	if got := h.ask(mkt, revenue, "cancel"); !strings.Contains(got, "decline") {
		t.Errorf("cancel by a respondent: %q", got)
	}
	if got := h.ask(fac, revenue, "cancel"); got != "Cancelled round 2. Nobody's answers were shared." {
		t.Errorf("cancel by the facilitator: %q", got)
	}

	// A private channel the starter is not in: by command from another
	// channel, and by the form.
	before = h.secState()
	notMember := "You're not a member of <#CHIDDEN1>, so you can't start a round there. Join it first, or start the round in a channel you're in."
	if got := h.ask(fac, revenue, "start "+m(mkt)+" "+m(sales)+" "+h.slack.MentionChannel(hidden)); got != notMember {
		t.Errorf("start in #hidden by someone not in it: %q, want %q", got, notMember)
	}
	h.command(fac, revenue, "start")
	form := h.waitView(fac, render.CallbackStart)
	errs := h.secSubmit(fac, form, map[string]map[string]string{"marketing": {"user": mkt}, "sales": {"user": sales}, "channel": {"channel": hidden}})
	if errs["channel"] != notMember {
		t.Errorf("the start form aimed at #hidden: %v, want %q", errs, notMember)
	}
	h.secUnchanged("starts in a private channel", before)
	// Someone in #hidden can start there, from another channel.
	if got := h.ask(mkt, revenue, "start "+m(obs)+" "+m(sales)+" "+h.slack.MentionChannel(hidden)); !strings.HasPrefix(got, "Started round 3") {
		t.Errorf("start in #hidden by a member: %q", got)
	}
	h.settle()
	h.secNoInternalErrors()
}

// secSubmission sends a view_submission built by hand and returns the
// errors its ack shows.
func (h *harness) secSubmission(cb slack.InteractionCallback) map[string]string {
	h.t.Helper()
	id, err := h.slack.SendInteraction(cb)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ack, err := h.slack.WaitAck(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	var resp slack.ViewSubmissionResponse
	if len(ack.Payload) > 0 {
		if err := json.Unmarshal(ack.Payload, &resp); err != nil {
			h.t.Fatal(err)
		}
	}
	return resp.Errors
}

// secNoInternalErrors fails if anyone was told "Something went wrong" or
// the bot logged a failed request: every refusal is explained.
func (h *harness) secNoInternalErrors() {
	h.t.Helper()
	for _, u := range []string{fac, mkt, sales, obs, owner, admin, outside} {
		for _, e := range h.ephemerals(u) {
			if strings.Contains(e, "Something went wrong") {
				h.t.Errorf("%s was told %q", u, e)
			}
		}
	}
	if strings.Contains(h.logs.String(), `"msg":"request failed"`) {
		h.t.Error("a request failed inside the bot; see the logs")
	}
}

// TestSecurityForgedButtons: a real button's payload, changed to name a
// round in another (private) channel, another workspace, a role that is not
// the clicker's or a question that does not exist, is refused as tampered
// and changes nothing.
func TestSecurityForgedButtons(t *testing.T) {
	t.Parallel()
	h, reveal := secRevealed(t)
	ctx := context.Background()
	m := h.slack.MentionUser
	if got := h.ask(fac, revenue, "assign Q7 "+m(owner)+" Agree attribution with finance"); !strings.Contains(got, "<@UOWEN001> owns Q7") {
		t.Fatalf("assign Q7: %q", got)
	}
	// Round 2, collecting in #hidden, where the facilitator is not.
	if got := h.ask(mkt, hidden, "start "+m(obs)+" "+m(sales)); !strings.HasPrefix(got, "Started round 2") {
		t.Fatalf("start round 2 in #hidden: %q", got)
	}
	var card slackfake.Message
	h.waitFor("sales's questionnaire for round 2", func() bool {
		for _, msg := range h.slack.DMs(sales) {
			if isQuestionnaire(msg) && strings.Contains(msg.VisibleText(), "<#CHIDDEN1>") {
				card = msg
				return true
			}
		}
		return false
	})
	h.settle()
	reveal = h.current(reveal)
	dm := h.secOwnerDM(owner, "Q7")
	before := h.secState()
	revisions := len(h.current(reveal).Revisions)

	forge := func(user string, msg slackfake.Message, card, label string, edit func(*slack.InteractionCallback, *slack.BlockAction)) slack.InteractionCallback {
		t.Helper()
		cb, err := h.slack.BuildClick(user, h.current(msg), card, label)
		if err != nil {
			t.Fatal(err)
		}
		edit(&cb, cb.ActionCallback.BlockActions[0])
		return cb
	}
	value := func(v string) func(*slack.InteractionCallback, *slack.BlockAction) {
		return func(_ *slack.InteractionCallback, a *slack.BlockAction) { a.Value = v }
	}
	blockID := func(v string) func(*slack.InteractionCallback, *slack.BlockAction) {
		return func(_ *slack.InteractionCallback, a *slack.BlockAction) { a.BlockID = v }
	}
	team := func(cb *slack.InteractionCallback, _ *slack.BlockAction) {
		cb.Team.ID, cb.User.TeamID = "T0OTHER01", "T0OTHER01"
	}
	notYours := "This questionnaire belongs to someone else in the round for <#CHIDDEN1>: only the person it was sent to can answer it. Nothing was changed."
	for _, tt := range []struct {
		name string
		cb   slack.InteractionCallback
		to   string
		want string
	}{
		{"addressed, naming a round in a private channel", forge(fac, reveal, "Q3", "Already being addressed", value("2:Q3")), fac, errTampered.msg},
		{"assign, naming a round in a private channel", forge(fac, reveal, "Q3", "Assign owner", value("2:Q3")), fac, errTampered.msg},
		{"the one question, naming a round in a private channel", forge(fac, reveal, "", "Answer it as a team", value("2")), fac, errTampered.msg},
		{"start next, naming a round in a private channel", forge(fac, reveal, "", "Answer it as a team",
			func(_ *slack.InteractionCallback, a *slack.BlockAction) {
				a.ActionID, a.Value = render.ActionStartNext, "2"
			}), fac, errTampered.msg},
		{"addressed, from another workspace", forge(fac, reveal, "Q3", "Already being addressed", team), fac, errTampered.msg},
		{"assign, from another workspace", forge(fac, reveal, "Q3", "Assign owner", team), fac, errTampered.msg},
		{"addressed, a question that does not exist", forge(fac, reveal, "Q3", "Already being addressed", value("1:Q42")), fac, errTampered.msg},
		{"assign, a question that does not exist", forge(fac, reveal, "Q3", "Assign owner", value("1:Q42")), fac, errTampered.msg},
		{"addressed, not a value we send", forge(fac, reveal, "Q3", "Already being addressed", value("1:Q3:x")), fac, errTampered.msg},
		{"done, naming a round in a private channel", forge(owner, dm, "", "Done", value("2:Q1")), owner, errTampered.msg},
		{"done, a gap without an action", forge(owner, dm, "", "Done", value("1:Q3")), owner, errTampered.msg},
		{"done, a question that does not exist", forge(owner, dm, "", "Done", value("1:Q42")), owner, errTampered.msg},
		{"done, from another workspace", forge(owner, dm, "", "Done", team), owner, errTampered.msg},
		{"done, clicked in the channel", forge(owner, dm, "", "Done", func(cb *slack.InteractionCallback, _ *slack.BlockAction) {
			cb.Container.ChannelID, cb.Channel.ID = revenue, revenue
		}), owner, errTampered.msg},
		{"blocked, a question that does not exist", forge(owner, dm, "", "Blocked", value("1:Q42")), owner, errTampered.msg},
		{"a score in a role that isn't theirs", forge(sales, card, "Q1", "2", blockID("answer:2:marketing:Q1")), sales, notYours},
		{"a score in a role nobody has", forge(sales, card, "Q1", "2", blockID("answer:2:observer:Q1")), sales, notYours},
		{"a score for a question that does not exist", forge(sales, card, "Q1", "2", blockID("answer:2:sales:Q42")), sales, errTampered.msg},
		{"a score the button does not carry", forge(sales, card, "Q1", "2", value("1")), sales, errTampered.msg},
		{"a score of 3", forge(sales, card, "Q1", "2", func(_ *slack.InteractionCallback, a *slack.BlockAction) { a.ActionID, a.Value = "answer_3", "3" }), sales, errTampered.msg},
		{"a score from another workspace", forge(sales, card, "Q1", "2", team), sales, errTampered.msg},
		{"a score naming round 1, revealed", forge(sales, card, "Q1", "2", blockID("answer:1:sales:Q1")), sales,
			"The round for <#CREVENUE> is already revealed: answers are final. Nothing was changed."},
		{"declining in a role that isn't theirs", forge(sales, card, "", "Not me", value("2:marketing")), sales, errTampered.msg},
		{"submitting a round that does not exist", forge(sales, card, "", "Not me", func(_ *slack.InteractionCallback, a *slack.BlockAction) {
			a.ActionID, a.Value = render.ActionSubmit, "99"
		}), sales, errTampered.msg},
		{"an unknown button", forge(fac, reveal, "Q3", "Assign owner", func(_ *slack.InteractionCallback, a *slack.BlockAction) { a.ActionID = "drop_tables" }), fac, errTampered.msg},
	} {
		if got := h.secSend(tt.cb, tt.to); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	// The forms such buttons would open, with their metadata forged.
	for _, tt := range []struct {
		callback, metadata, field string
		values                    map[string]map[string]slack.BlockAction
	}{
		{render.CallbackAssign, marshal(assignMetadata{Gap: "2:Q3", Channel: hidden}), "owner",
			map[string]map[string]slack.BlockAction{"owner": {"user": {Type: "users_select", SelectedUser: obs}}, "action": {"text": {Type: "plain_text_input", Value: "x"}}}},
		{render.CallbackAssign, marshal(assignMetadata{Gap: "1:Q3", Channel: hidden}), "owner",
			map[string]map[string]slack.BlockAction{"owner": {"user": {Type: "users_select", SelectedUser: obs}}, "action": {"text": {Type: "plain_text_input", Value: "x"}}}},
		{render.CallbackBlocked, marshal(statusMetadata{Gap: "1:Q7", Where: revenue}), "reason",
			map[string]map[string]slack.BlockAction{"reason": {"text": {Type: "plain_text_input", Value: "x"}}}},
		{render.CallbackOneAnswer, "2", "answer", map[string]map[string]slack.BlockAction{"answer": {"text": {Type: "plain_text_input", Value: "x"}}}},
	} {
		var cb slack.InteractionCallback
		cb.Type = slack.InteractionTypeViewSubmission
		who := fac
		if tt.callback == render.CallbackBlocked {
			who = owner
		}
		teamID := h.slack.Identity().TeamID
		cb.User = slack.User{ID: who, TeamID: teamID}
		cb.Team = slack.Team{ID: teamID}
		cb.View = slack.View{ID: "VFORGED02", Type: slack.VTModal, CallbackID: tt.callback, PrivateMetadata: tt.metadata,
			State: &slack.ViewState{Values: tt.values}}
		errs := h.secSubmission(cb)
		if errs[tt.field] == "" || (errs[tt.field] != errTampered.msg && !strings.HasPrefix(errs[tt.field], "Round 2 isn't revealed yet.")) {
			t.Errorf("the %s form with metadata %s: %v, want it refused as tampered", tt.callback, tt.metadata, errs)
		}
	}
	h.settle()
	h.secUnchanged("forged buttons and forms", before)
	if n := len(h.current(reveal).Revisions); n != revisions {
		t.Errorf("the reveal was updated %d times by forged buttons", n-revisions)
	}
	if a, err := h.store.Action(ctx, 1, "Q7"); err != nil || a.Status != storage.ActionOpen {
		t.Errorf("the action is %s (%v), want open", a.Status, err)
	}
	h.secNoInternalErrors()
}

// TestSecurityLimits: texts are counted in characters, not bytes; control
// characters are refused with a clear message; an unknown word is repeated
// short; a reason no form would let through is refused.
func TestSecurityLimits(t *testing.T) {
	t.Parallel()
	h, reveal := secRevealed(t)
	ctx := context.Background()
	m := h.slack.MentionUser
	e500, e501 := strings.Repeat("é", render.MaxText), strings.Repeat("é", render.MaxText+1)

	before := h.secState()
	for _, tt := range []struct{ cmd, want string }{
		{"assign Q3 " + m(owner) + " " + e501, "Keep it to 500 characters (this is 501): a 30-day step, not a plan."},
		{"assign Q3 " + m(owner) + " stop\x00here", "That text contains a control character (U+0000) that I can't store; nothing was changed. Please type it again."},
		{"assign Q3 " + m(owner) + " \x1b[31mred", "That text contains a control character (U+001B) that I can't store; nothing was changed. Please type it again."},
		{"status\x07", "That text contains a control character (U+0007) that I can't store; nothing was changed. Please type it again."},
	} {
		if got := h.ask(fac, revenue, tt.cmd); got != tt.want {
			t.Errorf("%q: %q, want %q", render.Clip(tt.cmd, 40), got, tt.want)
		}
	}
	long := strings.Repeat("x", 40000)
	got := h.ask(fac, revenue, long)
	if !strings.HasPrefix(got, "I don't know `x") || !strings.HasSuffix(got, "…`. Try `/alignment help`.") || strings.Count(got, "x") > 50 || utf8.RuneCountInString(got) > 100 {
		t.Errorf("an unknown 40 000-character word is answered with %d characters: %q", utf8.RuneCountInString(got), render.Clip(got, 200))
	}
	h.secUnchanged("refused commands", before)

	if got := h.ask(fac, revenue, "assign Q7 "+m(owner)+" "+e500); !strings.HasPrefix(got, "<@UOWEN001> owns Q7: _"+e500+"_") {
		t.Errorf("an action of 500 é: %q", render.Clip(got, 100))
	}
	if a, err := h.store.Action(ctx, 1, "Q7"); err != nil || a.Description != e500 {
		t.Errorf("stored %d characters (%v), want the 500 é", utf8.RuneCountInString(a.Description), err)
	}

	// In forms.
	h.settle()
	dm := h.secOwnerDM(owner, "Q7")
	before = h.secState()
	for _, tt := range []struct {
		card, label, callback, field string
		values                       map[string]map[string]string
		from                         slackfake.Message
		user                         string
		want                         string
	}{
		{"", "Blocked", render.CallbackBlocked, "reason", map[string]map[string]string{"reason": {"text": strings.Repeat("a", 100000)}}, dm, owner,
			"Keep it to 500 characters (this is 100000): a 30-day step, not a plan."},
		{"", "Blocked", render.CallbackBlocked, "reason", map[string]map[string]string{"reason": {"text": "waiting\x00"}}, dm, owner,
			"That text contains a control character (U+0000) that I can't store; nothing was changed. Please type it again."},
		{"Q3", "Assign owner", render.CallbackAssign, "action", map[string]map[string]string{"owner": {"user": owner}, "action": {"text": e501}}, reveal, fac,
			"Keep it to 500 characters (this is 501): a 30-day step, not a plan."},
		{"Q3", "Assign owner", render.CallbackAssign, "action", map[string]map[string]string{"owner": {"user": owner}, "action": {"text": "a\x00b"}}, reveal, fac,
			"That text contains a control character (U+0000) that I can't store; nothing was changed. Please type it again."},
		{"", "Answer it as a team", render.CallbackOneAnswer, "answer", map[string]map[string]string{"answer": {"text": e501}}, reveal, fac,
			"Keep it to 500 characters (this is 501): a 30-day step, not a plan."},
		{"", "Answer it as a team", render.CallbackOneAnswer, "answer", map[string]map[string]string{"answer": {"text": "Q7\x1f"}}, reveal, fac,
			"That text contains a control character (U+001F) that I can't store; nothing was changed. Please type it again."},
	} {
		errs := h.secForm(tt.user, tt.from, tt.card, tt.label, tt.callback, tt.values)
		if errs[tt.field] != tt.want || len(errs) != 1 {
			t.Errorf("the %s form: %v, want %q under %q", tt.label, errs, tt.want, tt.field)
		}
	}
	h.settle()
	h.secUnchanged("refused forms", before)
	if errs := h.secForm(fac, reveal, "", "Answer it as a team", render.CallbackOneAnswer, map[string]map[string]string{"answer": {"text": e500}}); errs != nil {
		t.Errorf("a one answer of 500 é: %v", errs)
	}
	if errs := h.secForm(owner, dm, "", "Blocked", render.CallbackBlocked, map[string]map[string]string{"reason": {"text": "é\n" + e500[:2*(render.MaxText-2)]}}); errs != nil {
		t.Errorf("a reason of 500 characters over two lines: %v", errs)
	}
	h.settle()
	for _, msg := range append(h.slack.Messages(revenue), h.slack.DMs(owner)...) {
		var blocks []struct {
			Type string `json:"type"`
			Text struct {
				Text string `json:"text"`
			} `json:"text"`
		}
		_ = json.Unmarshal(msg.Blocks, &blocks)
		if len(blocks) > render.MaxBlocks {
			t.Errorf("message %s has %d blocks", msg.TS, len(blocks))
		}
		for _, b := range blocks {
			if n := utf8.RuneCountInString(b.Text.Text); n > 3000 {
				t.Errorf("message %s has a %s of %d characters", msg.TS, b.Type, n)
			}
		}
	}
	var parked int
	if err := h.store.DB().Get(&parked, `SELECT count(*) FROM jobs WHERE state NOT IN ('pending', 'done', 'cancelled')`); err != nil || parked != 0 {
		t.Errorf("%d jobs parked (%v)", parked, err)
	}
	h.secNoInternalErrors()
}
