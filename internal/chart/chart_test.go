package chart_test

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alignbot/alignbot/internal/chart"
)

var nan = math.NaN()

func questions(n int) []string {
	qs := make([]string, n)
	for i := range qs {
		qs[i] = "Q" + string(rune('0'+(i+1)%10))
		if i+1 >= 10 {
			qs[i] = "Q1" + string(rune('0'+(i+1)%10))
		}
	}
	return qs
}

// diagnostic is a full round of the 10-question diagnostic with two gaps.
func diagnostic() chart.Input {
	return chart.Input{
		Title:     "Round 7 · Marketing-Sales Alignment Maturity Diagnostic",
		Questions: questions(10),
		Max:       2,
		Current: []chart.Series{
			{Label: "Marketing", Scores: []float64{2, 1, 0, 2, 1, 2, 0, 1, 2, 1}},
			{Label: "Sales", Scores: []float64{1, 1, 2, 2, 0, 0, 0, 1, 2, 2}},
		},
		Gaps: []bool{false, false, true, false, false, true, false, false, false, false},
	}
}

func withPrevious() chart.Input {
	in := diagnostic()
	in.Current = append(in.Current, chart.Series{Label: "RevOps", Scores: []float64{2, 1, 1, 2, 1, 1, 0, 1, 2, 1}})
	in.Previous = []chart.Series{
		{Label: "Marketing", Scores: []float64{1, 1, 0, 1, 1, 2, 0, 0, 1, 1}},
		{Label: "Sales", Scores: []float64{0, 1, 2, 1, 0, 0, nan, 1, 1, 2}},
	}
	in.PreviousLabel = "round 6"
	return in
}

func observerNoAnswers() chart.Input {
	in := diagnostic()
	in.Current = append(in.Current, chart.Series{Label: "RevOps", Scores: []float64{nan, nan, nan, nan, nan, nan, nan, nan, nan, nan}})
	return in
}

func noGaps() chart.Input {
	in := diagnostic()
	in.Current[1].Scores = []float64{2, 1, 1, 2, 1, 1, 0, 1, 2, 1}
	in.Gaps = make([]bool, len(in.Questions))
	return in
}

// observerLeft has an observer only in the previous round.
func observerLeft() chart.Input {
	in := diagnostic()
	in.Previous = []chart.Series{
		{Label: "RevOps", Scores: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
	}
	return in
}

func eightQuestions() chart.Input {
	return chart.Input{
		Title:       "Round 2 · Eight-question check",
		Questions:   questions(8),
		Max:         2,
		ScaleLabels: []string{"no", "partly", "yes"},
		Current: []chart.Series{
			{Label: "Marketing", Scores: []float64{0, 1, 2, 2, nan, 1, 0, 2}},
			{Label: "Sales", Scores: []float64{2, 1, 2, 0, 1, 1, 0, 2}},
		},
		Gaps: []bool{true, false, false, true, false, false, false, false},
	}
}

// japanese is withPrevious in Japanese, as a Japanese round's reveal labels
// it (the ja catalog's chart texts): Japanese mixed with Latin letters and
// digits in one label, an observer without answers, and scale labels.
func japanese() chart.Input {
	in := withPrevious()
	in.Title = "ラウンド 7 · マーケティング・営業アライメント成熟度診断"
	in.ScaleLabels = []string{"0 未整備", "1 部分的", "2 完全に整備"}
	in.Current[0].Label, in.Current[1].Label = "マーケティング", "営業"
	in.Current[2].Scores = []float64{nan, nan, nan, nan, nan, nan, nan, nan, nan, nan}
	in.Previous[0].Label, in.Previous[1].Label = "マーケティング", "営業"
	in.PreviousLabel = "ラウンド 6"
	in.GapCaption = "2点の差：構造的ギャップ"
	in.NoAnswers = " （回答なし）"
	in.Caption = []string{`細い棒は "0 未整備" (0)。`, "棒がないのは回答なし。"}
	return in
}

func TestPNG(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   chart.Input
	}{
		{"diagnostic", diagnostic()},
		{"with previous round", withPrevious()},
		{"observer without answers", observerNoAnswers()},
		{"eight questions with scale labels", eightQuestions()},
		{"no gaps", noGaps()},
		{"observer only in previous round", observerLeft()},
		{"japanese", japanese()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := chart.PNG(tt.in)
			if err != nil {
				t.Fatalf("PNG() error: %v", err)
			}
			writeSample(t, tt.name, got)
			img, err := png.Decode(bytes.NewReader(got))
			if err != nil {
				t.Fatalf("png.Decode: %v", err)
			}
			if b := img.Bounds(); b.Dx() != chart.Width || b.Dy() != chart.Height {
				t.Errorf("size = %dx%d, want %dx%d", b.Dx(), b.Dy(), chart.Width, chart.Height)
			}
			if n := len(got); n < 5_000 || n > 200_000 {
				t.Errorf("len(PNG) = %d bytes, want between 5 KB and 200 KB", n)
			}
		})
	}
}

