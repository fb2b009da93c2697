package slackfake

import (
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/alignbot/alignbot/internal/testclock"
)

func startModal() slack.ModalViewRequest {
	title := slack.NewTextBlockObject(slack.PlainTextType, "New round", false, false)
	submit := slack.NewTextBlockObject(slack.PlainTextType, "Start", false, false)
	who := slack.NewInputBlock("who",
		slack.NewTextBlockObject(slack.PlainTextType, "Marketing lead", false, false), nil,
		slack.NewOptionsSelectBlockElement(slack.OptTypeUser, nil, "user"))
	where := slack.NewInputBlock("where",
		slack.NewTextBlockObject(slack.PlainTextType, "Channel", false, false), nil,
		slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, nil, "conv"))
	note := slack.NewInputBlock("note",
		slack.NewTextBlockObject(slack.PlainTextType, "Note", false, false), nil,
		slack.NewPlainTextInputBlockElement(nil, "text"))
	note.Optional = true
	cadence := slack.NewInputBlock("cadence",
		slack.NewTextBlockObject(slack.PlainTextType, "Cadence", false, false), nil,
		slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "pick",
			slack.NewOptionBlockObject("weekly", slack.NewTextBlockObject(slack.PlainTextType, "Weekly", false, false), nil),
			slack.NewOptionBlockObject("monthly", slack.NewTextBlockObject(slack.PlainTextType, "Monthly", false, false), nil)))
	return slack.ModalViewRequest{
		Type: slack.VTModal, Title: title, Submit: submit, CallbackID: "start_round",
		PrivateMetadata: `{"round":"r1"}`,
		Blocks:          slack.Blocks{BlockSet: []slack.Block{who, where, note, cadence}},
	}
}

func TestViewsOpenAndTriggers(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Unix(1700000000, 0))
	fs := Start(t, WithClock(clock.Now))
	workspace(fs)
	app := startApp(t, fs)
	api := app.api

	if _, err := fs.SlashCommand("UMKT", "CALIGN", "start"); err != nil {
		t.Fatal(err)
	}
	evt := app.next(t)
	app.ack(t, evt)
	trigger := evt.Data.(slack.SlashCommand).TriggerID

	clock.Advance(DefaultTriggerTTL + time.Millisecond)
	if _, err := api.OpenView(trigger, startModal()); slackErr(err) != "expired_trigger_id" {
		t.Errorf("late views.open: %v, want expired_trigger_id", err)
	}
	if _, err := api.OpenView("1.2.nope", startModal()); slackErr(err) != "invalid_trigger_id" {
		t.Errorf("unknown trigger: %v, want invalid_trigger_id", err)
	}

	if _, err := fs.SlashCommand("UMKT", "CALIGN", "start"); err != nil {
		t.Fatal(err)
	}
	evt = app.next(t)
	app.ack(t, evt)
	trigger = evt.Data.(slack.SlashCommand).TriggerID
	resp, err := api.OpenView(trigger, startModal())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.View.ID, "V") || resp.View.CallbackID != "start_round" || resp.View.Hash == "" {
		t.Errorf("views.open answer = %+v", resp.View)
	}
	if _, err := api.OpenView(trigger, startModal()); slackErr(err) != "exchanged_trigger_id" {
		t.Errorf("second use of a trigger: %v, want exchanged_trigger_id", err)
	}
	open, ok := fs.OpenView("UMKT")
	if !ok || open.ID != resp.View.ID || open.Title != "New round" || open.PrivateMetadata != `{"round":"r1"}` {
		t.Errorf("OpenView = %+v", open)
	}

	long := startModal()
	long.PrivateMetadata = strings.Repeat("x", 3001)
	if _, err := api.UpdateView(long, "", "", resp.View.ID); slackErr(err) != "invalid_arguments" {
		t.Errorf("oversized private_metadata: %v, want invalid_arguments", err)
	}
	if _, err := api.UpdateView(startModal(), "", "stale-hash", resp.View.ID); slackErr(err) != "hash_conflict" {
		t.Errorf("stale hash: %v, want hash_conflict", err)
	}
	updated := startModal()
	updated.Title.Text = "Round r1"
	if _, err := api.UpdateView(updated, "", resp.View.Hash, resp.View.ID); err != nil {
		t.Fatal(err)
	}
	events := fs.Views("UMKT")
	if len(events) != 2 || events[0].Method != "views.open" || events[1].Method != "views.update" || events[1].View.Title != "Round r1" {
		t.Errorf("view events = %+v", events)
	}
}

