package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// route handles one Socket Mode event, on the reader's goroutine. It acks
// each envelope first and handles it after, so a slow flow never holds up
// the next envelope or Slack's 3-second limit; view submissions are the
// exception, their validation errors travel in the ack. A person's clicks
// are handled one after another, in the order they arrived, so a Submit
// pressed right after the last answer sees that answer.
func (b *Bot) route(ctx context.Context, socket *socketReader, evt socketEvent) {
	arrived := time.Now()
	switch evt.Type {
	case socketmode.EventTypeConnected:
		b.log.Info("socket mode connected")
	case socketmode.EventTypeHello:
		b.setConnected(true)
	case socketmode.EventTypeConnecting, socketmode.EventTypeDisconnect:
		b.setConnected(false)
	case socketmode.EventTypeConnectionError:
		b.setConnected(false)
		b.log.Warn("socket mode connection error", slog.Any("error", evt.Data))
	case socketmode.EventTypeInvalidAuth:
		b.setConnected(false)
		b.log.Error("slack refused SLACK_APP_TOKEN")
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			return
		}
		// Recorded before the ack, so that if this replica dies with it
		// another answers the person; off the event loop, which never waits
		// for the database.
		acked := make(chan struct{})
		go func() {
			defer close(acked)
			b.beginCommand(evt.EnvelopeID, cmd)
			b.ack(socket, evt.EnvelopeID, nil)
		}()
		b.handle(ctx, cmd.UserID, func(ctx context.Context) {
			<-acked
			b.handleCommand(ctx, evt.EnvelopeID, cmd)
			b.metrics.CommandReplied(time.Since(arrived))
		})
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			return
		}
		if cb.Type == slack.InteractionTypeViewSubmission {
			// The answer to a form goes in the ack, within Slack's 3
			// seconds; it still waits for the person's earlier clicks.
			b.handle(ctx, cb.User.ID, func(ctx context.Context) {
				ctx, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
				defer cancel()
				b.ack(socket, evt.EnvelopeID, b.handleViewSubmission(ctx, evt.EnvelopeID, cb))
			})
			return
		}
		b.ack(socket, evt.EnvelopeID, nil)
		if cb.Type == slack.InteractionTypeBlockActions {
			b.metrics.ClickAcked(time.Since(arrived))
			ctx := withArrival(ctx, arrived)
			b.handle(ctx, cb.User.ID, func(ctx context.Context) { b.handleBlockActions(ctx, evt.EnvelopeID, cb) })
		}
	case socketmode.EventTypeEventsAPI:
		b.ack(socket, evt.EnvelopeID, nil)
		outer, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			return
		}
		user := ""
		switch inner := outer.InnerEvent.Data.(type) {
		case *slackevents.AppHomeOpenedEvent:
			user = inner.User
		case *slackevents.MessageEvent:
			user = inner.User
		default:
			// Changes to the workspace go one after another, in order.
			user = workspaceLane
		}
		b.handle(ctx, user, func(ctx context.Context) { b.handleEvent(ctx, evt.EnvelopeID, outer) })
	}
}

func (b *Bot) ack(socket *socketReader, envelopeID string, payload any) {
	if err := socket.ack(envelopeID, payload); err != nil {
		b.log.Warn("ack failed", slog.String("envelope_id", envelopeID), slog.Any("error", err))
	}
}

// handle queues fn behind the person's earlier envelopes and runs it with a
// context that survives shutdown long enough to finish the flow.
func (b *Bot) handle(ctx context.Context, userID string, fn func(ctx context.Context)) {
	b.handlers.Add(1)
	b.clicks.run(userID, func() {
		defer b.handlers.Done()
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				b.log.Error("handler panicked", slog.Any("panic", p))
			}
		}()
		fn(hctx)
	})
}

// lanes runs work in order per key (a person), different keys side by side,
// with at most limit pieces of work running at once. A lane's goroutine ends
// when its queue is empty, so idle people cost nothing.
type lanes struct {
	slots chan struct{}
	mu    sync.Mutex
	queue map[string][]func()
}

// defaultMaxInFlight is how many handlers run at once unless configured.
const defaultMaxInFlight = 64

func newLanes(limit int) *lanes {
	return &lanes{slots: make(chan struct{}, limit), queue: map[string][]func(){}}
}

// run queues fn behind key's earlier work.
func (l *lanes) run(key string, fn func()) {
	l.mu.Lock()
	pending, busy := l.queue[key]
	l.queue[key] = append(pending, fn)
	l.mu.Unlock()
	if busy {
		return
	}
	go l.drain(key)
}

func (l *lanes) drain(key string) {
	for {
		l.mu.Lock()
		pending := l.queue[key]
		if len(pending) == 0 {
			delete(l.queue, key)
			l.mu.Unlock()
			return
		}
		fn := pending[0]
		l.queue[key] = pending[1:]
		l.mu.Unlock()
		l.slots <- struct{}{}
		fn()
		<-l.slots
	}
}

// waiting returns how much work is queued or running for key.
func (l *lanes) waiting(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue[key])
}
