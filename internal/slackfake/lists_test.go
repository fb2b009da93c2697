package slackfake

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/testclock"
)

func TestUsersList(t *testing.T) {
	t.Parallel()
	fs := Start(t, WithoutRateLimits()) // more pages than Tier 2's burst
	workspace(fs)
	fs.AddUser(User{ID: "UOWNER", Name: "owen", TZ: "UTC", IsOwner: true})
	api := fs.NewClient()
	ctx := testContext(t)

	// slack-go's default page (200) holds the whole workspace.
	users, err := api.GetUsersContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := fs.Calls("users.list"); got != 1 {
		t.Errorf("users.list calls = %d, want 1", got)
	}
	type fields struct {
		Deleted, Bot, Admin, Owner bool
		TZ                         string
		TZOffset                   int
		BotID                      string
	}
	got := map[string]fields{}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
		got[u.ID] = fields{u.Deleted, u.IsBot, u.IsAdmin, u.IsOwner, u.TZ, u.TZOffset, u.Profile.BotID}
	}
	want := map[string]fields{
		DefaultBotUserID: {Bot: true, TZ: "America/Los_Angeles", TZOffset: -28800, BotID: DefaultBotID},
		"UGONE":          {Deleted: true}, // no time zone or roles, as users.info
		"UMKT":           {TZ: "America/New_York", TZOffset: -18000},
		"UOTHERBOT":      {Bot: true},
		"UOWNER":         {Admin: true, Owner: true, TZ: "UTC"},
		"USALES":         {Admin: true, TZ: "Europe/Paris", TZOffset: 3600},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("users.list (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{DefaultBotUserID, "UGONE", "UMKT", "UOTHERBOT", "UOWNER", "USALES"}, ids); diff != "" {
		t.Errorf("order, by ID (-want +got):\n%s", diff)
	}

	// Pages of two: three pages, each cursor naming the next page's first.
	p := api.GetUsersPaginated(slack.GetUsersOptionLimit(2))
	var pages [][]string
	var cursors []string
	for {
		p, err = p.Next(ctx)
		if p.Done(err) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var page []string
		for _, u := range p.Users {
			page = append(page, u.ID)
		}
		pages = append(pages, page)
		cursors = append(cursors, p.Cursor)
	}
	wantPages := [][]string{{DefaultBotUserID, "UGONE"}, {"UMKT", "UOTHERBOT"}, {"UOWNER", "USALES"}}
	if diff := cmp.Diff(wantPages, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	wantCursors := []string{b64("user:UMKT"), b64("user:UOWNER"), ""}
	if diff := cmp.Diff(wantCursors, cursors); diff != "" {
		t.Errorf("next cursors (-want +got):\n%s", diff)
	}

	// GetUsersContext walks the pages too.
	all, err := api.GetUsersContext(ctx, slack.GetUsersOptionLimit(4))
	if err != nil || len(all) != 6 {
		t.Errorf("GetUsersContext with limit 4: %d users, %v; want 6", len(all), err)
	}

	for _, cursor := range []string{"bm9wZQ==", "%%%", b64("team:CALIGN"), b64("user:")} {
		if _, err := api.GetUsersPaginated(slack.GetUsersOptionCursor(cursor)).Next(ctx); slackErr(err) != "invalid_cursor" {
			t.Errorf("cursor %q: %v, want invalid_cursor", cursor, err)
		}
	}
}

// TestUsersListWire checks the raw answer: no limit is everything in one
// page, and a user carries the fields users.info has, false ones included.
func TestUsersListWire(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	var resp struct {
		OK       bool             `json:"ok"`
		Members  []map[string]any `json:"members"`
		Metadata struct {
			NextCursor *string `json:"next_cursor"`
		} `json:"response_metadata"`
	}
	postForm(t, fs, "users.list", url.Values{"token": {fs.BotToken()}}, &resp)
	if !resp.OK || len(resp.Members) != 5 || resp.Metadata.NextCursor == nil || *resp.Metadata.NextCursor != "" {
		t.Fatalf("users.list without limit = %+v, want 5 members and an empty next_cursor", resp)
	}
	for _, m := range resp.Members {
		if m["id"] != "UMKT" {
			continue
		}
		for _, key := range []string{"deleted", "is_bot", "is_admin", "is_owner", "is_primary_owner", "tz", "tz_offset", "profile"} {
			if _, ok := m[key]; !ok {
				t.Errorf("member has no %q: %v", key, m)
			}
		}
	}
}

func TestConversationsList(t *testing.T) {
	t.Parallel()
	fs := Start(t, WithoutRateLimits()) // many calls
	// DMs' details need scopes alignbot does not ask for.
	fs.SetBotScopes(append(fs.BotScopes(), "im:read", "mpim:read")...)
	workspace(fs) // CALIGN (bot in), COUT (bot out), GSECRET (private, bot out)
	fs.AddChannel(Channel{ID: "CBIG", Name: "big", Members: []string{"UMKT"}, BotMember: true})
	fs.AddChannel(Channel{ID: "CZED", Name: "zed"})
	fs.AddChannel(Channel{ID: "GINSIDE", Name: "inside", Private: true, Members: []string{"USALES"}, BotMember: true})
	dm := fs.OpenDM("UMKT")
	api := fs.NewClient()
	ctx := testContext(t)

	type conv struct {
		ID                      string
		Member, Private, IM     bool
		User                    string
		Name                    string
		Channel, Archived, MPIM bool
	}
	list := func(params slack.GetConversationsParameters) ([]conv, error) {
		var out []conv
		for {
			chans, next, err := api.GetConversationsContext(ctx, &params)
			if err != nil {
				return out, err
			}
			for _, c := range chans {
				out = append(out, conv{c.ID, c.IsMember, c.IsPrivate, c.IsIM, c.User, c.Name, c.IsChannel, c.IsArchived, c.IsMpIM})
			}
			if next == "" {
				return out, nil
			}
			params.Cursor = next
		}
	}
	public := []conv{
		{ID: "CALIGN", Member: true, Name: "alignment", Channel: true},
		{ID: "CBIG", Member: true, Name: "big", Channel: true},
		{ID: "COUT", Name: "random", Channel: true},
		{ID: "CZED", Name: "zed", Channel: true},
	}
	inside := conv{ID: "GINSIDE", Member: true, Private: true, Name: "inside", Channel: true}
	im := conv{ID: dm, IM: true, User: "UMKT"}
	tests := []struct {
		name   string
		params slack.GetConversationsParameters
		want   []conv
	}{
		{"default: public channels, member or not", slack.GetConversationsParameters{}, public},
		{"private only those the bot is in", slack.GetConversationsParameters{Types: []string{"private_channel"}}, []conv{inside}},
		{"DMs", slack.GetConversationsParameters{Types: []string{"im"}}, []conv{im}},
		{"no multi-person DMs", slack.GetConversationsParameters{Types: []string{"mpim"}}, nil},
		{"every type, pages of two", slack.GetConversationsParameters{
			Types: []string{"public_channel", "private_channel", "mpim", "im"}, Limit: 2, ExcludeArchived: true,
		}, append(append(append([]conv{}, public...), im), inside)},
		{"pages of one", slack.GetConversationsParameters{Limit: 1}, public},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := list(tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("conversations.list (-want +got):\n%s", diff)
			}
		})
	}

	// A page of two holds two, and names the third in its cursor.
	chans, next, err := api.GetConversationsContext(ctx, &slack.GetConversationsParameters{Limit: 2})
	if err != nil || len(chans) != 2 || next != b64("team:COUT") {
		t.Errorf("first page of two: %d channels, next %q, %v; want 2 and a cursor naming COUT", len(chans), next, err)
	}
	// The cursor survives the channel it names going away.
	chans, next, err = api.GetConversationsContext(ctx, &slack.GetConversationsParameters{Limit: 2, Cursor: b64("team:CAAA")})
	if err != nil || len(chans) != 2 || chans[0].ID != "CALIGN" || next != b64("team:COUT") {
		t.Errorf("cursor naming no channel: %+v, next %q, %v", chans, next, err)
	}

	for _, tt := range []struct {
		name   string
		params slack.GetConversationsParameters
		want   string
	}{
		{"bad cursor", slack.GetConversationsParameters{Cursor: "bm9wZQ=="}, "invalid_cursor"},
		{"a users.list cursor", slack.GetConversationsParameters{Cursor: b64("user:UMKT")}, "invalid_cursor"},
		{"unknown type", slack.GetConversationsParameters{Types: []string{"public_channel", "shared"}}, "invalid_types"},
	} {
		if _, _, err := api.GetConversationsContext(ctx, &tt.params); slackErr(err) != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
	}
	if _, _, err := slack.New(fs.AppToken(), slack.OptionAPIURL(fs.URL())).GetConversationsContext(ctx, &slack.GetConversationsParameters{}); slackErr(err) != "not_allowed_token_type" {
		t.Errorf("app token: %v, want not_allowed_token_type", err)
	}
}

