package slackfake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxUploadBytes bounds what the fake keeps of an upload. Slack takes up to
// 1 GB; a test has no use for more than this.
const maxUploadBytes = 32 << 20

// maxAltText is the longest alt_txt Slack accepts.
const maxAltText = 1000

// File is a file the bot uploaded with Slack's external upload flow:
// files.getUploadURLExternal reserves it, a POST to its UploadURL brings the
// bytes, files.completeUploadExternal finishes it and, given a channel,
// shares it in a message.
type File struct {
	ID          string
	Filename    string
	Title       string // as completed; the filename when the bot gave none
	AltText     string
	SnippetType string
	UploadURL   string
	// Length is the size declared to files.getUploadURLExternal; Bytes is
	// what arrived at the upload URL (nil until then).
	Length int
	Bytes  []byte
	// Channel, ThreadTS and MessageTS say where the file was shared: the
	// channel, the thread (its first message's ts; "" outside a thread) and
	// the message that carries the file. They are "" for a file completed
	// without a channel, which stays private.
	Channel   string
	ThreadTS  string
	MessageTS string
	Uploaded  bool // the bytes arrived at the upload URL
	Completed bool // files.completeUploadExternal finished the upload
	At        time.Time
}

func (f File) clone() File {
	f.Bytes = bytes.Clone(f.Bytes)
	return f
}

// Files returns every file the bot reserved, in creation order, complete or
// not.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, len(s.fileOrder))
	for i, f := range s.fileOrder {
		out[i] = f.clone()
	}
	return out
}

// File returns a file by ID.
func (s *Server) File(id string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	if !ok {
		return File{}, false
	}
	return f.clone(), true
}

// SharedFiles returns the files shared in a channel, in creation order: with
// threadTS "", every file shared there, in threads or not; otherwise the
// files shared in that thread (as replies, or on its first message).
func (s *Server) SharedFiles(channelID, threadTS string) []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, f := range s.fileOrder {
		if f.Channel != channelID || f.MessageTS == "" {
			continue
		}
		if threadTS != "" && f.ThreadTS != threadTS && f.MessageTS != threadTS {
			continue
		}
		out = append(out, f.clone())
	}
	return out
}

// missingArgument answers invalid_arguments the way Slack explains a missing
// field.
func missingArgument(field string) *apiError {
	return failWith("invalid_arguments", obj{"response_metadata": obj{
		"messages": []string{"[ERROR] missing required field: " + field},
	}})
}

// invalidArgument answers invalid_arguments for a field with a bad value.
func invalidArgument(field, msg string) *apiError {
	return failWith("invalid_arguments", obj{"response_metadata": obj{
		"messages": []string{fmt.Sprintf("[ERROR] %s [json-pointer:/%s]", msg, field)},
	}})
}

// filesGetUploadURLExternal reserves a file and hands out its upload URL.
//
// Its arguments are read from the form only: Slack ignores a JSON body for
// this method and answers that filename and length are missing (seen on the
// live API by others, and slack-go sends a form anyway).
func (s *Server) filesGetUploadURLExternal(r *request) (obj, *apiError) {
	filename := r.form.Get("filename")
	if filename == "" {
		return nil, missingArgument("filename")
	}
	if _, ok := r.form["length"]; !ok {
		return nil, missingArgument("length")
	}
	length, err := strconv.Atoi(r.form.Get("length"))
	if err != nil {
		return nil, invalidArgument("length", "expected an integer")
	}
	if length < 1 {
		return nil, invalidArgument("length", "must be at least 1")
	}
	alt := r.form.Get("alt_txt")
	if utf8.RuneCountInString(alt) > maxAltText {
		return nil, fail("alt_txt_too_large")
	}
	id := s.newFileID()
	secret := s.randomString(mixedAlnum, 40)
	f := &File{
		ID:          id,
		Filename:    filename,
		AltText:     alt,
		SnippetType: r.form.Get("snippet_type"),
		UploadURL:   s.baseURL + "upload/v1/" + secret,
		Length:      length,
		At:          s.now(),
	}
	s.files[id] = f
	s.fileOrder = append(s.fileOrder, f)
	s.uploads[secret] = id
	return obj{"upload_url": f.UploadURL, "file_id": id}, nil
}

// newFileID returns an unused file ID such as "F07ABCDEF12". The caller holds
// s.mu.
func (s *Server) newFileID() string {
	for {
		id := "F0" + s.randomString(upperAlnum, 9)
		if _, taken := s.files[id]; !taken {
			return id
		}
	}
}

// uploadBody is what a POST to an upload URL carried.
type uploadBody struct {
	data      []byte
	multipart bool
	problem   string // why the body is refused, "" if it is not
}

