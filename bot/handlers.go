package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// Handlers translate Slack payloads into flows and flows' outcomes into
// replies. Replies to the person who acted go straight back (ephemeral,
// through the response_url, or an update of their own card); everything else
// goes through the job queue.

// reply tells the person who acted, and only them, how it went. A userError
// is shown as is; anything else is logged and answered politely.
func (b *Bot) reply(ctx context.Context, responseURL string, log *slog.Logger, err error, ok string) {
	text := ok
	if err != nil {
		text = b.explain(log, err)
	}
	if text == "" || responseURL == "" {
		return
	}
	msg := &slack.WebhookMessage{Text: text, ResponseType: slack.ResponseTypeEphemeral}
	if perr := slack.PostWebhookCustomHTTPContext(ctx, responseURL, b.httpClient, msg); perr != nil {
		// A response_url lets anyone post into the conversation for half an
		// hour: it stays out of the logs.
		var urlErr *url.Error
		if errors.As(perr, &urlErr) {
			perr = urlErr.Err
		}
		log.Warn("reply failed", slog.Any("error", perr))
	}
}

// explain turns an error into what the person should read; "" for a
// duplicate delivery, which gets no reply.
func (b *Bot) explain(log *slog.Logger, err error) string {
	var ue userError
	switch {
	case errors.Is(err, errDuplicate):
		return ""
	case errors.As(err, &ue):
		return ue.msg
	case storage.Unavailable(err):
		log.Error("database unavailable", slog.Any("error", err))
		return "I can't reach my database right now, so nothing was changed. Please try again in a minute."
	}
	log.Error("request failed", slog.Any("error", err))
	return "Something went wrong on my side and nothing was changed. Please try again in a minute."
}

func (b *Bot) handleCommand(ctx context.Context, envelopeID string, cmd slack.SlashCommand) {
	log := b.log.With(slog.String("user_id", cmd.UserID), slog.String("channel_id", cmd.ChannelID))
	c, err := parseCommand(cmd.Text)
	if err != nil {
		b.reply(ctx, cmd.ResponseURL, log, err, "")
		return
	}
	log = log.With(slog.String("command", c.name))
	switch c.name {
	case "help":
		b.reply(ctx, cmd.ResponseURL, log, nil, helpText)
	case "start":
		if len(c.users) == 0 {
			b.reply(ctx, cmd.ResponseURL, log, b.openStartModal(ctx, cmd), "")
			return
		}
		text, err := b.commandStart(ctx, envelopeID, cmd, c)
		b.reply(ctx, cmd.ResponseURL, log, err, text)
	case "status":
		text, err := b.statusText(ctx, cmd.TeamID, cmd.ChannelID)
		b.reply(ctx, cmd.ResponseURL, log, err, text)
	case "history":
		text, err := b.historyText(ctx, cmd.TeamID, cmd.ChannelID)
		b.reply(ctx, cmd.ResponseURL, log, err, text)
	case "cancel":
		round, err := b.cancelRound(ctx, cmd.TeamID, cmd.ChannelID, cmd.UserID)
		b.reply(ctx, cmd.ResponseURL, log, err, fmt.Sprintf("Cancelled round %d. Nobody's answers were shared.", round.ID))
	case "extend":
		text, err := b.extendRound(ctx, cmd.TeamID, cmd.ChannelID, cmd.UserID, c.extend)
		b.reply(ctx, cmd.ResponseURL, log, err, text)
	case "assign":
		text, err := b.commandAssign(ctx, envelopeID, cmd, c)
		b.reply(ctx, cmd.ResponseURL, log, err, text)
	case "addressed":
		text, err := b.markAddressed(ctx, envelopeID, cmd.TeamID, cmd.ChannelID, 0, c.question, cmd.UserID)
		b.reply(ctx, cmd.ResponseURL, log, err, text)
	}
}

