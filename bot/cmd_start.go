package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/locale"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/scoring"
)

// /alignment start, the start form, and the "Start next round" and "Start a
// round" buttons that open it.

// commandStart checks the people, the channel and the starter, then starts
// the round.
func (b *Bot) commandStart(ctx context.Context, envelopeID string, cmd slack.SlashCommand, c command) (string, error) {
	in := scoring.Default()
	if c.instrument != "" {
		in, _ = scoring.Lookup(c.instrument)
	}
	target := c.channel
	if target == "" {
		target = cmd.ChannelID
	}
	people := map[scoring.Role]string{}
	for i, u := range c.users {
		if i >= len(in.Roles) {
			return "", userErr("start.roles", "Instrument", instrumentName{in}, "Roles", len(in.Roles), "RoleList", roleList{in}, "Named", len(c.users))
		}
		people[in.Roles[i].Role] = u
	}
	if errs := b.checkStart(ctx, cmd.UserID, target, target == cmd.ChannelID, in, people); len(errs) > 0 {
		for _, field := range []string{"channel", string(scoring.Marketing), string(scoring.Sales), string(scoring.Observer)} {
			if msg, ok := errs[field]; ok {
				return "", userError{msg: msg}
			}
		}
	}
	round, err := b.startRound(ctx, startRequest{
		DeliveryID: envelopeID, WorkspaceID: cmd.TeamID, ChannelID: target, Facilitator: cmd.UserID, Instrument: in, People: people,
		Language: b.roundLanguage(ctx, c.lang, cmd.UserID),
	})
	if err != nil {
		return "", err
	}
	l := readerLang(ctx)
	return locale.For(l).T("start.started", "Round", round.ID, "Instrument", locale.For(l).Instrument(in).Name,
		"Channel", render.ChannelRef(target), "Due", render.Date(l, round.DeadlineAt), "Language", render.RoundLang(round).Name()), nil
}

// checkStart returns what is wrong with a start, by form field ("channel"
// or a role), before anything is stored. typedIn is set when the starter
// typed the command in the channel itself, which shows they are a member.
func (b *Bot) checkStart(ctx context.Context, starter, channelID string, typedIn bool, in *scoring.Instrument, people map[scoring.Role]string) map[string]string {
	ctx = slackapi.Interactive(ctx)
	errs := map[string]string{}
	if msg := b.checkChannel(ctx, channelID); msg != "" {
		errs["channel"] = msg
	} else if !typedIn {
		member, err := b.dir.isMember(ctx, channelID, starter)
		if err != nil {
			errs["channel"] = say(ctx).T("start.check_member_failed")
		} else if err := mayStart(actor{ID: starter}, member, channelID); err != nil {
			errs["channel"] = b.explain(ctx, b.log, err)
		}
	}
	p := say(ctx)
	lin := p.Instrument(in)
	for role := range people {
		if !in.HasRole(role) {
			errs[string(role)] = p.T("start.no_such_role", "Instrument", lin.Name, "Role", p.T("role."+string(role)),
				"Roles", translateArgs(p, []any{roleList{in}})[0])
		}
	}
	seen := map[string]scoring.Role{}
	for _, spec := range in.Roles {
		u, ok := people[spec.Role]
		if !ok {
			continue
		}
		if other, dup := seen[u]; dup {
			errs[string(spec.Role)] = p.T("start.already_role", "User", render.Mention(u), "Role", render.InSentence(lin.RoleLabel(other)))
			continue
		}
		seen[u] = spec.Role
	}
	for _, spec := range in.Roles {
		u, ok := people[spec.Role]
		if !ok {
			if spec.Role.IsLead() {
				errs[string(spec.Role)] = p.T("start.required", "Role", render.InSentence(lin.RoleLabel(spec.Role)))
			}
			continue
		}
		if _, done := errs[string(spec.Role)]; done {
			continue
		}
		if msg := b.checkPerson(ctx, u); msg != "" {
			errs[string(spec.Role)] = msg
		}
	}
	return errs
}

func (b *Bot) checkChannel(ctx context.Context, channelID string) string {
	p := say(ctx)
	if strings.HasPrefix(channelID, "D") || channelID == "" {
		return p.T("start.in_channel", "Usage", render.StartUsage(p.Lang()))
	}
	r, err := b.dir.room(ctx, channelID)
	switch {
	case slackErrorCode(err) == "channel_not_found":
		return p.T("start.cannot_see", "Channel", render.ChannelRef(channelID))
	case err != nil:
		return p.T("start.check_channel_failed")
	case r.Archived:
		return p.T("start.archived", "Channel", render.ChannelRef(channelID))
	case !r.IsMember:
		return p.T("start.not_in_channel", "Channel", render.ChannelRef(channelID))
	}
	return ""
}

