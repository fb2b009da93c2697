package render

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// Slack refuses a message or view that breaks its limits, and a refused
// reveal can no longer be updated. Whatever is stored (text of any length,
// an instrument of thousands of questions), the renderers stay inside them.

const (
	limHuge       = 100_000 // characters of a description or reason no form allows
	limQuestions  = 3000
	limMaxText    = 40000 // Slack's msg_too_long
	limMaxFields  = 10
	limMaxField   = 2000
	limMaxActions = 25
	limMaxContext = 10
)

var (
	limT0       = time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)
	limRevealed = limT0.Add(72 * time.Hour)
)

// limHugeText is n characters of text a person could have typed, with
// every kind of character Slack reads specially.
func limHugeText(n int) string {
	unit := "é <!channel> & <https://evil.example|x> *bold* `code` \n"
	s := strings.Repeat(unit, n/utf8.RuneCountInString(unit)+1)
	return string([]rune(s)[:n])
}

// limInstrument is seed 000's instrument in language l, stretched to
// limQuestions questions, with tiers covering the larger totals: Japanese
// and Indonesian texts are shorter or longer than English in characters,
// and every limit holds in each.
func limInstrument(l locale.Lang) *scoring.Instrument {
	base := locale.For(l).Instrument(scoring.AlignmentMaturity)
	in := *base
	in.ID = "stretched"
	in.Questions = nil
	for i := range limQuestions {
		q := base.Questions[i%len(base.Questions)]
		q.ID = fmt.Sprintf("Q%d", i+1)
		q.Topic = fmt.Sprintf("%s %d", q.Topic, i+1)
		in.Questions = append(in.Questions, q)
	}
	scale := limQuestions / len(base.Questions)
	in.Tiers = nil
	for i, t := range base.Tiers {
		t.Min, t.Max = t.Min*scale, (t.Max+1)*scale-1
		if i == len(base.Tiers)-1 {
			t.Max = limQuestions * base.Scale.Max
		}
		in.Tiers = append(in.Tiers, t)
	}
	return &in
}

// limReveal is a revealed round of limInstrument in which every question is
// a structural gap, the top gaps and one in ten of the others have an owner
// whose action and blocked reason are limHuge characters long, a hundred questions are marked as already
// being addressed, and both leads guessed every answer wrong; with a
// previous round of the same, and a limHuge answer to the one question.
func limReveal(t *testing.T, l locale.Lang, in *scoring.Instrument, id int64, prev *report.Reveal) report.Reveal {
	t.Helper()
	mkt, sales, obs, guess := scoring.Answers{}, scoring.Answers{}, scoring.Answers{}, scoring.Answers{}
	for _, q := range in.Questions {
		mkt[q.ID], sales[q.ID], obs[q.ID], guess[q.ID] = 2, 0, 1, 1
	}
	huge := limHugeText(limHuge)
	var actions []storage.Action
	var marks []storage.AddressedMark
	for i, q := range in.Questions {
		switch {
		case i >= 10 && i < 110:
			marks = append(marks, storage.AddressedMark{QuestionID: q.ID, MarkedBy: "UFACIL01"})
			continue
		case i >= 3 && i%10 != 0:
			continue // an owner on one gap in ten keeps the test quick
		}
		actions = append(actions, storage.Action{RoundID: id, QuestionID: q.ID, OwnerID: "UOWEN001", AssignedBy: "UFACIL01",
			Description: huge, Status: storage.ActionBlocked, BlockedReason: huge, AssignedAt: limRevealed, DueAt: limRevealed.Add(720 * time.Hour)})
	}
	next := limRevealed.Add(2160 * time.Hour)
	round := storage.Round{ID: id, WorkspaceID: "T1", ChannelID: "CREVENUE", Instrument: in.ID, State: storage.Revealed,
		FacilitatorID: "UFACIL01", CreatedAt: limT0, DeadlineAt: limT0.Add(168 * time.Hour), RevealedAt: &limRevealed,
		NextRoundAt: &next, RevealTS: "1793887200.000100", AnnouncementTS: "1793628000.000100",
		OneAnswer: huge, OneAnswerBy: "UFACIL01", Language: string(l)}
	people := []storage.Respondent{
		{RoundID: id, Role: scoring.Marketing, UserID: "UMARIA01", SubmittedAt: &limRevealed},
		{RoundID: id, Role: scoring.Sales, UserID: "USAMUE01", SubmittedAt: &limRevealed},
		{RoundID: id, Role: scoring.Observer, UserID: "UOLGA001", SubmittedAt: &limRevealed},
	}
	rv, err := report.Assemble(in, round, report.Facts{Respondents: people,
		Submitted: storage.Submitted{
			Answers:     map[scoring.Role]scoring.Answers{scoring.Marketing: mkt, scoring.Sales: sales, scoring.Observer: obs},
			Predictions: map[scoring.Role]scoring.Answers{scoring.Marketing: guess, scoring.Sales: guess},
		},
		Actions: actions, Addressed: marks})
	if err != nil {
		t.Fatal(err)
	}
	if prev != nil {
		trend := report.Compare(*prev, rv)
		rv.Trend = &trend
	}
	return rv
}

