package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/scoring"
)

// speaks gives a workspace member a Slack locale.
func (h *harness) speaks(userID, slackLocale string) {
	h.t.Helper()
	u, ok := h.slack.User(userID)
	if !ok {
		h.t.Fatalf("no user %s", userID)
	}
	u.Locale = slackLocale
	h.slack.AddUser(u)
}

// questionnaireIn waits for user's questionnaire DM, written in l.
func (h *harness) questionnaireIn(user string, l locale.Lang) slackfake.Message {
	h.t.Helper()
	name := locale.For(l).Instrument(scoring.Default()).Name + " · "
	var msg slackfake.Message
	h.waitFor(fmt.Sprintf("%s's questionnaire in %s", user, l), func() bool {
		for _, m := range h.slack.DMs(user) {
			if strings.HasPrefix(m.VisibleText(), name) {
				msg = m
				return true
			}
		}
		return false
	})
	return msg
}

// answerAllIn answers every question of user's questionnaire in order,
// clicking the score buttons (they start with their digit in every
// language), and submits with the Submit button of language l.
func (h *harness) answerAllIn(user string, l locale.Lang, scores []int) {
	h.t.Helper()
	msg := h.questionnaireIn(user, l)
	for i, s := range scores {
		q := fmt.Sprintf("Q%d", i+1)
		h.click(user, msg, q, fmt.Sprint(s))
		want := answeredLine(q, s)
		h.waitFor(fmt.Sprintf("%s's %s to show %d", user, q, s), func() bool { return want.MatchString(sectionTexts(h.current(msg))) })
	}
	p := locale.For(l)
	h.click(user, msg, "", p.T("submit.button"))
	// The last to submit may see the card turn to the reveal's link at
	// once: both show the answers, locked.
	h.waitFor(user+"'s questionnaire to be submitted", func() bool {
		text := h.current(msg).VisibleText()
		return strings.Contains(text, p.T("own.your_answers")) && !strings.Contains(text, p.T("submit.button"))
	})
}

// jsonShape lists the field names of a JSON document, nested, with array
// elements as [].
func jsonShape(t *testing.T, raw []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if prefix == ".questions[].scores" || prefix == ".respondents[].predictions" {
					continue // keyed by role or question, not field names
				}
				set[prefix+"."+k] = true
				walk(prefix+"."+k, e)
			}
		case []any:
			for _, e := range v {
				walk(prefix+"[]", e)
			}
		}
	}
	walk("", v)
	return slices.Sorted(maps.Keys(set))
}

