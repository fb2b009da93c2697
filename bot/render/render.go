// Package render builds every message, modal and view alignbot shows in
// Slack. Each is a pure function of domain values (a round, a questionnaire,
// a reveal) returning Block Kit, so that every one is golden-tested under
// testdata and a change of wording shows in one diff.
//
// Text a person typed (an action, a reason, an answer to the one question)
// goes through Inert before it is rendered: it can never ping a channel or
// plant a link. Every builder keeps within Slack's limits (3 000 characters
// a section, 50 blocks a message, 100 a view), whatever was stored.
package render

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Slack's limits on what one message or view may hold.
const (
	MaxBlocks     = 50
	MaxViewBlocks = 100
	maxSection    = 3000
	maxHeader     = 150
	maxButton     = 75
	maxContext    = 2000
)

// Message is what the bot posts: blocks plus the plain-text fallback Slack
// shows in notifications and screen readers.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// Options returns the message as slack-go message options.
func (m Message) Options() []slack.MsgOption {
	return []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
}

// Mention links a user: <@U123>.
func Mention(userID string) string { return "<@" + userID + ">" }

// ChannelRef links a channel: <#C123>.
func ChannelRef(channelID string) string { return "<#" + channelID + ">" }

// Escape makes text safe inside mrkdwn: Slack reads &, < and > as the start
// of an entity, a mention or a link.
func Escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

var urlLike = regexp.MustCompile(`(?i)\b(?:https?|ftp|mailto|slack):[^\s` + "`" + `]*|\bwww\.[^\s` + "`" + `]+`)

// Inert renders text a person typed so that it shows as typed and does
// nothing else: escaped, so it can never mention anyone or form a link, with
// web addresses set as code so that Slack does not make them clickable, and
// clipped to max characters.
func Inert(s string, max int) string {
	s = Clip(strings.TrimSpace(s), max)
	s = Escape(s)
	return urlLike.ReplaceAllStringFunc(s, func(u string) string { return "`" + u + "`" })
}

// Clip cuts s to at most max characters (not bytes), marking the cut.
func Clip(s string, max int) string {
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	return string(runes[:max-1]) + "…"
}

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, false)
}

func plain(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, true, false)
}

func section(blockID, text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(Clip(text, maxSection)), nil, nil, slack.SectionBlockOptionBlockID(blockID))
}

// sectionWith is a section with a button beside its text.
func sectionWith(blockID, text string, accessory *slack.ButtonBlockElement) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(Clip(text, maxSection)), nil, slack.NewAccessory(accessory), slack.SectionBlockOptionBlockID(blockID))
}

func contextBlock(blockID string, texts ...string) *slack.ContextBlock {
	var elems []slack.MixedElement
	for _, t := range texts {
		elems = append(elems, mrkdwn(Clip(t, maxContext)))
	}
	return slack.NewContextBlock(blockID, elems...)
}

// header is a message's title. It carries a block_id, as every block
// alignbot sends does, so Slack need not make one up on every update.
func header(text string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(plain(Clip(text, maxHeader)), slack.HeaderBlockOptionBlockID(BlockTitle))
}

func divider() *slack.DividerBlock { return slack.NewDividerBlock() }

func button(actionID, value, text string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, plain(Clip(text, maxButton)))
}

func primary(b *slack.ButtonBlockElement) *slack.ButtonBlockElement {
	b.Style = slack.StylePrimary
	return b
}

func linkButton(actionID, text, url string) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, "", plain(Clip(text, maxButton)))
	b.URL = url
	return b
}

func actions(blockID string, elems ...slack.BlockElement) *slack.ActionBlock {
	return slack.NewActionBlock(blockID, elems...)
}

// sectionsContinued puts a title and lines into as few sections as Slack's
// text limit allows, each after the first under the title continued; none
// when there are no lines.
func sectionsContinued(blockID, title, continued string, lines []string) []slack.Block {
	var blocks []slack.Block
	text := title
	for _, line := range lines {
		line = Clip(line, maxSection-utf8.RuneCountInString(title)-20)
		if utf8.RuneCountInString(text)+1+utf8.RuneCountInString(line) > maxSection {
			blocks = append(blocks, section(fmt.Sprintf("%s:%d", blockID, len(blocks)), text))
			text = continued
		}
		text += "\n" + line
	}
	if len(lines) > 0 {
		blocks = append(blocks, section(fmt.Sprintf("%s:%d", blockID, len(blocks)), text))
	}
	return blocks
}

// paginate splits blocks into messages of at most MaxBlocks, each with text
// as its fallback.
func paginate(text string, blocks []slack.Block) []Message {
	var out []Message
	for start := 0; start < len(blocks); start += MaxBlocks {
		end := min(start+MaxBlocks, len(blocks))
		out = append(out, Message{Text: text, Blocks: blocks[start:end]})
	}
	return out
}

// capBlocks keeps a message within n blocks, replacing the tail with a
// note when it would not fit.
func capBlocks(blocks []slack.Block, n int, note string) []slack.Block {
	if len(blocks) <= n {
		return blocks
	}
	return append(blocks[:n-1:n-1], contextBlock("more", note))
}

// Workspace is what links to a workspace's messages need.
type Workspace struct {
	// URL is the workspace's address, "https://acme.slack.com/", as
	// auth.test gives it; "" when unknown.
	URL string
}

// Permalink links to a message: Slack's archive address, which opens the
// message (or its thread) in the app.
func (w Workspace) Permalink(channelID, ts string) string {
	if w.URL == "" || channelID == "" || ts == "" {
		return ""
	}
	return strings.TrimSuffix(w.URL, "/") + "/archives/" + channelID + "/p" + strings.ReplaceAll(ts, ".", "")
}

// link renders a link the bot made (never one a person typed).
func link(url, label string) string {
	if url == "" {
		return label
	}
	return "<" + url + "|" + label + ">"
}
