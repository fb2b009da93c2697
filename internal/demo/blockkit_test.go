package demo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// testRenderCtx renders as Fran, with the names the goldens mention.
func testRenderCtx() *renderCtx {
	loc, _ := time.LoadLocation("America/New_York")
	return &renderCtx{
		viewer: people[0],
		loc:    loc,
		now:    time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC),
		users: map[string]string{"UFACIL01": "Fiona Facil", "UMARIA01": "Maria Marketing", "USAMUE01": "Samuel Sales",
			"UOLGA001": "Olga Ops", "UOWEN001": "Owen Owner", "UADMIN01": "Ada Admin"},
		channels: map[string]string{"CREVENUE": "revenue"},
		domain:   "acme",
		target:   ` data-ch="C1" data-ts="1.2"`,
	}
}

// leftovers are what a faithful rendering never shows: a date's format
// tokens, and Slack's escapes escaped twice. (Markup a person typed, which
// alignbot escapes, is shown as typed: "&lt;!here&gt;" is right.)
var mentionMarkup = regexp.MustCompile(`<@[UW][A-Z0-9]+(\|[^>]*)?>`)

var leftovers = regexp.MustCompile(`\{date|\{time\}|&amp;(lt|gt|amp);`)

// TestRenderEveryGolden renders every message, modal and App Home alignbot
// renders (bot/render's golden files, in every language) and fails on any block, element or
// text object the page cannot show, and on markup left as text.
func TestRenderEveryGolden(t *testing.T) {
	// English at the top, each other language in its own directory.
	files, err := filepath.Glob("../../bot/render/testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	translated, err := filepath.Glob("../../bot/render/testdata/*/*.json")
	if err != nil || len(translated) == 0 {
		t.Fatalf("no translated golden files: %v", err)
	}
	for _, file := range append(files, translated...) {
		name, _ := filepath.Rel("../../bot/render/testdata", strings.TrimSuffix(file, ".json"))
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var g struct {
				Type   string          `json:"type"`
				Text   string          `json:"text"`
				Title  json.RawMessage `json:"title"`
				Blocks json.RawMessage `json:"blocks"`
			}
			if err := json.Unmarshal(data, &g); err != nil {
				t.Fatal(err)
			}
			rc := testRenderCtx()
			rc.form = g.Type == "modal"
			out := rc.blocks(g.Blocks)
			for _, p := range rc.problems {
				t.Errorf("problem: %s", p)
			}
			if strings.Contains(out, "can't be displayed") {
				t.Errorf("a fallback was rendered:\n%s", out)
			}
			if m := leftovers.FindString(out); m != "" {
				t.Errorf("markup %q left as text in:\n%s", m, out)
			}
			// Every mention and date became one, as Slack shows them.
			var all any
			if err := json.Unmarshal(g.Blocks, &all); err != nil {
				t.Fatal(err)
			}
			texts := strings.Join(stringsIn(all), "\n")
			if in, got := len(mentionMarkup.FindAllString(texts, -1)), strings.Count(out, "data-user="); got != in {
				t.Errorf("%d user mentions rendered, the blocks have %d", got, in)
			}
			if in, got := strings.Count(texts, "<!date^"), strings.Count(out, `<time class="slack-date"`); got != in {
				t.Errorf("%d dates rendered, the blocks have %d", got, in)
			}
			// Every button's text is on the page, and every input's label.
			var blocks []node
			if err := json.Unmarshal(g.Blocks, &blocks); err != nil {
				t.Fatal(err)
			}
			for _, b := range blocks {
				for _, el := range append(lget(b, "elements"), oget(b, "accessory")) {
					if sget(el, "type") == "button" && !strings.Contains(out, rc.plain(sget(oget(el, "text"), "text"))) {
						t.Errorf("button %q is missing", sget(oget(el, "text"), "text"))
					}
				}
				if l := oget(b, "label"); l != nil && !strings.Contains(out, rc.plain(sget(l, "text"))) {
					t.Errorf("label %q is missing", sget(l, "text"))
				}
			}
		})
	}
}

func TestMrkdwn(t *testing.T) {
	rc := testRenderCtx()
	for _, tt := range []struct{ in, want string }{
		{"*bold* and _it_ and ~gone~", "<b>bold</b> and <i>it</i> and <s>gone</s>"},
		{"a*b*c", "a*b*c"}, // inside a word, no bold
		{"`*x*` code", `<code class="mk-code">*x*</code> code`},
		{"<@UMARIA01> and <@U0FRAN001>", `<span class="mention" data-user="UMARIA01">@Maria Marketing</span> and <span class="mention mention-me" data-user="U0FRAN001">@U0FRAN001</span>`},
		{"<#CREVENUE>", `<a class="mention channel-link" href="/?as=U0FRAN001&amp;c=CREVENUE">#revenue</a>`},
		{"<https://example.com/a?b=1&amp;c=2|a link>", `<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">a link</a>`},
		{"<https://acme.slack.com/archives/CREVENUE/p1793887200000100|the reveal>", `<a href="/?as=U0FRAN001&amp;c=CREVENUE&amp;msg=1793887200.000100">the reveal</a>`},
		{"<javascript:alert(1)|x>", "x"},
		{"&lt;script&gt; &amp; <b>", "&lt;script&gt; &amp; &lt;b&gt;"},
		{"> quoted *line*\nplain", `<blockquote class="mk-quote">quoted <b>line</b></blockquote>plain`},
		{"```pre *not bold*```", `<pre class="mk-pre">pre *not bold*</pre>`},
		{":warning: careful", `<span class="emoji" title=":warning:">⚠️</span> careful`},
		{"one\ntwo", "one<br>two"},
		// 2026-11-09 14:00 UTC is 9:00 in New York; the page's now is 2 Nov.
		{"<!date^1794232800^{date_short_pretty} at {time}|fallback>", `>Nov 9, 2026 at 9:00 AM</time>`},
		{"<!date^1794232800^{date_long}|fallback>", `>Monday, November 9th, 2026</time>`},
		{"<!date^1793628000^{date_pretty}|fallback>", `>Today</time>`},
	} {
		got := rc.mrkdwn(tt.in)
		if !strings.Contains(got, tt.want) {
			t.Errorf("mrkdwn(%q)\n got %s\nwant %s", tt.in, got, tt.want)
		}
		if strings.Contains(got, "<script") || strings.Contains(got, "javascript:") {
			t.Errorf("mrkdwn(%q) let markup through: %s", tt.in, got)
		}
	}
	if len(rc.problems) > 0 {
		t.Errorf("problems: %v", rc.problems)
	}
}

func TestUnknownBlocksAreProblems(t *testing.T) {
	rc := testRenderCtx()
	out := rc.blocks(json.RawMessage(`[{"type":"video","block_id":"v"},{"type":"actions","elements":[{"type":"workflow_button"}]},{"type":"section","text":{"type":"html","text":"x"}}]`))
	if len(rc.problems) != 3 {
		t.Errorf("problems: %q, want 3", rc.problems)
	}
	if !strings.Contains(out, "can't be displayed") {
		t.Errorf("no fallback shown: %s", out)
	}
}

// stringsIn returns every string in decoded JSON.
func stringsIn(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, stringsIn(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range x {
			out = append(out, stringsIn(e)...)
		}
		return out
	}
	return nil
}
