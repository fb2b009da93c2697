package bot

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"

	"github.com/alignbot/alignbot/internal/testclock"
)

// Fuzz tests for what people send: the text after /alignment, and the
// block_actions and view_submission payloads. Their seed corpus runs with
// every go test; to look further:
//
//	go test ./bot -run '^$' -fuzz FuzzParseCommand -fuzztime 1m
//	go test ./bot -run '^$' -fuzz FuzzInteraction -fuzztime 1m

// fuzzMaxReply is the most a refusal may say: it repeats at most a short
// piece of what was typed.
const fuzzMaxReply = 1000

// fuzzBotForms are the only '<' forms a reply may hold: mentions and
// channel links the bot made from IDs it checked.
var fuzzBotForms = regexp.MustCompile(`<@[UW][A-Z0-9]+>|<#[CG][A-Z0-9]+>`)

// fuzzUserID is the shape of a user ID, mentioned or typed.
var fuzzUserID = regexp.MustCompile(`^[UW][A-Z0-9]+$`)

// fuzzCheckReply fails unless err is a userError whose text is short and
// cannot ping or link.
func fuzzCheckReply(t *testing.T, input string, err error) {
	t.Helper()
	var ue userError
	if !errors.As(err, &ue) {
		t.Fatalf("%q: %v (%T) is not a userError: the person would read \"Something went wrong\"", input, err, err)
	}
	if n := utf8.RuneCountInString(ue.msg); n > fuzzMaxReply || ue.msg == "" {
		t.Errorf("%q: a reply of %d characters", input, n)
	}
	if rest := fuzzBotForms.ReplaceAllString(ue.msg, ""); strings.Contains(rest, "<") || strings.Contains(ue.msg, "<!") {
		t.Errorf("%q: the reply %q holds a mention or link that was typed", input, ue.msg)
	}
	if !utf8.ValidString(ue.msg) {
		t.Errorf("%q: the reply %q is not UTF-8", input, ue.msg)
	}
}

// fuzzCheckText fails unless s is fit to store: trimmed, not empty, at most
// render.MaxText characters, UTF-8, no control character but line breaks
// and tabs.
func fuzzCheckText(t *testing.T, input, s string) {
	t.Helper()
	if s == "" || s != strings.TrimSpace(s) || utf8.RuneCountInString(s) > render.MaxText || !utf8.ValidString(s) {
		t.Errorf("%q: accepted %q", input, s)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			t.Errorf("%q: accepted %q with %U", input, s, r)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, seed := range []string{
		"", "help", "status", "history", "cancel", "cancel now", "extend 3d", "extend 48h", "extend 61d", "extend -1h",
		"start", "start <@UMARIA01|maria> <@USAMUE01|samuel>", "start <@UMARIA01|maria> <@USAMUE01|samuel> <@UOLGA001|olga> <#CREVENUE|revenue>",
		"start UMARIA01 USAMUE01 stage-gate", "start <@UMARIA01> <@UMARIA01>", "start @maria @samuel", "start <@UMARIA01> #revenue",
		"start <@UMARIA01> <@USAMUE01> <#CREVENUE|revenue> <#CQUIET01|quiet>",
		"assign Q7 <@UOWEN001|owen> <!channel> <!here> <https://evil.example|Log in to unblock> <!subteam^S0123|@mkt-team>",
		"assign q3 UOWEN001 R&amp;D &lt;b&gt; <!date^1793887200^{date}|Mon> <mailto:x@evil.example|mail> <#CSECRET1>",
		"assign Q7 <@UOWEN001|owen> " + strings.Repeat("é", render.MaxText), "assign Q7 <@UOWEN001|owen> " + strings.Repeat("é", render.MaxText+1),
		"assign Q7 <!channel> do it", "assign Q100 <@UOWEN001> x", "assign Q7 <@UOWEN001|owen> a\x00b", "assign Q7 <@UOWEN001|owen> \x1b[31mred",
		"addressed Q3", "unaddressed 10", "addressed Q3 Q4", "addressed <!channel>",
		"<!channel>", "\x00", "\xff\xfe", strings.Repeat("x", 40000), "ASSIGN Q1 <@U1> ok", "start <@W0ABC|x> <@U0DEF|y>",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := parseCommand(text)
		if err != nil {
			fuzzCheckReply(t, text, err)
			return
		}
		switch c.name {
		case "help", "status", "history", "cancel", "addressed", "unaddressed":
		case "start":
			seen := map[string]bool{}
			for _, u := range c.users {
				if !fuzzUserID.MatchString(u) || seen[u] {
					t.Errorf("%q: start with people %q", text, c.users)
				}
				seen[u] = true
			}
			if c.channel != "" && !channelID.MatchString(c.channel) {
				t.Errorf("%q: start in %q", text, c.channel)
			}
			if n := len(c.users); n == 1 || n > 3 {
				t.Errorf("%q: start with %d people", text, n)
			}
		case "assign":
			if len(c.users) != 1 || !fuzzUserID.MatchString(c.users[0]) {
				t.Errorf("%q: assign to %q", text, c.users)
			}
			fuzzCheckText(t, text, c.text)
			if rest := render.Inert(c.text, render.MaxText); strings.ContainsAny(strings.NewReplacer("&lt;", "", "&gt;", "", "&amp;", "").Replace(rest), "<>") {
				t.Errorf("%q: the action renders as %q", text, rest)
			}
		case "extend":
			if c.extend <= 0 || c.extend > 60*24*time.Hour {
				t.Errorf("%q: extend by %v", text, c.extend)
			}
		default:
			t.Errorf("%q: parsed as %q", text, c.name)
		}
		if c.question != "" && !regexp.MustCompile(`^Q[0-9]{1,2}$`).MatchString(c.question) {
			t.Errorf("%q: question %q", text, c.question)
		}
	})
}

