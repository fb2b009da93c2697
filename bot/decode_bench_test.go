package bot

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// clickFrames returns Socket Mode frames of clicks on a lead's
// questionnaire with every question answered (the largest card a click
// comes from), built by the fake Slack as Slack sends them: Submit, and a
// score of the first question.
func clickFrames(tb testing.TB) map[string][]byte {
	tb.Helper()
	fake, err := slackfake.New()
	if err != nil {
		tb.Fatal(err)
	}
	defer fake.Close()
	fake.AddUser(slackfake.User{ID: "UMARIA01", Name: "maria", TZ: "UTC"})
	dm := fake.OpenDM("UMARIA01")
	answers := scoring.Answers{}
	for i, q := range scoring.AlignmentMaturity.Questions {
		answers[q.ID] = i % 3
	}
	view := render.NewQuestionnaire(scoring.AlignmentMaturity, storage.Questionnaire{
		Round: storage.Round{ID: 7, WorkspaceID: "T1", ChannelID: "CREVENUE", Instrument: scoring.AlignmentMaturity.ID,
			State: storage.Collecting, DeadlineAt: time.Now().Add(time.Hour)},
		Respondent: storage.Respondent{RoundID: 7, Role: scoring.Marketing, UserID: "UMARIA01", DMChannelID: dm},
		Answers:    answers,
	}, render.Workspace{})
	view.Open = scoring.AlignmentMaturity.Questions[0].ID
	if _, _, err := fake.NewClient().PostMessage(dm, render.RenderQuestionnaire(view).Options()...); err != nil {
		tb.Fatal(err)
	}
	msg := fake.DMs("UMARIA01")[0]
	frames := map[string][]byte{}
	for name, label := range map[string][2]string{"submit": {"", "Submit"}, "score": {"", "2 ·"}} {
		click, err := fake.PrepareClick("UMARIA01", msg, label[0], label[1])
		if err != nil {
			tb.Fatal(err)
		}
		id, err := fake.SendClick(click)
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range fake.Envelopes() {
			if e.ID == id {
				frames[name], err = json.Marshal(map[string]any{"envelope_id": id, "type": "interactive",
					"accepts_response_payload": false, "retry_attempt": 0, "retry_reason": "", "payload": e.Payload})
				if err != nil {
					tb.Fatal(err)
				}
			}
		}
	}
	return frames
}

// slackGoDecode decodes a frame as socketmode.Client.parseEvent does.
func slackGoDecode(frame []byte) (slack.InteractionCallback, error) {
	var req socketmode.Request
	if err := json.Unmarshal(frame, &req); err != nil {
		return slack.InteractionCallback{}, err
	}
	var cb slack.InteractionCallback
	err := json.Unmarshal(req.Payload, &cb)
	return cb, err
}

// The light decode of a click gives the handlers what slack-go's full
// decode gives them.
func TestClickDecodeMatchesSlackGo(t *testing.T) {
	t.Parallel()
	for name, frame := range clickFrames(t) {
		t.Run(name, func(t *testing.T) {
			full, err := slackGoDecode(frame)
			if err != nil {
				t.Fatal(err)
			}
			evt, _, err := decodeSocketFrame(frame)
			if err != nil {
				t.Fatal(err)
			}
			light, ok := evt.Data.(slack.InteractionCallback)
			if !ok || evt.Type != socketmode.EventTypeInteractive || evt.EnvelopeID == "" {
				t.Fatalf("decoded %+v", evt)
			}
			if len(full.ActionCallback.BlockActions) != 1 || len(light.ActionCallback.BlockActions) != 1 {
				t.Fatalf("actions: slack-go %d, light %d", len(full.ActionCallback.BlockActions), len(light.ActionCallback.BlockActions))
			}
			type read struct {
				Type                                 slack.InteractionType
				UserID, UserTeam, TeamID, ChannelID  string
				Container                            slack.Container
				ResponseURL, TriggerID               string
				ViewType                             slack.ViewType
				ViewID, PrivateMetadata              string
				ActionID, BlockID, Value, ActionTime string
			}
			seen := func(cb slack.InteractionCallback) read {
				a := cb.ActionCallback.BlockActions[0]
				return read{cb.Type, cb.User.ID, cb.User.TeamID, cb.Team.ID, cb.Channel.ID, cb.Container, cb.ResponseURL, cb.TriggerID,
					cb.View.Type, cb.View.ID, cb.View.PrivateMetadata, a.ActionID, a.BlockID, a.Value, a.ActionTs}
			}
			if diff := cmp.Diff(seen(full), seen(light)); diff != "" {
				t.Errorf("light decode differs (-slack-go +light):\n%s", diff)
			}
			if seen(light).ResponseURL == "" || seen(light).ActionID == "" || seen(light).ChannelID == "" {
				t.Errorf("light decode lost fields: %+v", seen(light))
			}
		})
	}
}

// BenchmarkClickDecode measures what one click's envelope costs to decode
// before the bot sees it: "slack-go" as socketmode.Client decodes it (the
// echoed message's blocks included), "alignbot" as the bot's reader does.
func BenchmarkClickDecode(b *testing.B) {
	frames := clickFrames(b)
	for _, name := range []string{"submit", "score"} {
		frame := frames[name]
		b.Run(name+"/slack-go", func(b *testing.B) {
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := slackGoDecode(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/alignbot", func(b *testing.B) {
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := decodeSocketFrame(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// withoutEchoAsJSON is what withoutEcho must give: frame, decoded, without
// payload.message.
func withoutEchoAsJSON(t *testing.T, frame []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(frame, &m); err != nil {
		t.Fatal(err)
	}
	if p, ok := m["payload"].(map[string]any); ok {
		delete(p, "message")
	}
	return m
}

func FuzzWithoutEcho(f *testing.F) {
	for _, s := range []string{
		`{"type":"interactive","payload":{"type":"block_actions","message":{"blocks":[{"text":"a \"}\" ]"}]},"actions":[]}}`,
		`{"payload":{"message":{"x":1},"user":{"id":"U1"}},"envelope_id":"e"}`,
		`{"payload":{"user":{"id":"U1"},"message":"m"}}`,
		` { "payload" : { "a" : [1, {"message": 2}] , "message" : { "ts" : "1.2" } , "b" : null } , "z": true } `,
		`{"payload":{"message\u0041":1,"a":"message"}}`,
		`{"payload":{"nested":{"message":1}}}`,
		`{"payload":[{"message":1}]}`,
		`{"payload":{"message":{"s":"\\"}}}`,
		`{"payload":{}}`,
		`[]`, `{}`, `{"payload":`, `{"payload":{"message":{`,
	} {
		f.Add([]byte(s))
	}
	for _, frame := range clickFrames(f) {
		f.Add(frame)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		slim, ok := withoutEcho(frame)
		if !ok || !json.Valid(frame) {
			return
		}
		if !json.Valid(slim) {
			t.Fatalf("withoutEcho(%s) = %s, not JSON", frame, slim)
		}
		want := withoutEchoAsJSON(t, frame)
		// A second "message" in one payload (no Slack payload has one) may
		// stay: it is decoded and dropped like the rest of what a click
		// does not read.
		got := withoutEchoAsJSON(t, slim)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("withoutEcho(%s) (-want +got):\n%s", frame, diff)
		}
	})
}
