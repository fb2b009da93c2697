package render

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// lang is the language a golden test renders in. English golden files are
// testdata/<name>.json and .txt; the other languages' are under
// testdata/<lang>/.
type lang struct{ l locale.Lang }

// languages runs test once for each language alignbot speaks.
func languages(t *testing.T, test func(t *testing.T, g lang)) {
	for _, l := range locale.Langs {
		t.Run(string(l), func(t *testing.T) { test(t, lang{l}) })
	}
}

func (g lang) path(name string) string {
	if g.l == locale.English {
		return name
	}
	return filepath.Join(string(g.l), name)
}

// golden compares a rendered message with testdata/<name>.json (the Block
// Kit sent to Slack) and testdata/<name>.txt (the same, readable, with its
// size: blocks and characters), and checks Slack's limits.
func (g lang) golden(t *testing.T, name string, m Message) {
	t.Helper()
	if m.Text == "" {
		t.Errorf("%s has no text fallback", name)
	}
	goldenBlocks(t, g.path(name), m.Text, m.Blocks, MaxBlocks)
}

func (g lang) goldenView(t *testing.T, name string, v any, blocks []slack.Block) {
	t.Helper()
	goldenBlocks(t, g.path(name), "", blocks, MaxViewBlocks)
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, g.path(name)+".json", string(raw)+"\n")
}

func goldenBlocks(t *testing.T, name, text string, blocks []slack.Block, maxBlocks int) {
	t.Helper()
	checkLimits(t, name, blocks, maxBlocks)
	sameAsJSON(t, name, text, blocks)
	if text != "" {
		raw, err := json.MarshalIndent(map[string]any{"text": text, "blocks": blocks}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		compareGolden(t, name+".json", string(raw)+"\n")
	}
	body := readable(t, blocks)
	size := fmt.Sprintf("[%d blocks, %d characters]\n", len(blocks), utf8.RuneCountInString(body))
	compareGolden(t, name+".txt", size+body)
}

// checkLimits fails on what Slack would refuse: too many blocks, a section
// over 3 000 characters, two blocks with one block_id.
func checkLimits(t *testing.T, name string, blocks []slack.Block, maxBlocks int) {
	t.Helper()
	if len(blocks) > maxBlocks {
		t.Errorf("%s has %d blocks; Slack allows %d", name, len(blocks), maxBlocks)
	}
	ids := map[string]bool{}
	for _, b := range blocks {
		raw, _ := json.Marshal(b)
		var fields struct {
			BlockID string `json:"block_id"`
			Text    struct {
				Text string `json:"text"`
			} `json:"text"`
		}
		json.Unmarshal(raw, &fields)
		if fields.BlockID != "" && ids[fields.BlockID] {
			t.Errorf("%s: block_id %q twice; Slack refuses the message", name, fields.BlockID)
		}
		ids[fields.BlockID] = true
		if n := utf8.RuneCountInString(fields.Text.Text); n > maxSection {
			t.Errorf("%s: a block of %d characters", name, n)
		}
	}
}

func compareGolden(t *testing.T, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot/render -run %s -update to create it)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); rerun with -update if the change is intended:\n%s", file, diff)
	}
}

