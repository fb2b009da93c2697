package locale

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/alignbot/alignbot/scoring"
)

// InstrumentText is one text of an instrument: its key in the catalogs and
// where it sits in the instrument, so a translation replaces it there.
type InstrumentText struct {
	Key     string
	English string
	set     func(in *scoring.Instrument, s string)
}

// InstrumentTexts lists every text of in, keyed by the instrument's own IDs
// ("alignment-maturity.Q1.prompt", "alignment-maturity.tier3.summary"), with
// its English, which is scoring's. What a person reads of an instrument is
// all here; what scoring decides with (IDs, scores, conditions) is not.
func InstrumentTexts(in *scoring.Instrument) []InstrumentText {
	var out []InstrumentText
	add := func(key, english string, set func(in *scoring.Instrument, s string)) {
		if english != "" {
			out = append(out, InstrumentText{Key: in.ID + "." + key, English: english, set: set})
		}
	}
	add("name", in.Name, func(in *scoring.Instrument, s string) { in.Name = s })
	for i, r := range in.Roles {
		add("role_"+string(r.Role)+".label", r.Label, func(in *scoring.Instrument, s string) { in.Roles[i].Label = s })
		add("role_"+string(r.Role)+".short", r.Short, func(in *scoring.Instrument, s string) { in.Roles[i].Short = s })
	}
	for i, l := range in.Scale.Labels {
		add(fmt.Sprintf("scale.label%d", in.Scale.Min+i), l, func(in *scoring.Instrument, s string) { in.Scale.Labels[i] = s })
	}
	for i, m := range in.Scale.Meanings {
		add(fmt.Sprintf("scale.meaning%d", in.Scale.Min+i), m, func(in *scoring.Instrument, s string) { in.Scale.Meanings[i] = s })
	}
	for i, c := range in.Categories {
		add("category_"+c.ID, c.Name, func(in *scoring.Instrument, s string) { in.Categories[i].Name = s })
	}
	for i, q := range in.Questions {
		k := q.ID + "."
		add(k+"topic", q.Topic, func(in *scoring.Instrument, s string) { in.Questions[i].Topic = s })
		add(k+"prompt", q.Prompt, func(in *scoring.Instrument, s string) { in.Questions[i].Prompt = s })
		add(k+"gate", q.Gate, func(in *scoring.Instrument, s string) { in.Questions[i].Gate = s })
		for j, c := range q.Criteria {
			add(fmt.Sprintf("%scriterion%d", k, c.Score), c.When, func(in *scoring.Instrument, s string) { in.Questions[i].Criteria[j].When = s })
		}
		add(k+"suggestion", q.Suggestion, func(in *scoring.Instrument, s string) { in.Questions[i].Suggestion = s })
		add(k+"guide", q.Guide, func(in *scoring.Instrument, s string) { in.Questions[i].Guide = s })
	}
	for i, t := range in.Tiers {
		k := fmt.Sprintf("tier%d.", t.Number)
		add(k+"word", t.Word, func(in *scoring.Instrument, s string) { in.Tiers[i].Word = s })
		add(k+"name", t.Name, func(in *scoring.Instrument, s string) { in.Tiers[i].Name = s })
		add(k+"summary", t.Summary, func(in *scoring.Instrument, s string) { in.Tiers[i].Summary = s })
	}
	for _, n := range slices.Sorted(maps.Keys(in.NextMoves)) {
		m := in.NextMoves[n]
		k := fmt.Sprintf("move%d.", n)
		add(k+"title", m.Title, func(in *scoring.Instrument, s string) { m := in.NextMoves[n]; m.Title = s; in.NextMoves[n] = m })
		add(k+"advice", m.Advice, func(in *scoring.Instrument, s string) { m := in.NextMoves[n]; m.Advice = s; in.NextMoves[n] = m })
	}
	for i, f := range in.Flags {
		k := "flag_" + f.Code + "."
		add(k+"title", f.Title, func(in *scoring.Instrument, s string) { in.Flags[i].Title = s })
		add(k+"meaning", f.Meaning, func(in *scoring.Instrument, s string) { in.Flags[i].Meaning = s })
	}
	if in.ManyGaps != nil {
		add("many_gaps", in.ManyGaps.Warns, func(in *scoring.Instrument, s string) { in.ManyGaps.Warns = s })
	}
	add("team_tier_note", in.TeamTierNote, func(in *scoring.Instrument, s string) { in.TeamTierNote = s })
	for i, c := range in.Cautions {
		add(fmt.Sprintf("caution%d", i+1), c, func(in *scoring.Instrument, s string) { in.Cautions[i] = s })
	}
	for i, p := range in.Prerequisites {
		add(fmt.Sprintf("prerequisite%d", i+1), p, func(in *scoring.Instrument, s string) { in.Prerequisites[i] = s })
	}
	add("one_question", in.OneQuestion, func(in *scoring.Instrument, s string) { in.OneQuestion = s })
	add("zero_category", in.ZeroCategoryIs, func(in *scoring.Instrument, s string) { in.ZeroCategoryIs = s })
	return out
}

// instruments caches each instrument in each language.
var instruments sync.Map // instrumentKey → *scoring.Instrument

type instrumentKey struct {
	in   *scoring.Instrument
	lang Lang
}

// Instrument returns in with its texts in the printer's language: a copy in
// which every text the catalogs translate is replaced, and everything
// scoring decides with (IDs, scores, conditions, tiers' numbers and bands)
// is the same. In English, or for a text the catalogs do not have (an
// instrument they do not know), the text stays as given. The copy is shared:
// callers must not change it.
func (p *Printer) Instrument(in *scoring.Instrument) *scoring.Instrument {
	if in == nil || p.lang == English {
		return in
	}
	key := instrumentKey{in, p.lang}
	if out, ok := instruments.Load(key); ok {
		return out.(*scoring.Instrument)
	}
	out := cloneInstrument(in)
	for _, t := range InstrumentTexts(in) {
		if s, ok := p.text(t.Key); ok {
			t.set(out, s)
		}
	}
	actual, _ := instruments.LoadOrStore(key, out)
	return actual.(*scoring.Instrument)
}

// cloneInstrument copies every slice and map of in that holds text, so a
// translation never writes into the English original.
func cloneInstrument(in *scoring.Instrument) *scoring.Instrument {
	out := *in
	out.Roles = slices.Clone(in.Roles)
	out.Scale.Labels = slices.Clone(in.Scale.Labels)
	out.Scale.Meanings = slices.Clone(in.Scale.Meanings)
	out.Categories = slices.Clone(in.Categories)
	out.Questions = slices.Clone(in.Questions)
	for i := range out.Questions {
		out.Questions[i].Criteria = slices.Clone(in.Questions[i].Criteria)
	}
	out.Tiers = slices.Clone(in.Tiers)
	out.NextMoves = make(map[int]scoring.NextMove, len(in.NextMoves))
	for n, m := range in.NextMoves {
		out.NextMoves[n] = m
	}
	out.Flags = slices.Clone(in.Flags)
	if in.ManyGaps != nil {
		m := *in.ManyGaps
		out.ManyGaps = &m
	}
	out.Cautions = slices.Clone(in.Cautions)
	out.Prerequisites = slices.Clone(in.Prerequisites)
	return &out
}