// TestLargeWorkspaceLists: in a workspace past a thousand people and
// channels the lists page as Slack's do. users.list refuses to give
// everyone at once (limit_required) and gives at most 1000 a page however
// many are asked for; conversations.list counts its limit before keeping
// the types asked for and what the bot may see, so a page can come back
// short, even empty, with a cursor to the rest.
func TestLargeWorkspaceLists(t *testing.T) {
	t.Parallel()
	fs := Start(t, WithoutRateLimits())
	for i := range 1500 {
		fs.AddUser(User{ID: fmt.Sprintf("U%05d", i), Name: fmt.Sprintf("u%05d", i), TZ: "UTC"})
	}
	// 1200 private channels the bot is not in, sorted before 10 public
	// ones: the first page of 1000 has nothing the bot may see.
	for i := range 1200 {
		fs.AddChannel(Channel{ID: fmt.Sprintf("G%05d", i), Name: fmt.Sprintf("g%05d", i), Private: true})
	}
	for i := range 10 {
		fs.AddChannel(Channel{ID: fmt.Sprintf("Z%05d", i), Name: fmt.Sprintf("z%05d", i), BotMember: i%2 == 0})
	}
	api := fs.NewClient()
	ctx := testContext(t)

	var everyone struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	postForm(t, fs, "users.list", url.Values{"token": {fs.BotToken()}}, &everyone)
	if everyone.OK || everyone.Error != "limit_required" {
		t.Errorf("users.list without limit of 1501 people = %+v, want limit_required", everyone)
	}
	p := api.GetUsersPaginated(slack.GetUsersOptionLimit(5000))
	var sizes []int
	for {
		var err error
		if p, err = p.Next(ctx); p.Done(err) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(p.Users))
	}
	if diff := cmp.Diff([]int{1000, 501}, sizes); diff != "" { // the bot user too
		t.Errorf("users.list pages asking for 5000 (-want +got):\n%s", diff)
	}

	params := slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}, Limit: 5000}
	var pages []int
	var seen []string
	for {
		chans, next, err := api.GetConversationsContext(ctx, &params)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(chans))
		for _, c := range chans {
			seen = append(seen, c.ID)
		}
		if next == "" {
			break
		}
		params.Cursor = next
	}
	if diff := cmp.Diff([]int{0, 10}, pages); diff != "" {
		t.Errorf("conversations.list pages (-want +got):\n%s", diff)
	}
	if len(seen) != 10 || seen[0] != "Z00000" {
		t.Errorf("conversations.list gave %v, want the 10 public channels", seen)
	}
}

