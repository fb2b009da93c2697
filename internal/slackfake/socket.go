package slackfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// maxAckSize is the size from which Slack silently drops an ack.
const maxAckSize = 20 * 1024

// writeTimeout bounds every websocket write.
const writeTimeout = 10 * time.Second

// socketConn is one Socket Mode connection.
type socketConn struct {
	id   int
	ws   *websocket.Conn
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	pending []outbound    // frames for the writer, never dropped
	wake    chan struct{} // signals the writer that pending has frames
}

func newSocketConn(ws *websocket.Conn) *socketConn {
	return &socketConn{ws: ws, done: make(chan struct{}), wake: make(chan struct{}, 1)}
}

// send queues a frame for the connection's writer. It never blocks.
func (c *socketConn) send(o outbound) {
	c.mu.Lock()
	c.pending = append(c.pending, o)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// take returns the queued frames.
func (c *socketConn) take() []outbound {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending
	c.pending = nil
	return p
}

// outbound is a frame waiting for the connection's writer.
type outbound struct {
	data []byte
	// closeAfter closes the connection after the frame, as Slack does after
	// a disconnect message.
	closeAfter bool
}

// kill closes the connection at once, without a close frame.
func (c *socketConn) kill() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

// envelope is a Socket Mode envelope and its delivery state.
type envelope struct {
	id              string
	typ             string
	payload         json.RawMessage
	acceptsResponse bool
	attempt         int    // retry_attempt of the latest delivery
	reason          string // retry_reason of the latest delivery
	deliveries      []int
	acked           bool
	ackedCh         chan struct{}
	failed          bool
	timer           *time.Timer

	// What the envelope is about, to apply its ack as Slack would.
	interaction string // interaction type of an interactive envelope
	userID      string
	channelID   string
	viewID      string
}

// frame renders the envelope as sent on the socket.
func (e *envelope) frame() []byte {
	data, _ := json.Marshal(obj{
		"envelope_id":              e.id,
		"type":                     e.typ,
		"accepts_response_payload": e.acceptsResponse,
		"retry_attempt":            e.attempt,
		"retry_reason":             e.reason,
	})
	// The payload is JSON the fake encoded: spliced in, not re-encoded.
	return spliceJSON(data, "payload", e.payload)
}

// handleSocket serves the websocket URL handed out by apps.connections.open.
func (s *Server) handleSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket] && !s.closed
	delete(s.tickets, ticket)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client.
	}
	c := newSocketConn(ws)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.connSeq++
	c.id = s.connSeq
	s.conns = append(s.conns, c)
	hello, _ := json.Marshal(obj{
		"type":            "hello",
		"num_connections": len(s.conns),
		"debug_info": obj{
			"host":                        fmt.Sprintf("applink-fake-%d", c.id),
			"build_number":                105,
			"approximate_connection_time": 18060,
		},
		"connection_info": obj{"app_id": s.appTokenApp()},
	})
	c.send(outbound{data: hello})
	queued := s.queue
	s.queue = nil
	for _, e := range queued {
		s.dispatch(e)
	}
	s.wg.Add(2)
	s.notify()
	s.mu.Unlock()
	s.log.Info("slackfake: socket connected", slog.Int("connection", c.id), slog.String("origin", r.Header.Get("Origin")))

	go func() {
		defer s.wg.Done()
		s.writeLoop(c)
	}()
	defer s.wg.Done()
	s.readLoop(c)
}

// writeLoop is the connection's only writer: hello, envelopes, disconnect,
// and pings at the configured interval, the first right after hello so that
// the client's ping watchdog starts fresh.
func (s *Server) writeLoop(c *socketConn) {
	ticker := time.NewTicker(s.cfg.pingInterval)
	defer ticker.Stop()
	ping := func() bool {
		return c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(writeTimeout)) == nil
	}
	for _, msg := range c.take() {
		if !s.write(c, msg) {
			return
		}
	}
	if !ping() {
		s.dropConn(c)
		return
	}
	for {
		select {
		case <-c.done:
			return
		case <-ticker.C:
			if !ping() {
				s.dropConn(c)
				return
			}
		case <-c.wake:
			for _, msg := range c.take() {
				if !s.write(c, msg) {
					return
				}
			}
		}
	}
}

