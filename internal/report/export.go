package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/scoring"
)

// Exported is the machine-readable twin of the reveal, field for field as
// the export format documents it (README, "Export"). It is built from the
// same Reveal the channel message is rendered from.
type Exported struct {
	RoundID        int64                `json:"round_id"`
	Instrument     string               `json:"instrument"`
	State          string               `json:"state"`
	Respondents    []ExportedRespondent `json:"respondents"`
	Questions      []ExportedQuestion   `json:"questions"`
	Flags          []ExportedFlag       `json:"flags"`
	TeamTier       int                  `json:"team_tier"`
	TeamTierCapped bool                 `json:"team_tier_capped"`
	TopGaps        []ExportedGap        `json:"top_gaps"`
	FixIt          []ExportedGap        `json:"fix_it"`
	PreviousGaps   []ExportedVerdict    `json:"previous_gaps"`
	OneAnswer      string               `json:"one_answer"`
	NextRoundAt    *time.Time           `json:"next_round_at"`
}

// ExportedRespondent is one respondent's own numbers. Answers, total and tier
// are null for a respondent who did not submit. Predictions map a question
// to the score the lead expected the other lead to give; empty when they
// made none.
type ExportedRespondent struct {
	Role        scoring.Role   `json:"role"`
	UserID      string         `json:"user_id"`
	Submitted   bool           `json:"submitted"`
	Declined    bool           `json:"declined"`
	Answers     []int          `json:"answers"`
	Total       *int           `json:"total"`
	Tier        *int           `json:"tier"`
	TierName    *string        `json:"tier_name"`
	Predictions map[string]int `json:"predictions"`
}

// ExportedQuestion is one question side by side. Spread is over every
// respondent; lead_gap and structural_gap are between the two leads.
type ExportedQuestion struct {
	ID            string               `json:"id"`
	Scores        map[scoring.Role]int `json:"scores"`
	Spread        int                  `json:"spread"`
	Combined      int                  `json:"combined"`
	LeadGap       int                  `json:"lead_gap"`
	StructuralGap bool                 `json:"structural_gap"`
}

// ExportedFlag is a prerequisite flag raised by one respondent's answers.
type ExportedFlag struct {
	Code  string       `json:"code"`
	Title string       `json:"title"`
	Role  scoring.Role `json:"role"`
}

// ExportedGap is a gap to own and its owner, if named.
type ExportedGap struct {
	Question    string     `json:"question"`
	OwnerUserID *string    `json:"owner_user_id"`
	Action      *string    `json:"action"`
	Due         *time.Time `json:"due"`
	Status      *string    `json:"status"`
}

// ExportedVerdict is what became of one of the previous round's owned gaps.
type ExportedVerdict struct {
	Question    string `json:"question"`
	OwnerUserID string `json:"owner_user_id"`
	Status      string `json:"status"`
	Verdict     string `json:"verdict"`
}

