package slackfake

import (
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"
)

// A Slack client knows which element a person clicked: these verbs name
// the button by its block_id and action_id, as a rendered page does, where
// ClickButton finds it by what it says.

// ClickAction clicks, as userID, the button with the given block_id and
// action_id on a message as it is now, and returns the envelope ID. It fails,
// sending nothing, when the person cannot see the message or the message has
// no such button.
func (s *Server) ClickAction(userID string, msg Message, blockID, actionID string) (string, error) {
	c, err := s.prepareClick(userID, msg, func(blocks []block) (button, error) { return buttonByID(blocks, blockID, actionID) })
	if err != nil {
		return "", err
	}
	return s.SendClick(c)
}

// ClickViewAction clicks, as userID, the button with the given block_id and
// action_id on a modal or App Home that is on the person's screen, and
// returns the envelope ID.
func (s *Server) ClickViewAction(userID, viewID, blockID, actionID string) (string, error) {
	cb, err := s.buildViewClick(userID, View{ID: viewID}, func(blocks []block) (button, error) { return buttonByID(blocks, blockID, actionID) })
	if err != nil {
		return "", err
	}
	return s.SendInteraction(cb)
}

// buttonByID finds a button by its block's block_id and its action_id.
func buttonByID(blocks []block, blockID, actionID string) (button, error) {
	for _, b := range blocks {
		if str(b, "block_id") != blockID {
			continue
		}
		for _, btn := range blockButtons(b) {
			if btn.actionID == actionID {
				return btn, nil
			}
		}
	}
	return button{}, fmt.Errorf("no button %s/%s", blockID, actionID)
}

// CloseView closes a modal as userID would with its Close button: the view
// and any pushed above it leave the screen, and when the view asked for
// notify_on_close the bot gets a view_closed interaction. It returns that
// envelope's ID, or "" when none was sent.
func (s *Server) CloseView(userID, viewID string) (string, error) {
	s.mu.Lock()
	u, ok := s.users[userID]
	if !ok {
		s.mu.Unlock()
		return "", fmt.Errorf("slackfake: no user %s", userID)
	}
	v, ok := s.views[viewID]
	if !ok || v.userID != userID || v.spec.Type != "modal" || !v.open {
		s.mu.Unlock()
		return "", fmt.Errorf("slackfake: %s has no modal %s open", userID, viewID)
	}
	s.closeModals(userID, viewID)
	s.logView("view_closed", v)
	s.notify()
	if !v.spec.NotifyOnClose {
		s.mu.Unlock()
		return "", nil
	}
	cb := s.baseCallback(u, slack.InteractionTypeViewClosed)
	cb.TriggerID = ""
	view, err := s.slackView(v)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	cb.View = view
	payload, err := json.Marshal(obj{
		"type": cb.Type, "team": obj{"id": cb.Team.ID, "domain": cb.Team.Domain},
		"user":       obj{"id": u.ID, "username": u.Name, "name": u.Name, "team_id": cb.Team.ID},
		"api_app_id": cb.APIAppID, "token": cb.Token, "view": s.viewWireFromSlack(cb.View), "is_cleared": false,
		"enterprise": nil, "is_enterprise_install": false,
	})
	if err != nil {
		return "", fmt.Errorf("slackfake: encode view_closed: %w", err)
	}
	return s.send(&cb, payload), nil
}