// fuzzSeedPayloads returns real interaction payloads: clicks on the buttons
// of a questionnaire, a reveal and an owner's DM as alignbot renders them,
// built by the fake Slack as Slack would send them, and a submission of
// each form.
func fuzzSeedPayloads(f *testing.F) [][]byte {
	f.Helper()
	fake := slackfake.Start(f, slackfake.WithoutRateLimits())
	fake.AddUser(slackfake.User{ID: "UFACIL01", Name: "fiona"})
	fake.AddUser(slackfake.User{ID: "UMARIA01", Name: "maria"})
	fake.AddChannel(slackfake.Channel{ID: "CREVENUE", Name: "revenue", Members: []string{"UFACIL01", "UMARIA01"}, BotMember: true})
	dm := fake.OpenDM("UMARIA01")
	in := scoring.AlignmentMaturity
	now := time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)
	round := storage.Round{ID: 7, WorkspaceID: "T1", ChannelID: "CREVENUE", Instrument: in.ID, State: storage.Collecting,
		FacilitatorID: "UFACIL01", CreatedAt: now, DeadlineAt: now.Add(168 * time.Hour)}
	lead := storage.Respondent{RoundID: 7, Role: scoring.Marketing, UserID: "UMARIA01", DMChannelID: dm}
	answers, guesses := scoring.Answers{}, scoring.Answers{}
	for i, q := range in.Questions {
		answers[q.ID], guesses[q.ID] = i%3, (i+1)%3
	}
	revealed := round
	submittedLead := lead
	submittedLead.SubmittedAt = &now
	revealed.State, revealed.RevealedAt = storage.Revealed, &now
	action := storage.Action{RoundID: 7, QuestionID: "Q6", OwnerID: "UMARIA01", AssignedBy: "UFACIL01", Description: "Write it down",
		AssignedAt: now, DueAt: now.Add(720 * time.Hour)}
	rv, err := report.Assemble(in, revealed, report.Facts{
		Respondents: []storage.Respondent{submittedLead, {RoundID: 7, Role: scoring.Sales, UserID: "USAMUE01", SubmittedAt: &now}},
		Submitted:   storage.Submitted{Answers: map[scoring.Role]scoring.Answers{scoring.Marketing: answers, scoring.Sales: guesses}},
		Actions:     []storage.Action{action},
	})
	if err != nil {
		f.Fatal(err)
	}
	result, _ := rv.Comparison.QuestionResult("Q6")
	type click struct{ label, prefix string }
	posts := []struct {
		channel, user string
		msg           render.Message
		clicks        []click
	}{
		{dm, "UMARIA01", render.RenderQuestionnaire(render.Questionnaire{Instrument: in, Round: round, Respondent: lead,
			Answers: scoring.Answers{"Q1": 2}, Open: "Q2"}), []click{{"Q2", "0"}, {"Q2", "2"}, {"Q1", "Change"}, {"", "Not me"}}},
		{dm, "UMARIA01", render.RenderQuestionnaire(render.Questionnaire{Instrument: in, Round: round, Respondent: lead,
			Answers: answers, Predictions: scoring.Answers{"Q1": 1}, Predicting: true, Open: "Q2"}), []click{{"Q2", "1"}, {"", "Skip"}, {"", "Done guessing"}}},
		{dm, "UMARIA01", render.RenderQuestionnaire(render.Questionnaire{Instrument: in, Round: round, Respondent: lead,
			Answers: answers}), []click{{"", "Submit"}, {"", "Guess"}}},
		{"CREVENUE", "UFACIL01", render.RenderReveal(rv, render.Workspace{}), []click{{"", "Assign owner"}, {"", "Already being addressed"},
			{"", "Change owner"}, {"", "Answer it as a team"}}},
		{dm, "UMARIA01", render.RenderOwnerDM(render.OwnerDM{Instrument: in, Round: rv.Round, Action: action, Result: result}),
			[]click{{"", "Done"}, {"", "Still on it"}, {"", "Blocked"}}},
	}
	api := fake.NewClient()
	var out [][]byte
	for _, p := range posts {
		_, ts, err := api.PostMessageContext(context.Background(), p.channel, p.msg.Options()...)
		if err != nil {
			f.Fatal(err)
		}
		for _, c := range p.clicks {
			cb, err := fake.BuildClick(p.user, slackfake.Message{Channel: p.channel, TS: ts}, c.label, c.prefix)
			if err != nil {
				f.Fatalf("%s %q: %v", c.label, c.prefix, err)
			}
			raw, err := json.Marshal(cb)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, raw)
		}
	}
	submission := func(callbackID, metadata string, values map[string]map[string]slack.BlockAction) []byte {
		var cb slack.InteractionCallback
		cb.Type = slack.InteractionTypeViewSubmission
		cb.User.ID, cb.Team.ID = "UFACIL01", "T1"
		cb.View = slack.View{ID: "V1", Type: slack.VTModal, CallbackID: callbackID, PrivateMetadata: metadata,
			State: &slack.ViewState{Values: values}}
		raw, err := json.Marshal(cb)
		if err != nil {
			f.Fatal(err)
		}
		return raw
	}
	text := func(s string) slack.BlockAction { return slack.BlockAction{Type: "plain_text_input", Value: s} }
	user := func(u string) slack.BlockAction { return slack.BlockAction{Type: "users_select", SelectedUser: u} }
	out = append(out,
		submission(render.CallbackAssign, marshal(assignMetadata{Gap: "7:Q6", Channel: "CREVENUE"}), map[string]map[string]slack.BlockAction{
			"owner": {"user": user("UMARIA01")}, "action": {"text": text("<!channel> & <script> \x00")}}),
		submission(render.CallbackBlocked, marshal(statusMetadata{Gap: "7:Q6", Where: dm}), map[string]map[string]slack.BlockAction{
			"reason": {"text": text(strings.Repeat("é", render.MaxText+1))}}),
		submission(render.CallbackOneAnswer, "7", map[string]map[string]slack.BlockAction{"answer": {"text": text("Q6, <https://evil.example|because>")}}),
		submission(render.CallbackStart, startMetadata("CREVENUE"), map[string]map[string]slack.BlockAction{
			"marketing": {"user": user("UMARIA01")}, "sales": {"user": user("USAMUE01")},
			"channel":    {"channel": {Type: "conversations_select", SelectedConversation: "CHIDDEN1"}},
			"instrument": {"instrument": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "stage-gate"}}}}),
		[]byte(`{"type":"block_actions","actions":[{"action_id":"answer_2","block_id":"answer:7:marketing:Q99","value":"2"},null]}`),
		[]byte(`{"type":"view_submission","view":{"callback_id":"assign_owner","private_metadata":"{\"gap\":7}","state":{"values":{"action":{"text":{"value":null}}}}}}`),
	)
	return out
}

