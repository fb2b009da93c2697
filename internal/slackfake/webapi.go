package slackfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// obj is a JSON object in a Web API answer.
type obj = map[string]any

// apiError is a Slack error answer: HTTP 200, {"ok":false,"error":code}.
type apiError struct {
	code  string
	extra obj
}

func fail(code string) *apiError { return &apiError{code: code} }

// failWith answers an error with extra fields, e.g. response_metadata.
func failWith(code string, extra obj) *apiError { return &apiError{code: code, extra: extra} }

// request is one Web API call, form-encoded or JSON.
type request struct {
	method string
	form   url.Values                 // form fields and query parameters
	body   map[string]json.RawMessage // JSON body, nil for a form
	token  string
}

// str returns a parameter as a string.
func (r *request) str(key string) string {
	if v, ok := r.body[key]; ok {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		if bytes.Equal(v, []byte("null")) {
			return ""
		}
		return string(v)
	}
	return r.form.Get(key)
}

// has reports whether a parameter was sent.
func (r *request) has(key string) bool {
	if _, ok := r.body[key]; ok {
		return true
	}
	_, ok := r.form[key]
	return ok
}

// flag returns a boolean parameter: "true" or "1".
func (r *request) flag(key string) bool {
	v := r.str(key)
	return v == "true" || v == "1"
}

// raw returns a parameter that holds JSON (blocks, metadata, view): in a
// form it is a string of JSON, in a JSON body a value or a string of JSON.
func (r *request) raw(key string) json.RawMessage {
	if v, ok := r.body[key]; ok {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return json.RawMessage(s)
		}
		return v
	}
	if v := r.form.Get(key); v != "" {
		return json.RawMessage(v)
	}
	return nil
}

// payload returns the request as JSON for the everything-log, without the
// token, with JSON-valued form fields embedded as JSON.
func (r *request) payload() json.RawMessage {
	out := make(map[string]any)
	for k, v := range r.body {
		if k != "token" {
			out[k] = v
		}
	}
	for k, vs := range r.form {
		if k == "token" || len(vs) == 0 {
			continue
		}
		v := vs[0]
		if t := strings.TrimSpace(v); (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)) {
			out[k] = json.RawMessage(t)
			continue
		}
		out[k] = v
	}
	b, err := json.Marshal(out)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return b
}

// parseRequest reads a Web API call. Slack accepts form-encoded and JSON
// bodies (JSON only with the token in the Authorization header) and query
// parameters.
func parseRequest(hr *http.Request, method string) (*request, error) {
	r := &request{method: method, form: url.Values{}}
	if auth := hr.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		r.token = strings.TrimPrefix(auth, "Bearer ")
	}
	ctype, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type"))
	switch ctype {
	case "application/json":
		data, err := io.ReadAll(io.LimitReader(hr.Body, 4<<20))
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, &r.body); err != nil {
				return nil, fmt.Errorf("invalid JSON body: %w", err)
			}
		}
		r.form = hr.URL.Query()
	case "multipart/form-data":
		if err := hr.ParseMultipartForm(4 << 20); err != nil {
			return nil, err
		}
		r.form = hr.Form
	default:
		if err := hr.ParseForm(); err != nil {
			return nil, err
		}
		r.form = hr.Form
	}
	if r.token == "" && r.body == nil {
		r.token = r.form.Get("token")
	}
	return r, nil
}

type tokenKind int

const (
	botToken tokenKind = iota
	appToken
	userToken
	// oauthToken is a bot or a user token: auth.test takes either.
	oauthToken
)

type handlerFunc func(*request) (obj, *apiError)

