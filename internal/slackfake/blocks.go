package slackfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// block is one Block Kit block, decoded generically so that the fake keeps
// every field the bot sent, known to slack-go or not.
type block = map[string]any

// decodeBlocks decodes a JSON array of blocks. Empty input, "null" and "[]"
// are no blocks.
func decodeBlocks(raw json.RawMessage) ([]block, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var blocks []block
	if err := dec.Decode(&blocks); err != nil {
		return nil, fmt.Errorf("blocks are not a JSON array of objects: %w", err)
	}
	return blocks, nil
}

// errTooManyBlocks and errBlockFormat tell the caller of normalizeBlocks
// which Slack error code to answer.
var (
	errTooManyBlocks = errors.New("too many blocks")
	errBlockFormat   = errors.New("blocks are not a JSON array of objects")
)

// normalizeBlocks checks blocks the way Slack does (a JSON array of at most
// limit blocks, each with a type, block_ids unique) and fills in the block_id
// of every block and the action_id of every interactive element that the
// sender left out, as Slack generates them. It returns the blocks to store.
// The caller holds s.mu.
func (s *Server) normalizeBlocks(raw json.RawMessage, limit int) (json.RawMessage, error) {
	out, _, err := s.normalizeDecoded(raw, limit)
	return out, err
}

// normalizeDecoded is normalizeBlocks that also returns the blocks decoded,
// to keep beside the message (see Message.decoded). The caller holds s.mu.
func (s *Server) normalizeDecoded(raw json.RawMessage, limit int) (json.RawMessage, []block, error) {
	out, blocks, err := checkBlocks(raw, limit)
	if err != nil || out != nil || blocks == nil {
		return out, blocks, err
	}
	out, err = s.fillIDs(blocks)
	return out, blocks, err
}

// checkBlocks validates blocks without the server's lock. It returns them
// decoded and, unless some IDs are missing and must be drawn under the
// lock by fillIDs, ready to store.
func checkBlocks(raw json.RawMessage, limit int) (json.RawMessage, []block, error) {
	blocks, err := decodeBlocks(raw)
	if err != nil {
		return nil, nil, errBlockFormat
	}
	if len(blocks) == 0 {
		return nil, nil, nil
	}
	if len(blocks) > limit {
		return nil, nil, fmt.Errorf("%w: %d, at most %d", errTooManyBlocks, len(blocks), limit)
	}
	seen := make(map[string]bool)
	missing := false
	for i, b := range blocks {
		if b == nil {
			return nil, nil, fmt.Errorf("block %d is null", i)
		}
		if str(b, "type") == "" {
			return nil, nil, fmt.Errorf("block %d has no type", i)
		}
		if id := str(b, "block_id"); id != "" {
			if seen[id] {
				return nil, nil, fmt.Errorf("block_id %q is used twice", id)
			}
			seen[id] = true
		} else {
			missing = true
		}
		for _, el := range interactiveElements(b) {
			if str(el, "action_id") == "" {
				missing = true
			}
		}
	}
	if missing {
		return nil, blocks, nil
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return nil, nil, fmt.Errorf("encode blocks: %w", err)
	}
	return out.Bytes(), blocks, nil
}

// spliceJSON adds "key": value to the JSON object obj, without decoding
// either: value is JSON the fake produced or checked.
func spliceJSON(obj []byte, key string, value []byte) []byte {
	if len(value) == 0 {
		value = []byte("null")
	}
	out := make([]byte, 0, len(obj)+len(key)+len(value)+4)
	out = append(out, obj[:len(obj)-1]...)
	if len(obj) > 2 {
		out = append(out, ',')
	}
	out = strconv.AppendQuote(out, key)
	out = append(out, ':')
	out = append(out, value...)
	return append(out, '}')
}

// fillIDs draws the block_ids and action_ids a sender left out, as Slack
// generates them, and encodes the blocks. The caller holds s.mu.
func (s *Server) fillIDs(blocks []block) (json.RawMessage, error) {
	seen := make(map[string]bool)
	for _, b := range blocks {
		if id := str(b, "block_id"); id != "" {
			seen[id] = true
		}
	}
	for _, b := range blocks {
		if str(b, "block_id") == "" {
			id := s.randomString(mixedAlnum, 5)
			for seen[id] {
				id = s.randomString(mixedAlnum, 5)
			}
			seen[id] = true
			b["block_id"] = id
		}
		for _, el := range interactiveElements(b) {
			if str(el, "action_id") == "" {
				el["action_id"] = s.randomString(mixedAlnum, 5)
			}
		}
	}
	out, err := json.Marshal(blocks)
	if err != nil {
		return nil, fmt.Errorf("encode blocks: %w", err)
	}
	return out, nil
}

// interactiveElements returns the elements of a block that send actions:
// a section's accessory, an actions block's elements, an input's element.
func interactiveElements(b block) []map[string]any {
	var out []map[string]any
	add := func(v any) {
		if el, ok := v.(map[string]any); ok && isInteractive(str(el, "type")) {
			out = append(out, el)
		}
	}
	switch str(b, "type") {
	case "section":
		add(b["accessory"])
	case "actions":
		for _, el := range list(b, "elements") {
			add(el)
		}
	case "input":
		add(b["element"])
	}
	return out
}

func isInteractive(elementType string) bool {
	switch elementType {
	case "", "image", "plain_text", "mrkdwn":
		return false
	}
	return true
}

