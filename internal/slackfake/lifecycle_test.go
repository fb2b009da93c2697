package slackfake

import (
	"context"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// TestAHeldRequestLandsWhenReleased: the first chat.update of a message
// waits at the door while a later one goes through; released, it lands
// last.
func TestAHeldRequestLandsWhenReleased(t *testing.T) {
	t.Parallel()
	fs := Start(t, WithoutRateLimits())
	workspace(fs)
	api := fs.NewClient()
	ctx := testContext(t)
	_, ts, err := api.PostMessageContext(ctx, "CALIGN", slack.MsgOptionText("v1", false))
	if err != nil {
		t.Fatal(err)
	}
	hold := fs.Hold(HoldRule{Method: "chat.update", Channel: "CALIGN", TS: ts})
	done := make(chan error, 1)
	go func() {
		_, _, _, err := api.UpdateMessageContext(ctx, "CALIGN", ts, slack.MsgOptionText("v2 (older)", false))
		done <- err
	}()
	if err := hold.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "CALIGN", ts, slack.MsgOptionText("v3 (newer)", false)); err != nil {
		t.Fatal(err)
	}
	if m, _ := fs.Message("CALIGN", ts); m.Text != "v3 (newer)" {
		t.Fatalf("before the release: %q", m.Text)
	}
	hold.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m, _ := fs.Message("CALIGN", ts); m.Text != "v2 (older)" || len(m.Revisions) != 3 {
		t.Errorf("after the release: %q, %d revisions; want the older one last", m.Text, len(m.Revisions))
	}
	// A hold with For lets its request go by itself.
	fs.Hold(HoldRule{Method: "users.info", For: 50 * time.Millisecond})
	if _, err := api.GetUserInfoContext(ctx, "UMKT"); err != nil {
		t.Errorf("a request held for a moment: %v", err)
	}
}

