package slackfake

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
)

// slackErr returns the Slack error code of err, "" if it is none.
func slackErr(err error) string {
	var e slack.SlackErrorResponse
	if errors.As(err, &e) {
		return e.Err
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestWebAPIErrors(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	api := fs.NewClient()
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"wrong token", func() error {
			_, err := slack.New("xoxb-wrong", slack.OptionAPIURL(fs.URL())).AuthTest()
			return err
		}, "invalid_auth"},
		{"no token", func() error {
			_, err := slack.New("", slack.OptionAPIURL(fs.URL())).AuthTest()
			return err
		}, "not_authed"},
		{"app token for a bot method", func() error {
			_, err := slack.New(fs.AppToken(), slack.OptionAPIURL(fs.URL())).AuthTest()
			return err
		}, "not_allowed_token_type"},
		{"bot token for apps.connections.open", func() error {
			_, _, err := slack.New(fs.BotToken(), slack.OptionAPIURL(fs.URL()), slack.OptionAppLevelToken(fs.BotToken())).StartSocketModeContext(t.Context())
			return err
		}, "not_allowed_token_type"},
		{"unknown channel", func() error {
			_, _, err := api.PostMessage("CNOPE", slack.MsgOptionText("hi", false))
			return err
		}, "channel_not_found"},
		{"private channel without the bot", func() error {
			_, _, err := api.PostMessage("GSECRET", slack.MsgOptionText("hi", false))
			return err
		}, "channel_not_found"},
		{"public channel without the bot", func() error {
			_, _, err := api.PostMessage("COUT", slack.MsgOptionText("hi", false))
			return err
		}, "not_in_channel"},
		{"no text", func() error {
			_, _, err := api.PostMessage("CALIGN")
			return err
		}, "no_text"},
		{"unknown user", func() error {
			_, err := api.GetUserInfo("UNOPE")
			return err
		}, "user_not_found"},
		{"DM a deactivated user", func() error {
			_, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"UGONE"}})
			return err
		}, "user_disabled"},
		{"DM a bot", func() error {
			_, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"UOTHERBOT"}})
			return err
		}, "cannot_dm_bot"},
		{"DM an unknown user", func() error {
			_, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"UNOPE"}})
			return err
		}, "user_not_found"},
		{"update an unknown message", func() error {
			_, _, _, err := api.UpdateMessage("CALIGN", "1.000001", slack.MsgOptionText("x", false))
			return err
		}, "message_not_found"},
		{"ephemeral to a non-member", func() error {
			_, err := api.PostEphemeral("CALIGN", "UGONE", slack.MsgOptionText("x", false))
			return err
		}, "user_not_in_channel"},
		{"reply to an unknown thread", func() error {
			_, _, err := api.PostMessage("CALIGN", slack.MsgOptionText("x", false), slack.MsgOptionTS("1.000001"))
			return err
		}, "thread_not_found"},
		{"too many blocks", func() error {
			var blocks []slack.Block
			for range 51 {
				blocks = append(blocks, slack.NewDividerBlock())
			}
			_, _, err := api.PostMessage("CALIGN", slack.MsgOptionText("x", false), slack.MsgOptionBlocks(blocks...))
			return err
		}, "invalid_blocks"},
		{"history without the bot", func() error {
			_, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "COUT"})
			return err
		}, "not_in_channel"},
		{"update a view nobody opened", func() error {
			_, err := api.UpdateView(slack.ModalViewRequest{Type: slack.VTModal}, "", "", "VNOPE")
			return err
		}, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slackErr(tt.call()); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorShape(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	for _, tt := range []struct {
		method, token, want string
	}{
		{"auth.test", "xoxb-wrong", `{"error":"invalid_auth","ok":false}`},
		{"chat.nope", fs.BotToken(), `{"error":"unknown_method","ok":false,"req_method":"chat.nope"}`},
	} {
		resp, err := http.PostForm(fs.URL()+tt.method, url.Values{"token": {tt.token}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != tt.want {
			t.Errorf("%s: %d %s, want 200 %s", tt.method, resp.StatusCode, body, tt.want)
		}
	}
}

func TestPostMessageHistoryAndInfo(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	api := fs.NewClient()

	meta := slack.SlackMetadata{EventType: "round_progress", EventPayload: map[string]any{"round_id": "r1"}}
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Round started*", false, false), nil, nil)}
	ch, ts, err := api.PostMessage("CALIGN", slack.MsgOptionText("Round started", false),
		slack.MsgOptionBlocks(blocks...), slack.MsgOptionMetadata(meta))
	if err != nil {
		t.Fatal(err)
	}
	if ch != "CALIGN" || !strings.Contains(ts, ".") {
		t.Errorf("channel %q ts %q", ch, ts)
	}
	_, reply, err := api.PostMessage("CALIGN", slack.MsgOptionText("progress 1/2", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatal(err)
	}
	if reply <= ts {
		t.Errorf("reply ts %s not after %s", reply, ts)
	}

	for _, withMeta := range []bool{false, true} {
		h, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "CALIGN", IncludeAllMetadata: withMeta})
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Messages) != 1 {
			t.Fatalf("history has %d messages, want the thread's first only", len(h.Messages))
		}
		m := h.Messages[0]
		if m.Timestamp != ts || m.BotID != DefaultBotID || m.ReplyCount != 1 || m.ThreadTimestamp != ts || len(m.Blocks.BlockSet) != 1 {
			t.Errorf("history message = %+v", m.Msg)
		}
		if got := m.Metadata.EventType; (got == "round_progress") != withMeta {
			t.Errorf("include_all_metadata=%v: metadata %+v", withMeta, m.Metadata)
		}
	}

	replies, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: "CALIGN", Timestamp: reply})
	if err != nil || len(replies) != 2 || replies[1].Timestamp != reply || replies[1].ParentUserId != DefaultBotUserID {
		t.Errorf("conversations.replies = %+v, %v", replies, err)
	}
	thread := fs.Thread("CALIGN", ts)
	if len(thread) != 2 || thread[1].ThreadTS != ts || thread[1].Text != "progress 1/2" {
		t.Errorf("thread = %+v", thread)
	}
	if got := fs.Messages("CALIGN")[0]; !strings.Contains(string(got.Metadata), "round_id") || got.VisibleText() != "*Round started*" {
		t.Errorf("stored message = %+v", got)
	}

	info, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "CALIGN"})
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "alignment" || !info.IsMember || info.IsPrivate || !info.IsChannel {
		t.Errorf("conversations.info = %+v", info)
	}

	u, err := api.GetUserInfo("USALES")
	if err != nil {
		t.Fatal(err)
	}
	if u.TZ != "Europe/Paris" || u.TZOffset != 3600 || !u.IsAdmin || u.IsBot || u.Deleted || u.RealName != "Sam Sales" {
		t.Errorf("users.info = %+v", u)
	}
	gone, err := api.GetUserInfo("UGONE")
	if err != nil {
		t.Fatal(err)
	}
	if !gone.Deleted || gone.TZ != "" {
		t.Errorf("deactivated user = %+v, want deleted without a time zone", gone)
	}
	bot, err := api.GetUserInfo(DefaultBotUserID)
	if err != nil || !bot.IsBot || bot.Profile.BotID != DefaultBotID {
		t.Errorf("bot user = %+v, %v", bot, err)
	}
}

