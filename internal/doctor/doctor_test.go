package doctor_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/alignbot/alignbot/internal/doctor"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/internal/testdb"
	"github.com/alignbot/alignbot/storage"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const (
	revenue = "CREVENUE" // the bot is a member
	quiet   = "CQUIET01" // public, the bot is not a member
	secret  = "GSECRET1" // private, the bot is not a member
	maria   = "UMARIA01"
)

// install is a workspace with alignbot installed as the README says, and a
// migrated database: doctor should find nothing to fix.
func install(t *testing.T) (*slackfake.Server, doctor.Options) {
	t.Helper()
	// Tokens as random as Slack's, so that a fragment of one in the output
	// is a leak and not a word.
	fake := slackfake.Start(t, slackfake.WithTokens("xoxb-7391028465-Qm8ZkT2pWvRj", "xapp-1-A0000APP1-5520913-Hx9LrB4dKz"))
	fake.AddUser(slackfake.User{ID: maria, Name: "maria", RealName: "Maria Marketing", TZ: "Europe/Berlin"})
	fake.AddChannel(slackfake.Channel{ID: revenue, Name: "revenue", Members: []string{maria}, BotMember: true})
	fake.AddChannel(slackfake.Channel{ID: quiet, Name: "quiet", Members: []string{maria}})
	fake.AddChannel(slackfake.Channel{ID: secret, Name: "secret", Private: true, Members: []string{maria}})
	url := testdb.New(t)
	store, err := storage.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return fake, doctor.Options{
		BotToken: fake.BotToken(),
		AppToken: fake.AppToken(),
		APIURL:   fake.URL(),
		Channel:  revenue,
		Database: openAt(url),
	}
}

func openAt(url string) func(ctx context.Context) (doctor.Database, error) {
	return func(ctx context.Context) (doctor.Database, error) { return storage.Open(ctx, url) }
}

// check runs doctor and returns whether it passed and what it printed.
func check(t *testing.T, opts doctor.Options) (bool, string) {
	t.Helper()
	var out bytes.Buffer
	ok := doctor.Run(context.Background(), &out, opts)
	return ok, out.String()
}

// lines returns doctor's result lines (not their fixes) by check name.
func lines(out string) map[string]string {
	got := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if m := regexp.MustCompile(`^([✓✗]) ([^:]+): `).FindStringSubmatch(l); m != nil {
			got[m[2]] = l
		}
	}
	return got
}

// fixOf returns the fix printed under the check's line.
func fixOf(out, name string) string {
	ls := strings.Split(out, "\n")
	for i, l := range ls {
		if strings.HasPrefix(l, "✗ "+name+":") && i+1 < len(ls) {
			if fix, ok := strings.CutPrefix(ls[i+1], "    fix: "); ok {
				return fix
			}
		}
	}
	return ""
}

func TestAllGood(t *testing.T) {
	fake, opts := install(t)
	ok, out := check(t, opts)
	if !ok {
		t.Fatalf("doctor failed on a good installation:\n%s", out)
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, "✓ ") {
			t.Errorf("not a ✓ line: %q", l)
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(l, "✓ "), ":")
		names = append(names, name)
	}
	want := "bot token, bot scopes, app token, socket mode, channel " + revenue + ", database, time zones, CA roots"
	if got := strings.Join(names, ", "); got != want {
		t.Errorf("checks %q, want %q", got, want)
	}
	id := fake.Identity()
	got := lines(out)
	for name, want := range map[string][]string{
		"bot token":          {"@alignbot", id.BotUserID, id.TeamID, id.TeamName},
		"bot scopes":         {"all 10"},
		"socket mode":        {"hello", id.AppID},
		"channel " + revenue: {"#revenue", "may post"},
		"database":           {"schema at version"},
	} {
		for _, w := range want {
			if !strings.Contains(got[name], w) {
				t.Errorf("%s line %q lacks %q", name, got[name], w)
			}
		}
	}
	// It checked posting without posting: the one scheduled message is gone.
	if n := fake.ScheduleCalls(); n != 1 {
		t.Errorf("%d messages scheduled, want 1", n)
	}
	if s := fake.ScheduledMessages(); len(s) != 0 {
		t.Errorf("scheduled messages left behind: %+v", s)
	}
	if m := fake.Messages(revenue); len(m) != 0 {
		t.Errorf("doctor posted in the channel: %+v", m)
	}
	if fake.Connections() != 0 {
		t.Errorf("doctor left %d Socket Mode connections open", fake.Connections())
	}
}