// limCheck fails on anything in blocks that Slack would refuse: more than
// maxBlocks blocks, a section over 3 000 characters, a header over 150, a
// button over 75, a context element over 2 000 or more than 10 of them,
// more than 25 elements in an actions block, a block_id used twice.
func limCheck(t *testing.T, what string, blocks []slack.Block, maxBlocks int) {
	t.Helper()
	if len(blocks) > maxBlocks {
		t.Errorf("%s: %d blocks; Slack allows %d", what, len(blocks), maxBlocks)
	}
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	type text struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	type element struct {
		Type string `json:"type"`
		Text *text  `json:"text"`
	}
	var parsed []struct {
		Type      string            `json:"type"`
		BlockID   string            `json:"block_id"`
		Text      *text             `json:"text"`
		Fields    []text            `json:"fields"`
		Accessory *element          `json:"accessory"`
		Elements  []json.RawMessage `json:"elements"`
	}
	if err := json.Unmarshal(raw, &parsed); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	runes := utf8.RuneCountInString
	ids := map[string]bool{}
	for i, b := range parsed {
		if b.BlockID != "" && ids[b.BlockID] {
			t.Errorf("%s: block_id %q twice", what, b.BlockID)
		}
		ids[b.BlockID] = true
		switch b.Type {
		case "section":
			if b.Text == nil && len(b.Fields) == 0 {
				t.Errorf("%s: block %d is a section without text", what, i)
			}
			if b.Text != nil && runes(b.Text.Text) > maxSection {
				t.Errorf("%s: block %d (%s) is a section of %d characters; Slack allows %d", what, i, b.BlockID, runes(b.Text.Text), maxSection)
			}
			if len(b.Fields) > limMaxFields {
				t.Errorf("%s: block %d has %d fields", what, i, len(b.Fields))
			}
			for _, f := range b.Fields {
				if runes(f.Text) > limMaxField {
					t.Errorf("%s: block %d has a field of %d characters", what, i, runes(f.Text))
				}
			}
			if a := b.Accessory; a != nil && a.Type == "button" && a.Text != nil && runes(a.Text.Text) > maxButton {
				t.Errorf("%s: block %d has a button of %d characters", what, i, runes(a.Text.Text))
			}
		case "header":
			if b.Text == nil || runes(b.Text.Text) > maxHeader {
				t.Errorf("%s: block %d is a header of %v", what, i, b.Text)
			}
		case "context":
			if len(b.Elements) > limMaxContext {
				t.Errorf("%s: block %d is a context of %d elements", what, i, len(b.Elements))
			}
			for _, raw := range b.Elements {
				var e text
				_ = json.Unmarshal(raw, &e)
				if runes(e.Text) > maxContext {
					t.Errorf("%s: block %d has a context element of %d characters", what, i, runes(e.Text))
				}
			}
		case "actions":
			if len(b.Elements) > limMaxActions {
				t.Errorf("%s: block %d is an actions block of %d elements", what, i, len(b.Elements))
			}
			for _, raw := range b.Elements {
				var e element
				_ = json.Unmarshal(raw, &e)
				if e.Type == "button" && (e.Text == nil || runes(e.Text.Text) > maxButton) {
					t.Errorf("%s: block %d has a button of %v", what, i, e.Text)
				}
			}
		}
	}
}

