package bot

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/alignbot/alignbot/scoring"
)

// ExportedRound is the machine-readable twin of the reveal, field for field
// as the export format documents it. It is built from the same Reveal the
// channel message is rendered from.
type ExportedRound struct {
	RoundID     int64                `json:"round_id"`
	State       string               `json:"state"`
	Respondents []ExportedRespondent `json:"respondents"`
	Questions   []ExportedQuestion   `json:"questions"`
	Flags       []ExportedFlag       `json:"flags"`
	TeamTier    int                  `json:"team_tier"`
	TopGaps     []ExportedGap        `json:"top_gaps"`
	NextRoundAt *time.Time           `json:"next_round_at"`
}

// ExportedRespondent is one respondent's own numbers. Answers, total and tier
// are null for a respondent who did not submit.
type ExportedRespondent struct {
	Role      scoring.Role `json:"role"`
	UserID    string       `json:"user_id"`
	Submitted bool         `json:"submitted"`
	Answers   []int        `json:"answers"`
	Total     *int         `json:"total"`
	Tier      *int         `json:"tier"`
	TierName  *string      `json:"tier_name"`
}

// ExportedQuestion is one question side by side.
type ExportedQuestion struct {
	ID            string               `json:"id"`
	Scores        map[scoring.Role]int `json:"scores"`
	Spread        int                  `json:"spread"`
	Combined      int                  `json:"combined"`
	StructuralGap bool                 `json:"structural_gap"`
}

// ExportedFlag is a prerequisite flag raised by one respondent's answers.
type ExportedFlag struct {
	Code string       `json:"code"`
	Role scoring.Role `json:"role"`
}

// ExportedGap is a top gap and its owner, if named.
type ExportedGap struct {
	Question    string     `json:"question"`
	OwnerUserID *string    `json:"owner_user_id"`
	Action      *string    `json:"action"`
	Due         *time.Time `json:"due"`
	Status      *string    `json:"status"`
}

// Export turns a reveal into its exported form.
func Export(rv Reveal) ExportedRound {
	c := rv.Comparison
	out := ExportedRound{
		RoundID:     rv.Round.ID,
		State:       string(rv.Round.State),
		TeamTier:    c.TeamTier.Number,
		NextRoundAt: rv.Round.NextRoundAt,
		Respondents: []ExportedRespondent{},
		Questions:   []ExportedQuestion{},
		Flags:       []ExportedFlag{},
		TopGaps:     []ExportedGap{},
	}
	for _, p := range rv.Respondents {
		e := ExportedRespondent{Role: p.Role, UserID: p.UserID, Submitted: p.Submitted()}
		if r, ok := c.Respondent(p.Role); ok {
			for _, q := range rv.Instrument.Questions {
				e.Answers = append(e.Answers, r.Answers[q.ID])
			}
			e.Total, e.Tier, e.TierName = &r.Total, &r.Tier.Number, &r.Tier.Name
		}
		out.Respondents = append(out.Respondents, e)
	}
	for _, q := range c.Questions {
		out.Questions = append(out.Questions, ExportedQuestion{
			ID: q.Question.ID, Scores: q.Scores, Spread: q.Spread, Combined: q.Combined,
			StructuralGap: q.Difference == scoring.StructuralGap,
		})
	}
	for _, f := range c.Flags {
		for _, role := range f.Roles {
			out.Flags = append(out.Flags, ExportedFlag{Code: f.Code, Role: role})
		}
	}
	for _, g := range rv.TopGaps {
		e := ExportedGap{Question: g.Result.Question.ID}
		if a := g.Action; a != nil {
			status := string(a.Status)
			e.OwnerUserID, e.Action, e.Due, e.Status = &a.OwnerID, &a.Description, &a.DueAt, &status
		}
		out.TopGaps = append(out.TopGaps, e)
	}
	return out
}

// WriteJSON writes the export as indented JSON.
func (e ExportedRound) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(e)
}

// WriteCSV writes one row per question: each role's score, spread, combined
// score, whether it is a structural gap, and its place among the top gaps
// with owner, action, due date and status.
func (e ExportedRound) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := []string{"round_id", "question", "marketing", "sales", "observer", "spread", "combined",
		"structural_gap", "top_gap_rank", "owner_user_id", "action", "due", "status"}
	if err := cw.Write(header); err != nil {
		return err
	}
	rank := map[string]int{}
	gaps := map[string]ExportedGap{}
	for i, g := range e.TopGaps {
		rank[g.Question] = i + 1
		gaps[g.Question] = g
	}
	for _, q := range e.Questions {
		score := func(r scoring.Role) string {
			if s, ok := q.Scores[r]; ok {
				return strconv.Itoa(s)
			}
			return ""
		}
		row := []string{strconv.FormatInt(e.RoundID, 10), q.ID, score(scoring.Marketing), score(scoring.Sales),
			score(scoring.Observer), strconv.Itoa(q.Spread), strconv.Itoa(q.Combined), strconv.FormatBool(q.StructuralGap),
			"", "", "", "", ""}
		if r, ok := rank[q.ID]; ok {
			row[8] = strconv.Itoa(r)
			g := gaps[q.ID]
			if g.OwnerUserID != nil {
				row[9], row[10], row[11], row[12] = *g.OwnerUserID, *g.Action, g.Due.UTC().Format(time.RFC3339), *g.Status
			}
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