func TestDMs(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	fs.SetBotScopes(append(fs.BotScopes(), "im:read", "mpim:read")...) // DMs' details need scopes alignbot does not ask for
	workspace(fs)
	api := fs.NewClient()

	ch, noOp, already, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"UMKT"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ch.ID, "D") || noOp || already {
		t.Errorf("first open: %s no_op=%v already_open=%v", ch.ID, noOp, already)
	}
	again, _, already, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{"UMKT"}})
	if err != nil || again.ID != ch.ID || !already {
		t.Errorf("second open: %s already_open=%v err=%v, want %s", again.ID, already, err, ch.ID)
	}
	if _, _, err := api.PostMessage(ch.ID, slack.MsgOptionText("Q1 of 10", false)); err != nil {
		t.Fatal(err)
	}
	// Posting to a user ID lands in the DM, as in Slack.
	gotCh, _, err := api.PostMessage("UMKT", slack.MsgOptionText("Q2 of 10", false))
	if err != nil || gotCh != ch.ID {
		t.Errorf("post to user: channel %s err %v, want %s", gotCh, err, ch.ID)
	}
	if dms := fs.DMs("UMKT"); len(dms) != 2 {
		t.Errorf("DMs = %d, want 2", len(dms))
	}
	if last, ok := fs.LastDM("UMKT"); !ok || last.Text != "Q2 of 10" {
		t.Errorf("LastDM = %+v", last)
	}
	// chat.update needs the DM's ID, not the user's.
	last, _ := fs.LastDM("UMKT")
	if _, _, _, err := api.UpdateMessage("UMKT", last.TS, slack.MsgOptionText("x", false)); slackErr(err) != "channel_not_found" {
		t.Errorf("update via user ID: %v, want channel_not_found", err)
	}
	info, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: ch.ID})
	if err != nil || !info.IsIM || info.User != "UMKT" {
		t.Errorf("DM info = %+v, %v", info, err)
	}
}