// limCheckMessage is limCheck for a message, with its fallback text.
func limCheckMessage(t *testing.T, what string, m Message) {
	t.Helper()
	if m.Text == "" {
		t.Errorf("%s has no fallback text", what)
	}
	if n := utf8.RuneCountInString(m.Text); n > limMaxText {
		t.Errorf("%s: fallback text of %d characters; Slack refuses more than %d", what, n, limMaxText)
	}
	if len(m.Blocks) == 0 {
		t.Errorf("%s has no blocks", what)
	}
	limCheck(t, what, m.Blocks, MaxBlocks)
}

// limInert fails when text a person typed got through un-escaped.
func limInert(t *testing.T, what string, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	// Decode the JSON escapes (\u003c) so the check sees what Slack sees.
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
			s += v + "\n"
		}
	}
	var parsed any
	if err := json.Unmarshal(raw, &parsed); err != nil {
		t.Fatal(err)
	}
	walk(parsed)
	for _, bad := range []string{"<!channel>", "<https://evil", "<!subteam"} {
		if strings.Contains(s, bad) {
			t.Errorf("%s contains %q", what, bad)
		}
	}
}

// limLanguages runs a limits test in every language, in parallel.
func limLanguages(t *testing.T, test func(t *testing.T, l locale.Lang)) {
	t.Parallel()
	for _, l := range locale.Langs {
		t.Run(string(l), func(t *testing.T) {
			t.Parallel()
			test(t, l)
		})
	}
}

func TestLimitsRevealWhateverIsStored(t *testing.T) { limLanguages(t, limitsReveal) }

func limitsReveal(t *testing.T, l locale.Lang) {
	in := limInstrument(l)
	prev := limReveal(t, l, in, 6, nil)
	prev.Round.State = storage.Closed
	rv := limReveal(t, l, in, 7, &prev)
	if len(rv.FixIt) < limQuestions/2 || len(rv.Addressed) != 100 || rv.Trend == nil || len(rv.Trend.OwnedGaps) < limQuestions/20 {
		t.Fatalf("the reveal is not as large as meant: %d fix-it gaps, %d addressed, trend %v", len(rv.FixIt), len(rv.Addressed), rv.Trend != nil)
	}
	w := Workspace{URL: "https://acme.slack.com/"}
	for _, r := range []report.Reveal{prev, rv} {
		name := fmt.Sprintf("round %d", r.Round.ID)
		reveal := RenderReveal(r, w)
		limCheckMessage(t, name+"'s reveal", reveal)
		limInert(t, name+"'s reveal", reveal)
		thread := RenderRevealThread(r)
		if len(thread) == 0 {
			t.Errorf("%s's thread is empty", name)
		}
		for i, m := range thread {
			limCheckMessage(t, fmt.Sprintf("%s's thread part %d", name, i+1), m)
		}
		status := Status(RoundStatus{Instrument: in, Round: r.Round, Respondents: r.Respondents, Lang: l}, &r)
		if n := utf8.RuneCountInString(status); n > maxSection {
			t.Errorf("%s: /alignment status is %d characters; a section holds %d", name, n, maxSection)
		}
		limInert(t, name+"'s status", status)
		limCheckMessage(t, name+"'s status as a note", Note(status))
	}
}

func TestLimitsOwnerMessagesWhateverIsStored(t *testing.T) { limLanguages(t, limitsOwnerMessages) }

