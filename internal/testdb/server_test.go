package testdb

import (
	"strings"
	"testing"
)

func TestBadServerURLFailsNamingIt(t *testing.T) {
	tests := []struct {
		name, url string
	}{
		{"unreachable", "postgres://u:hunter2@127.0.0.1:1/x?sslmode=disable"},
		{"not postgres", "mysql://u:hunter2@127.0.0.1/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envURL, tt.url)
			var s server
			_, _, err := s.get()
			if err == nil {
				s.close()
				t.Fatal("get succeeded, want an error")
			}
			if !strings.Contains(err.Error(), envURL) {
				t.Errorf("error %q does not name %s", err, envURL)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}
