package render

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// A click is answered with its questionnaire re-rendered, so encoding Block
// Kit is on every click's path. encoding/json walks slack-go's types by
// reflection, through a MarshalJSON per block, element list and accessory,
// each encoding into a buffer of its own. The blocks the bot renders have
// few shapes (sections, context, headers, dividers, actions of buttons):
// AppendBlocks writes those directly, byte for byte what json.Marshal
// writes, and hands any other block to json.Marshal.

// AppendBlocks appends blocks as a JSON array, exactly as json.Marshal
// encodes them.
func AppendBlocks(dst []byte, blocks []slack.Block) ([]byte, error) {
	if blocks == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	for i, b := range blocks {
		if i > 0 {
			dst = append(dst, ',')
		}
		var ok bool
		if dst, ok = appendBlock(dst, b); ok {
			continue
		}
		data, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		dst = append(dst, data...)
	}
	return append(dst, ']'), nil
}

// appendBlock writes a block of a shape it knows; false (dst unchanged in
// length beyond what the caller drops) for any other.
func appendBlock(dst []byte, b slack.Block) ([]byte, bool) {
	start := len(dst)
	var ok bool
	switch b := b.(type) {
	case *slack.SectionBlock:
		dst, ok = appendSection(dst, b)
	case *slack.ContextBlock:
		dst, ok = appendContext(dst, b)
	case *slack.ActionBlock:
		dst, ok = appendActions(dst, b)
	case *slack.HeaderBlock:
		if b == nil || b.Level != 0 {
			return dst, false
		}
		dst = append(dst, `{"type":`...)
		dst = appendString(dst, string(b.Type))
		if b.Text != nil {
			dst = append(dst, `,"text":`...)
			dst = appendText(dst, b.Text)
		}
		dst = appendOptional(dst, "block_id", b.BlockID)
		dst, ok = append(dst, '}'), true
	case *slack.DividerBlock:
		if b == nil {
			return dst, false
		}
		dst = append(dst, `{"type":`...)
		dst = appendString(dst, string(b.Type))
		dst = appendOptional(dst, "block_id", b.BlockID)
		dst, ok = append(dst, '}'), true
	}
	if !ok {
		return dst[:start], false
	}
	return dst, true
}

func appendSection(dst []byte, b *slack.SectionBlock) ([]byte, bool) {
	if b == nil || len(b.Fields) > 0 || b.Expand {
		return dst, false
	}
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, string(b.Type))
	if b.Text != nil {
		dst = append(dst, `,"text":`...)
		dst = appendText(dst, b.Text)
	}
	dst = appendOptional(dst, "block_id", b.BlockID)
	if b.Accessory != nil {
		a := *b.Accessory
		button := a.ButtonElement
		a.ButtonElement = nil
		if button == nil || a != (slack.Accessory{}) {
			return dst, false
		}
		dst = append(dst, `,"accessory":`...)
		var ok bool
		if dst, ok = appendButton(dst, button); !ok {
			return dst, false
		}
	}
	return append(dst, '}'), true
}

func appendContext(dst []byte, b *slack.ContextBlock) ([]byte, bool) {
	if b == nil || b.ContextElements.Elements == nil {
		return dst, false
	}
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, string(b.Type))
	dst = appendOptional(dst, "block_id", b.BlockID)
	dst = append(dst, `,"elements":[`...)
	for i, e := range b.ContextElements.Elements {
		t, ok := e.(*slack.TextBlockObject)
		if !ok || t == nil {
			return dst, false
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendText(dst, t)
	}
	return append(dst, "]}"...), true
}

func appendActions(dst []byte, b *slack.ActionBlock) ([]byte, bool) {
	if b == nil || b.Elements == nil || b.Elements.ElementSet == nil {
		return dst, false
	}
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, string(b.Type))
	dst = appendOptional(dst, "block_id", b.BlockID)
	dst = append(dst, `,"elements":[`...)
	for i, e := range b.Elements.ElementSet {
		button, ok := e.(*slack.ButtonBlockElement)
		if !ok {
			return dst, false
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, ok = appendButton(dst, button); !ok {
			return dst, false
		}
	}
	return append(dst, "]}"...), true
}