// write writes one frame; it reports whether the connection lives on.
func (s *Server) write(c *socketConn, msg outbound) bool {
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, msg.data); err != nil {
		s.dropConn(c)
		return false
	}
	if !msg.closeAfter {
		return true
	}
	// Slack leaves the client a moment to close its side first, as a
	// client told to disconnect does: closing at once would cut off what
	// the client has read but not yet handed on.
	select {
	case <-c.done:
	case <-time.After(time.Second):
		closing := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = c.ws.WriteControl(websocket.CloseMessage, closing, time.Now().Add(writeTimeout))
	}
	s.dropConn(c)
	return false
}

// readLoop reads the client's acks until the connection ends.
func (s *Server) readLoop(c *socketConn) {
	defer s.dropConn(c)
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			s.log.Info("slackfake: socket closed", slog.Int("connection", c.id), slog.Any("error", err))
			return
		}
		if kind != websocket.TextMessage {
			s.mu.Lock()
			s.problem(fmt.Sprintf("connection %d: binary frame", c.id))
			s.mu.Unlock()
			continue
		}
		s.handleAck(c, data)
	}
}

// dropConn forgets a connection and closes it.
func (s *Server) dropConn(c *socketConn) {
	c.kill()
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(s.conns, c); i >= 0 {
		s.conns = slices.Delete(s.conns, i, i+1)
		s.notify()
	}
}

// handleAck records an ack and applies it.
func (s *Server) handleAck(c *socketConn, data []byte) {
	var msg struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify()
	if err := json.Unmarshal(data, &msg); err != nil || msg.EnvelopeID == "" {
		s.problem(fmt.Sprintf("connection %d: not an ack: %.200s", c.id, data))
		return
	}
	if bytes.Equal(bytes.TrimSpace(msg.Payload), []byte("null")) {
		msg.Payload = nil
	}
	ack := Ack{EnvelopeID: msg.EnvelopeID, Payload: msg.Payload, Connection: c.id, At: s.now()}
	e, known := s.envelopes[msg.EnvelopeID]
	if known {
		ack.EnvelopeType = e.typ
	}
	s.record("ack", bytes.TrimSpace(data), http.StatusOK, "")
	if len(data) >= maxAckSize {
		ack.Dropped = true
		s.acks = append(s.acks, ack)
		s.problem(fmt.Sprintf("ack of %s is %d bytes; Slack drops acks of %d bytes or more", msg.EnvelopeID, len(data), maxAckSize))
		return
	}
	s.acks = append(s.acks, ack)
	if !known {
		s.problem(fmt.Sprintf("ack for unknown envelope %s", msg.EnvelopeID))
		return
	}
	if e.acked {
		return
	}
	e.acked = true
	close(e.ackedCh)
	if e.timer != nil {
		e.timer.Stop()
	}
	s.applyAck(e, msg.Payload)
}

// applyAck does what Slack does with an ack's payload: a slash command's is
// a response to the person, a view submission's says what to do with the
// modal; others are ignored. The caller holds s.mu.
func (s *Server) applyAck(e *envelope, payload json.RawMessage) {
	switch {
	case e.typ == EnvelopeSlashCommands && len(payload) > 0:
		var body responseBody
		if err := json.Unmarshal(payload, &body); err != nil {
			s.problem(fmt.Sprintf("slash command ack %s: payload is not a message: %v", e.id, err))
			return
		}
		if body.Text == "" && len(bytes.TrimSpace(body.Blocks)) == 0 {
			return
		}
		if _, err := s.respond(e.userID, e.channelID, "", body, "ack"); err != "" {
			s.problem(fmt.Sprintf("slash command ack %s: %s", e.id, err))
		}
	case e.typ == EnvelopeInteractive && e.interaction == "view_submission":
		s.applyViewSubmissionAck(e, payload)
	}
}

// problem records something the bot did that Slack would not accept. The
// caller holds s.mu.
func (s *Server) problem(msg string) {
	s.log.Warn("slackfake: protocol error", slog.String("problem", msg))
	s.problems = append(s.problems, msg)
}

// newEnvelope registers an envelope. The caller holds s.mu.
func (s *Server) newEnvelope(typ string, payload json.RawMessage, acceptsResponse bool) *envelope {
	e := &envelope{
		id:              s.newEnvelopeID(),
		typ:             typ,
		payload:         payload,
		acceptsResponse: acceptsResponse,
		ackedCh:         make(chan struct{}),
	}
	s.envelopes[e.id] = e
	s.envOrder = append(s.envOrder, e)
	return e
}

