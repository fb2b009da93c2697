package slackfake

import (
	"testing"

	"github.com/slack-go/slack"
)

// TestUsersReportTheirLocale: users.info and users.list report each
// member's Slack locale when asked with include_locale, as Slack does,
// en-US when none was set; without include_locale they report none.
func TestUsersReportTheirLocale(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	fs.AddUser(User{ID: "UJA", Name: "yuki", TZ: "Asia/Tokyo", Locale: "ja-JP"})
	fs.AddUser(User{ID: "UPT", Name: "joao", TZ: "America/Sao_Paulo", Locale: "pt-BR"})
	api := fs.NewClient()
	for id, want := range map[string]string{"UJA": "ja-JP", "UPT": "pt-BR", "UMKT": "en-US"} {
		u, err := api.GetUserInfo(id)
		if err != nil || u.Locale != want {
			t.Errorf("users.info %s: locale %q (%v), want %q", id, u.Locale, err, want)
		}
		if u, err := api.GetUserInfo(id, slack.GetUserInfoOptionIncludeLocale(false)); err != nil || u.Locale != "" {
			t.Errorf("users.info %s without include_locale: locale %q (%v)", id, u.Locale, err)
		}
	}
	users, err := api.GetUsers()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, u := range users {
		if (u.ID == "UJA" && u.Locale == "ja-JP") || (u.ID == "UPT" && u.Locale == "pt-BR") {
			seen++
		}
	}
	if seen != 2 {
		t.Errorf("users.list reports %d of the 2 locales: %+v", seen, users)
	}
}
