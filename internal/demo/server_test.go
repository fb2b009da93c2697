package demo

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/storage"
)

// client posts to a demo as its page does.
type client struct {
	t     *testing.T
	d     *Demo
	token string
}

func newClient(t *testing.T, d *Demo) *client { return &client{t: t, d: d, token: d.token} }

func (c *client) post(path string, body any) (int, map[string]any) {
	c.t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, c.d.URL()+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("X-Demo-Token", c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(res.Body)
	json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

func get(t *testing.T, d *Demo, path string) (int, string) {
	t.Helper()
	res, err := http.Get(d.URL() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// startRound types the guide's start command as Fran and waits for both
// leads' questionnaires.
func startRound(t *testing.T, d *Demo) {
	t.Helper()
	c := newClient(t, d)
	if status, out := c.post("/command", map[string]string{"as": fran, "c": channelID, "text": startCommand}); status != http.StatusOK {
		t.Fatalf("start: %d %v", status, out)
	}
	for _, u := range []string{maya, sam, rui} {
		eventually(t, 30*time.Second, "a questionnaire for "+who(u), func() bool { return len(d.fake.DMs(u)) > 0 })
	}
}

func TestPagesRefuseWhatDoesNotExist(t *testing.T) {
	t.Parallel()
	d := startDemo(t, time.Time{})
	for _, tt := range []struct{ path, want string }{
		{"/?as=UNOBODY", "There is no person"},
		{"/?as=" + fran + "&c=CNOPE", "There is no conversation"},
		{"/?as=" + fran + "&c=D00000001", "There is no conversation"},
		{"/?as=" + fran + "&c=" + channelID + "&msg=1700000000.000100", "There is no message"},
		{"/?as=" + fran + "&c=" + channelID + "&thread=nope", "There is no message"},
		{"/part?as=UNOBODY", "There is no person"},
		{"/events?as=UNOBODY", "There is no person"},
		{"/files/F0NOPE?as=" + fran, "There is no file"},
	} {
		status, body := get(t, d, tt.path)
		if status != http.StatusNotFound || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s: %d %q, want 404 saying %q", tt.path, status, body, tt.want)
		}
	}
	// What exists is served.
	for _, path := range []string{"/", "/?as=" + maya + "&c=dm", "/?as=" + sam + "&c=home", "/part?as=" + rui + "&c=" + channelID} {
		if status, body := get(t, d, path); status != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, status, body)
		}
	}
}

// TestForgedPostsChangeNothing: a post without the page's token, for a
// person or message that does not exist, or for a button the person cannot
// see, is refused with a clear error and sends nothing to the bot.
func TestForgedPostsChangeNothing(t *testing.T) {
	t.Parallel()
	d := startDemo(t, time.Time{})
	startRound(t, d)
	questionnaire, _ := d.fake.LastDM(maya)
	announcement := d.fake.Timeline(fran, channelID)
	var ephemeral slackfake.Message
	for _, m := range announcement {
		if m.Ephemeral {
			ephemeral = m
		}
	}
	if ephemeral.TS == "" {
		t.Fatal("Fran was not told the round started")
	}
	answer := func(m slackfake.Message) map[string]string {
		var blocks []node
		json.Unmarshal(m.Blocks, &blocks)
		for _, b := range blocks {
			if strings.HasPrefix(sget(b, "block_id"), render.BlockAnswerPrefix) {
				return map[string]string{"ch": m.Channel, "ts": m.TS, "block": sget(b, "block_id"), "action": render.ScoreAction(render.ActionAnswer, 2)}
			}
		}
		t.Fatalf("no score button on %s", m.TS)
		return nil
	}
	click := answer(questionnaire)
	with := func(base map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	before := len(d.fake.Envelopes())
	forged := &client{t: t, d: d}
	if status, out := forged.post("/act", with(click, "as", maya)); status != http.StatusForbidden || !strings.Contains(out["error"].(string), "token") {
		t.Errorf("no token: %d %v, want 403 naming the token", status, out)
	}
	forged.token = "0123456789abcdef0123456789abcdef"
	if status, _ := forged.post("/act", with(click, "as", maya)); status != http.StatusForbidden {
		t.Errorf("a wrong token: %d, want 403", status)
	}
	c := newClient(t, d)
	for _, tt := range []struct {
		name string
		body map[string]string
		want string
	}{
		{"nobody", with(click, "as", "UNOBODY"), "There is no person"},
		{"someone else's questionnaire", with(click, "as", sam), "no conversation"},
		{"a message that does not exist", with(click, "as", maya, "ts", "1700000000.000100"), "no message"},
		{"a button not on the message", with(click, "as", maya, "action", "answer_7"), "not on a message"},
		{"a block not on the message", with(click, "as", maya, "block", "gap_actions:Q3", "action", render.ActionAssign), "not on a message"},
		{"Fran's ephemeral, as Maya", map[string]string{"as": maya, "ch": channelID, "ts": ephemeral.TS, "block": "x", "action": "y"}, "no message"},
		{"a view nobody opened", map[string]string{"as": maya, "view": "V0NOPE", "block": "x", "action": "y"}, "not on a view"},
		{"a form nobody opened", map[string]string{"as": maya, "view": "V0NOPE"}, ""},
	} {
		path := "/act"
		if tt.want == "" {
			path = "/submit"
		}
		status, out := c.post(path, tt.body)
		msg, _ := out["error"].(string)
		if status != http.StatusBadRequest || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: %d %q, want 400 saying %q", tt.name, status, msg, tt.want)
		}
	}
	if status, out := c.post("/command", map[string]string{"as": fran, "c": channelID, "text": "/remind me"}); status != http.StatusBadRequest || !strings.Contains(out["error"].(string), "/alignment") {
		t.Errorf("another slash command: %d %v", status, out)
	}
	if n := len(d.fake.Envelopes()); n != before {
		t.Fatalf("refused posts sent %d envelopes to the bot", n-before)
	}
	// The real click goes through.
	if status, out := c.post("/act", with(click, "as", maya)); status != http.StatusOK {
		t.Fatalf("Maya's own click: %d %v", status, out)
	}
	eventually(t, 20*time.Second, "Maya's answer to be recorded", func() bool {
		r, err := d.store.RespondentByUser(t.Context(), 1, maya)
		return err == nil && r.Answered == 1
	})
}

func TestClockMovesForwardOnly(t *testing.T) {
	t.Parallel()
	d := startDemo(t, time.Time{})
	c := newClient(t, d)
	now := d.clock.Now()
	status, out := c.post("/clock", map[string]string{"as": fran, "to": now.Add(-time.Hour).Format(time.RFC3339)})
	if msg, _ := out["error"].(string); status != http.StatusBadRequest || !strings.Contains(msg, "only moves forward") {
		t.Errorf("back an hour: %d %q, want 400 saying the clock only moves forward", status, msg)
	}
	if got := d.clock.Now(); got.Before(now) || got.Sub(now) > time.Minute {
		t.Errorf("a refused move changed the clock: %v → %v", now, got)
	}
	if status, out := c.post("/clock", map[string]string{"as": fran, "jump": "yesterday"}); status != http.StatusBadRequest {
		t.Errorf("an unknown jump: %d %v", status, out)
	}
	if status, out := c.post("/clock", map[string]string{"as": fran, "jump": "deadline"}); status != http.StatusConflict || !strings.Contains(out["error"].(string), "scheduled") {
		t.Errorf("a jump to a deadline with no round: %d %v, want 409", status, out)
	}
	if status, out := c.post("/clock", map[string]string{"as": fran, "jump": "day"}); status != http.StatusOK {
		t.Fatalf("+1 day: %d %v", status, out)
	}
	if got := d.clock.Now().Sub(now); got < 24*time.Hour || got > 24*time.Hour+time.Minute {
		t.Errorf("+1 day moved the clock by %v", got)
	}
}

// TestJumpsFollowTheBot: the deadline jump lands on the round's deadline
// and the bot acts on it, on the demo's clock.
func TestJumpsFollowTheBot(t *testing.T) {
	t.Parallel()
	d := startDemo(t, time.Time{})
	startRound(t, d)
	round, err := d.store.LatestRound(t.Context(), teamID, channelID)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, d)
	if status, out := c.post("/clock", map[string]string{"as": fran, "jump": "deadline"}); status != http.StatusOK {
		t.Fatalf("jump to the deadline: %d %v", status, out)
	}
	if now := d.clock.Now(); now.Before(round.DeadlineAt) {
		t.Errorf("the clock is at %v, before the deadline %v", now, round.DeadlineAt)
	}
	// With both leads missing, the channel hears who is outstanding, and the
	// round is not revealed.
	eventually(t, 30*time.Second, "the deadline job to run", func() bool {
		j, err := d.store.Job(t.Context(), "deadline:1:"+strconv.FormatInt(round.DeadlineAt.Unix(), 10))
		return err == nil && j.State == storage.JobDone
	})
	if r, _ := d.store.Round(t.Context(), round.ID); r.State != storage.Collecting {
		t.Errorf("round is %s after a deadline with both leads missing", r.State)
	}
}

