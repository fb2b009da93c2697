package render

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alignbot/alignbot/internal/chart"
	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// TestChartTextsHaveGlyphs: every text a chart of any instrument draws, in
// every language, has a glyph for each of its characters in the chart's
// fonts (Liberation Sans, or the fallback font for what it lacks), so no
// chart shows a missing-glyph box.
func TestChartTextsHaveGlyphs(t *testing.T) {
	t.Parallel()
	for _, l := range locale.Langs {
		texts, err := ChartTexts(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range texts {
			missing, err := chart.MissingGlyphs(text)
			if err != nil {
				t.Fatal(err)
			}
			if len(missing) > 0 {
				t.Errorf("%s chart text %q has %q, which neither Liberation Sans nor the chart's fallback font has;"+
					" regenerate the fallback font: apt-get install fonts-motoya-l-cedar && go generate ./internal/chart", l, text, string(missing))
			}
		}
	}
}

// TestChartSpeaksTheRoundsLanguage: a round's chart is labelled in the
// round's language, Japanese included: its title, roles, scale, legend and
// captions are the language's own, and none of its texts is an English
// sentence of the catalogs.
func TestChartSpeaksTheRoundsLanguage(t *testing.T) {
	t.Parallel()
	english := englishSentences(t)
	for _, l := range locale.Langs {
		p := locale.For(l)
		for _, in := range scoring.Instruments {
			rv, err := chartSample(l, in)
			if err != nil {
				t.Fatal(err)
			}
			got := ChartInput(rv)
			name := p.Instrument(in).Name
			if want := p.T("chart.title", "Round", 2, "Instrument", name); got.Title != want {
				t.Errorf("%s %s: title %q, want %q", l, in.ID, got.Title, want)
			}
			if want := p.T("chart.gap_caption"); got.GapCaption != want {
				t.Errorf("%s %s: gap caption %q, want %q", l, in.ID, got.GapCaption, want)
			}
			if want := p.T("chart.previous", "Round", 1); got.PreviousLabel != want {
				t.Errorf("%s %s: previous round %q, want %q", l, in.ID, got.PreviousLabel, want)
			}
			if want := p.T("chart.no_bar"); len(got.Caption) != 2 || got.Caption[1] != want {
				t.Errorf("%s %s: caption %q, want it to end with %q", l, in.ID, got.Caption, want)
			}
			for i, spec := range p.Instrument(in).Roles {
				if i < len(got.Current) && got.Current[i].Label != spec.Short {
					t.Errorf("%s %s: series %d labelled %q, want %q", l, in.ID, i, got.Current[i].Label, spec.Short)
				}
			}
			if want := strings.ToLower(p.Instrument(in).ScoreLabel(in.Scale.Max)); !strings.HasSuffix(got.ScaleLabels[len(got.ScaleLabels)-1], want) {
				t.Errorf("%s %s: scale %q, want it to end with %q", l, in.ID, got.ScaleLabels, want)
			}
			if l == locale.English {
				continue
			}
			for _, text := range chartInputTexts(got) {
				for _, sentence := range english {
					if strings.Contains(text, sentence) {
						t.Errorf("%s %s: chart text %q holds the English %q", l, in.ID, text, sentence)
					}
				}
			}
		}
	}
	if ja, _ := ChartTexts(locale.Japanese); len(chart.FallbackRunes(ja)) == 0 {
		t.Error("a Japanese chart draws nothing with the fallback font: its texts are not Japanese")
	}
}

// TestJapaneseChart draws a Japanese round's chart, with an observer and
// the previous round, every text of it drawable; to look at it:
// ALIGNBOT_CHART_OUT=/tmp/charts go test -run TestJapaneseChart ./bot/render/
func TestJapaneseChart(t *testing.T) {
	t.Parallel()
	draw := func(g lang) ([]byte, chart.Input) {
		in := scoring.AlignmentMaturity
		prev := g.reveal(t, in, storage.Closed, map[scoring.Role]scoring.Answers{
			scoring.Marketing: scoresOf(2, 2, 2, 1, 2, 1, 2, 2, 1, 1), scoring.Sales: scoresOf(0, 1, 0, 1, 0, 0, 0, 0, 1, 2)}, nil, nil, nil)
		prev.Round.ID = 6
		cur := g.reveal(t, in, storage.Revealed, map[scoring.Role]scoring.Answers{
			scoring.Marketing: mktAnswers, scoring.Sales: salesAnswers, scoring.Observer: obsAnswers}, nil, nil, nil)
		trend := report.Compare(prev, cur)
		cur.Trend = &trend
		input := ChartInput(cur)
		b, err := chart.PNG(input)
		if err != nil {
			t.Fatalf("chart.PNG: %v", err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Fatalf("png.Decode: %v", err)
		}
		return b, input
	}
	ja, input := draw(lang{locale.Japanese})
	for _, text := range chartInputTexts(input) {
		if missing, err := chart.MissingGlyphs(text); err != nil || len(missing) > 0 {
			t.Errorf("%q: the chart's fonts lack %q (%v)", text, string(missing), err)
		}
	}
	if !strings.Contains(input.Title, "ラウンド") {
		t.Errorf("title %q, want it in Japanese", input.Title)
	}
	if en, _ := draw(lang{locale.English}); bytes.Equal(ja, en) {
		t.Error("the Japanese round's chart is the English round's")
	}
	if dir := os.Getenv("ALIGNBOT_CHART_OUT"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "reveal-ja.png"), ja, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
