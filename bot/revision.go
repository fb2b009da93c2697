package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/bot/render"
	"github.com/alignbot/alignbot/internal/outbox"
	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/internal/slackapi"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// Messages alignbot edits in place (a round's announcement, a respondent's
// questionnaire, the reveal, an owner's live DM, a person's App Home) are
// live messages (storage.LiveSend). Every change one shows bumps its
// revision in the change's transaction; whoever sends it, a job or the
// click that changed it, takes a turn, renders it from the database as it
// is after that revision, sends, and goes round again if a newer change
// came meanwhile. Two replicas never send one message at once, and the last
// render Slack receives is never older than the last change.
//
// A sender that finds the turn taken leaves the change to the sender that
// has it, which will see it when it finishes. A sender that dies leaves the
// message behind its revision with a lapsed turn; every replica sweeps for
// those and sends them again.

// Keys of live messages.
func announceKey(roundID int64) string { return fmt.Sprintf("announce:%d", roundID) }
func cardKey(roundID int64, role scoring.Role) string {
	return fmt.Sprintf("card:%d:%s", roundID, role)
}
func revealKey(roundID int64) string { return fmt.Sprintf("reveal:%d", roundID) }
func ownerKey(roundID int64, question string) string {
	return fmt.Sprintf("owner:%d:%s", roundID, question)
}
func homeKey(workspaceID, userID string) string {
	return fmt.Sprintf("home:%s:%s", workspaceID, userID)
}

// cardView is what a respondent chose to look at on their questionnaire:
// part of what it shows, so it is kept with the message's revision.
type cardView struct {
	Open       string `json:"open,omitempty"`
	Predicting bool   `json:"predicting,omitempty"`
}

// ownerView is which of an owner's messages the live one is.
type ownerView struct {
	Kind render.OwnerKind `json:"kind"`
}

// liveState is a live message rendered from the database: where it is on
// Slack and what it should show.
type liveState struct {
	// Channel and TS name the message; TS is "" while it is not posted.
	Channel, TS string
	Msg         render.Message
	// Home, for an App Home, with the person it belongs to.
	Home *slack.HomeTabViewRequest
	User string
	// Gone is set when the message has nothing to show any more (its round
	// does not exist).
	Gone bool
}

// errNothingToSend is a send with nothing to do: the message is not
// posted yet (its post will show the latest state) or is gone.
var errNothingToSend = errors.New("no message to update")

// liveOutcome is how a turn at sending a live message ended.
type liveOutcome int

const (
	// liveSent: Slack has the latest revision.
	liveSent liveOutcome = iota
	// liveBusy: another sender has the turn; it sends this change too.
	liveBusy
	// liveAgain: changes kept coming; try again later.
	liveAgain
)

// maxLiveRounds bounds how often one sender goes round for newer changes
// before it leaves the rest to a later try.
const maxLiveRounds = 4

// liveOpts say how to send a live message.
type liveOpts struct {
	// turn is a turn the caller already holds (a click's statement took
	// it); first, when set, is the state it rendered at exactly that
	// revision.
	turn  *storage.LiveSend
	first *liveState
	// force sends on the first turn even when Slack has the latest
	// revision: a job that posts a message not yet on Slack.
	force bool
	// reserve, when set, waits for Slack's budget before each turn is
	// taken, so that a turn is never held while waiting for it.
	reserve func(ctx context.Context) (context.Context, error)
	// waitInTurn makes reserve wait while holding the turn instead: for a
	// message only jobs send (nobody's click is kept waiting by the turn),
	// so that of many senders queued behind one change, one waits for the
	// budget and sends the latest, and the others find the turn taken.
	waitInTurn bool
	// send carries one render to Slack.
	send func(ctx context.Context, turn storage.LiveSend, st liveState) error
}