func TestChatUpdateRevisions(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	api := fs.NewClient()

	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Waiting for answers", false, false), nil, nil)}
	_, ts, err := api.PostMessage("CALIGN", slack.MsgOptionText("waiting", false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessage("CALIGN", ts, slack.MsgOptionText("1 of 2 answered", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessage("CALIGN", ts, slack.MsgOptionText("2 of 2 answered", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatal(err)
	}
	m, ok := fs.Message("CALIGN", ts)
	if !ok {
		t.Fatal("message gone")
	}
	type rev struct {
		Method, Text string
		Blocks       bool
	}
	var got []rev
	for _, r := range m.Revisions {
		got = append(got, rev{r.Method, r.Text, len(r.Blocks) > 0})
	}
	want := []rev{
		{"chat.postMessage", "waiting", true},
		{"chat.update", "1 of 2 answered", true}, // blocks left out are kept
		{"chat.update", "2 of 2 answered", false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("revisions (-want +got):\n%s", diff)
	}

	userTS, err := fs.AddUserMessage("UMKT", "CALIGN", "hello")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessage("CALIGN", userTS, slack.MsgOptionText("x", false)); slackErr(err) != "cant_update_message" {
		t.Errorf("update a person's message: %v, want cant_update_message", err)
	}
}

func TestTimestampsAreUniqueAndIncreasing(t *testing.T) {
	t.Parallel()
	frozen := time.Unix(1700000000, 0)
	fs := Start(t, WithClock(func() time.Time { return frozen }), WithoutRateLimits()) // five posts in one instant
	workspace(fs)
	api := fs.NewClient()
	var last string
	for i := range 5 {
		_, ts, err := api.PostMessage("CALIGN", slack.MsgOptionText("x", false))
		if err != nil {
			t.Fatal(err)
		}
		if want := "1700000000.00000" + string(rune('0'+i)); ts != want {
			t.Errorf("ts = %s, want %s", ts, want)
		}
		if ts <= last {
			t.Errorf("ts %s not after %s", ts, last)
		}
		last = ts
	}
}

func TestSentLogsEverything(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	api := fs.NewClient()
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "secret answer", false, false), nil, nil)}
	if _, _, err := api.PostMessage("CALIGN", slack.MsgOptionText("t", false), slack.MsgOptionBlocks(blocks...)); err != nil {
		t.Fatal(err)
	}
	sent := fs.Sent()
	if len(sent) != 1 || sent[0].Method != "chat.postMessage" {
		t.Fatalf("sent = %+v", sent)
	}
	var payload struct {
		Channel string            `json:"channel"`
		Blocks  []json.RawMessage `json:"blocks"`
		Token   *string           `json:"token"`
	}
	if err := json.Unmarshal(sent[0].Payload, &payload); err != nil {
		t.Fatal(err)
	}
	if payload.Channel != "CALIGN" || len(payload.Blocks) != 1 || payload.Token != nil {
		t.Errorf("payload %s: want channel, blocks as JSON, no token", sent[0].Payload)
	}
	if !strings.Contains(string(sent[0].Payload), "secret answer") {
		t.Errorf("payload %s does not show the text", sent[0].Payload)
	}
}

func TestJSONAndFormBodies(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	call := func(method, contentType, body, auth string) map[string]any {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, fs.URL()+method, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	jsonBody := `{"channel":"CALIGN","text":"hi","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]}`
	if got := call("chat.postMessage", "application/json; charset=utf-8", jsonBody, fs.BotToken()); got["ok"] != true {
		t.Errorf("JSON post: %v", got)
	}
	// A token in a JSON body does not count: Slack wants it in the header.
	if got := call("chat.postMessage", "application/json", `{"token":"`+fs.BotToken()+`","channel":"CALIGN","text":"hi"}`, ""); got["error"] != "not_authed" {
		t.Errorf("token in JSON body: %v", got)
	}
	form := url.Values{"token": {fs.BotToken()}, "channel": {"CALIGN"}, "text": {"form"}}
	if got := call("chat.postMessage", "application/x-www-form-urlencoded", form.Encode(), ""); got["ok"] != true {
		t.Errorf("form post: %v", got)
	}
	msgs := fs.Messages("CALIGN")
	if len(msgs) != 2 || !strings.Contains(string(msgs[0].Blocks), `"block_id"`) {
		t.Errorf("messages = %+v: want 2, the first with a generated block_id", msgs)
	}
}

func TestHistoryPages(t *testing.T) {
	t.Parallel()
	fs := Start(t, WithoutRateLimits()) // five posts in a channel at once
	workspace(fs)
	api := fs.NewClient()
	var posted []string
	for range 5 {
		_, ts, err := api.PostMessage("CALIGN", slack.MsgOptionText("x", false))
		if err != nil {
			t.Fatal(err)
		}
		posted = append(posted, ts)
	}
	var got []string
	cursor := ""
	for range 5 {
		h, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "CALIGN", Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range h.Messages {
			got = append(got, m.Timestamp)
		}
		cursor = h.ResponseMetaData.NextCursor
		if !h.HasMore {
			break
		}
	}
	want := []string{posted[4], posted[3], posted[2], posted[1], posted[0]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history, newest first (-want +got):\n%s", diff)
	}
}

func TestConversationsMembers(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	fs.SetBotScopes(append(fs.BotScopes(), "im:read", "mpim:read")...) // DMs' details need scopes alignbot does not ask for
	workspace(fs)
	fs.AddChannel(Channel{ID: "CBIG", Name: "big", Members: []string{"U1", "U2", "U3", "U4", "U5"}, BotMember: true})
	fs.AddChannel(Channel{ID: "GINSIDE", Name: "inside", Private: true, Members: []string{"USALES"}, BotMember: true})
	api := fs.NewClient()

	var got []string
	cursor, pages := "", 0
	for {
		members, next, err := api.GetUsersInConversation(&slack.GetUsersInConversationParameters{ChannelID: "CBIG", Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(members) > 2 {
			t.Errorf("page of %d, want at most 2", len(members))
		}
		got = append(got, members...)
		if next == "" {
			break
		}
		cursor = next
	}
	if diff := cmp.Diff([]string{"U1", "U2", "U3", "U4", "U5", DefaultBotUserID}, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if pages != 3 {
		t.Errorf("%d pages, want 3", pages)
	}

	dm := fs.OpenDM("UMKT")
	tests := []struct {
		name, channel, cursor string
		want                  []string
		wantErr               string
	}{
		{"public channel without the bot", "COUT", "", []string{"UMKT"}, ""},
		{"default limit", "CALIGN", "", []string{"UMKT", "USALES", DefaultBotUserID}, ""},
		{"DM", dm, "", []string{"UMKT", DefaultBotUserID}, ""},
		{"private channel with the bot", "GINSIDE", "", []string{"USALES", DefaultBotUserID}, ""},
		{"private channel without the bot", "GSECRET", "", nil, "channel_not_found"},
		{"unknown channel", "CNOPE", "", nil, "channel_not_found"},
		{"bad cursor", "CALIGN", "bm9wZQ==", nil, "invalid_cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			members, next, err := api.GetUsersInConversation(&slack.GetUsersInConversationParameters{ChannelID: tt.channel, Cursor: tt.cursor})
			if got := slackErr(err); got != tt.wantErr {
				t.Fatalf("error = %q, want %q", got, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, members); diff != "" || next != "" {
				t.Errorf("members (-want +got):\n%s\nnext cursor %q", diff, next)
			}
		})
	}
}

func TestUsersInfoFields(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	fs.AddUser(User{ID: "UPLAIN", Name: "pat", TZ: "Asia/Tokyo", TZOffset: 32400})
	fs.AddUser(User{ID: "UADMIN", Name: "ada", TZ: "UTC", IsAdmin: true})
	fs.AddUser(User{ID: "UOWNER", Name: "owen", TZ: "UTC", IsOwner: true})
	fs.AddUser(User{ID: "UPRIMARY", Name: "prim", TZ: "UTC", IsPrimaryOwner: true})
	fs.AddUser(User{ID: "UGUEST", Name: "gus", TZ: "UTC", IsUltraRestricted: true})
	fs.AddUser(User{ID: "UGONE", Name: "gone", TZ: "UTC", IsAdmin: true, Deleted: true})
	api := fs.NewClient()

	type roles struct {
		Admin, Owner, PrimaryOwner  bool
		Restricted, UltraRestricted bool
		Bot, Deleted                bool
		TZ                          string
		TZOffset                    int
	}
	tests := []struct {
		id   string
		want roles
	}{
		{"UPLAIN", roles{TZ: "Asia/Tokyo", TZOffset: 32400}},
		{"UADMIN", roles{Admin: true, TZ: "UTC"}},
		{"UOWNER", roles{Admin: true, Owner: true, TZ: "UTC"}},
		{"UPRIMARY", roles{Admin: true, Owner: true, PrimaryOwner: true, TZ: "UTC"}},
		{"UGUEST", roles{Restricted: true, UltraRestricted: true, TZ: "UTC"}},
		{"UGONE", roles{Deleted: true}}, // Slack drops the time zone and roles
		{DefaultBotUserID, roles{Bot: true, TZ: "America/Los_Angeles", TZOffset: -28800}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			u, err := api.GetUserInfo(tt.id)
			if err != nil {
				t.Fatal(err)
			}
			got := roles{u.IsAdmin, u.IsOwner, u.IsPrimaryOwner, u.IsRestricted, u.IsUltraRestricted, u.IsBot, u.Deleted, u.TZ, u.TZOffset}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("users.info (-want +got):\n%s", diff)
			}
		})
	}

	// The fields are on the wire even when false, as Slack sends them.
	resp, err := http.PostForm(fs.URL()+"users.info", url.Values{"token": {fs.BotToken()}, "user": {"UPLAIN"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw struct {
		User map[string]any `json:"user"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"is_admin", "is_owner", "is_primary_owner", "deleted", "is_bot", "tz", "tz_offset"} {
		if _, ok := raw.User[key]; !ok {
			t.Errorf("users.info has no %q: %v", key, raw.User)
		}
	}
}

func TestChatDelete(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	api := fs.NewClient()
	_, ts, err := api.PostMessage("CALIGN", slack.MsgOptionText("Round r1: 2 of 3 answered", false))
	if err != nil {
		t.Fatal(err)
	}
	userTS, err := fs.AddUserMessage("UMKT", "CALIGN", "hi")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.DeleteMessage("CALIGN", ts); err != nil {
		t.Fatal(err)
	}
	if m, _ := fs.Message("CALIGN", ts); !m.Deleted {
		t.Error("chat.delete left the message")
	}
	h, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "CALIGN"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Messages) != 1 || h.Messages[0].Timestamp != userTS {
		t.Errorf("history = %+v, want only the person's message", h.Messages)
	}
	for _, tt := range []struct{ name, channel, ts, want string }{
		{"twice", "CALIGN", ts, "message_not_found"},
		{"a person's message", "CALIGN", userTS, "cant_delete_message"},
		{"unknown channel", "CNOPE", ts, "channel_not_found"},
	} {
		if _, _, err := api.DeleteMessage(tt.channel, tt.ts); slackErr(err) != tt.want {
			t.Errorf("delete %s: %v, want %s", tt.name, err, tt.want)
		}
	}
	if got := fs.Calls("chat.delete"); got != 4 {
		t.Errorf("Calls(chat.delete) = %d, want 4", got)
	}
}