func limitsOwnerMessages(t *testing.T, l locale.Lang) {
	in := limInstrument(l)
	rv := limReveal(t, l, in, 7, nil)
	a := rv.Actions[0]
	result, _ := rv.Comparison.QuestionResult(a.QuestionID)
	q := result.Question
	for _, kind := range []OwnerKind{OwnerAssigned, OwnerReminder, OwnerDueToday, OwnerOverdue, OwnerUpdated} {
		for _, status := range []storage.ActionStatus{storage.ActionOpen, storage.ActionBlocked, storage.ActionDone} {
			a := a
			a.Status = status
			m := RenderOwnerDM(OwnerDM{Instrument: in, Round: rv.Round, Action: a, Result: result, Kind: kind,
				Now: a.DueAt.Add(1000 * time.Hour), Workspace: Workspace{URL: "https://acme.slack.com/"}, Lang: l})
			what := fmt.Sprintf("the owner's DM (kind %d, %s)", kind, status)
			limCheckMessage(t, what, m)
			limInert(t, what, m)
			if n := utf8.RuneCountInString(m.Text); n > 1000 {
				t.Errorf("%s: a notification of %d characters", what, n)
			}
		}
	}
	for name, m := range map[string]Message{
		"note assigned":   NoteAssigned(l, in, q, "UFACIL01", a, true),
		"note blocked":    NoteStatus(l, in, q, "UOWEN001", a),
		"note one answer": NoteOneAnswer(l, in, "UFACIL01", a.Description),
		"retired":         RenderOwnerDMRetired(l, in, q, rv.Round),
		"reassigned":      RenderOwnerReassigned(l, in, q, rv.Round, "UADMIN01"),
	} {
		limCheckMessage(t, name, m)
		limInert(t, name, m)
	}
	for name, v := range map[string]slack.ModalViewRequest{
		"assign form":     RenderAssignModal(AssignForm{Metadata: "7:" + q.ID, Instrument: in, Result: result, Current: &a, Lang: l}),
		"blocked form":    RenderBlockedModal(l, "7:"+q.ID, q),
		"one answer form": RenderOneAnswerModal(l, "7", in, a.Description),
		"start form":      RenderStartModal(StartForm{ChannelID: "CREVENUE", Lang: l, Language: l}),
	} {
		limCheck(t, name, v.Blocks.BlockSet, MaxViewBlocks)
		raw, _ := json.Marshal(v)
		var spec struct {
			Blocks []struct {
				Element struct {
					MaxLength    int    `json:"max_length"`
					InitialValue string `json:"initial_value"`
				} `json:"element"`
			} `json:"blocks"`
		}
		if err := json.Unmarshal(raw, &spec); err != nil {
			t.Fatal(err)
		}
		for _, b := range spec.Blocks {
			if n := utf8.RuneCountInString(b.Element.InitialValue); n > MaxText || b.Element.MaxLength > MaxText {
				t.Errorf("%s: an input starting with %d characters, max_length %d; at most %d", name, n, b.Element.MaxLength, MaxText)
			}
		}
	}
}

func TestLimitsHomeAndQuestionnaireWhateverIsStored(t *testing.T) {
	limLanguages(t, limitsHomeAndQuestionnaire)
}

