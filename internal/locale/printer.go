package locale

import (
	"embed"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/alignbot/alignbot/scoring"
)

// catalogFiles are the message catalogs: <lang>.toml for what alignbot says
// and instruments.<lang>.toml for the instruments' texts in that language.
// English instrument texts are scoring's own, so there is no
// instruments.en.toml.
//
//go:embed catalog/*.toml
var catalogFiles embed.FS

// bundle holds every catalog, read once: they are part of the binary and a
// broken one is a bug caught by the tests, so loading panics.
var bundle = sync.OnceValue(func() *i18n.Bundle {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	entries, err := catalogFiles.ReadDir("catalog")
	if err != nil {
		panic(fmt.Sprintf("locale: read catalogs: %v", err))
	}
	for _, e := range entries {
		name := e.Name()
		raw, err := catalogFiles.ReadFile(path.Join("catalog", name))
		if err != nil {
			panic(fmt.Sprintf("locale: read %s: %v", name, err))
		}
		// go-i18n takes the language from the file name's last part before
		// the extension: instruments.ja.toml is Japanese.
		if _, err := b.ParseMessageFileBytes(raw, name); err != nil {
			panic(fmt.Sprintf("locale: parse %s: %v", name, err))
		}
	}
	return b
})

// Printer writes alignbot's messages in one language. Printers are safe for
// concurrent use and cheap to get: For keeps one per language.
type Printer struct {
	lang Lang
	loc  *i18n.Localizer
	// memo keeps messages written before, by id and data (see memoKey):
	// the same every time, and go-i18n matches the language and runs a
	// template anew on each call, while a card asks for dozens of messages
	// on every click. memoized counts them, up to maxMemo.
	memo     sync.Map
	memoized atomic.Int64
}

// maxMemo bounds the messages a printer keeps; past it, messages are
// written anew each time.
const maxMemo = 8192

// memoKey identifies a message by id and the shape of its data: names and
// ints as they are (a count chooses the wording), each non-empty string
// value as a stand-in that the message is filled with once written (see
// fill): the catalogs' templates only print their strings. shaped is the
// data with the stand-ins, values what fills them. Data of other types is
// written anew each time.
func memoKey(id string, count int, plural bool, kv []any) (key string, shaped []any, values []string, ok bool) {
	var b strings.Builder
	b.WriteString(id)
	if plural {
		b.WriteString("\x00#")
		b.WriteString(strconv.Itoa(count))
	}
	shaped = make([]any, len(kv))
	for i, v := range kv {
		b.WriteByte(0)
		switch v := v.(type) {
		case string:
			if strings.IndexByte(v, 0) >= 0 {
				return "", nil, nil, false
			}
			if i%2 == 0 || v == "" {
				b.WriteByte('s')
				b.WriteString(v)
				shaped[i] = v
				continue
			}
			b.WriteByte('v')
			shaped[i] = standIn(len(values))
			values = append(values, v)
		case int:
			b.WriteByte('i')
			b.WriteString(strconv.Itoa(v))
			shaped[i] = v
		default:
			return "", nil, nil, false
		}
	}
	return b.String(), shaped, values, true
}

// standIn marks where the i-th string value goes in a remembered message.
func standIn(i int) string { return "\x00" + strconv.Itoa(i) + "\x00" }

// fill puts values where their stand-ins are.
func fill(s string, values []string) string {
	for i, v := range values {
		s = strings.ReplaceAll(s, standIn(i), v)
	}
	return s
}

// remembered returns the message key names, writing it with write the
// first time.
func (p *Printer) remembered(key string, write func() string) string {
	if s, found := p.memo.Load(key); found {
		return s.(string)
	}
	s := write()
	if p.memoized.Add(1) <= maxMemo {
		p.memo.Store(key, s)
	}
	return s
}

var printers sync.Map // Lang → *Printer

// For returns the printer of l; English for a language alignbot does not
// speak.
func For(l Lang) *Printer {
	l = l.OrEnglish()
	if p, ok := printers.Load(l); ok {
		return p.(*Printer)
	}
	p, _ := printers.LoadOrStore(l, &Printer{lang: l, loc: i18n.NewLocalizer(bundle(), string(l))})
	return p.(*Printer)
}

// Lang is the printer's language.
func (p *Printer) Lang() Lang { return p.lang }

// data turns alternating names and values into a template's data.
func data(kv []any) map[string]any {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]any, len(kv)/2+1)
	for i := 0; i+1 < len(kv); i += 2 {
		name, _ := kv[i].(string)
		m[name] = kv[i+1]
	}
	return m
}

