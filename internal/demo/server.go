package demo

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/alignbot/alignbot/internal/slackfake"
)

//go:embed assets
var assets embed.FS

var pageTemplate = template.Must(template.ParseFS(assets, "assets/page.html"))

func (d *Demo) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.handlePage)
	mux.HandleFunc("GET /part", d.handlePart)
	mux.HandleFunc("GET /events", d.handleEvents)
	mux.HandleFunc("GET /files/{id}", d.handleFile)
	mux.Handle("GET /assets/", http.FileServerFS(assets))
	for route, h := range map[string]func(context.Context, request) (any, error){
		"/act":     d.act,
		"/submit":  d.submit,
		"/close":   d.closeModal,
		"/command": d.command,
		"/clock":   d.moveClock,
		"/play":    d.play,
	} {
		mux.HandleFunc("POST "+route, d.post(h))
	}
	return mux
}

func (d *Demo) handlePage(w http.ResponseWriter, r *http.Request) {
	v, err := d.resolve(r.URL.Query())
	if err != nil {
		pageFailed(w, err)
		return
	}
	d.opened(v)
	p := d.render(r.Context(), v)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	data := map[string]any{
		"Token": d.token, "As": v.as.ID, "C": v.c, "Thread": v.thread, "Msg": v.msg, "Title": p.Title,
		"Clock": template.HTML(p.Clock), "Sidebar": template.HTML(p.Sidebar), "Header": template.HTML(p.Header),
		"Guide": template.HTML(p.Guide), "Timeline": template.HTML(p.Timeline), "ThreadPart": template.HTML(p.Thread),
		"Modal": template.HTML(p.Modal), "ModalKey": p.ModalKey, "Composer": p.Composer, "Home": v.c == "home", "Hash": p.Hashes,
	}
	if err := pageTemplate.Execute(w, data); err != nil {
		d.log.Warn("page failed", "error", err)
	}
}

// opened tells alignbot that the person opened its Home tab, as Slack does.
func (d *Demo) opened(v view) {
	if v.c == "home" {
		if _, err := d.fake.OpenAppHome(v.as.ID); err != nil {
			d.log.Warn("app_home_opened failed", "error", err)
		}
	}
}

func (d *Demo) handlePart(w http.ResponseWriter, r *http.Request) {
	v, err := d.resolve(r.URL.Query())
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, d.render(r.Context(), v))
}

// handleEvents pushes a note to the page whenever the fake Slack or the
// demo changes; the page then fetches its parts again.
func (d *Demo) handleEvents(w http.ResponseWriter, r *http.Request) {
	if _, err := d.resolve(r.URL.Query()); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		fake, demo := d.fake.Changed(), d.changes()
		select {
		case <-r.Context().Done():
			return
		case <-fake:
		case <-demo:
		case <-ping.C:
		}
		if _, err := io.WriteString(w, "data: changed\n\n"); err != nil {
			return
		}
		flusher.Flush()
	}
}

