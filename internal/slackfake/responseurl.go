package slackfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// responseURL is a response_url handed to the bot with a slash command or an
// interaction.
type responseURL struct {
	userID    string
	channelID string
	// messageTS is the message the interaction came from, "" for a slash
	// command; replace_original and delete_original act on it.
	messageTS string
	uses      int
	created   time.Time
}

// responseBody is what a bot posts to a response_url (and what a slash
// command's ack payload may hold).
type responseBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	Metadata        json.RawMessage `json:"metadata"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

// newResponseURL returns a response_url shaped like Slack's
// https://hooks.slack.com/{commands|actions}/T…/1234567890/secret. The caller
// holds s.mu.
func (s *Server) newResponseURL(kind, userID, channelID, messageTS string) string {
	path := fmt.Sprintf("%s/%s/%d/%s", kind, s.cfg.teamID,
		1_000_000_000_000+s.ids.Int64N(9_000_000_000_000), s.randomString(mixedAlnum, 24))
	s.responseURLs[path] = &responseURL{userID: userID, channelID: channelID, messageTS: messageTS, created: s.now()}
	return s.baseURL + path
}

// handleResponseURL serves posts to response_urls.
func (s *Server) handleResponseURL(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	s.mu.Lock()
	var channel, ts string
	if ru, ok := s.responseURLs[path]; ok {
		channel, ts = ru.channelID, ru.messageTS
	}
	s.mu.Unlock()
	s.waitHold("response_url", channel, ts)
	s.serveResponseURL(path, bytes.TrimSpace(body)).write(w)
}

// serveResponseURL answers a post to a response_url. Slack answers a used up
// or expired URL with HTTP 404.
func (s *Server) serveResponseURL(path string, body []byte) reply {
	// Decode and check the body before taking the lock: many people
	// clicking at once must not queue behind each other's JSON.
	var msg responseBody
	parseErr := json.Unmarshal(body, &msg)
	var pre preparedBlocks
	if parseErr == nil {
		pre.out, pre.blocks, pre.err = checkBlocks(msg.Blocks, maxMessageBlocks)
		pre.done = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify()
	s.callCount["response_url"]++
	post := ResponsePost{URL: s.baseURL + path, Body: body, At: s.now()}
	ru, ok := s.responseURLs[path]
	if ok {
		post.User, post.Channel = ru.userID, ru.channelID
	}
	answer := func(status int, code string) reply {
		post.Status, post.Error = status, code
		s.responsePost = append(s.responsePost, post)
		logged := json.RawMessage(body)
		if !json.Valid(body) {
			logged, _ = json.Marshal(string(body))
		}
		s.record("response_url", logged, status, code)
		if status == http.StatusOK {
			return jsonReply(status, obj{"ok": true})
		}
		return jsonReply(status, obj{"ok": false, "error": code})
	}

	if f := s.takeFault("response_url"); f != nil {
		rp := answer(f.status, "fault")
		if f.status == http.StatusTooManyRequests {
			rp.retryAfter = strconv.Itoa(f.retryAfter)
		}
		return rp
	}
	switch {
	case !ok:
		return answer(http.StatusNotFound, "no_service")
	case ru.uses >= s.cfg.responseURLUses:
		return answer(http.StatusNotFound, "used_url")
	case s.now().Sub(ru.created) > s.cfg.responseURLTTL:
		return answer(http.StatusNotFound, "expired_url")
	}
	if parseErr != nil {
		return answer(http.StatusBadRequest, "invalid_payload")
	}
	if _, code := s.respondPrepared(ru.userID, ru.channelID, ru.messageTS, msg, pre, "response_url"); code != "" {
		return answer(http.StatusBadRequest, code)
	}
	ru.uses++
	s.log.Debug("slackfake: response_url post", slog.String("user_id", ru.userID), slog.Int("uses", ru.uses))
	return answer(http.StatusOK, "")
}

// respond does what Slack does with a response to a person, through a
// response_url or a slash command's ack: delete or replace the message the
// interaction came from, or post a new message, ephemeral (the default) or
// in the channel. It returns the message it created or changed, or a Slack
// error code. The caller holds s.mu.
func (s *Server) respond(userID, channelID, originalTS string, body responseBody, source string) (*Message, string) {
	return s.respondPrepared(userID, channelID, originalTS, body, preparedBlocks{}, source)
}

// preparedBlocks are a response's blocks checked before the lock was taken.
type preparedBlocks struct {
	done   bool
	out    json.RawMessage
	blocks []block
	err    error
}

// respondPrepared is respond with the body's blocks already checked, when
// pre.done. The caller holds s.mu.
func (s *Server) respondPrepared(userID, channelID, originalTS string, body responseBody, pre preparedBlocks, source string) (*Message, string) {
	ch, ok := s.channels[channelID]
	if !ok {
		return nil, "channel_not_found"
	}
	original := s.byTS[originalTS]
	if body.DeleteOriginal {
		if original != nil {
			original.Deleted = true
		}
		return original, ""
	}
	var blocks json.RawMessage
	var err error
	switch {
	case !pre.done:
		blocks, pre.blocks, err = s.normalizeDecoded(body.Blocks, maxMessageBlocks)
	case pre.err != nil:
		err = pre.err
	case pre.out == nil && pre.blocks != nil:
		blocks, err = s.fillIDs(pre.blocks)
	default:
		blocks = pre.out
	}
	decoded := pre.blocks
	switch {
	case errors.Is(err, errBlockFormat):
		return nil, "invalid_blocks_format"
	case err != nil:
		return nil, "invalid_blocks"
	}
	meta, apiErr := checkMetadata(body.Metadata)
	if apiErr != nil {
		return nil, apiErr.code
	}
	c := content{text: body.Text, blocks: blocks, metadata: meta, decoded: decoded}
	if c.text == "" && c.blocks == nil {
		return nil, "no_text"
	}
	if body.ReplaceOriginal && original != nil {
		if c.metadata == nil {
			c.metadata = original.Metadata
		}
		s.revise(original, source, c)
		return original, ""
	}
	threadTS := ""
	if body.ThreadTS != "" {
		if parent, e := s.threadParent(ch.ID, body.ThreadTS); e == nil {
			threadTS = parent.TS
		}
	}
	m := s.newBotMessage(source, ch, threadTS, c)
	if body.ResponseType != "in_channel" {
		m.Ephemeral, m.Recipient = true, userID
	}
	s.addMessage(m)
	return m, ""
}

// ResponsePosts returns every post to a response_url, in order.
func (s *Server) ResponsePosts() []ResponsePost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.responsePost, func(p ResponsePost) ResponsePost {
		p.Body = bytes.Clone(p.Body)
		return p
	})
}
