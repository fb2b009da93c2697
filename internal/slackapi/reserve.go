package slackapi

import (
	"context"
	"sync/atomic"
)

// A message edited in place takes turns with other senders of the same
// message (see bot's live messages): a sender holds its turn from reading
// the message's state to Slack's answer. Waiting for Slack's budget inside
// that turn would hold up every other sender, a person's click included,
// for as long as the budget takes; so the sender reserves its call first,
// then takes its turn, renders and sends at once.

type reservationKey struct{}

// reservation is a call already paid for: one call of method in channel.
type reservation struct {
	method, channel string
	spent           atomic.Bool
}

// Reserve waits until a call of method (in channel, for chat.postMessage
// and chat.update) fits Slack's budget and takes its share, and returns a
// context whose next such call spends that share instead of waiting again.
// A reservation the caller finds it does not need goes back with Release.
func (c *Client) Reserve(ctx context.Context, method, channel string) (context.Context, error) {
	for _, b := range c.buckets(method, channel) {
		if err := b.wait(ctx, c.now); err != nil {
			return ctx, err
		}
	}
	return context.WithValue(ctx, reservationKey{}, &reservation{method: method, channel: channel}), nil
}

// spendReservation reports whether ctx carries an unspent reservation for a
// call of method in channel, and spends it.
func spendReservation(ctx context.Context, method, channel string) bool {
	r, _ := ctx.Value(reservationKey{}).(*reservation)
	return r != nil && r.method == method && r.channel == channel && r.spent.CompareAndSwap(false, true)
}

// Release gives back ctx's reservation if its call was not made: a sender
// that found nothing to send leaves the budget to the others.
func (c *Client) Release(ctx context.Context) {
	r, _ := ctx.Value(reservationKey{}).(*reservation)
	if r == nil || !r.spent.CompareAndSwap(false, true) {
		return
	}
	for _, b := range c.buckets(r.method, r.channel) {
		b.give()
	}
}
