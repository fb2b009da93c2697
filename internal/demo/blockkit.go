package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Block Kit rendered to HTML on the server, as Slack's client lays it out:
// every block and element alignbot sends, and the common ones it does not.
// A block, element or text object the renderer does not know is shown as
// Slack shows content it cannot display, and noted as a problem, so that a
// test over every message alignbot renders fails on it.

// renderCtx is what rendering needs beyond the blocks: who looks (mentions
// of them are highlighted, dates are in their time zone), the demo's time,
// names for mentions, and where an interactive element's click goes.
type renderCtx struct {
	viewer   Person
	loc      *time.Location
	now      time.Time
	users    map[string]string // user ID → name shown
	channels map[string]string // channel ID → name
	domain   string            // the workspace's domain, for its archive links
	// target holds the escaped data attributes that say where a click goes:
	// a message (data-ch, data-ts) or a view (data-view).
	target string
	// form is set inside a modal, where inputs are the form's fields.
	form     bool
	problems []string
}

func (rc *renderCtx) problem(format string, args ...any) {
	rc.problems = append(rc.problems, fmt.Sprintf(format, args...))
}

func (rc *renderCtx) userName(id string) (string, bool) {
	n, ok := rc.users[id]
	return n, ok
}

func (rc *renderCtx) channelName(id string) (string, bool) {
	n, ok := rc.channels[id]
	return n, ok
}

// channelHref is the page of a channel for the viewer.
func (rc *renderCtx) channelHref(id string) string {
	return "/?as=" + url.QueryEscape(rc.viewer.ID) + "&c=" + url.QueryEscape(id)
}

var archiveLink = regexp.MustCompile(`^https://([a-z0-9-]+)\.slack\.com/archives/([A-Z0-9]+)/p(\d{10})(\d{6})$`)

// link returns where a link in a message goes: a link to a message of this
// workspace opens it in the page, as Slack's client does; http, https and
// mailto links open outside; anything else is no link.
func (rc *renderCtx) link(raw string) (string, bool) {
	if m := archiveLink.FindStringSubmatch(raw); m != nil && m[1] == rc.domain {
		c := m[2]
		if strings.HasPrefix(c, "D") {
			c = "dm"
		}
		return rc.channelHref(c) + "&msg=" + url.QueryEscape(m[3]+"."+m[4]), true
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
		return "", false
	}
	return raw, false
}

// node is a decoded JSON object of Block Kit.
type node = map[string]any

func decodeNodes(raw json.RawMessage) ([]node, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var out []node
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("blocks: %w", err)
	}
	return out, nil
}

func sget(n node, key string) string {
	s, _ := n[key].(string)
	return s
}

func oget(n node, key string) node {
	o, _ := n[key].(map[string]any)
	return o
}

