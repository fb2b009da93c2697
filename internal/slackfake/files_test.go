package slackfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
)

func TestUploadFileEndToEnd(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	api := fs.NewClient()
	ctx := testContext(t)

	_, parent, err := api.PostMessage("CALIGN", slack.MsgOptionText("Round r1 revealed", false))
	if err != nil {
		t.Fatal(err)
	}
	csv := "question,mia,sam\nQ1,4,2\n"
	tests := []struct {
		name   string
		params slack.UploadFileParameters
		// Where the file should land: channel and thread, "" for none.
		channel, thread string
		title           string
	}{
		{"content to a channel", slack.UploadFileParameters{
			Content: csv, FileSize: len(csv), Filename: "r1.csv", Title: "Round r1",
			Channel: "CALIGN", InitialComment: "Answers of round r1",
		}, "CALIGN", "", "Round r1"},
		{"reader into a thread", slack.UploadFileParameters{
			Reader: strings.NewReader(csv), FileSize: len(csv), Filename: "r1-thread.csv",
			Channel: "CALIGN", ThreadTimestamp: parent, InitialComment: "In the thread",
		}, "CALIGN", parent, "r1-thread.csv"},
		{"to a user's DM", slack.UploadFileParameters{
			Content: csv, FileSize: len(csv), Filename: "mine.csv", Channel: "UMKT",
		}, "dm", "", "mine.csv"},
		{"private", slack.UploadFileParameters{
			Content: csv, FileSize: len(csv), Filename: "private.csv",
		}, "", "", "private.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			summary, err := api.UploadFileContext(ctx, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if summary.Title != tt.title || !strings.HasPrefix(summary.ID, "F") {
				t.Errorf("summary = %+v, want title %q", summary, tt.title)
			}
			f, ok := fs.File(summary.ID)
			if !ok {
				t.Fatalf("no file %s", summary.ID)
			}
			channel := tt.channel
			if channel == "dm" {
				channel, _ = fs.DMChannel("UMKT")
			}
			if string(f.Bytes) != csv || f.Length != len(csv) || !f.Uploaded || !f.Completed ||
				f.Filename != tt.params.Filename || f.Title != tt.title || f.Channel != channel || f.ThreadTS != tt.thread {
				t.Errorf("file = %+v", f)
			}
			if channel == "" {
				if f.MessageTS != "" {
					t.Errorf("private file shared in message %s", f.MessageTS)
				}
				return
			}
			m, ok := fs.Message(channel, f.MessageTS)
			if !ok {
				t.Fatalf("no message %s carries the file", f.MessageTS)
			}
			if m.Text != tt.params.InitialComment || m.BotID != DefaultBotID || m.ThreadTS != tt.thread ||
				m.Source != "files.completeUploadExternal" || !cmp.Equal(m.Files, []string{f.ID}) {
				t.Errorf("message = %+v", m)
			}
		})
	}

	// Where the files are, as a test asks.
	var names []string
	for _, f := range fs.SharedFiles("CALIGN", "") {
		names = append(names, f.Filename)
	}
	if diff := cmp.Diff([]string{"r1.csv", "r1-thread.csv"}, names); diff != "" {
		t.Errorf("SharedFiles(CALIGN) (-want +got):\n%s", diff)
	}
	if inThread := fs.SharedFiles("CALIGN", parent); len(inThread) != 1 || inThread[0].Filename != "r1-thread.csv" {
		t.Errorf("SharedFiles(CALIGN, thread) = %+v", inThread)
	}
	if thread := fs.Thread("CALIGN", parent); len(thread) != 2 || len(thread[1].Files) != 1 {
		t.Errorf("thread = %+v, want the parent and the file's message", thread)
	}
	if all := fs.Files(); len(all) != 4 || all[3].Filename != "private.csv" {
		t.Errorf("Files = %+v, want 4 in creation order", all)
	}
	for method, want := range map[string]int{
		"files.getUploadURLExternal": 4, "upload_url": 4, "files.completeUploadExternal": 4,
	} {
		if got := fs.Calls(method); got != want {
			t.Errorf("Calls(%s) = %d, want %d", method, got, want)
		}
	}

	// The bot reads the file back from the channel's history as Slack has it.
	h, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "CALIGN", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Messages) != 1 || len(h.Messages[0].Files) != 1 {
		t.Fatalf("history = %+v", h.Messages)
	}
	got := h.Messages[0].Files[0]
	if got.Name != "r1.csv" || got.Title != "Round r1" || got.Size != len(csv) || got.Mimetype != "text/csv" ||
		got.User != DefaultBotUserID || !cmp.Equal(got.Channels, []string{"CALIGN"}) || !h.Messages[0].Upload {
		t.Errorf("file in history = %+v", got)
	}
}

