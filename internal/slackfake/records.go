package slackfake

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Message is a message as the fake stores it: a channel message (posted with
// chat.postMessage, through a response_url or by a person) or an ephemeral
// message that only Recipient sees. Its fields hold the current version;
// Revisions holds every version, the first being the original post.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	// User is the author's user ID: the bot's, or a person's for messages
	// added with AddUserMessage.
	User  string
	BotID string
	Text  string
	// Blocks is the message's blocks as Slack stores them: every block has a
	// block_id and every interactive element an action_id (Slack generates
	// missing ones).
	Blocks   json.RawMessage
	Metadata json.RawMessage
	// Files lists the IDs of the files the message shares (see Files), for a
	// message posted by files.completeUploadExternal.
	Files []string
	// Ephemeral is true for a message only Recipient sees.
	Ephemeral bool
	Recipient string
	Deleted   bool
	// Source is how the message was created: "chat.postMessage",
	// "chat.postEphemeral", "files.completeUploadExternal", "response_url",
	// "ack" (a slash command answered in its ack) or "user" (AddUserMessage,
	// SendDirectMessage).
	Source    string
	Revisions []Revision

	// decoded is Blocks decoded, when the fake decoded them on the way in,
	// so that a click on the message need not decode them again; wire is
	// the message as a block_actions payload carries it, made by the first
	// click on this revision. Both are replaced with Blocks, never changed.
	decoded []block
	wire    []byte
}

// Revision is one version of a message.
type Revision struct {
	// Method is what produced this version: "chat.postMessage",
	// "chat.update", "chat.postEphemeral", "files.completeUploadExternal",
	// "response_url", "ack" or "user".
	Method   string
	Text     string
	Blocks   json.RawMessage
	Metadata json.RawMessage
	At       time.Time
}

// VisibleText returns what a person sees of the message: the text of every
// block, buttons included, one block a line; or Text when there are no blocks.
func (m Message) VisibleText() string {
	blocks, err := decodeBlocks(m.Blocks)
	if err != nil || len(blocks) == 0 {
		return m.Text
	}
	var lines []string
	for _, b := range blocks {
		var parts []string
		if t := headingText(b); t != "" {
			parts = append(parts, t)
		}
		for _, btn := range blockButtons(b) {
			parts = append(parts, btn.text)
		}
		if len(parts) > 0 {
			lines = append(lines, strings.Join(parts, " "))
		}
	}
	return strings.Join(lines, "\n")
}

func (m *Message) clone() Message {
	c := *m
	c.Blocks = bytes.Clone(m.Blocks)
	c.Metadata = bytes.Clone(m.Metadata)
	c.Files = slices.Clone(m.Files)
	c.Revisions = make([]Revision, len(m.Revisions))
	for i, r := range m.Revisions {
		r.Blocks = bytes.Clone(r.Blocks)
		r.Metadata = bytes.Clone(r.Metadata)
		c.Revisions[i] = r
	}
	return c
}

// Call is one thing the bot sent: a Web API call, a response_url post, a
// post to a file upload URL or a Socket Mode ack.
type Call struct {
	Seq int
	// Method is the Web API method ("chat.postMessage"), "response_url",
	// "upload_url" or "ack".
	Method string
	// Payload is the request as JSON, the token removed. Form fields that
	// hold JSON (blocks, metadata, view) are embedded as JSON, not as strings.
	// An upload_url post is summarized, without the file's bytes:
	// {"file_id":…,"bytes":…,"multipart":…}.
	Payload json.RawMessage
	// Status is the HTTP status the fake answered (200 for Slack errors too).
	Status int
	// Error is the Slack error code answered, "" on success.
	Error string
	At    time.Time
}

// Ack is an acknowledgement the bot sent over Socket Mode.
type Ack struct {
	EnvelopeID string
	// EnvelopeType is the acknowledged envelope's type, "" when the envelope
	// is unknown.
	EnvelopeType string
	Payload      json.RawMessage
	Connection   int
	// Dropped is true for an ack of 20 KiB or more, which Slack silently
	// ignores.
	Dropped bool
	At      time.Time
}

func (a Ack) clone() Ack {
	a.Payload = bytes.Clone(a.Payload)
	return a
}

// Envelope is the delivery record of one Socket Mode envelope.
type Envelope struct {
	ID      string
	Type    string
	Payload json.RawMessage
	// Deliveries lists the connection each delivery went to, in order; its
	// length minus one is the last retry_attempt.
	Deliveries []int
	Acked      bool
	// Failed is true when the ack timeout passed on the last allowed
	// delivery without an ack.
	Failed bool
}

// View is a modal or App Home view as the bot last set it.
type View struct {
	ID     string
	UserID string
	// Type is "modal" or "home".
	Type            string
	CallbackID      string
	PrivateMetadata string
	ExternalID      string
	Hash            string
	Title           string
	Blocks          json.RawMessage
	// Open is true while a modal is on the person's screen.
	Open bool
	// Raw is the view object as Slack returns it.
	Raw json.RawMessage
}

func (v View) clone() View {
	v.Blocks = bytes.Clone(v.Blocks)
	v.Raw = bytes.Clone(v.Raw)
	return v
}

// VisibleText returns the text of every block of the view, one block a line.
func (v View) VisibleText() string {
	return Message{Blocks: v.Blocks}.VisibleText()
}

// ViewEvent records a change to a view.
type ViewEvent struct {
	// Method is "views.open", "views.push", "views.update", "views.publish",
	// "response_action" for an update asked in a view_submission ack, or
	// "view_closed" when the person closed the modal (CloseView).
	Method string
	View   View
	At     time.Time
}

// ResponsePost is one post to a response_url.
type ResponsePost struct {
	URL     string
	User    string
	Channel string
	Body    json.RawMessage
	// Status is the HTTP status the fake answered.
	Status int
	Error  string
	At     time.Time
}

func cloneAll[T any](items []T, clone func(T) T) []T {
	out := make([]T, len(items))
	for i, it := range items {
		out[i] = clone(it)
	}
	return out
}

func cloneEnvelope(e Envelope) Envelope {
	e.Payload = bytes.Clone(e.Payload)
	e.Deliveries = slices.Clone(e.Deliveries)
	return e
}
