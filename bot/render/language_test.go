package render

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/scoring"
)

// englishSentences are the sentences of the English catalog and of the
// instruments' English texts: each message cut at its placeholders, at
// Slack's markup and at the punctuation that ends a clause, keeping the
// pieces of three words or more. Code (`/alignment status`) and Slack's date
// tokens are commands, the same in every language, and are left out.
func englishSentences(t *testing.T) []string {
	t.Helper()
	cut := regexp.MustCompile("{{[^}]*}}|`[^`]*`|<[^>]*>|\\{[a-z_]+\\}|[*_\\n•:;()?!.,—“”\"·→]")
	seen := map[string]bool{}
	var out []string
	for _, text := range locale.Texts(locale.English) {
		for _, piece := range cut.Split(text, -1) {
			piece = strings.TrimSpace(piece)
			words := 0
			for _, w := range strings.Fields(piece) {
				if strings.ContainsFunc(w, unicode.IsLetter) {
					words++
				}
			}
			if words >= 3 && !seen[piece] {
				seen[piece] = true
				out = append(out, piece)
			}
		}
	}
	if len(out) < 500 {
		t.Fatalf("only %d English sentences: the catalog is not being read", len(out))
	}
	return out
}

// goldenStrings is every string of a golden JSON file (text, blocks,
// labels, placeholders), decoded, for what a reader of it would see.
func goldenStrings(t *testing.T, file string) string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if k != "action_id" && k != "block_id" && k != "value" && k != "callback_id" && k != "private_metadata" {
					walk(e)
				}
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case string:
			b.WriteString(v)
			b.WriteString("\n")
		}
	}
	walk(v)
	return b.String()
}

// typedInTests are texts the golden tests' data types in English, as a
// person would (an action, a blocked reason): shown as typed in every
// language.
var typedInTests = []string{"Agree sourced vs influenced definitions with finance", "waiting on the CRM admin",
	"Write the definitions", "legal review", "Attribution: we fight about it", "every month", "Attribution, because", "we argue about it"}

// TestGoldenFilesSpeakTheirLanguage: no Japanese, Portuguese or Indonesian
// message, form or view shows an English sentence of the catalogs; every
// golden English file has its translation in each language, and the
// translations differ from the English.
func TestGoldenFilesSpeakTheirLanguage(t *testing.T) {
	sentences := englishSentences(t)
	english, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(english) < 60 {
		t.Fatalf("%d English golden files (%v)", len(english), err)
	}
	for _, l := range locale.Langs[1:] {
		for _, en := range english {
			file := filepath.Join("testdata", string(l), filepath.Base(en))
			if _, err := os.Stat(file); err != nil {
				t.Errorf("%s has no %s translation: %v", en, l, err)
				continue
			}
			text := goldenStrings(t, file)
			if text == goldenStrings(t, en) {
				t.Errorf("%s is the same as the English", file)
			}
			for _, typed := range typedInTests {
				text = strings.ReplaceAll(text, typed, "")
			}
			for _, s := range sentences {
				if strings.Contains(text, s) {
					t.Errorf("%s shows the English %q", file, s)
				}
			}
		}
	}
}

// TestInstrumentsReadInEveryLanguage: a questionnaire shows every question,
// every criterion and every score label of each instrument in the reader's
// language, never in English.
func TestInstrumentsReadInEveryLanguage(t *testing.T) {
	for _, l := range locale.Langs[1:] {
		for _, base := range scoring.Instruments {
			in := locale.For(l).Instrument(base)
			for i, q := range base.Questions {
				view := Questionnaire{Instrument: base, Respondent: respondents()[0], Answers: scoring.Answers{}, Open: q.ID, Lang: l,
					Round: lang{l}.round("collecting")}
				m := RenderQuestionnaire(view)
				raw, _ := json.Marshal(m)
				var decoded any
				_ = json.Unmarshal(raw, &decoded)
				text := strings.Join(flatten(decoded), "\n")
				lq := in.Questions[i]
				wants := []string{lq.Prompt, lq.Topic}
				for _, c := range lq.Criteria {
					wants = append(wants, c.When)
				}
				for _, want := range wants {
					if !strings.Contains(text, want) {
						t.Errorf("%s %s %s: the questionnaire does not show %q", l, base.ID, q.ID, want)
					}
				}
				for _, english := range append([]string{q.Prompt}, criteria(q)...) {
					if strings.Contains(text, english) {
						t.Errorf("%s %s %s: the questionnaire shows the English %q", l, base.ID, q.ID, english)
					}
				}
			}
		}
	}
}

func criteria(q scoring.Question) []string {
	var out []string
	for _, c := range q.Criteria {
		out = append(out, c.When)
	}
	return out
}

func flatten(v any) []string {
	switch v := v.(type) {
	case map[string]any:
		var out []string
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range v {
				if !yield(k) {
					return
				}
			}
		}) {
			out = append(out, flatten(v[k])...)
		}
		return out
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, flatten(e)...)
		}
		return out
	case string:
		return []string{v}
	}
	return nil
}
