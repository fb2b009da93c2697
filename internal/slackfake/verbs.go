package slackfake

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"
)

// SlashCommand types the configured slash command (default /alignment) with
// text in a channel, as userID, and sends the slash_commands envelope. An
// empty channelID means the bot's DM with the user (the app's Messages tab).
// The person must be a member of the channel. It returns the envelope ID.
//
// text is sent as typed; Slack escapes mentions when the command asks it to
// (should_escape), which MentionUser and MentionChannel reproduce.
func (s *Server) SlashCommand(userID, channelID, text string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return "", fmt.Errorf("slackfake: no user %s", userID)
	}
	var ch *channel
	if channelID == "" {
		ch = s.dmWith(userID)
	} else if ch, ok = s.channels[channelID]; !ok {
		return "", fmt.Errorf("slackfake: no channel %s", channelID)
	}
	if !ch.hasMember(userID) {
		return "", fmt.Errorf("slackfake: %s is not in %s and cannot type there", userID, channelID)
	}
	payload, err := json.Marshal(obj{
		"token":                 s.cfg.verificationToken,
		"team_id":               s.cfg.teamID,
		"team_domain":           s.cfg.teamDomain,
		"channel_id":            ch.ID,
		"channel_name":          ch.payloadName(),
		"user_id":               u.ID,
		"user_name":             u.Name,
		"command":               s.cfg.command,
		"text":                  text,
		"api_app_id":            s.cfg.appID,
		"is_enterprise_install": false,
		"response_url":          s.newResponseURL("commands", u.ID, ch.ID, ""),
		"trigger_id":            s.issueTrigger(u.ID),
	})
	if err != nil {
		return "", fmt.Errorf("slackfake: encode slash command: %w", err)
	}
	e := s.newEnvelope(EnvelopeSlashCommands, payload, true)
	e.userID, e.channelID = u.ID, ch.ID
	s.dispatch(e)
	s.notify()
	return e.id, nil
}

// OpenAppHome opens the app's Home tab as userID: it sends an events_api
// envelope with an app_home_opened event (tab "home", the user's DM channel,
// and the view last published for the user, if any). It returns the
// envelope ID.
func (s *Server) OpenAppHome(userID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return "", fmt.Errorf("slackfake: no user %s", userID)
	}
	dm := s.dmWith(userID)
	event := obj{"type": "app_home_opened", "user": userID, "channel": dm.ID, "tab": "home", "event_ts": s.actionTS()}
	if v, ok := s.views[s.homes[userID]]; ok {
		event["view"] = s.wireView(v)
	}
	return s.sendEvent(event, userID, dm.ID)
}

// SendDirectMessage types text as userID in the app's Messages tab: the
// message joins the user's DM with the bot (as AddUserMessage would add it)
// and the bot gets the events_api envelope of a message.im event, which
// slack-go decodes into a *slackevents.MessageEvent with ChannelType "im".
// It returns the envelope ID.
//
// Only people's messages make events: the bot's own posts never do (Slack
// would send them with a bot_id; a bot that subscribes to message.im must
// skip those, and the fake spares it the trouble).
func (s *Server) SendDirectMessage(userID, text string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	switch {
	case !ok:
		return "", fmt.Errorf("slackfake: no user %s", userID)
	case u.Deleted:
		return "", fmt.Errorf("slackfake: %s is deactivated and cannot type", userID)
	case u.IsBot:
		return "", fmt.Errorf("slackfake: %s is a bot, not a person", userID)
	}
	dm := s.dmWith(userID)
	m := s.addUserMessage(userID, dm, text)
	event := obj{
		"type":          "message",
		"channel_type":  "im",
		"channel":       dm.ID,
		"user":          userID,
		"text":          text,
		"ts":            m.TS,
		"event_ts":      m.TS,
		"team":          s.cfg.teamID,
		"client_msg_id": s.newEnvelopeID(),
		"blocks":        richTextBlocks(s.randomString(mixedAlnum, 5), text),
	}
	return s.sendEvent(event, userID, dm.ID)
}

// richTextBlocks is the rich_text block Slack's client attaches to what a
// person types: one section holding the text.
func richTextBlocks(blockID, text string) []obj {
	return []obj{{
		"type":     "rich_text",
		"block_id": blockID,
		"elements": []obj{{
			"type":     "rich_text_section",
			"elements": []obj{{"type": "text", "text": text}},
		}},
	}}
}