// Export turns a reveal into its exported form. Its field names and codes
// never change; its texts (tier names, flag titles) are in the round's
// language.
func Export(rv Reveal) Exported {
	c := rv.Comparison
	texts := locale.For(locale.Lang(rv.Round.Language)).Instrument(rv.Instrument)
	out := Exported{
		RoundID:        rv.Round.ID,
		Instrument:     rv.Instrument.ID,
		State:          string(rv.Round.State),
		TeamTier:       c.TeamTier.Number,
		TeamTierCapped: c.Capped,
		OneAnswer:      rv.Round.OneAnswer,
		NextRoundAt:    rv.Round.NextRoundAt,
		Respondents:    []ExportedRespondent{},
		Questions:      []ExportedQuestion{},
		Flags:          []ExportedFlag{},
		TopGaps:        exportGaps(rv.TopGaps),
		FixIt:          exportGaps(rv.FixIt),
		PreviousGaps:   []ExportedVerdict{},
	}
	for _, p := range rv.Respondents {
		e := ExportedRespondent{Role: p.Role, UserID: p.UserID, Submitted: p.Submitted(), Declined: p.Declined(), Predictions: map[string]int{}}
		if r, ok := c.Respondent(p.Role); ok {
			for _, q := range rv.Instrument.Questions {
				e.Answers = append(e.Answers, r.Answers[q.ID])
			}
			name := r.Tier.Name
			if t, ok := texts.Tier(r.Tier.Number); ok {
				name = t.Name
			}
			e.Total, e.Tier, e.TierName = &r.Total, &r.Tier.Number, &name
		}
		for id, score := range rv.Predictions[p.Role] {
			e.Predictions[id] = score
		}
		out.Respondents = append(out.Respondents, e)
	}
	for _, q := range c.Questions {
		out.Questions = append(out.Questions, ExportedQuestion{
			ID: q.Question.ID, Scores: q.Scores, Spread: q.Spread, Combined: q.Combined,
			LeadGap: q.LeadGap, StructuralGap: q.Difference == scoring.StructuralGap,
		})
	}
	for _, f := range c.Flags {
		title := f.Title
		for _, rule := range texts.Flags {
			if rule.Code == f.Code {
				title = rule.Title
			}
		}
		for _, role := range f.Roles {
			out.Flags = append(out.Flags, ExportedFlag{Code: f.Code, Title: title, Role: role})
		}
	}
	if rv.Trend != nil {
		for _, g := range rv.Trend.OwnedGaps {
			out.PreviousGaps = append(out.PreviousGaps, ExportedVerdict{
				Question: g.Action.QuestionID, OwnerUserID: g.Action.OwnerID,
				Status: string(g.Action.Status), Verdict: g.Verdict.String(),
			})
		}
	}
	return out
}

func exportGaps(gaps []Gap) []ExportedGap {
	out := []ExportedGap{}
	for _, g := range gaps {
		e := ExportedGap{Question: g.Result.Question.ID}
		if a := g.Action; a != nil {
			status := string(a.Status)
			e.OwnerUserID, e.Action, e.Due, e.Status = &a.OwnerID, &a.Description, &a.DueAt, &status
		}
		out = append(out, e)
	}
	return out
}

// WriteJSON writes the export as indented JSON.
func (e Exported) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(e)
}

// WriteCSV writes one row per question: each role's score, spread, combined
// score, lead gap, whether it is a structural gap, and its place among the
// gaps to own with owner, action, due date and status. Cells a spreadsheet
// would read as a formula are prefixed with a quote.
func (e Exported) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := []string{"round_id", "instrument", "question", "marketing", "sales", "observer", "spread", "combined",
		"lead_gap", "structural_gap", "gap", "owner_user_id", "action", "due", "status"}
	if err := cw.Write(header); err != nil {
		return err
	}
	gaps := map[string]ExportedGap{}
	place := map[string]string{}
	for i, g := range e.TopGaps {
		gaps[g.Question], place[g.Question] = g, "top "+strconv.Itoa(i+1)
	}
	for _, g := range e.FixIt {
		gaps[g.Question], place[g.Question] = g, "fix-it"
	}
	for _, q := range e.Questions {
		score := func(r scoring.Role) string {
			if s, ok := q.Scores[r]; ok {
				return strconv.Itoa(s)
			}
			return ""
		}
		row := []string{strconv.FormatInt(e.RoundID, 10), e.Instrument, q.ID, score(scoring.Marketing), score(scoring.Sales),
			score(scoring.Observer), strconv.Itoa(q.Spread), strconv.Itoa(q.Combined), strconv.Itoa(q.LeadGap),
			strconv.FormatBool(q.StructuralGap), place[q.ID], "", "", "", ""}
		if g, ok := gaps[q.ID]; ok && g.OwnerUserID != nil {
			row[11], row[12], row[13], row[14] = *g.OwnerUserID, *g.Action, g.Due.UTC().Format(time.RFC3339), *g.Status
		}
		for i := range row {
			row[i] = FormulaSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// FormulaSafe keeps a spreadsheet from reading a cell as a formula: a cell
// starting with =, +, -, @, a tab or a carriage return gets a leading quote.
func FormulaSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