// headingText returns the text a block shows besides its interactive
// elements: a section's text and fields, a header's, a context's text
// elements, a markdown block's, a rich_text block's, an input's label, an
// image's title.
func headingText(b block) string {
	var parts []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	switch str(b, "type") {
	case "section":
		add(textOf(b["text"]))
		for _, f := range list(b, "fields") {
			add(textOf(f))
		}
	case "header":
		add(textOf(b["text"]))
	case "context":
		for _, el := range list(b, "elements") {
			add(textOf(el))
		}
	case "markdown":
		add(str(b, "text"))
	case "rich_text":
		add(richText(b["elements"]))
	case "input":
		add(textOf(b["label"]))
	case "image":
		add(textOf(b["title"]))
	case "actions", "divider":
	default:
		add(textOf(b["text"]))
	}
	return strings.Join(parts, " ")
}

// textOf returns the text of a text object ({"type":"mrkdwn","text":…}).
func textOf(v any) string {
	if obj, ok := v.(map[string]any); ok {
		if t, ok := obj["text"].(string); ok {
			return t
		}
	}
	return ""
}

// richText collects every "text" string below a rich_text block's elements.
func richText(v any) string {
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			if t, ok := x["text"].(string); ok {
				b.WriteString(t)
			}
			walk(x["elements"])
		}
	}
	walk(v)
	return b.String()
}

// button is a button as found in a message or a view.
type button struct {
	blockID  string
	actionID string
	text     string
	value    string
	url      string
	style    string
}

// blockButtons returns the buttons of a block: a section's accessory and an
// actions block's elements.
func blockButtons(b block) []button {
	var out []button
	for _, el := range interactiveElements(b) {
		if str(el, "type") != "button" {
			continue
		}
		out = append(out, button{
			blockID:  str(b, "block_id"),
			actionID: str(el, "action_id"),
			text:     textOf(el["text"]),
			value:    str(el, "value"),
			url:      str(el, "url"),
			style:    str(el, "style"),
		})
	}
	return out
}

// findButton finds the button a person means by a card label and the start
// of the button's text, by the rule documented on Server.BuildClick.
func findButton(blocks []block, label, prefix string) (button, error) {
	if label == "" {
		var all []button
		for _, b := range blocks {
			all = append(all, blockButtons(b)...)
		}
		if btn, ok := pickButton(all, prefix); ok {
			return btn, nil
		}
		return button{}, fmt.Errorf("no button starting with %q among %s", prefix, describeButtons(all))
	}
	labelRe := wholeWord(regexp.QuoteMeta(label))
	shapeRe := wholeWord(labelShape(label))
	var tried []string
	for i, b := range blocks {
		// Contains first: the regexp is the slow part of a click.
		if h := headingText(b); !strings.Contains(h, label) || !labelRe.MatchString(h) {
			continue
		}
		buttons := blockButtons(b)
		for _, next := range blocks[i+1:] {
			t := str(next, "type")
			if t == "header" || t == "divider" || shapeRe.MatchString(headingText(next)) {
				break
			}
			buttons = append(buttons, blockButtons(next)...)
		}
		if btn, ok := pickButton(buttons, prefix); ok {
			return btn, nil
		}
		tried = append(tried, fmt.Sprintf("card at block %q has %s", str(b, "block_id"), describeButtons(buttons)))
	}
	if len(tried) == 0 {
		return button{}, fmt.Errorf("no block carries the label %q", label)
	}
	return button{}, fmt.Errorf("no button starting with %q on a card labelled %q: %s",
		prefix, label, strings.Join(tried, "; "))
}

func pickButton(buttons []button, prefix string) (button, bool) {
	for _, b := range buttons {
		if strings.TrimSpace(b.text) == prefix {
			return b, true
		}
	}
	for _, b := range buttons {
		if strings.HasPrefix(strings.TrimSpace(b.text), prefix) {
			return b, true
		}
	}
	return button{}, false
}

func describeButtons(buttons []button) string {
	if len(buttons) == 0 {
		return "no buttons"
	}
	names := make([]string, len(buttons))
	for i, b := range buttons {
		names[i] = fmt.Sprintf("%q", b.text)
	}
	return "buttons " + strings.Join(names, ", ")
}

// wholeWords holds the patterns wholeWord compiled, by pattern: a test
// names the same few labels over and over.
var wholeWords sync.Map

// wholeWord returns a regexp matching pattern as a whole word.
func wholeWord(pattern string) *regexp.Regexp {
	if re, ok := wholeWords.Load(pattern); ok {
		return re.(*regexp.Regexp)
	}
	re, _ := wholeWords.LoadOrStore(pattern, regexp.MustCompile(`(?:^|[^\p{L}\p{N}_])`+pattern+`(?:$|[^\p{L}\p{N}_])`))
	return re.(*regexp.Regexp)
}

// labelShape turns a label into a pattern where each run of digits stands
// for any run of digits: "Q4" → `Q\d+`.
func labelShape(label string) string {
	var b strings.Builder
	digits := false
	for _, r := range label {
		if r >= '0' && r <= '9' {
			if !digits {
				b.WriteString(`\d+`)
			}
			digits = true
			continue
		}
		digits = false
		b.WriteString(regexp.QuoteMeta(string(r)))
	}
	return b.String()
}

// str returns a string field of a decoded JSON object.
func str(obj map[string]any, key string) string {
	s, _ := obj[key].(string)
	return s
}

// list returns an array field of a decoded JSON object.
func list(obj map[string]any, key string) []any {
	l, _ := obj[key].([]any)
	return l
}
