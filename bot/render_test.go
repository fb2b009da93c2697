package bot

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares a rendered message with testdata/<name>.json (the Block
// Kit sent to Slack) and testdata/<name>.txt (the same, readable).
func golden(t *testing.T, name string, m Message) {
	t.Helper()
	if len(m.Blocks) > maxBlocks {
		t.Errorf("%s has %d blocks; Slack allows %d", name, len(m.Blocks), maxBlocks)
	}
	if m.Text == "" {
		t.Errorf("%s has no text fallback", name)
	}
	ids := map[string]bool{}
	for _, b := range m.Blocks {
		raw, _ := json.Marshal(b)
		var id struct {
			BlockID string `json:"block_id"`
		}
		json.Unmarshal(raw, &id)
		if id.BlockID != "" && ids[id.BlockID] {
			t.Errorf("%s: block_id %q twice; Slack refuses the message", name, id.BlockID)
		}
		ids[id.BlockID] = true
	}
	raw, err := json.MarshalIndent(map[string]any{"text": m.Text, "blocks": m.Blocks}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, name+".json", string(raw)+"\n")
	compareGolden(t, name+".txt", readable(t, m.Blocks))
}

func compareGolden(t *testing.T, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot -run %s -update to create it)", err, t.Name())
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
	var out []string
	for _, b := range parsed {
		switch b["type"] {
		case "header":
			out = append(out, "# "+text(b["text"]))
		case "section":
			out = append(out, text(b["text"]))
		case "context":
			for _, e := range b["elements"].([]any) {
				out = append(out, "> "+strings.ReplaceAll(text(e), "\n", "\n> "))
			}
		case "divider":
			out = append(out, "────────")
		case "actions":
			var buttons []string
			for _, e := range b["elements"].([]any) {
				el := e.(map[string]any)
				label := "[ " + text(el["text"]) + " ]"
				if el["style"] == "primary" {
					label = "[*" + text(el["text"]) + "*]"
				}
				buttons = append(buttons, label)
			}
			out = append(out, strings.Join(buttons, " "))
		case "input":
			out = append(out, fmt.Sprintf("<%s: %s>", text(b["label"]), b["block_id"]))
		default:
			out = append(out, fmt.Sprintf("(%s)", b["type"]))
		}
	}
	return strings.Join(out, "\n") + "\n"
}

var (
	renderT0 = time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)
	revealed = renderT0.Add(72 * time.Hour)
)