func TestSubmitView(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	app := startApp(t, fs)
	ctx := testContext(t)

	if _, err := fs.SlashCommand("USALES", "CALIGN", "start"); err != nil {
		t.Fatal(err)
	}
	evt := app.next(t)
	app.ack(t, evt)
	resp, err := app.api.OpenView(evt.Data.(slack.SlashCommand).TriggerID, startModal())
	if err != nil {
		t.Fatal(err)
	}
	viewID := resp.View.ID

	if _, err := fs.SubmitView(ctx, "USALES", viewID, map[string]map[string]string{"who": {"user": "UMKT"}}); err == nil ||
		!strings.Contains(err.Error(), "required") {
		t.Errorf("submit without a required input: %v", err)
	}
	if _, err := fs.SubmitView(ctx, "USALES", viewID, map[string]map[string]string{"nope": {"x": "y"}}); err == nil {
		t.Error("submit with an unknown input worked")
	}

	values := map[string]map[string]string{
		"who":     {"user": "UMKT"},
		"where":   {"conv": "CALIGN"},
		"cadence": {"pick": "Monthly"},
	}
	type result struct {
		resp *slack.ViewSubmissionResponse
		err  error
	}
	submit := func() <-chan result {
		done := make(chan result, 1)
		go func() {
			r, err := fs.SubmitView(ctx, "USALES", viewID, values)
			done <- result{r, err}
		}()
		return done
	}

	done := submit()
	evt = app.next(t)
	cb := evt.Data.(slack.InteractionCallback)
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.ID != viewID || cb.View.CallbackID != "start_round" || cb.View.PrivateMetadata != `{"round":"r1"}` {
		t.Errorf("submission = %s %s %s %s", cb.Type, cb.View.ID, cb.View.CallbackID, cb.View.PrivateMetadata)
	}
	state := cb.View.State.Values
	if state["who"]["user"].SelectedUser != "UMKT" || state["where"]["conv"].SelectedConversation != "CALIGN" ||
		state["cadence"]["pick"].SelectedOption.Value != "monthly" || state["note"]["text"].Value != "" {
		t.Errorf("state = %+v", state)
	}
	if !evt.Request.AcceptsResponsePayload {
		t.Error("view_submission envelope does not accept a response payload")
	}
	app.ack(t, evt, slack.NewErrorsViewSubmissionResponse(map[string]string{"who": "Pick someone else"}))
	r := <-done
	if r.err != nil || r.resp == nil || r.resp.ResponseAction != slack.RAErrors || r.resp.Errors["who"] != "Pick someone else" {
		t.Errorf("SubmitView = %+v, %v", r.resp, r.err)
	}
	if v, ok := fs.OpenView("USALES"); !ok || v.ID != viewID {
		t.Error("the modal closed on errors")
	}

	done = submit()
	app.ack(t, app.next(t))
	if r := <-done; r.err != nil || r.resp != nil {
		t.Errorf("SubmitView = %+v, %v; want no payload", r.resp, r.err)
	}
	if _, ok := fs.OpenView("USALES"); ok {
		t.Error("the modal stayed open after a plain ack")
	}
}

func TestAppHome(t *testing.T) {
	t.Parallel()
	fs := Start(t)
	workspace(fs)
	app := startApp(t, fs)

	envID, err := fs.OpenAppHome("UMKT")
	if err != nil {
		t.Fatal(err)
	}
	evt := app.next(t)
	outer := evt.Data.(slackevents.EventsAPIEvent)
	opened, ok := outer.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	dm, _ := fs.DMChannel("UMKT")
	if !ok || opened.User != "UMKT" || opened.Tab != "home" || opened.Channel != dm || opened.View != nil {
		t.Errorf("app_home_opened = %+v", outer.InnerEvent.Data)
	}
	if evt.Request.EnvelopeID != envID || outer.Type != slackevents.CallbackEvent || outer.TeamID != DefaultTeamID {
		t.Errorf("outer event = %+v", outer)
	}
	app.ack(t, evt)

	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "No round yet", false, false), nil, nil),
		slack.NewActionBlock("home", slack.NewButtonBlockElement("new_round", "new", slack.NewTextBlockObject(slack.PlainTextType, "New round", false, false))),
	}}}
	if _, err := app.api.PublishView("UMKT", home, ""); err != nil {
		t.Fatal(err)
	}
	v, ok := fs.Home("UMKT")
	if !ok || v.Type != "home" || v.VisibleText() != "No round yet\nNew round" {
		t.Errorf("Home = %+v (%q)", v, v.VisibleText())
	}

	if _, err := fs.ClickViewButton("UMKT", v, "", "New"); err != nil {
		t.Fatal(err)
	}
	cb := app.next(t).Data.(slack.InteractionCallback)
	if cb.Container.Type != "view" || cb.Container.ViewID != v.ID || cb.View.ID != v.ID || cb.ActionCallback.BlockActions[0].ActionID != "new_round" || cb.ResponseURL != "" {
		t.Errorf("home click = container %+v view %s actions %+v", cb.Container, cb.View.ID, cb.ActionCallback.BlockActions)
	}

	// A second opening carries the published view.
	if _, err := fs.OpenAppHome("UMKT"); err != nil {
		t.Fatal(err)
	}
	again := app.next(t).Data.(slackevents.EventsAPIEvent).InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if again.View == nil || again.View.ID != v.ID {
		t.Errorf("second app_home_opened view = %+v", again.View)
	}
}
