package locale

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/alignbot/alignbot/scoring"
)

// message is one catalog entry: its text, or its plural forms.
type message map[string]string

var pluralForms = []string{"zero", "one", "two", "few", "many", "other"}

// readCatalog reads catalog/<name>.toml into message IDs, as go-i18n reads
// it: nested tables joined with dots, a table of plural forms one message.
func readCatalog(t *testing.T, name string) map[string]message {
	t.Helper()
	raw, err := catalogFiles.ReadFile("catalog/" + name + ".toml")
	if err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	if err := toml.Unmarshal(raw, &tree); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := map[string]message{}
	var walk func(prefix string, v map[string]any)
	walk = func(prefix string, v map[string]any) {
		for k, e := range v {
			id := prefix + k
			switch e := e.(type) {
			case string:
				out[id] = message{"other": e}
			case map[string]any:
				if _, plural := e["other"]; plural {
					m := message{}
					for form, s := range e {
						if !slices.Contains(pluralForms, form) {
							t.Errorf("%s: %s mixes plural forms with %q", name, id, form)
						}
						m[form], _ = s.(string)
					}
					out[id] = m
					continue
				}
				walk(id+".", e)
			default:
				t.Errorf("%s: %s is a %T, not text", name, id, e)
			}
		}
	}
	walk("", tree)
	return out
}

// english is every instrument text's English, by key.
func englishInstrumentTexts() map[string]string {
	out := map[string]string{}
	for _, in := range scoring.Instruments {
		for _, x := range InstrumentTexts(in) {
			out[x.Key] = x.English
		}
	}
	return out
}

func translations() []Lang { return Langs[1:] }

// TestCatalogsHaveEveryMessage: every message of the English catalog is in
// every language's, and no language has a message English lacks (a typo in
// an ID would otherwise fall back to English silently).
func TestCatalogsHaveEveryMessage(t *testing.T) {
	en := readCatalog(t, "en")
	if len(en) < 300 {
		t.Fatalf("the English catalog has %d messages; it should hold every text alignbot shows", len(en))
	}
	for _, l := range translations() {
		got := readCatalog(t, string(l))
		for _, id := range slices.Sorted(maps.Keys(en)) {
			m, ok := got[id]
			if !ok {
				t.Errorf("%s: no %s (English: %q)", l, id, en[id]["other"])
				continue
			}
			for form, s := range m {
				if strings.TrimSpace(s) == "" && strings.TrimSpace(en[id][form]) != "" {
					t.Errorf("%s: %s is empty", l, id)
				}
			}
		}
		for id := range got {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: %s is not an English message", l, id)
			}
		}
	}
}

// TestInstrumentsHaveEveryText: every text of every instrument (question,
// criterion, tier, move, flag, suggested action…) is translated in every
// language, and nothing else is.
func TestInstrumentsHaveEveryText(t *testing.T) {
	en := englishInstrumentTexts()
	for _, l := range translations() {
		got := readCatalog(t, "instruments."+string(l))
		for _, key := range slices.Sorted(maps.Keys(en)) {
			m, ok := got[key]
			switch {
			case !ok:
				t.Errorf("%s: no %s (English: %q)", l, key, en[key])
			case strings.TrimSpace(m["other"]) == "":
				t.Errorf("%s: %s is empty", l, key)
			case m["other"] == en[key] && strings.Contains(en[key], " "):
				t.Errorf("%s: %s is left in English: %q", l, key, en[key])
			}
		}
		for key := range got {
			if _, ok := en[key]; !ok {
				t.Errorf("%s: %s is no instrument's text", l, key)
			}
		}
	}
}

var placeholder = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

