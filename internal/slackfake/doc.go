// Package slackfake is a fake Slack for end-to-end tests and benchmarks.
//
// It serves, on loopback, the parts of Slack that alignbot uses, speaking the
// real wire protocol so that the real slack-go client cannot tell it apart
// from Slack:
//
//   - the Web API (auth.test, apps.connections.open, chat.*, conversations.*,
//     users.info, views.*), with Slack's token checks and error shapes;
//   - Socket Mode: the websocket that apps.connections.open hands out, with
//     hello, envelopes, acks, server pings, disconnects and redelivery of
//     envelopes that are not acknowledged in time;
//   - response_url endpoints for slash commands and interactions.
//
// A test builds a workspace (AddUser, AddChannel), points the bot at URL(),
// and then acts as a person would: SlashCommand, ClickButton, SubmitView,
// OpenAppHome. Everything the bot sends is recorded (Messages, DMs,
// Ephemerals, Views, Acks, Sent) so a test can assert on it, and faults can be
// injected (InjectFault, DropSockets, RequestReconnect, optional rate limits).
//
// All methods of Server are safe for concurrent use. Nothing sleeps: tests
// wait with WaitFor, WaitAck or WaitConnections, which return as soon as the
// fake's state changes.
package slackfake
