package storage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// leaks returns the first fragment of three characters or more (or the whole
// of a shorter secret) of any secret that msg contains, or "".
func leaks(msg string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) < 3 {
			if strings.Contains(msg, s) {
				return s
			}
			continue
		}
		for i := 0; i+3 <= len(s); i++ {
			if strings.Contains(msg, s[i:i+3]) {
				return s[i : i+3]
			}
		}
	}
	return ""
}

// TestOpenNeverShowsAnyPartOfThePassword opens nasty DSNs, malformed or
// pointing at a closed port, and checks that no three characters in a row of
// the password (as written, and as decoded) appear in the error.
func TestOpenNeverShowsAnyPartOfThePassword(t *testing.T) {
	t.Setenv("PGPASSWORD", "")
	const (
		badURL      = "DATABASE_URL is not a valid PostgreSQL URL; expected postgres://user:password@host:5432/dbname?sslmode=disable"
		badKeywords = "DATABASE_URL is not a valid PostgreSQL connection string;"
		refused     = "open database: "
	)
	tests := []struct {
		name    string
		dsn     string
		secrets []string
		want    string // a prefix of the error
	}{
		{"slash in the password", "postgres://alice:hunter2/xyz@db/db", []string{"hunter2/xyz"}, badURL},
		{"digits and slash read as a port", "postgres://alice:12/34@127.0.0.1:1/db", []string{"12/34"}, badURL},
		{"hash starts a fragment", "postgres://alice:99#77@127.0.0.1:1/db", []string{"99#77"}, badURL},
		{"question mark starts a query", "postgres://alice:55?66@127.0.0.1:1/db", []string{"55?66"}, badURL},
		{"at signs", "postgres://alice:hu@nt@er2@127.0.0.1:1/db?sslmode=disable", []string{"hu@nt@er2"}, refused},
		{"space", "postgres://alice:pa ss@127.0.0.1:1/db", []string{"pa ss"}, badURL},
		{"bad percent escape", "postgres://alice:p%zzq@127.0.0.1:1/db", []string{"p%zzq"}, badURL},
		{"percent-encoded", "postgres://alice:p%40ss%2Fw0rd@127.0.0.1:1/db?sslmode=disable", []string{"p%40ss%2Fw0rd", "p@ss/w0rd"}, refused},
		{"colon", "postgres://alice:s3:cr3t@127.0.0.1:1/db?sslmode=disable", []string{"s3:cr3t"}, refused},
		{"password parameter", "postgres://alice@127.0.0.1:1/db?password=qu%3Fery&sslmode=disable", []string{"qu%3Fery", "qu?ery"}, refused},
		{"port out of range", "postgres://alice:hunter2@127.0.0.1:99999/db", []string{"hunter2"}, "DATABASE_URL: invalid value for port"},
		{"bad sslmode", "postgres://alice:hunter2@127.0.0.1:1/db?sslmode=hunter2", []string{"hunter2"}, "DATABASE_URL: invalid value for sslmode"},
		{"unclosed IPv6 host", "postgresql://alice:hunter2@[::1/db", []string{"hunter2"}, badURL},
		{"another scheme", "mysql://alice:hunter2@db/db", []string{"hunter2"}, badURL},
		{"one slash", "postgres:/alice:hunter2@db/db", []string{"hunter2"}, badKeywords},
		{"surrounding spaces", "  postgres://alice:hunter2@127.0.0.1:1/db?sslmode=disable\n", []string{"hunter2"}, refused},
		{"keywords, quoted spaces", "host=127.0.0.1 port=1 user=alice password='pa ss wo rd' sslmode=disable", []string{"pa ss wo rd"}, refused},
		{"keywords, escaped quote", `password='it\'s @ s3cret' host=127.0.0.1 port=1 sslmode=disable`, []string{`it\'s @ s3cret`, "it's @ s3cret"}, refused},
		{"keywords, escaped space", `host=127.0.0.1 port=1 password = hun\ ter2 sslmode=disable`, []string{`hun\ ter2`, "hun ter2"}, refused},
		{"keywords, symbols", "host=127.0.0.1 port=1 password=50%off/@:x sslmode=disable", []string{"50%off/@:x"}, refused},
		{"keywords, double quotes are literal", `host=127.0.0.1 port=1 password="dq-pw" sslmode=disable`, []string{`"dq-pw"`}, refused},
		{"keywords, unterminated quote", "host=db password='hunter2", []string{"hunter2"}, badKeywords},
		{"keywords, unquoted space", "host=db password=hunt er2", []string{"hunt er2"}, badKeywords},
		{"keywords, password in the port", "host=db port=hunter2 password=hunter2", []string{"hunter2"}, "DATABASE_URL: invalid value for port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(context.Background(), tt.dsn)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q, want it to start with %q", err, tt.want)
			}
			if frag := leaks(err.Error(), tt.secrets...); frag != "" {
				t.Errorf("error %q shows %q of the password", err, frag)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Setenv("PGPASSWORD", "from-the-env")
	const withheld = "cannot connect; the driver's message is not shown because it quotes part of the credentials"
	plain := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	tests := []struct {
		name string
		err  error
		dsn  string
		want string
	}{
		{"nil", nil, "postgres://a:b@h/d", ""},
		{"nothing to hide", plain, "postgres://alice:hunter2@h/d", plain.Error()},
		{"url.Error quotes the URL", &url.Error{Op: "parse", URL: "postgres://alice:hunter2/xyz@db/db", Err: errors.New(`invalid port ":hunter2" after host`)},
			"postgres://alice:hunter2/xyz@db/db", errInvalidURL.Error()},
		{"wrapped url.Error", fmt.Errorf("pq: %w", &url.Error{Op: "parse", URL: "x", Err: errors.New("bad")}), "x", errInvalidURL.Error()},
		{"whole password", errors.New("auth failed with password hunter2 for alice"), "postgres://alice:hunter2@h/d", "auth failed with password xxxxx for alice"},
		{"percent-encoded password", errors.New("bad url postgres://alice:p%40ss%2Fw0rd@h/d"), "postgres://alice:p%40ss%2Fw0rd@h/d", "bad url postgres://alice:xxxxx@h/d"},
		{"keyword password", errors.New("rejected 'pa ss' here"), "host=h password='pa ss'", "rejected 'xxxxx' here"},
		{"part of a password", errors.New(`invalid port ":hunter2" after host`), "postgres://alice:hunter2/xyz@db/db", withheld},
		{"part of a keyword password", errors.New(`missing "=" after "er2"`), "host=db password=hunt er2", withheld},
		{"short password", errors.New("no route to host ab"), "postgres://alice:ab@h/d", withheld},
		{"PGPASSWORD", errors.New("server said from-the-env"), "host=h", "server said xxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact(tt.err, tt.dsn)
			if tt.err == nil {
				if got != nil {
					t.Fatalf("redact(nil) = %v", got)
				}
				return
			}
			if got.Error() != tt.want {
				t.Errorf("redact = %q, want %q", got, tt.want)
			}
			if tt.want == tt.err.Error() && got != tt.err {
				t.Errorf("redact replaced an error it had nothing to hide in")
			}
		})
	}
}

