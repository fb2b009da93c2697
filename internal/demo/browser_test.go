package demo

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/alignbot/alignbot/bot/render"
)

var screenshots = flag.String("screenshots", "", "directory for the browser test's screenshots (default: a temporary directory, named in the log)")

// browser starts headless Chromium for a test. Without Chromium the test is
// skipped, unless ALIGNBOT_REQUIRE_BROWSER=1 (CI), where it fails.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if _, statErr := os.Stat("/usr/bin/chromium"); statErr == nil {
			path, err = "/usr/bin/chromium", nil
		}
	}
	if err != nil {
		if os.Getenv("ALIGNBOT_REQUIRE_BROWSER") == "1" {
			t.Fatal("ALIGNBOT_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install chromium)")
		}
		t.Skip("chromium is not installed (apt-get install chromium); set ALIGNBOT_REQUIRE_BROWSER=1 to fail instead")
	}
	// The flags headless Chromium needs as root on a machine without a
	// network beyond loopback.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("hide-scrollbars", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// page drives the demo in the browser, each step with a deadline.
type page struct {
	t    *testing.T
	ctx  context.Context
	d    *Demo
	dir  string
	step time.Duration
}

func (p *page) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.step)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		text, _ := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS("body")))
		p.shot("failure")
		p.t.Fatalf("%s: %v\npage text:\n%s", what, err, text)
	}
}

func (p *page) open(as, c string) {
	p.t.Helper()
	p.run("open "+c+" as "+who(as),
		chromedp.Navigate(p.d.URL()+"/?as="+as+"&c="+c),
		chromedp.WaitVisible(chromedp.CSS("#timeline")))
}

// waitText waits until the element's text contains want.
func (p *page) waitText(sel, want string) {
	p.t.Helper()
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); return !!el && el.innerText.includes(%q); })()`, sel, want)
	p.run(fmt.Sprintf("%q in %s", want, sel), poll(js))
}

// poll waits until the expression is true in the page.
// A click on a link loads another page: a poll that started on the old one
// begins again on the new one.
func poll(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			_, err := chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0))(ctx, t)
			if err == nil || ctx.Err() != nil || !navigated(err) {
				return err
			}
		}
	})
}

// until evaluates js every 50 ms until it is true or ctx is done. Each
// evaluation is short, so a click that loads another page is followed to
// it: an evaluation the old page took away is simply made again.
func until(ctx context.Context, js string) error {
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		switch {
		case err == nil && ok:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// navigated reports whether err says the page went away under a script.
func navigated(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Cannot find context") || strings.Contains(msg, "context was destroyed") ||
		strings.Contains(msg, "Inspected target navigated")
}

// click waits for a visible element and clicks it.
func (p *page) click(what, sel string) {
	p.t.Helper()
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(p.ctx, p.step)
		err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			return
		}
		// The page redraws a part whose content changed: the element found
		// may be replaced before the click reaches it. Find it again.
		if attempt < 5 && replaced(err) {
			continue
		}
		p.run("click "+what, chromedp.Func(func(context.Context, *chromedp.Target) error { return err }))
	}
}

// replaced reports whether err says the element went away under the click.
func replaced(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Could not find node") || strings.Contains(msg, "Node is detached") ||
		strings.Contains(msg, "No node with given id")
}

// clickUntil clicks an element until done (JavaScript) holds, as a person
// clicks again when nothing happened: a click can land on a message the
// bot is redrawing at that moment.
func (p *page) clickUntil(what, sel, done string) {
	p.t.Helper()
	for attempt := 1; ; attempt++ {
		p.click(what, sel)
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		err := until(ctx, done)
		cancel()
		if err == nil {
			return
		}
		if attempt == 3 {
			p.shot("failure")
			p.t.Fatalf("%s: clicked %d times, nothing happened", what, attempt)
		}
		p.t.Logf("%s: nothing happened after click %d; clicking again", what, attempt)
	}
}

// jump moves the demo's clock with one of its jump buttons. The demo first
// lets the bot finish what is due, which on a busy machine can take longer
// than a step, and says so when it gives up; a person then presses again.
func (p *page) jump(what, id string) {
	p.t.Helper()
	sel := fmt.Sprintf(`#clock button[data-jump=%q]`, id)
	outcome := `(() => { const t = document.querySelector("#toast").innerText;
		return t.includes("The clock moved on") || t.includes("still sending"); })()`
	for attempt := 1; ; attempt++ {
		p.click("jump to "+what, sel)
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Minute)
		err := chromedp.Do(ctx, poll(outcome))
		cancel()
		toast, _ := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS("#toast")))
		switch {
		case err == nil && strings.Contains(toast, "The clock moved on"):
			return
		case attempt == 3 || err != nil:
			p.shot("failure")
			p.t.Fatalf("jump to %s: pressed %d times; the demo said %q (%v)", what, attempt, toast, err)
		}
		p.t.Logf("jump to %s: %q; pressing again", what, toast)
	}
}