// readUpload reads a POST to an upload URL. Slack takes the bytes raw or as
// multipart form data; slack-go's UploadToURL sends multipart, the bytes in
// a part named "file" (Slack's own example uses "filename"), streamed with
// no Content-Length. The whole body is read before answering: slack-go
// writes it from a goroutine and reports that goroutine's error if the
// answer comes first.
func readUpload(hr *http.Request) (uploadBody, error) {
	ctype, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type"))
	if ctype != "multipart/form-data" {
		data, err := io.ReadAll(io.LimitReader(hr.Body, maxUploadBytes+1))
		if err != nil {
			return uploadBody{}, err
		}
		body := uploadBody{data: data}
		if len(data) > maxUploadBytes {
			body.problem = "too_large"
		}
		_, err = io.Copy(io.Discard, hr.Body)
		return body, err
	}
	mr, err := hr.MultipartReader()
	if err != nil {
		return uploadBody{}, err
	}
	body := uploadBody{multipart: true, problem: "no_file"}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return body, nil
		}
		if err != nil {
			return uploadBody{}, err
		}
		isFile := part.FileName() != "" || part.FormName() == "file" || part.FormName() == "filename"
		if isFile && body.data == nil {
			data, err := io.ReadAll(io.LimitReader(part, maxUploadBytes+1))
			if err != nil {
				return uploadBody{}, err
			}
			body.data, body.problem = data, ""
			if len(data) > maxUploadBytes {
				body.problem = "too_large"
			}
		}
		if _, err := io.Copy(io.Discard, part); err != nil {
			return uploadBody{}, err
		}
	}
}

// handleUpload serves the upload URLs that files.getUploadURLExternal hands
// out (Slack's are https://files.slack.com/upload/v1/…). They take no token:
// the URL is the secret.
func (s *Server) handleUpload(w http.ResponseWriter, hr *http.Request) {
	if hr.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := readUpload(hr)
	if err != nil {
		body = uploadBody{problem: "unreadable"}
	}
	s.serveUpload(hr.PathValue("secret"), body).write(w)
}

// serveUpload answers a POST to an upload URL as Slack does: 200 with
// "OK - <length>" when the bytes are taken, a non-200 status otherwise:
//
//   - 404 for an unknown URL, or one whose bytes already arrived (an upload
//     URL takes one upload);
//   - 400 when the body is not the declared length or has no file part;
//     the URL stays usable, so the bot may post the right bytes;
//   - 413 beyond the fake's size limit.
//
// Faults injected on "upload_url" apply; rate limits do not.
func (s *Server) serveUpload(secret string, body uploadBody) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify()
	s.callCount["upload_url"]++
	id := s.uploads[secret]
	f := s.files[id]
	answer := func(status int, code, text string) reply {
		payload, _ := json.Marshal(obj{"file_id": id, "bytes": len(body.data), "multipart": body.multipart})
		s.record("upload_url", payload, status, code)
		if code != "" {
			s.log.Debug("slackfake: upload refused", slog.String("file_id", id), slog.String("error", code))
		}
		return reply{status: status, contentType: "text/plain; charset=utf-8", body: []byte(text)}
	}
	if flt := s.takeFault("upload_url"); flt != nil {
		rp := answer(flt.status, strconv.Itoa(flt.status), http.StatusText(flt.status))
		if flt.status == http.StatusTooManyRequests {
			rp.retryAfter = strconv.Itoa(flt.retryAfter)
		}
		return rp
	}
	switch {
	case f == nil:
		return answer(http.StatusNotFound, "not_found", "Not Found")
	case f.Uploaded:
		return answer(http.StatusNotFound, "used_url", "Not Found")
	case body.problem == "too_large":
		return answer(http.StatusRequestEntityTooLarge, "too_large", "Request Entity Too Large")
	case body.problem != "":
		return answer(http.StatusBadRequest, body.problem, "Bad Request")
	case len(body.data) != f.Length:
		return answer(http.StatusBadRequest, "length_mismatch",
			fmt.Sprintf("Bad Request: %d bytes, declared %d", len(body.data), f.Length))
	}
	f.Bytes = body.data
	f.Uploaded = true
	return answer(http.StatusOK, "", fmt.Sprintf("OK - %d", len(body.data)))
}