func TestPassword(t *testing.T) {
	tests := []struct {
		dsn  string
		want []string // each must be among the results
	}{
		{"postgres://alice:hunter2@h/d", []string{"hunter2"}},
		{"postgres://alice:p%40ss@h/d", []string{"p@ss", "p%40ss"}},
		{"postgres://alice:hunter2/xyz@db/db", []string{"hunter2/xyz"}},
		{"postgres://alice:pa ss@h/d", []string{"pa ss"}},
		{"postgres://alice@h/d?password=q1&sslmode=disable", []string{"q1"}},
		{"postgres://h/d", nil},
		{"host=h password=plain", []string{"plain"}},
		{"host=h password = 'sp ace' user=u", []string{"sp ace"}},
		{`password='it\'s' host=h`, []string{"it's"}},
		{`password=a\ b`, []string{"a b"}},
		{"password='unterminated", []string{"unterminated"}},
		{"password=first password=second", []string{"first", "second"}},
		{"host=h", nil},
		{"host=h password=hunt er2 x", []string{"hunt er2 x"}},
	}
	for _, tt := range tests {
		got := password(tt.dsn)
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("password(%q) = %q, want it to include %q", tt.dsn, got, w)
			}
		}
		if tt.want == nil && len(got) != 0 {
			t.Errorf("password(%q) = %q, want none", tt.dsn, got)
		}
	}
}
