// Package slackfake is a fake Slack for end-to-end tests, benchmarks and
// `alignbot demo`.
//
// It serves, on loopback, the parts of Slack that alignbot uses, speaking the
// real wire protocol so that the real slack-go client cannot tell it apart
// from Slack:
//
//   - the Web API (auth.test, apps.connections.open, chat.*, conversations.*
//     including conversations.members and conversations.list, users.info,
//     users.list, bots.info, chat.scheduleMessage and
//     chat.deleteScheduledMessage, views.*, and the file upload flow
//     files.getUploadURLExternal and files.completeUploadExternal), with
//     Slack's token checks, error shapes and cursor pagination (at most
//     1000 a page; lists.go says how pages can come back short);
//   - the upload URLs that files.getUploadURLExternal hands out, so that
//     slack-go's UploadFileContext runs end to end;
//   - Socket Mode: the websocket that apps.connections.open hands out, with
//     hello, envelopes, acks, server pings, disconnects and redelivery of
//     envelopes that are not acknowledged in time;
//   - response_url endpoints for slash commands and interactions.
//
// The app's installation is Slack's too (install.go): each token has its
// granted scopes, reported in X-OAuth-Scopes and enforced with
// missing_scope (the bot token's are manifests/alignbot.yaml's unless a test
// changes them); a user token, a bot token or an app-level token used where
// another kind belongs gets not_allowed_token_type; Socket Mode can be
// turned off (SetSocketMode), and chat.scheduleMessage keeps what it
// accepts without ever posting it.
//
// Slack's rate limits are on by default, per method and per workspace, on
// the fake's clock: SlackRateLimits lists the tiers and SlackTier the
// numbers. A limited call answers HTTP 429 with Retry-After in whole
// seconds. WithRateLimits changes them and WithoutRateLimits turns them off.
//
// A test builds a workspace (AddUser, AddChannel), points the bot at URL(),
// and then acts as a person would: SlashCommand, ClickButton, SubmitView,
// OpenAppHome, SendDirectMessage. Everything the bot sends is recorded
// (Messages, DMs, Ephemerals, Views, Files, Acks, Sent) so a test can assert
// on it, and faults can be injected (InjectFault, DropSockets,
// RequestReconnect, WarnDisconnect, Redeliver, RedeliverAsNew). Hold keeps
// chosen requests back on their way in until the test releases them, so a
// test can make an older update land after a newer one. The workspace can
// change under the bot as Slack reports it, with the events Slack sends
// (RemoveBot, InviteBot, LeaveChannel, ArchiveChannel, RenameChannel,
// DeactivateUser, RevokeTokens, UninstallApp), and its token can stop
// working (BreakToken).
//
// A page that shows the workspace as a Slack client would (the demo) reads
// it per person (People, Channels, CanSee, Timeline, ThreadFor), waits on
// Changed, and acts with the element a person clicked (ClickAction,
// ClickViewAction, SubmitView, CloseView).
//
// All methods of Server are safe for concurrent use. Nothing sleeps: tests
// wait with WaitFor, WaitAck or WaitConnections, which return as soon as the
// fake's state changes.
package slackfake