// dispatch sends an envelope to one live connection, round robin, or queues
// it until a connection is up. The caller holds s.mu.
func (s *Server) dispatch(e *envelope) {
	if len(s.conns) == 0 {
		s.queue = append(s.queue, e)
		return
	}
	c := s.conns[s.rr%len(s.conns)]
	s.rr++
	c.send(outbound{data: e.frame()})
	e.deliveries = append(e.deliveries, c.id)
	s.armAckTimer(e)
	s.log.Debug("slackfake: envelope sent", slog.String("envelope_id", e.id),
		slog.String("type", e.typ), slog.Int("retry_attempt", e.attempt), slog.Int("connection", c.id))
}

// armAckTimer starts waiting for the ack of the envelope's latest delivery.
// The caller holds s.mu.
func (s *Server) armAckTimer(e *envelope) {
	if e.timer != nil {
		e.timer.Stop()
	}
	attempt := e.attempt
	e.timer = time.AfterFunc(s.cfg.ackTimeout, func() { s.ackTimedOut(e, attempt) })
}

// ackTimedOut redelivers an envelope whose delivery went unacked, if Slack
// would, with retry_attempt incremented and retry_reason "timeout".
func (s *Server) ackTimedOut(e *envelope, attempt int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || e.acked || e.attempt != attempt {
		return
	}
	defer s.notify()
	if !s.cfg.redeliver[e.typ] || e.attempt >= s.cfg.maxRetries {
		e.failed = true
		s.log.Info("slackfake: envelope not acked", slog.String("envelope_id", e.id), slog.String("type", e.typ))
		return
	}
	e.attempt++
	e.reason = "timeout"
	s.dispatch(e)
}

// Redeliver sends an envelope again, acked or not, with the same envelope_id
// and payload, retry_attempt incremented and retry_reason "timeout": the
// duplicate delivery Slack may make.
func (s *Server) Redeliver(envelopeID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.envelopes[envelopeID]
	if !ok {
		return fmt.Errorf("slackfake: no envelope %s", envelopeID)
	}
	e.attempt++
	e.reason = "timeout"
	e.failed = false
	s.dispatch(e)
	s.notify()
	return nil
}

// DropSockets closes every Socket Mode connection abruptly, without a
// disconnect message or a close frame, as a network failure would.
func (s *Server) DropSockets() {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.notify()
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
}

// RequestReconnect sends every connection a disconnect message with the
// given reason ("refresh_requested", "warning", "link_disabled") and then
// closes it. No envelope goes to those connections afterwards; envelopes wait
// for the client to reconnect.
func (s *Server) RequestReconnect(reason string) {
	data, _ := json.Marshal(obj{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": obj{"host": "applink-fake"},
	})
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.notify()
	s.mu.Unlock()
	for _, c := range conns {
		c.send(outbound{data: data, closeAfter: true})
	}
}

// Connections returns the number of live Socket Mode connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// WaitConnections waits until exactly n Socket Mode connections are live.
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func() bool { return s.Connections() == n })
}

// Acks returns every ack received, in order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.acks, Ack.clone)
}

// WaitAck waits for the first ack of an envelope and returns it.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	s.mu.Lock()
	e, ok := s.envelopes[envelopeID]
	s.mu.Unlock()
	if !ok {
		return Ack{}, fmt.Errorf("slackfake: no envelope %s", envelopeID)
	}
	select {
	case <-e.ackedCh:
	case <-ctx.Done():
		return Ack{}, fmt.Errorf("slackfake: waiting for the ack of %s: %w", envelopeID, ctx.Err())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.acks {
		if a.EnvelopeID == envelopeID && !a.Dropped {
			return a.clone(), nil
		}
	}
	return Ack{}, errors.New("slackfake: ack vanished") // unreachable: acks are never removed
}

// Envelopes returns the delivery record of every envelope, in creation
// order.
func (s *Server) Envelopes() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Envelope, len(s.envOrder))
	for i, e := range s.envOrder {
		out[i] = cloneEnvelope(Envelope{
			ID: e.id, Type: e.typ, Payload: e.payload,
			Deliveries: e.deliveries, Acked: e.acked, Failed: e.failed,
		})
	}
	return out
}
