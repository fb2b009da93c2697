package slackfake

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
)

func TestFindButton(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	s := fs
	s.mu.Lock()
	raw, err := json.Marshal(questionnaire(10))
	if err == nil {
		raw, err = s.normalizeBlocks(raw, maxMessageBlocks)
	}
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := decodeBlocks(raw)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		label, prefix string
		wantValue     string
		wantErr       string
	}{
		{"Q1", "2", "q1=2", ""},
		{"Q10", "2", "q10=2", ""},
		{"Q4", "5", "q4=5", ""},
		{"", "Submit", "submit", ""},
		{"", "3", "q1=3", ""},
		{"Q1", "Submit", "", "no button starting with"}, // the divider ends the card
		{"Q11", "1", "", "no block carries"},
		{"q1", "1", "", "no block carries"}, // case-sensitive
	}
	for _, tt := range tests {
		btn, err := findButton(blocks, tt.label, tt.prefix)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("findButton(%q, %q) error %v, want %q", tt.label, tt.prefix, err, tt.wantErr)
			}
			continue
		}
		if err != nil || btn.value != tt.wantValue {
			t.Errorf("findButton(%q, %q) = %q, %v; want %q", tt.label, tt.prefix, btn.value, err, tt.wantValue)
		}
	}
}

func TestFindButtonCardRules(t *testing.T) {
	t.Parallel()
	section := func(id, text string, accessory *slack.Accessory) slack.Block {
		return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, accessory, slack.SectionBlockOptionBlockID(id))
	}
	btn := func(value, text string) *slack.ButtonBlockElement {
		return slack.NewButtonBlockElement("a-"+value, value, slack.NewTextBlockObject(slack.PlainTextType, text, false, false))
	}
	blocks := []slack.Block{
		section("intro", "Answer Q1 and Q2 below.", nil), // labelled Q1 but no buttons: skipped
		slack.NewContextBlock("ctx1", slack.NewTextBlockObject(slack.MarkdownType, "Q1 of 2", false, false)),
		section("q1text", "How aligned are you?", nil),
		slack.NewActionBlock("q1", btn("1", "1"), btn("10", "10"), btn("11", "1 or so")),
		slack.NewContextBlock("ctx2", slack.NewTextBlockObject(slack.MarkdownType, "Q2 of 2", false, false)),
		section("q2text", "Second?", slack.NewAccessory(btn("q2-yes", "Yes"))),
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Done", false, false)),
		slack.NewActionBlock("end", btn("fin", "Yes, finish")),
	}
	raw, _ := json.Marshal(blocks)
	decoded, err := decodeBlocks(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ label, prefix, want string }{
		{"Q1", "1", "1"},        // exact text wins over "10" and "1 or so"
		{"Q1", "1 o", "11"},     // prefix
		{"Q2", "Yes", "q2-yes"}, // accessory; the header ends the card before "Yes, finish"
		{"Done", "Yes", "fin"},
	} {
		got, err := findButton(decoded, tt.label, tt.prefix)
		if err != nil || got.value != tt.want {
			t.Errorf("findButton(%q, %q) = %q, %v; want %q", tt.label, tt.prefix, got.value, err, tt.want)
		}
	}
}

