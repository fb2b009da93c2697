package slackfake

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

func TestSlashCommandOverSocketMode(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	app := startApp(t, fs)
	app.waitHello(t)
	ctx := testContext(t)
	if err := fs.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}

	text := "start " + fs.MentionUser("UMKT") + " " + fs.MentionUser("USALES")
	envID, err := fs.SlashCommand("UMKT", "CALIGN", text)
	if err != nil {
		t.Fatal(err)
	}
	evt := app.next(t)
	cmd, ok := evt.Data.(slack.SlashCommand)
	if !ok {
		t.Fatalf("got %T, want slack.SlashCommand", evt.Data)
	}
	want := slack.SlashCommand{
		Token: "fakeverificationtoken", TeamID: DefaultTeamID, TeamDomain: DefaultTeamDomain,
		ChannelID: "CALIGN", ChannelName: "alignment", UserID: "UMKT", UserName: "mia",
		Command: "/alignment", Text: "start <@UMKT|mia> <@USALES|sam>", APIAppID: DefaultAppID,
		ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID,
	}
	if cmd != want {
		t.Errorf("slash command:\ngot  %+v\nwant %+v", cmd, want)
	}
	if cmd.ResponseURL == "" || cmd.TriggerID == "" {
		t.Errorf("response_url %q, trigger_id %q: want both", cmd.ResponseURL, cmd.TriggerID)
	}
	if evt.Request.EnvelopeID != envID || !evt.Request.AcceptsResponsePayload || evt.Request.RetryAttempt != 0 {
		t.Errorf("envelope %+v: want id %s, accepts_response_payload, retry_attempt 0", evt.Request, envID)
	}

	app.ack(t, evt, map[string]any{"text": "Starting a round…"})
	ack, err := fs.WaitAck(ctx, envID)
	if err != nil {
		t.Fatal(err)
	}
	if ack.EnvelopeType != EnvelopeSlashCommands || string(ack.Payload) != `{"text":"Starting a round…"}` {
		t.Errorf("ack = %+v", ack)
	}
	// Slack shows a slash command's ack payload to the person, ephemerally.
	eph := fs.Ephemerals("UMKT")
	if len(eph) != 1 || eph[0].Text != "Starting a round…" || eph[0].Channel != "CALIGN" || eph[0].Source != "ack" {
		t.Errorf("ephemerals = %+v, want the ack's text", eph)
	}
	sent := fs.Sent()
	if last := sent[len(sent)-1]; last.Method != "ack" {
		t.Errorf("last sent = %+v, want the ack", last)
	}
}

func TestSlashCommandWaitsForAConnection(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	envID, err := fs.SlashCommand("USALES", "", "help")
	if err != nil {
		t.Fatal(err)
	}
	app := startApp(t, fs)
	evt := app.next(t)
	if evt.Request.EnvelopeID != envID {
		t.Errorf("got envelope %s, want the queued %s", evt.Request.EnvelopeID, envID)
	}
	cmd := evt.Data.(slack.SlashCommand)
	dm, _ := fs.DMChannel("USALES")
	if cmd.ChannelID != dm || cmd.ChannelName != "directmessage" {
		t.Errorf("channel %s %q, want the DM %s \"directmessage\"", cmd.ChannelID, cmd.ChannelName, dm)
	}
}

func TestDroppedSocketReconnects(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	app := startApp(t, fs)
	ctx := testContext(t)
	app.waitHello(t)
	if err := fs.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}

	fs.DropSockets()
	app.waitHello(t)
	if err := fs.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := fs.Calls("apps.connections.open"); got != 2 {
		t.Errorf("apps.connections.open called %d times, want 2", got)
	}
	// The new connection works.
	if _, err := fs.SlashCommand("UMKT", "CALIGN", "status"); err != nil {
		t.Fatal(err)
	}
	app.ack(t, app.next(t))
}

func TestRequestReconnect(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	app := startApp(t, fs)
	app.waitHello(t)

	fs.RequestReconnect("refresh_requested")
	envID, err := fs.SlashCommand("UMKT", "CALIGN", "status") // queued until the client is back
	if err != nil {
		t.Fatal(err)
	}
	app.waitHello(t)
	evt := app.next(t)
	if evt.Request.EnvelopeID != envID {
		t.Errorf("got %s, want %s", evt.Request.EnvelopeID, envID)
	}
	if got := fs.Calls("apps.connections.open"); got != 2 {
		t.Errorf("apps.connections.open called %d times, want 2", got)
	}
}