// readable renders blocks roughly as Slack shows them.
func readable(t *testing.T, blocks []slack.Block) string {
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var parsed []map[string]any
	if err := json.Unmarshal(raw, &parsed); err != nil {
		t.Fatal(err)
	}
	text := func(v any) string {
		if m, ok := v.(map[string]any); ok {
			s, _ := m["text"].(string)
			return s
		}
		return ""
	}
	buttonText := func(el map[string]any) string {
		label := "[ " + text(el["text"]) + " ]"
		if el["style"] == "primary" {
			label = "[*" + text(el["text"]) + "*]"
		}
		if u, ok := el["url"].(string); ok && u != "" {
			label += "(" + u + ")"
		}
		return label
	}
	var out []string
	for _, b := range parsed {
		switch b["type"] {
		case "header":
			out = append(out, "# "+text(b["text"]))
		case "section":
			line := text(b["text"])
			if acc, ok := b["accessory"].(map[string]any); ok {
				line += " " + buttonText(acc)
			}
			out = append(out, line)
		case "context":
			for _, e := range b["elements"].([]any) {
				out = append(out, "> "+strings.ReplaceAll(text(e), "\n", "\n> "))
			}
		case "divider":
			out = append(out, "────────")
		case "actions":
			var buttons []string
			for _, e := range b["elements"].([]any) {
				buttons = append(buttons, buttonText(e.(map[string]any)))
			}
			out = append(out, strings.Join(buttons, " "))
		case "input":
			el, _ := b["element"].(map[string]any)
			initial := ""
			for _, k := range []string{"initial_value", "initial_user", "initial_conversation"} {
				if v, ok := el[k].(string); ok && v != "" {
					initial = " = " + v
				}
			}
			if opt, ok := el["initial_option"].(map[string]any); ok {
				initial = " = " + fmt.Sprint(opt["value"])
			}
			out = append(out, fmt.Sprintf("<%s: %s%s>", text(b["label"]), b["block_id"], initial))
		default:
			out = append(out, fmt.Sprintf("(%s)", b["type"]))
		}
	}
	return strings.Join(out, "\n") + "\n"
}

var (
	t0       = time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)
	revealed = t0.Add(72 * time.Hour)
	later    = t0.Add(100 * time.Hour)
)

// round is a round of seed 000 whose channel speaks the test's language.
func (g lang) round(state storage.RoundState) storage.Round {
	r := storage.Round{ID: 7, WorkspaceID: "T1", ChannelID: "CREVENUE", Instrument: scoring.AlignmentMaturity.ID,
		State: state, FacilitatorID: "UFACIL01", CreatedAt: t0, DeadlineAt: t0.Add(168 * time.Hour), Language: string(g.l)}
	if state == storage.Revealed || state == storage.Closed {
		r.RevealedAt = &revealed
		next := revealed.Add(2160 * time.Hour)
		r.NextRoundAt = &next
		r.RevealTS = "1793887200.000100"
		r.AnnouncementTS = "1793628000.000100"
	}
	return r
}

func scoresOf(s ...int) scoring.Answers {
	a := scoring.Answers{}
	for i, v := range s {
		a[fmt.Sprintf("Q%d", i+1)] = v
	}
	return a
}

var workspace = Workspace{URL: "https://acme.slack.com/"}

func TestRenderQuestionnaire(t *testing.T) { languages(t, testRenderQuestionnaire) }

func testRenderQuestionnaire(t *testing.T, g lang) {
	in := scoring.AlignmentMaturity
	collecting := g.round(storage.Collecting)
	lead := storage.Respondent{RoundID: 7, Role: scoring.Marketing, UserID: "UMARIA01", DMChannelID: "D1", QuestionnaireTS: "1.1"}
	submitted := lead
	submitted.SubmittedAt = &later
	declined := lead
	declined.DeclinedAt = &later
	observer := storage.Respondent{RoundID: 7, Role: scoring.Observer, UserID: "UOLGA001"}
	partial := scoring.Answers{"Q1": 2, "Q2": 0, "Q3": 1}
	all := scoresOf(2, 1, 0, 1, 2, 1, 0, 2, 1, 1)
	tests := []struct {
		name string
		q    Questionnaire
	}{
		{"questionnaire_new", Questionnaire{Instrument: in, Round: collecting, Respondent: lead, Answers: scoring.Answers{}}},
		{"questionnaire_partial", Questionnaire{Instrument: in, Round: collecting, Respondent: lead, Answers: partial}},
		{"questionnaire_change", Questionnaire{Instrument: in, Round: collecting, Respondent: lead, Answers: partial, Open: "Q2"}},
		{"questionnaire_complete", Questionnaire{Instrument: in, Round: collecting, Respondent: lead, Answers: all}},
		{"questionnaire_predicting", Questionnaire{Instrument: in, Round: collecting, Respondent: lead, Answers: all,
			Predictions: scoring.Answers{"Q1": 0, "Q2": 1}, Predicting: true, Open: "Q3"}},
		{"questionnaire_observer_complete", Questionnaire{Instrument: in, Round: collecting, Respondent: observer, Answers: all}},
		{"questionnaire_submitted", Questionnaire{Instrument: in, Round: collecting, Respondent: submitted, Answers: all,
			Predictions: scoring.Answers{"Q1": 0}}},
		{"questionnaire_revealed", Questionnaire{Instrument: in, Round: g.round(storage.Revealed), Respondent: submitted, Answers: all, Workspace: workspace}},
		{"questionnaire_revealed_without_me", Questionnaire{Instrument: in, Round: g.round(storage.Revealed), Respondent: observer, Answers: partial}},
		{"questionnaire_declined", Questionnaire{Instrument: in, Round: collecting, Respondent: declined, Answers: partial}},
		{"questionnaire_cancelled", Questionnaire{Instrument: in, Round: g.round(storage.Cancelled), Respondent: lead, Answers: partial}},
		{"questionnaire_stage_gate", Questionnaire{Instrument: scoring.StageGate, Round: collecting, Respondent: lead, Answers: scoring.Answers{"Q1": 2}}},
	}
	for _, tt := range tests {
		tt.q.Lang = g.l
		t.Run(tt.name, func(t *testing.T) { g.golden(t, tt.name, RenderQuestionnaire(tt.q)) })
	}
	g.golden(t, "questionnaire_moved", RenderQuestionnaireMoved(g.l, collecting))
}