// TestTheWorkspaceChangesAsSlackReportsIt: each verb changes what the Web
// API answers and sends the event Slack sends, which slack-go decodes.
func TestTheWorkspaceChangesAsSlackReportsIt(t *testing.T) {
	t.Parallel()
	fs := Start(t, WithoutRateLimits())
	workspace(fs)
	app := startApp(t, fs)
	app.waitHello(t)
	api := fs.NewClient()
	ctx := testContext(t)
	event := func(t *testing.T, id string) any {
		t.Helper()
		evt := app.next(t)
		if evt.Type != socketmode.EventTypeEventsAPI || evt.Request.EnvelopeID != id {
			t.Fatalf("got %s %s, want the events_api envelope %s", evt.Type, evt.Request.EnvelopeID, id)
		}
		app.ack(t, evt)
		return evt.Data.(slackevents.EventsAPIEvent).InnerEvent.Data
	}
	post := func() string {
		_, _, err := api.PostMessageContext(ctx, "CALIGN", slack.MsgOptionText("hi", false))
		if err == nil {
			return ""
		}
		return err.Error()
	}

	id, _ := fs.RemoveBot("CALIGN")
	if e, ok := event(t, id).(*slackevents.MemberLeftChannelEvent); !ok || e.User != DefaultBotUserID || e.Channel != "CALIGN" || e.ChannelType != "C" {
		t.Errorf("removing the bot: %#v", e)
	}
	if got := post(); got != "not_in_channel" {
		t.Errorf("a post after the removal: %q", got)
	}
	id, _ = fs.InviteBot("CALIGN", "UMKT")
	if e, ok := event(t, id).(*slackevents.MemberJoinedChannelEvent); !ok || e.User != DefaultBotUserID || e.Inviter != "UMKT" {
		t.Errorf("inviting the bot: %#v", e)
	}
	if got := post(); got != "" {
		t.Errorf("a post after the invitation: %q", got)
	}
	id, _ = fs.ArchiveChannel("CALIGN", "USALES")
	if e, ok := event(t, id).(*slackevents.ChannelArchiveEvent); !ok || e.Channel != "CALIGN" || e.User != "USALES" {
		t.Errorf("archiving: %#v", e)
	}
	if got := post(); got != "is_archived" {
		t.Errorf("a post in an archived channel: %q", got)
	}
	if ch, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "CALIGN"}); err != nil || !ch.IsArchived {
		t.Errorf("conversations.info of an archived channel: %+v %v", ch, err)
	}
	id, _ = fs.UnarchiveChannel("CALIGN", "USALES")
	if _, ok := event(t, id).(*slackevents.ChannelUnarchiveEvent); !ok || post() != "" {
		t.Error("unarchiving")
	}
	id, _ = fs.RenameChannel("CALIGN", "alignment-2027")
	if e, ok := event(t, id).(*slackevents.ChannelRenameEvent); !ok || e.Channel.ID != "CALIGN" || e.Channel.Name != "alignment-2027" {
		t.Errorf("renaming: %#v", e)
	}
	id, _ = fs.LeaveChannel("CALIGN", "USALES")
	if e, ok := event(t, id).(*slackevents.MemberLeftChannelEvent); !ok || e.User != "USALES" {
		t.Errorf("a person leaving: %#v", e)
	}
	id, _ = fs.DeactivateUser("UMKT")
	if e, ok := event(t, id).(*slackevents.UserChangeEvent); !ok || e.User.ID != "UMKT" || !e.User.Deleted {
		t.Errorf("deactivating: %#v", e)
	}
	if _, _, err := api.PostMessageContext(ctx, "UMKT", slack.MsgOptionText("hi", false)); err == nil || err.Error() != "user_disabled" {
		t.Errorf("a DM to a deactivated person: %v", err)
	}
	id, _ = fs.ReactivateUser("UMKT")
	if e, ok := event(t, id).(*slackevents.UserChangeEvent); !ok || e.User.Deleted {
		t.Errorf("reactivating: %#v", e)
	}
	fs.BreakToken("account_inactive")
	if got := post(); got != "account_inactive" {
		t.Errorf("with a broken token: %q", got)
	}
	fs.BreakToken("")
	id, _ = fs.RevokeTokens()
	if e, ok := event(t, id).(*slackevents.TokensRevokedEvent); !ok || len(e.Tokens.Bot) != 1 {
		t.Errorf("revoking: %#v", e)
	}
	if got := post(); got != "token_revoked" {
		t.Errorf("with a revoked token: %q", got)
	}
	fs.RestoreTokens()
	id, _ = fs.UninstallApp()
	if _, ok := event(t, id).(*slackevents.AppUninstalledEvent); !ok {
		t.Error("uninstalling")
	}
	if got := post(); got != "invalid_auth" {
		t.Errorf("after the uninstall: %q", got)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := fs.WaitConnections(wctx, 0); err != nil {
		t.Errorf("Socket Mode stays connected after the uninstall: %v", err)
	}
}

// TestRedeliverAsNewKeepsTheEventID: Slack may send an event again in a new
// envelope; only the event_id inside says it is the same.
func TestRedeliverAsNewKeepsTheEventID(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	app := startApp(t, fs)
	app.waitHello(t)
	id, err := fs.SendDirectMessage("UMKT", "hello")
	if err != nil {
		t.Fatal(err)
	}
	first := app.next(t)
	app.ack(t, first)
	again, err := fs.RedeliverAsNew(id)
	if err != nil {
		t.Fatal(err)
	}
	second := app.next(t)
	eventID := func(e socketmode.Event) string {
		return e.Data.(slackevents.EventsAPIEvent).Data.(*slackevents.EventsAPICallbackEvent).EventID
	}
	if second.Request.EnvelopeID != again || again == id || second.Request.RetryAttempt != 1 || second.Request.RetryReason != "timeout" ||
		eventID(first) != eventID(second) {
		t.Errorf("redelivered as %+v (event %s), first %+v (event %s)", second.Request, eventID(second), first.Request, eventID(first))
	}
}