// gone is JavaScript that holds once no element matches sel.
func gone(sel string) string {
	return fmt.Sprintf(`document.querySelector(%q) === null`, sel)
}

func (p *page) shot(name string) {
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(p.dir, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	p.t.Logf("screenshot: %s", file)
}

// answerAll answers every question of the person's questionnaire in their
// DM by clicking its buttons, then submits; with a screenshot name, it
// takes one halfway, a question open under the folded answers.
func (p *page) answerAll(as string, scores []int, screenshot string) {
	p.t.Helper()
	p.open(as, "dm")
	for i, s := range scores {
		q := fmt.Sprintf("Q%d", i+1)
		sel := fmt.Sprintf(`#timeline button[data-block^=%q][data-block$=":%s"][data-action=%q]`, render.BlockAnswerPrefix, q, render.ScoreAction(render.ActionAnswer, s))
		p.clickUntil(fmt.Sprintf("%s's %d on %s", who(as), s, q), sel, gone(sel))
		if i == 4 && screenshot != "" {
			p.run("the next question", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#timeline button[data-block$=":Q%d"]`, i+2))))
			p.shot(screenshot)
		}
	}
	submit := fmt.Sprintf(`#timeline button[data-action=%q]`, render.ActionSubmit)
	p.run(who(as)+"'s Submit button", chromedp.WaitVisible(chromedp.CSS(submit)))
	// Submit asks first, as Slack shows a button's confirm dialog.
	p.clickUntil(who(as)+"'s Submit", submit, `document.querySelector("#confirm [data-ok]") !== null`)
	p.waitText("#confirm", "Submit your answers?")
	p.clickUntil(who(as)+"'s Submit in the dialog", "#confirm [data-ok]", gone(submit))
}

// TestBrowser drives the demo in headless Chromium as a person would:
// Fran types the start command, Maya and Sam answer their ten questions by
// clicking, the demo answers for Rui, the reveal and its chart appear in
// the channel, Fran assigns an owner through the modal, the clock jumps to
// the next reminder, and the owner sees it in their DM.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	d := startDemo(t, time.Time{})
	dir := *screenshots
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx, d: d, dir: dir, step: 30 * time.Second}
	start := time.Now()

	p.open(fran, channelID)
	p.waitText("#guide", startCommand)
	p.run("type the start command",
		chromedp.WaitVisible(chromedp.CSS("#composer textarea")),
		chromedp.SendKeys(chromedp.CSS("#composer textarea"), startCommand+kb.Enter))
	p.waitText("#timeline", "Started round 1")
	p.waitText("#guide", "Waiting for Maya")

	p.answerAll(maya, []int{2, 2, 1, 2, 0, 1, 2, 2, 1, 2}, "questionnaire")
	p.answerAll(sam, []int{0, 1, 1, 0, 2, 0, 0, 1, 1, 1}, "")
	p.waitText("#guide", "Waiting for Rui")
	p.click("play the others", `#guide form[data-play] button[type=submit]`)

	p.open(fran, channelID)
	p.waitText("#timeline", "Alignment reveal")
	// The reveal is redrawn as its thread fills: a click can land on the
	// link being replaced.
	p.clickUntil("the reveal's thread", "#timeline a.replies", `document.querySelector("#thread").innerText.trim() !== ""`)
	p.run("the chart in the thread", poll(`(() => { const img = document.querySelector("#thread img.file-img"); return !!img && img.complete && img.naturalWidth > 0; })()`))
	p.run("scroll to the chart", chromedp.ScrollIntoView(chromedp.CSS("#thread img.file-img")))
	p.shot("reveal")

	p.click("Assign owner", fmt.Sprintf(`#timeline button[data-action=%q]`, render.ActionAssign))
	p.run("the assign form", chromedp.WaitVisible(chromedp.CSS(`#modal form.modal select[data-kind=select]`)),
		chromedp.SetValue(chromedp.CSS(`#modal form.modal select[data-kind=select]`), maya))
	p.click("Assign", `#modal button[data-submit]`)
	p.run("the form to close", chromedp.WaitNotPresent(chromedp.CSS(`#modal form.modal`)))
	p.waitText("#guide", "Maya owns")

	p.jump("the next reminder", "nudge")
	p.open(maya, "dm")
	p.waitText("#timeline", "How is your alignment action")
	p.run("the owner's buttons", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#timeline button[data-action=%q]`, render.ActionStatus+"_done"))))
	p.shot("owner-dm")
	t.Logf("browser walk-through took %v", time.Since(start).Round(100*time.Millisecond))
	if !strings.Contains(dir, os.TempDir()) || *screenshots != "" {
		t.Logf("screenshots in %s", dir)
	}
}