// route returns the handler of a Web API method and the token it needs.
func (s *Server) route(method string) (handlerFunc, tokenKind, bool) {
	switch method {
	case "auth.test":
		return s.authTest, oauthToken, true
	case "apps.connections.open":
		return s.appsConnectionsOpen, appToken, true
	case "chat.postMessage":
		return s.chatPostMessage, botToken, true
	case "chat.update":
		return s.chatUpdate, botToken, true
	case "chat.delete":
		return s.chatDelete, botToken, true
	case "chat.postEphemeral":
		return s.chatPostEphemeral, botToken, true
	case "chat.scheduleMessage":
		return s.chatScheduleMessage, botToken, true
	case "chat.deleteScheduledMessage":
		return s.chatDeleteScheduledMessage, botToken, true
	case "conversations.open":
		return s.conversationsOpen, botToken, true
	case "conversations.info":
		return s.conversationsInfo, botToken, true
	case "conversations.history":
		return s.conversationsHistory, botToken, true
	case "conversations.replies":
		return s.conversationsReplies, botToken, true
	case "conversations.members":
		return s.conversationsMembers, botToken, true
	case "conversations.list":
		return s.conversationsList, botToken, true
	case "users.info":
		return s.usersInfo, botToken, true
	case "users.list":
		return s.usersList, botToken, true
	case "bots.info":
		return s.botsInfo, botToken, true
	case "views.open":
		return s.viewsOpen, botToken, true
	case "views.push":
		return s.viewsPush, botToken, true
	case "views.update":
		return s.viewsUpdate, botToken, true
	case "views.publish":
		return s.viewsPublish, botToken, true
	case "files.getUploadURLExternal":
		return s.filesGetUploadURLExternal, botToken, true
	case "files.completeUploadExternal":
		return s.filesCompleteUploadExternal, botToken, true
	}
	return nil, 0, false
}

