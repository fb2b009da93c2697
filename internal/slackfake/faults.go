package slackfake

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// Fault makes calls to a Web API method fail the way a busy or broken Slack
// does.
type Fault struct {
	// Status is the HTTP status to answer: http.StatusTooManyRequests, or a
	// 5xx (the default is 500).
	Status int
	// RetryAfter is the Retry-After header of a 429, in whole seconds as
	// Slack sends it. Slack never sends 0; a test may, to avoid waiting.
	RetryAfter int
	// Next fails the next Next calls, then the fault goes away.
	Next int
	// Share fails this share of calls (0 < Share ≤ 1) until ClearFaults, drawn
	// from a generator seeded by WithSeed and the method name, so a run that
	// makes the same calls fails the same ones. Used when Next is 0.
	Share float64
}

type fault struct {
	Fault
	rand *rand.Rand
}

// InjectFault makes calls to method fail; method "" means every Web API
// method (apps.connections.open included, which delays Socket Mode
// reconnects) and "response_url" the response_url posts. It replaces any
// fault on the same method. A fault on a method wins over one on every
// method.
func (s *Server) InjectFault(method string, f Fault) {
	if f.Status == 0 {
		f.Status = http.StatusInternalServerError
	}
	h := fnv.New64a()
	h.Write([]byte(method))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = &fault{Fault: f, rand: rand.New(rand.NewPCG(s.cfg.seed, h.Sum64()))}
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

type faultAnswer struct {
	status     int
	retryAfter int
}

// takeFault returns the fault the next call to method meets, if any. The
// caller holds s.mu.
func (s *Server) takeFault(method string) *faultAnswer {
	for _, key := range []string{method, ""} {
		f, ok := s.faults[key]
		if !ok {
			continue
		}
		switch {
		case f.Next > 0:
			f.Next--
			if f.Next == 0 {
				delete(s.faults, key)
			}
		case f.Share > 0 && f.rand.Float64() < f.Share:
		default:
			continue
		}
		return &faultAnswer{status: f.Status, retryAfter: f.RetryAfter}
	}
	return nil
}

// Limit is a token bucket: one call every Every, bursts of Burst calls.
type Limit struct {
	Every time.Duration
	Burst int
}

// RateLimits are Slack-like rate limits for the Web API. They apply per
// workspace, like Slack's (the fake simulates one workspace), and run on the
// fake's clock (WithClock). response_url posts and uploads to an upload URL
// are never counted: Slack limits those otherwise (a response_url's five
// uses, see WithResponseURLLimits).
type RateLimits struct {
	// PostPerChannel limits chat.postMessage in each channel. Posts to a
	// user ID count against the bot's DM with that user.
	PostPerChannel Limit
	// PostWorkspace limits chat.postMessage across the workspace.
	PostWorkspace Limit
	// Methods limits each method across the workspace (Slack's tiers). A
	// method that is not in the map is not limited.
	Methods map[string]Limit
}

// SlackTier returns the token bucket the fake uses for Slack's rate limit
// tier n (1 to 4), and the zero Limit (no limit) for any other n:
//
//	Tier 1: 1 a minute, bursts of 10
//	Tier 2: 20 a minute, bursts of 5
//	Tier 3: 50 a minute, bursts of 10
//	Tier 4: 100 a minute, bursts of 20
//
// Slack publishes the rates ("1+", "20+", "50+", "100+" per minute) and
// says it tolerates small bursts without giving their size; the bursts here
// are the fake's choice. Tier 1's is 10 because its only method alignbot
// calls, apps.connections.open, is called once per Socket Mode connection
// and Slack allows an app 10 of them: a fleet starting at once must not be
// refused.
func SlackTier(n int) Limit {
	switch n {
	case 1:
		return Limit{Every: time.Minute, Burst: 10}
	case 2:
		return Limit{Every: time.Minute / 20, Burst: 5}
	case 3:
		return Limit{Every: time.Minute / 50, Burst: 10}
	case 4:
		return Limit{Every: time.Minute / 100, Burst: 20}
	}
	return Limit{}
}

// SlackRateLimits returns the limits a new Server applies unless told
// otherwise (WithRateLimits, WithoutRateLimits): each method the fake serves
// gets the tier of Slack's method page (see SlackTier for the numbers), per
// workspace:
//
//   - Tier 1: apps.connections.open.
//   - Tier 2: users.list, conversations.list (each page is a call).
//   - Tier 3: chat.update, chat.delete, conversations.open,
//     conversations.info, conversations.history, conversations.replies.
//   - Tier 4: chat.postEphemeral, conversations.members, users.info,
//     views.open, views.push, views.update, views.publish,
//     files.getUploadURLExternal, files.completeUploadExternal.
//   - chat.postMessage (special): one a second per channel with bursts of
//     3, and 300 a minute across the workspace with bursts of 30.
//   - auth.test (special: Slack gives no number and is generous): 600 a
//     minute with bursts of 50, enough that it never gets in a bot's way.
//
// response_url posts are not limited here.
func SlackRateLimits() RateLimits {
	tier1, tier2, tier3, tier4 := SlackTier(1), SlackTier(2), SlackTier(3), SlackTier(4)
	return RateLimits{
		PostPerChannel: Limit{Every: time.Second, Burst: 3},
		PostWorkspace:  Limit{Every: time.Minute / 300, Burst: 30},
		Methods: map[string]Limit{
			"auth.test":                    {Every: time.Minute / 600, Burst: 50},
			"apps.connections.open":        tier1,
			"users.list":                   tier2,
			"conversations.list":           tier2,
			"chat.update":                  tier3,
			"chat.delete":                  tier3,
			"chat.scheduleMessage":         tier3,
			"chat.deleteScheduledMessage":  tier3,
			"conversations.open":           tier3,
			"conversations.info":           tier3,
			"conversations.history":        tier3,
			"conversations.replies":        tier3,
			"chat.postEphemeral":           tier4,
			"conversations.members":        tier4,
			"users.info":                   tier4,
			"bots.info":                    tier4,
			"views.open":                   tier4,
			"views.push":                   tier4,
			"views.update":                 tier4,
			"views.publish":                tier4,
			"files.getUploadURLExternal":   tier4,
			"files.completeUploadExternal": tier4,
		},
	}
}

type limiters struct {
	cfg        RateLimits
	perChannel map[string]*rate.Limiter
	workspace  *rate.Limiter
	methods    map[string]*rate.Limiter
}

func newLimiters(cfg RateLimits) *limiters {
	l := &limiters{cfg: cfg, perChannel: make(map[string]*rate.Limiter), methods: make(map[string]*rate.Limiter)}
	if cfg.PostWorkspace.Every > 0 {
		l.workspace = newLimiter(cfg.PostWorkspace)
	}
	for m, lim := range cfg.Methods {
		if lim.Every > 0 {
			l.methods[m] = newLimiter(lim)
		}
	}
	return l
}

func newLimiter(l Limit) *rate.Limiter {
	return rate.NewLimiter(rate.Every(l.Every), max(l.Burst, 1))
}

// rateLimit takes a token from every limit the call falls under. When one is
// empty it takes none and returns the Retry-After, in whole seconds. The
// caller holds s.mu.
func (s *Server) rateLimit(r *request) (retryAfter int, limited bool) {
	if s.limits == nil {
		return 0, false
	}
	var applicable []*rate.Limiter
	if l, ok := s.limits.methods[r.method]; ok {
		applicable = append(applicable, l)
	}
	if r.method == "chat.postMessage" {
		if s.limits.workspace != nil {
			applicable = append(applicable, s.limits.workspace)
		}
		if s.limits.cfg.PostPerChannel.Every > 0 {
			key := s.postLimitKey(r.str("channel"))
			l, ok := s.limits.perChannel[key]
			if !ok {
				l = newLimiter(s.limits.cfg.PostPerChannel)
				s.limits.perChannel[key] = l
			}
			applicable = append(applicable, l)
		}
	}
	now := s.now()
	var reservations []*rate.Reservation
	var wait time.Duration
	for _, l := range applicable {
		res := l.ReserveN(now, 1)
		reservations = append(reservations, res)
		wait = max(wait, res.DelayFrom(now))
	}
	if wait == 0 {
		return 0, false
	}
	for _, res := range reservations {
		res.CancelAt(now)
	}
	return max(1, int(math.Ceil(wait.Seconds()))), true
}

// postLimitKey names the channel a chat.postMessage counts against: a post
// to a user ID and a post to the DM's ID land in the same DM, so they share
// one budget. The caller holds s.mu.
func (s *Server) postLimitKey(channelID string) string {
	if _, ok := s.users[channelID]; ok {
		return "dm:" + channelID
	}
	if c, ok := s.channels[channelID]; ok && c.im {
		return "dm:" + c.imUser
	}
	return channelID
}
