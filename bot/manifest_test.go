package bot

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/locale"
)

// TestManifestMatchesTheBot keeps the Slack app manifest in step with what
// the bot parses and calls: every subcommand is in the usage hint and the
// help, and the scopes and events cover what the bot uses.
func TestManifestMatchesTheBot(t *testing.T) {
	raw, err := os.ReadFile("../manifests/alignbot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	manifest := string(raw)
	hint := regexp.MustCompile(`(?m)^\s*usage_hint:\s*(.*)$`).FindStringSubmatch(manifest)
	if hint == nil {
		t.Fatal("the manifest has no usage_hint")
	}
	// Each subcommand with arguments it accepts: the parser must know it,
	// the hint and the help must name it.
	for _, typed := range []string{"start <@U1|m> <@U2|s>", "status", "history", "extend 3d", "cancel",
		"assign Q3 <@U3|o> Write the definitions", "addressed Q3", "unaddressed Q3", "help"} {
		name := strings.Fields(typed)[0]
		if _, err := parseCommand(typed); err != nil {
			t.Errorf("parseCommand(%q): %v", typed, err)
		}
		if !regexp.MustCompile(`(^|\| )` + name + `\b`).MatchString(hint[1]) {
			t.Errorf("the manifest's usage hint %q does not list %q", hint[1], name)
		}
		if !strings.Contains(render.Help(locale.English), "/alignment "+name) {
			t.Errorf("/alignment help does not list %q", name)
		}
	}
	// What the bot does needs these scopes and events.
	for _, want := range []string{"commands", "chat:write", "im:write", "im:history", "channels:read", "groups:read",
		"channels:history", "groups:history", "users:read", "files:write", "app_home_opened", "message.im",
		"member_joined_channel", "member_left_channel", "channel_left", "group_left", "channel_archive", "channel_unarchive",
		"group_archive", "group_unarchive", "channel_rename", "group_rename", "user_change", "tokens_revoked", "app_uninstalled"} {
		if !regexp.MustCompile(`(?m)^\s*- ` + regexp.QuoteMeta(want) + `(\s|$)`).MatchString(manifest) {
			t.Errorf("the manifest lacks %q", want)
		}
	}
}