// T is the message id with its placeholders filled from kv, alternating
// names and values: T("round.cancelled", "Round", 7). A message missing
// from the language falls back to English; one missing altogether gives
// its ID, so a gap shows instead of vanishing (the tests forbid both).
func (p *Printer) T(id string, kv ...any) string {
	key, shaped, values, ok := memoKey(id, 0, false, kv)
	if !ok {
		return p.t(id, kv)
	}
	return fill(p.remembered(key, func() string { return p.t(id, shaped) }), values)
}

func (p *Printer) t(id string, kv []any) string {
	s, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data(kv)})
	if s == "" && err != nil {
		return id
	}
	return s
}

// N is T for a message whose wording depends on a count, in the language's
// CLDR plural forms; the count is the placeholder {{.Count}}.
func (p *Printer) N(id string, count int, kv ...any) string {
	key, shaped, values, ok := memoKey(id, count, true, kv)
	if !ok {
		return p.n(id, count, kv)
	}
	return fill(p.remembered(key, func() string { return p.n(id, count, shaped) }), values)
}

func (p *Printer) n(id string, count int, kv []any) string {
	d := data(kv)
	if d == nil {
		d = map[string]any{}
	}
	d["Count"] = count
	s, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: d, PluralCount: count})
	if s == "" && err != nil {
		return id
	}
	return s
}

// Has reports whether the language's own catalog has the message, without
// falling back to English.
func (p *Printer) Has(id string) bool {
	_, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: id})
	var missing *i18n.MessageNotFoundErr
	return !errors.As(err, &missing)
}

// text is the language's own translation of id, and whether it has one: no
// fallback to English, for the instruments' texts whose English is
// scoring's.
func (p *Printer) text(id string) (string, bool) {
	s, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: id})
	if err != nil || s == "" {
		return "", false
	}
	return s, true
}

// JoinAnd joins items as the language writes lists: "a, b and c", "a、bとc",
// "a, b e c", "a, b, dan c".
func (p *Printer) JoinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return p.T("list.pair", "First", items[0], "Second", items[1])
	}
	rest := strings.Join(items[:len(items)-1], p.T("list.separator"))
	return p.T("list.last", "Rest", rest, "Last", items[len(items)-1])
}

// Interval says a duration as people do: "90 days", "12 hours", in the
// language's plural forms.
func (p *Printer) Interval(d time.Duration) string {
	switch days := d.Hours() / 24; {
	case d >= 24*time.Hour && days == float64(int(days)):
		return p.N("interval.days", int(days))
	case d >= time.Hour && d%time.Hour == 0:
		return p.N("interval.hours", int(d.Hours()))
	}
	return d.String()
}

var weekdays = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// DateTime is t as the language writes a date and time, in UTC: the text a
// Slack date token falls back to where it cannot show the reader's own
// time zone ("Mon 9 Nov 2026 14:00 UTC").
func (p *Printer) DateTime(t time.Time) string {
	t = t.UTC()
	return p.T("date.date_time", p.dateParts(t, "Time", t.Format("15:04"))...)
}

// Date is t's date as the language writes it, in UTC ("Mon 9 Nov 2026").
func (p *Printer) Date(t time.Time) string {
	return p.T("date.date", p.dateParts(t.UTC())...)
}

func (p *Printer) dateParts(t time.Time, more ...any) []any {
	return append([]any{
		"Weekday", p.T("date.weekday." + weekdays[t.Weekday()]),
		"Day", t.Day(),
		"Month", p.T(fmt.Sprintf("date.month.m%d", int(t.Month()))),
		"Year", t.Year(),
	}, more...)
}

// Texts lists every message of l's own catalog as written, each plural form
// apart, template placeholders and all: what checks of the catalogs (a
// translated message that still shows English) read. English includes the
// instruments' texts, which are scoring's.
func Texts(l Lang) []string {
	var out []string
	entries, _ := catalogFiles.ReadDir("catalog")
	for _, e := range entries {
		raw, _ := catalogFiles.ReadFile(path.Join("catalog", e.Name()))
		mf, err := i18n.ParseMessageFileBytes(raw, e.Name(), map[string]i18n.UnmarshalFunc{"toml": toml.Unmarshal})
		if err != nil || mf.Tag.String() != string(l) {
			continue
		}
		for _, m := range mf.Messages {
			for _, s := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
				if s != "" {
					out = append(out, s)
				}
			}
		}
	}
	if l == English {
		for _, in := range scoring.Instruments {
			for _, t := range InstrumentTexts(in) {
				out = append(out, t.English)
			}
		}
	}
	return out
}
