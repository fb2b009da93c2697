package slackfake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// Server is a fake Slack: Web API, Socket Mode and response_url endpoints on
// loopback, plus a simulated workspace and the verbs a person would use. It
// runs until Close.
type Server struct {
	cfg     config
	log     *slog.Logger
	http    *http.Server
	baseURL string // "http://127.0.0.1:PORT/"
	wg      sync.WaitGroup

	// mu guards every field below.
	mu      sync.Mutex
	closed  bool
	changed chan struct{}
	ids     *rand.Rand
	lastTS  int64
	dmSeq   int

	users    map[string]*User
	channels map[string]*channel
	dms      map[string]string // user ID → DM channel ID

	messages   []*Message                 // channel messages and ephemerals, in posting order
	revWaiters map[string][]chan struct{} // ts → WaitRevision callers
	byTS       map[string]*Message        // ts → message; ts are unique server-wide
	replies    map[string][]*Message      // thread ts → replies, in posting order

	triggers     map[string]*trigger
	responseURLs map[string]*responseURL
	responsePost []ResponsePost

	views     map[string]*view
	viewSeq   int
	modals    map[string][]string // user ID → stack of open modal view IDs
	homes     map[string]string   // user ID → home view ID
	viewLog   []ViewEvent
	sent      []Call
	callCount map[string]int

	files     map[string]*File  // file ID → file
	fileOrder []*File           // files in creation order
	uploads   map[string]string // upload URL secret → file ID

	// Socket Mode.
	tickets   map[string]bool
	conns     []*socketConn // live connections, in connection order
	connSeq   int
	rr        int // round-robin position among conns
	queue     []*envelope
	envelopes map[string]*envelope
	envOrder  []*envelope
	acks      []Ack
	problems  []string

	inst installation // scopes, user tokens, Socket Mode setting (install.go)

	faults        map[string]*fault
	holds         []*Hold       // see Hold
	botTokenError string        // what every bot-token call answers, "" when the token works
	appTokenError string        // the same for the app-level token
	closing       chan struct{} // closed by Close, releasing held requests
	limits        *limiters
	rateLimited   int
	rateLimitedBy map[string]int // method → 429s served by the rate limits
}

// New starts a fake Slack on 127.0.0.1 with a random port.
func New(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("slackfake: listen: %w", err)
	}
	s := &Server{
		cfg:          cfg,
		log:          cfg.logger,
		baseURL:      "http://" + ln.Addr().String() + "/",
		changed:      make(chan struct{}),
		ids:          rand.New(rand.NewPCG(cfg.seed, 0x51ac4fa4e)),
		users:        make(map[string]*User),
		channels:     make(map[string]*channel),
		dms:          make(map[string]string),
		byTS:         make(map[string]*Message),
		revWaiters:   make(map[string][]chan struct{}),
		replies:      make(map[string][]*Message),
		triggers:     make(map[string]*trigger),
		responseURLs: make(map[string]*responseURL),
		views:        make(map[string]*view),
		modals:       make(map[string][]string),
		homes:        make(map[string]string),
		callCount:    make(map[string]int),
		tickets:      make(map[string]bool),
		envelopes:    make(map[string]*envelope),
		faults:       make(map[string]*fault),
		files:        make(map[string]*File),
		uploads:      make(map[string]string),
		inst:         newInstallation(),
		closing:      make(chan struct{}),

		rateLimitedBy: make(map[string]int),
	}
	if cfg.rateLimits != nil {
		s.limits = newLimiters(*cfg.rateLimits)
	}
	s.users[cfg.botUserID] = &User{
		ID:       cfg.botUserID,
		Name:     cfg.botName,
		RealName: cfg.botName,
		TZ:       "America/Los_Angeles",
		TZLabel:  "Pacific Standard Time",
		TZOffset: -28800,
		IsBot:    true,
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.handleAPI)
	mux.HandleFunc("/link/", s.handleSocket)
	mux.HandleFunc("/link-disabled/", s.handleDisabledSocket)
	mux.HandleFunc("/commands/{team}/{id}/{secret}", s.handleResponseURL)
	mux.HandleFunc("/actions/{team}/{id}/{secret}", s.handleResponseURL)
	mux.HandleFunc("/upload/v1/{secret}", s.handleUpload)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	s.wg.Go(func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("slackfake: serve", slog.Any("error", err))
		}
	})
	s.log.Info("slackfake: started", slog.String("url", s.URL()))
	return s, nil
}

// Start starts a fake Slack for a test and closes it when the test ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := New(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("slackfake: close: %v", err)
		}
	})
	return s
}

// Close stops the server: it closes every Socket Mode connection, stops the
// HTTP server and waits for its goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	conns := append([]*socketConn(nil), s.conns...)
	for _, e := range s.envelopes {
		if e.timer != nil {
			e.timer.Stop()
		}
	}
	s.notify()
	s.mu.Unlock()

	for _, c := range conns {
		c.kill()
	}
	err := s.http.Close()
	s.wg.Wait()
	return err
}

// URL returns the Web API base URL, ending in "/", for slack.OptionAPIURL.
func (s *Server) URL() string { return s.baseURL + "api/" }

// BotToken returns the bot token the server accepts.
func (s *Server) BotToken() string { return s.cfg.botToken }

// AppToken returns the app-level token the server accepts.
func (s *Server) AppToken() string { return s.cfg.appToken }

// NewClient returns a slack-go client set up for this server: its bot token,
// its app-level token and its URL. Extra options are applied after those.
func (s *Server) NewClient(opts ...slack.Option) *slack.Client {
	all := append([]slack.Option{
		slack.OptionAppLevelToken(s.cfg.appToken),
		slack.OptionAPIURL(s.URL()),
	}, opts...)
	return slack.New(s.cfg.botToken, all...)
}

// WaitFor blocks until cond returns true or ctx is done. cond is evaluated
// right away and again after every change to the fake's state (a call, a
// message, an ack, a connection…); it may call the Server's methods.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("slackfake: wait: %w", ctx.Err())
		}
	}
}

// notify wakes every WaitFor. The caller holds s.mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// now returns the fake's time.
func (s *Server) now() time.Time { return s.cfg.clock() }

// Calls returns how many times the bot called a Web API method (successful
// or not); "response_url" counts response_url posts and "upload_url" posts
// to file upload URLs.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callCount[method]
}

// CallCounts returns the number of calls per method.
func (s *Server) CallCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.callCount)
}

// RateLimitedCount returns how many 429 answers the rate limits served
// (injected faults not included).
func (s *Server) RateLimitedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimited
}

// RateLimited returns how many calls to a Web API method the rate limits
// answered with a 429 (injected faults not included).
func (s *Server) RateLimited(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimitedBy[method]
}

// Sent returns everything the bot sent, in order: Web API calls, response_url
// posts, posts to upload URLs and Socket Mode acks.
func (s *Server) Sent() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.sent, func(c Call) Call {
		c.Payload = append([]byte(nil), c.Payload...)
		return c
	})
}

// ProtocolErrors returns what the bot did that Slack would not accept on the
// socket: unreadable frames, acks for unknown envelopes, oversized acks.
func (s *Server) ProtocolErrors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

// record appends to the everything-log. The caller holds s.mu.
func (s *Server) record(method string, payload []byte, status int, errCode string) {
	s.sent = append(s.sent, Call{
		Seq:     len(s.sent) + 1,
		Method:  method,
		Payload: payload,
		Status:  status,
		Error:   errCode,
		At:      s.now(),
	})
}
