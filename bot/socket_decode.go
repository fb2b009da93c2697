package bot

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// socketEvent is one thing the Socket Mode reader hands the bot, in the
// order it arrived: a change of the connection, or an envelope decoded into
// slack-go's types.
type socketEvent struct {
	Type       socketmode.EventType
	EnvelopeID string
	// Data is a slack.SlashCommand, a slack.InteractionCallback, a
	// slackevents.EventsAPIEvent, or the error of a connection that failed.
	Data any
}

// socketEnvelope is the part of a Socket Mode frame every type shares.
type socketEnvelope struct {
	Type       string          `json:"type"`
	EnvelopeID string          `json:"envelope_id"`
	Reason     string          `json:"reason"`
	Payload    json.RawMessage `json:"payload"`
}

// clickPayload is what a click (block_actions) needs of its payload. Slack
// echoes the clicked message, or the whole view of a click in a modal or
// the App Home; nothing reads either, and decoding their blocks into
// slack-go's types costs more than the rest of the click. Only the view's
// identity is kept.
type clickPayload struct {
	Type slack.InteractionType `json:"type"`
	User struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		TeamID string `json:"team_id"`
	} `json:"user"`
	Team struct {
		ID     string `json:"id"`
		Domain string `json:"domain"`
	} `json:"team"`
	Channel struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"channel"`
	Container   slack.Container `json:"container"`
	TriggerID   string          `json:"trigger_id"`
	ResponseURL string          `json:"response_url"`
	APIAppID    string          `json:"api_app_id"`
	View        struct {
		ID              string         `json:"id"`
		TeamID          string         `json:"team_id"`
		Type            slack.ViewType `json:"type"`
		CallbackID      string         `json:"callback_id"`
		PrivateMetadata string         `json:"private_metadata"`
		ExternalID      string         `json:"external_id"`
		Hash            string         `json:"hash"`
	} `json:"view"`
	Actions []struct {
		ActionID             string           `json:"action_id"`
		BlockID              string           `json:"block_id"`
		Type                 slack.ActionType `json:"type"`
		Value                string           `json:"value"`
		ActionTs             string           `json:"action_ts"`
		SelectedUser         string           `json:"selected_user"`
		SelectedChannel      string           `json:"selected_channel"`
		SelectedConversation string           `json:"selected_conversation"`
		SelectedDate         string           `json:"selected_date"`
		SelectedOption       struct {
			Value string `json:"value"`
		} `json:"selected_option"`
	} `json:"actions"`
}

// callback is the click as slack-go's type, with what the handlers read.
func (p *clickPayload) callback() slack.InteractionCallback {
	cb := slack.InteractionCallback{
		Type:        p.Type,
		TriggerID:   p.TriggerID,
		ResponseURL: p.ResponseURL,
		APIAppID:    p.APIAppID,
		Container:   p.Container,
	}
	cb.User.ID, cb.User.Name, cb.User.TeamID = p.User.ID, p.User.Name, p.User.TeamID
	cb.Team.ID, cb.Team.Domain = p.Team.ID, p.Team.Domain
	cb.Channel.ID, cb.Channel.Name = p.Channel.ID, p.Channel.Name
	cb.View.ID, cb.View.TeamID, cb.View.Type, cb.View.CallbackID = p.View.ID, p.View.TeamID, p.View.Type, p.View.CallbackID
	cb.View.PrivateMetadata, cb.View.ExternalID, cb.View.Hash = p.View.PrivateMetadata, p.View.ExternalID, p.View.Hash
	actions := make([]slack.BlockAction, len(p.Actions))
	cb.ActionCallback.BlockActions = make([]*slack.BlockAction, len(p.Actions))
	for i, a := range p.Actions {
		actions[i] = slack.BlockAction{ActionID: a.ActionID, BlockID: a.BlockID, Type: a.Type, Value: a.Value, ActionTs: a.ActionTs,
			SelectedUser: a.SelectedUser, SelectedChannel: a.SelectedChannel, SelectedConversation: a.SelectedConversation,
			SelectedDate: a.SelectedDate, SelectedOption: slack.OptionBlockObject{Value: a.SelectedOption.Value}}
		cb.ActionCallback.BlockActions[i] = &actions[i]
	}
	return cb
}

// clickFrame is a frame decoded as if it were a click: one pass over the
// frame for the envelope that matters most.
type clickFrame struct {
	Type       string       `json:"type"`
	EnvelopeID string       `json:"envelope_id"`
	Payload    clickPayload `json:"payload"`
}

// decodeSocketFrame decodes one Socket Mode frame. A click is decoded in
// one pass into the few fields it needs; every other envelope into
// slack-go's types as slack-go's own client does. It returns the envelope
// too, for a disconnect's reason.
func decodeSocketFrame(frame []byte) (socketEvent, socketEnvelope, error) {
	slim, ok := withoutEcho(frame)
	if !ok {
		slim = frame
	}
	var click clickFrame
	if err := json.Unmarshal(slim, &click); err == nil && click.Type == socketmode.RequestTypeInteractive &&
		click.Payload.Type == slack.InteractionTypeBlockActions {
		return socketEvent{Type: socketmode.EventTypeInteractive, EnvelopeID: click.EnvelopeID, Data: click.Payload.callback()},
			socketEnvelope{Type: click.Type, EnvelopeID: click.EnvelopeID}, nil
	}
	var env socketEnvelope
	if err := json.Unmarshal(frame, &env); err != nil {
		return socketEvent{}, env, fmt.Errorf("decode socket mode frame: %w", err)
	}
	evt := socketEvent{EnvelopeID: env.EnvelopeID}
	switch env.Type {
	case socketmode.RequestTypeHello:
		evt.Type = socketmode.EventTypeHello
	case socketmode.RequestTypeDisconnect:
		evt.Type = socketmode.EventTypeDisconnect
	case socketmode.RequestTypeSlashCommands:
		var cmd slack.SlashCommand
		if err := json.Unmarshal(env.Payload, &cmd); err != nil {
			return socketEvent{}, env, fmt.Errorf("decode slash command: %w", err)
		}
		evt.Type, evt.Data = socketmode.EventTypeSlashCommand, cmd
	case socketmode.RequestTypeInteractive:
		// Forms submitted or closed, shortcuts: slack-go's type, whole.
		var cb slack.InteractionCallback
		if err := json.Unmarshal(env.Payload, &cb); err != nil {
			return socketEvent{}, env, fmt.Errorf("decode interaction: %w", err)
		}
		evt.Type, evt.Data = socketmode.EventTypeInteractive, cb
	case socketmode.RequestTypeEventsAPI:
		outer, err := slackevents.ParseEvent(env.Payload, slackevents.OptionNoVerifyToken())
		if err != nil {
			return socketEvent{}, env, fmt.Errorf("decode events api event: %w", err)
		}
		evt.Type, evt.Data = socketmode.EventTypeEventsAPI, outer
	default:
		return socketEvent{}, env, fmt.Errorf("socket mode frame of unknown type %q", env.Type)
	}
	return evt, env, nil
}

// withoutEcho returns frame without the message Slack echoes in a click's
// payload ("payload"."message"), found by a scan that only counts brackets
// and skips strings, many times faster than decoding it. It reports false,
// for the caller to decode frame whole, when frame is not an object with an
// object payload holding a message.
func withoutEcho(frame []byte) ([]byte, bool) {
	start, end, ok := member(frame, "payload")
	if !ok || frame[start] != '{' {
		return nil, false
	}
	payload := frame[start:end]
	mStart, mEnd, ok := member(payload, "message")
	if !ok {
		return nil, false
	}
	// Cut the member with its key and one neighbouring comma.
	keyStart := bytes.LastIndexByte(payload[:mStart], '"')
	keyStart = bytes.LastIndexByte(payload[:keyStart], '"')
	if keyStart < 0 {
		return nil, false
	}
	before, after := payload[:keyStart], payload[mEnd:]
	if t := bytes.TrimRight(before, " \t\r\n"); len(t) > 0 && t[len(t)-1] == ',' {
		before = t[:len(t)-1]
	} else if t := bytes.TrimLeft(after, " \t\r\n"); len(t) > 0 && t[0] == ',' {
		after = t[1:]
	}
	out := make([]byte, 0, len(frame)-(mEnd-keyStart))
	out = append(out, frame[:start]...)
	out = append(out, before...)
	out = append(out, after...)
	return append(out, frame[end:]...), true
}

// member finds the value of key among the members of the JSON object obj
// (not inside its values): it returns where the value starts and ends.
func member(obj []byte, key string) (start, end int, ok bool) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return 0, 0, false
	}
	i++
	for {
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return 0, 0, false
		}
		keyEnd, ok := skipString(obj, i)
		if !ok {
			return 0, 0, false
		}
		name := obj[i+1 : keyEnd-1]
		i = skipSpace(obj, keyEnd)
		if i >= len(obj) || obj[i] != ':' {
			return 0, 0, false
		}
		i = skipSpace(obj, i+1)
		valueEnd, ok := skipValue(obj, i)
		if !ok {
			return 0, 0, false
		}
		if string(name) == key {
			return i, valueEnd, true
		}
		i = skipSpace(obj, valueEnd)
		if i >= len(obj) || obj[i] != ',' {
			return 0, 0, false
		}
		i++
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the end of the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// skipValue returns the end of the JSON value starting at b[i]. It checks
// brackets, not grammar: encoding/json checks what is kept.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return 0, false
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i, true
		}
	}
	return i, true
}
