package bot

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// playRound starts a round with the people in order (marketing, sales,
// observer), has each answer and submit, and returns the reveal message.
func (h *harness) playRound(people []string, scores map[string][]int) slackfake.Message {
	h.t.Helper()
	h.startRound(people...)
	for _, u := range people {
		h.answerAll(u, scores[u])
		h.submit(u)
	}
	return h.waitMessage(revenue, "Alignment reveal")
}

func TestRevealPatterns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		people []string
		scores map[string][]int
		want   []string
		absent []string
	}{
		{
			name:   "tier boundary, no observer invited",
			people: []string{mkt, sales},
			scores: map[string][]int{
				mkt:   {2, 2, 2, 2, 2, 0, 0, 0, 0, 0}, // 10: the top of Tier 2
				sales: {2, 2, 2, 2, 2, 1, 0, 0, 0, 0}, // 11: the bottom of Tier 3
			},
			want: []string{
				"Marketing lead <@UMARIA01>: *10 of 20*, Tier 2 Reactive",
				"Sales lead <@USAMUE01>: *11 of 20*, Tier 3 Functional",
				"Team tier: *Tier 2 Reactive*",
				"Next move for Tier 2 Reactive: Formalise the handoff and close the loop.",
				"*Q6 · Lead rejection and recycling*: Marketing *0* · Sales *1*",
				"*Agreement*\n*Q1 · MQL/SQL definitions*: Marketing *2* · Sales *2*",
				// Q7, Q8, Q9, Q10 combine to 0; Q6 to 1.
				"*1. Q7 · Attribution agreement*", "*2. Q8 · Sales feedback to marketing*", "*3. Q9 · Joint content process*",
				"The one question.",
			},
			absent: []string{"RevOps", "Structural gaps", "structural gaps.*"},
		},
		{
			name:   "a tie in the top three",
			people: []string{mkt, sales},
			scores: map[string][]int{
				mkt:   {1, 2, 2, 0, 2, 2, 2, 2, 2, 2},
				sales: {1, 2, 2, 2, 2, 2, 2, 2, 2, 0},
			},
			// Q1, Q4 and Q10 all combine to 2; the leads are 2 apart on Q4
			// and Q10, so those come first, in question order.
			want: []string{
				"*1. Q4 · Joint meeting cadence*: combined *2 of 4* (Marketing 0, Sales 2)",
				"*2. Q10 · Shared dashboard*: combined *2 of 4* (Marketing 2, Sales 0)",
				"*3. Q1 · MQL/SQL definitions*: combined *2 of 4* (Marketing 1, Sales 1)",
				"*Structural gaps: discuss these first.*",
			},
		},
		{
			name:   "every prerequisite flag, observer answered",
			people: []string{mkt, sales, obs},
			scores: map[string][]int{
				mkt:   {1, 1, 0, 1, 1, 1, 1, 1, 1, 1},
				sales: {0, 1, 2, 1, 0, 1, 0, 1, 1, 1},
				obs:   {1, 1, 1, 1, 1, 1, 0, 1, 1, 2},
			},
			want: []string{
				"*crm_not_source_of_truth*, raised by the answers of <@UMARIA01> (Marketing lead)",
				"*no_shared_inputs*, raised by the answers of <@USAMUE01> (Sales lead)",
				"*data_trust*, raised by the answers of <@UOLGA001> (RevOps observer)",
				"*paper_tier*, raised by the answers of <@USAMUE01> (Sales lead)",
				"Shared definitions: all zeros from <@USAMUE01> (Sales lead), the structural layer that needs work first.",
				"RevOps observer <@UOLGA001>: *10 of 20*, Tier 2 Reactive",
				"*Q3 · CRM as source of truth*: Marketing *0* · Sales *2* · RevOps *1*",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.startBot()
			reveal := h.playRound(tt.people, tt.scores)
			text := sectionTexts(reveal)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("reveal lacks %q", w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(text, a) {
					t.Errorf("reveal has %q", a)
				}
			}
			if t.Failed() {
				t.Logf("reveal:\n%s", text)
			}
			checkExportMatches(t, h, reveal)
		})
	}
}

