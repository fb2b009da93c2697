package demo

import (
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Slack's mrkdwn, rendered to HTML as Slack's client shows it: *bold*,
// _italic_, ~strike~, `code`, ```preformatted```, "> " quotes, <links|text>,
// <@user> and <#channel> mentions, <!here>-style broadcasts, <!date^…>
// dates in the viewer's time zone, and :emoji:. Everything that is not markup
// is escaped: the text comes from the bot, and through it from people.

// esc escapes text for HTML.
func esc(s string) string { return html.EscapeString(s) }

// unslack turns Slack's three escapes back into characters; esc then
// escapes them for HTML.
func unslack(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// mrkdwn renders a mrkdwn text.
func (rc *renderCtx) mrkdwn(s string) string {
	var b strings.Builder
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "```"):
			// A preformatted block runs to the line that ends with ```.
			body := strings.TrimPrefix(line, "```")
			var parts []string
			for {
				if rest, ok := strings.CutSuffix(body, "```"); ok {
					parts = append(parts, rest)
					break
				}
				parts = append(parts, body)
				if i+1 >= len(lines) {
					break
				}
				i++
				body = lines[i]
			}
			b.WriteString(`<pre class="mk-pre">` + esc(unslack(strings.Join(parts, "\n"))) + `</pre>`)
		case strings.HasPrefix(line, "&gt;") || strings.HasPrefix(line, ">"):
			var quoted []string
			for ; i < len(lines); i++ {
				l := lines[i]
				rest, ok := strings.CutPrefix(l, "&gt;")
				if !ok {
					if rest, ok = strings.CutPrefix(l, ">"); !ok {
						break
					}
				}
				quoted = append(quoted, strings.TrimPrefix(rest, " "))
			}
			i--
			b.WriteString(`<blockquote class="mk-quote">`)
			for k, q := range quoted {
				if k > 0 {
					b.WriteString("<br>")
				}
				b.WriteString(rc.inline(q))
			}
			b.WriteString(`</blockquote>`)
		default:
			b.WriteString(rc.inline(line))
			if i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "&gt;") && !strings.HasPrefix(lines[i+1], ">") && !strings.HasPrefix(lines[i+1], "```") {
				b.WriteString("<br>")
			}
		}
	}
	return b.String()
}

var emojiName = regexp.MustCompile(`^:([a-z0-9_+\-]+):`)

// isWordChar reports whether r is part of a word, for the rule that a
// formatting marker opens after and closes before a non-word character.
func isWordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// inline renders one line's inline markup.
func (rc *renderCtx) inline(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '<':
			if j := strings.IndexByte(s[i:], '>'); j > 0 {
				b.WriteString(rc.token(s[i+1 : i+j]))
				i += j + 1
				continue
			}
		case c == '`':
			if j := strings.IndexByte(s[i+1:], '`'); j > 0 {
				b.WriteString(`<code class="mk-code">` + esc(unslack(s[i+1:i+1+j])) + `</code>`)
				i += j + 2
				continue
			}
		case c == '*' || c == '_' || c == '~':
			if j := closing(s, i); j > 0 {
				tag := map[byte]string{'*': "b", '_': "i", '~': "s"}[c]
				b.WriteString("<" + tag + ">" + rc.inline(s[i+1:j]) + "</" + tag + ">")
				i = j + 1
				continue
			}
		case c == ':':
			if m := emojiName.FindStringSubmatch(s[i:]); m != nil {
				if e, ok := emoji[m[1]]; ok {
					b.WriteString(`<span class="emoji" title=":` + esc(m[1]) + `:">` + e + `</span>`)
					i += len(m[0])
					continue
				}
			}
		case c == '&':
			// Slack's own escapes (&amp; &lt; &gt;) are already HTML.
			if e := slackEscape(s[i:]); e != "" {
				b.WriteString(e)
				i += len(e)
				continue
			}
		}
		b.WriteString(esc(s[i : i+1]))
		i++
	}
	return b.String()
}

func slackEscape(s string) string {
	for _, e := range []string{"&amp;", "&lt;", "&gt;"} {
		if strings.HasPrefix(s, e) {
			return e
		}
	}
	return ""
}

// closing returns where the formatting marker at s[i] closes, or -1: the
// marker opens at the start or after a non-word character, before a
// non-space; it closes after a non-space, before the end or a non-word
// character.
func closing(s string, i int) int {
	m := s[i]
	if i > 0 && isWordChar(s[i-1]) {
		return -1
	}
	if i+1 >= len(s) || s[i+1] == ' ' || s[i+1] == m {
		return -1
	}
	for j := i + 2; j < len(s); j++ {
		if s[j] != m {
			continue
		}
		if s[j-1] == ' ' {
			continue
		}
		if j+1 < len(s) && isWordChar(s[j+1]) {
			continue
		}
		return j
	}
	return -1
}

