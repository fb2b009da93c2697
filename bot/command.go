package bot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// command is a parsed /alignment invocation.
type command struct {
	name string
	// start: the people in the order typed (marketing, sales, observer) and
	// the channel, if one was named.
	users   []string
	channel string
	// assign, addressed: the question; assign: the action's text.
	question string
	text     string
	// extend: how much longer respondents get.
	extend time.Duration
}

// userError is a mistake the person can fix; its text is shown to them as
// is. field, when set, names the form field at fault.
type userError struct {
	msg   string
	field string
}

func (e userError) Error() string { return e.msg }

func userErrorf(format string, args ...any) error {
	return userError{msg: fmt.Sprintf(format, args...)}
}

// fieldErrorf is a userError about one form field.
func fieldErrorf(field, format string, args ...any) error {
	return userError{msg: fmt.Sprintf(format, args...), field: field}
}

const startUsage = "`/alignment start @marketing-lead @sales-lead [@observer] [#channel]`"

var (
	// Slack escapes mentions as <@U123|name> (or <@U123>) and channels as
	// <#C123|name>; IDs typed plainly are accepted too.
	userMention    = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)
	userID         = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	channelMention = regexp.MustCompile(`^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$`)
	channelID      = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	questionRef    = regexp.MustCompile(`^[Qq]?([0-9]{1,2})$`)
)

// parseCommand reads the text typed after /alignment. Mistakes come back as
// userError with what to type instead.
func parseCommand(text string) (command, error) {
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
	case "addressed":
		if len(args) != 1 {
			return command{}, userErrorf("Say which question: `/alignment addressed Q3`.")
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
	return command{}, userErrorf("I don't know `%s`. %s", fields[0], "Try `/alignment help`.")
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
		case channelMention.MatchString(a):
			if c.channel != "" {
				return command{}, userErrorf("Name one channel at most. Usage: %s", startUsage)
			}
			c.channel = channelMention.FindStringSubmatch(a)[1]
		case channelID.MatchString(a):
			if c.channel != "" {
				return command{}, userErrorf("Name one channel at most. Usage: %s", startUsage)
			}
			c.channel = a
		case strings.HasPrefix(a, "@"):
			return command{}, userErrorf("I couldn't tell who `%s` is. Pick people from Slack's @-mention list so they are linked. Usage: %s", a, startUsage)
		case strings.HasPrefix(a, "#"):
			return command{}, userErrorf("I couldn't tell which channel `%s` is. Pick it from Slack's #-channel list so it is linked. Usage: %s", a, startUsage)
		default:
			return command{}, userErrorf("I didn't understand `%s`. Usage: %s", a, startUsage)
		}
	}
	switch {
	case len(c.users) == 0:
		return command{}, userErrorf("Name the marketing lead and the sales lead. Usage: %s", startUsage)
	case len(c.users) == 1:
		return command{}, userErrorf("The sales lead is missing: name both leads, marketing first. Usage: %s", startUsage)
	case len(c.users) > 3:
		return command{}, userErrorf("At most three people: the marketing lead, the sales lead and one observer. Usage: %s", startUsage)
	}
	seen := map[string]bool{}
	for _, u := range c.users {
		if seen[u] {
			return command{}, userErrorf("%s is named twice. Each role needs a different person: the diagnostic compares independent answers.", mention(u))
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
		return command{}, userErrorf("`%s` isn't a person I can recognise. Mention the owner with @: %s", args[1], usage)
	}
	return command{name: "assign", question: q, users: []string{owner}, text: strings.Join(args[2:], " ")}, nil
}

const maxActionLength = 500

func parseQuestion(s string) (string, error) {
	m := questionRef.FindStringSubmatch(s)
	if m == nil {
		return "", userErrorf("`%s` isn't a question. Questions are Q1 to Q10.", s)
	}
	n, _ := strconv.Atoi(m[1])
	return "Q" + strconv.Itoa(n), nil
}

// parseDays reads "3d", "48h" or "90m".
func parseDays(s string) (time.Duration, error) {
	bad := userErrorf("`%s` isn't a duration. Try `3d` or `48h`.", s)
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

const helpText = "*alignbot* runs the Marketing-Sales Alignment Maturity Diagnostic: the marketing lead and the sales lead " +
	"(and optionally a RevOps observer) score ten practices on their own, nobody sees anyone's answers until all are in, " +
	"then the comparison is posted here, question by question.\n\n" +
	"• `/alignment start @marketing-lead @sales-lead [@observer] [#channel]`: start a round (no arguments opens a form)\n" +
	"• `/alignment status`: who has submitted, the deadline, and the owned gaps\n" +
	"• `/alignment history`: this channel's rounds and tiers\n" +
	"• `/alignment extend 3d`: give respondents more time (facilitator)\n" +
	"• `/alignment cancel`: cancel the round collecting answers (facilitator or admin)\n" +
	"• `/alignment assign Q3 @owner <30-day action>`: name an owner for one of the top gaps\n" +
	"• `/alignment addressed Q3`: mark a gap as already being addressed; the next one moves up\n" +
	"• `/alignment help`: this message"