// commandStart validates the people and the channel with Slack, then starts
// the round.
func (b *Bot) commandStart(ctx context.Context, envelopeID string, cmd slack.SlashCommand, c command) (string, error) {
	target := c.channel
	if target == "" {
		target = cmd.ChannelID
	}
	// People are named in role order: marketing, sales, observer.
	people := map[scoring.Role]string{}
	for i, u := range c.users {
		people[scoring.Roles[i]] = u
	}
	if err := b.checkStart(ctx, target, people); err != nil {
		return "", err
	}
	round, err := b.startRound(ctx, startRequest{
		DeliveryID: envelopeID, WorkspaceID: cmd.TeamID, ChannelID: target, Facilitator: cmd.UserID, People: people,
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Started round %d in %s. I'm sending each respondent their questionnaire by DM; answers stay hidden until everyone has submitted. Due %s.",
		round.ID, channelRef(target), date(round.DeadlineAt)), nil
}

// checkStart refuses people who cannot answer and channels the bot cannot
// post in, before anything is stored.
func (b *Bot) checkStart(ctx context.Context, channelID string, people map[scoring.Role]string) error {
	if errs := b.checkStartFields(ctx, channelID, people); len(errs) > 0 {
		for _, field := range []string{"channel", string(scoring.Marketing), string(scoring.Sales), string(scoring.Observer)} {
			if msg, ok := errs[field]; ok {
				return userError{msg: msg}
			}
		}
	}
	return nil
}

// checkStartFields returns what is wrong, by field ("channel" or a role).
func (b *Bot) checkStartFields(ctx context.Context, channelID string, people map[scoring.Role]string) map[string]string {
	errs := map[string]string{}
	if msg := b.checkChannel(ctx, channelID); msg != "" {
		errs["channel"] = msg
	}
	seen := map[string]scoring.Role{}
	for _, role := range scoring.Roles {
		u, ok := people[role]
		if !ok {
			if role.IsLead() {
				errs[string(role)] = fmt.Sprintf("The %s is required.", strings.ToLower(role.Label()))
			}
			continue
		}
		if other, dup := seen[u]; dup {
			errs[string(role)] = fmt.Sprintf("%s is already the %s. Each role needs a different person.", mention(u), strings.ToLower(other.Label()))
			continue
		}
		seen[u] = role
		if msg := b.checkPerson(ctx, u); msg != "" {
			errs[string(role)] = msg
		}
	}
	return errs
}

func (b *Bot) checkChannel(ctx context.Context, channelID string) string {
	if strings.HasPrefix(channelID, "D") {
		return "Run this in the team's shared channel, or name one: " + startUsage
	}
	ch, err := b.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channelID})
	switch {
	case slackErrorCode(err) == "channel_not_found":
		return fmt.Sprintf("I can't see %s. If it's a private channel, invite me there first with `/invite @alignbot`.", channelRef(channelID))
	case err != nil:
		return "I couldn't check that channel with Slack just now. Please try again in a minute."
	case ch.IsArchived:
		return fmt.Sprintf("%s is archived. Pick a channel the team uses.", channelRef(channelID))
	case !ch.IsMember:
		return fmt.Sprintf("I'm not in %s yet. Invite me with `/invite @alignbot` there, then try again.", channelRef(channelID))
	}
	return ""
}

func (b *Bot) checkPerson(ctx context.Context, userID string) string {
	u, err := b.api.GetUserInfoContext(ctx, userID)
	switch {
	case slackErrorCode(err) == "user_not_found":
		return fmt.Sprintf("I can't find %s in this workspace.", mention(userID))
	case err != nil:
		return "I couldn't check that person with Slack just now. Please try again in a minute."
	case u.IsBot || userID == b.botUserID:
		return fmt.Sprintf("%s is a bot. Name the people who lead marketing and sales.", mention(userID))
	case u.Deleted:
		return fmt.Sprintf("%s is deactivated. Name someone active.", mention(userID))
	}
	return ""
}

// mayManage says whether userID may cancel or extend a round that
// facilitator started: the facilitator, or a workspace admin or owner.
func (b *Bot) mayManage(ctx context.Context, userID, facilitator, what string) error {
	if userID == facilitator {
		return nil
	}
	u, err := b.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return userErrorf("I couldn't check with Slack whether you are a workspace admin. Please try again in a minute.")
	}
	if u.IsAdmin || u.IsOwner {
		return nil
	}
	return userErrorf("Only %s, who started this round, or a workspace admin can %s it.", mention(facilitator), what)
}