// sendEvent wraps an Events API event in its event_callback and sends it in
// an events_api envelope. The caller holds s.mu.
func (s *Server) sendEvent(event obj, userID, channelID string) (string, error) {
	eventType, _ := event["type"].(string)
	payload, err := json.Marshal(obj{
		"token":      s.cfg.verificationToken,
		"team_id":    s.cfg.teamID,
		"api_app_id": s.cfg.appID,
		"event":      event,
		"type":       "event_callback",
		"event_id":   s.newEventID(),
		"event_time": s.now().Unix(),
		"authorizations": []obj{{
			"enterprise_id": nil, "team_id": s.cfg.teamID, "user_id": s.cfg.botUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         "4-" + base64.RawURLEncoding.EncodeToString([]byte(`{"et":"`+eventType+`","tid":"`+s.cfg.teamID+`","aid":"`+s.cfg.appID+`","cid":"`+channelID+`"}`)),
	})
	if err != nil {
		return "", fmt.Errorf("slackfake: encode %s: %w", eventType, err)
	}
	e := s.newEnvelope(EnvelopeEventsAPI, payload, false)
	e.userID, e.channelID = userID, channelID
	s.dispatch(e)
	s.notify()
	return e.id, nil
}

// baseCallback starts an interaction by a user. The caller holds s.mu.
func (s *Server) baseCallback(u *User, typ slack.InteractionType) slack.InteractionCallback {
	var cb slack.InteractionCallback
	cb.Type = typ
	cb.Token = s.cfg.verificationToken
	cb.User = slack.User{ID: u.ID, Name: u.Name, Username: u.Name, TeamID: s.cfg.teamID}
	cb.Team = slack.Team{ID: s.cfg.teamID, Domain: s.cfg.teamDomain}
	cb.APIAppID = s.cfg.appID
	cb.TriggerID = s.newTriggerID()
	return cb
}

// BuildClick builds the block_actions callback Slack would send when userID
// clicks a button of a message, without sending it, so that a test can
// tamper with it before SendInteraction. msg identifies the message (channel
// and ts); the button is looked for on the message as it is now.
//
// The button is found by a card label and the start of its text. With an
// empty label the whole message is searched. Otherwise:
//
//  1. A block carries the label when its text contains the label as a whole
//     word: the characters around it, if any, are not letters, digits or '_'.
//     A block's text is a section's text and fields, a header's, a context's
//     text elements, a markdown or rich_text block's text, an input's label;
//     button texts are not part of it. Matching is case-sensitive, so "Q1"
//     matches neither "Q10" nor "q1".
//  2. A card is a labelled block and the blocks after it, up to (not
//     including) the next header block, the next divider, or the next block
//     whose text holds a whole word of the label's shape: the label with each
//     run of digits standing for any run of digits. So the card "Q4" ends
//     before a block mentioning "Q5" or "Q10"; a label without digits ends at
//     its next occurrence.
//  3. Cards are tried in block order. In the first card that has a matching
//     button, the button is the first whose text (trimmed) equals
//     buttonPrefix, or else the first whose text starts with it. Buttons are
//     section accessories and actions-block elements, in block order.
//
// So BuildClick(u, msg, "Q4", "2") finds the button "2 – Agree" on the card
// labelled Q4, and BuildClick(u, msg, "", "Submit") the first button starting
// with "Submit" anywhere.
//
// For an ephemeral message the callback has container.is_ephemeral true and
// no message, as Slack's has. Either way it carries a new response_url tied
// to the message, and a trigger_id whose TTL starts when it is sent. The
// message in the callback carries no metadata (whether Slack includes it is
// not something a bot should depend on): put what a click needs in the
// button's value or block_id.
func (s *Server) BuildClick(userID string, msg Message, label, buttonPrefix string) (slack.InteractionCallback, error) {
	c, err := s.PrepareClick(userID, msg, label, buttonPrefix)
	if err != nil {
		return slack.InteractionCallback{}, err
	}
	if c.message != nil {
		if err := json.Unmarshal(c.message, &c.cb.Message); err != nil {
			return slack.InteractionCallback{}, fmt.Errorf("slackfake: decode message %s: %w", c.cb.Container.MessageTs, err)
		}
	}
	return c.cb, nil
}

// A Click is a click on a message's button, built by PrepareClick and sent
// by SendClick.
type Click struct {
	cb      slack.InteractionCallback // without its message
	message []byte                    // the message as the payload carries it; nil for an ephemeral
}

// messagePayload encodes m as a block_actions payload carries it, its
// blocks spliced in as stored rather than encoded again. The caller holds
// s.mu.
func (s *Server) messagePayload(m *Message) []byte {
	w := s.wireMessage(m, false)
	delete(w, "blocks")
	data, err := json.Marshal(w)
	if err != nil {
		return nil
	}
	if len(m.Blocks) > 0 {
		data = spliceJSON(data, "blocks", m.Blocks)
	}
	return data
}

// PrepareClick builds the block_actions payload Slack would send when
// userID clicks a button of a message, found as BuildClick finds it, ready
// for SendClick. Unlike BuildClick it does not decode the message into
// slack-go's types: the payload carries the message as the fake holds it,
// which is cheaper when many people click at once.
func (s *Server) PrepareClick(userID string, msg Message, label, buttonPrefix string) (Click, error) {
	return s.prepareClick(userID, msg, func(blocks []block) (button, error) { return findButton(blocks, label, buttonPrefix) })
}

// prepareClick builds the block_actions payload of a click by userID on the
// button of msg that pick finds.
func (s *Server) prepareClick(userID string, msg Message, pick func([]block) (button, error)) (Click, error) {
	// Look the message up under the lock; decode its blocks without, so
	// that many people clicking at once do not queue behind each other's
	// JSON. A message's fields are replaced, never changed in place, so the
	// copies stay as they were.
	s.mu.Lock()
	u, ok := s.users[userID]
	if !ok {
		s.mu.Unlock()
		return Click{}, fmt.Errorf("slackfake: no user %s", userID)
	}
	m, ok := s.byTS[msg.TS]
	if !ok || m.Channel != msg.Channel || m.Deleted {
		s.mu.Unlock()
		return Click{}, fmt.Errorf("slackfake: no message %s in %s", msg.TS, msg.Channel)
	}
	ch := s.channels[m.Channel]
	switch {
	case m.Ephemeral && m.Recipient != userID:
		s.mu.Unlock()
		return Click{}, fmt.Errorf("slackfake: ephemeral %s is shown to %s, not %s", m.TS, m.Recipient, userID)
	case !m.Ephemeral && !ch.hasMember(userID) && (ch.Private || ch.im):
		s.mu.Unlock()
		return Click{}, fmt.Errorf("slackfake: %s cannot see %s", userID, ch.ID)
	}
	ts, channelID, ephemeral, threadTS, raw, blocks := m.TS, m.Channel, m.Ephemeral, m.ThreadTS, m.Blocks, m.decoded
	var wire []byte
	if !ephemeral {
		if m.wire == nil {
			m.wire = s.messagePayload(m)
		}
		wire = m.wire
	}
	s.mu.Unlock()

	if blocks == nil {
		var err error
		if blocks, err = decodeBlocks(raw); err != nil {
			return Click{}, fmt.Errorf("slackfake: message %s: %w", ts, err)
		}
	}
	btn, err := pick(blocks)
	if err != nil {
		return Click{}, fmt.Errorf("slackfake: message %s: %w", ts, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	cb := s.baseCallback(u, slack.InteractionTypeBlockActions)
	cb.Container = slack.Container{
		Type: "message", MessageTs: ts, ChannelID: channelID,
		IsEphemeral: ephemeral, ThreadTs: threadTS,
	}
	cb.Channel.ID, cb.Channel.Name = ch.ID, ch.payloadName()
	cb.ResponseURL = s.newResponseURL("actions", userID, ch.ID, ts)
	cb.BlockActionState = &slack.BlockActionStates{Values: map[string]map[string]slack.BlockAction{}}
	cb.ActionCallback.BlockActions = []*slack.BlockAction{s.buttonAction(btn)}
	return Click{cb: cb, message: wire}, nil
}

// SendClick sends a click PrepareClick built and returns the envelope ID.
func (s *Server) SendClick(c Click) (string, error) {
	payload, err := json.Marshal(s.blockActionsWire(&c.cb))
	if err != nil {
		return "", fmt.Errorf("slackfake: encode %s payload: %w", c.cb.Type, err)
	}
	if c.message != nil {
		payload = spliceJSON(payload, "message", c.message)
	}
	return s.send(&c.cb, payload), nil
}

// buttonAction is the action of a button click. The caller holds s.mu.
func (s *Server) buttonAction(btn button) *slack.BlockAction {
	emoji := true
	return &slack.BlockAction{
		Type:     "button",
		ActionID: btn.actionID,
		BlockID:  btn.blockID,
		Text:     slack.TextBlockObject{Type: slack.PlainTextType, Text: btn.text, Emoji: &emoji},
		Value:    btn.value,
		ActionTs: s.actionTS(),
	}
}

// ClickButton clicks a button of a message as userID and returns the
// envelope ID. BuildClick documents how the button is found: for example
// ClickButton(u, msg, "Q4", "2") clicks the button whose text starts with "2"
// on the card labelled Q4.
func (s *Server) ClickButton(userID string, msg Message, label, buttonPrefix string) (string, error) {
	c, err := s.PrepareClick(userID, msg, label, buttonPrefix)
	if err != nil {
		return "", err
	}
	return s.SendClick(c)
}

// BuildViewClick builds the block_actions callback of a click on a button
// of a view (a modal or App Home) as it is now, found by the same rule as
// BuildClick. The callback has a view container and the view, no channel and
// no response_url.
func (s *Server) BuildViewClick(userID string, v View, label, buttonPrefix string) (slack.InteractionCallback, error) {
	return s.buildViewClick(userID, v, func(blocks []block) (button, error) { return findButton(blocks, label, buttonPrefix) })
}

// buildViewClick builds the block_actions callback of a click by userID on
// the button of a view that pick finds.
func (s *Server) buildViewClick(userID string, v View, pick func([]block) (button, error)) (slack.InteractionCallback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return slack.InteractionCallback{}, fmt.Errorf("slackfake: no user %s", userID)
	}
	stored, ok := s.views[v.ID]
	if !ok || stored.userID != userID || !stored.open {
		return slack.InteractionCallback{}, fmt.Errorf("slackfake: %s has no view %s on screen", userID, v.ID)
	}
	blocks, err := decodeBlocks(stored.spec.Blocks)
	if err != nil {
		return slack.InteractionCallback{}, fmt.Errorf("slackfake: view %s: %w", v.ID, err)
	}
	btn, err := pick(blocks)
	if err != nil {
		return slack.InteractionCallback{}, fmt.Errorf("slackfake: view %s: %w", v.ID, err)
	}
	cb := s.baseCallback(u, slack.InteractionTypeBlockActions)
	cb.Container = slack.Container{Type: "view", ViewID: stored.id}
	if cb.View, err = s.slackView(stored); err != nil {
		return slack.InteractionCallback{}, err
	}
	cb.BlockActionState = &slack.BlockActionStates{Values: map[string]map[string]slack.BlockAction{}}
	cb.ActionCallback.BlockActions = []*slack.BlockAction{s.buttonAction(btn)}
	return cb, nil
}

// ClickViewButton clicks a button of a modal or of App Home as userID and
// returns the envelope ID.
func (s *Server) ClickViewButton(userID string, v View, label, buttonPrefix string) (string, error) {
	cb, err := s.BuildViewClick(userID, v, label, buttonPrefix)
	if err != nil {
		return "", err
	}
	return s.SendInteraction(cb)
}

// slackView decodes a stored view into slack-go's type. The caller holds
// s.mu.
func (s *Server) slackView(v *view) (slack.View, error) {
	var out slack.View
	data, err := json.Marshal(s.wireView(v))
	if err == nil {
		err = json.Unmarshal(data, &out)
	}
	if err != nil {
		return slack.View{}, fmt.Errorf("slackfake: decode view %s: %w", v.id, err)
	}
	return out, nil
}

// SendInteraction sends any interaction callback in an interactive envelope,
// encoded as Slack encodes it, and returns the envelope ID. Its trigger_id,
// if any, becomes valid for the callback's user from now on.
func (s *Server) SendInteraction(cb slack.InteractionCallback) (string, error) {
	// Encoding needs only the server's fixed settings: no lock.
	payload, err := s.encodeInteraction(&cb)
	if err != nil {
		return "", err
	}
	return s.send(&cb, payload), nil
}

// send delivers an interaction's payload in an envelope and returns the
// envelope's ID.
func (s *Server) send(cb *slack.InteractionCallback, payload json.RawMessage) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cb.TriggerID != "" {
		s.triggers[cb.TriggerID] = &trigger{userID: cb.User.ID, created: s.now()}
	}
	accepts := cb.Type == slack.InteractionTypeViewSubmission || cb.Type == slack.InteractionTypeBlockSuggestion
	e := s.newEnvelope(EnvelopeInteractive, payload, accepts)
	e.interaction = string(cb.Type)
	e.userID, e.channelID, e.viewID = cb.User.ID, cb.Channel.ID, cb.View.ID
	s.dispatch(e)
	s.notify()
	return e.id
}

// SubmitView submits the modal viewID as userID, sends the view_submission
// envelope, waits for its ack and returns the ack's payload decoded (nil when
// the ack has none), so that a test can see response_action "errors". Then,
// as Slack does, the modal closes unless the ack asked for errors, an update
// or a push.
//
// values maps block_id → action_id → value for the view's inputs: the text
// of a plain_text_input (or email, url, number input); a user ID for
// users_select; a channel ID for conversations_select or channels_select;
// an option's value (or text) for static_select and radio_buttons; a date
// "2006-01-02" for datepicker, a time "15:04" for timepicker. Multi-selects
// and checkboxes take values separated by commas. An input not in values
// keeps its initial value (initial_value, initial_user, initial_option…), as
// Slack's client submits what the form shows. Like Slack's client, it
// refuses to submit while a required input is empty.
func (s *Server) SubmitView(ctx context.Context, userID, viewID string, values map[string]map[string]string) (*slack.ViewSubmissionResponse, error) {
	cb, err := s.buildSubmission(userID, viewID, values)
	if err != nil {
		return nil, err
	}
	id, err := s.SendInteraction(cb)
	if err != nil {
		return nil, err
	}
	ack, err := s.WaitAck(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(ack.Payload) == 0 {
		return nil, nil
	}
	var resp slack.ViewSubmissionResponse
	if err := json.Unmarshal(ack.Payload, &resp); err != nil {
		return nil, fmt.Errorf("slackfake: view_submission ack: %w", err)
	}
	return &resp, nil
}

func (s *Server) buildSubmission(userID, viewID string, values map[string]map[string]string) (slack.InteractionCallback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return slack.InteractionCallback{}, fmt.Errorf("slackfake: no user %s", userID)
	}
	v, ok := s.views[viewID]
	if !ok || v.userID != userID || v.spec.Type != "modal" || !v.open {
		return slack.InteractionCallback{}, fmt.Errorf("slackfake: %s has no modal %s open", userID, viewID)
	}
	state, err := submissionState(v.spec.Blocks, values)
	if err != nil {
		return slack.InteractionCallback{}, fmt.Errorf("slackfake: submit %s: %w", viewID, err)
	}
	cb := s.baseCallback(u, slack.InteractionTypeViewSubmission)
	if cb.View, err = s.slackView(v); err != nil {
		return slack.InteractionCallback{}, err
	}
	cb.View.State = &slack.ViewState{Values: state}
	return cb, nil
}

// submissionState builds a view's state values from what a person entered.
func submissionState(raw json.RawMessage, values map[string]map[string]string) (map[string]map[string]slack.BlockAction, error) {
	blocks, err := decodeBlocks(raw)
	if err != nil {
		return nil, err
	}
	state := make(map[string]map[string]slack.BlockAction)
	used := make(map[[2]string]bool)
	var available []string
	for _, b := range blocks {
		blockID := str(b, "block_id")
		isInput := str(b, "type") == "input"
		optional, _ := b["optional"].(bool)
		for _, el := range interactiveElements(b) {
			typ, actionID := str(el, "type"), str(el, "action_id")
			if typ == "button" || typ == "overflow" {
				continue
			}
			available = append(available, blockID+"/"+actionID)
			value, given := values[blockID][actionID]
			if !given {
				// Slack's client submits what the form shows: an input
				// left alone keeps its initial value.
				value, given = initialValue(el)
			}
			if isInput && !optional && strings.TrimSpace(value) == "" {
				return nil, fmt.Errorf("required input %s/%s (%q) is empty", blockID, actionID, textOf(b["label"]))
			}
			if !given && !isInput {
				continue
			}
			a, err := elementState(el, value, given)
			if err != nil {
				return nil, fmt.Errorf("input %s/%s: %w", blockID, actionID, err)
			}
			if state[blockID] == nil {
				state[blockID] = make(map[string]slack.BlockAction)
			}
			state[blockID][actionID] = a
			used[[2]string{blockID, actionID}] = true
		}
	}
	var unknown []string
	for blockID, actions := range values {
		for actionID := range actions {
			if !used[[2]string{blockID, actionID}] {
				unknown = append(unknown, blockID+"/"+actionID)
			}
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("no input %s in the view; it has %s", strings.Join(unknown, ", "), strings.Join(available, ", "))
	}
	return state, nil
}

// elementState is the state of an input element holding value.
// initialValue returns what an input element shows before anyone touches it.
func initialValue(el map[string]any) (string, bool) {
	var v string
	switch str(el, "type") {
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		v = str(el, "initial_value")
	case "users_select":
		v = str(el, "initial_user")
	case "conversations_select":
		v = str(el, "initial_conversation")
	case "channels_select":
		v = str(el, "initial_channel")
	case "static_select", "radio_buttons":
		if opt, ok := el["initial_option"].(map[string]any); ok {
			v = str(opt, "value")
		}
	}
	return v, v != ""
}

func elementState(el map[string]any, value string, given bool) (slack.BlockAction, error) {
	typ := str(el, "type")
	a := slack.BlockAction{Type: slack.ActionType(typ)}
	if !given || value == "" {
		return a, nil
	}
	var many []string
	for v := range strings.SplitSeq(value, ",") {
		if v = strings.TrimSpace(v); v != "" {
			many = append(many, v)
		}
	}
	switch typ {
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		a.Value = value
	case "users_select":
		a.SelectedUser = value
	case "multi_users_select":
		a.SelectedUsers = many
	case "conversations_select":
		a.SelectedConversation = value
	case "multi_conversations_select":
		a.SelectedConversations = many
	case "channels_select":
		a.SelectedChannel = value
	case "multi_channels_select":
		a.SelectedChannels = many
	case "static_select", "radio_buttons", "external_select":
		opt, err := findOption(el, value)
		if err != nil {
			return a, err
		}
		a.SelectedOption = opt
	case "multi_static_select", "checkboxes", "multi_external_select":
		for _, v := range many {
			opt, err := findOption(el, v)
			if err != nil {
				return a, err
			}
			a.SelectedOptions = append(a.SelectedOptions, opt)
		}
	case "datepicker":
		a.SelectedDate = value
	case "timepicker":
		a.SelectedTime = value
	default:
		return a, fmt.Errorf("the fake cannot fill a %s", typ)
	}
	return a, nil
}

// findOption finds an option of a select by value, or else by text. An
// external select has no options: any value is taken as is.
func findOption(el map[string]any, value string) (slack.OptionBlockObject, error) {
	options := list(el, "options")
	for _, g := range list(el, "option_groups") {
		if group, ok := g.(map[string]any); ok {
			options = append(options, list(group, "options")...)
		}
	}
	if str(el, "type") == "external_select" || str(el, "type") == "multi_external_select" {
		return slack.OptionBlockObject{Text: slack.NewTextBlockObject(slack.PlainTextType, value, false, false), Value: value}, nil
	}
	var texts []string
	for _, match := range []func(map[string]any) bool{
		func(o map[string]any) bool { return str(o, "value") == value },
		func(o map[string]any) bool { return textOf(o["text"]) == value },
	} {
		for _, o := range options {
			opt, ok := o.(map[string]any)
			if !ok {
				continue
			}
			if match(opt) {
				text, _ := opt["text"].(map[string]any)
				return slack.OptionBlockObject{
					Text:  slack.NewTextBlockObject(cmp.Or(str(text, "type"), slack.PlainTextType), str(text, "text"), false, false),
					Value: str(opt, "value"),
				}, nil
			}
			if !slices.Contains(texts, textOf(opt["text"])) {
				texts = append(texts, textOf(opt["text"]))
			}
		}
	}
	return slack.OptionBlockObject{}, fmt.Errorf("no option %q; options are %q", value, texts)
}