// filesCompleteUploadExternal finishes uploads and, given a channel, shares
// the files there in one message from the bot. It checks everything before
// changing anything, so a refused call leaves the files as they were.
//
// A file that was never reserved, whose bytes never arrived, or that was
// already completed answers file_not_found: Slack's upload ticket is used up
// by the first completion. The fake shares into one conversation: channel_id,
// or "channels" naming a single one (several answer not_supported).
func (s *Server) filesCompleteUploadExternal(r *request) (obj, *apiError) {
	raw := r.raw("files")
	if len(raw) == 0 {
		return nil, missingArgument("files")
	}
	var list []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
		return nil, invalidArgument("files", "must be a non-empty array of {\"id\",\"title\"}")
	}
	var files []*File
	for _, item := range list {
		f, ok := s.files[item.ID]
		if !ok || !f.Uploaded || f.Completed {
			return nil, fail("file_not_found")
		}
		files = append(files, f)
	}

	target := r.str("channel_id")
	if chs := r.str("channels"); chs != "" {
		ids := strings.Split(chs, ",")
		if len(ids) > 1 {
			// Sharing into several conversations at once is not simulated.
			return nil, fail("not_supported")
		}
		if target != "" && target != strings.TrimSpace(ids[0]) {
			return nil, fail("not_supported")
		}
		target = strings.TrimSpace(ids[0])
	}
	var ch *channel
	threadTS := ""
	if target != "" {
		var e *apiError
		if ch, e = s.postTarget(target); e != nil {
			return nil, e
		}
		if ts := r.str("thread_ts"); ts != "" {
			parent, e := s.threadParent(ch.ID, ts)
			if e != nil {
				return nil, e
			}
			threadTS = parent.TS
		}
	} else if r.str("thread_ts") != "" {
		return nil, invalidArgument("thread_ts", "thread_ts needs channel_id")
	}
	c := content{text: r.str("initial_comment")}
	if utf8.RuneCountInString(c.text) > maxTextRunes {
		return nil, fail("msg_too_long")
	}
	if c.text == "" {
		// Slack ignores blocks when there is an initial_comment.
		blocks, err := s.normalizeBlocks(r.raw("blocks"), maxMessageBlocks)
		switch {
		case errors.Is(err, errBlockFormat):
			return nil, fail("invalid_blocks_format")
		case err != nil:
			return nil, failWith("invalid_blocks", obj{"response_metadata": obj{"messages": []string{"[ERROR] " + err.Error()}}})
		}
		c.blocks = blocks
	}

	for i, f := range files {
		f.Completed = true
		f.Title = cmp.Or(list[i].Title, f.Filename)
	}
	if ch != nil {
		m := s.newBotMessage("files.completeUploadExternal", ch, threadTS, c)
		for _, f := range files {
			m.Files = append(m.Files, f.ID)
			f.Channel, f.ThreadTS, f.MessageTS = ch.ID, threadTS, m.TS
		}
		s.addMessage(m)
	}
	out := make([]obj, len(files))
	for i, f := range files {
		out[i] = s.wireFile(f)
	}
	return obj{"files": out}, nil
}

// mimeTypes maps the extensions a bot is likely to upload to the mimetype
// Slack reports. A table rather than mime.TypeByExtension, which reads the
// machine's own tables, so that answers are the same everywhere.
var mimeTypes = map[string]string{
	"txt": "text/plain", "md": "text/markdown", "csv": "text/csv", "tsv": "text/tab-separated-values",
	"json": "application/json", "html": "text/html", "pdf": "application/pdf",
	"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml",
}

// wireFile renders a file as Slack's API returns it: the fields a bot may
// read, not every one Slack sends. The caller holds s.mu.
func (s *Server) wireFile(f *File) obj {
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(f.Filename)), ".")
	filetype := cmp.Or(f.SnippetType, ext, "binary")
	channels, groups, ims := []string{}, []string{}, []string{}
	if c, ok := s.channels[f.Channel]; ok {
		switch {
		case c.im:
			ims = append(ims, c.ID)
		case c.Private:
			groups = append(groups, c.ID)
		default:
			channels = append(channels, c.ID)
		}
	}
	permalink := fmt.Sprintf("https://%s.slack.com/files/%s/%s/%s", s.cfg.teamDomain, s.cfg.botUserID, f.ID, f.Filename)
	w := obj{
		"id":                   f.ID,
		"created":              f.At.Unix(),
		"timestamp":            f.At.Unix(),
		"name":                 f.Filename,
		"title":                cmp.Or(f.Title, f.Filename),
		"mimetype":             cmp.Or(mimeTypes[ext], "application/octet-stream"),
		"filetype":             filetype,
		"pretty_type":          strings.ToUpper(filetype),
		"user":                 s.cfg.botUserID,
		"user_team":            s.cfg.teamID,
		"editable":             false,
		"size":                 len(f.Bytes),
		"mode":                 "hosted",
		"is_external":          false,
		"external_type":        "",
		"is_public":            len(channels) > 0,
		"public_url_shared":    false,
		"display_as_bot":       false,
		"username":             "",
		"url_private":          fmt.Sprintf("https://files.slack.com/files-pri/%s-%s/%s", s.cfg.teamID, f.ID, f.Filename),
		"url_private_download": fmt.Sprintf("https://files.slack.com/files-pri/%s-%s/download/%s", s.cfg.teamID, f.ID, f.Filename),
		"permalink":            permalink,
		"channels":             channels,
		"groups":               groups,
		"ims":                  ims,
		"comments_count":       0,
		"has_rich_preview":     false,
		"file_access":          "visible",
	}
	if f.AltText != "" {
		w["alt_txt"] = f.AltText
	}
	return w
}