// startModalMetadata travels in the modal's private_metadata.
type startModalMetadata struct {
	ChannelID string `json:"channel_id"`
}

// openStartModal opens the start form. It is the first thing done with the
// command: the trigger expires 3 seconds after the person typed it.
func (b *Bot) openStartModal(ctx context.Context, cmd slack.SlashCommand) error {
	meta, _ := json.Marshal(startModalMetadata{ChannelID: cmd.ChannelID})
	initial := cmd.ChannelID
	if strings.HasPrefix(initial, "D") {
		initial = ""
	}
	_, err := b.api.OpenViewContext(ctx, cmd.TriggerID, renderStartModal(string(meta), initial, nil))
	if err != nil {
		return fmt.Errorf("open start form: %w", err)
	}
	return nil
}

func (b *Bot) handleViewSubmission(ctx context.Context, envelopeID string, cb slack.InteractionCallback) any {
	log := b.log.With(slog.String("user_id", cb.User.ID), slog.String("callback_id", cb.View.CallbackID))
	var errs map[string]string
	switch cb.View.CallbackID {
	case callbackStartRound:
		errs = b.submitStartModal(ctx, envelopeID, cb, log)
	case callbackAssign:
		errs = b.submitAssignModal(ctx, envelopeID, cb, log)
	case callbackBlocked:
		errs = b.submitBlockedModal(ctx, envelopeID, cb, log)
	default:
		log.Warn("view submission for an unknown form")
		return nil
	}
	if len(errs) > 0 {
		return slack.NewErrorsViewSubmissionResponse(errs)
	}
	return nil
}

func stateValue(cb slack.InteractionCallback, blockID, actionID string) slack.BlockAction {
	if cb.View.State == nil {
		return slack.BlockAction{}
	}
	return cb.View.State.Values[blockID][actionID]
}

func (b *Bot) submitStartModal(ctx context.Context, envelopeID string, cb slack.InteractionCallback, log *slog.Logger) map[string]string {
	var meta startModalMetadata
	_ = json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta)
	people := map[scoring.Role]string{}
	for _, role := range scoring.Roles {
		if u := stateValue(cb, string(role), "user").SelectedUser; u != "" {
			people[role] = u
		}
	}
	channelID := stateValue(cb, "channel", "channel").SelectedConversation
	if channelID == "" {
		channelID = meta.ChannelID
	}
	if errs := b.checkStartFields(ctx, channelID, people); len(errs) > 0 {
		return errs
	}
	round, err := b.startRound(ctx, startRequest{
		DeliveryID: envelopeID, WorkspaceID: cb.Team.ID, ChannelID: channelID, Facilitator: cb.User.ID, People: people,
	})
	if errors.Is(err, errDuplicate) {
		return nil
	}
	if err != nil {
		return map[string]string{"channel": b.explain(log, err)}
	}
	// The form closes on this ack; confirm privately in the channel.
	text := fmt.Sprintf("Started round %d. I'm sending each respondent their questionnaire by DM; answers stay hidden until everyone has submitted.", round.ID)
	if _, err := b.api.PostEphemeralContext(ctx, channelID, cb.User.ID, slack.MsgOptionText(text, false)); err != nil {
		log.Warn("confirming the start failed", slog.Any("error", err))
	}
	return nil
}

func (b *Bot) handleBlockActions(ctx context.Context, envelopeID string, cb slack.InteractionCallback) {
	log := b.log.With(slog.String("user_id", cb.User.ID))
	for _, a := range cb.ActionCallback.BlockActions {
		switch {
		case strings.HasPrefix(a.ActionID, actionAnswer+"_"):
			b.clickAnswer(ctx, envelopeID, cb, a, log)
		case a.ActionID == actionSubmit:
			b.clickSubmit(ctx, envelopeID, cb, a, log)
		case a.ActionID == actionAssign:
			b.clickAssign(ctx, cb, a, log)
		case a.ActionID == actionAddressed:
			b.clickAddressed(ctx, envelopeID, cb, a, log)
		case strings.HasPrefix(a.ActionID, actionStatus+"_"):
			b.clickActionStatus(ctx, envelopeID, cb, a, log)
		case a.ActionID == actionStartNext:
			b.clickStartNext(ctx, cb, a, log)
		default:
			log.Warn("click on an unknown button", slog.String("action_id", a.ActionID))
		}
	}
}

