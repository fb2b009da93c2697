package demo

import (
	"time"

	"github.com/alignbot/alignbot/internal/config"
	"github.com/alignbot/alignbot/internal/slackfake"
)

// The demo workspace: a facilitator, the two leads and a RevOps observer,
// in three time zones, and the team's channel.
const (
	teamID     = "T0DEMO001"
	teamDomain = "acme-revenue"
	teamName   = "Acme Revenue"
	channelID  = "C0REVENUE"
	channel    = "revenue-team"
)

// Person is someone the page can act as.
type Person struct {
	ID       string
	Handle   string // what @-mentions are typed with
	Name     string
	First    string
	Role     string // what they do in the demo
	Zone     string // IANA time zone
	Initials string
	Color    string // avatar colour
}

// people are the demo's members, the facilitator first.
var people = []Person{
	{ID: "U0FRAN001", Handle: "fran", Name: "Fran Fischer", First: "Fran", Role: "facilitator", Zone: "America/New_York", Initials: "FF", Color: "#2b6cb0"},
	{ID: "U0MAYA001", Handle: "maya", Name: "Maya Moreno", First: "Maya", Role: "marketing lead", Zone: "Europe/London", Initials: "MM", Color: "#c05621"},
	{ID: "U0SAM0001", Handle: "sam", Name: "Sam Sato", First: "Sam", Role: "sales lead", Zone: "America/Chicago", Initials: "SS", Color: "#2f855a"},
	{ID: "U0RUI0001", Handle: "rui", Name: "Rui Rocha", First: "Rui", Role: "RevOps observer", Zone: "Europe/Lisbon", Initials: "RR", Color: "#6b46c1"},
}

const (
	fran = "U0FRAN001"
	maya = "U0MAYA001"
	sam  = "U0SAM0001"
	rui  = "U0RUI0001"
)

func personByID(id string) (Person, bool) {
	for _, p := range people {
		if p.ID == id {
			return p, true
		}
	}
	return Person{}, false
}

func (p Person) location() *time.Location {
	loc, err := time.LoadLocation(p.Zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// populate adds the people and the channel to the fake Slack, with the time
// zone offsets users.info reports at t.
func populate(fake *slackfake.Server, t time.Time) {
	ids := make([]string, 0, len(people))
	for _, p := range people {
		local := t.In(p.location())
		abbr, offset := local.Zone()
		fake.AddUser(slackfake.User{ID: p.ID, Name: p.Handle, RealName: p.Name, TZ: p.Zone, TZLabel: abbr, TZOffset: offset})
		ids = append(ids, p.ID)
	}
	fake.AddChannel(slackfake.Channel{ID: channelID, Name: channel, Members: ids, BotMember: true})
}

// startTime is when the demo's clock starts: now when everyone is inside
// working hours now and for the next two hours, or else the next moment
// they all are (a weekday morning in Chicago, afternoon in London). So a
// first-time visitor never waits for office hours: the questionnaires and
// the reveal go out at once, and only a jump of the clock meets the
// working-hours rule, as a real team would.
func startTime(now time.Time, hours config.WorkingHours) time.Time {
	inside := func(t time.Time) bool {
		for _, p := range people {
			for _, at := range []time.Time{t, t.Add(2 * time.Hour)} {
				if !hours.Contains(at.In(p.location())) {
					return false
				}
			}
		}
		return true
	}
	if inside(now) {
		return now
	}
	t := now.Truncate(15 * time.Minute).Add(15 * time.Minute)
	for limit := now.AddDate(0, 0, 8); t.Before(limit); t = t.Add(15 * time.Minute) {
		if inside(t) {
			return t
		}
	}
	return now
}
