package slackfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// Slack's limits on views.
const (
	maxPrivateMetadata = 3000
	maxCallbackID      = 255
	maxTitleRunes      = 24
	maxModalStack      = 3
)

// trigger is a trigger_id handed to the bot with an interaction.
type trigger struct {
	userID  string
	created time.Time
	used    bool
}

// issueTrigger returns a new trigger_id for an interaction by userID. The
// caller holds s.mu.
func (s *Server) issueTrigger(userID string) string {
	id := s.newTriggerID()
	s.triggers[id] = &trigger{userID: userID, created: s.now()}
	return id
}

// useTrigger exchanges a trigger_id for the right to open a view: once, and
// within the trigger TTL of the interaction. The caller holds s.mu.
func (s *Server) useTrigger(id string) (*trigger, *apiError) {
	if id == "" {
		return nil, fail("invalid_arguments")
	}
	t, ok := s.triggers[id]
	switch {
	case !ok:
		return nil, fail("invalid_trigger_id")
	case t.used:
		return nil, fail("exchanged_trigger_id")
	case s.now().Sub(t.created) > s.cfg.triggerTTL:
		return nil, fail("expired_trigger_id")
	}
	t.used = true
	return t, nil
}

// viewSpec is a view as the bot describes it.
type viewSpec struct {
	Type            string          `json:"type"`
	Title           json.RawMessage `json:"title,omitempty"`
	Close           json.RawMessage `json:"close,omitempty"`
	Submit          json.RawMessage `json:"submit,omitempty"`
	Blocks          json.RawMessage `json:"blocks"`
	PrivateMetadata string          `json:"private_metadata"`
	CallbackID      string          `json:"callback_id"`
	ClearOnClose    bool            `json:"clear_on_close"`
	NotifyOnClose   bool            `json:"notify_on_close"`
	ExternalID      string          `json:"external_id"`
}

// view is the fake's record of a view.
type view struct {
	id, userID string
	spec       viewSpec
	hash       string
	rootID     string
	previousID string
	open       bool
}

// invalidView answers invalid_arguments with Slack's explanation.
func invalidView(pointer, msg string) *apiError {
	return failWith("invalid_arguments", obj{"response_metadata": obj{
		"messages": []string{fmt.Sprintf("[ERROR] %s [json-pointer:/view%s]", msg, pointer)},
	}})
}

// parseViewSpec reads and checks a view as Slack does. The caller holds s.mu.
func (s *Server) parseViewSpec(raw json.RawMessage, wantType string) (viewSpec, *apiError) {
	var v viewSpec
	if len(raw) == 0 {
		return v, fail("invalid_arguments")
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fail("invalid_arguments")
	}
	if v.Type != wantType {
		return v, invalidView("/type", fmt.Sprintf("must be %q", wantType))
	}
	if wantType == "modal" {
		if len(v.Title) == 0 || string(v.Title) == "null" {
			return v, invalidView("/title", "missing required field: title")
		}
		for _, f := range []struct {
			pointer string
			text    json.RawMessage
		}{{"/title", v.Title}, {"/close", v.Close}, {"/submit", v.Submit}} {
			var t struct {
				Text string `json:"text"`
			}
			if len(f.text) > 0 && json.Unmarshal(f.text, &t) == nil && utf8.RuneCountInString(t.Text) > maxTitleRunes {
				return v, invalidView(f.pointer+"/text", fmt.Sprintf("must be less than %d characters", maxTitleRunes+1))
			}
		}
	}
	if utf8.RuneCountInString(v.PrivateMetadata) > maxPrivateMetadata {
		return v, invalidView("/private_metadata", fmt.Sprintf("must be less than %d characters", maxPrivateMetadata+1))
	}
	if utf8.RuneCountInString(v.CallbackID) > maxCallbackID {
		return v, invalidView("/callback_id", fmt.Sprintf("must be less than %d characters", maxCallbackID+1))
	}
	blocks, err := s.normalizeBlocks(v.Blocks, maxViewBlocks)
	switch {
	case errors.Is(err, errTooManyBlocks):
		return v, invalidView("/blocks", fmt.Sprintf("no more than %d items allowed", maxViewBlocks))
	case err != nil:
		return v, invalidView("/blocks", err.Error())
	}
	v.Blocks = blocks
	return v, nil
}

