package slackfake

import (
	"cmp"
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"
)

// encodeInteraction renders an interaction callback as Slack sends it in an
// interactive envelope: only the fields Slack sends for block_actions and
// view_submission, so that a bot reading the raw payload sees Slack's shape.
// Other types are encoded by slack-go.
func (s *Server) encodeInteraction(cb *slack.InteractionCallback) (json.RawMessage, error) {
	var p obj
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		p = s.blockActionsWire(cb)
	case slack.InteractionTypeViewSubmission:
		p = s.viewSubmissionWire(cb)
	default:
		return json.Marshal(cb)
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("slackfake: encode %s payload: %w", cb.Type, err)
	}
	return data, nil
}

// commonWire holds the fields every interaction payload has.
func (s *Server) commonWire(cb *slack.InteractionCallback) obj {
	return obj{
		"type": cb.Type,
		"user": obj{
			"id":       cb.User.ID,
			"username": cmp.Or(cb.User.Name, cb.User.Username),
			"name":     cmp.Or(cb.User.Name, cb.User.Username),
			"team_id":  cb.User.TeamID,
		},
		"api_app_id":            cb.APIAppID,
		"token":                 cb.Token,
		"trigger_id":            cb.TriggerID,
		"team":                  obj{"id": cb.Team.ID, "domain": cb.Team.Domain},
		"enterprise":            nil,
		"is_enterprise_install": false,
	}
}

func (s *Server) blockActionsWire(cb *slack.InteractionCallback) obj {
	p := s.commonWire(cb)
	switch cb.Container.Type {
	case "view":
		p["container"] = obj{"type": "view", "view_id": cb.Container.ViewID}
	default:
		c := obj{
			"type":         cmp.Or(cb.Container.Type, "message"),
			"message_ts":   cb.Container.MessageTs,
			"channel_id":   cb.Container.ChannelID,
			"is_ephemeral": cb.Container.IsEphemeral,
		}
		if cb.Container.ThreadTs != "" {
			c["thread_ts"] = cb.Container.ThreadTs
		}
		p["container"] = c
	}
	if cb.Channel.ID != "" {
		p["channel"] = obj{"id": cb.Channel.ID, "name": cb.Channel.Name}
	}
	if cb.Message.Timestamp != "" {
		p["message"] = s.messageWireFromSlack(cb.Message)
	}
	if cb.View.ID != "" {
		p["view"] = s.viewWireFromSlack(cb.View)
	}
	state := obj{}
	if cb.BlockActionState != nil {
		state = stateWire(cb.BlockActionState.Values)
	}
	p["state"] = obj{"values": state}
	if cb.ResponseURL != "" {
		p["response_url"] = cb.ResponseURL
	}
	actions := make([]obj, 0, len(cb.ActionCallback.BlockActions))
	for _, a := range cb.ActionCallback.BlockActions {
		actions = append(actions, actionWire(a, true))
	}
	p["actions"] = actions
	return p
}

func (s *Server) viewSubmissionWire(cb *slack.InteractionCallback) obj {
	p := s.commonWire(cb)
	p["view"] = s.viewWireFromSlack(cb.View)
	urls := make([]obj, 0, len(cb.ResponseURLs))
	for _, u := range cb.ResponseURLs {
		urls = append(urls, obj{"block_id": u.BlockID, "action_id": u.ActionID, "channel_id": u.ChannelID, "response_url": u.ResponseURL})
	}
	p["response_urls"] = urls
	return p
}

// messageWireFromSlack renders the message of a block_actions payload.
func (s *Server) messageWireFromSlack(m slack.Message) obj {
	w := obj{"type": cmp.Or(m.Type, "message"), "text": m.Text, "ts": m.Timestamp, "team": cmp.Or(m.Team, s.cfg.teamID)}
	if m.User != "" {
		w["user"] = m.User
	}
	if m.BotID != "" {
		w["bot_id"] = m.BotID
		if m.BotID == s.cfg.botID {
			w["app_id"] = s.cfg.appID
		}
	}
	if m.SubType != "" {
		w["subtype"] = m.SubType
	}
	if m.ThreadTimestamp != "" {
		w["thread_ts"] = m.ThreadTimestamp
	}
	if m.Edited != nil {
		w["edited"] = obj{"user": m.Edited.User, "ts": m.Edited.Timestamp}
	}
	if len(m.Blocks.BlockSet) > 0 {
		w["blocks"] = m.Blocks
	}
	if len(m.Files) > 0 {
		w["files"] = m.Files
		w["upload"] = m.Upload
	}
	return w
}