// TestLanguagesEndToEnd: a Japanese-locale marketing lead and a
// Portuguese-locale sales lead answer a round an English-speaking
// facilitator starts with lang:id. Each reads their DMs, the same
// questions, in their own language; the channel reads the announcement and
// the reveal in Indonesian; the reveal compares their scores whatever
// language they answered in; and the export keeps its field names, with
// its texts in Indonesian.
func TestLanguagesEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.speaks(mkt, "ja-JP")
	h.speaks(sales, "pt-BR")
	h.startBot()
	ja, pt, id := locale.For(locale.Japanese), locale.For(locale.Portuguese), locale.For(locale.Indonesian)
	base := scoring.AlignmentMaturity

	h.command(fac, revenue, "start "+h.slack.MentionUser(mkt)+" "+h.slack.MentionUser(sales)+" lang:id")
	started := h.waitEphemeral(fac, 1)
	if !strings.HasPrefix(started, "Started round 1 of the Marketing-Sales Alignment Maturity Diagnostic") ||
		!strings.Contains(started, "The channel's messages are in Bahasa Indonesia.") {
		t.Errorf("the facilitator, in English, was told %q", started)
	}
	if round, err := h.store.Round(context.Background(), 1); err != nil || round.Language != "id" {
		t.Fatalf("round stored with language %q (%v), want id", round.Language, err)
	}

	// The channel reads the announcement in Indonesian.
	announcement := h.waitMessage(revenue, "memulai putaran")
	if text := announcement.VisibleText(); !strings.Contains(text, id.Instrument(base).Name) ||
		!strings.Contains(text, "Jawaban tetap tersembunyi sampai semua orang mengirim") || strings.Contains(text, "started a round") {
		t.Errorf("the announcement is not in Indonesian:\n%s", text)
	}

	// Each lead reads the same first question, in their own language.
	readers := []struct {
		user   string
		l      locale.Lang
		p      *locale.Printer
		scores []int
	}{
		{mkt, locale.Japanese, ja, []int{2, 2, 2, 1, 2, 1, 0, 2, 1, 1}},
		{sales, locale.Portuguese, pt, []int{0, 1, 0, 1, 0, 0, 0, 0, 1, 2}},
	}
	for _, r := range readers {
		q := h.questionnaireIn(r.user, r.l)
		text := q.VisibleText()
		lq := r.p.Instrument(base).Questions[0]
		for _, want := range append([]string{lq.Prompt, lq.Criteria[0].When, lq.Criteria[2].When}, r.p.Instrument(base).Scale.Labels...) {
			if !strings.Contains(text, want) {
				t.Errorf("%s's questionnaire (%s) lacks %q:\n%s", r.user, r.l, want, text)
			}
		}
		for _, english := range []string{base.Questions[0].Prompt, base.Questions[0].Criteria[0].When, "Your answers stay private", "Not me / decline"} {
			if strings.Contains(text, english) {
				t.Errorf("%s's questionnaire (%s) shows the English %q", r.user, r.l, english)
			}
		}
		if !openCard(q, "Q1") && !strings.Contains(sectionTexts(q), "*Q1 · "+lq.Topic+"*") {
			t.Errorf("%s's questionnaire does not open at Q1:\n%s", r.user, sectionTexts(q))
		}
	}
	for _, r := range readers {
		h.answerAllIn(r.user, r.l, r.scores)
	}

	// The reveal, in Indonesian, compares the scores they gave.
	reveal := h.waitMessage(revenue, id.T("reveal.title", "Round", 1))
	text := sectionTexts(h.current(reveal))
	am := id.Instrument(base)
	tier := func(n int) string {
		t, _ := am.Tier(n)
		return fmt.Sprintf("%s %d %s", t.Word, t.Number, t.Name)
	}
	for _, want := range []string{
		am.RoleLabel(scoring.Marketing) + " " + render.Mention(mkt) + ": *14 dari 20* · " + tier(3),
		am.RoleLabel(scoring.Sales) + " " + render.Mention(sales) + ": *5 dari 20* · " + tier(1),
		"*4 kesenjangan struktural*: Q1, Q3, Q5, dan Q8.",
		id.T("reveal.assign"),
	} {
		if !strings.Contains(h.current(reveal).VisibleText(), want) {
			t.Errorf("the reveal lacks %q:\n%s", want, text)
		}
	}
	var thread string
	h.waitFor("the reveal's thread", func() bool {
		thread = h.thread(reveal)
		return strings.Contains(thread, am.NextMoves[1].Title)
	})
	for _, want := range []string{id.T("thread.detail"), am.Flags[0].Title, am.NextMoves[1].Title} {
		if !strings.Contains(thread, want) {
			t.Errorf("the reveal's thread lacks %q:\n%s", want, thread)
		}
	}
	for _, english := range []string{"Alignment reveal", "Work on these", "Question by question", "Structural gaps: discuss these first",
		base.Flags[0].Title, base.NextMoves[1].Title, base.Questions[0].Topic} {
		if strings.Contains(text+thread, english) {
			t.Errorf("the reveal or its thread shows the English %q", english)
		}
	}

	// Each lead's own DM now points to the comparison, in their language.
	h.waitFor("the leads' questionnaires to link the reveal", func() bool {
		return strings.Contains(h.current(h.questionnaireIn(mkt, locale.Japanese)).VisibleText(), ja.T("own.see_comparison")) &&
			strings.Contains(h.current(h.questionnaireIn(sales, locale.Portuguese)).VisibleText(), pt.T("own.see_comparison"))
	})

	// The export has the shape of an English round's, with its texts in
	// the round's language.
	rv, err := report.Load(context.Background(), h.store, 1)
	if err != nil {
		t.Fatal(err)
	}
	exported := report.Export(rv)
	raw, _ := json.Marshal(exported)
	english := rv
	english.Round.Language = "en"
	rawEnglish, _ := json.Marshal(report.Export(english))
	if diff := slices.Compare(jsonShape(t, rawEnglish), jsonShape(t, raw)); diff != 0 {
		t.Errorf("the export's fields differ from an English round's:\n%v\n%v", jsonShape(t, rawEnglish), jsonShape(t, raw))
	}
	for _, want := range []string{`"tier_name"`, `"flags"`, `"team_tier"`, `"top_gaps"`, `"structural_gap"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the export lacks %s", want)
		}
	}
	if r := exported.Respondents[0]; r.TierName == nil || *r.TierName != "Fungsional" || r.Answers[0] != 2 {
		t.Errorf("the marketing lead exports as %+v", r)
	}
	if len(exported.Flags) == 0 || exported.Flags[0].Code != "crm_not_source_of_truth" || exported.Flags[0].Title != am.Flags[0].Title {
		t.Errorf("the flags export as %+v", exported.Flags)
	}
	if e := report.Export(english); *e.Respondents[0].TierName != "Functional" || e.Flags[0].Title != base.Flags[0].Title {
		t.Errorf("the English export: %+v, %+v", e.Respondents[0], e.Flags)
	}
}

// TestRoundLanguageIsChosenAtStart: without lang:, a round speaks
// ALIGNBOT_LANGUAGE, else its facilitator's Slack language; a language
// alignbot does not speak is refused, in the facilitator's language; the
// start form offers the languages, and what it sends starts the round in
// the one chosen.
func TestRoundLanguageIsChosenAtStart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.speaks(fac, "ja-JP")
	h.startBot()
	ctx := context.Background()
	ja := locale.For(locale.Japanese)

	// A language alignbot does not speak, refused in Japanese.
	h.command(fac, revenue, "start "+h.slack.MentionUser(mkt)+" "+h.slack.MentionUser(sales)+" lang:xx")
	if got := h.waitEphemeral(fac, 1); !strings.HasPrefix(got, ja.T("start.unknown_lang", "Word", "`lang:xx`", "Languages", "")[:20]) {
		t.Errorf("lang:xx: %q", got)
	}

	// No lang: the facilitator's own language.
	h.command(fac, revenue, "start "+h.slack.MentionUser(mkt)+" "+h.slack.MentionUser(sales))
	if got := h.waitEphemeral(fac, 2); !strings.Contains(got, "日本語") {
		t.Errorf("the facilitator was told %q", got)
	}
	if round, err := h.store.Round(ctx, 1); err != nil || round.Language != "ja" {
		t.Fatalf("round 1 speaks %q (%v), want ja: the facilitator's language", round.Language, err)
	}
	h.waitMessage(revenue, ja.T("announcement.title"))
	h.command(fac, revenue, "cancel")
	h.waitEphemeral(fac, 3)

	// The form lists the languages, preselects the facilitator's and starts
	// the round in the one chosen.
	h.command(fac, revenue, "start")
	form := h.waitView(fac, render.CallbackStart)
	for _, l := range locale.Langs {
		if !strings.Contains(string(form.Blocks), l.Name()) {
			t.Errorf("the start form does not offer %s", l.Name())
		}
	}
	if !regexp.MustCompile(`"initial_option":\{"text":\{[^}]*\},"value":"ja"\}`).Match(form.Blocks) {
		t.Errorf("the start form does not preselect Japanese: %s", form.Blocks)
	}
	resp, err := h.slack.SubmitView(ctx, fac, form.ID, map[string]map[string]string{
		"marketing": {"user": mkt}, "sales": {"user": sales}, "channel": {"channel": revenue}, "language": {"language": "pt-BR"},
	})
	if err != nil || (resp != nil && len(resp.Errors) > 0) {
		t.Fatalf("submitting the form: %+v %v", resp, err)
	}
	h.waitFor("round 2", func() bool {
		round, err := h.store.Round(ctx, 2)
		return err == nil && round.Language == "pt-BR"
	})
	h.waitMessage(revenue, locale.For(locale.Portuguese).T("announcement.title"))
	h.command(fac, revenue, "cancel")
}

// TestConfiguredLanguageIsTheDefault: ALIGNBOT_LANGUAGE decides a round's
// language when its facilitator names none, whatever their own.
func TestConfiguredLanguageIsTheDefault(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withConfig(func(c *config.Config) { c.Language = locale.Indonesian }))
	h.speaks(fac, "ja-JP")
	h.startBot()
	h.command(fac, revenue, "start "+h.slack.MentionUser(mkt)+" "+h.slack.MentionUser(sales))
	h.waitEphemeral(fac, 1)
	if round, err := h.store.Round(context.Background(), 1); err != nil || round.Language != "id" {
		t.Fatalf("round 1 speaks %q (%v), want id", round.Language, err)
	}
	h.waitMessage(revenue, locale.For(locale.Indonesian).T("announcement.title"))
	// The facilitator's own replies stay in their language.
	if got := h.ask(fac, revenue, "status"); !strings.Contains(got, "回答を集めています") {
		t.Errorf("status, asked by a Japanese reader: %q", got)
	}
}