// TestListsAreTier2 walks users.list a page at a time until the Tier 2
// burst is spent: the next page is refused with a 429 and Retry-After, and
// the same cursor works once that has passed.
func TestListsAreTier2(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Unix(1700000000, 0))
	fs := Start(t, WithClock(clock.Now))
	for _, id := range []string{"U1", "U2", "U3", "U4", "U5", "U6", "U7"} {
		fs.AddUser(User{ID: id, Name: id, TZ: "UTC"})
	}
	api := fs.NewClient()
	ctx := testContext(t)

	burst := SlackTier(2).Burst
	p := api.GetUsersPaginated(slack.GetUsersOptionLimit(1))
	var err error
	for i := range burst {
		if p, err = p.Next(ctx); err != nil {
			t.Fatalf("page %d of the burst: %v", i+1, err)
		}
	}
	seen := p.Users[0].ID
	var limited *slack.RateLimitedError
	if _, err := p.Next(ctx); !errors.As(err, &limited) || limited.RetryAfter != 3*time.Second {
		t.Fatalf("page %d: %v, want 429 with Retry-After 3s", burst+1, err)
	}
	// users.list's budget is its own: conversations.list still has a burst.
	for i := range burst {
		if _, _, err := api.GetConversationsContext(ctx, &slack.GetConversationsParameters{}); err != nil {
			t.Fatalf("conversations.list %d: %v", i+1, err)
		}
	}
	if _, _, err := api.GetConversationsContext(ctx, &slack.GetConversationsParameters{}); !errors.As(err, &limited) || limited.RetryAfter != 3*time.Second {
		t.Errorf("conversations.list after its burst: %v, want 429 with Retry-After 3s", err)
	}
	clock.Advance(3 * time.Second)
	next, err := p.Next(ctx)
	if err != nil || len(next.Users) != 1 || next.Users[0].ID <= seen {
		t.Fatalf("after Retry-After: %+v, %v; want the page after %s", next.Users, err, seen)
	}
	if got := fs.RateLimited("users.list") + fs.RateLimited("conversations.list"); got != 2 {
		t.Errorf("RateLimited = %d, want 2", got)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// postForm calls a Web API method with a form and decodes the answer.
func postForm(t *testing.T, fs *Server, method string, form url.Values, into any) {
	t.Helper()
	resp, err := http.PostForm(fs.URL()+method, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d", method, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatal(err)
	}
}