func respondents(submittedRoles ...scoring.Role) []storage.Respondent {
	out := []storage.Respondent{
		{RoundID: 7, Role: scoring.Marketing, UserID: "UMARIA01", Answered: 10},
		{RoundID: 7, Role: scoring.Sales, UserID: "USAMUE01", Answered: 3},
		{RoundID: 7, Role: scoring.Observer, UserID: "UOLGA001"},
	}
	for i := range out {
		for _, r := range submittedRoles {
			if out[i].Role == r {
				out[i].SubmittedAt = &later
			}
		}
	}
	return out
}

func TestRenderRound(t *testing.T) { languages(t, testRenderRound) }

func testRenderRound(t *testing.T, g lang) {
	in := scoring.AlignmentMaturity
	for _, tt := range []struct {
		name  string
		state storage.RoundState
		sub   []scoring.Role
	}{
		{"announcement_collecting", storage.Collecting, []scoring.Role{scoring.Marketing}},
		{"announcement_revealed_observer_missing", storage.Revealed, []scoring.Role{scoring.Marketing, scoring.Sales}},
		{"announcement_cancelled", storage.Cancelled, nil},
	} {
		r := g.round(tt.state)
		if tt.state == storage.Cancelled {
			r.CancelledBy = "UFACIL01"
		}
		g.golden(t, tt.name, RenderAnnouncement(RoundStatus{Instrument: in, Round: r, Respondents: respondents(tt.sub...)}))
	}
	people := respondents(scoring.Marketing)
	people[1].DeclinedAt = &later
	g.golden(t, "deadline_missing_lead", RenderDeadlineMissingLead(RoundStatus{Instrument: in, Round: g.round(storage.Collecting), Respondents: people}))
	g.golden(t, "declined_lead", RenderDeclined(g.l, in, g.round(storage.Collecting), people[1]))
	g.golden(t, "declined_observer", RenderDeclined(g.l, in, g.round(storage.Collecting), people[2]))

	q := Questionnaire{Instrument: in, Round: g.round(storage.Collecting), Respondent: people[0], Answers: scoresOf(2, 1, 0, 1, 2, 1, 0, 2), Lang: g.l}
	g.golden(t, "nudge_partial", RenderRespondentNudge(q, NudgeWaiting, t0.Add(48*time.Hour)))
	q.Answers = scoresOf(2, 1, 0, 1, 2, 1, 0, 2, 1, 1)
	g.golden(t, "nudge_complete", RenderRespondentNudge(q, NudgeWaiting, t0.Add(96*time.Hour)))
	q.Answers = scoring.Answers{}
	g.golden(t, "nudge_final", RenderRespondentNudge(q, NudgeFinal, t0.Add(168*time.Hour)))
	g.golden(t, "nudge_done", RenderNudgeDone(g.l, g.round(storage.Collecting), NudgeSubmitted))
	g.golden(t, "nudge_moved", RenderNudgeDone(g.l, g.round(storage.Collecting), NudgeMoved))
	g.golden(t, "nudge_declined", RenderNudgeDone(g.l, g.round(storage.Collecting), NudgeDeclined))
	g.golden(t, "nudge_round_over", RenderNudgeDone(g.l, g.round(storage.Revealed), NudgeRoundOver))

	g.golden(t, "rerun_week_before", RenderRerunReminder(in, g.round(storage.Revealed), respondents()[:2], 2160*time.Hour, false))
	g.golden(t, "rerun_day", RenderRerunReminder(in, g.round(storage.Revealed), respondents()[:2], 60*24*time.Hour, true))
	g.golden(t, "parked_not_in_channel", RenderParked(Parked{Lang: g.l, Round: g.round(storage.Revealed), What: "the reveal in <#CREVENUE>", SlackError: "not_in_channel"}))
	p := locale.For(g.l)
	g.golden(t, "parked_questionnaire", RenderParked(Parked{Lang: g.l, Round: g.round(storage.Collecting),
		What:       p.T("parked.questionnaire", "Whom", "<@USAMUE01> ("+p.Instrument(in).RoleLabel(scoring.Sales)+")"),
		SlackError: "user_disabled", Advice: p.T("parked.advice_respondent")}))
}