// checkPerson refuses people who cannot answer: bots, deactivated accounts,
// strangers to the workspace.
func (b *Bot) checkPerson(ctx context.Context, userID string) string {
	p, err := b.dir.person(ctx, userID)
	t := say(ctx)
	switch {
	case slackErrorCode(err) == "user_not_found":
		return t.T("person.not_found", "User", render.Mention(userID))
	case err != nil:
		return t.T("person.check_failed")
	case p.IsBot || userID == b.botUser():
		return t.T("person.bot", "User", render.Mention(userID))
	case p.Deleted:
		return t.T("person.deactivated", "User", render.Mention(userID))
	}
	return ""
}

// startModalMetadata travels in the start form's private_metadata.
type startModalMetadata struct {
	ChannelID string `json:"channel_id"`
}

func startMetadata(channelID string) string {
	meta, _ := json.Marshal(startModalMetadata{ChannelID: channelID})
	return string(meta)
}

// dmOrChannel is the channel to preselect in the form: none from a DM.
func dmOrChannel(channelID string) string {
	if strings.HasPrefix(channelID, "D") {
		return ""
	}
	return channelID
}

// openStartForm opens the start form. It is the first thing done with the
// trigger, which expires 3 seconds after the person acted.
func (b *Bot) openStartForm(ctx context.Context, triggerID string, f render.StartForm) error {
	f.Lang = readerLang(ctx)
	if !f.Language.Valid() {
		f.Language = b.cfg.Language
		if !f.Language.Valid() {
			f.Language = f.Lang
		}
	}
	if _, err := b.api.OpenViewContext(slackapi.Interactive(ctx), triggerID, render.RenderStartModal(f)); err != nil {
		return fmt.Errorf("open start form: %w", err)
	}
	return nil
}

func (b *Bot) submitStartForm(ctx context.Context, envelopeID string, cb slack.InteractionCallback, log *slog.Logger) map[string]string {
	var meta startModalMetadata
	_ = json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta)
	in := scoring.Default()
	if id := stateValue(cb, "instrument", "instrument").SelectedOption.Value; id != "" {
		var ok bool
		if in, ok = scoring.Lookup(id); !ok {
			return map[string]string{"instrument": errTampered.in(readerLang(ctx))}
		}
	}
	var lang locale.Lang
	if v := stateValue(cb, "language", "language").SelectedOption.Value; v != "" {
		var ok bool
		if lang, ok = locale.Parse(v); !ok || string(lang) != v {
			return map[string]string{"language": errTampered.in(readerLang(ctx))}
		}
	}
	people := map[scoring.Role]string{}
	for _, role := range []scoring.Role{scoring.Marketing, scoring.Sales, scoring.Observer} {
		if u := stateValue(cb, string(role), "user").SelectedUser; u != "" {
			people[role] = u
		}
	}
	channelID := stateValue(cb, "channel", "channel").SelectedConversation
	if channelID == "" {
		channelID = meta.ChannelID
	}
	if errs := b.checkStart(ctx, cb.User.ID, channelID, false, in, people); len(errs) > 0 {
		return errs
	}
	round, err := b.startRound(ctx, startRequest{
		DeliveryID: envelopeID, WorkspaceID: cb.Team.ID, ChannelID: channelID, Facilitator: cb.User.ID, Instrument: in, People: people,
		Language: b.roundLanguage(ctx, lang, cb.User.ID),
	})
	if errors.Is(err, errDuplicate) {
		return nil
	}
	if err != nil {
		return map[string]string{"channel": b.explain(ctx, log, err)}
	}
	// The form closes on this ack; confirm privately in the channel.
	p := say(ctx)
	text := p.T("start.started_form", "Round", round.ID, "Instrument", p.Instrument(in).Name, "Language", render.RoundLang(round).Name())
	if _, err := b.api.PostEphemeralContext(slackapi.Interactive(ctx), channelID, cb.User.ID, slack.MsgOptionText(text, false)); err != nil {
		log.Warn("confirming the start failed", slog.Any("error", err))
	}
	return nil
}

// clickStartNext opens the start form filled in with the previous round's
// instrument, people and channel, to edit or confirm.
func (b *Bot) clickStartNext(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction, log *slog.Logger) {
	// The trigger expires in 3 seconds: two reads, then the form.
	round, ok := b.channelRound(ctx, cb, a, log)
	if !ok {
		return
	}
	respondents, err := b.store.Respondents(ctx, round.ID)
	if err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
		return
	}
	people := map[scoring.Role]string{}
	for _, r := range respondents {
		people[r.Role] = r.UserID
	}
	f := render.StartForm{Metadata: startMetadata(round.ChannelID), ChannelID: round.ChannelID, People: people, Instrument: round.Instrument,
		Language: render.RoundLang(round)}
	if err := b.openStartForm(ctx, cb.TriggerID, f); err != nil {
		b.reply(ctx, cb.ResponseURL, log, err, "")
	}
}
