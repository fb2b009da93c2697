package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

func TestFormulaSafe(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ cell, want string }{
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"+1+1", "'+1+1"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"", ""},
		{"Write the definitions = done", "Write the definitions = done"},
		{"Q7", "Q7"},
		{"UOWEN001", "UOWEN001"},
		{"2026-12-02T14:00:00Z", "2026-12-02T14:00:00Z"},
		{"0", "0"},
		{"'quoted", "'quoted"},
		{"é=1", "é=1"},
	} {
		if got := FormulaSafe(tt.cell); got != tt.want {
			t.Errorf("FormulaSafe(%q) = %q, want %q", tt.cell, got, tt.want)
		}
	}
}

// exportReveal is a revealed round of seed 000 whose owners typed actions
// a spreadsheet would run.
func exportReveal(t *testing.T, actions map[string]string) Reveal {
	t.Helper()
	in := scoring.AlignmentMaturity
	revealed := time.Date(2026, 11, 5, 14, 0, 0, 0, time.UTC)
	round := storage.Round{ID: 7, WorkspaceID: "T1", ChannelID: "CREVENUE", Instrument: in.ID, State: storage.Revealed,
		FacilitatorID: "UFACIL01", CreatedAt: revealed.Add(-72 * time.Hour), DeadlineAt: revealed, RevealedAt: &revealed,
		OneAnswer: "=1+1", OneAnswerBy: "UFACIL01"}
	people := []storage.Respondent{
		{RoundID: 7, Role: scoring.Marketing, UserID: "UMARIA01", SubmittedAt: &revealed},
		{RoundID: 7, Role: scoring.Sales, UserID: "USAMUE01", SubmittedAt: &revealed},
	}
	answers := func(s ...int) scoring.Answers {
		a := scoring.Answers{}
		for i, v := range s {
			a[in.Questions[i].ID] = v
		}
		return a
	}
	var owned []storage.Action
	for q, text := range actions {
		owned = append(owned, storage.Action{RoundID: 7, QuestionID: q, OwnerID: "UOWEN001", AssignedBy: "UFACIL01",
			Description: text, Status: storage.ActionBlocked, BlockedReason: "=cmd", AssignedAt: revealed, DueAt: revealed.Add(720 * time.Hour)})
	}
	// Top gaps Q6, Q8 and Q9; Q4 on the fix-it list.
	rv, err := Assemble(in, round, Facts{Respondents: people, Actions: owned, Submitted: storage.Submitted{Answers: map[scoring.Role]scoring.Answers{
		scoring.Marketing: answers(2, 2, 1, 2, 2, 0, 1, 0, 0, 2),
		scoring.Sales:     answers(2, 2, 1, 0, 2, 0, 1, 0, 0, 1),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rv.TopGapIDs(), ","); got != "Q6,Q8,Q9" || len(rv.FixIt) != 1 || rv.FixIt[0].Result.Question.ID != "Q4" {
		t.Fatalf("top gaps %s, fix-it %v: the fixture no longer makes the gaps it names", got, rv.FixIt)
	}
	return rv
}

// TestCSVExportIsFormulaSafe: an action typed as a formula is exported as
// text a spreadsheet shows, not runs; the JSON export keeps it as typed.
func TestCSVExportIsFormulaSafe(t *testing.T) {
	t.Parallel()
	typed := map[string]string{
		"Q6": `=HYPERLINK("http://x","y")`,
		"Q8": "+cmd|' /C calc'!A0",
		"Q9": "@SUM(1+1)*cmd|' /C calc'!A0",
		"Q4": "-2+3",
	}
	e := Export(exportReveal(t, typed))
	var out bytes.Buffer
	if err := e.WriteCSV(&out); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, out.String())
	}
	header := rows[0]
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, name := range []string{"question", "action", "owner_user_id", "gap"} {
		if _, ok := col[name]; !ok {
			t.Fatalf("no column %q in %v", name, header)
		}
	}
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		q := row[col["question"]]
		for i, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("%s: column %s starts a formula: %q", q, header[i], cell)
			}
		}
		text, owned := typed[q]
		if !owned {
			continue
		}
		seen[q] = true
		if got := row[col["action"]]; got != "'"+text {
			t.Errorf("%s: action exported as %q, want %q", q, got, "'"+text)
		}
		if got := row[col["owner_user_id"]]; got != "UOWEN001" {
			t.Errorf("%s: owner exported as %q", q, got)
		}
	}
	if len(seen) != len(typed) {
		t.Errorf("rows for %v, want one for each of %v", seen, typed)
	}

	// JSON is not a spreadsheet: it keeps what was typed.
	var js bytes.Buffer
	if err := e.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Exported
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for _, g := range append(back.TopGaps, back.FixIt...) {
		if g.Action == nil || *g.Action != typed[g.Question] {
			t.Errorf("JSON export of %s: %v, want %q", g.Question, g.Action, typed[g.Question])
		}
	}
	if back.OneAnswer != "=1+1" {
		t.Errorf("JSON export of the one answer: %q", back.OneAnswer)
	}
}

// TestCSVExportTabAndCarriageReturn: cells starting with a tab or a
// carriage return, which some spreadsheets skip before reading a formula,
// are quoted too, and survive the CSV encoding.
func TestCSVExportTabAndCarriageReturn(t *testing.T) {
	t.Parallel()
	typed := map[string]string{"Q6": "\t=1+1", "Q8": "\r=1+1 then more"}
	var out bytes.Buffer
	if err := Export(exportReveal(t, typed)).WriteCSV(&out); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, row := range rows[1:] {
		if want, ok := typed[row[2]]; ok {
			found++
			if got := row[12]; got != "'"+want {
				t.Errorf("%s: action exported as %q, want %q", row[2], got, "'"+want)
			}
		}
	}
	if found != len(typed) {
		t.Errorf("found %d of the %d actions", found, len(typed))
	}
}