// wireView renders a view as Slack returns it. The caller holds s.mu.
func (s *Server) wireView(v *view) obj {
	rawOrNull := func(r json.RawMessage) any {
		if len(r) == 0 {
			return nil
		}
		return r
	}
	blocks := any([]any{})
	if len(v.spec.Blocks) > 0 {
		blocks = v.spec.Blocks
	}
	var previous any
	if v.previousID != "" {
		previous = v.previousID
	}
	return obj{
		"id": v.id, "team_id": s.cfg.teamID, "type": v.spec.Type, "blocks": blocks,
		"private_metadata": v.spec.PrivateMetadata, "callback_id": v.spec.CallbackID,
		"state": obj{"values": obj{}}, "hash": v.hash,
		"title": rawOrNull(v.spec.Title), "clear_on_close": v.spec.ClearOnClose,
		"notify_on_close": v.spec.NotifyOnClose, "close": rawOrNull(v.spec.Close),
		"submit": rawOrNull(v.spec.Submit), "previous_view_id": previous,
		"root_view_id": v.rootID, "app_id": s.cfg.appID, "external_id": v.spec.ExternalID,
		"app_installed_team_id": s.cfg.teamID, "bot_id": s.cfg.botID,
	}
}

// publicView returns a view as the package shows it. The caller holds s.mu.
func (s *Server) publicView(v *view) View {
	raw, _ := json.Marshal(s.wireView(v))
	var title struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(v.spec.Title, &title)
	return View{
		ID:              v.id,
		UserID:          v.userID,
		Type:            v.spec.Type,
		CallbackID:      v.spec.CallbackID,
		PrivateMetadata: v.spec.PrivateMetadata,
		ExternalID:      v.spec.ExternalID,
		Hash:            v.hash,
		Title:           title.Text,
		Blocks:          v.spec.Blocks,
		Open:            v.open,
		Raw:             raw,
	}
}

// logView records a change to a view. The caller holds s.mu.
func (s *Server) logView(method string, v *view) {
	s.viewLog = append(s.viewLog, ViewEvent{Method: method, View: s.publicView(v), At: s.now()})
}

// newView stores a new view. The caller holds s.mu.
func (s *Server) newView(userID string, spec viewSpec) *view {
	v := &view{id: s.newViewID(), userID: userID, spec: spec, hash: s.newHash(), open: true}
	v.rootID = v.id
	s.views[v.id] = v
	return v
}

// closeModals closes the views of a user's modal stack from viewID up; with
// viewID "" the whole stack. The caller holds s.mu.
func (s *Server) closeModals(userID, viewID string) {
	stack := s.modals[userID]
	i := 0
	if viewID != "" {
		i = slices.Index(stack, viewID)
		if i < 0 {
			return
		}
	}
	for _, id := range stack[i:] {
		s.views[id].open = false
	}
	s.modals[userID] = stack[:i]
}

func (s *Server) viewsOpen(r *request) (obj, *apiError) {
	t, e := s.useTrigger(r.str("trigger_id"))
	if e != nil {
		return nil, e
	}
	spec, e := s.parseViewSpec(r.raw("view"), "modal")
	if e != nil {
		return nil, e
	}
	s.closeModals(t.userID, "")
	v := s.newView(t.userID, spec)
	s.modals[t.userID] = []string{v.id}
	s.logView("views.open", v)
	return obj{"view": s.wireView(v)}, nil
}

func (s *Server) viewsPush(r *request) (obj, *apiError) {
	t, e := s.useTrigger(r.str("trigger_id"))
	if e != nil {
		return nil, e
	}
	spec, e := s.parseViewSpec(r.raw("view"), "modal")
	if e != nil {
		return nil, e
	}
	stack := s.modals[t.userID]
	if len(stack) >= maxModalStack {
		return nil, fail("push_limit_reached")
	}
	v := s.newView(t.userID, spec)
	if len(stack) > 0 {
		v.rootID, v.previousID = stack[0], stack[len(stack)-1]
	}
	s.modals[t.userID] = append(stack, v.id)
	s.logView("views.push", v)
	return obj{"view": s.wireView(v)}, nil
}