func TestClickButtonPayload(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	app := startApp(t, fs)
	api := app.api

	dm, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"UMKT"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage(dm.ID, slack.MsgOptionText("Questionnaire", false), slack.MsgOptionBlocks(questionnaire(10)...)); err != nil {
		t.Fatal(err)
	}
	msg, ok := fs.LastDM("UMKT")
	if !ok {
		t.Fatal("no DM")
	}

	for _, tt := range []struct{ label, prefix, value, blockID string }{
		{"Q1", "2", "q1=2", "q1"},
		{"Q10", "2", "q10=2", "q10"},
	} {
		envID, err := fs.ClickButton("UMKT", msg, tt.label, tt.prefix)
		if err != nil {
			t.Fatal(err)
		}
		evt := app.next(t)
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			t.Fatalf("got %T", evt.Data)
		}
		if evt.Request.EnvelopeID != envID || cb.Type != slack.InteractionTypeBlockActions {
			t.Errorf("envelope %s type %s", evt.Request.EnvelopeID, cb.Type)
		}
		if len(cb.ActionCallback.BlockActions) != 1 {
			t.Fatalf("actions = %+v", cb.ActionCallback)
		}
		a := cb.ActionCallback.BlockActions[0]
		if a.Value != tt.value || a.BlockID != tt.blockID || a.ActionID != "answer" || a.Type != "button" || !strings.HasPrefix(a.Text.Text, tt.prefix) {
			t.Errorf("action = %+v, want value %s block %s", a, tt.value, tt.blockID)
		}
		if cb.User.ID != "UMKT" || cb.User.Name != "mia" || cb.Team.ID != DefaultTeamID || cb.APIAppID != DefaultAppID || cb.TriggerID == "" || cb.ResponseURL == "" {
			t.Errorf("callback identity: %+v %+v %s %s", cb.User, cb.Team, cb.APIAppID, cb.TriggerID)
		}
		if cb.Container.Type != "message" || cb.Container.MessageTs != msg.TS || cb.Container.ChannelID != dm.ID || cb.Container.IsEphemeral {
			t.Errorf("container = %+v", cb.Container)
		}
		if cb.Channel.ID != dm.ID || cb.Message.Timestamp != msg.TS || cb.Message.BotID != DefaultBotID || len(cb.Message.Blocks.BlockSet) != len(questionnaire(10)) {
			t.Errorf("channel %s, message ts %s bot %s blocks %d", cb.Channel.ID, cb.Message.Timestamp, cb.Message.BotID, len(cb.Message.Blocks.BlockSet))
		}
		app.ack(t, evt)
	}

	// A tampered click goes out as built.
	cb, err := fs.BuildClick("UMKT", msg, "Q3", "4")
	if err != nil {
		t.Fatal(err)
	}
	cb.ActionCallback.BlockActions[0].Value = "q3=99"
	cb.User.ID = "USALES"
	if _, err := fs.SendInteraction(cb); err != nil {
		t.Fatal(err)
	}
	got := app.next(t).Data.(slack.InteractionCallback)
	if got.ActionCallback.BlockActions[0].Value != "q3=99" || got.User.ID != "USALES" {
		t.Errorf("tampered click arrived as %+v from %s", got.ActionCallback.BlockActions[0], got.User.ID)
	}
	// The raw payload has Slack's shape.
	var raw map[string]any
	if err := json.Unmarshal(fs.Envelopes()[2].Payload, &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"type", "user", "team", "api_app_id", "trigger_id", "container", "channel", "message", "response_url", "actions", "state"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("payload has no %q", key)
		}
	}
}

