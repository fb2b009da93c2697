// Package locale is what alignbot says, in the languages its readers read:
// English (the reference), Japanese, Brazilian Portuguese and Indonesian.
//
// Messages live in catalogs, one file per language under catalog/, read by
// github.com/nicksnyder/go-i18n: each message has an ID, text/template
// placeholders ({{.Channel}}) and CLDR plural forms where a count decides
// the wording. The instruments' own texts (questions, criteria, tiers,
// moves, flags, suggested actions) are translated beside them, keyed by the
// instrument's IDs; their English stays in package scoring, the reference
// every translation is checked against. Scoring never depends on language:
// Instrument returns a copy with the texts replaced and every ID, number and
// rule left as it was.
//
// Slack tells each person's locale ("ja-JP", "pt-BR", "en-GB"); Match maps
// it to the nearest of the four languages, English when none is near.
package locale

import (
	"strings"

	"golang.org/x/text/language"
)

// Lang is one of the languages alignbot speaks, as a BCP 47 tag. It is
// stored with each round.
type Lang string

// The languages alignbot speaks. English is the reference and the fallback.
const (
	English    Lang = "en"
	Japanese   Lang = "ja"
	Portuguese Lang = "pt-BR"
	Indonesian Lang = "id"
)

// Langs lists every language, English first.
var Langs = []Lang{English, Japanese, Portuguese, Indonesian}

// tags are Langs as language tags, in the same order, for matching.
var tags = []language.Tag{language.English, language.Japanese, language.BrazilianPortuguese, language.Indonesian}

var matcher = language.NewMatcher(tags)

// Valid reports whether l is one of Langs.
func (l Lang) Valid() bool {
	for _, v := range Langs {
		if v == l {
			return true
		}
	}
	return false
}

// OrEnglish is l, or English for a language alignbot does not speak
// (rounds stored before languages existed have none).
func (l Lang) OrEnglish() Lang {
	if l.Valid() {
		return l
	}
	return English
}

// Name is the language's name in itself, as a language menu shows it.
func (l Lang) Name() string {
	switch l {
	case Japanese:
		return "日本語"
	case Portuguese:
		return "Português (Brasil)"
	case Indonesian:
		return "Bahasa Indonesia"
	}
	return "English"
}

// Match maps a Slack locale ("ja-JP", "pt-BR", "id-ID", "en-GB") to the
// nearest language alignbot speaks: English when the locale is empty,
// unreadable or not near any of them (Slack's "es-LA", "zh-CN").
func Match(slackLocale string) Lang {
	s := strings.TrimSpace(strings.ReplaceAll(slackLocale, "_", "-"))
	if s == "" {
		return English
	}
	tag, err := language.Parse(s)
	if err != nil {
		return English
	}
	_, i, confidence := matcher.Match(tag)
	if confidence < language.High {
		return English
	}
	return Langs[i]
}

// Parse reads a language a person or an operator named: "ja", "pt-BR",
// "pt", "id", "en", or a regional form of them ("ja-JP", "en-GB"),
// whatever the case. It refuses a language alignbot does not speak rather
// than guess.
func Parse(s string) (Lang, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "_", "-"))
	if s == "" {
		return "", false
	}
	for _, l := range Langs {
		if strings.EqualFold(s, string(l)) {
			return l, true
		}
	}
	tag, err := language.Parse(s)
	if err != nil {
		return "", false
	}
	_, i, confidence := matcher.Match(tag)
	if confidence < language.High {
		return "", false
	}
	return Langs[i], true
}
