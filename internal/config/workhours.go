package config

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// WorkingHours is a daily window on some weekdays, read in the recipient's own
// time zone: "09:00-18:00 Mon-Fri". The zero value means any time.
type WorkingHours struct {
	start, end time.Duration // since local midnight
	days       [7]bool       // by time.Weekday
	set        bool
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseWorkingHours reads "HH:MM-HH:MM [Day-Day|Day,Day,…]". Without days,
// every day. An empty string means any time. Errors say what is wrong without
// quoting s, so that they can be shown for any configuration value.
func ParseWorkingHours(s string) (WorkingHours, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return WorkingHours{}, nil
	}
	if len(fields) > 2 {
		return WorkingHours{}, errors.New("want a time range and days, nothing more")
	}
	from, to, ok := strings.Cut(fields[0], "-")
	if !ok {
		return WorkingHours{}, errors.New("want a time range like 09:00-18:00")
	}
	var w WorkingHours
	var err error
	if w.start, err = clock(from); err != nil {
		return WorkingHours{}, err
	}
	if w.end, err = clock(to); err != nil {
		return WorkingHours{}, err
	}
	if w.end <= w.start {
		return WorkingHours{}, errors.New("the time range ends before it starts")
	}
	if len(fields) == 1 {
		for d := range w.days {
			w.days[d] = true
		}
	} else if err := w.parseDays(fields[1]); err != nil {
		return WorkingHours{}, err
	}
	w.set = true
	return w, nil
}

func clock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		if s == "24:00" {
			return 24 * time.Hour, nil
		}
		return 0, errors.New("want times like 09:00")
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

func (w *WorkingHours) parseDays(s string) error {
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		first, ok := weekdays[strings.ToLower(from)]
		if !ok {
			return errors.New("unknown day (use Mon, Tue, …)")
		}
		last := first
		if isRange {
			if last, ok = weekdays[strings.ToLower(to)]; !ok {
				return errors.New("unknown day (use Mon, Tue, …)")
			}
		}
		for d := first; ; d = (d + 1) % 7 {
			w.days[d] = true
			if d == last {
				break
			}
		}
	}
	return nil
}

// Decode lets envconfig parse the variable.
func (w *WorkingHours) Decode(s string) error {
	parsed, err := ParseWorkingHours(s)
	if err != nil {
		// ParseWorkingHours' errors do not quote s.
		return problem(err.Error())
	}
	*w = parsed
	return nil
}

// AnyTime reports whether there is no restriction.
func (w WorkingHours) AnyTime() bool { return !w.set }

// Contains reports whether t, in its own location, is inside working hours.
func (w WorkingHours) Contains(t time.Time) bool {
	if !w.set {
		return true
	}
	since := sinceMidnight(t)
	return w.days[t.Weekday()] && since >= w.start && since < w.end
}

// Next returns t when it is inside working hours, or else the next moment
// they open, in t's location.
func (w WorkingHours) Next(t time.Time) time.Time {
	if w.Contains(t) {
		return t
	}
	for i := 0; i <= 7; i++ {
		day := time.Date(t.Year(), t.Month(), t.Day()+i, 0, 0, 0, 0, t.Location())
		open := time.Date(day.Year(), day.Month(), day.Day(),
			int(w.start/time.Hour), int(w.start%time.Hour/time.Minute), 0, 0, t.Location())
		if w.days[day.Weekday()] && !open.Before(t) {
			return open
		}
	}
	return t // no working day at all cannot be parsed, so this is unreachable
}

// String renders the hours as they are written in the environment.
func (w WorkingHours) String() string {
	if !w.set {
		return ""
	}
	var days []string
	names := []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	for d, on := range w.days {
		if on {
			days = append(days, names[d])
		}
	}
	hm := func(d time.Duration) string {
		return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%s-%s %s", hm(w.start), hm(w.end), strings.Join(days, ","))
}

func sinceMidnight(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
}
