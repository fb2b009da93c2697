package slackapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/slack-go/slack"
)

// Reads (users.info, conversations.info, conversations.members, the lists,
// history) change nothing, so a read that meets a 5xx, a timeout or a
// dropped connection is tried again at once, a few times, before the error
// reaches the person waiting: one flaky call should not refuse a command.
// Writes are never retried here; they go once, through the outbox, which
// knows whether an earlier attempt got through.

// readTries is how often a read is tried in all.
const readTries = 3

// readPauses are the waits before the second and third tries, short enough
// that all three fit in the 3 seconds a person waits for a command.
var readPauses = [readTries - 1]time.Duration{50 * time.Millisecond, 200 * time.Millisecond}

// interactiveReadTimeout bounds one try of a read made for a person who is
// waiting: a call that hangs is given up in time to try again. A page of a
// list carries up to a thousand entries and gets listPageTimeout instead.
const (
	interactiveReadTimeout = 800 * time.Millisecond
	listPageTimeout        = 5 * time.Second
)

func readTimeout(method string) time.Duration {
	if method == "users.list" || method == "conversations.list" {
		return listPageTimeout
	}
	return interactiveReadTimeout
}

// read runs do through call for method, trying again when Slack or the
// network failed transiently. do gets the context for one try.
func (c *Client) read(ctx context.Context, method string, do func(ctx context.Context) error) error {
	var err error
	for try := range readTries {
		if try > 0 {
			pause := readPauses[try-1]
			if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < pause+50*time.Millisecond {
				return err
			}
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
		}
		err = c.call(ctx, method, "", func() error {
			tctx, cancel := ctx, context.CancelFunc(func() {})
			if isInteractive(ctx) {
				tctx, cancel = context.WithTimeout(ctx, readTimeout(method))
			}
			defer cancel()
			return do(tctx)
		})
		if !Transient(err) || ctx.Err() != nil {
			return err
		}
		c.mu.Lock()
		c.retried[method]++
		c.mu.Unlock()
	}
	return err
}

// Transient reports whether err is a failure worth trying again at once: an
// HTTP 5xx, a timeout or a connection dropped by Slack or the network.
// Slack's own error answers ("user_not_found") and 429s are not.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code >= http.StatusInternalServerError
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		// Slack's own 5xx-like answers.
		return se.Err == "internal_error" || se.Err == "fatal_error" || se.Err == "service_unavailable" || se.Err == "request_timeout"
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Retried returns how many reads of each method were tried again after a
// transient failure.
func (c *Client) Retried() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.retried))
	for k, v := range c.retried {
		out[k] = v
	}
	return out
}
