package render

import (
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// speaker writes one message in its reader's language: the language's
// printer, and the instrument with its texts in that language. A renderer
// shows an instrument's text only through it, so a question, a tier or a
// flag reads in the reader's language whichever copy of the instrument the
// caller holds. Channel messages speak the round's language; DMs, forms,
// the App Home and replies speak their reader's.
type speaker struct {
	*locale.Printer
	in *scoring.Instrument
}

func speak(l locale.Lang, in *scoring.Instrument) speaker {
	p := locale.For(l)
	return speaker{Printer: p, in: p.Instrument(in)}
}

// question is q in the reader's language.
func (s speaker) question(q scoring.Question) scoring.Question {
	if s.in != nil {
		if i, ok := questionIndex(s.in)[q.ID]; ok {
			return s.in.Questions[i]
		}
	}
	return q
}

// questionIndexes caches, for each instrument a renderer has spoken, where
// each question is: a reveal looks up every question it shows, and an
// instrument may hold thousands.
var questionIndexes sync.Map // *scoring.Instrument → map[string]int

func questionIndex(in *scoring.Instrument) map[string]int {
	if idx, ok := questionIndexes.Load(in); ok {
		return idx.(map[string]int)
	}
	idx := make(map[string]int, len(in.Questions))
	for i, q := range in.Questions {
		idx[q.ID] = i
	}
	actual, _ := questionIndexes.LoadOrStore(in, idx)
	return actual.(map[string]int)
}

// questionByID is the instrument's question id in the reader's language.
func (s speaker) questionByID(id string) scoring.Question {
	return s.question(scoring.Question{ID: id})
}

// tier is t in the reader's language.
func (s speaker) tier(t scoring.Tier) scoring.Tier {
	if s.in != nil {
		if lt, ok := s.in.Tier(t.Number); ok {
			return lt
		}
	}
	return t
}

// tierName says a tier in full: "Tier 3 Functional", "ティア3「機能型」".
func (s speaker) tierName(t scoring.Tier) string {
	lt := s.tier(t)
	if lt.Name == "" {
		return s.T("tier.bare", "Word", lt.Word, "Number", lt.Number)
	}
	return s.T("tier.named", "Word", lt.Word, "Number", lt.Number, "Name", lt.Name)
}

// flag is a raised flag's title and meaning in the reader's language.
func (s speaker) flag(f scoring.Flag) (title, meaning string) {
	if s.in != nil {
		for _, rule := range s.in.Flags {
			if rule.Code == f.Code {
				return rule.Title, rule.Meaning
			}
		}
	}
	return f.Title, f.Meaning
}

// category is c's name in the reader's language.
func (s speaker) category(c scoring.Category) string {
	if s.in != nil {
		for _, lc := range s.in.Categories {
			if lc.ID == c.ID {
				return lc.Name
			}
		}
	}
	return c.Name
}

// move is the team's next move in the reader's language: the move of the
// tier the comparison's advice is for.
func (s speaker) move(c scoring.Comparison) scoring.NextMove {
	n := c.TeamTier.Number
	if c.ManyGaps && s.in != nil && s.in.ManyGaps != nil {
		n = s.in.ManyGaps.Move
	}
	if s.in != nil {
		if m, ok := s.in.NextMoves[n]; ok {
			return m
		}
	}
	return c.NextMove
}

func (s speaker) role(r scoring.Role) string  { return s.in.RoleLabel(r) }
func (s speaker) short(r scoring.Role) string { return s.in.RoleShort(r) }

// date renders t in each reader's own time zone, with a UTC fallback, in
// Slack's date token: Slack writes the date in the reader's locale.
func (s speaker) date(t time.Time) string {
	return fmt.Sprintf("<!date^%d^%s|%s>", t.Unix(), s.T("date.token_date_time"), s.DateTime(t))
}

// day renders t's date in each reader's own time zone.
func (s speaker) day(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_long}|%s>", t.Unix(), s.Printer.Date(t))
}

// Date renders t in each reader's own time zone, with a UTC fallback written
// in l.
func Date(l locale.Lang, t time.Time) string { return speak(l, nil).date(t) }

// Day renders t's date in each reader's own time zone, the fallback written
// in l.
func Day(l locale.Lang, t time.Time) string { return speak(l, nil).day(t) }

// sections puts a title and lines into as few sections as Slack's text limit
// allows; none when there are no lines.
func (s speaker) sections(blockID, title string, lines []string) []slack.Block {
	return sectionsContinued(blockID, title, s.T("common.continued", "Title", title), lines)
}

// InSentence writes a label as it reads inside a sentence: "Sales lead" →
// "sales lead", "CRO" stays "CRO".
func InSentence(label string) string { return midSentence(label) }

// midSentence writes a label as it reads inside a sentence: its first word
// lowercased when it is an ordinary capitalised word ("Sales lead" → "sales
// lead", "Líder de vendas" → "líder de vendas"), kept when it is an acronym
// or a name ("CRO", "RevOps observer") or in a script without case.
func midSentence(label string) string {
	word, rest, _ := strings.Cut(label, " ")
	runes := []rune(word)
	if len(runes) < 2 || !unicode.IsUpper(runes[0]) {
		return label
	}
	for _, r := range runes[1:] {
		if !unicode.IsLower(r) {
			return label
		}
	}
	runes[0] = unicode.ToLower(runes[0])
	if rest == "" {
		return string(runes)
	}
	return string(runes) + " " + rest
}

// status says an action's status in words.
func (s speaker) status(st storage.ActionStatus) string {
	switch st {
	case storage.ActionOpen:
		return s.T("status_label.open")
	case storage.ActionInProgress:
		return s.T("status_label.in_progress")
	case storage.ActionBlocked:
		return s.T("status_label.blocked")
	case storage.ActionDone:
		return s.T("status_label.done")
	}
	return string(st)
}

// verdict says what became of an owned gap.
func (s speaker) verdict(v scoring.Verdict) string {
	switch v {
	case scoring.Closed:
		return s.T("verdict.closed")
	case scoring.Improved:
		return s.T("verdict.improved")
	case scoring.Unchanged:
		return s.T("verdict.unchanged")
	case scoring.Worse:
		return s.T("verdict.worse")
	}
	return v.String()
}

// roundLang is the language of a round's channel messages.
func roundLang(r storage.Round) locale.Lang { return locale.Lang(r.Language).OrEnglish() }

// RoundLang is the language of a round's channel messages: the announcement,
// the reveal and its thread, the notes and reminders the channel reads.
func RoundLang(r storage.Round) locale.Lang { return roundLang(r) }
