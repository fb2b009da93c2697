package manifests

import (
	"slices"
	"testing"
)

func TestBotScopes(t *testing.T) {
	want := []string{"commands", "chat:write", "im:write", "im:history", "channels:read", "groups:read",
		"channels:history", "groups:history", "users:read", "files:write"}
	if got := BotScopes(); !slices.Equal(got, want) {
		t.Errorf("BotScopes() = %q, want %q", got, want)
	}
}

func TestScopesReadsOnlyTheNamedList(t *testing.T) {
	const manifest = `
oauth_config:
  redirect_urls:
    - https://example.com/bot # not a scope
  scopes:
    user:
      - search:read
    bot:
      - "chat:write"   # quoted
      - users:read
settings:
  bot:
    - not:a:scope
`
	if got, want := scopes(manifest, "bot"), []string{"chat:write", "users:read"}; !slices.Equal(got, want) {
		t.Errorf("bot scopes = %q, want %q", got, want)
	}
	if got, want := scopes(manifest, "user"), []string{"search:read"}; !slices.Equal(got, want) {
		t.Errorf("user scopes = %q, want %q", got, want)
	}
}