// sendLive brings the live message key up to date on Slack.
func (b *Bot) sendLive(ctx context.Context, key string, o liveOpts) (liveOutcome, error) {
	for range maxLiveRounds {
		sctx := ctx
		turn := o.turn
		o.turn = nil
		if turn == nil {
			if o.reserve != nil && !o.force && !o.waitInTurn {
				// Slack's budget for an update is small (a channel's is
				// 20 a minute): a sender with nothing to send spends none
				// of it. A change that lands after this look sends itself.
				l, err := b.store.Live(ctx, key)
				if err != nil && !errors.Is(err, storage.ErrNotFound) {
					return 0, err
				}
				if err == nil && !l.Behind() {
					return liveSent, nil
				}
			}
			if o.reserve != nil && !o.waitInTurn {
				var err error
				if sctx, err = o.reserve(ctx); err != nil {
					return 0, err
				}
			}
			t, ok, err := b.store.BeginLiveSend(ctx, key, randomHex(12))
			if err != nil || !ok || (!t.Behind() && !o.force) {
				// Nothing for this sender to send after all.
				b.limited.Release(sctx)
			}
			if err != nil {
				return 0, err
			}
			if !ok {
				return liveBusy, nil
			}
			turn = &t
		}
		if !turn.Behind() && !o.force {
			if _, _, err := b.store.EndLiveSend(context.WithoutCancel(ctx), *turn, false); err != nil {
				return 0, err
			}
			return liveSent, nil
		}
		o.force = false
		sentTurn, sent, err := b.liveTurn(sctx, *turn, o)
		turn = &sentTurn
		o.first = nil
		current, held, endErr := b.store.EndLiveSend(context.WithoutCancel(ctx), *turn, sent)
		if err != nil {
			return 0, err
		}
		if endErr != nil {
			return 0, endErr
		}
		if sent {
			b.liveShown(key, turn.Revision)
		}
		if held && current <= turn.Revision {
			return liveSent, nil
		}
		if !held {
			b.log.Info("a live message's turn ran out while it was sent; sending the latest again", slog.String("live", key))
		}
	}
	return liveAgain, nil
}

// liveTurn renders and sends one revision while holding its turn, renewing
// the turn should the send take long. It returns the turn it sent (newer
// than turn when it waited for Slack's budget in the turn) and reports
// whether Slack got it.
func (b *Bot) liveTurn(ctx context.Context, turn storage.LiveSend, o liveOpts) (storage.LiveSend, bool, error) {
	stop := b.keepTurn(ctx, turn)
	defer stop()
	if o.waitInTurn && o.reserve != nil {
		rctx, err := o.reserve(ctx)
		if err != nil {
			return turn, false, err
		}
		fresh, held, err := b.store.RefreshLiveSend(ctx, turn)
		if err != nil || !held {
			b.limited.Release(rctx)
			return turn, false, err
		}
		ctx, turn = rctx, fresh
	}
	var st liveState
	if o.first != nil {
		st = *o.first
	} else {
		var err error
		if st, err = b.renderLive(ctx, turn.Key, turn.View); err != nil {
			return turn, false, err
		}
	}
	if st.Gone {
		return turn, true, nil
	}
	err := o.send(ctx, turn, st)
	if errors.Is(err, errNothingToSend) {
		return turn, true, nil
	}
	return turn, err == nil, err
}

// keepTurn renews a turn every third of its lease until stopped.
func (b *Bot) keepTurn(ctx context.Context, turn storage.LiveSend) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(b.store.LiveLeaseLength() / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if ok, err := b.store.RenewLiveSend(context.WithoutCancel(ctx), turn); err != nil || !ok {
					b.log.Warn("renewing a live message's turn failed", slog.String("live", turn.Key), slog.Bool("held", ok), slog.Any("error", err))
				}
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// renderLive renders the live message key from the database, with the view
// its last change left.
func (b *Bot) renderLive(ctx context.Context, key string, view json.RawMessage) (liveState, error) {
	kind, rest, _ := strings.Cut(key, ":")
	st, err := b.renderLiveKind(ctx, kind, rest, view)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, errNoRound) {
		return liveState{Gone: true}, nil
	}
	return st, err
}

func (b *Bot) renderLiveKind(ctx context.Context, kind, rest string, view json.RawMessage) (liveState, error) {
	switch kind {
	case "announce":
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return liveState{Gone: true}, nil
		}
		status, err := b.roundStatus(ctx, id)
		if err != nil {
			return liveState{}, err
		}
		return liveState{Channel: status.Round.ChannelID, TS: status.Round.AnnouncementTS, Msg: render.RenderAnnouncement(status)}, nil
	case "card":
		round, role, _ := strings.Cut(rest, ":")
		id, err := strconv.ParseInt(round, 10, 64)
		if err != nil {
			return liveState{Gone: true}, nil
		}
		q, err := b.questionnaire(ctx, id, scoring.Role(role))
		if err != nil {
			return liveState{}, err
		}
		var v cardView
		unmarshal(string(view), &v)
		q.Open, q.Predicting = v.Open, v.Predicting
		return liveState{Channel: q.Respondent.DMChannelID, TS: q.Respondent.QuestionnaireTS, Msg: render.RenderQuestionnaire(q)}, nil
	case "reveal":
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return liveState{Gone: true}, nil
		}
		rv, err := report.Load(ctx, b.store, id)
		if errors.Is(err, report.ErrNotRevealedYet) {
			return liveState{}, nil
		}
		if err != nil {
			return liveState{}, err
		}
		return liveState{Channel: rv.Round.ChannelID, TS: rv.Round.RevealTS, Msg: render.RenderReveal(rv, b.links())}, nil
	case "owner":
		round, question, _ := strings.Cut(rest, ":")
		id, err := strconv.ParseInt(round, 10, 64)
		if err != nil {
			return liveState{Gone: true}, nil
		}
		rv, err := report.LoadBrief(ctx, b.store, id)
		if errors.Is(err, report.ErrNotRevealedYet) {
			return liveState{Gone: true}, nil
		}
		if err != nil {
			return liveState{}, err
		}
		a, ok := rv.Action(question)
		if !ok {
			return liveState{Gone: true}, nil
		}
		v := ownerView{Kind: render.OwnerUpdated}
		unmarshal(string(view), &v)
		return liveState{Channel: a.DMChannelID, TS: a.DMTS, Msg: b.ownerMessage(rv, a, v.Kind, b.personLang(ctx, a.OwnerID))}, nil
	case "home":
		workspace, user, _ := strings.Cut(rest, ":")
		h, err := b.home(ctx, workspace, user)
		if err != nil {
			return liveState{}, err
		}
		view := render.RenderHome(h)
		return liveState{Home: &view, User: user}, nil
	}
	return liveState{Gone: true}, nil
}