// handleFile serves a file shared in a conversation the person can see
// (the reveal's chart).
func (d *Demo) handleFile(w http.ResponseWriter, r *http.Request) {
	v, err := d.resolve(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	f, ok := d.fake.File(r.PathValue("id"))
	if !ok || f.Channel == "" || !d.fake.CanSee(v.as.ID, f.Channel) || len(f.Bytes) == 0 {
		http.Error(w, fmt.Sprintf("There is no file %q that %s can see.", r.PathValue("id"), v.as.First), http.StatusNotFound)
		return
	}
	ctype := mime.TypeByExtension(path.Ext(f.Filename))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(f.Bytes)
}

func pageFailed(w http.ResponseWriter, err error) {
	var pe pageError
	status := http.StatusInternalServerError
	if errors.As(err, &pe) {
		status = http.StatusNotFound
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><title>alignbot demo</title><link rel="stylesheet" href="/assets/page.css">`+
		`<div class="page-error"><h1>Not here</h1><p>%s</p><p><a href="/">Back to #%s as Fran</a></p></div>`, esc(err.Error()), channel)
}

// request is what the page posts: who acts, and what they did.
type request struct {
	As      string                       `json:"as"`
	C       string                       `json:"c"`
	Channel string                       `json:"ch"`
	TS      string                       `json:"ts"`
	View    string                       `json:"view"`
	Block   string                       `json:"block"`
	Action  string                       `json:"action"`
	Text    string                       `json:"text"`
	Values  map[string]map[string]string `json:"values"`
	Jump    string                       `json:"jump"`
	To      string                       `json:"to"`
	Pattern string                       `json:"pattern"`

	person Person
}

// refused is a request that asks for something that does not exist or is
// not the person's to do: answered 400 with what is wrong, nothing sent.
type refused struct{ msg string }

func (e refused) Error() string { return e.msg }

func refuse(format string, args ...any) error { return refused{fmt.Sprintf(format, args...)} }

// post checks the page's token and the person, then runs h. The token is
// the demo's own, written into its page: a form posted by another site
// does not have it.
func (d *Demo) post(h func(context.Context, request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := r.Header.Get("X-Demo-Token")
		if subtle.ConstantTimeCompare([]byte(token), []byte(d.token)) != 1 {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "This request did not come from the demo's page (its token is missing or wrong): reload the page."})
			return
		}
		var req request
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "The request is not JSON the page sends: " + err.Error()})
			return
		}
		p, ok := personByID(req.As)
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("There is no person %q in the demo workspace.", req.As)})
			return
		}
		req.person = p
		ctx, cancel := context.WithTimeout(r.Context(), 90*time.Second)
		defer cancel()
		out, err := h(ctx, req)
		var bad refused
		var back ErrBackwards
		switch {
		case errors.As(err, &bad), errors.As(err, &back):
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		case errors.Is(err, errBusy), errors.Is(err, errNothingScheduled):
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		case err != nil:
			d.log.Warn("demo request failed", "path", r.URL.Path, "error", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		case out == nil:
			writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		default:
			writeJSON(w, http.StatusOK, out)
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// conversation resolves the page's name for a conversation ("dm" or a
// channel ID) to one the person can see.
func (d *Demo) conversation(req request, id string) (string, error) {
	if id == "dm" {
		dm, ok := d.fake.DMChannel(req.person.ID)
		if !ok {
			return "", refuse("%s has no DM with alignbot yet.", req.person.First)
		}
		return dm, nil
	}
	if id == "" || !d.fake.CanSee(req.person.ID, id) {
		return "", refuse("There is no conversation %q that %s can see.", id, req.person.First)
	}
	return id, nil
}

// act clicks a button of a message or a view, as the person. The fake
// checks that the button is on a message or view the person sees.
func (d *Demo) act(ctx context.Context, req request) (any, error) {
	if req.Block == "" || req.Action == "" {
		return nil, refuse("A click names its button's block and action.")
	}
	if req.View != "" {
		if _, err := d.fake.ClickViewAction(req.person.ID, req.View, req.Block, req.Action); err != nil {
			return nil, refuse("That button is not on a view %s has open (%s).", req.person.First, clean(err))
		}
		return nil, nil
	}
	ch, err := d.conversation(req, req.Channel)
	if err != nil {
		return nil, err
	}
	if !d.visible(req.person.ID, ch, req.TS) {
		return nil, refuse("There is no message %q that %s can see.", req.TS, req.person.First)
	}
	if _, err := d.fake.ClickAction(req.person.ID, slackfake.Message{Channel: ch, TS: req.TS}, req.Block, req.Action); err != nil {
		return nil, refuse("That button is not on a message %s can see (%s).", req.person.First, clean(err))
	}
	return nil, nil
}

// submit submits the person's open modal with what they entered, and
// returns the bot's validation errors, if any, by block.
func (d *Demo) submit(ctx context.Context, req request) (any, error) {
	open, ok := d.fake.OpenView(req.person.ID)
	if !ok || open.ID != req.View {
		return nil, refuse("%s has no form %q open.", req.person.First, req.View)
	}
	resp, err := d.fake.SubmitView(ctx, req.person.ID, req.View, req.Values)
	if err != nil {
		return nil, refuse("The form was not sent: %s.", clean(err))
	}
	if resp != nil && resp.ResponseAction == "errors" {
		return map[string]any{"errors": resp.Errors}, nil
	}
	return nil, nil
}

func (d *Demo) closeModal(ctx context.Context, req request) (any, error) {
	if _, err := d.fake.CloseView(req.person.ID, req.View); err != nil {
		return nil, refuse("%s has no form %q open.", req.person.First, req.View)
	}
	return nil, nil
}

var (
	typedMention = regexp.MustCompile(`(^|[\s(])@([A-Za-z][A-Za-z0-9._-]*)`)
	typedChannel = regexp.MustCompile(`(^|[\s(])#([a-z0-9][a-z0-9_-]*)`)
)

// escapeTyped writes what a person typed as Slack's client sends it: &, <
// and > escaped, and @name and #channel turned into mentions.
func (d *Demo) escapeTyped(text string) string {
	text = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(text)
	text = typedMention.ReplaceAllStringFunc(text, func(m string) string {
		sub := typedMention.FindStringSubmatch(m)
		for _, p := range people {
			if strings.EqualFold(sub[2], p.Handle) || strings.EqualFold(sub[2], p.First) {
				return sub[1] + d.fake.MentionUser(p.ID)
			}
		}
		return m
	})
	return typedChannel.ReplaceAllStringFunc(text, func(m string) string {
		sub := typedChannel.FindStringSubmatch(m)
		for _, c := range d.fake.Channels() {
			if c.Name == sub[2] {
				return sub[1] + d.fake.MentionChannel(c.ID)
			}
		}
		return m
	})
}

// command sends what the person typed: a slash command, a message to
// alignbot in its Messages tab, or a message in the channel.
func (d *Demo) command(ctx context.Context, req request) (any, error) {
	text := strings.TrimSpace(req.Text)
	if text == "" {
		return nil, refuse("Type something first, such as /alignment help.")
	}
	channelID := ""
	if req.C != "dm" {
		var err error
		if channelID, err = d.conversation(req, req.C); err != nil {
			return nil, err
		}
	}
	if strings.HasPrefix(text, "/") {
		name, args, _ := strings.Cut(text, " ")
		if name != "/alignment" {
			return nil, refuse("%s is not a command in this workspace: the one installed is /alignment (try /alignment help).", name)
		}
		if _, err := d.fake.SlashCommand(req.person.ID, channelID, d.escapeTyped(strings.TrimSpace(args))); err != nil {
			return nil, refuse("%s", clean(err))
		}
		return nil, nil
	}
	if channelID == "" {
		if _, err := d.fake.SendDirectMessage(req.person.ID, d.escapeTyped(text)); err != nil {
			return nil, refuse("%s", clean(err))
		}
		return nil, nil
	}
	if _, err := d.fake.AddUserMessage(req.person.ID, channelID, d.escapeTyped(text)); err != nil {
		return nil, refuse("%s", clean(err))
	}
	return nil, nil
}

// moveClock moves the demo's clock: to a time (RFC 3339), or by a jump.
func (d *Demo) moveClock(ctx context.Context, req request) (any, error) {
	var to time.Time
	var j jump
	switch {
	case req.To != "":
		t, err := time.Parse(time.RFC3339, req.To)
		if err != nil {
			return nil, refuse("%q is not a time such as 2026-12-24T09:00:00Z.", req.To)
		}
		if now := d.clock.Now(); t.Before(now) {
			return nil, ErrBackwards{Now: now, To: t}
		}
		to = t
	case req.Jump != "":
		var ok bool
		if j, ok = jumpByID(req.Jump); !ok {
			return nil, refuse("There is no jump %q: the jumps are nudge, deadline, day, month and rerun.", req.Jump)
		}
	default:
		return nil, refuse("Say where the clock goes: a jump or a time.")
	}
	if err := d.travel(ctx, to, j); err != nil {
		return nil, err
	}
	return map[string]string{"now": d.clock.Now().UTC().Format(time.RFC3339)}, nil
}

func (d *Demo) play(ctx context.Context, req request) (any, error) {
	p, ok := patternByID(req.Pattern)
	if !ok {
		return nil, refuse("There is no way of answering %q.", req.Pattern)
	}
	if err := d.startPlay(ctx, req.person.ID, p); err != nil {
		return nil, refuse("%s", err.Error())
	}
	return nil, nil
}

// clean drops the fake's package prefix from its errors.
func clean(err error) string {
	return strings.TrimPrefix(err.Error(), "slackfake: ")
}

// viewChrome is a view's title, submit and close texts.
type viewChrome struct{ submit, close string }

func decodeView(raw json.RawMessage) viewChrome {
	var v struct {
		Submit *struct {
			Text string `json:"text"`
		} `json:"submit"`
		Close *struct {
			Text string `json:"text"`
		} `json:"close"`
	}
	_ = json.Unmarshal(raw, &v)
	var c viewChrome
	if v.Submit != nil {
		c.submit = v.Submit.Text
	}
	if v.Close != nil {
		c.close = v.Close.Text
	}
	return c
}
