package render

import (
	"fmt"

	"github.com/alignbot/alignbot/internal/chart"
	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// ChartTexts lists every text a round's chart can draw in language l, for
// every instrument: titles, question and scale labels, roles, the previous
// round's name and the captions. Round numbers vary; the digits are always
// among them.
//
// The texts come from ChartInput itself, on a made-up round of each
// instrument in which every role answered and the round has a previous one,
// so they are exactly what a chart of l shows. The chart's font for the
// scripts Liberation Sans lacks is subset to them (go generate
// ./internal/chart), and a test holds every one of them drawable.
func ChartTexts(l locale.Lang) ([]string, error) {
	texts := []string{"0123456789"}
	for _, in := range scoring.Instruments {
		rv, err := chartSample(l, in)
		if err != nil {
			return nil, err
		}
		texts = append(texts, chartInputTexts(ChartInput(rv))...)
	}
	return texts, nil
}

// chartSample is a revealed round of in, in language l, that every role of
// the instrument answered, with a previous round.
func chartSample(l locale.Lang, in *scoring.Instrument) (report.Reveal, error) {
	var responses []scoring.Response
	for _, spec := range in.Roles {
		answers := scoring.Answers{}
		for _, q := range in.Questions {
			answers[q.ID] = in.Scale.Min
		}
		responses = append(responses, scoring.Response{Role: spec.Role, Answers: answers})
	}
	cmp, err := scoring.Compare(in, responses)
	if err != nil {
		return report.Reveal{}, fmt.Errorf("chart texts of %s: %w", in.ID, err)
	}
	return report.Reveal{
		Instrument: in,
		Round:      storage.Round{ID: 2, Instrument: in.ID, Language: string(l)},
		Comparison: cmp,
		Trend:      &report.Trend{Previous: storage.Round{ID: 1, Instrument: in.ID, Language: string(l)}, PreviousComparison: cmp},
	}, nil
}

// chartInputTexts is every string of in that the chart draws, or draws a
// part of. The chart's own additions (the "GAP" mark, the parentheses
// around the previous round's name) are ASCII, which Liberation Sans has.
func chartInputTexts(in chart.Input) []string {
	texts := []string{in.Title, in.PreviousLabel, in.GapCaption, in.NoAnswers}
	texts = append(texts, in.Questions...)
	texts = append(texts, in.ScaleLabels...)
	texts = append(texts, in.Caption...)
	for _, s := range append(in.Current, in.Previous...) {
		texts = append(texts, s.Label)
	}
	return texts
}