// parseAnswerClick reads round, role, question and score from a card's
// button and refuses anything our cards could not have sent.
func (b *Bot) parseAnswerClick(a *slack.BlockAction) (roundID int64, role scoring.Role, question string, score int, err error) {
	parts := strings.Split(strings.TrimPrefix(a.BlockID, blockAnswerPrefix), ":")
	if !strings.HasPrefix(a.BlockID, blockAnswerPrefix) || len(parts) != 3 {
		return 0, "", "", 0, errTampered
	}
	role, question = scoring.Role(parts[1]), parts[2]
	if roundID, err = parseRoundID(parts[0]); err != nil || !role.Valid() {
		return 0, "", "", 0, errTampered
	}
	score, err = strconv.Atoi(a.Value)
	if err != nil || a.ActionID != fmt.Sprintf("%s_%d", actionAnswer, score) {
		return 0, "", "", 0, errTampered
	}
	if b.in.CheckScore(question, score) != nil {
		return 0, "", "", 0, errTampered
	}
	return roundID, role, question, score, nil
}

func (b *Bot) clickAnswer(ctx context.Context, envelopeID string, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	roundID, role, question, score, err := b.parseAnswerClick(a)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	log = log.With(slog.Int64("round_id", roundID))
	err = b.answer(ctx, answerRequest{DeliveryID: envelopeID, RoundID: roundID, Role: role, UserID: cb.User.ID, Question: question, Score: score})
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	b.showCard(ctx, cb, roundID, role, log)
}

// showCard updates the respondent's own questionnaire right after their
// click; if Slack refuses now, a job brings it up to date later.
func (b *Bot) showCard(ctx context.Context, cb slack.InteractionCallback, roundID int64, role scoring.Role, log *slog.Logger) {
	err := b.refreshCard(ctx, roundID, role, cb.Container.ChannelID, cb.Container.MessageTs)
	if err == nil {
		return
	}
	log.Warn("updating the questionnaire failed; queued", slog.Any("error", err))
	now := b.clock.Now()
	job := b.job(jobCard, roundID, jobPayload{Role: role, Step: changeKey()}, now)
	if _, err := b.store.Enqueue(ctx, job); err != nil {
		log.Error("queueing the questionnaire update failed", slog.Any("error", err))
	}
	b.Wake()
}

// stripedLocks serialises work per key without a map that grows forever.
type stripedLocks [64]sync.Mutex

func (s *stripedLocks) lock(key string) (unlock func()) {
	h := fnv.New32a()
	h.Write([]byte(key))
	m := &s[h.Sum32()%uint32(len(s))]
	m.Lock()
	return m.Unlock
}

func (b *Bot) clickSubmit(ctx context.Context, envelopeID string, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	roundID, err := parseRoundID(a.Value)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, errTampered, "")
		return
	}
	log = log.With(slog.Int64("round_id", roundID))
	out, err := b.submit(ctx, envelopeID, roundID, cb.User.ID)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	b.showCard(ctx, cb, roundID, out.Respondent.Role, log)
}

func (b *Bot) handleEvent(ctx context.Context, evt socketmode.Event) {
	outer, ok := evt.Data.(slackevents.EventsAPIEvent)
	if !ok {
		return
	}
	eventID := evt.Request.EnvelopeID
	if cb, ok := outer.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" {
		eventID = cb.EventID
	}
	switch inner := outer.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if inner.Tab != "home" {
			return
		}
		// Publishing is idempotent, so a redelivered event just publishes
		// again; no deduplication that could swallow a retry after a failure.
		log := b.log.With(slog.String("user_id", inner.User), slog.String("event_id", eventID))
		if err := b.publishHome(ctx, outer.TeamID, inner.User); err != nil {
			log.Error("publishing home failed", slog.Any("error", err))
		}
	}
}
