package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// socketReader keeps one Socket Mode connection open and hands each frame to
// the bot decoded, in the order it arrived. slack-go opens the connection
// (apps.connections.open) and its types carry the envelopes; the reading is
// the bot's own so that a click is decoded into the few fields it needs,
// not into the blocks of the message Slack echoes with it.
//
// It behaves as slack-go's socketmode.Client: a disconnect message, a
// failed read or no ping from Slack for pingTimeout closes the connection
// and opens a new one (never two at once); acks queued while no connection
// is open go out on the next one; Slack refusing the app token ends Run.
type socketReader struct {
	api         *slack.Client
	log         *slog.Logger
	dialer      *websocket.Dialer
	pingTimeout time.Duration

	mu      sync.Mutex
	pending [][]byte      // acks for the connection's writer, never dropped
	wake    chan struct{} // tells the writer pending has acks
}

// socketPingTimeout is how long the reader waits for Slack's ping before it
// reconnects, as slack-go does.
const socketPingTimeout = 30 * time.Second

// maxAckSize is the size from which Slack silently drops an ack.
const maxAckSize = 20 * 1024

func newSocketReader(api *slack.Client, log *slog.Logger) *socketReader {
	return &socketReader{
		api: api, log: log, pingTimeout: socketPingTimeout, wake: make(chan struct{}, 1),
		dialer: &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 45 * time.Second, WriteBufferSize: 32 * 1024},
	}
}

// ack queues the acknowledgement of an envelope, with payload unless nil.
// It never waits for the connection.
func (s *socketReader) ack(envelopeID string, payload any) error {
	res := socketmode.Response{EnvelopeID: envelopeID, Payload: payload}
	data, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode ack: %w", err)
	}
	if len(data) >= maxAckSize {
		return fmt.Errorf("ack of %d bytes: Slack drops acks of %d bytes or more", len(data), maxAckSize)
	}
	s.mu.Lock()
	s.pending = append(s.pending, data)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

func (s *socketReader) takeAcks() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending
	s.pending = nil
	return p
}

// requeue puts acks back in front of those queued since, and wakes the
// writer that sends them: the next connection's, if this one's is done.
func (s *socketReader) requeue(acks [][]byte) {
	s.mu.Lock()
	s.pending = append(acks, s.pending...)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run connects and reads until ctx is done or Slack refuses the app token,
// handing every event to handle on its one goroutine.
func (s *socketReader) run(ctx context.Context, handle func(socketEvent)) error {
	for {
		conn, err := s.connect(ctx, handle)
		if err != nil {
			return err
		}
		handle(socketEvent{Type: socketmode.EventTypeConnected})
		err = s.serve(ctx, conn, handle)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.log.Debug("socket mode reconnecting", slog.Any("error", err))
	}
}

// connect opens a connection, retrying with backoff unless Slack refuses
// the token.
func (s *socketReader) connect(ctx context.Context, handle func(socketEvent)) (*websocket.Conn, error) {
	backoff := 100 * time.Millisecond
	for {
		handle(socketEvent{Type: socketmode.EventTypeConnecting})
		conn, err := s.dial(ctx)
		if err == nil {
			return conn, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		switch err.Error() {
		case "invalid_auth", "account_inactive", "not_authed", "token_revoked":
			handle(socketEvent{Type: socketmode.EventTypeInvalidAuth})
			return nil, err
		}
		wait := backoff
		if code, ok := errors.AsType[slack.StatusCodeError](err); ok && code.Code == http.StatusNotFound {
			handle(socketEvent{Type: socketmode.EventTypeInvalidAuth})
			return nil, err
		} else if limited, ok := errors.AsType[*slack.RateLimitedError](err); ok {
			wait = max(wait, limited.RetryAfter)
		}
		backoff = min(2*backoff, 5*time.Minute)
		handle(socketEvent{Type: socketmode.EventTypeConnectionError, Data: err})
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}

// dial asks Slack for a websocket URL and opens it.
func (s *socketReader) dial(ctx context.Context) (*websocket.Conn, error) {
	_, url, err := s.api.StartSocketModeContext(ctx)
	if err != nil {
		return nil, err
	}
	header := http.Header{}
	header.Add("Origin", "https://api.slack.com")
	conn, resp, err := s.dialer.DialContext(ctx, url, header)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dial socket mode: %w", err)
	}
	return conn, nil
}

// serve reads one connection until it ends: Slack asks to reconnect, a read
// fails, Slack stops pinging, or ctx is done. Its writer sends the acks.
func (s *socketReader) serve(ctx context.Context, conn *websocket.Conn, handle func(socketEvent)) error {
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(done)
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(s.pingTimeout))
	conn.SetPingHandler(func(data string) error {
		_ = conn.SetReadDeadline(time.Now().Add(s.pingTimeout))
		// WriteControl may run beside the writer's WriteMessage.
		_ = conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(10*time.Second))
		return nil
	})
	wg.Go(func() {
		select {
		case <-ctx.Done():
			_ = conn.Close()
		case <-done:
		}
	})
	wg.Go(func() { s.write(conn, done) })
	for {
		kind, frame, err := conn.ReadMessage()
		if err != nil {
			return fmt.Errorf("read socket mode: %w", err)
		}
		if kind != websocket.TextMessage {
			continue
		}
		evt, env, err := decodeSocketFrame(frame)
		if err != nil {
			s.log.Warn("socket mode frame not understood", slog.Any("error", err))
			continue
		}
		handle(evt)
		if evt.Type == socketmode.EventTypeDisconnect {
			return fmt.Errorf("slack asked to reconnect: %s", env.Reason)
		}
	}
}

// write sends queued acks on conn until done or a write fails.
func (s *socketReader) write(conn *websocket.Conn, done <-chan struct{}) {
	for {
		acks := s.takeAcks()
		for i, data := range acks {
			_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := conn.WriteMessage(websocket.TextMessage, data); err != nil {
				// The next connection sends them.
				s.requeue(acks[i:])
				s.log.Warn("ack failed", slog.Any("error", err))
				return
			}
		}
		select {
		case <-done:
			return
		case <-s.wake:
		}
	}
}
