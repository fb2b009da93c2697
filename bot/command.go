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
			return command{}, userErrorf("`/alignment %s` takes nothing after it.", c.name)
		}
		return c, nil
	case "start":
		return parseStart(args)
	case "assign":
		return parseAssign(args)
	case "addressed", "unaddressed":
		if len(args) != 1 {
			return command{}, userErrorf("Say which question: `/alignment %s Q3`.", c.name)
		}
		q, err := parseQuestion(args[0])
		if err != nil {
			return command{}, err
		}
		c.question = q
		return c, nil
	case "extend":
		if len(args) != 1 {
			return command{}, userErrorf("Say by how much: `/alignment extend 3d` (or `48h`).")
		}
		d, err := parseDays(args[0])
		if err != nil {
			return command{}, err
		}
		c.extend = d
		return c, nil
	}
	return command{}, userErrorf("I don't know %s. Try `/alignment help`.", echo(fields[0]))
}

func parseStart(args []string) (command, error) {
	c := command{name: "start"}
	if len(args) == 0 {
		return c, nil // the form
	}
	for _, a := range args {
		switch {
		case userMention.MatchString(a):
			c.users = append(c.users, userMention.FindStringSubmatch(a)[1])
		case userID.MatchString(a):
			c.users = append(c.users, a)
		case channelMention.MatchString(a), channelID.MatchString(a):
			if c.channel != "" {
				return command{}, userErrorf("Name one channel at most. Usage: %s", render.StartUsage)
			}
			if m := channelMention.FindStringSubmatch(a); m != nil {
				c.channel = m[1]
			} else {
				c.channel = a
			}
		case strings.HasPrefix(a, "@"):
			return command{}, userErrorf("I couldn't tell who %s is. Pick people from Slack's @-mention list so they are linked. Usage: %s", echo(a), render.StartUsage)
		case strings.HasPrefix(a, "#"):
			return command{}, userErrorf("I couldn't tell which channel %s is. Pick it from Slack's #-channel list so it is linked. Usage: %s", echo(a), render.StartUsage)
		default:
			in, ok := scoring.Lookup(strings.ToLower(a))
			if !ok {
				var ids []string
				for _, in := range scoring.Instruments {
					ids = append(ids, "`"+in.ID+"`")
				}
				return command{}, userErrorf("I didn't understand %s. Usage: %s, where the instrument is one of %s.", echo(a), render.StartUsage, render.JoinAnd(ids))
			}
			if c.instrument != "" {
				return command{}, userErrorf("Name one instrument at most. Usage: %s", render.StartUsage)
			}
			c.instrument = in.ID
		}
	}
	switch {
	case len(c.users) == 0:
		return command{}, userErrorf("Name the marketing lead and the sales lead. Usage: %s", render.StartUsage)
	case len(c.users) == 1:
		return command{}, userErrorf("The sales lead is missing: name both leads, marketing first. Usage: %s", render.StartUsage)
	case len(c.users) > 3:
		return command{}, userErrorf("At most three people: the marketing lead, the sales lead and one observer. Usage: %s", render.StartUsage)
	}
	seen := map[string]bool{}
	for _, u := range c.users {
		if seen[u] {
			return command{}, userErrorf("%s is named twice. Each role needs a different person: the diagnostic compares independent answers.", render.Mention(u))
		}
		seen[u] = true
	}
	return c, nil
}

func parseAssign(args []string) (command, error) {
	const usage = "`/alignment assign Q3 @owner what they will do in 30 days`"
	if len(args) < 3 {
		return command{}, userErrorf("Name the question, the owner and the action: %s", usage)
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
		return command{}, userErrorf("I couldn't tell who %s is. Mention the owner with @: %s", echo(args[1]), usage)
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
		return "", userErrorf("%s isn't a question. Questions are Q1, Q2 and so on.", echo(s))
	}
	n, _ := strconv.Atoi(m[1])
	return "Q" + strconv.Itoa(n), nil
}

// parseDays reads "3d", "48h" or "90m".
func parseDays(s string) (time.Duration, error) {
	bad := userErrorf("%s isn't a duration. Try `3d` or `48h` (at most 60 days).", echo(s))
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
		return "", fieldErrorf(field, "Write a few words: what will be done, by when.")
	case n > render.MaxText:
		return "", fieldErrorf(field, "Keep it to %d characters (this is %d): a 30-day step, not a plan.", render.MaxText, n)
	}
	if err := checkControl(s, true); err != nil {
		return "", fieldErrorf(field, "%s", err.Error())
	}
	return s, nil
}

// checkControl refuses control characters (a NUL byte, escape sequences),
// which no keyboard types and PostgreSQL refuses; newlines and tabs pass when
// multiline.
func checkControl(s string, multiline bool) error {
	if !utf8.ValidString(s) {
		return userErrorf("That text isn't valid UTF-8; nothing was changed.")
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t' || r == '\r') {
			continue
		}
		if unicode.IsControl(r) && r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			return userErrorf("That text contains a control character (%U) that I can't store; nothing was changed. Please type it again.", r)
		}
	}
	return nil
}

// questionOf checks a question ID against an instrument.
func questionOf(in *scoring.Instrument, id string) (scoring.Question, error) {
	q, ok := in.Question(id)
	if !ok {
		return scoring.Question{}, userErrorf("%s isn't a question of the %s: its questions are %s to %s.",
			id, in.Name, in.Questions[0].ID, in.Questions[len(in.Questions)-1].ID)
	}
	return q, nil
}

func roleList(in *scoring.Instrument) string {
	var roles []string
	for _, r := range in.Roles {
		roles = append(roles, fmt.Sprintf("the %s", in.RoleLabel(r.Role)))
	}
	return render.JoinAnd(roles)
}