var (
	scoreLineRE = regexp.MustCompile(`\*(Q\d+) · [^*]+\*: ((?:(?:Marketing|Sales|RevOps) \*\d\*(?: · )?)+)`)
	roleScoreRE = regexp.MustCompile(`(Marketing|Sales|RevOps) \*(\d)\*`)
	totalRE     = regexp.MustCompile(`(Marketing lead|Sales lead|RevOps observer) <@\w+>: \*(\d+) of 20\*, Tier (\d)`)
	topGapRE    = regexp.MustCompile(`\*\d\. (Q\d+) · `)
)

// checkExportMatches reads the numbers off the rendered reveal and requires
// the export to carry the same ones.
func checkExportMatches(t *testing.T, h *harness, reveal slackfake.Message) {
	t.Helper()
	rv, err := LoadReveal(context.Background(), h.store, scoring.AlignmentMaturity, 1)
	if err != nil {
		t.Fatal(err)
	}
	e := Export(rv)
	text := sectionTexts(h.current(reveal))
	roles := map[string]scoring.Role{"Marketing": scoring.Marketing, "Sales": scoring.Sales, "RevOps": scoring.Observer,
		"Marketing lead": scoring.Marketing, "Sales lead": scoring.Sales, "RevOps observer": scoring.Observer}

	shown := map[string]map[scoring.Role]int{}
	for _, m := range scoreLineRE.FindAllStringSubmatch(text, -1) {
		shown[m[1]] = map[scoring.Role]int{}
		for _, rs := range roleScoreRE.FindAllStringSubmatch(m[2], -1) {
			shown[m[1]][roles[rs[1]]], _ = strconv.Atoi(rs[2])
		}
	}
	if len(shown) != 10 {
		t.Fatalf("read %d question lines off the reveal, want 10", len(shown))
	}
	for _, q := range e.Questions {
		for role, s := range q.Scores {
			if shown[q.ID][role] != s {
				t.Errorf("%s %s: export %d, reveal %d", q.ID, role, s, shown[q.ID][role])
			}
		}
		if len(q.Scores) != len(shown[q.ID]) {
			t.Errorf("%s: export has %d scores, reveal %d", q.ID, len(q.Scores), len(shown[q.ID]))
		}
	}
	totals := totalRE.FindAllStringSubmatch(text, -1)
	for _, r := range e.Respondents {
		found := false
		for _, m := range totals {
			if roles[m[1]] == r.Role {
				found = true
				if r.Total == nil || strconv.Itoa(*r.Total) != m[2] || strconv.Itoa(*r.Tier) != m[3] {
					t.Errorf("%s: export total %v tier %v, reveal %s tier %s", r.Role, r.Total, r.Tier, m[2], m[3])
				}
			}
		}
		if !found && r.Submitted {
			t.Errorf("%s: in the export, not in the reveal", r.Role)
		}
	}
	var gaps []string
	for _, m := range topGapRE.FindAllStringSubmatch(text, -1) {
		gaps = append(gaps, m[1])
	}
	var exported []string
	for _, g := range e.TopGaps {
		exported = append(exported, g.Question)
	}
	if strings.Join(gaps, ",") != strings.Join(exported, ",") {
		t.Errorf("top gaps: reveal %v, export %v", gaps, exported)
	}
	if !strings.Contains(text, fmt.Sprintf("Team tier: *Tier %d ", e.TeamTier)) {
		t.Errorf("team tier %d not in the reveal", e.TeamTier)
	}
}