// token renders what is between < and >: a mention, a broadcast, a date or
// a link.
func (rc *renderCtx) token(t string) string {
	body, label, hasLabel := strings.Cut(t, "|")
	switch {
	case strings.HasPrefix(body, "@U") || strings.HasPrefix(body, "@W"):
		id := body[1:]
		name, ok := rc.userName(id)
		if !ok {
			name = cutAt(label, hasLabel, id)
		}
		class := "mention"
		if id == rc.viewer.ID {
			class += " mention-me"
		}
		return `<span class="` + class + `" data-user="` + esc(id) + `">@` + esc(name) + `</span>`
	case strings.HasPrefix(body, "#C") || strings.HasPrefix(body, "#G"):
		id := body[1:]
		name, ok := rc.channelName(id)
		if !ok {
			name = cutAt(label, hasLabel, id)
		}
		return `<a class="mention channel-link" href="` + esc(rc.channelHref(id)) + `">#` + esc(name) + `</a>`
	case body == "!here" || body == "!channel" || body == "!everyone":
		return `<span class="mention mention-me">@` + esc(body[1:]) + `</span>`
	case strings.HasPrefix(body, "!subteam^"):
		return `<span class="mention">` + esc(unslack(cutAt(label, hasLabel, "@group"))) + `</span>`
	case strings.HasPrefix(body, "!date^"):
		return rc.date(body, unslack(label))
	case strings.HasPrefix(body, "!"):
		rc.problem("unknown special text <%s>", body)
		return esc(unslack(cutAt(label, hasLabel, body)))
	}
	url := unslack(body)
	text := url
	if hasLabel {
		text = unslack(label)
	}
	href, internal := rc.link(url)
	if href == "" {
		if !hasLabel {
			// Not a link Slack would make: the text as it was.
			return esc("<" + url + ">")
		}
		return esc(text)
	}
	if internal {
		return `<a href="` + esc(href) + `">` + esc(text) + `</a>`
	}
	return `<a href="` + esc(href) + `" target="_blank" rel="noopener noreferrer">` + esc(text) + `</a>`
}

func cutAt(label string, has bool, fallback string) string {
	if has && label != "" {
		return strings.TrimPrefix(label, "@")
	}
	return fallback
}

// date renders <!date^unix^format[^link]|fallback> in the viewer's time
// zone, as Slack's client does.
func (rc *renderCtx) date(body, fallback string) string {
	parts := strings.SplitN(body, "^", 4)
	if len(parts) < 3 {
		rc.problem("malformed date <%s>", body)
		return esc(fallback)
	}
	sec, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		rc.problem("malformed date <%s>", body)
		return esc(fallback)
	}
	t := time.Unix(sec, 0).In(rc.loc)
	out := formatSlackDate(parts[2], t, rc.now.In(rc.loc))
	title := t.Format("Monday, 2 January 2006 at 15:04 MST")
	return `<time class="slack-date" datetime="` + t.UTC().Format(time.RFC3339) + `" title="` + esc(title) + `">` + esc(out) + `</time>`
}

// formatSlackDate fills a Slack date format's tokens.
func formatSlackDate(format string, t, now time.Time) string {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location()) }
	relative := func() (string, bool) {
		switch int(day(t).Sub(day(now)).Round(time.Hour).Hours() / 24) {
		case 0:
			return "today", true
		case 1:
			return "tomorrow", true
		case -1:
			return "yesterday", true
		}
		return "", false
	}
	long := fmt.Sprintf("%s, %s %s, %d", t.Weekday(), t.Month(), ordinal(t.Day()), t.Year())
	full := fmt.Sprintf("%s %s, %d", t.Month(), ordinal(t.Day()), t.Year())
	short := t.Format("Jan 2, 2006")
	pretty := func(s string) string {
		if r, ok := relative(); ok {
			return r
		}
		return s
	}
	r := strings.NewReplacer(
		"{date_num}", t.Format("2006-01-02"),
		"{date_short_pretty}", pretty(short),
		"{date_long_pretty}", pretty(long),
		"{date_pretty}", pretty(full),
		"{date_short}", short,
		"{date_long}", long,
		"{date}", full,
		"{time_secs}", t.Format("3:04:05 PM"),
		"{time}", t.Format("3:04 PM"),
		"{ago}", ago(t, now),
	)
	out := r.Replace(format)
	// A relative word opens the sentence capitalised, as Slack shows it.
	if len(out) > 0 && out[0] >= 'a' && out[0] <= 'z' {
		out = strings.ToUpper(out[:1]) + out[1:]
	}
	return out
}

func ordinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.Itoa(n) + suffix
}

func ago(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		s = plural(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		s = plural(int(d/time.Hour), "hour")
	default:
		s = plural(int(d/(24*time.Hour)), "day")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// emoji are the shortcodes alignbot and people use most, as characters.
var emoji = map[string]string{
	"warning": "⚠️", "triangular_flag_on_post": "🚩", "white_check_mark": "✅", "heavy_check_mark": "✔️",
	"x": "❌", "tada": "🎉", "wave": "👋", "bell": "🔔", "calendar": "📅", "chart_with_upwards_trend": "📈",
	"bar_chart": "📊", "memo": "📝", "hourglass": "⌛", "hourglass_flowing_sand": "⏳", "lock": "🔒",
	"eyes": "👀", "bulb": "💡", "rocket": "🚀", "thumbsup": "👍", "+1": "👍", "clock3": "🕒",
	"large_green_circle": "🟢", "large_yellow_circle": "🟡", "red_circle": "🔴", "point_right": "👉",
	"dart": "🎯", "handshake": "🤝", "mag": "🔍", "construction": "🚧", "no_entry": "⛔",
	"arrows_counterclockwise": "🔄", "busts_in_silhouette": "👥", "speech_balloon": "💬", "question": "❓",
}
