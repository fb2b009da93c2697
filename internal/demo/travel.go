package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/alignbot/alignbot/storage"
)

// Time travel: the demo's clock jumps forward to the next reminder, the
// deadline, a day or thirty days on, or the next round, so that a quarter
// of reminders happens in a minute. The bot schedules every job on this
// clock and the fake Slack stamps messages with it.

// A jump is a named move of the clock.
type jump struct {
	id, label string
	// kinds are the job kinds whose next run the jump goes to; none for a
	// fixed step.
	kinds []string
	by    time.Duration
}

// jumps are the page's buttons. The kinds are alignbot's job kinds that a
// person sees arrive: reminders to answer and owners' reminders, the
// deadline, the reminders of the next round.
var jumps = []jump{
	{id: "nudge", label: "Next reminder", kinds: []string{"nudge", "owner_dm"}},
	{id: "deadline", label: "Deadline", kinds: []string{"deadline"}},
	{id: "day", label: "+1 day", by: 24 * time.Hour},
	{id: "month", label: "+30 days", by: 30 * 24 * time.Hour},
	{id: "rerun", label: "Next round", kinds: []string{"rerun"}},
}

func jumpByID(id string) (jump, bool) {
	for _, j := range jumps {
		if j.id == id {
			return j, true
		}
	}
	return jump{}, false
}

// errNothingScheduled is a jump to a job that is not scheduled.
var errNothingScheduled = errors.New("nothing of that kind is scheduled")

// errBusy means the bot is still sending: moving the clock under a running
// job would make it look abandoned.
var errBusy = errors.New("alignbot is still sending what the last step caused; try again in a moment")

// target is where a jump takes the clock, and the job it goes to, if any.
func (d *Demo) target(ctx context.Context, j jump) (time.Time, string, error) {
	now := d.clock.Now()
	if len(j.kinds) == 0 {
		return now.Add(j.by), "", nil
	}
	next, err := d.store.UpcomingJobs(ctx, now, 1, j.kinds...)
	if err != nil {
		return time.Time{}, "", err
	}
	if len(next) == 0 {
		return time.Time{}, "", fmt.Errorf("%w: no %s is due", errNothingScheduled, strings.ToLower(j.label))
	}
	return next[0].RunAt, next[0].Key, nil
}

// settle waits until no job is due or running, for at most limit.
func (d *Demo) settle(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		n, err := d.store.JobsBusy(ctx, d.clock.Now())
		if err == nil && n == 0 {
			return nil
		}
		if err := d.waitChange(ctx); err != nil {
			return errBusy
		}
	}
}

// travel moves the clock to t, or on by the jump, once the bot has done
// what is due. A jump to a job follows it when the bot holds it for the
// recipient's working hours, so that the person sees it arrive.
func (d *Demo) travel(ctx context.Context, to time.Time, j jump) error {
	if err := d.settle(ctx, 20*time.Second); err != nil {
		return err
	}
	key := ""
	if to.IsZero() {
		var err error
		if to, key, err = d.target(ctx, j); err != nil {
			return err
		}
	}
	if err := d.clock.MoveTo(to); err != nil {
		return err
	}
	d.bot.Wake()
	d.notify()
	for range 5 {
		if key == "" {
			return nil
		}
		if err := d.settle(ctx, 30*time.Second); err != nil {
			return err
		}
		job, err := d.store.Job(ctx, key)
		if err != nil || job.State != storage.JobPending || !job.RunAt.After(d.clock.Now()) {
			return nil
		}
		if err := d.clock.MoveTo(job.RunAt); err != nil {
			return err
		}
		d.bot.Wake()
		d.notify()
	}
	return nil
}

// clockPart is the bar with the demo's time and the jumps.
func (d *Demo) clockPart(ctx context.Context, v view) string {
	loc := v.as.location()
	now := d.clock.Now().In(loc)
	var b strings.Builder
	b.WriteString(`<div class="clock-now" title="The demo's clock: it runs in real time and jumps forward when you ask">🕒 <b>` +
		esc(now.Format("Mon 2 Jan 2006, 3:04 PM")) + `</b> <span class="clock-zone">` + esc(v.as.First) + `'s time (` + esc(strings.ReplaceAll(v.as.Zone, "_", " ")) + `)</span></div><div class="jumps">`)
	for _, j := range jumps {
		title, disabled := "", ""
		if len(j.kinds) > 0 {
			at, _, err := d.target(ctx, j)
			if err != nil {
				disabled, title = " disabled", "Nothing scheduled yet"
			} else {
				title = at.In(loc).Format("Mon 2 Jan, 3:04 PM")
			}
		}
		label := esc(j.label)
		if title != "" && disabled == "" {
			label += ` <span class="jump-at">` + esc(title) + `</span>`
		}
		b.WriteString(`<button type="button" class="jump" data-jump="` + esc(j.id) + `" title="` + esc(title) + `"` + disabled + `>⏩ ` + label + `</button>`)
	}
	b.WriteString(`</div>`)
	return b.String()
}
