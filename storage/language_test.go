package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// TestRoundKeepsItsLanguage: a round keeps the language its channel
// messages speak, chosen when it starts, on every read; a round started
// without one speaks English, as rounds from before languages do.
func TestRoundKeepsItsLanguage(t *testing.T) {
	s := newStorage(t)
	ctx := context.Background()
	people := map[scoring.Role]string{scoring.Marketing: "UA", scoring.Sales: "UB"}
	for i, lang := range []string{"ja", "pt-BR", ""} {
		channel := []string{"CJA", "CPT", "CEN"}[i]
		r, err := start(s, storage.NewRound{WorkspaceID: "T1", ChannelID: channel, Instrument: scoring.AlignmentMaturity.ID,
			FacilitatorID: "UFAC", Respondents: people, DeadlineAt: t0.Add(time.Hour), CreatedAt: t0, Language: lang})
		if err != nil {
			t.Fatal(err)
		}
		want := lang
		if want == "" {
			want = "en"
		}
		if r.Language != want {
			t.Errorf("StartRound in %q: language %q, want %q", lang, r.Language, want)
		}
		for name, read := range map[string]func() (storage.Round, error){
			"Round":           func() (storage.Round, error) { return s.Round(ctx, r.ID) },
			"CollectingRound": func() (storage.Round, error) { return s.CollectingRound(ctx, "T1", channel) },
			"LatestRound":     func() (storage.Round, error) { return s.LatestRound(ctx, "T1", channel) },
		} {
			got, err := read()
			if err != nil || got.Language != want {
				t.Errorf("%s of the %q round: language %q (%v), want %q", name, lang, got.Language, err, want)
			}
		}
	}
}
