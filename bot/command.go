package bot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/scoring"
)

// command is a parsed /alignment invocation.
type command struct {
	name string
	// start: the people in the order typed (marketing, sales, observer), the
	// channel and the instrument, if named. assign: users[0] is the owner.
	users      []string
	channel    string
	instrument string
	// start: the language of the channel's messages, if named (lang:ja).
	lang locale.Lang
	// assign, addressed, unaddressed: the question; assign: the action.
	question string
	text     string
	// extend: how much longer respondents get.
	extend time.Duration
}

var (
	// Slack escapes mentions as <@U123|name> (or <@U123>) and channels as
	// <#C123|name>; IDs typed plainly are accepted too.
	userMention    = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)
	userID         = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	channelMention = regexp.MustCompile(`^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$`)
	channelID      = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	questionRef    = regexp.MustCompile(`^[Qq]?([0-9]{1,2})$`)
	// slackEscape is any of Slack's escaped forms: <@U…|name>, <#C…|name>,
	// <!channel>, <!subteam^S…|@team>, <!date^…|fallback>, <https://…|label>.
	slackEscape = regexp.MustCompile(`<([^<>]*)>`)
)

// maxEcho is how much of an unknown word a refusal repeats.
const maxEcho = 50

// echo repeats a word the person typed, inert and short.
func echo(word string) string {
	return "`" + strings.ReplaceAll(render.Inert(word, maxEcho), "`", "'") + "`"
}

// parseCommand reads the text typed after /alignment. Mistakes come back as
// userError with what to type instead.
func parseCommand(text string) (command, error) {
	if err := checkControl(text, false); err != nil {
		return command{}, err
	}
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return command{name: "help"}, nil
	}
	c := command{name: strings.ToLower(fields[0])}
	args := fields[1:]
	switch c.name {
	case "help", "status", "history", "cancel":
		if len(args) > 0 {
			return command{}, userErr("cmd.no_args", "Command", c.name)
		}
		return c, nil
	case "start":
		return parseStart(args)
	case "assign":
		return parseAssign(args)
	case "addressed", "unaddressed":
		if len(args) != 1 {
			return command{}, userErr("cmd.which_question", "Command", c.name)
		}
		q, err := parseQuestion(args[0])
		if err != nil {
			return command{}, err
		}
		c.question = q
		return c, nil
	case "extend":
		if len(args) != 1 {
			return command{}, userErr("cmd.extend_by")
		}
		d, err := parseDays(args[0])
		if err != nil {
			return command{}, err
		}
		c.extend = d
		return c, nil
	}
	return command{}, userErr("cmd.unknown", "Word", echo(fields[0]))
}

func parseStart(args []string) (command, error) {
	c := command{name: "start"}
	if len(args) == 0 {
		return c, nil // the form
	}
	for _, a := range args {
		switch {
		case len(a) >= len("lang:") && strings.EqualFold(a[:len("lang:")], "lang:"):
			l, ok := locale.Parse(a[len("lang:"):])
			if !ok {
				return command{}, userErr("start.unknown_lang", "Word", echo(a), "Languages", andList(langCodes()))
			}
			if c.lang != "" {
				return command{}, userErr("start.one_lang", "Usage", startUsage)
			}
			c.lang = l
		case userMention.MatchString(a):
			c.users = append(c.users, userMention.FindStringSubmatch(a)[1])
		case userID.MatchString(a):
			c.users = append(c.users, a)
		case channelMention.MatchString(a), channelID.MatchString(a):
			if c.channel != "" {
				return command{}, userErr("start.one_channel", "Usage", startUsage)
			}
			if m := channelMention.FindStringSubmatch(a); m != nil {
				c.channel = m[1]
			} else {
				c.channel = a
			}
		case strings.HasPrefix(a, "@"):
			return command{}, userErr("start.who", "Word", echo(a), "Usage", startUsage)
		case strings.HasPrefix(a, "#"):
			return command{}, userErr("start.which_channel", "Word", echo(a), "Usage", startUsage)
		default:
			in, ok := scoring.Lookup(strings.ToLower(a))
			if !ok {
				var ids []string
				for _, in := range scoring.Instruments {
					ids = append(ids, "`"+in.ID+"`")
				}
				return command{}, userErr("start.unknown_word", "Word", echo(a), "Usage", startUsage, "Instruments", andList(ids),
					"Languages", andList(langCodes()))
			}
			if c.instrument != "" {
				return command{}, userErr("start.one_instrument", "Usage", startUsage)
			}
			c.instrument = in.ID
		}
	}
	switch {
	case len(c.users) == 0:
		return command{}, userErr("start.no_leads", "Usage", startUsage)
	case len(c.users) == 1:
		return command{}, userErr("start.no_sales", "Usage", startUsage)
	case len(c.users) > 3:
		return command{}, userErr("start.too_many", "Usage", startUsage)
	}
	seen := map[string]bool{}
	for _, u := range c.users {
		if seen[u] {
			return command{}, userErr("start.twice", "User", render.Mention(u))
		}
		seen[u] = true
	}
	return c, nil
}