func TestClickEphemeralAndResponseURL(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	app := startApp(t, fs)
	api := app.api

	confirm := []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Start a round with Mia and Sam?", false, false), nil, nil),
		slack.NewActionBlock("confirm", slack.NewButtonBlockElement("start", "go", slack.NewTextBlockObject(slack.PlainTextType, "Start", false, false))),
	}
	if _, err := api.PostEphemeral("CALIGN", "USALES", slack.MsgOptionText("Start?", false), slack.MsgOptionBlocks(confirm...)); err != nil {
		t.Fatal(err)
	}
	eph := fs.Ephemerals("USALES")
	if len(eph) != 1 {
		t.Fatalf("ephemerals = %+v", eph)
	}
	if _, err := fs.ClickButton("UMKT", eph[0], "", "Start"); err == nil {
		t.Error("someone else clicked an ephemeral")
	}
	if _, err := fs.ClickButton("USALES", eph[0], "", "Start"); err != nil {
		t.Fatal(err)
	}
	evt := app.next(t)
	cb := evt.Data.(slack.InteractionCallback)
	if !cb.Container.IsEphemeral || cb.Message.Timestamp != "" || cb.ResponseURL == "" || cb.Container.MessageTs != eph[0].TS {
		t.Errorf("ephemeral click: container %+v, message ts %q, response_url %q", cb.Container, cb.Message.Timestamp, cb.ResponseURL)
	}
	app.ack(t, evt)

	// The bot replaces the ephemeral through the response_url.
	if _, _, err := api.PostMessage("", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("Round started.", false)); err != nil {
		t.Fatal(err)
	}
	now, _ := fs.Message("CALIGN", eph[0].TS)
	if now.Text != "Round started." || len(now.Blocks) != 0 || len(now.Revisions) != 2 || now.Revisions[1].Method != "response_url" {
		t.Errorf("after replace_original: %+v", now)
	}
	// Then adds a new ephemeral and deletes the original: 3 more uses.
	if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(cb.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("Note", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(cb.ResponseURL, slack.ResponseTypeInChannel), slack.MsgOptionText("Everyone: a round started", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage("", slack.MsgOptionDeleteOriginal(cb.ResponseURL)); err != nil {
		t.Fatal(err)
	}
	if now, _ := fs.Message("CALIGN", eph[0].TS); !now.Deleted {
		t.Error("delete_original left the message")
	}
	if eph := fs.Ephemerals("USALES"); len(eph) != 2 || eph[1].Text != "Note" {
		t.Errorf("ephemerals = %+v", eph)
	}
	msgs := fs.Messages("CALIGN")
	if len(msgs) != 1 || msgs[0].Text != "Everyone: a round started" || msgs[0].Source != "response_url" {
		t.Errorf("channel messages = %+v", msgs)
	}
	// Fifth use works, sixth does not.
	if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(cb.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("5th", false)); err != nil {
		t.Fatal(err)
	}
	_, _, err := api.PostMessage("", slack.MsgOptionResponseURL(cb.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("6th", false))
	var status slack.StatusCodeError
	if !errors.As(err, &status) || status.Code != 404 {
		t.Errorf("6th post: %v, want HTTP 404", err)
	}
	posts := fs.ResponsePosts()
	if len(posts) != 6 || posts[5].Error != "used_url" || posts[0].User != "USALES" {
		t.Errorf("response posts = %+v", posts)
	}
}

func TestClickedMessageRevisedInPlace(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	app := startApp(t, fs)
	api := app.api

	dm, ts, err := api.PostMessage("UMKT", slack.MsgOptionText("Questionnaire", false), slack.MsgOptionBlocks(questionnaire(2)...))
	if err != nil {
		t.Fatal(err)
	}
	card, _ := fs.Message(dm, ts)
	if _, err := fs.ClickButton("UMKT", card, "Q1", "3"); err != nil {
		t.Fatal(err)
	}
	evt := app.next(t)
	app.ack(t, evt)
	responseURL := evt.Data.(slack.InteractionCallback).ResponseURL

	answered := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Q1: 3 ✓", false, false), nil, nil)}
	if _, _, err := api.PostMessage("", slack.MsgOptionReplaceOriginal(responseURL),
		slack.MsgOptionText("Q1 answered", false), slack.MsgOptionBlocks(answered...)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessage(dm, ts, slack.MsgOptionText("Submitted", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatal(err)
	}

	// One message, three versions, each with what produced it.
	msgs := fs.Messages(dm)
	if len(msgs) != 1 || msgs[0].TS != ts || msgs[0].Text != "Submitted" {
		t.Fatalf("DM = %+v, want the card revised in place", msgs)
	}
	type rev struct{ Method, Text string }
	var got []rev
	for _, r := range msgs[0].Revisions {
		got = append(got, rev{r.Method, r.Text})
	}
	want := []rev{{"chat.postMessage", "Questionnaire"}, {"response_url", "Q1 answered"}, {"chat.update", "Submitted"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("revisions (-want +got):\n%s", diff)
	}

	// The response_url takes four more posts (five in all), then answers 404
	// used_url.
	for i := 2; i <= DefaultResponseURLUses; i++ {
		if _, _, err := api.PostMessage("", slack.MsgOptionReplaceOriginal(responseURL), slack.MsgOptionText("use "+strconv.Itoa(i), false)); err != nil {
			t.Fatalf("use %d: %v", i, err)
		}
	}
	_, _, err = api.PostMessage("", slack.MsgOptionReplaceOriginal(responseURL), slack.MsgOptionText("one too many", false))
	var status slack.StatusCodeError
	if !errors.As(err, &status) || status.Code != http.StatusNotFound {
		t.Errorf("6th use: %v, want HTTP 404", err)
	}
	posts := fs.ResponsePosts()
	if last := posts[len(posts)-1]; len(posts) != 6 || last.Error != "used_url" || last.Status != http.StatusNotFound {
		t.Errorf("response posts = %+v", posts)
	}
	if m, _ := fs.Message(dm, ts); m.Text != "use 5" || len(m.Revisions) != 7 {
		t.Errorf("after the refused post: %q with %d revisions, want \"use 5\" and 7", m.Text, len(m.Revisions))
	}
}