// FuzzInteraction: any block_actions or view_submission payload decodes
// without a panic, and what the handlers read from it goes through the same
// checks they use: button values and block_ids through render's parsers,
// form text through actionText and checkControl, metadata through
// unmarshal. A value is accepted only in the form alignbot writes it, and
// accepted text is fit to store.
func FuzzInteraction(f *testing.F) {
	for _, seed := range fuzzSeedPayloads(f) {
		f.Add(seed)
	}
	b := &Bot{clock: testclock.New(t0)}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var cb slack.InteractionCallback
		if err := json.Unmarshal(payload, &cb); err != nil {
			return
		}
		_ = clickedIn(cb)
		for _, a := range cb.ActionCallback.BlockActions {
			if a == nil {
				continue
			}
			_ = b.clickTime(a)
			for _, prefix := range []string{render.BlockAnswerPrefix, render.BlockPredictPrefix} {
				if slot, err := render.ParseSlot(strings.TrimPrefix(a.BlockID, prefix)); err == nil && prefix+slot.String() != a.BlockID && slot.String() != a.BlockID {
					t.Errorf("block_id %q parsed as %+v", a.BlockID, slot)
				}
			}
			for _, prefix := range []string{render.ActionAnswer, render.ActionPredict} {
				if score, err := render.ParseScoreAction(prefix, a.ActionID, a.Value); err == nil && render.ScoreAction(prefix, score) != a.ActionID {
					t.Errorf("score button %q = %q parsed as %d", a.ActionID, a.Value, score)
				}
			}
			if slot, err := render.ParseSlot(a.Value); err == nil && slot.String() != a.Value {
				t.Errorf("value %q parsed as slot %+v", a.Value, slot)
			}
			if round, q, err := render.ParseGap(a.Value); err == nil && render.GapValue(round, q) != a.Value {
				t.Errorf("value %q parsed as gap %d %s", a.Value, round, q)
			}
			if round, err := render.ParseRound(a.Value); err == nil && render.RoundValue(round) != a.Value {
				t.Errorf("value %q parsed as round %d", a.Value, round)
			}
			_ = storage.ActionStatus(strings.TrimPrefix(a.ActionID, render.ActionStatus+"_")).Valid()
			_ = hasPrefix(a.ActionID, render.ActionAnswer+"_")
		}
		var am assignMetadata
		unmarshal(cb.View.PrivateMetadata, &am)
		var sm statusMetadata
		unmarshal(cb.View.PrivateMetadata, &sm)
		var st startModalMetadata
		unmarshal(cb.View.PrivateMetadata, &st)
		for _, gap := range []string{am.Gap, sm.Gap} {
			if round, q, err := render.ParseGap(gap); err == nil && render.GapValue(round, q) != gap {
				t.Errorf("metadata gap %q parsed as %d %s", gap, round, q)
			}
		}
		_, _ = render.ParseRound(cb.View.PrivateMetadata)
		for _, field := range [][2]string{{"action", "text"}, {"reason", "text"}, {"answer", "text"}} {
			v := stateValue(cb, field[0], field[1]).Value
			if s, err := actionText(v, field[0]); err == nil {
				fuzzCheckText(t, v, s)
			} else {
				fuzzCheckReply(t, v, err)
				var ue userError
				if errors.As(err, &ue) && ue.field != field[0] {
					t.Errorf("%q: the refusal is under %q, not %q", v, ue.field, field[0])
				}
			}
		}
		_ = stateValue(cb, "owner", "user").SelectedUser
		_ = stateValue(cb, "channel", "channel").SelectedConversation
		_ = stateValue(cb, "instrument", "instrument").SelectedOption.Value
		if cb.View.State != nil {
			for _, actions := range cb.View.State.Values {
				for _, a := range actions {
					for _, multiline := range []bool{false, true} {
						if err := checkControl(a.Value, multiline); err != nil {
							fuzzCheckReply(t, a.Value, err)
						}
					}
				}
			}
		}
	})
}