func TestEachEnvelopeGoesToOneConnection(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	first, second := startApp(t, fs), startApp(t, fs)
	ctx := testContext(t)
	if err := fs.WaitConnections(ctx, 2); err != nil {
		t.Fatal(err)
	}

	const n = 6
	sentIDs := make(map[string]bool)
	for range n {
		id, err := fs.SlashCommand("UMKT", "CALIGN", "status")
		if err != nil {
			t.Fatal(err)
		}
		sentIDs[id] = true
	}
	got := make(map[string]int)
	perApp := make(map[*socketApp]int)
	for range n {
		select {
		case evt := <-first.requests:
			got[evt.Request.EnvelopeID]++
			perApp[first]++
			first.ack(t, evt)
		case evt := <-second.requests:
			got[evt.Request.EnvelopeID]++
			perApp[second]++
			second.ack(t, evt)
		case <-ctx.Done():
			t.Fatal("envelopes missing")
		}
	}
	for id := range sentIDs {
		if got[id] != 1 {
			t.Errorf("envelope %s delivered %d times, want 1", id, got[id])
		}
	}
	if perApp[first] != n/2 || perApp[second] != n/2 {
		t.Errorf("round robin: %d and %d, want %d each", perApp[first], perApp[second], n/2)
	}
	for id := range sentIDs {
		if _, err := fs.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range fs.Envelopes() {
		if len(e.Deliveries) != 1 || !e.Acked {
			t.Errorf("envelope %s: deliveries %v, acked %v", e.ID, e.Deliveries, e.Acked)
		}
	}
}

func TestUnackedEventIsRedelivered(t *testing.T) {
	t.Parallel()
	fs := Start(t, WithAckTimeout(100*time.Millisecond), WithMaxRetries(1))
	workspace(fs)
	app := startApp(t, fs)

	envID, err := fs.OpenAppHome("UMKT")
	if err != nil {
		t.Fatal(err)
	}
	first := app.next(t) // not acked
	again := app.next(t)
	if again.Request.EnvelopeID != envID || again.Request.RetryAttempt != 1 || again.Request.RetryReason != "timeout" {
		t.Errorf("redelivery: envelope %s, retry_attempt %d, retry_reason %q; want %s, 1, timeout",
			again.Request.EnvelopeID, again.Request.RetryAttempt, again.Request.RetryReason, envID)
	}
	if string(again.Request.Payload) != string(first.Request.Payload) {
		t.Errorf("redelivered payload differs:\n%s\n%s", first.Request.Payload, again.Request.Payload)
	}
	if first.Request.RetryAttempt != 0 || first.Request.RetryReason != "" {
		t.Errorf("first delivery: retry_attempt %d, reason %q", first.Request.RetryAttempt, first.Request.RetryReason)
	}
	app.ack(t, again)
	ctx := testContext(t)
	if _, err := fs.WaitAck(ctx, envID); err != nil {
		t.Fatal(err)
	}

	// A slash command is not redelivered: it fails for the person.
	cmdID, err := fs.SlashCommand("UMKT", "CALIGN", "status")
	if err != nil {
		t.Fatal(err)
	}
	app.next(t)
	err = fs.WaitFor(ctx, func() bool {
		for _, e := range fs.Envelopes() {
			if e.ID == cmdID {
				return e.Failed
			}
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case evt := <-app.requests:
		t.Errorf("unexpected redelivery of %s", evt.Request.EnvelopeID)
	default:
	}
}

func TestRedeliverDuplicatesAnAckedEvent(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	app := startApp(t, fs)

	envID, err := fs.OpenAppHome("USALES")
	if err != nil {
		t.Fatal(err)
	}
	first := app.next(t)
	app.ack(t, first)
	ctx := testContext(t)
	if _, err := fs.WaitAck(ctx, envID); err != nil {
		t.Fatal(err)
	}
	if err := fs.Redeliver(envID); err != nil {
		t.Fatal(err)
	}
	dup := app.next(t)
	eventID := func(evt socketmode.Event) string {
		return evt.Data.(slackevents.EventsAPIEvent).Data.(*slackevents.EventsAPICallbackEvent).EventID
	}
	if dup.Request.EnvelopeID != envID || dup.Request.RetryAttempt != 1 || eventID(dup) != eventID(first) {
		t.Errorf("duplicate: envelope %s attempt %d event %s; want %s 1 %s",
			dup.Request.EnvelopeID, dup.Request.RetryAttempt, eventID(dup), envID, eventID(first))
	}
	inner, ok := dup.Data.(slackevents.EventsAPIEvent).InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || inner.User != "USALES" || inner.Tab != "home" {
		t.Errorf("inner event = %+v", dup.Data.(slackevents.EventsAPIEvent).InnerEvent.Data)
	}
}

func TestRawSocketProtocol(t *testing.T) {
	t.Parallel()
	fs := Start(t, WithPingInterval(50*time.Millisecond))
	workspace(fs)
	api := fs.NewClient(slack.OptionDebug(true), slack.OptionLog(discardLogger{}))
	_, wsURL, err := api.StartSocketModeContext(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(wsURL, "debug_reconnects=true") {
		t.Errorf("url %s: slack-go in debug mode appends debug_reconnects=true", wsURL)
	}
	conn, _, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pinged := make(chan struct{}, 10)
	conn.SetPingHandler(func(data string) error {
		pinged <- struct{}{}
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})

	var hello map[string]any
	if err := conn.ReadJSON(&hello); err != nil {
		t.Fatal(err)
	}
	if hello["type"] != "hello" || hello["num_connections"] != 1.0 ||
		hello["connection_info"].(map[string]any)["app_id"] != DefaultAppID || hello["debug_info"] == nil {
		t.Errorf("hello = %v", hello)
	}

	envID, err := fs.SlashCommand("UMKT", "CALIGN", "status")
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	if err := conn.ReadJSON(&env); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"envelope_id", "payload", "type", "accepts_response_payload", "retry_attempt", "retry_reason"} {
		if _, ok := env[key]; !ok {
			t.Errorf("envelope has no %q: %v", key, env)
		}
	}
	select {
	case <-pinged:
	case <-time.After(testTimeout):
		t.Error("no ping")
	}

	big := `{"envelope_id":"` + envID + `","payload":{"text":"` + strings.Repeat("x", maxAckSize) + `"}}`
	if err := conn.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
		t.Fatal(err)
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"nope"}`)); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	if err := fs.WaitFor(ctx, func() bool { return len(fs.ProtocolErrors()) == 2 }); err != nil {
		t.Fatal(err, fs.ProtocolErrors())
	}
	acks := fs.Acks()
	if len(acks) != 2 || !acks[0].Dropped || acks[1].EnvelopeType != "" {
		t.Errorf("acks = %+v: want the big one dropped and the unknown one recorded", acks)
	}
	if envs := fs.Envelopes(); envs[0].Acked {
		t.Error("a dropped ack acknowledged the envelope")
	}
}

type discardLogger struct{}

func (discardLogger) Output(int, string) error { return nil }

func TestSendDirectMessage(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	app := startApp(t, fs)

	// The bot's own post in the DM makes no event.
	dm, _, err := app.api.PostMessage("UMKT", slack.MsgOptionText("Your questionnaire is ready", false))
	if err != nil {
		t.Fatal(err)
	}
	envID, err := fs.SendDirectMessage("UMKT", "help")
	if err != nil {
		t.Fatal(err)
	}
	evt := app.next(t)
	if evt.Request.EnvelopeID != envID || evt.Type != socketmode.EventTypeEventsAPI {
		t.Fatalf("got %s %s, want the events_api envelope %s", evt.Type, evt.Request.EnvelopeID, envID)
	}
	app.ack(t, evt)
	outer := evt.Data.(slackevents.EventsAPIEvent)
	cb, ok := outer.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || cb.EventID == "" || outer.TeamID != DefaultTeamID || outer.APIAppID != DefaultAppID {
		t.Errorf("callback = %+v, team %s app %s", outer.Data, outer.TeamID, outer.APIAppID)
	}
	msg, ok := outer.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok {
		t.Fatalf("inner event is %T, want *slackevents.MessageEvent", outer.InnerEvent.Data)
	}
	if msg.Type != "message" || msg.ChannelType != "im" || msg.Channel != dm || msg.User != "UMKT" ||
		msg.Text != "help" || msg.TimeStamp == "" || msg.EventTimeStamp != msg.TimeStamp || msg.BotID != "" || msg.SubType != "" {
		t.Errorf("message event = %+v", msg)
	}
	if len(msg.Blocks.BlockSet) != 1 || msg.Blocks.BlockSet[0].BlockType() != slack.MBTRichText {
		t.Errorf("blocks = %+v, want the rich_text block Slack's client adds", msg.Blocks.BlockSet)
	}

	// The person's message is in the DM, after the bot's; only one envelope
	// went out.
	msgs := fs.Messages(dm)
	if len(msgs) != 2 || msgs[1].User != "UMKT" || msgs[1].Text != "help" || msgs[1].TS != msg.TimeStamp || msgs[1].BotID != "" {
		t.Errorf("DM = %+v", msgs)
	}
	if envs := fs.Envelopes(); len(envs) != 1 {
		t.Errorf("envelopes = %+v, want the person's message only", envs)
	}
	if dms := fs.DMs("UMKT"); len(dms) != 1 {
		t.Errorf("DMs lists %d bot messages, want 1", len(dms))
	}

	for _, who := range []string{"UNOPE", "UGONE", "UOTHERBOT"} {
		if _, err := fs.SendDirectMessage(who, "hi"); err == nil {
			t.Errorf("%s typed in a DM", who)
		}
	}
}
