package slackfake

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// testTimeout bounds every wait of a test.
const testTimeout = 10 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// socketApp is a Socket Mode app run by the real slack-go client: it hands
// every request (slash command, interaction, event) to the test, which acks
// it or not.
type socketApp struct {
	api      *slack.Client
	client   *socketmode.Client
	requests chan socketmode.Event
	hellos   chan struct{}
}

// startApp connects a slack-go Socket Mode client to the fake and runs it
// until the test ends.
func startApp(t *testing.T, fs *Server, opts ...socketmode.Option) *socketApp {
	t.Helper()
	api := fs.NewClient()
	app := &socketApp{
		api:      api,
		client:   socketmode.New(api, opts...),
		requests: make(chan socketmode.Event, 100),
		hellos:   make(chan struct{}, 100),
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = app.client.RunContext(ctx)
	})
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-app.client.Events:
				switch evt.Type {
				case socketmode.EventTypeHello:
					app.hellos <- struct{}{}
				case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
					app.requests <- evt
				}
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return app
}

// next returns the next request the app received.
func (a *socketApp) next(t *testing.T) socketmode.Event {
	t.Helper()
	select {
	case evt := <-a.requests:
		return evt
	case <-time.After(testTimeout):
		t.Fatal("no request reached the app")
		return socketmode.Event{}
	}
}

// waitHello waits for the next hello.
func (a *socketApp) waitHello(t *testing.T) {
	t.Helper()
	select {
	case <-a.hellos:
	case <-time.After(testTimeout):
		t.Fatal("no hello")
	}
}

// ack acknowledges a request.
func (a *socketApp) ack(t *testing.T, evt socketmode.Event, payload ...any) {
	t.Helper()
	if err := a.client.Ack(*evt.Request, payload...); err != nil {
		t.Fatalf("ack: %v", err)
	}
}

// workspace adds the people and channels most tests use.
func workspace(fs *Server) {
	fs.AddUser(User{ID: "UMKT", Name: "mia", RealName: "Mia Marketing", TZ: "America/New_York", TZOffset: -18000})
	fs.AddUser(User{ID: "USALES", Name: "sam", RealName: "Sam Sales", TZ: "Europe/Paris", TZOffset: 3600, IsAdmin: true})
	fs.AddUser(User{ID: "UGONE", Name: "gone", RealName: "Gone Person", TZ: "UTC", Deleted: true})
	fs.AddUser(User{ID: "UOTHERBOT", Name: "otherbot", IsBot: true})
	fs.AddChannel(Channel{ID: "CALIGN", Name: "alignment", Members: []string{"UMKT", "USALES"}, BotMember: true})
	fs.AddChannel(Channel{ID: "COUT", Name: "random", Members: []string{"UMKT"}})
	fs.AddChannel(Channel{ID: "GSECRET", Name: "secret", Private: true, Members: []string{"UMKT"}})
}

// questionnaire returns blocks like a questionnaire card message: cards
// Q1…Q10, each a section and an actions block with buttons 1-5.
func questionnaire(n int) []slack.Block {
	var blocks []slack.Block
	for q := 1; q <= n; q++ {
		id := "q" + strconv.Itoa(q)
		blocks = append(blocks,
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Q"+strconv.Itoa(q)+".* Question "+strconv.Itoa(q), false, false), nil, nil),
		)
		var buttons []slack.BlockElement
		for v := 1; v <= 5; v++ {
			buttons = append(buttons, slack.NewButtonBlockElement("answer", id+"="+strconv.Itoa(v),
				slack.NewTextBlockObject(slack.PlainTextType, strconv.Itoa(v)+" – choice", false, false)))
		}
		blocks = append(blocks, slack.NewActionBlock(id, buttons...), slack.NewDividerBlock())
	}
	blocks = append(blocks, slack.NewActionBlock("submit",
		slack.NewButtonBlockElement("submit", "submit", slack.NewTextBlockObject(slack.PlainTextType, "Submit answers", false, false))))
	return blocks
}