func lget(n node, key string) []node {
	var out []node
	for _, v := range asList(n[key]) {
		if o, ok := v.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// blocks renders a list of blocks.
func (rc *renderCtx) blocks(raw json.RawMessage) string {
	nodes, err := decodeNodes(raw)
	if err != nil {
		rc.problem("%v", err)
		return `<div class="bk-unknown">This content can't be displayed.</div>`
	}
	var b strings.Builder
	for _, n := range nodes {
		b.WriteString(rc.block(n))
	}
	return b.String()
}

func (rc *renderCtx) block(n node) string {
	switch t := sget(n, "type"); t {
	case "header":
		return `<div class="bk-header">` + rc.text(oget(n, "text")) + `</div>`
	case "section":
		var b strings.Builder
		b.WriteString(`<div class="bk-section"><div class="bk-section-body">`)
		if txt := oget(n, "text"); txt != nil {
			b.WriteString(`<div class="bk-text">` + rc.text(txt) + `</div>`)
		}
		if fields := lget(n, "fields"); len(fields) > 0 {
			b.WriteString(`<div class="bk-fields">`)
			for _, f := range fields {
				b.WriteString(`<div class="bk-field">` + rc.text(f) + `</div>`)
			}
			b.WriteString(`</div>`)
		}
		b.WriteString(`</div>`)
		if acc := oget(n, "accessory"); acc != nil {
			b.WriteString(`<div class="bk-accessory">` + rc.element(n, acc) + `</div>`)
		}
		b.WriteString(`</div>`)
		return b.String()
	case "divider":
		return `<hr class="bk-divider">`
	case "context":
		var b strings.Builder
		b.WriteString(`<div class="bk-context">`)
		for _, el := range lget(n, "elements") {
			if sget(el, "type") == "image" {
				b.WriteString(`<img class="bk-context-img" src="` + esc(imageURL(el)) + `" alt="` + esc(sget(el, "alt_text")) + `">`)
				continue
			}
			b.WriteString(`<span class="bk-context-text">` + rc.text(el) + `</span>`)
		}
		b.WriteString(`</div>`)
		return b.String()
	case "actions":
		var b strings.Builder
		b.WriteString(`<div class="bk-actions">`)
		for _, el := range lget(n, "elements") {
			b.WriteString(rc.element(n, el))
		}
		b.WriteString(`</div>`)
		return b.String()
	case "image":
		var b strings.Builder
		b.WriteString(`<figure class="bk-image">`)
		if title := oget(n, "title"); title != nil {
			b.WriteString(`<figcaption>` + rc.text(title) + `</figcaption>`)
		}
		b.WriteString(`<img src="` + esc(imageURL(n)) + `" alt="` + esc(sget(n, "alt_text")) + `"></figure>`)
		return b.String()
	case "input":
		var b strings.Builder
		b.WriteString(`<div class="bk-input" data-block="` + esc(sget(n, "block_id")) + `">`)
		b.WriteString(`<label class="bk-label">` + rc.text(oget(n, "label")))
		if opt, _ := n["optional"].(bool); opt && !strings.Contains(strings.ToLower(sget(oget(n, "label"), "text")), "optional") {
			b.WriteString(` <span class="bk-optional">(optional)</span>`)
		}
		b.WriteString(`</label>`)
		if el := oget(n, "element"); el != nil {
			b.WriteString(rc.element(n, el))
		}
		if hint := oget(n, "hint"); hint != nil {
			b.WriteString(`<div class="bk-hint">` + rc.text(hint) + `</div>`)
		}
		b.WriteString(`<div class="bk-error" hidden></div></div>`)
		return b.String()
	case "markdown":
		return `<div class="bk-text">` + rc.mrkdwn(sget(n, "text")) + `</div>`
	case "rich_text":
		return `<div class="bk-text">` + rc.richText(lget(n, "elements")) + `</div>`
	default:
		rc.problem("unknown block type %q", t)
		return `<div class="bk-unknown">This content can't be displayed.</div>`
	}
}

// imageURL is an image's address: image_url, or a Slack file's.
func imageURL(n node) string {
	if u := sget(n, "image_url"); u != "" {
		return u
	}
	if f := oget(n, "slack_file"); f != nil {
		if id := sget(f, "id"); id != "" {
			return "/files/" + url.PathEscape(id)
		}
		return sget(f, "url")
	}
	return ""
}

// text renders a text object.
func (rc *renderCtx) text(t node) string {
	if t == nil {
		return ""
	}
	switch typ := sget(t, "type"); typ {
	case "plain_text":
		return rc.plain(sget(t, "text"))
	case "mrkdwn":
		return rc.mrkdwn(sget(t, "text"))
	default:
		rc.problem("unknown text object type %q", typ)
		return esc(sget(t, "text"))
	}
}

// plain renders plain_text: escaped, its :emoji: shown as Slack does.
func (rc *renderCtx) plain(s string) string {
	out := emojiCode.ReplaceAllStringFunc(esc(s), func(code string) string {
		if e, ok := emoji[code[1:len(code)-1]]; ok {
			return e
		}
		return code
	})
	return strings.ReplaceAll(out, "\n", "<br>")
}

var emojiCode = regexp.MustCompile(`:[a-z0-9_+\-]+:`)

// element renders an element of block n.
func (rc *renderCtx) element(n, el node) string {
	blockID, actionID := sget(n, "block_id"), sget(el, "action_id")
	ids := ` data-block="` + esc(blockID) + `" data-action="` + esc(actionID) + `"`
	placeholder := ""
	if p := oget(el, "placeholder"); p != nil {
		placeholder = sget(p, "text")
	}
	disabled := ""
	if !rc.form {
		disabled = " disabled"
	}
	switch t := sget(el, "type"); t {
	case "button":
		class := "bk-btn"
		switch sget(el, "style") {
		case "primary":
			class += " bk-primary"
		case "danger":
			class += " bk-danger"
		}
		attrs := ` type="button" class="` + class + `" data-act="click"` + ids + rc.target
		if u := sget(el, "url"); u != "" {
			if href, _ := rc.link(u); href != "" {
				attrs += ` data-url="` + esc(href) + `"`
			}
		}
		out := `<button` + attrs + `>` + rc.text(oget(el, "text")) + `</button>`
		if c := oget(el, "confirm"); c != nil {
			out = `<span class="bk-btn-wrap">` + out + rc.confirm(c) + `</span>`
		}
		return out
	case "image":
		return `<img class="bk-accessory-img" src="` + esc(imageURL(el)) + `" alt="` + esc(sget(el, "alt_text")) + `">`
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		value := sget(el, "initial_value")
		attrs := ` class="bk-field-input" data-kind="text"` + ids + disabled
		if p := placeholder; p != "" {
			attrs += ` placeholder="` + esc(p) + `"`
		}
		if m, ok := el["max_length"].(float64); ok && m > 0 {
			attrs += fmt.Sprintf(` maxlength="%d"`, int(m))
		}
		if multi, _ := el["multiline"].(bool); multi {
			return `<textarea rows="4"` + attrs + `>` + esc(value) + `</textarea>`
		}
		inputType := map[string]string{"email_text_input": "email", "url_text_input": "url", "number_input": "number"}[t]
		if inputType == "" {
			inputType = "text"
		}
		return `<input type="` + inputType + `" value="` + esc(value) + `"` + attrs + `>`
	case "static_select", "external_select", "multi_static_select", "radio_buttons", "checkboxes":
		return rc.optionsSelect(el, t, ids, placeholder, disabled)
	case "users_select", "multi_users_select":
		var opts []option
		for _, id := range byValue(rc.users) {
			opts = append(opts, option{value: id, label: rc.users[id]})
		}
		return rc.selectOf(opts, []string{sget(el, "initial_user")}, strings.HasPrefix(t, "multi_"), ids, placeholder, disabled)
	case "conversations_select", "channels_select", "multi_conversations_select", "multi_channels_select":
		var opts []option
		for _, id := range byValue(rc.channels) {
			opts = append(opts, option{value: id, label: "#" + rc.channels[id]})
		}
		initial := sget(el, "initial_conversation") + sget(el, "initial_channel")
		return rc.selectOf(opts, []string{initial}, strings.HasPrefix(t, "multi_"), ids, placeholder, disabled)
	case "datepicker":
		return `<input type="date" class="bk-field-input" data-kind="text" value="` + esc(sget(el, "initial_date")) + `"` + ids + disabled + `>`
	case "timepicker":
		return `<input type="time" class="bk-field-input" data-kind="text" value="` + esc(sget(el, "initial_time")) + `"` + ids + disabled + `>`
	case "overflow":
		return `<button type="button" class="bk-btn bk-overflow" disabled title="More actions">⋯</button>`
	default:
		rc.problem("unknown element type %q", t)
		return `<span class="bk-unknown">This element can't be displayed.</span>`
	}
}

type option struct{ value, label string }

func (rc *renderCtx) optionsSelect(el node, t, ids, placeholder, disabled string) string {
	var opts []option
	add := func(o node) {
		opts = append(opts, option{value: sget(o, "value"), label: sget(oget(o, "text"), "text")})
	}
	for _, o := range lget(el, "options") {
		add(o)
	}
	for _, g := range lget(el, "option_groups") {
		for _, o := range lget(g, "options") {
			add(o)
		}
	}
	var initial []string
	if o := oget(el, "initial_option"); o != nil {
		initial = append(initial, sget(o, "value"))
	}
	for _, o := range lget(el, "initial_options") {
		initial = append(initial, sget(o, "value"))
	}
	if t == "radio_buttons" || t == "checkboxes" {
		kind := map[string]string{"radio_buttons": "radio", "checkboxes": "checkbox"}[t]
		var b strings.Builder
		b.WriteString(`<div class="bk-choices" data-kind="` + kind + `"` + ids + `>`)
		for _, o := range opts {
			checked := ""
			if contains(initial, o.value) {
				checked = " checked"
			}
			b.WriteString(`<label class="bk-choice"><input type="` + kind + `" value="` + esc(o.value) + `"` + checked + disabled + `> ` + rc.plain(o.label) + `</label>`)
		}
		b.WriteString(`</div>`)
		return b.String()
	}
	return rc.selectOf(opts, initial, strings.HasPrefix(t, "multi_"), ids, placeholder, disabled)
}

func (rc *renderCtx) selectOf(opts []option, initial []string, multi bool, ids, placeholder, disabled string) string {
	var b strings.Builder
	attrs := ` class="bk-select" data-kind="select"` + ids + disabled
	if multi {
		attrs += " multiple"
	}
	b.WriteString(`<select` + attrs + `>`)
	if !multi {
		if placeholder == "" {
			placeholder = "Select an item"
		}
		b.WriteString(`<option value="">` + esc(placeholder) + `</option>`)
	}
	for _, o := range opts {
		sel := ""
		if contains(initial, o.value) && o.value != "" {
			sel = " selected"
		}
		b.WriteString(`<option value="` + esc(o.value) + `"` + sel + `>` + rc.plain(o.label) + `</option>`)
	}
	b.WriteString(`</select>`)
	return b.String()
}

// confirm renders a confirmation dialog for the page to show before the
// click goes out.
func (rc *renderCtx) confirm(c node) string {
	style := sget(c, "style")
	if style == "" {
		style = "primary"
	}
	confirm, deny := "Yes", "Cancel"
	if t := oget(c, "confirm"); t != nil {
		confirm = sget(t, "text")
	}
	if t := oget(c, "deny"); t != nil {
		deny = sget(t, "text")
	}
	return `<template class="bk-confirm" data-style="` + esc(style) + `"><div class="confirm-title">` + rc.text(oget(c, "title")) +
		`</div><div class="confirm-text">` + rc.text(oget(c, "text")) + `</div><div class="confirm-buttons"><button type="button" class="bk-btn" data-deny>` +
		rc.plain(deny) + `</button><button type="button" class="bk-btn bk-` + esc(style) + `" data-ok>` + rc.plain(confirm) + `</button></div></template>`
}

// richText renders a rich_text block's elements: sections, lists, quotes,
// preformatted text.
func (rc *renderCtx) richText(elements []node) string {
	var b strings.Builder
	for _, el := range elements {
		switch t := sget(el, "type"); t {
		case "rich_text_section":
			b.WriteString(rc.richInline(lget(el, "elements")))
		case "rich_text_quote":
			b.WriteString(`<blockquote class="mk-quote">` + rc.richInline(lget(el, "elements")) + `</blockquote>`)
		case "rich_text_preformatted":
			b.WriteString(`<pre class="mk-pre">` + rc.richInline(lget(el, "elements")) + `</pre>`)
		case "rich_text_list":
			tag := "ul"
			if sget(el, "style") == "ordered" {
				tag = "ol"
			}
			b.WriteString("<" + tag + ">")
			for _, item := range lget(el, "elements") {
				b.WriteString("<li>" + rc.richInline(lget(item, "elements")) + "</li>")
			}
			b.WriteString("</" + tag + ">")
		default:
			rc.problem("unknown rich text element %q", t)
		}
	}
	return b.String()
}

func (rc *renderCtx) richInline(elements []node) string {
	var b strings.Builder
	for _, el := range elements {
		var s string
		switch t := sget(el, "type"); t {
		case "text":
			s = strings.ReplaceAll(esc(sget(el, "text")), "\n", "<br>")
		case "link":
			label := sget(el, "text")
			if label == "" {
				label = sget(el, "url")
			}
			if href, _ := rc.link(sget(el, "url")); href != "" {
				s = `<a href="` + esc(href) + `" target="_blank" rel="noopener noreferrer">` + esc(label) + `</a>`
			} else {
				s = esc(label)
			}
		case "user":
			s = rc.token("@" + sget(el, "user_id"))
		case "channel":
			s = rc.token("#" + sget(el, "channel_id"))
		case "emoji":
			if e, ok := emoji[sget(el, "name")]; ok {
				s = e
			} else {
				s = esc(":" + sget(el, "name") + ":")
			}
		case "broadcast":
			s = rc.token("!" + sget(el, "range"))
		default:
			rc.problem("unknown rich text element %q", t)
			continue
		}
		if style := oget(el, "style"); style != nil {
			for _, st := range []struct{ key, tag string }{{"bold", "b"}, {"italic", "i"}, {"strike", "s"}, {"code", "code"}} {
				if on, _ := style[st.key].(bool); on {
					s = "<" + st.tag + ">" + s + "</" + st.tag + ">"
				}
			}
		}
		b.WriteString(s)
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