// TestPlayTheOthers: the demo answers for everyone pending by clicking
// their questionnaires' buttons, and the round is revealed with its chart.
func TestPlayTheOthers(t *testing.T) {
	t.Parallel()
	d := startDemo(t, time.Time{})
	startRound(t, d)
	c := newClient(t, d)
	if status, out := c.post("/play", map[string]string{"as": fran, "pattern": "nope"}); status != http.StatusBadRequest {
		t.Errorf("an unknown pattern: %d %v", status, out)
	}
	if status, out := c.post("/play", map[string]string{"as": fran, "pattern": "sceptic"}); status != http.StatusOK {
		t.Fatalf("play: %d %v", status, out)
	}
	eventually(t, 90*time.Second, "the reveal", func() bool {
		r, err := d.store.LatestRound(t.Context(), teamID, channelID)
		return err == nil && r.State == storage.Revealed && r.RevealTS != ""
	})
	eventually(t, 30*time.Second, "the chart in the reveal's thread", func() bool {
		return len(d.fake.SharedFiles(channelID, "")) == 1
	})
	// Every click went through Socket Mode: one envelope per answer and
	// submit at least, none written to the database behind the bot's back.
	if clicks := countInteractive(d.fake.Envelopes()); clicks < 3*11 {
		t.Errorf("%d interactive envelopes, want at least 33 (ten answers and a submit each)", clicks)
	}
	f := d.fake.SharedFiles(channelID, "")[0]
	status, body := get(t, d, "/files/"+f.ID+"?as="+rui)
	if status != http.StatusOK || !strings.HasPrefix(body, "\x89PNG") {
		t.Errorf("the chart: %d, %d bytes", status, len(body))
	}
}