func TestGetUploadURLExternalErrors(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	// slack-go refuses an empty filename and a zero length itself, so those
	// go to the wire by hand.
	post := func(t *testing.T, form url.Values) map[string]any {
		t.Helper()
		form.Set("token", fs.BotToken())
		resp, err := http.PostForm(fs.URL()+"files.getUploadURLExternal", form)
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
	tests := []struct {
		name    string
		form    url.Values
		want    string
		message string
	}{
		{"no filename", url.Values{"length": {"10"}}, "invalid_arguments", "[ERROR] missing required field: filename"},
		{"no length", url.Values{"filename": {"a.csv"}}, "invalid_arguments", "[ERROR] missing required field: length"},
		{"zero length", url.Values{"filename": {"a.csv"}, "length": {"0"}}, "invalid_arguments", "[ERROR] must be at least 1 [json-pointer:/length]"},
		{"negative length", url.Values{"filename": {"a.csv"}, "length": {"-3"}}, "invalid_arguments", "[ERROR] must be at least 1 [json-pointer:/length]"},
		{"length not a number", url.Values{"filename": {"a.csv"}, "length": {"ten"}}, "invalid_arguments", "[ERROR] expected an integer [json-pointer:/length]"},
		{"alt text too long", url.Values{"filename": {"a.png"}, "length": {"3"}, "alt_txt": {strings.Repeat("x", 1001)}}, "alt_txt_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, tt.form)
			if got["ok"] != false || got["error"] != tt.want {
				t.Fatalf("answer = %v, want error %s", got, tt.want)
			}
			if tt.message == "" {
				return
			}
			meta, _ := got["response_metadata"].(map[string]any)
			if msgs, _ := meta["messages"].([]any); len(msgs) != 1 || msgs[0] != tt.message {
				t.Errorf("messages = %v, want [%q]", meta["messages"], tt.message)
			}
		})
	}

	// Through slack-go: a negative size passes its own check and reaches
	// the fake.
	_, err := fs.NewClient().GetUploadURLExternalContext(testContext(t), slack.GetUploadURLExternalParameters{FileName: "a.csv", FileSize: -1})
	if slackErr(err) != "invalid_arguments" {
		t.Errorf("FileSize -1: %v, want invalid_arguments", err)
	}
	// A JSON body is not read, as on the live API.
	req, _ := http.NewRequest(http.MethodPost, fs.URL()+"files.getUploadURLExternal", strings.NewReader(`{"filename":"a.csv","length":3}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+fs.BotToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "missing required field: filename") {
		t.Errorf("JSON body: %s, want filename missing", body)
	}
	if files := fs.Files(); len(files) != 0 {
		t.Errorf("refused calls reserved files: %+v", files)
	}
}

func TestUploadURL(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	api := fs.NewClient()
	ctx := testContext(t)
	reserve := func(t *testing.T, n int) *slack.GetUploadURLExternalResponse {
		t.Helper()
		u, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "a.txt", FileSize: n})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(u.UploadURL, strings.TrimSuffix(fs.URL(), "api/")+"upload/v1/") {
			t.Fatalf("upload_url %s is not served by the fake", u.UploadURL)
		}
		return u
	}
	upload := func(u, content string) error {
		return api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: u, Filename: "a.txt", Content: content})
	}
	status := func(err error) int {
		var sc slack.StatusCodeError
		if errors.As(err, &sc) {
			return sc.Code
		}
		return 0
	}

	u := reserve(t, 5)
	if err := upload(u.UploadURL, "toolong"); status(err) != http.StatusBadRequest {
		t.Errorf("7 bytes for 5: %v, want HTTP 400", err)
	}
	if f, _ := fs.File(u.FileID); f.Uploaded {
		t.Error("a refused upload counts as uploaded")
	}
	if err := upload(u.UploadURL, "hello"); err != nil {
		t.Errorf("the right bytes after a refusal: %v", err)
	}
	if err := upload(u.UploadURL, "hello"); status(err) != http.StatusNotFound {
		t.Errorf("second upload: %v, want HTTP 404", err)
	}
	if err := upload(u.UploadURL+"x", "hello"); status(err) != http.StatusNotFound {
		t.Errorf("unknown URL: %v, want HTTP 404", err)
	}

	// Raw bytes work too, and the answer is Slack's.
	raw := reserve(t, 3)
	resp, err := http.Post(raw.UploadURL, "application/octet-stream", bytes.NewReader([]byte{1, 2, 3}))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "OK - 3" {
		t.Errorf("raw upload: %d %q, want 200 \"OK - 3\"", resp.StatusCode, body)
	}
	if f, _ := fs.File(raw.FileID); !bytes.Equal(f.Bytes, []byte{1, 2, 3}) {
		t.Errorf("raw bytes = %v", f.Bytes)
	}
	resp, err = http.Get(raw.UploadURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", resp.StatusCode)
	}

	// Faults can be injected on the upload URL; the everything-log has each
	// attempt without the bytes.
	third := reserve(t, 2)
	fs.InjectFault("upload_url", Fault{Status: http.StatusServiceUnavailable, Next: 1})
	if err := upload(third.UploadURL, "hi"); status(err) != http.StatusServiceUnavailable {
		t.Errorf("fault: %v, want HTTP 503", err)
	}
	if err := upload(third.UploadURL, "hi"); err != nil {
		t.Errorf("after the fault: %v", err)
	}
	var statuses []int
	for _, c := range fs.Sent() {
		if c.Method == "upload_url" {
			statuses = append(statuses, c.Status)
		}
	}
	if diff := cmp.Diff([]int{400, 200, 404, 404, 200, 503, 200}, statuses); diff != "" {
		t.Errorf("upload_url statuses (-want +got):\n%s", diff)
	}
	if got := fs.Calls("upload_url"); got != 7 {
		t.Errorf("Calls(upload_url) = %d, want 7", got)
	}
}

func TestCompleteUploadExternalErrors(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	api := fs.NewClient()
	ctx := testContext(t)
	uploaded := func(t *testing.T) string {
		t.Helper()
		u, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "a.txt", FileSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		if err := api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: u.UploadURL, Filename: "a.txt", Content: "hi"}); err != nil {
			t.Fatal(err)
		}
		return u.FileID
	}
	complete := func(p slack.CompleteUploadExternalParameters) error {
		_, err := api.CompleteUploadExternalContext(ctx, p)
		return err
	}
	reserved, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "b.txt", FileSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	done := uploaded(t)
	if err := complete(slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: done}}}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		params slack.CompleteUploadExternalParameters
		want   string
	}{
		{"unknown file", slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: "F0NOPE"}}}, "file_not_found"},
		{"bytes never uploaded", slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: reserved.FileID}}}, "file_not_found"},
		{"completed twice", slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: done}}}, "file_not_found"},
		{"no files", slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{}}, "invalid_arguments"},
		{"channel without the bot", slack.CompleteUploadExternalParameters{Channel: "COUT"}, "not_in_channel"},
		{"private channel without the bot", slack.CompleteUploadExternalParameters{Channel: "GSECRET"}, "channel_not_found"},
		{"unknown channel", slack.CompleteUploadExternalParameters{Channel: "CNOPE"}, "channel_not_found"},
		{"unknown thread", slack.CompleteUploadExternalParameters{Channel: "CALIGN", ThreadTimestamp: "1.000001"}, "thread_not_found"},
		{"thread without a channel", slack.CompleteUploadExternalParameters{ThreadTimestamp: "1.000001"}, "invalid_arguments"},
		{"several channels", slack.CompleteUploadExternalParameters{Channels: []string{"CALIGN", "UMKT"}}, "not_supported"},
	}
	fresh := uploaded(t) // stays incomplete through every refusal below
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.params.Files == nil {
				tt.params.Files = []slack.FileSummary{{ID: fresh}}
			}
			if got := slackErr(complete(tt.params)); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
	if f, _ := fs.File(fresh); f.Completed || f.Channel != "" {
		t.Errorf("a refused completion changed the file: %+v", f)
	}
	if err := complete(slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: fresh}}, Channels: []string{"CALIGN"}}); err != nil {
		t.Errorf("complete after the refusals: %v", err)
	}
	if msgs := fs.Messages("CALIGN"); len(msgs) != 1 || len(msgs[0].Files) != 1 {
		t.Errorf("CALIGN = %+v, want one message sharing the file", msgs)
	}
}