func placeholders(m message) []string {
	set := map[string]bool{}
	for _, s := range m {
		for _, p := range placeholder.FindAllStringSubmatch(s, -1) {
			set[p[1]] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// TestPlaceholdersMatchEnglish: a translation fills exactly the placeholders
// its English entry fills: none lost (a channel, a due date, a score
// missing from the message) and none made up (it would print "<no value>").
func TestPlaceholdersMatchEnglish(t *testing.T) {
	en := readCatalog(t, "en")
	for _, l := range translations() {
		got := readCatalog(t, string(l))
		for id, m := range got {
			want, ok := en[id]
			if !ok {
				continue
			}
			if diff := cmp.Diff(placeholders(want), placeholders(m)); diff != "" {
				t.Errorf("%s: %s's placeholders differ from English (-want +got):\n%s", l, id, diff)
			}
			if strings.Contains(strings.Join(slices.Collect(maps.Values(m)), ""), "{{") {
				for form, s := range m {
					if _, err := For(l).loc.Localize(&i18n.LocalizeConfig{DefaultMessage: &i18n.Message{ID: id, Other: s}}); err != nil {
						t.Errorf("%s: %s (%s) is not a valid template: %v", l, id, form, err)
					}
				}
			}
		}
	}
}

// TestPluralFormsCoverEveryCount: every message whose wording follows a
// count has each form the language's CLDR rules pick for a count, so no
// count falls back to another form (or to English).
func TestPluralFormsCoverEveryCount(t *testing.T) {
	en := readCatalog(t, "en")
	counts := []int{0, 1, 2, 3, 4, 5, 11, 21, 22, 100, 101, 1000, 1000000}
	for _, l := range Langs {
		p := For(l)
		for id, m := range en {
			if _, plural := m["one"]; !plural {
				continue
			}
			for _, n := range counts {
				_, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: n, TemplateData: map[string]any{"Count": n}})
				if err != nil {
					t.Errorf("%s: %s for %d: %v", l, id, n, err)
				}
			}
		}
	}
}

// TestEveryMessageRendersWithoutError renders every message of every
// language with every placeholder filled, as alignbot does.
func TestEveryMessageRendersWithoutError(t *testing.T) {
	en := readCatalog(t, "en")
	for _, l := range Langs {
		p := For(l)
		for id, m := range en {
			data := map[string]any{}
			for _, name := range placeholders(m) {
				data[name] = "X"
			}
			data["Count"] = 2
			_, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: 2, TemplateData: data})
			var missing *i18n.MessageNotFoundErr
			if errors.As(err, &missing) && l != English {
				t.Errorf("%s: %s falls back to English", l, id)
			} else if err != nil {
				t.Errorf("%s: %s: %v", l, id, err)
			}
			if s := p.T(id); s == id {
				t.Errorf("%s: %s renders as its ID", l, id)
			}
		}
	}
}

// terms are what every language's B2B teams keep as written: a translation
// that drops one changed what the criterion is about.
var terms = regexp.MustCompile(`\b(MQL|SQL|ICP|SLA|CRM|CMO|CRO|RevOps|Q\d+)`)

var number = regexp.MustCompile(`\d+`)

// TestTranslationsKeepTermsAndNumbers: the meaning of a criterion must not
// drift, and two kinds of drift can be checked by machine. Every term the
// English names (MQL, SLA, CRM, Q3…) and every number it gives (6 months, a
// 5-minute window, 48 hours, 90%) appear in each translation of each
// instrument text; a translation may add numbers ("three AEs", "3人") but
// never lose one.
func TestTranslationsKeepTermsAndNumbers(t *testing.T) {
	en := englishInstrumentTexts()
	for _, l := range translations() {
		p := For(l)
		for key, english := range en {
			got, ok := p.text(key)
			if !ok {
				continue // TestInstrumentsHaveEveryText says so
			}
			for _, term := range terms.FindAllString(english, -1) {
				if !strings.Contains(got, term) {
					t.Errorf("%s: %s drops %s: %q", l, key, term, got)
				}
			}
			have := number.FindAllString(got, -1)
			for _, n := range number.FindAllString(english, -1) {
				if i := slices.Index(have, n); i >= 0 {
					have = slices.Delete(have, i, i+1)
				} else {
					t.Errorf("%s: %s drops the number %s: %q", l, key, n, got)
				}
			}
		}
	}
}

// TestLocalizedInstrumentsScoreTheSame: scoring never depends on language.
// An instrument in any language validates, and compares any answers exactly
// as the English one does: the same totals, tiers, gaps, flags, top gaps
// and perception, with only the texts changed.
func TestLocalizedInstrumentsScoreTheSame(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 23))
	for _, base := range scoring.Instruments {
		for _, l := range translations() {
			in := For(l).Instrument(base)
			if in == base {
				t.Fatalf("%s %s: not a copy", l, base.ID)
			}
			if err := in.Validate(); err != nil {
				t.Errorf("%s: %v", l, err)
			}
			if base.Questions[0].Prompt == in.Questions[0].Prompt || base.Name == in.Name {
				t.Errorf("%s %s: the texts are not translated", l, base.ID)
			}
			for range 200 {
				var responses []scoring.Response
				for _, r := range base.Roles {
					a, guess := scoring.Answers{}, scoring.Answers{}
					for _, q := range base.Questions {
						a[q.ID] = rng.IntN(base.Scale.Max + 1)
						if r.Role.IsLead() && rng.IntN(2) == 0 {
							guess[q.ID] = rng.IntN(base.Scale.Max + 1)
						}
					}
					responses = append(responses, scoring.Response{Role: r.Role, Answers: a, Predictions: guess})
				}
				want, err := scoring.Compare(base, responses)
				if err != nil {
					t.Fatal(err)
				}
				got, err := scoring.Compare(in, responses)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(decisions(want), decisions(got)); diff != "" {
					t.Fatalf("%s %s: the comparison differs from English (-want +got):\n%s", l, base.ID, diff)
				}
			}
		}
	}
	if scoring.AlignmentMaturity.Questions[0].Prompt != "Do marketing and sales share a written, agreed definition of MQL and SQL, reviewed in the last 6 months?" {
		t.Error("a translation wrote into the English instrument")
	}
}