// handleAPI serves https://slack.com/api/{method}.
func (s *Server) handleAPI(w http.ResponseWriter, hr *http.Request) {
	r, err := parseRequest(hr, hr.PathValue("method"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.waitHold(r.method, r.str("channel"), r.str("ts"))
	rp := s.serveAPI(r)
	s.scopeHeaders(r, &rp)
	rp.write(w)
}

// serveAPI answers a Web API call the way Slack checks it: the method, then
// injected faults, the token, the rate limits, and the method's own checks.
func (s *Server) serveAPI(r *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify()
	s.callCount[r.method]++

	handler, need, ok := s.route(r.method)
	if !ok {
		return s.errorReply(r, fail("unknown_method"), obj{"req_method": r.method})
	}
	if f := s.takeFault(r.method); f != nil {
		return s.faultReply(r, f.status, f.retryAfter)
	}
	if e := s.authorize(r.token, need); e != nil {
		return s.errorReply(r, e, nil)
	}
	if e := s.checkScopes(r); e != nil {
		return s.errorReply(r, e, nil)
	}
	if retryAfter, limited := s.rateLimit(r); limited {
		s.rateLimited++
		s.rateLimitedBy[r.method]++
		return s.faultReply(r, http.StatusTooManyRequests, retryAfter)
	}
	resp, e := handler(r)
	if e != nil {
		return s.errorReply(r, e, nil)
	}
	resp["ok"] = true
	s.record(r.method, r.payload(), http.StatusOK, "")
	return jsonReply(http.StatusOK, resp)
}

// authorize checks a token as Slack does: none is not_authed, an unknown one
// invalid_auth, a known one of the wrong kind not_allowed_token_type, a
// revoked or broken one what Slack answers for it.
func (s *Server) authorize(token string, need tokenKind) *apiError {
	if token == "" {
		return fail("not_authed")
	}
	have, known := s.tokenKindOf(token)
	if !known {
		return fail("invalid_auth")
	}
	if err := authorizeKind(have, need); err != nil {
		return err
	}
	switch {
	case have == botToken && s.botTokenError != "":
		return fail(s.botTokenError)
	case have == appToken && s.appTokenError != "":
		return fail(s.appTokenError)
	}
	return nil
}

// errorReply answers a Slack error: HTTP 200 with ok false. The caller holds
// s.mu.
func (s *Server) errorReply(r *request, e *apiError, extra obj) reply {
	resp := obj{"ok": false, "error": e.code}
	for k, v := range e.extra {
		resp[k] = v
	}
	for k, v := range extra {
		resp[k] = v
	}
	s.log.Debug("slackfake: api error", slog.String("method", r.method), slog.String("error", e.code))
	s.record(r.method, r.payload(), http.StatusOK, e.code)
	return jsonReply(http.StatusOK, resp)
}

// faultReply answers a 429 (with Retry-After in seconds, as Slack sends it)
// or a 5xx (with an HTML body, as Slack's load balancers send). The caller
// holds s.mu.
func (s *Server) faultReply(r *request, status, retryAfter int) reply {
	s.log.Debug("slackfake: fault", slog.String("method", r.method), slog.Int("status", status))
	if status == http.StatusTooManyRequests {
		s.record(r.method, r.payload(), status, "ratelimited")
		rp := jsonReply(status, obj{"ok": false, "error": "ratelimited"})
		rp.retryAfter = strconv.Itoa(retryAfter)
		return rp
	}
	s.record(r.method, r.payload(), status, strconv.Itoa(status))
	return reply{
		status:      status,
		contentType: "text/html; charset=utf-8",
		body:        fmt.Appendf(nil, "<html><body><h1>%d %s</h1></body></html>\n", status, http.StatusText(status)),
	}
}

// reply is an HTTP answer, prepared while holding s.mu and written after, so
// that a slow client never holds the lock.
type reply struct {
	status      int
	contentType string
	retryAfter  string
	body        []byte
	// oauthScopes and acceptedScopes are the X-OAuth-Scopes and
	// X-Accepted-OAuth-Scopes headers, sent when the token is known.
	oauthScopes    *string
	acceptedScopes string
}

func jsonReply(status int, v any) reply {
	data, err := json.Marshal(v)
	if err != nil {
		return reply{status: http.StatusInternalServerError, contentType: "text/plain; charset=utf-8", body: []byte(err.Error())}
	}
	return reply{status: status, contentType: "application/json; charset=utf-8", body: data}
}

func (rp reply) write(w http.ResponseWriter) {
	if rp.retryAfter != "" {
		w.Header().Set("Retry-After", rp.retryAfter)
	}
	if rp.oauthScopes != nil {
		w.Header().Set("X-OAuth-Scopes", *rp.oauthScopes)
		w.Header().Set("X-Accepted-OAuth-Scopes", rp.acceptedScopes)
	}
	w.Header().Set("Content-Type", rp.contentType)
	w.WriteHeader(rp.status)
	_, _ = w.Write(rp.body)
}

// authTest answers auth.test.
func (s *Server) authTest(r *request) (obj, *apiError) {
	if user, ok := s.authTestUser(r); ok {
		return user, nil
	}
	return obj{
		"url":                   "https://" + s.cfg.teamDomain + ".slack.com/",
		"team":                  s.cfg.teamName,
		"user":                  s.cfg.botName,
		"team_id":               s.cfg.teamID,
		"user_id":               s.cfg.botUserID,
		"bot_id":                s.cfg.botID,
		"is_enterprise_install": false,
	}, nil
}

// appsConnectionsOpen answers apps.connections.open with a single-use
// websocket URL, shaped like Slack's wss://wss-primary.slack.com/link/?ticket=….
func (s *Server) appsConnectionsOpen(*request) (obj, *apiError) {
	if s.inst.socketOff {
		return obj{"url": s.disabledSocketURL()}, nil
	}
	ticket := s.newEnvelopeID()
	s.tickets[ticket] = true
	u := "ws://" + strings.TrimPrefix(s.baseURL, "http://") + "link/?ticket=" + ticket + "&app_id=" + s.cfg.appID
	return obj{"url": u}, nil
}