func TestPNGDeterministic(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]func() chart.Input{"latin": withPrevious, "japanese": japanese} {
		first, err := chart.PNG(in())
		if err != nil {
			t.Fatalf("%s: PNG() error: %v", name, err)
		}
		second, err := chart.PNG(in())
		if err != nil {
			t.Fatalf("%s: PNG() error: %v", name, err)
		}
		if !bytes.Equal(first, second) {
			t.Errorf("%s: two renders of the same input differ (%d and %d bytes)", name, len(first), len(second))
		}
	}
}

// TestMissingGlyphs: every text of a Japanese chart has its glyphs, and a
// character neither font has is reported.
func TestMissingGlyphs(t *testing.T) {
	t.Parallel()
	in := japanese()
	texts := append([]string{in.Title, in.PreviousLabel, in.GapCaption, in.NoAnswers}, in.ScaleLabels...)
	texts = append(texts, in.Caption...)
	for _, s := range in.Current {
		texts = append(texts, s.Label)
	}
	for _, text := range texts {
		got, err := chart.MissingGlyphs(text)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Errorf("MissingGlyphs(%q) = %q, want none", text, string(got))
		}
	}
	// 鬱 is in the full Motoya L Cedar but in no chart text, so not in the
	// subset; 😀 is in neither font.
	got, err := chart.MissingGlyphs("営業 Q1 鬱 😀")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "鬱😀" {
		t.Errorf("MissingGlyphs = %q, want %q", string(got), "鬱😀")
	}
	if got := chart.FallbackRunes([]string{"Marketing Q1 · “sim” (0)", "営業 Q1"}); string(got) != "営業" {
		t.Errorf("FallbackRunes = %q, want %q: Liberation Sans draws Latin, digits and punctuation", string(got), "営業")
	}
}

func TestPNGInvalidInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		change  func(*chart.Input)
		wantErr string
	}{
		{"no series", func(in *chart.Input) { in.Current = nil }, "no series"},
		{"no questions", func(in *chart.Input) { in.Questions = nil }, "no questions"},
		{"zero max", func(in *chart.Input) { in.Max = 0 }, "Max must be positive"},
		{"negative max", func(in *chart.Input) { in.Max = -1 }, "Max must be positive"},
		{"short scores", func(in *chart.Input) { in.Current[1].Scores = in.Current[1].Scores[:9] }, `"Sales" has 9 scores for 10 questions`},
		{"short previous", func(in *chart.Input) {
			in.Previous = []chart.Series{{Label: "Sales", Scores: []float64{1}}}
		}, `Previous series "Sales" has 1 scores`},
		{"missing gaps", func(in *chart.Input) { in.Gaps = nil }, "0 gap flags for 10 questions"},
		{"long gaps", func(in *chart.Input) { in.Gaps = append(in.Gaps, true) }, "11 gap flags for 10 questions"},
		{"score above max", func(in *chart.Input) { in.Current[0].Scores[3] = 3 }, "Q4 3, outside 0..2"},
		{"negative score", func(in *chart.Input) { in.Current[0].Scores[0] = -1 }, "outside 0..2"},
		{"infinite score", func(in *chart.Input) { in.Current[0].Scores[0] = math.Inf(1) }, "outside 0..2"},
		{"scale labels", func(in *chart.Input) { in.ScaleLabels = []string{"no", "yes"} }, "2 scale labels for a scale 0..2, want 3"},
		{"no label", func(in *chart.Input) { in.Current[0].Label = "" }, "has no label"},
		{"duplicate label", func(in *chart.Input) { in.Current[1].Label = "Marketing" }, `two series labelled "Marketing"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := diagnostic()
			tt.change(&in)
			got, err := chart.PNG(in)
			if err == nil {
				t.Fatalf("PNG() = %d bytes, want error containing %q", len(got), tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("PNG() error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func BenchmarkPNG(b *testing.B) {
	in := withPrevious()
	for b.Loop() {
		if _, err := chart.PNG(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPNGJapanese(b *testing.B) {
	in := japanese()
	for b.Loop() {
		if _, err := chart.PNG(in); err != nil {
			b.Fatal(err)
		}
	}
}

// writeSample saves the chart under $ALIGNBOT_CHART_OUT (a directory) so a
// person can look at it: ALIGNBOT_CHART_OUT=/tmp/charts go test ./internal/chart/
func writeSample(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := os.Getenv("ALIGNBOT_CHART_OUT")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(png))
}