var threePeople = map[string][]int{
	mkt:   {2, 2, 1, 1, 2, 0, 1, 2, 1, 1},
	sales: {0, 1, 1, 2, 1, 0, 1, 0, 2, 1},
	obs:   {1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
}

// TestRevealExactlyOnce has two replicas connected, the last two
// respondents submitting at the same moment, each double-clicking, and Slack
// delivering every click again: the reveal is claimed once and posted once.
func TestRevealExactlyOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	h.startBot()
	h.startRound(mkt, sales, obs)
	for _, u := range []string{mkt, sales, obs} {
		h.answerAll(u, threePeople[u])
	}
	h.submit(mkt)

	cards := map[string]slackfake.Message{sales: h.questionnaire(sales), obs: h.questionnaire(obs)}
	var clicks []string
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range 4 {
		user := []string{sales, obs}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := h.slack.ClickButton(user, cards[user], "", "Submit")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			clicks = append(clicks, id)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, id := range clicks {
		if err := h.slack.Redeliver(id); err != nil {
			t.Fatal(err)
		}
	}
	h.waitMessage(revenue, "Alignment reveal")
	h.idle()
	if n := h.countMessages(revenue, "Alignment reveal"); n != 1 {
		t.Errorf("%d reveal messages, want 1", n)
	}
	if n := strings.Count(h.logs.String(), `"msg":"reveal claimed"`); n != 1 {
		t.Errorf("the reveal was claimed %d times, want once", n)
	}
	j, err := h.store.Job(context.Background(), "reveal:1")
	if err != nil || j.State != storage.JobDone {
		t.Errorf("reveal job: %+v %v", j, err)
	}
	var revealed int
	h.store.DB().Get(&revealed, `SELECT count(*) FROM jobs WHERE kind = 'reveal'`)
	if revealed != 1 {
		t.Errorf("%d reveal jobs enqueued, want 1", revealed)
	}
}

// TestRevealClaimedByAReplicaThatDiesBeforePosting: the replica that claims
// the reveal (in the last submit's transaction) dies before anything is
// posted; the reveal is posted once by the replica that comes back.
func TestRevealClaimedByAReplicaThatDiesBeforePosting(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	first := h.startBot(func(o *Options) { o.NoJobRunner = true })
	h.startRound(mkt, sales)
	// The questionnaires are jobs; run them by hand, as a worker would.
	if _, err := first.bot.RunDueJobs(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{mkt, sales} {
		h.answerAll(u, threePeople[u])
		h.submit(u)
	}
	round, _ := h.store.Round(context.Background(), 1)
	if round.State != storage.Revealed {
		t.Fatalf("round is %s after the last submit", round.State)
	}
	h.stop(first) // killed after claiming, before any post
	if _, found := h.findMessage(revenue, "Alignment reveal"); found {
		t.Fatal("the reveal was posted by a replica that runs no jobs")
	}

	h.startBot()
	h.waitMessage(revenue, "Alignment reveal")
	h.idle()
	if n := h.countMessages(revenue, "Alignment reveal"); n != 1 {
		t.Errorf("%d reveal messages, want 1", n)
	}
}

// TestRevealAfterACrashBetweenPostAndRecord: a worker posts the reveal and
// dies before recording it. When its lease ends another replica runs the job
// again, finds the post by its metadata and does not post a second one.
func TestRevealAfterACrashBetweenPostAndRecord(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.startBot(func(o *Options) { o.NoJobRunner = true })
	ctx := context.Background()
	h.startRound(mkt, sales)
	if _, err := r.bot.RunDueJobs(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{mkt, sales} {
		h.answerAll(u, threePeople[u])
		h.submit(u)
	}
	jobs, err := h.store.ClaimJobs(ctx, "doomed", h.clock.Now(), 30*time.Second, 100)
	if err != nil {
		t.Fatal(err)
	}
	var reveal storage.Job
	for _, j := range jobs {
		if j.Kind == jobReveal {
			reveal = j
		}
	}
	if reveal.ID == 0 {
		t.Fatal("no reveal job to claim")
	}
	// The doomed worker posts, then dies: no SetRevealTS, no CompleteJob.
	parentMsg := func() Message {
		rv, err := LoadReveal(ctx, h.store, scoring.AlignmentMaturity, 1)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := renderReveal(rv)
		return m
	}()
	if _, err := r.bot.postOnce(ctx, reveal, revenue, "", parentMsg); err != nil {
		t.Fatal(err)
	}
	h.stop(r)

	h.startBot()
	h.advance(31 * time.Second) // the doomed worker's lease ends
	h.waitFor("the reveal job to finish", func() bool {
		j, err := h.store.Job(ctx, "reveal:1")
		return err == nil && j.State == storage.JobDone
	})
	h.idle()
	if n := h.countMessages(revenue, "Alignment reveal"); n != 1 {
		t.Errorf("%d reveal messages, want 1", n)
	}
	round, _ := h.store.Round(ctx, 1)
	if round.RevealTS == "" {
		t.Error("the reveal's ts was never recorded")
	}
}

func TestAssignAndAddressed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	ctx := context.Background()
	// Top gaps: Q7, Q8, Q9 (combined 0), then Q6 (1), then Q1…Q5 (4).
	reveal := h.playRound([]string{mkt, sales}, map[string][]int{
		mkt:   {2, 2, 2, 2, 2, 0, 0, 0, 0, 1},
		sales: {2, 2, 2, 2, 2, 1, 0, 0, 0, 1},
	})

	// By button and form.
	if _, err := h.slack.ClickButton(fac, h.current(reveal), "Q7", "Assign owner"); err != nil {
		t.Fatal(err)
	}
	form := h.waitView(fac, callbackAssign)
	resp, err := h.slack.SubmitView(ctx, fac, form.ID, map[string]map[string]string{
		"owner": {"user": botUser}, "action": {"text": "Agree attribution definitions"},
	})
	if err != nil || resp == nil || !strings.Contains(resp.Errors["owner"], "is a bot") {
		t.Fatalf("a bot as owner: %+v %v", resp, err)
	}
	resp, err = h.slack.SubmitView(ctx, fac, form.ID, map[string]map[string]string{
		"owner": {"user": owner}, "action": {"text": "Agree sourced vs influenced definitions with finance"},
	})
	if err != nil || (resp != nil && resp.ResponseAction == "errors") {
		t.Fatalf("assign form: %+v %v", resp, err)
	}
	h.waitFor("the reveal to show Q7's owner", func() bool {
		return strings.Contains(sectionTexts(h.current(reveal)), "Owner <@UOWEN001>: _Agree sourced vs influenced definitions with finance_")
	})
	h.waitFor("the owner's DM", func() bool {
		for _, m := range h.slack.DMs(owner) {
			if strings.Contains(m.VisibleText(), "named you owner") && strings.Contains(m.VisibleText(), "<#CREVENUE>") &&
				strings.Contains(m.VisibleText(), "Due") && strings.Contains(m.VisibleText(), "Done") {
				return true
			}
		}
		return false
	})
	h.waitFor("a note in the reveal's thread", func() bool {
		for _, m := range h.slack.Thread(revenue, reveal.TS) {
			if strings.Contains(m.VisibleText(), "named <@UOWEN001> owner of *Q7") {
				return true
			}
		}
		return false
	})

	// By command.
	h.command(sales, revenue, "assign q8 "+h.slack.MentionUser(sales)+" Monthly win/loss call with marketing")
	if got := h.waitEphemeral(sales, 1); !strings.Contains(got, "owns Q8") {
		t.Fatalf("assign by command: %s", got)
	}
	// Not a top gap; someone else changing an owned gap.
	h.command(sales, revenue, "assign Q2 "+h.slack.MentionUser(sales)+" write the SLA")
	if got := h.waitEphemeral(sales, 2); !strings.Contains(got, "isn't one of round 1's top gaps (Q7, Q8, Q9)") {
		t.Errorf("assign outside the top gaps: %s", got)
	}
	h.command(mkt, revenue, "assign Q7 "+h.slack.MentionUser(mkt)+" take it over")
	if got := h.waitEphemeral(mkt, 1); !strings.Contains(got, "already has an owner") {
		t.Errorf("changing someone else's action: %s", got)
	}

	// Already being addressed, by button: Q6 moves into the top three.
	if _, err := h.slack.ClickButton(fac, h.current(reveal), "Q9", "Already being addressed"); err != nil {
		t.Fatal(err)
	}
	if got := h.waitEphemeral(fac, 2); !strings.Contains(got, "The top gaps are now Q7, Q8 and Q6") {
		t.Errorf("addressed by button: %s", got)
	}
	h.waitFor("the reveal to show Q6 moved up", func() bool {
		m := h.current(reveal)
		return strings.Contains(sectionTexts(m), "*3. Q6 · Lead rejection and recycling*") &&
			strings.Contains(m.VisibleText(), "Q9 (marked by <@UFACIL01>)")
	})
	// By command, on the next candidate; an owned gap cannot be set aside.
	h.command(fac, revenue, "addressed Q6")
	if got := h.waitEphemeral(fac, 3); !strings.Contains(got, "The top gaps are now Q7, Q8 and Q10") {
		t.Errorf("addressed by command: %s", got)
	}
	h.command(fac, revenue, "addressed Q7")
	if got := h.waitEphemeral(fac, 4); !strings.Contains(got, "already has an owner") {
		t.Errorf("addressed on an owned gap: %s", got)
	}
	if n := h.countMessages(revenue, "Alignment reveal"); n != 1 {
		t.Errorf("the reveal was reposted instead of updated: %d", n)
	}
	h.idle()
	checkExportMatches(t, h, reveal)
	e := Export(mustReveal(t, h, 1))
	if e.TopGaps[0].OwnerUserID == nil || *e.TopGaps[0].OwnerUserID != owner || *e.TopGaps[0].Status != "open" {
		t.Errorf("exported top gap: %+v", e.TopGaps[0])
	}
}

func mustReveal(t *testing.T, h *harness, roundID int64) Reveal {
	t.Helper()
	rv, err := LoadReveal(context.Background(), h.store, scoring.AlignmentMaturity, roundID)
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

// TestGapButtonsRefusedBeforeTheReveal sends the reveal's buttons, tampered
// to point at a round still collecting answers.
func TestGapButtonsRefusedBeforeTheReveal(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	reveal := h.playRound([]string{mkt, sales}, threePeople)
	h.startRound(mkt, sales) // round 2, collecting
	for i, label := range []string{"Already being addressed", "Assign owner"} {
		cb, err := h.slack.BuildClick(fac, h.current(reveal), "", label)
		if err != nil {
			t.Fatal(err)
		}
		c := cloneClick(t, cb)
		q := strings.SplitN(c.act().Value, ":", 2)[1]
		c.act().Value = "2:" + q
		if _, err := h.slack.SendInteraction(c.InteractionCallback); err != nil {
			t.Fatal(err)
		}
		if label == "Assign owner" {
			// The form opens; its submission is refused.
			form := h.waitView(fac, callbackAssign)
			resp, err := h.slack.SubmitView(context.Background(), fac, form.ID, map[string]map[string]string{
				"owner": {"user": owner}, "action": {"text": "something"},
			})
			if err != nil || resp == nil || !strings.Contains(resp.Errors["owner"], "isn't revealed yet") {
				t.Errorf("assign on a collecting round: %+v %v", resp, err)
			}
			continue
		}
		if got := h.waitEphemeral(fac, 3+i); !strings.Contains(got, "isn't revealed yet") {
			t.Errorf("%s on a collecting round: %s", label, got)
		}
	}
	var n int
	h.store.DB().Get(&n, `SELECT count(*) FROM actions`)
	var m int
	h.store.DB().Get(&m, `SELECT count(*) FROM addressed_questions`)
	if n+m != 0 {
		t.Errorf("refused clicks stored %d actions and %d marks", n, m)
	}
}
