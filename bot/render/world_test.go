package render

import (
	"strings"
	"testing"

	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// TestWorldGolden: what the facilitator is told when the workspace changes
// under their round, one file per change.
func TestWorldGolden(t *testing.T) { languages(t, testWorldGolden) }

func testWorldGolden(t *testing.T, g lang) {
	in := scoring.AlignmentMaturity
	collecting, revealed := g.round(storage.Collecting), g.round(storage.Revealed)
	for name, w := range map[string]World{
		"world_removed":          {Kind: WorldRemoved, Instrument: in, Round: collecting},
		"world_removed_revealed": {Kind: WorldRemoved, Instrument: in, Round: revealed, SlackError: "not_in_channel"},
		"world_archived":         {Kind: WorldArchived, Instrument: in, Round: collecting},
		"world_lead_gone":        {Kind: WorldRespondentGone, Instrument: in, Round: collecting, UserID: "USAMUE01", Role: scoring.Sales},
		"world_observer_gone":    {Kind: WorldRespondentGone, Instrument: in, Round: collecting, UserID: "UOLGA001", Role: scoring.Observer, SlackError: "user_disabled"},
		"world_respondent_left":  {Kind: WorldRespondentLeft, Instrument: in, Round: collecting, UserID: "USAMUE01", Role: scoring.Sales},
		"world_owner_gone":       {Kind: WorldOwnerGone, Instrument: in, Round: revealed, UserID: "UOWEN001", Questions: []string{"Q7", "Q9"}},
	} {
		w.Lang = g.l
		g.golden(t, name, RenderWorld(w))
	}
}

// TestCommandLost names the command as typed, inert, and says what to do.
func TestCommandLost(t *testing.T) {
	for typed, want := range map[string]string{
		"status":               "I lost track of `/alignment status` while working on it",
		"":                     "I lost track of `/alignment` while working on it",
		"start <!channel> `x`": "`/alignment start &lt;!channel&gt; 'x'`",
	} {
		got := CommandLost(locale.English, typed)
		if !strings.Contains(got, want) || !strings.Contains(got, "`/alignment status`") {
			t.Errorf("CommandLost(%q) = %q, want it to contain %q", typed, got, want)
		}
	}
}