// updateLive is the usual send: chat.update of the message (views.publish
// of an App Home).
func (b *Bot) updateLive(ctx context.Context, _ storage.LiveSend, st liveState) error {
	if st.Home != nil {
		_, err := b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: st.User, View: *st.Home})
		if err != nil {
			return heldOn("", fmt.Errorf("publish home: %w", err))
		}
		return nil
	}
	if st.TS == "" {
		return errNothingToSend
	}
	if _, _, _, err := b.api.UpdateMessageContext(ctx, st.Channel, st.TS, st.Msg.Options()...); err != nil {
		return heldOn(st.Channel, fmt.Errorf("update message: %w", err))
	}
	return nil
}

// reserveFor waits for the budget of the call that updates key, before the
// message's turn is taken (see liveOpts.reserve).
func (b *Bot) reserveFor(key string) func(ctx context.Context) (context.Context, error) {
	return func(ctx context.Context) (context.Context, error) {
		kind, _, _ := strings.Cut(key, ":")
		if kind == "home" {
			return b.limited.Reserve(ctx, "views.publish", "")
		}
		channel, err := b.liveChannel(ctx, key)
		if err != nil || channel == "" {
			// Nothing to reserve for: the turn finds out what to do.
			return ctx, nil
		}
		return b.limited.Reserve(ctx, "chat.update", channel)
	}
}

// liveChannel returns the conversation a live message is in, "" when it is
// not posted yet.
func (b *Bot) liveChannel(ctx context.Context, key string) (string, error) {
	kind, rest, _ := strings.Cut(key, ":")
	round, more, _ := strings.Cut(rest, ":")
	id, err := strconv.ParseInt(round, 10, 64)
	if err != nil {
		return "", nil
	}
	switch kind {
	case "announce", "reveal":
		r, err := b.store.Round(ctx, id)
		return r.ChannelID, err
	case "card":
		r, err := b.store.Respondent(ctx, id, scoring.Role(more))
		return r.DMChannelID, err
	case "owner":
		a, err := b.store.Action(ctx, id, more)
		return a.DMChannelID, err
	}
	return "", nil
}

// runLive brings a live message up to date from a job: the job's change is
// committed, so whoever has the turn sends it if this job does not.
func (b *Bot) runLive(ctx context.Context, key string) error {
	outcome, err := b.sendLive(ctx, key, liveOpts{reserve: b.reserveFor(key), waitInTurn: jobsOnly(key), send: b.updateLive})
	switch {
	case err != nil:
		return err
	case outcome == liveAgain:
		// Changes kept coming while it sent: once more, at once.
		return outbox.Again()
	}
	return nil
}

// jobsOnly reports whether only jobs send the live message key: a round's
// announcement and its reveal. A person's click never waits for their
// turn (a click's answer goes to the questionnaire, the owner's DM or the
// App Home).
func jobsOnly(key string) bool {
	kind, _, _ := strings.Cut(key, ":")
	return kind == "announce" || kind == "reveal"
}

// liveJob is the job that brings the live message key up to date after its
// sender died (see sweepLive); one per revision.
func liveJob(key string, revision int64, now time.Time) storage.NewJob {
	var roundID int64
	if kind, rest, _ := strings.Cut(key, ":"); kind != "home" {
		round, _, _ := strings.Cut(rest, ":")
		roundID, _ = strconv.ParseInt(round, 10, 64)
	}
	return storage.NewJob{Key: fmt.Sprintf("%s:%s:%d", jobLive, key, revision), Kind: jobLive, RoundID: roundID,
		Payload: jobPayload{Live: key}, RunAt: now}
}