// reveal builds a reveal from made-up facts, as report.LoadBrief would.
func (g lang) reveal(t *testing.T, in *scoring.Instrument, state storage.RoundState, answers map[scoring.Role]scoring.Answers, predictions map[scoring.Role]scoring.Answers, actions []storage.Action, marks []storage.AddressedMark) report.Reveal {
	t.Helper()
	var people []storage.Respondent
	users := map[scoring.Role]string{scoring.Marketing: "UMARIA01", scoring.Sales: "USAMUE01", scoring.Observer: "UOLGA001"}
	for _, spec := range in.Roles {
		p := storage.Respondent{RoundID: 7, Role: spec.Role, UserID: users[spec.Role]}
		if _, ok := answers[spec.Role]; ok {
			p.SubmittedAt = &later
		} else if spec.Role != scoring.Observer {
			continue
		}
		people = append(people, p)
	}
	r := g.round(state)
	r.Instrument = in.ID
	rv, err := report.Assemble(in, r, report.Facts{Respondents: people,
		Submitted: storage.Submitted{Answers: answers, Predictions: predictions}, Actions: actions, Addressed: marks})
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

var (
	mktAnswers   = scoresOf(2, 2, 2, 1, 2, 1, 0, 2, 1, 1)
	salesAnswers = scoresOf(0, 1, 0, 1, 0, 0, 0, 0, 1, 2)
	obsAnswers   = scoresOf(1, 1, 0, 2, 1, 1, 0, 1, 1, 0)
)

func blockedAction() storage.Action {
	return storage.Action{RoundID: 7, QuestionID: "Q7", OwnerID: "UOWEN001", AssignedBy: "UFACIL01",
		Description: "Agree sourced vs influenced definitions with finance", Status: storage.ActionBlocked,
		BlockedReason: "waiting on the CRM admin", AssignedAt: revealed, DueAt: revealed.Add(720 * time.Hour)}
}

func TestRenderReveal(t *testing.T) { languages(t, testRenderReveal) }

func testRenderReveal(t *testing.T, g lang) {
	in := scoring.AlignmentMaturity
	from4 := int64(4)
	marks := []storage.AddressedMark{{QuestionID: "Q6", MarkedBy: "UFACIL01"}, {QuestionID: "Q10", FromRound: &from4}}
	tests := []struct {
		name string
		rv   report.Reveal
	}{
		{"reveal_with_observer", g.reveal(t, in, storage.Revealed,
			map[scoring.Role]scoring.Answers{scoring.Marketing: mktAnswers, scoring.Sales: salesAnswers, scoring.Observer: obsAnswers},
			nil, []storage.Action{blockedAction()}, marks)},
		{"reveal_observer_missing", g.reveal(t, in, storage.Revealed,
			map[scoring.Role]scoring.Answers{scoring.Marketing: mktAnswers, scoring.Sales: salesAnswers}, nil, nil, nil)},
		{"reveal_capped", g.reveal(t, in, storage.Revealed, map[scoring.Role]scoring.Answers{
			scoring.Marketing: scoresOf(2, 0, 2, 0, 2, 1, 2, 2, 2, 2), scoring.Sales: scoresOf(0, 2, 0, 2, 2, 1, 2, 2, 2, 2)}, nil, nil, nil)},
		{"reveal_one_gap", g.reveal(t, in, storage.Revealed, map[scoring.Role]scoring.Answers{
			scoring.Marketing: scoresOf(2, 2, 2, 2, 2, 2, 2, 2, 1, 2), scoring.Sales: scoresOf(2, 2, 2, 2, 2, 2, 2, 2, 2, 2)}, nil, nil, nil)},
		{"reveal_stage_gate", g.reveal(t, scoring.StageGate, storage.Revealed, map[scoring.Role]scoring.Answers{
			scoring.Marketing: scoresOf(2, 2, 2, 2, 2, 0, 1, 0), scoring.Sales: scoresOf(2, 0, 1, 2, 2, 0, 0, 0)}, nil, nil, nil)},
		{"reveal_revenue", g.reveal(t, scoring.RevenueAlignment, storage.Revealed, map[scoring.Role]scoring.Answers{
			scoring.Marketing: scoresOf(2, 2, 2, 2, 2, 2, 2, 2, 1, 1), scoring.Sales: scoresOf(1, 1, 0, 0, 1, 1, 1, 1, 1, 1)}, nil, nil, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g.golden(t, tt.name, RenderReveal(tt.rv, workspace))
			for i, part := range RenderRevealThread(tt.rv) {
				g.golden(t, fmt.Sprintf("%s_thread_%d", tt.name, i+1), part)
			}
		})
	}
}

func TestRenderRevealWithTrend(t *testing.T) { languages(t, testRenderRevealWithTrend) }

func testRenderRevealWithTrend(t *testing.T, g lang) {
	in := scoring.AlignmentMaturity
	done := blockedAction()
	done.Status, done.BlockedReason = storage.ActionDone, ""
	q1 := storage.Action{RoundID: 6, QuestionID: "Q1", OwnerID: "USAMUE01", AssignedBy: "UFACIL01", Description: "Write the definitions",
		Status: storage.ActionBlocked, BlockedReason: "legal review", AssignedAt: revealed, DueAt: revealed.Add(720 * time.Hour)}
	prev := g.reveal(t, in, storage.Closed, map[scoring.Role]scoring.Answers{
		scoring.Marketing: scoresOf(2, 2, 2, 1, 2, 1, 2, 2, 1, 1), scoring.Sales: scoresOf(0, 1, 0, 1, 0, 0, 0, 0, 1, 2)},
		map[scoring.Role]scoring.Answers{scoring.Marketing: scoresOf(0, 1, 0, 1, 0, 0, 2, 0, 1, 2)}, []storage.Action{done, q1}, nil)
	prev.Round.ID = 6
	prev.Round.OneAnswer, prev.Round.OneAnswerBy = "Attribution: we fight about it <!channel> every month", "UFACIL01"
	cur := g.reveal(t, in, storage.Revealed, map[scoring.Role]scoring.Answers{
		scoring.Marketing: scoresOf(2, 2, 2, 1, 2, 1, 2, 2, 1, 1), scoring.Sales: scoresOf(0, 1, 1, 1, 1, 0, 1, 0, 1, 2)},
		map[scoring.Role]scoring.Answers{scoring.Marketing: scoresOf(0, 1, 1, 1, 1, 0, 1, 0, 1, 2), scoring.Sales: scoresOf(2, 2, 2, 1, 2, 1, 2, 2, 1, 2)}, nil, nil)
	trend := report.Compare(prev, cur)
	cur.Trend = &trend
	g.golden(t, "reveal_trend", RenderReveal(cur, workspace))
	for i, part := range RenderRevealThread(cur) {
		g.golden(t, fmt.Sprintf("reveal_trend_thread_%d", i+1), part)
	}
}

func TestRenderOwner(t *testing.T) { languages(t, testRenderOwner) }

func testRenderOwner(t *testing.T, g lang) {
	in := scoring.AlignmentMaturity
	rv := g.reveal(t, in, storage.Revealed, map[scoring.Role]scoring.Answers{scoring.Marketing: mktAnswers, scoring.Sales: salesAnswers}, nil, nil, nil)
	q7, _ := rv.Comparison.QuestionResult("Q7")
	q1, _ := rv.Comparison.QuestionResult("Q1")
	a := blockedAction()
	a.Status, a.BlockedReason = storage.ActionOpen, ""
	dm := func(kind OwnerKind, a storage.Action, q scoring.QuestionResult, now time.Time) Message {
		return RenderOwnerDM(OwnerDM{Instrument: in, Round: rv.Round, Action: a, Result: q, Kind: kind, Now: now, Workspace: workspace, Lang: g.l})
	}
	g.golden(t, "owner_assigned", dm(OwnerAssigned, a, q7, revealed))
	suggested := a
	// The assign form was pre-filled in the assigner's language.
	lq1, _ := locale.For(g.l).Instrument(in).Question("Q1")
	suggested.QuestionID, suggested.Description = "Q1", lq1.Suggestion
	g.golden(t, "owner_assigned_suggestion", dm(OwnerAssigned, suggested, q1, revealed))
	g.golden(t, "owner_due_today", dm(OwnerDueToday, a, q7, a.DueAt))
	blocked := blockedAction()
	g.golden(t, "owner_overdue", dm(OwnerOverdue, blocked, q7, a.DueAt.Add(50*time.Hour)))
	blocked.Status = storage.ActionDone
	g.golden(t, "owner_done", dm(OwnerUpdated, blocked, q7, a.DueAt))
	g.golden(t, "owner_retired", RenderOwnerDMRetired(g.l, in, q7.Question, rv.Round))
	g.golden(t, "owner_reassigned", RenderOwnerReassigned(g.l, in, q7.Question, rv.Round, "UADMIN01"))
	g.golden(t, "note_assigned", NoteAssigned(g.l, in, q7.Question, "UFACIL01", a, false))
	g.golden(t, "note_status_blocked", NoteStatus(g.l, in, q7.Question, "UOWEN001", blockedAction()))
	g.golden(t, "note_addressed", NoteAddressed(g.l, in, q7.Question, "UFACIL01", false))
	g.golden(t, "note_unaddressed", NoteAddressed(g.l, in, q7.Question, "UFACIL01", true))
	g.golden(t, "note_closed", NoteClosed(rv.Round, 3))
	g.golden(t, "note_one_answer", NoteOneAnswer(g.l, in, "UFACIL01", "Attribution, because <!here> we argue about it"))
}

func TestRenderStatusHistoryHelp(t *testing.T) { languages(t, testRenderStatusHistoryHelp) }

func testRenderStatusHistoryHelp(t *testing.T, g lang) {
	in := scoring.AlignmentMaturity
	rv := g.reveal(t, in, storage.Revealed, map[scoring.Role]scoring.Answers{scoring.Marketing: mktAnswers, scoring.Sales: salesAnswers},
		nil, []storage.Action{blockedAction()}, nil)
	collecting := RoundStatus{Instrument: in, Round: g.round(storage.Collecting), Respondents: respondents(scoring.Marketing), Lang: g.l}
	g.golden(t, "status_collecting", Note(Status(collecting, nil)))
	g.golden(t, "status_revealed", Note(Status(RoundStatus{Instrument: in, Round: rv.Round, Respondents: rv.Respondents, Lang: g.l}, &rv)))
	next := rv
	next.Round.ID, next.Round.CreatedAt = 9, later.Add(2160*time.Hour)
	rows := []report.HistoryRow{
		{Round: storage.Round{ID: 10, Instrument: scoring.RevenueAlignment.ID, State: storage.Collecting, CreatedAt: later.Add(2200 * time.Hour)}},
		{Round: next.Round, Reveal: &next, Owned: 0},
		{Round: storage.Round{ID: 8, Instrument: in.ID, State: storage.Cancelled, CreatedAt: later.Add(100 * time.Hour)}},
		{Round: rv.Round, Reveal: &rv, Owned: 1, Closed: 1, Measured: true},
	}
	g.golden(t, "history", Note(History(g.l, "CREVENUE", rows)))
	g.golden(t, "history_empty", Note(History(g.l, "CREVENUE", nil)))
	g.golden(t, "help", Note(Help(g.l)))
	pending := Pending{
		Questionnaires: []PendingQuestionnaire{{Instrument: in, Round: g.round(storage.Collecting),
			Respondent: storage.Respondent{Role: scoring.Sales, UserID: "USAMUE01", Answered: 4}, URL: workspace.Permalink("D1", "1.2")}},
		Actions: []PendingAction{{Instrument: in, Round: rv.Round, Action: blockedAction()}},
		Lang:    g.l,
	}
	g.golden(t, "dm_reply", DMReply(pending))
	g.golden(t, "dm_reply_nothing", DMReply(Pending{Lang: g.l}))
	home := RenderHome(Home{Pending: pending, Started: []RoundStatus{collecting},
		Channels: []ChannelHistory{{ChannelID: "CREVENUE", Rows: rows}}, Lang: g.l})
	g.goldenView(t, "home", home, home.Blocks.BlockSet)
	empty := RenderHome(Home{Lang: g.l})
	g.goldenView(t, "home_empty", empty, empty.Blocks.BlockSet)
}

func TestRenderModals(t *testing.T) { languages(t, testRenderModals) }

func testRenderModals(t *testing.T, g lang) {
	in := scoring.AlignmentMaturity
	start := RenderStartModal(StartForm{Metadata: `{"channel_id":"CREVENUE"}`, ChannelID: "CREVENUE", Lang: g.l, Language: g.l})
	g.goldenView(t, "modal_start", start, start.Blocks.BlockSet)
	again := RenderStartModal(StartForm{ChannelID: "CREVENUE", Instrument: scoring.StageGate.ID, Lang: g.l, Language: locale.Japanese,
		People: map[scoring.Role]string{scoring.Marketing: "UMARIA01", scoring.Sales: "USAMUE01"}})
	g.goldenView(t, "modal_start_next", again, again.Blocks.BlockSet)
	rv := g.reveal(t, in, storage.Revealed, map[scoring.Role]scoring.Answers{scoring.Marketing: mktAnswers, scoring.Sales: salesAnswers}, nil, nil, nil)
	q7, _ := rv.Comparison.QuestionResult("Q7")
	assign := RenderAssignModal(AssignForm{Metadata: "7:Q7", Instrument: in, Result: q7, Lang: g.l})
	g.goldenView(t, "modal_assign", assign, assign.Blocks.BlockSet)
	a := blockedAction()
	change := RenderAssignModal(AssignForm{Metadata: "7:Q7", Instrument: in, Result: q7, Current: &a, Lang: g.l})
	g.goldenView(t, "modal_assign_change", change, change.Blocks.BlockSet)
	blocked := RenderBlockedModal(g.l, "7:Q7", q7.Question)
	g.goldenView(t, "modal_blocked", blocked, blocked.Blocks.BlockSet)
	one := RenderOneAnswerModal(g.l, "7", in, "")
	g.goldenView(t, "modal_one_answer", one, one.Blocks.BlockSet)
}

func TestTheAssignFormIsPrefilledWithTheSuggestion(t *testing.T) {
	for _, l := range locale.Langs {
		for _, in := range scoring.Instruments {
			for _, q := range in.Questions {
				v := RenderAssignModal(AssignForm{Instrument: in, Result: scoring.QuestionResult{Question: q}, Lang: l})
				raw, _ := json.Marshal(v)
				suggestion, _ := locale.For(l).Instrument(in).Question(q.ID)
				want, _ := json.Marshal(suggestion.Suggestion)
				if !strings.Contains(string(raw), `"initial_value":`+string(want)) {
					t.Errorf("%s %s %s: the form is not pre-filled with %q", l, in.ID, q.ID, suggestion.Suggestion)
				}
				if l != locale.English && suggestion.Suggestion == q.Suggestion {
					t.Errorf("%s %s %s: the suggestion is not translated", l, in.ID, q.ID)
				}
			}
		}
	}
}