func appendButton(dst []byte, b *slack.ButtonBlockElement) ([]byte, bool) {
	if b == nil || b.AccessibilityLabel != "" || b.AgentPrompt != "" || b.AgentPromptDisplay != "" || len(b.VisibleToUserIDs) > 0 {
		return dst, false
	}
	dst = append(dst, '{')
	if b.Type != "" {
		dst = append(dst, `"type":`...)
		dst = appendString(dst, string(b.Type))
		dst = append(dst, ',')
	}
	dst = append(dst, `"text":`...)
	if b.Text == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendText(dst, b.Text)
	}
	dst = appendOptional(dst, "action_id", b.ActionID)
	dst = appendOptional(dst, "url", b.URL)
	dst = appendOptional(dst, "value", b.Value)
	if c := b.Confirm; c != nil {
		dst = append(dst, `,"confirm":{"title":`...)
		dst = appendTextOrNull(dst, c.Title)
		dst = append(dst, `,"text":`...)
		dst = appendTextOrNull(dst, c.Text)
		dst = append(dst, `,"confirm":`...)
		dst = appendTextOrNull(dst, c.Confirm)
		if c.Deny != nil {
			dst = append(dst, `,"deny":`...)
			dst = appendText(dst, c.Deny)
		}
		dst = appendOptional(dst, "style", string(c.Style))
		dst = append(dst, '}')
	}
	dst = appendOptional(dst, "style", string(b.Style))
	return append(dst, '}'), true
}

func appendTextOrNull(dst []byte, t *slack.TextBlockObject) []byte {
	if t == nil {
		return append(dst, "null"...)
	}
	return appendText(dst, t)
}

func appendText(dst []byte, t *slack.TextBlockObject) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, t.Type)
	dst = append(dst, `,"text":`...)
	dst = appendString(dst, t.Text)
	if t.Emoji != nil {
		dst = append(dst, `,"emoji":`...)
		dst = strconv.AppendBool(dst, *t.Emoji)
	}
	if t.Verbatim {
		dst = append(dst, `,"verbatim":true`...)
	}
	return append(dst, '}')
}

// appendOptional writes ,"key":"value" unless value is empty (omitempty).
func appendOptional(dst []byte, key, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return appendString(dst, value)
}

const hex = "0123456789abcdef"

// appendString writes s as encoding/json does by default: HTML-safe, with
// invalid UTF-8 replaced and U+2028, U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// WebhookJSON encodes a response_url message exactly as json.Marshal does,
// its blocks by AppendBlocks. Attachments, which the bot never sends that
// way, go to json.Marshal.
func WebhookJSON(m *slack.WebhookMessage) ([]byte, error) {
	if len(m.Attachments) > 0 {
		return json.Marshal(m)
	}
	dst := make([]byte, 0, 4096)
	dst = append(dst, '{')
	first := true
	field := func(key string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, key...)
		dst = append(dst, '"', ':')
	}
	for _, f := range []struct{ key, value string }{{"username", m.Username}, {"icon_emoji", m.IconEmoji},
		{"icon_url", m.IconURL}, {"channel", m.Channel}, {"thread_ts", m.ThreadTimestamp}, {"text", m.Text}, {"parse", m.Parse}} {
		if f.value != "" {
			field(f.key)
			dst = appendString(dst, f.value)
		}
	}
	if m.Blocks != nil {
		field("blocks")
		var err error
		if dst, err = AppendBlocks(dst, m.Blocks.BlockSet); err != nil {
			return nil, err
		}
	}
	if m.ResponseType != "" {
		field("response_type")
		dst = appendString(dst, m.ResponseType)
	}
	field("replace_original")
	dst = strconv.AppendBool(dst, m.ReplaceOriginal)
	field("delete_original")
	dst = strconv.AppendBool(dst, m.DeleteOriginal)
	if m.ReplyBroadcast {
		field("reply_broadcast")
		dst = append(dst, "true"...)
	}
	for _, f := range []struct {
		key   string
		value *bool
	}{{"unfurl_links", m.UnfurlLinks}, {"unfurl_media", m.UnfurlMedia}} {
		if f.value != nil {
			field(f.key)
			dst = strconv.AppendBool(dst, *f.value)
		}
	}
	return append(dst, '}'), nil
}