func limitsHomeAndQuestionnaire(t *testing.T, l locale.Lang) {
	in := limInstrument(l)
	rv := limReveal(t, l, in, 7, nil)
	pending := Pending{Lang: l}
	var started []RoundStatus
	var channels []ChannelHistory
	for i := range 200 {
		round := rv.Round
		round.ID = int64(100 + i)
		round.ChannelID = fmt.Sprintf("C%07d", i)
		collecting := round
		collecting.State = storage.Collecting
		pending.Actions = append(pending.Actions, PendingAction{Instrument: in, Round: round, Action: rv.Actions[i]})
		pending.Questionnaires = append(pending.Questionnaires, PendingQuestionnaire{Instrument: in, Round: collecting,
			Respondent: storage.Respondent{Role: scoring.Sales, UserID: "USAMUE01", Answered: 4}, URL: "https://acme.slack.com/archives/D1/p1"})
		started = append(started, RoundStatus{Instrument: in, Round: collecting, Respondents: rv.Respondents, Lang: l})
		var rows []report.HistoryRow
		for j := range 50 {
			r := round
			r.ID = int64(j + 1)
			rows = append(rows, report.HistoryRow{Round: r, Reveal: &rv, Owned: 3})
		}
		channels = append(channels, ChannelHistory{ChannelID: round.ChannelID, Rows: rows})
	}
	home := RenderHome(Home{Pending: pending, Started: started, Channels: channels, Lang: l})
	limCheck(t, "the App Home", home.Blocks.BlockSet, MaxViewBlocks)
	limInert(t, "the App Home", home)
	limCheckMessage(t, "the DM reply", DMReply(pending))
	limInert(t, "the DM reply", DMReply(pending))

	lead := storage.Respondent{RoundID: 7, Role: scoring.Marketing, UserID: "UMARIA01", DMChannelID: "D1", QuestionnaireTS: "1.1"}
	collecting := rv.Round
	collecting.State = storage.Collecting
	half := scoring.Answers{}
	for _, q := range in.Questions[:limQuestions/2] {
		half[q.ID] = 1
	}
	all := rv.Comparison.Respondents[0].Answers
	for name, q := range map[string]Questionnaire{
		"a new questionnaire":        {Instrument: in, Round: collecting, Respondent: lead, Answers: scoring.Answers{}},
		"a questionnaire half done":  {Instrument: in, Round: collecting, Respondent: lead, Answers: half},
		"a complete questionnaire":   {Instrument: in, Round: collecting, Respondent: lead, Answers: all},
		"a questionnaire predicting": {Instrument: in, Round: collecting, Respondent: lead, Answers: all, Predictions: half, Predicting: true},
		"a revealed questionnaire":   {Instrument: in, Round: rv.Round, Respondent: lead, Answers: all, Predictions: all},
	} {
		q.Lang = l
		limCheckMessage(t, name, RenderQuestionnaire(q))
	}
}

// TestInertKeepsWhatWasTyped: text a person typed shows as typed, and can
// neither mention anyone nor form a link: escaped, with web addresses set
// as code.
func TestInertKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ typed, want string }{
		{"<!channel> & <script>", "&lt;!channel&gt; &amp; &lt;script&gt;"},
		{"&lt;b&gt; R&D", "&amp;lt;b&amp;gt; R&amp;D"},
		{"<!subteam^S0123|@mkt-team> <@UADMIN01>", "&lt;!subteam^S0123|@mkt-team&gt; &lt;@UADMIN01&gt;"},
		{"Log in to unblock (https://evil.example)", ""},
		{"see www.evil.example, then", ""},
		{"<https://evil.example|Log in>", ""},
		{"mailto:x@evil.example or slack://open", ""},
		{"  trimmed  ", "trimmed"},
		{strings.Repeat("é", 600), strings.Repeat("é", 499) + "…"},
	} {
		got := Inert(tt.typed, MaxText)
		if tt.want != "" && got != tt.want {
			t.Errorf("Inert(%q) = %q, want %q", tt.typed, got, tt.want)
		}
		if plain := strings.ReplaceAll(got, "`", ""); plain != Escape(Clip(strings.TrimSpace(tt.typed), MaxText)) {
			t.Errorf("Inert(%q) = %q: not what was typed, escaped", tt.typed, got)
		}
		for _, addr := range []string{"https://evil.example", "www.evil.example", "mailto:x@evil.example", "slack://open"} {
			for i := strings.Index(got, addr); i >= 0; i = strings.Index(got[i+1:], addr) + i + 1 {
				if i == 0 || got[i-1] != '`' {
					t.Errorf("Inert(%q) = %q: %s is not set as code, so Slack links it", tt.typed, got, addr)
				}
				if strings.Index(got[i+1:], addr) < 0 {
					break
				}
			}
		}
		if strings.ContainsAny(strings.NewReplacer("&lt;", "", "&gt;", "", "&amp;", "").Replace(got), "<>") {
			t.Errorf("Inert(%q) = %q: an unescaped < or >", tt.typed, got)
		}
	}
	if got := Clip("ééé", 3); got != "ééé" {
		t.Errorf("Clip counts bytes: %q", got)
	}
	if got := Clip("éééé", 3); got != "éé…" {
		t.Errorf("Clip(éééé, 3) = %q", got)
	}
}