func parseAssign(args []string) (command, error) {
	usage := phrase{id: "usage.assign"}
	if len(args) < 3 {
		return command{}, userErr("assign.usage", "Usage", usage)
	}
	q, err := parseQuestion(args[0])
	if err != nil {
		return command{}, err
	}
	var owner string
	switch {
	case userMention.MatchString(args[1]):
		owner = userMention.FindStringSubmatch(args[1])[1]
	case userID.MatchString(args[1]):
		owner = args[1]
	default:
		return command{}, userErr("assign.who", "Word", echo(args[1]), "Usage", usage)
	}
	text, err := actionText(plainText(strings.Join(args[2:], " ")), "action")
	if err != nil {
		return command{}, err
	}
	return command{name: "assign", question: q, users: []string{owner}, text: text}, nil
}

func parseQuestion(s string) (string, error) {
	m := questionRef.FindStringSubmatch(s)
	if m == nil {
		return "", userErr("cmd.not_a_question", "Word", echo(s))
	}
	n, _ := strconv.Atoi(m[1])
	return "Q" + strconv.Itoa(n), nil
}

// parseDays reads "3d", "48h" or "90m".
func parseDays(s string) (time.Duration, error) {
	bad := userErr("cmd.not_a_duration", "Word", echo(s))
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 || days > 60 {
			return 0, bad
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > 60*24*time.Hour {
		return 0, bad
	}
	return d, nil
}

// plainText turns Slack's escaped forms in slash-command text back into the
// plain text they stand for, so that what a person typed is kept as typed
// and never acts: <@U1|owen> → @owen, <!channel> → @channel,
// <!subteam^S1|@mkt> → @mkt, <#C1|general> → #general, <https://x|label> →
// label (https://x); and &amp;, &lt;, &gt;, which is how Slack sends a typed
// &, < and >, → &, <, >. Rendering escapes them again (render.Inert).
func plainText(s string) string {
	return unentity.Replace(slackEscape.ReplaceAllStringFunc(s, func(m string) string {
		inner := m[1 : len(m)-1]
		target, label, hasLabel := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@"):
			if hasLabel {
				return "@" + strings.TrimPrefix(label, "@")
			}
			return target
		case strings.HasPrefix(target, "#"):
			if hasLabel {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			if hasLabel {
				return label
			}
			word, _, _ := strings.Cut(target[1:], "^")
			return "@" + word
		case hasLabel:
			return label + " (" + target + ")"
		}
		return target
	}))
}

// unentity undoes Slack's escaping of &, < and > in one pass, so that a typed
// "&lt;" (sent as "&amp;lt;") stays "&lt;".
var unentity = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// actionText checks a text a person typed for an action, a reason or an
// answer: not empty, at most render.MaxText characters, no control
// characters. field names the form field at fault.
func actionText(s, field string) (string, error) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case s == "":
		return "", fieldErr(field, "text.empty")
	case n > render.MaxText:
		return "", fieldErr(field, "text.too_long", "Max", render.MaxText, "Length", n)
	}
	if err := checkControl(s, true); err != nil {
		ue := err.(userError)
		ue.field = field
		return "", ue
	}
	return s, nil
}

// checkControl refuses control characters (a NUL byte, escape sequences),
// which no keyboard types and PostgreSQL refuses; newlines and tabs pass when
// multiline.
func checkControl(s string, multiline bool) error {
	if !utf8.ValidString(s) {
		return userErr("text.not_utf8")
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t' || r == '\r') {
			continue
		}
		if unicode.IsControl(r) && r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			return userErr("text.control", "Char", fmt.Sprintf("%U", r))
		}
	}
	return nil
}

// questionOf checks a question ID against an instrument.
func questionOf(in *scoring.Instrument, id string) (scoring.Question, error) {
	q, ok := in.Question(id)
	if !ok {
		return scoring.Question{}, userErr("cmd.not_in_instrument", "Question", id, "Instrument", instrumentName{in},
			"First", in.Questions[0].ID, "Last", in.Questions[len(in.Questions)-1].ID)
	}
	return q, nil
}

// startUsage is how a round is started, in the reader's language.
var startUsage = phrase{id: "usage.start"}

// langCodes lists the lang: values a start accepts.
func langCodes() []string {
	var codes []string
	for _, l := range locale.Langs {
		codes = append(codes, "`lang:"+string(l)+"`")
	}
	return codes
}

// instrumentName is an instrument's name inside a message's placeholders,
// in the reader's language.
type instrumentName struct{ in *scoring.Instrument }

// roleList is an instrument's roles inside a message's placeholders ("the
// Marketing lead, the Sales lead and the RevOps observer"), in the reader's
// language.
type roleList struct{ in *scoring.Instrument }

// roleName is one of an instrument's roles inside a message's
// placeholders, in the reader's language.
type roleName struct {
	in   *scoring.Instrument
	role scoring.Role
}