// TestMisconfigurations: each way an installation goes wrong is found by
// the check it belongs to, with Slack's own answer from the fake, and the
// fix says what to do; the checks that do not depend on it still pass.
func TestMisconfigurations(t *testing.T) {
	tests := []struct {
		name    string
		break_  func(fake *slackfake.Server, opts *doctor.Options)
		check   string
		detail  string
		fix     string
		skipped []string // checks that cannot run after this one fails
	}{
		{
			name:   "no bot token",
			break_: func(_ *slackfake.Server, o *doctor.Options) { o.BotToken = "" },
			check:  "bot token", detail: "SLACK_BOT_TOKEN is not set", fix: "Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
			skipped: []string{"bot scopes", "channel " + revenue},
		},
		{
			name:   "invalid bot token",
			break_: func(_ *slackfake.Server, o *doctor.Options) { o.BotToken = "xoxb-1234-revoked-long-ago" },
			check:  "bot token", detail: "(invalid_auth)", fix: "copy the Bot User OAuth Token",
			skipped: []string{"bot scopes", "channel " + revenue},
		},
		{
			name:   "a user token for the bot token",
			break_: func(f *slackfake.Server, o *doctor.Options) { o.BotToken = f.AddUserToken(maria) },
			check:  "bot token", detail: "a user token (xoxp-), of the person maria (" + maria + ")", fix: "not the User OAuth Token",
			skipped: []string{"bot scopes", "channel " + revenue},
		},
		{
			name:   "the app token for the bot token",
			break_: func(f *slackfake.Server, o *doctor.Options) { o.BotToken = f.AppToken() },
			check:  "bot token", detail: "an app-level token (xapp-), which Slack refuses here (not_allowed_token_type)", fix: "belongs in SLACK_APP_TOKEN",
			skipped: []string{"bot scopes", "channel " + revenue},
		},
		{
			name:   "a scope not granted",
			break_: func(f *slackfake.Server, _ *doctor.Options) { f.RevokeBotScope("users:read") },
			check:  "bot scopes", detail: "not granted: users:read",
			fix: "add `users:read` under OAuth & Permissions → Bot Token Scopes (or paste manifests/alignbot.yaml again under App Manifest), then Reinstall to Workspace",
		},
		{
			name:   "chat:write not granted",
			break_: func(f *slackfake.Server, _ *doctor.Options) { f.RevokeBotScope("chat:write") },
			check:  "channel " + revenue, detail: "the bot token lacks chat:write", fix: "add `chat:write` under OAuth & Permissions",
		},
		{
			name:   "no app token",
			break_: func(_ *slackfake.Server, o *doctor.Options) { o.AppToken = "" },
			check:  "app token", detail: "SLACK_APP_TOKEN is not set", fix: "App-Level Tokens, generate a token with the connections:write scope",
			skipped: []string{"socket mode"},
		},
		{
			name:   "the bot token for the app token",
			break_: func(f *slackfake.Server, o *doctor.Options) { o.AppToken = f.BotToken() },
			check:  "app token", detail: "a bot token (xoxb-), which Slack refuses here (not_allowed_token_type)", fix: "belongs in SLACK_BOT_TOKEN",
			skipped: []string{"socket mode"},
		},
		{
			name:   "an app token without connections:write",
			break_: func(f *slackfake.Server, _ *doctor.Options) { f.SetAppTokenScopes("authorizations:read") },
			check:  "app token", detail: "lacks connections:write (it has: authorizations:read)", fix: "generate a token with the connections:write scope",
			skipped: []string{"socket mode"},
		},
		{
			name:   "an invalid app token",
			break_: func(_ *slackfake.Server, o *doctor.Options) { o.AppToken = "xapp-1-A0000APP1-0000-deadbeef" },
			check:  "app token", detail: "(invalid_auth)", fix: "App-Level Tokens",
			skipped: []string{"socket mode"},
		},
		{
			name:   "Socket Mode off",
			break_: func(f *slackfake.Server, _ *doctor.Options) { f.SetSocketMode(false) },
			check:  "socket mode", detail: "Socket Mode is off", fix: "turn on Settings → Socket Mode",
		},
		{
			name:   "the app token of another app",
			break_: func(f *slackfake.Server, _ *doctor.Options) { f.SetAppTokenApp("A0000OTHER") },
			check:  "socket mode", detail: "the app-level token is app A0000OTHER's and the bot token app " + slackfake.DefaultAppID + "'s",
			fix: "take both tokens from the same app",
		},
		{
			name:   "the bot not in the channel",
			break_: func(_ *slackfake.Server, o *doctor.Options) { o.Channel = quiet },
			check:  "channel " + quiet, detail: "the bot is not a member of #quiet", fix: "type /invite @alignbot in #quiet",
		},
		{
			name:   "a private channel the bot was not invited to",
			break_: func(_ *slackfake.Server, o *doctor.Options) { o.Channel = secret },
			check:  "channel " + secret, detail: "the bot cannot see this channel", fix: "/invite @alignbot",
		},
		{
			name: "a database an older alignbot migrated",
			break_: func(_ *slackfake.Server, o *doctor.Options) {
				url := testdb.New(t)
				store, err := storage.Open(context.Background(), url)
				if err != nil {
					t.Fatal(err)
				}
				defer store.Close()
				if err := store.Migrate(context.Background(), nil); err != nil {
					t.Fatal(err)
				}
				if _, err := store.DB().Exec(`DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`); err != nil {
					t.Fatal(err)
				}
				o.Database = openAt(url)
			},
			check: "database", detail: "this alignbot needs", fix: "run `alignbot migrate`",
		},
		{
			name: "a database that does not answer",
			break_: func(_ *slackfake.Server, o *doctor.Options) {
				o.Database = openAt("postgres://alignbot:hunter2@127.0.0.1:1/alignbot?sslmode=disable&connect_timeout=2")
			},
			check: "database", detail: "127.0.0.1:1", fix: "check DATABASE_URL",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, opts := install(t)
			tt.break_(fake, &opts)
			ok, out := check(t, opts)
			if ok {
				t.Fatalf("doctor passed:\n%s", out)
			}
			got := lines(out)
			line, found := got[tt.check]
			if !found || !strings.HasPrefix(line, "✗ ") || !strings.Contains(line, tt.detail) {
				t.Errorf("%s: %q, want ✗ with %q\n%s", tt.check, line, tt.detail, out)
			}
			if fix := fixOf(out, tt.check); !strings.Contains(fix, tt.fix) {
				t.Errorf("%s's fix %q, want %q", tt.check, fix, tt.fix)
			}
			for name, l := range got {
				failed := strings.HasPrefix(l, "✗ ")
				switch {
				case name == tt.check:
				case contains(tt.skipped, name):
					if !failed || !strings.Contains(l, "not checked") {
						t.Errorf("%q after %s failed, want not checked", l, tt.check)
					}
				case failed && !(tt.check == "bot scopes" && name == "channel "+revenue) &&
					!(tt.check == "channel "+revenue && name == "bot scopes"):
					t.Errorf("%q failed too", l)
				}
			}
			if s := fake.ScheduledMessages(); len(s) != 0 {
				t.Errorf("scheduled messages left behind: %+v", s)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// TestBeforeTheFirstStart: an empty database is what a new installation
// has, and nothing to fix.
func TestBeforeTheFirstStart(t *testing.T) {
	_, opts := install(t)
	opts.Database = openAt(testdb.New(t))
	ok, out := check(t, opts)
	if line := lines(out)["database"]; !ok || !strings.Contains(line, "✓ database: reachable and empty") {
		t.Errorf("an empty database: %v\n%s", ok, out)
	}
}

// TestNeverPrintsSecrets: whatever goes wrong, no part of a token beyond
// its type, and no part of the database password, is printed.
func TestNeverPrintsSecrets(t *testing.T) {
	fake, opts := install(t)
	user := fake.AddUserToken(maria)
	const password = "hunter2-correct-horse"
	dbURL := "postgres://alignbot:" + password + "@127.0.0.1:1/alignbot?sslmode=disable&connect_timeout=2"
	var outputs []string
	for _, o := range []doctor.Options{
		opts,
		{BotToken: user, AppToken: fake.BotToken(), APIURL: fake.URL(), Channel: quiet, Database: openAt(dbURL)},
		{BotToken: fake.AppToken(), AppToken: user, APIURL: fake.URL()},
		{BotToken: "xoxb-8302-Zt5QwLm9Xc", AppToken: "xapp-1-A9-7716-Vb3NpYe", APIURL: fake.URL()},
	} {
		_, out := check(t, o)
		outputs = append(outputs, out)
	}
	all := strings.Join(outputs, "\n")
	for _, secret := range []string{fake.BotToken(), fake.AppToken(), user, "xoxb-8302-Zt5QwLm9Xc", "xapp-1-A9-7716-Vb3NpYe", password} {
		rest := secret
		for _, p := range []string{"xoxb-", "xapp-", "xoxp-"} {
			rest = strings.TrimPrefix(rest, p)
		}
		for i := 0; i+4 <= len(rest); i++ {
			if frag := rest[i : i+4]; strings.Contains(all, frag) && !harmless(frag) {
				t.Errorf("output shows %q of a secret:\n%s", frag, all)
				break
			}
		}
	}
}

// harmless are fragments of the fake's tokens that also name things doctor
// may print (the app ID, a user ID).
func harmless(frag string) bool {
	return strings.Contains(slackfake.DefaultAppID, frag) || strings.Contains(maria, frag)
}
