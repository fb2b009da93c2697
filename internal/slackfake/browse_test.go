package slackfake

import (
	"testing"

	"github.com/slack-go/slack"
)

func TestTimelineThreadsAndEphemerals(t *testing.T) {
	t.Parallel()
	fs := Start(t, WithoutRateLimits())
	workspace(fs)
	api := fs.NewClient()
	changed := fs.Changed()
	_, parent, err := api.PostMessage("CALIGN", slack.MsgOptionText("the reveal", false))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Error("Changed was not closed by a post")
	}
	if _, _, err := api.PostMessage("CALIGN", slack.MsgOptionText("detail", false), slack.MsgOptionTS(parent)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeral("CALIGN", "UMKT", slack.MsgOptionText("only for Mia", false)); err != nil {
		t.Fatal(err)
	}
	texts := func(ms []Message) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Text)
		}
		return out
	}
	if got := texts(fs.Timeline("UMKT", "CALIGN")); len(got) != 2 || got[0] != "the reveal" || got[1] != "only for Mia" {
		t.Errorf("Mia's timeline: %q, want the reveal and her ephemeral, no reply", got)
	}
	if got := texts(fs.Timeline("USALES", "CALIGN")); len(got) != 1 || got[0] != "the reveal" {
		t.Errorf("Sam's timeline: %q, want only the reveal", got)
	}
	if got := texts(fs.ThreadFor("USALES", "CALIGN", parent)); len(got) != 2 || got[1] != "detail" {
		t.Errorf("thread: %q", got)
	}
	if n := fs.ReplyCount("CALIGN", parent); n != 1 {
		t.Errorf("ReplyCount: %d, want 1", n)
	}
	switch {
	case !fs.CanSee("UMKT", "GSECRET"):
		t.Error("a member cannot see their private channel")
	case fs.CanSee("USALES", "GSECRET"):
		t.Error("a non-member sees a private channel")
	case !fs.CanSee("USALES", "COUT"):
		t.Error("a workspace member cannot read a public channel")
	case fs.CanSee("UNOBODY", "CALIGN"):
		t.Error("someone outside the workspace sees a channel")
	}
	if u, ok := fs.Person("UMKT"); !ok || u.Name != "mia" {
		t.Errorf("Person(UMKT) = %+v, %v", u, ok)
	}
	if n := len(fs.People()); n != 5 { // four added and the bot
		t.Errorf("People: %d, want 5", n)
	}
	if chans := fs.Channels(); len(chans) != 3 || chans[0].Name != "alignment" {
		t.Errorf("Channels: %+v", chans)
	}
}

func TestClickActionByID(t *testing.T) {
	t.Parallel()
	fs := Start(t, WithoutRateLimits())
	workspace(fs)
	app := startApp(t, fs)
	app.waitHello(t)
	_, ts, err := app.api.PostMessage("CALIGN", slack.MsgOptionText("card", false), slack.MsgOptionBlocks(questionnaire(2)...))
	if err != nil {
		t.Fatal(err)
	}
	msg := Message{Channel: "CALIGN", TS: ts}
	before := len(fs.Envelopes())
	for _, bad := range []struct{ user, block, action string }{
		{"UMKT", "q1", "nope"},
		{"UMKT", "nope", "answer"},
		{"UNOBODY", "q1", "answer"},
	} {
		if _, err := fs.ClickAction(bad.user, msg, bad.block, bad.action); err == nil {
			t.Errorf("ClickAction(%s, %s/%s) succeeded", bad.user, bad.block, bad.action)
		}
	}
	if n := len(fs.Envelopes()); n != before {
		t.Fatalf("refused clicks sent %d envelopes", n-before)
	}
	if _, err := fs.ClickAction("UMKT", msg, "q2", "answer"); err != nil {
		t.Fatal(err)
	}
	evt := app.next(t)
	cb := evt.Data.(slack.InteractionCallback)
	app.ack(t, evt)
	if a := cb.ActionCallback.BlockActions[0]; a.BlockID != "q2" || a.Value != "q2=1" || cb.User.ID != "UMKT" {
		t.Errorf("clicked %s/%s=%s as %s, want q2/answer=q2=1 as UMKT", a.BlockID, a.ActionID, a.Value, cb.User.ID)
	}
}

func TestCloseView(t *testing.T) {
	t.Parallel()
	fs := Start(t, WithoutRateLimits())
	workspace(fs)
	app := startApp(t, fs)
	app.waitHello(t)
	if _, err := fs.SlashCommand("UMKT", "CALIGN", "start"); err != nil {
		t.Fatal(err)
	}
	evt := app.next(t)
	app.ack(t, evt)
	modal := startModal()
	modal.NotifyOnClose = true
	resp, err := app.api.OpenView(evt.Data.(slack.SlashCommand).TriggerID, modal)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.CloseView("USALES", resp.ID); err == nil {
		t.Error("someone else closed Mia's modal")
	}
	id, err := fs.CloseView("UMKT", resp.ID)
	if err != nil || id == "" {
		t.Fatalf("CloseView: %q, %v; want a view_closed envelope", id, err)
	}
	if _, open := fs.OpenView("UMKT"); open {
		t.Error("the modal is still open")
	}
	evt = app.next(t)
	app.ack(t, evt)
	if cb := evt.Data.(slack.InteractionCallback); cb.Type != slack.InteractionTypeViewClosed || cb.View.ID != resp.ID || cb.User.ID != "UMKT" {
		t.Errorf("got %s for view %s by %s", cb.Type, cb.View.ID, cb.User.ID)
	}
	if _, err := fs.CloseView("UMKT", resp.ID); err == nil {
		t.Error("a closed modal closed again")
	}
}