func countInteractive(envs []slackfake.Envelope) int {
	n := 0
	for _, e := range envs {
		if e.Type == slackfake.EnvelopeInteractive {
			n++
		}
	}
	return n
}

// TestJumpFollowsWorkingHours: a reminder due on a Sunday is held for the
// recipient's working hours; the jump to it follows it to Monday morning,
// when it goes out.
func TestJumpFollowsWorkingHours(t *testing.T) {
	t.Parallel()
	friday := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC) // 10:00 in New York, 15:00 in London
	d := startDemo(t, friday)
	startRound(t, d)
	before := len(d.fake.DMs(maya))
	c := newClient(t, d)
	if status, out := c.post("/clock", map[string]string{"as": maya, "jump": "nudge"}); status != http.StatusOK {
		t.Fatalf("jump to the next reminder: %d %v", status, out)
	}
	now := d.clock.Now().In(people[1].location())
	if now.Weekday() != time.Monday || now.Hour() != 9 {
		t.Errorf("the clock is at %v, want Monday 09:00 in London, when Maya's reminder may go out", now)
	}
	eventually(t, 30*time.Second, "Maya's reminder", func() bool {
		j, err := d.store.Job(t.Context(), "nudge:1:marketing:1")
		return err == nil && j.State == storage.JobDone && len(d.fake.DMs(maya)) > before
	})
}