// viewWireFromSlack renders a view inside an interaction payload.
func (s *Server) viewWireFromSlack(v slack.View) obj {
	blocks := any([]any{})
	if len(v.Blocks.BlockSet) > 0 {
		blocks = v.Blocks
	}
	state := obj{}
	if v.State != nil {
		state = stateWire(v.State.Values)
	}
	var previous any
	if v.PreviousViewID != "" {
		previous = v.PreviousViewID
	}
	return obj{
		"id": v.ID, "team_id": v.TeamID, "type": v.Type, "blocks": blocks,
		"private_metadata": v.PrivateMetadata, "callback_id": v.CallbackID,
		"state": obj{"values": state}, "hash": v.Hash, "title": v.Title,
		"clear_on_close": v.ClearOnClose, "notify_on_close": v.NotifyOnClose,
		"close": v.Close, "submit": v.Submit, "previous_view_id": previous,
		"root_view_id": v.RootViewID, "app_id": v.AppID, "external_id": v.ExternalID,
		"app_installed_team_id": v.AppInstalledTeamID, "bot_id": v.BotID,
	}
}

// stateWire renders state values: block_id → action_id → element state.
func stateWire(values map[string]map[string]slack.BlockAction) obj {
	out := obj{}
	for blockID, actions := range values {
		b := obj{}
		for actionID, a := range actions {
			b[actionID] = actionWire(&a, false)
		}
		out[blockID] = b
	}
	return out
}

// actionWire renders an action (inActions) or an element's state with the
// fields Slack sends for its type; an unset value is null, as in Slack's
// state values.
func actionWire(a *slack.BlockAction, inActions bool) obj {
	w := obj{"type": a.Type}
	if inActions {
		w["action_id"] = a.ActionID
		w["block_id"] = a.BlockID
		w["action_ts"] = a.ActionTs
	}
	orNull := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	listOf := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return l
	}
	switch a.Type {
	case "button":
		w["text"] = a.Text
		if a.Value != "" {
			w["value"] = a.Value
		}
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		w["value"] = orNull(a.Value)
	case "users_select":
		w["selected_user"] = orNull(a.SelectedUser)
	case "multi_users_select":
		w["selected_users"] = listOf(a.SelectedUsers)
	case "conversations_select":
		w["selected_conversation"] = orNull(a.SelectedConversation)
	case "multi_conversations_select":
		w["selected_conversations"] = listOf(a.SelectedConversations)
	case "channels_select":
		w["selected_channel"] = orNull(a.SelectedChannel)
	case "multi_channels_select":
		w["selected_channels"] = listOf(a.SelectedChannels)
	case "static_select", "external_select", "radio_buttons":
		if a.SelectedOption.Value == "" && a.SelectedOption.Text == nil {
			w["selected_option"] = nil
		} else {
			w["selected_option"] = a.SelectedOption
		}
	case "multi_static_select", "multi_external_select", "checkboxes":
		opts := a.SelectedOptions
		if opts == nil {
			opts = []slack.OptionBlockObject{}
		}
		w["selected_options"] = opts
	case "datepicker":
		w["selected_date"] = orNull(a.SelectedDate)
	case "timepicker":
		w["selected_time"] = orNull(a.SelectedTime)
	default:
		// A type the fake does not know: send everything slack-go has.
		data, _ := json.Marshal(a)
		var all obj
		_ = json.Unmarshal(data, &all)
		for k, v := range all {
			if _, set := w[k]; !set {
				w[k] = v
			}
		}
	}
	return w
}