func (b *Bot) runLiveJob(ctx context.Context, j storage.Job) (any, error) {
	p, err := payload(j)
	if err != nil {
		return nil, err
	}
	return nil, b.runLive(ctx, p.Live)
}

// liveQuiet is how long a live message behind its revision goes untouched
// before the sweep sends it: a turn's lease, which a sender still at work
// renews, so that it is never doubled.
func (b *Bot) liveQuiet() time.Duration { return b.store.LiveLeaseLength() }

// sweepLive finds live messages whose sender died before Slack had their
// latest revision, every few seconds, and queues a job to send each.
func (b *Bot) sweepLive(ctx context.Context) {
	tick := time.NewTicker(min(5*time.Second, max(time.Second, b.store.LiveLeaseLength()/2)))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		behind, err := b.store.LiveBehind(ctx, b.liveQuiet(), 50)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("looking for live messages behind failed", slog.Any("error", err))
			}
			continue
		}
		var jobs []storage.NewJob
		for _, l := range behind {
			jobs = append(jobs, liveJob(l.Key, l.Revision, b.clock.Now()))
		}
		if n, err := b.store.Enqueue(ctx, jobs...); err != nil && ctx.Err() == nil {
			b.log.Warn("queueing live messages behind failed", slog.Any("error", err))
		} else if n > 0 {
			b.log.Info("live messages left behind by a sender are sent again", slog.Int("count", n))
		}
	}
}

// respondLive replaces the clicked message through the click's
// response_url when the live message is that message; otherwise, or when
// Slack refuses the response_url (spent, expired, failing), it updates the
// message with chat.update, ahead of background work.
func (b *Bot) respondLive(cb slack.InteractionCallback, log *slog.Logger) func(ctx context.Context, turn storage.LiveSend, st liveState) error {
	return func(ctx context.Context, turn storage.LiveSend, st liveState) error {
		if st.Home != nil {
			return b.updateLive(slackapi.Interactive(ctx), turn, st)
		}
		clicked := cb.Container.MessageTs
		if cb.ResponseURL != "" && clicked != "" && (st.TS == "" || st.TS == clicked) {
			wm := &slack.WebhookMessage{Text: st.Msg.Text, Blocks: &slack.Blocks{BlockSet: st.Msg.Blocks}, ReplaceOriginal: true}
			err := b.respondRetrying(ctx, cb.ResponseURL, wm)
			if err == nil {
				b.cardUpdated(ctx)
				return nil
			}
			log.Info("response_url refused; updating with chat.update", slog.Any("error", err))
		}
		if st.TS == "" {
			st.Channel, st.TS = cb.Container.ChannelID, clicked
		}
		if st.TS == "" {
			return errNothingToSend
		}
		err := b.updateLive(slackapi.Interactive(ctx), turn, st)
		if err == nil {
			b.cardUpdated(ctx)
		}
		return err
	}
}

// showLive brings a live message up to date for the person who just
// changed it, through their click when it is theirs to send: their click's
// statement took the turn (turn), or the turn is taken now. When Slack
// refuses, a job does it later.
func (b *Bot) showLive(ctx context.Context, cb slack.InteractionCallback, turn *storage.LiveSend, first *liveState, retry storage.NewJob, log *slog.Logger) {
	key := retry.Live
	outcome, err := b.sendLive(ctx, key, liveOpts{turn: turn, first: first, send: b.respondLive(cb, log)})
	if err == nil && outcome != liveAgain {
		return
	}
	if err != nil {
		log.Warn("updating the message failed; queued", slog.String("live", key), slog.Any("error", err))
	}
	if _, err := b.store.Enqueue(context.WithoutCancel(ctx), retry); err != nil {
		log.Error("queueing the message's update failed", slog.String("live", key), slog.Any("error", err))
	}
}

// changeLive bumps a live message's revision with the view the person
// chose and takes its turn when free; the caller shows it with showLive.
// It returns nil when another sender has the turn (it will send this
// change too).
//
// It must be the last change of the message in its transaction: a later
// one (a job whose Live names it) would leave the turn a revision behind,
// and the message would be sent twice.
func (b *Bot) changeLive(ctx context.Context, tx *storage.Storage, key string, view any) (*storage.LiveSend, error) {
	return b.changeLiveAs(ctx, tx, key, view, randomHex(12))
}

// changeLiveAs is changeLive with the turn's token; "" bumps the revision
// and takes no turn.
func (b *Bot) changeLiveAs(ctx context.Context, tx *storage.Storage, key string, view any, token string) (*storage.LiveSend, error) {
	var raw json.RawMessage
	if view != nil {
		raw = json.RawMessage(marshal(view))
	}
	turn, leased, err := tx.ChangeLive(ctx, key, raw, token)
	if err != nil || !leased {
		return nil, err
	}
	return &turn, nil
}