func (s *Server) viewsUpdate(r *request) (obj, *apiError) {
	var v *view
	if id := r.str("view_id"); id != "" {
		v = s.views[id]
	} else if ext := r.str("external_id"); ext != "" {
		for _, cand := range s.views {
			if cand.spec.ExternalID == ext {
				v = cand
				break
			}
		}
	}
	if v == nil || (v.spec.Type == "modal" && !v.open) {
		return nil, fail("not_found")
	}
	if h := r.str("hash"); h != "" && h != v.hash {
		return nil, fail("hash_conflict")
	}
	spec, e := s.parseViewSpec(r.raw("view"), v.spec.Type)
	if e != nil {
		return nil, e
	}
	v.spec, v.hash = spec, s.newHash()
	s.logView("views.update", v)
	return obj{"view": s.wireView(v)}, nil
}

func (s *Server) viewsPublish(r *request) (obj, *apiError) {
	userID := r.str("user_id")
	if _, ok := s.users[userID]; !ok {
		return nil, fail("user_not_found")
	}
	spec, e := s.parseViewSpec(r.raw("view"), "home")
	if e != nil {
		return nil, e
	}
	v, ok := s.views[s.homes[userID]]
	if ok {
		if h := r.str("hash"); h != "" && h != v.hash {
			return nil, fail("hash_conflict")
		}
		v.spec, v.hash = spec, s.newHash()
	} else {
		v = s.newView(userID, spec)
		s.homes[userID] = v.id
	}
	s.logView("views.publish", v)
	return obj{"view": s.wireView(v)}, nil
}

// OpenView returns the modal on top of a user's screen, if any.
func (s *Server) OpenView(userID string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stack := s.modals[userID]
	if len(stack) == 0 {
		return View{}, false
	}
	return s.publicView(s.views[stack[len(stack)-1]]), true
}

// Views returns every change to the views of a user, modals and App Home, in
// order.
func (s *Server) Views(userID string) []ViewEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ViewEvent
	for _, ev := range s.viewLog {
		if ev.View.UserID == userID {
			ev.View = ev.View.clone()
			out = append(out, ev)
		}
	}
	return out
}

// Home returns the App Home view last published for a user.
func (s *Server) Home(userID string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.views[s.homes[userID]]
	if !ok {
		return View{}, false
	}
	return s.publicView(v), true
}

// applyViewSubmissionAck does what Slack does with a view_submission ack:
// "errors" keeps the modal open, "update" replaces it, "push" pushes a new
// one, "clear" closes the whole stack, no response_action closes the
// submitted view. The caller holds s.mu.
func (s *Server) applyViewSubmissionAck(e *envelope, payload json.RawMessage) {
	var resp struct {
		ResponseAction string          `json:"response_action"`
		View           json.RawMessage `json:"view"`
	}
	if len(payload) > 0 {
		if err := json.Unmarshal(payload, &resp); err != nil {
			s.problem(fmt.Sprintf("view_submission ack %s: payload is not a JSON object: %v", e.id, err))
			return
		}
	}
	v, ok := s.views[e.viewID]
	if !ok {
		return
	}
	switch resp.ResponseAction {
	case "errors":
	case "update":
		spec, apiErr := s.parseViewSpec(resp.View, "modal")
		if apiErr != nil {
			s.problem(fmt.Sprintf("view_submission ack %s: update with an invalid view: %s", e.id, apiErr.code))
			return
		}
		v.spec, v.hash = spec, s.newHash()
		s.logView("response_action", v)
	case "push":
		spec, apiErr := s.parseViewSpec(resp.View, "modal")
		if apiErr != nil {
			s.problem(fmt.Sprintf("view_submission ack %s: push with an invalid view: %s", e.id, apiErr.code))
			return
		}
		stack := s.modals[v.userID]
		nv := s.newView(v.userID, spec)
		if len(stack) > 0 {
			nv.rootID, nv.previousID = stack[0], stack[len(stack)-1]
		}
		s.modals[v.userID] = append(stack, nv.id)
		s.logView("response_action", nv)
	case "clear":
		s.closeModals(v.userID, "")
	case "":
		s.closeModals(v.userID, v.id)
	default:
		s.problem(fmt.Sprintf("view_submission ack %s: unknown response_action %q", e.id, resp.ResponseAction))
	}
}