func sampleRound(state storage.RoundState) storage.Round {
	r := storage.Round{ID: 7, WorkspaceID: "T1", ChannelID: "CREVENUE", Instrument: scoring.AlignmentMaturity.ID,
		State: state, FacilitatorID: "UFACIL01", CreatedAt: renderT0, DeadlineAt: renderT0.Add(168 * time.Hour)}
	if state == storage.Revealed || state == storage.Closed {
		r.RevealedAt = &revealed
		next := revealed.Add(2160 * time.Hour)
		r.NextRoundAt = &next
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

func TestRenderQuestionnaire(t *testing.T) {
	in := scoring.AlignmentMaturity
	tests := []struct {
		name string
		q    Questionnaire
	}{
		{"questionnaire_new", Questionnaire{Instrument: in, Round: sampleRound(storage.Collecting), Role: scoring.Sales, Answers: scoring.Answers{}}},
		{"questionnaire_partial", Questionnaire{Instrument: in, Round: sampleRound(storage.Collecting), Role: scoring.Marketing,
			Answers: scoring.Answers{"Q1": 2, "Q2": 0, "Q4": 1, "Q10": 2}}},
		{"questionnaire_submitted", Questionnaire{Instrument: in, Round: sampleRound(storage.Collecting), Role: scoring.Observer,
			Answers: scoresOf(2, 1, 0, 1, 2, 1, 0, 2, 1, 1), Submitted: true}},
		{"questionnaire_cancelled", Questionnaire{Instrument: in, Round: sampleRound(storage.Cancelled), Role: scoring.Sales,
			Answers: scoring.Answers{"Q1": 2}}},
		{"questionnaire_revealed_without_me", Questionnaire{Instrument: in, Round: sampleRound(storage.Revealed), Role: scoring.Observer,
			Answers: scoring.Answers{"Q1": 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden(t, tt.name, renderQuestionnaire(tt.q)) })
	}
}

func TestRenderAnnouncement(t *testing.T) {
	now := renderT0
	respondents := []storage.Respondent{
		{Role: scoring.Marketing, UserID: "UMARIA01", SubmittedAt: &now, Answered: 10},
		{Role: scoring.Sales, UserID: "USAMUE01", Answered: 3},
		{Role: scoring.Observer, UserID: "UOLGA001"},
	}
	for _, state := range []storage.RoundState{storage.Collecting, storage.Revealed, storage.Cancelled} {
		t.Run(string(state), func(t *testing.T) {
			round := sampleRound(state)
			if state == storage.Cancelled {
				round.CancelledBy = "UFACIL01"
			}
			golden(t, "announcement_"+string(state), renderAnnouncement(RoundStatus{
				Instrument: scoring.AlignmentMaturity, Round: round, Respondents: respondents,
			}))
		})
	}
}

// sampleReveal builds a reveal as LoadReveal would, without a database.
func sampleReveal(t *testing.T, withObserver bool) Reveal {
	in := scoring.AlignmentMaturity
	now := renderT0
	responses := []scoring.Response{
		{Role: scoring.Marketing, Answers: scoresOf(2, 2, 2, 1, 2, 1, 0, 2, 1, 1)},
		{Role: scoring.Sales, Answers: scoresOf(0, 1, 0, 1, 0, 0, 0, 0, 1, 2)},
	}
	respondents := []storage.Respondent{
		{Role: scoring.Marketing, UserID: "UMARIA01", SubmittedAt: &now},
		{Role: scoring.Sales, UserID: "USAMUE01", SubmittedAt: &now},
		{Role: scoring.Observer, UserID: "UOLGA001"},
	}
	var missing []storage.Respondent
	if withObserver {
		responses = append(responses, scoring.Response{Role: scoring.Observer, Answers: scoresOf(1, 1, 0, 2, 1, 1, 0, 1, 1, 2)})
		respondents[2].SubmittedAt = &now
	} else {
		missing = respondents[2:]
	}
	c, err := scoring.Compare(in, responses)
	if err != nil {
		t.Fatal(err)
	}
	actions := []storage.Action{{RoundID: 7, QuestionID: "Q7", OwnerID: "UOWEN001", Description: "Agree sourced vs influenced definitions with finance",
		Status: storage.ActionBlocked, BlockedReason: "waiting on the CRM admin", DueAt: revealed.Add(720 * time.Hour)}}
	addressed := []AddressedGap{{Question: "Q3", FromRound: 4}, {Question: "Q6", MarkedBy: "UFACIL01"}}
	return Reveal{Instrument: in, Round: sampleRound(storage.Revealed), Respondents: respondents, Missing: missing,
		Comparison: c, Actions: actions, Addressed: addressed, TopGaps: topGaps(c, addressed, actions)}
}

func TestRenderReveal(t *testing.T) {
	for _, tt := range []struct {
		name         string
		withObserver bool
	}{{"reveal_with_observer", true}, {"reveal_observer_missing", false}} {
		t.Run(tt.name, func(t *testing.T) {
			rv := sampleReveal(t, tt.withObserver)
			parent, replies := renderReveal(rv)
			if len(replies) != 0 {
				t.Errorf("the reveal of this instrument fits one message, got %d replies", len(replies))
			}
			golden(t, tt.name, parent)
		})
	}
}

func TestRenderRevealWithTrend(t *testing.T) {
	prev := sampleReveal(t, false)
	prev.Round.ID = 6
	prev.Actions[0].Status = storage.ActionDone
	cur := sampleReveal(t, true)
	cur.Trend = new(Trend)
	*cur.Trend = compareRounds(prev, cur)
	parent, _ := renderReveal(cur)
	golden(t, "reveal_trend", parent)
}

// TestRevealSplitsWhenTooLong renders an instrument with more questions than
// one message can carry: the detail goes to thread replies, each within
// Slack's limit.
func TestRevealSplitsWhenTooLong(t *testing.T) {
	big := *scoring.AlignmentMaturity
	big.Questions = nil
	for i := 1; i <= 3000; i++ {
		q := scoring.AlignmentMaturity.Questions[(i-1)%10]
		q.ID = fmt.Sprintf("Q%d", i)
		big.Questions = append(big.Questions, q)
	}
	big.Tiers = []scoring.Tier{{Number: 1, Name: "Low", Min: 0, Max: 3000}, {Number: 2, Name: "High", Min: 3001, Max: 6000}}
	big.NextMoves = map[int]scoring.NextMove{1: {Title: "a"}, 2: {Title: "b"}}
	a, b := scoring.Answers{}, scoring.Answers{}
	for i, q := range big.Questions {
		a[q.ID], b[q.ID] = i%3, (i+1)%3
	}
	c, err := scoring.Compare(&big, []scoring.Response{{Role: scoring.Marketing, Answers: a}, {Role: scoring.Sales, Answers: b}})
	if err != nil {
		t.Fatal(err)
	}
	rv := Reveal{Instrument: &big, Round: sampleRound(storage.Revealed), Comparison: c, TopGaps: topGaps(c, nil, nil),
		Respondents: []storage.Respondent{{Role: scoring.Marketing, UserID: "U1"}, {Role: scoring.Sales, UserID: "U2"}}}
	parent, replies := renderReveal(rv)
	if len(replies) == 0 {
		t.Fatal("a 3000-question comparison was not split into thread replies")
	}
	lines := 0
	for i, m := range append([]Message{parent}, replies...) {
		if len(m.Blocks) > maxBlocks {
			t.Errorf("message %d has %d blocks", i, len(m.Blocks))
		}
		if m.Text == "" {
			t.Errorf("message %d has no text fallback", i)
		}
		for _, b := range m.Blocks {
			if s, ok := b.(*slack.SectionBlock); ok {
				if len(s.Text.Text) > maxSectionText {
					t.Errorf("message %d: a section of %d characters", i, len(s.Text.Text))
				}
				lines += strings.Count(s.Text.Text, "*: Marketing")
			}
		}
	}
	if lines != len(big.Questions) {
		t.Errorf("%d question lines across the messages, want %d", lines, len(big.Questions))
	}
}

func TestRenderOwnerDMs(t *testing.T) {
	q, _ := scoring.AlignmentMaturity.Question("Q7")
	a := storage.Action{RoundID: 7, QuestionID: "Q7", OwnerID: "UOWEN001", AssignedBy: "UFACIL01",
		Description: "Agree sourced vs influenced definitions with finance", Status: storage.ActionOpen,
		AssignedAt: revealed, DueAt: revealed.Add(720 * time.Hour)}
	round := sampleRound(storage.Revealed)
	golden(t, "owner_assigned", renderOwnerDM(round, q, a, ownerAssigned, revealed))
	golden(t, "owner_due_today", renderOwnerDM(round, q, a, ownerDueToday, a.DueAt))
	a.Status, a.BlockedReason = storage.ActionBlocked, "waiting on the CRM admin"
	golden(t, "owner_overdue", renderOwnerDM(round, q, a, ownerOverdue, a.DueAt.Add(50*time.Hour)))
}

func TestRenderReminders(t *testing.T) {
	round := sampleRound(storage.Collecting)
	r := storage.Respondent{Role: scoring.Sales, UserID: "USAMUE01", Answered: 4}
	golden(t, "nudge_respondent", renderRespondentNudge(scoring.AlignmentMaturity, round, r, renderT0.Add(48*time.Hour)))
	golden(t, "nudge_respondent_late", renderRespondentNudge(scoring.AlignmentMaturity, round, r, renderT0.Add(200*time.Hour)))
	revealedRound := sampleRound(storage.Revealed)
	people := []storage.Respondent{{Role: scoring.Marketing, UserID: "UMARIA01"}, {Role: scoring.Sales, UserID: "USAMUE01"}}
	golden(t, "rerun_week_before", renderRerunReminder(revealedRound, people, false))
}