// decisions is what a comparison decides, without its texts.
func decisions(c scoring.Comparison) string {
	var b strings.Builder
	for _, r := range c.Respondents {
		fmt.Fprintf(&b, "%s total %d tier %d;", r.Role, r.Total, r.Tier.Number)
		for _, cs := range r.Categories {
			fmt.Fprintf(&b, " %s %d/%d %v", cs.Category.ID, cs.Score, cs.Max, cs.AllZero)
		}
	}
	for _, q := range c.Questions {
		fmt.Fprintf(&b, " %s %v c%d g%d d%d;", q.Question.ID, q.Scores, q.Combined, q.LeadGap, q.Difference)
	}
	fmt.Fprintf(&b, " lead %d team %d capped %v many %v gaps %d leverage %v;", c.LeadTier.Number, c.TeamTier.Number, c.Capped, c.ManyGaps, c.StructuralGaps, c.Leverage)
	for _, f := range c.Flags {
		fmt.Fprintf(&b, " flag %s %v %v;", f.Code, f.Roles, f.Steers)
	}
	for _, z := range c.ZeroCategories {
		fmt.Fprintf(&b, " zero %s %v;", z.Category.ID, z.Roles)
	}
	p := c.Priorities(map[string]bool{"Q2": true})
	for _, q := range p.Top {
		fmt.Fprintf(&b, " top %s;", q.Question.ID)
	}
	for _, q := range p.FixIt {
		fmt.Fprintf(&b, " fix %s;", q.Question.ID)
	}
	fmt.Fprintf(&b, " steered %v in place %v addressed %v;", p.Steered, p.FullyInPlace, p.Addressed)
	if c.Perception != nil {
		for _, l := range c.Perception.Leads {
			fmt.Fprintf(&b, " %s read %d/%d;", l.Role, l.Right, l.Predicted)
		}
		for _, s := range c.Perception.BlindSpots {
			fmt.Fprintf(&b, " blind %s %v;", s.Question.ID, s.Missed)
		}
	}
	return b.String()
}

// TestMatchSlackLocales: Slack's locales map to the nearest language
// alignbot speaks; anything else reads English.
func TestMatchSlackLocales(t *testing.T) {
	for _, tt := range []struct {
		locale string
		want   Lang
	}{
		{"en-US", English}, {"en-GB", English}, {"", English}, {"ja-JP", Japanese}, {"ja", Japanese},
		{"pt-BR", Portuguese}, {"pt_BR", Portuguese}, {"pt", Portuguese}, {"id-ID", Indonesian}, {"id", Indonesian},
		{"es-LA", English}, {"zh-CN", English}, {"ko-KR", English}, {"fr-FR", English}, {"de-DE", English},
		{"not a locale", English},
	} {
		if got := Match(tt.locale); got != tt.want {
			t.Errorf("Match(%q) = %s, want %s", tt.locale, got, tt.want)
		}
	}
	for _, tt := range []struct {
		typed string
		want  Lang
		ok    bool
	}{
		{"ja", Japanese, true}, {"JA", Japanese, true}, {"pt-BR", Portuguese, true}, {"pt-br", Portuguese, true},
		{"pt", Portuguese, true}, {"id", Indonesian, true}, {"en", English, true}, {"ja-JP", Japanese, true},
		{"jp", "", false}, {"es", "", false}, {"", "", false}, {"xx-YY", "", false},
	} {
		if got, ok := Parse(tt.typed); got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q) = %s, %v, want %s, %v", tt.typed, got, ok, tt.want, tt.ok)
		}
	}
}

// TestListsDatesAndIntervals: lists, dates and durations are written as
// each language writes them.
func TestListsDatesAndIntervals(t *testing.T) {
	for _, tt := range []struct {
		l                 Lang
		three, day, hours string
	}{
		{English, "Q1, Q2 and Q3", "1 day", "12 hours"},
		{Japanese, "Q1、Q2、Q3", "1日", "12時間"},
		{Portuguese, "Q1, Q2 e Q3", "1 dia", "12 horas"},
		{Indonesian, "Q1, Q2, dan Q3", "1 hari", "12 jam"},
	} {
		p := For(tt.l)
		if got := p.JoinAnd([]string{"Q1", "Q2", "Q3"}); got != tt.three {
			t.Errorf("%s: JoinAnd = %q, want %q", tt.l, got, tt.three)
		}
		if got := p.Interval(24 * 60 * 60 * 1e9); got != tt.day {
			t.Errorf("%s: Interval(24h) = %q, want %q", tt.l, got, tt.day)
		}
		if got := p.Interval(12 * 60 * 60 * 1e9); got != tt.hours {
			t.Errorf("%s: Interval(12h) = %q, want %q", tt.l, got, tt.hours)
		}
	}
}
