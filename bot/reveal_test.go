package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/alignbot/alignbot/internal/report"
	"github.com/alignbot/alignbot/internal/slackfake"
	"github.com/alignbot/alignbot/scoring"
	"github.com/alignbot/alignbot/storage"
)

// Helpers shared by reveal_test.go, gaps_test.go and instruments_test.go.
// Their names start with "reveal" so that they stay out of other test files'
// way.

// revealLatestRound returns the ID of the newest round.
func (h *harness) revealLatestRound() int64 {
	h.t.Helper()
	var id int64
	if err := h.store.DB().Get(&id, `SELECT max(id) FROM rounds`); err != nil {
		h.t.Fatal(err)
	}
	return id
}

// revealQuestionnaires counts the questionnaires user was sent.
func (h *harness) revealQuestionnaires(user string) int {
	n := 0
	for _, m := range h.slack.DMs(user) {
		if isQuestionnaire(m) {
			n++
		}
	}
	return n
}

// revealStart starts a round with people in role order (and extra words: an
// instrument) and waits until each has this round's questionnaire, so that
// the harness's helpers act on it and not on an earlier round's.
func (h *harness) revealStart(people []string, extra string) int64 {
	h.t.Helper()
	before := map[string]int{}
	for _, u := range people {
		before[u] = h.revealQuestionnaires(u)
	}
	h.startWith(people, extra)
	for _, u := range people {
		h.waitFor("a new questionnaire for "+u, func() bool { return h.revealQuestionnaires(u) > before[u] })
	}
	return h.revealLatestRound()
}

// revealPlay starts a round, has every person answer (scores, Q1 first) and
// submit in order, and returns the reveal once its thread is complete.
func (h *harness) revealPlay(people []string, extra string, scores map[string][]int) (int64, slackfake.Message) {
	h.t.Helper()
	id := h.revealStart(people, extra)
	for _, u := range people {
		h.answerAll(u, scores[u])
		h.submit(u)
	}
	return id, h.revealWait(id)
}

// revealWait waits for round id's reveal and for everything it sets off
// (chart, thread, updates) to be done, and returns it.
func (h *harness) revealWait(id int64) slackfake.Message {
	h.t.Helper()
	msg := h.waitMessage(revenue, fmt.Sprintf("Alignment reveal · round %d", id))
	h.settle()
	return h.current(msg)
}

// revealClick clicks a button of a message and returns the answer the
// clicker alone is shown.
func (h *harness) revealClick(user string, msg slackfake.Message, card, label string) string {
	h.t.Helper()
	n := len(h.ephemerals(user))
	h.click(user, h.current(msg), card, label)
	return h.waitEphemeral(user, n+1)
}

// revealWaitText waits until the latest version of msg shows every want.
func (h *harness) revealWaitText(msg slackfake.Message, want ...string) slackfake.Message {
	h.t.Helper()
	h.revealWaitFor(fmt.Sprintf("the message to show %q", want), func() bool {
		text := h.current(msg).VisibleText()
		for _, w := range want {
			if !strings.Contains(text, w) {
				return false
			}
		}
		return true
	})
	return h.current(msg)
}

// revealThreadHas waits until the reveal's thread shows want.
func (h *harness) revealThreadHas(reveal slackfake.Message, want string) {
	h.t.Helper()
	h.revealWaitFor(fmt.Sprintf("the reveal's thread to show %q", want), func() bool { return strings.Contains(h.thread(reveal), want) })
}

// revealWaitFor is waitFor for what may wait behind the bot's pace of
// updates in a channel, or behind a Retry-After on the test's clock (see
// settle).
func (h *harness) revealWaitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for h.poll(time.Second, cond) != nil {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		h.skipDeferred()
	}
}

// revealContains reports every want missing from text.
func revealContains(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
	if t.Failed() {
		t.Logf("%s:\n%s", what, text)
	}
}

// revealLacks reports every unwanted text present in text.
func revealLacks(t *testing.T, what, text string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(text, u) {
			t.Errorf("%s shows %q:\n%s", what, u, text)
		}
	}
}

// revealExported is the export as `alignbot export` prints it, decoded with
// the field names the specification documents: a renamed field decodes as
// zero and fails the comparisons.
type revealExported struct {
	RoundID     int64                 `json:"round_id"`
	Instrument  string                `json:"instrument"`
	State       string                `json:"state"`
	Respondents []revealExpRespondent `json:"respondents"`
	Questions   []struct {
		ID            string               `json:"id"`
		Scores        map[scoring.Role]int `json:"scores"`
		Spread        int                  `json:"spread"`
		Combined      int                  `json:"combined"`
		LeadGap       int                  `json:"lead_gap"`
		StructuralGap bool                 `json:"structural_gap"`
	} `json:"questions"`
	Flags []struct {
		Code  string       `json:"code"`
		Title string       `json:"title"`
		Role  scoring.Role `json:"role"`
	} `json:"flags"`
	TeamTier       int               `json:"team_tier"`
	TeamTierCapped bool              `json:"team_tier_capped"`
	TopGaps        []revealExpGap    `json:"top_gaps"`
	FixIt          []revealExpGap    `json:"fix_it"`
	PreviousGaps   []revealExpBefore `json:"previous_gaps"`
	OneAnswer      string            `json:"one_answer"`
	NextRoundAt    *time.Time        `json:"next_round_at"`
}

type revealExpRespondent struct {
	Role        scoring.Role    `json:"role"`
	UserID      string          `json:"user_id"`
	Submitted   bool            `json:"submitted"`
	Answers     []int           `json:"answers"`
	Total       *int            `json:"total"`
	Tier        *int            `json:"tier"`
	TierName    *string         `json:"tier_name"`
	Predictions json.RawMessage `json:"predictions"`
}

type revealExpGap struct {
	Question    string     `json:"question"`
	OwnerUserID *string    `json:"owner_user_id"`
	Action      *string    `json:"action"`
	Due         *time.Time `json:"due"`
	Status      *string    `json:"status"`
}

type revealExpBefore struct {
	Question    string `json:"question"`
	OwnerUserID string `json:"owner_user_id"`
	Status      string `json:"status"`
	Verdict     string `json:"verdict"`
}

// revealExport runs what `alignbot export --round id` runs and decodes its
// JSON.
func (h *harness) revealExport(id int64) revealExported {
	h.t.Helper()
	rv, err := report.Load(context.Background(), h.store, id)
	if err != nil {
		h.t.Fatalf("export round %d: %v", id, err)
	}
	var buf bytes.Buffer
	if err := report.Export(rv).WriteJSON(&buf); err != nil {
		h.t.Fatal(err)
	}
	var e revealExported
	if err := json.Unmarshal(buf.Bytes(), &e); err != nil {
		h.t.Fatalf("export JSON: %v\n%s", err, buf.String())
	}
	return e
}

func (e revealExported) question(id string) (int, bool) {
	for i, q := range e.Questions {
		if q.ID == id {
			return i, true
		}
	}
	return 0, false
}

var (
	revealHeadlineRE = regexp.MustCompile(`(?m)^(.+?) <@(\w+)>: (.+)$`)
	revealTotalRE    = regexp.MustCompile(`^\*(\d+) of (\d+)\* · (\w+) (\d+) (.+)$`)
	revealStageRE    = regexp.MustCompile(`^(\w+) (\d+) (.+)$`)
	revealTeamRE     = regexp.MustCompile(`(?m)^Team: \*(\w+) (\d+) [^*]+\*(.*)$`)
	revealGapsRE     = regexp.MustCompile(`\*(\d+) structural gaps?\*: ([^.]+)\.`)
	revealTopRE      = regexp.MustCompile(`\*(\d+)\. (Q\d+) · [^*]+\* · (\S+) \*(\d)\* · (\S+) \*(\d)\* · combined (\d+) of (\d+)`)
	revealFixItRE    = regexp.MustCompile(`• \*(Q\d+) · [^*]+\* · (\S+) \*(\d)\* · (\S+) \*(\d)\* · combined (\d+) of (\d+)`)
	revealScoreRE    = regexp.MustCompile(`(?m)^\*(Q\d+) · [^*]+\*: ((?:\S+ \*\d\*(?: · )?)+)$`)
	revealRoleRE     = regexp.MustCompile(`(\S+) \*(\d)\*`)
	revealFlagRE     = regexp.MustCompile(`:triangular_flag_on_post: \*([^*]+)\*, raised by the answers of (.+?): `)
	revealMentionRE  = regexp.MustCompile(`<@(\w+)>`)
	revealQuestionRE = regexp.MustCompile(`Q\d+`)
)

// revealCheckExport reads the numbers off round id's reveal and its thread
// (each respondent's total and tier, every score, the structural gaps, the
// team tier, the top gaps and the fix-it list, the flags and whose answers
// raised them) and requires the export to carry the same ones. It returns
// the export.
func (h *harness) revealCheckExport(id int64, reveal slackfake.Message) revealExported {
	h.t.Helper()
	t := h.t
	e := h.revealExport(id)
	in, ok := scoring.Lookup(e.Instrument)
	if !ok {
		t.Fatalf("export names instrument %q", e.Instrument)
	}
	if e.RoundID != id {
		t.Errorf("export round_id %d, want %d", e.RoundID, id)
	}
	byShort := map[string]scoring.Role{}
	for _, r := range in.Roles {
		byShort[r.Short] = r.Role
	}
	roleOf := map[string]scoring.Role{}
	for _, r := range e.Respondents {
		roleOf[r.UserID] = r.Role
	}
	text := sectionTexts(h.current(reveal))
	thread := h.thread(reveal)

	// Each respondent's total and tier, or that they did not take part.
	shown := 0
	for _, m := range revealHeadlineRE.FindAllStringSubmatch(text, -1) {
		if strings.Contains(m[1], "Owner") {
			continue
		}
		i := slices.IndexFunc(e.Respondents, func(r revealExpRespondent) bool { return r.UserID == m[2] })
		if i < 0 || m[1] != in.RoleLabel(e.Respondents[i].Role) {
			continue
		}
		shown++
		r := e.Respondents[i]
		if m[3] == "did not respond" || m[3] == "declined" {
			if r.Submitted || r.Total != nil || r.Answers != nil {
				t.Errorf("%s %s: the reveal says %q, the export %+v", m[1], m[2], m[3], r)
			}
			continue
		}
		var total, tier, name string
		if tm := revealTotalRE.FindStringSubmatch(m[3]); tm != nil {
			total, tier, name = tm[1], tm[4], tm[5]
			if tm[2] != fmt.Sprint(in.MaxTotal()) {
				t.Errorf("%s's total is out of %s, want %d", m[1], tm[2], in.MaxTotal())
			}
		} else if sm := revealStageRE.FindStringSubmatch(m[3]); sm != nil && len(in.Gates) > 0 {
			tier, name = sm[2], sm[3]
		} else {
			t.Errorf("unreadable headline %q", m[0])
			continue
		}
		if !r.Submitted || r.Tier == nil || fmt.Sprint(*r.Tier) != tier || r.TierName == nil || *r.TierName != name {
			t.Errorf("%s: the reveal says tier %s %s, the export %v %v", m[1], tier, name, r.Tier, r.TierName)
		}
		if total != "" && (r.Total == nil || fmt.Sprint(*r.Total) != total) {
			t.Errorf("%s: the reveal says total %s, the export %v", m[1], total, r.Total)
		}
		if len(r.Answers) != len(in.Questions) {
			t.Errorf("%s: the export has %d answers, want %d", m[1], len(r.Answers), len(in.Questions))
		}
	}
	if shown != len(e.Respondents) {
		t.Errorf("the reveal's headline names %d respondents, the export %d:\n%s", shown, len(e.Respondents), text)
	}

	// The team tier.
	if m := revealTeamRE.FindStringSubmatch(text); m == nil {
		t.Errorf("no team tier in the reveal:\n%s", text)
	} else {
		if m[2] != fmt.Sprint(e.TeamTier) {
			t.Errorf("team tier: the reveal says %s, the export %d", m[2], e.TeamTier)
		}
		if capped := strings.HasPrefix(m[3], ", capped:"); capped != e.TeamTierCapped {
			t.Errorf("team tier capped: the reveal says %v, the export %v", capped, e.TeamTierCapped)
		}
	}

	// Every score, question by question, from the thread.
	scores := map[string]map[scoring.Role]int{}
	for _, m := range revealScoreRE.FindAllStringSubmatch(thread, -1) {
		scores[m[1]] = map[scoring.Role]int{}
		for _, rs := range revealRoleRE.FindAllStringSubmatch(m[2], -1) {
			scores[m[1]][byShort[rs[1]]], _ = strconv.Atoi(rs[2])
		}
	}
	if len(scores) != len(in.Questions) || len(e.Questions) != len(in.Questions) {
		t.Errorf("read %d questions off the thread, the export has %d, want %d", len(scores), len(e.Questions), len(in.Questions))
	}
	for _, q := range e.Questions {
		if diff := cmp.Diff(scores[q.ID], q.Scores); diff != "" {
			t.Errorf("%s's scores (-thread +export):\n%s", q.ID, diff)
		}
		mk, sa := q.Scores[scoring.Marketing], q.Scores[scoring.Sales]
		if q.Combined != mk+sa || q.LeadGap != max(mk-sa, sa-mk) || q.StructuralGap != (q.LeadGap == in.StructuralGap()) {
			t.Errorf("%s exported inconsistently: %+v", q.ID, q)
		}
	}

	// The structural gaps.
	var gaps []string
	if m := revealGapsRE.FindStringSubmatch(text); m != nil {
		gaps = revealQuestionRE.FindAllString(m[2], -1)
		if m[1] != fmt.Sprint(len(gaps)) {
			t.Errorf("the reveal counts %s structural gaps and lists %v", m[1], gaps)
		}
	} else if !strings.Contains(text, "*No structural gaps*") {
		t.Errorf("the reveal says nothing of structural gaps:\n%s", text)
	}
	var exported []string
	for _, q := range e.Questions {
		if q.StructuralGap {
			exported = append(exported, q.ID)
		}
	}
	if !slices.Equal(gaps, exported) {
		t.Errorf("structural gaps: the reveal %v, the export %v", gaps, exported)
	}

	// The top gaps and the fix-it list, with the scores beside each.
	gapLine := func(what, line, q, r1, s1, r2, s2, comb, of string) {
		i, ok := e.question(q)
		if !ok {
			t.Errorf("%s %s is not in the export's questions", what, q)
			return
		}
		eq := e.Questions[i]
		if fmt.Sprint(eq.Scores[byShort[r1]]) != s1 || fmt.Sprint(eq.Scores[byShort[r2]]) != s2 ||
			fmt.Sprint(eq.Combined) != comb || of != fmt.Sprint(in.MaxCombined()) {
			t.Errorf("%s %q disagrees with the export's %+v", what, line, eq)
		}
	}
	var top []string
	for _, m := range revealTopRE.FindAllStringSubmatch(text, -1) {
		top = append(top, m[2])
		if m[1] != fmt.Sprint(len(top)) {
			t.Errorf("top gap %s ranked %s, want %d", m[2], m[1], len(top))
		}
		gapLine("top gap", m[0], m[2], m[3], m[4], m[5], m[6], m[7], m[8])
	}
	var fixIt []string
	for _, m := range revealFixItRE.FindAllStringSubmatch(text, -1) {
		fixIt = append(fixIt, m[1])
		gapLine("fix-it gap", m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7])
	}
	ids := func(gs []revealExpGap) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Question)
		}
		return out
	}
	if !slices.Equal(top, ids(e.TopGaps)) {
		t.Errorf("top gaps: the reveal %v, the export %v", top, ids(e.TopGaps))
	}
	if !slices.Equal(fixIt, ids(e.FixIt)) {
		t.Errorf("fix-it list: the reveal %v, the export %v", fixIt, ids(e.FixIt))
	}

	// The flags, by title and whose answers raised them.
	type flag struct {
		Title string
		Role  scoring.Role
	}
	var read, flags []flag
	for _, m := range revealFlagRE.FindAllStringSubmatch(thread, -1) {
		for _, u := range revealMentionRE.FindAllStringSubmatch(m[2], -1) {
			read = append(read, flag{m[1], roleOf[u[1]]})
		}
	}
	for _, f := range e.Flags {
		flags = append(flags, flag{f.Title, f.Role})
		if rule := slices.IndexFunc(in.Flags, func(r scoring.FlagRule) bool { return r.Code == f.Code && r.Title == f.Title }); rule < 0 {
			t.Errorf("exported flag %+v is not one of %s's", f, in.ID)
		}
	}
	if diff := cmp.Diff(read, flags); diff != "" {
		t.Errorf("flags (-thread +export):\n%s", diff)
	}
	return e
}

// revealFlagCodes are every instrument's flag codes: the export's words,
// never a message's.
func revealFlagCodes() []string {
	var codes []string
	for _, in := range scoring.Instruments {
		for _, f := range in.Flags {
			codes = append(codes, f.Code)
		}
	}
	return codes
}

// revealNoCodesSent fails if anything the bot sent to Slack (messages,
// updates, ephemerals, forms, App Homes, replies) names a flag by its code.
func (h *harness) revealNoCodesSent() {
	h.t.Helper()
	for _, c := range h.slack.Sent() {
		for _, code := range revealFlagCodes() {
			if bytes.Contains(c.Payload, []byte(code)) {
				h.t.Errorf("%s sent the flag code %q: %s", c.Method, code, revealClip(c.Payload))
			}
		}
	}
}

func revealClip(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// TestRevealPatterns plays rounds whose answers make each pattern of seed
// 000's rules, reads the reveal and its thread, and requires the export to
// carry the numbers read off them.
func TestRevealPatterns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// people in role order; those in scores answer and submit.
		people []string
		scores map[string][]int
		// partial answers of someone who never submits; the deadline
		// then reveals on the leads.
		partial map[string][]int
		reveal  []string // in the channel message
		thread  []string // in its thread
		absent  []string // in neither
		check   func(t *testing.T, e revealExported)
	}{
		{
			name:   "tier boundary: 10 is Tier 2, 11 is Tier 3",
			people: []string{mkt, sales},
			scores: map[string][]int{
				mkt:   {2, 2, 1, 2, 2, 0, 1, 0, 0, 0}, // 10
				sales: {2, 2, 1, 2, 2, 1, 1, 0, 0, 0}, // 11
			},
			reveal: []string{
				"All answers are in. <@UMARIA01> (Marketing lead) and <@USAMUE01> (Sales lead) scored the *Marketing-Sales Alignment Maturity Diagnostic* on their own",
				"Marketing lead <@UMARIA01>: *10 of 20* · Tier 2 Reactive\nSales lead <@USAMUE01>: *11 of 20* · Tier 3 Functional\n" +
					"Team: *Tier 2 Reactive*, the lower of the two leads' tiers. Use the honest answer.",
				"*No structural gaps*: the leads are never at opposite ends of the scale. One point apart on Q6.",
				// Q8, Q9 and Q10 combine to 0, tied; question order decides.
				"*1. Q8 · Sales feedback to marketing* · Marketing *0* · Sales *0* · combined 0 of 4\nNo owner yet.",
				"*2. Q9 · Joint content process* · Marketing *0* · Sales *0* · combined 0 of 4",
				"*3. Q10 · Shared dashboard* · Marketing *0* · Sales *0* · combined 0 of 4",
				"*The one question.* Which single gap, if fixed in the next 30 days, would most improve our pipeline reliability?",
			},
			thread: []string{
				"*Minor differences*: one point apart.\n*Q6 · Lead rejection and recycling*: Marketing *0* · Sales *1*",
				"*Tier 2 Reactive* (Marketing lead): Some shared processes exist",
				"*Tier 3 Functional* (Sales lead): Documented processes across most of the ten areas",
				"*Next move for Tier 2 Reactive: Formalise the handoff and close the loop.*\nYou have definitions; now make the handoff reliable. Build a 5-minute SLA for inbound MQLs",
				"Highest-leverage questions not yet in place: Q6 (Lead rejection and recycling), Q3 (CRM as source of truth).",
				"Shared definitions: Marketing 4/4 · Sales 4/4\nProcess infrastructure: Marketing 3/6 · Sales 4/6\nFeedback loops: Marketing 3/10 · Sales 3/10",
			},
			absent: []string{"RevOps", "Prerequisites first", ":triangular_flag_on_post:", "capped", "Fix-it list"},
			check: func(t *testing.T, e revealExported) {
				if *e.Respondents[0].Tier != 2 || *e.Respondents[1].Tier != 3 || e.TeamTier != 2 || e.TeamTierCapped {
					t.Errorf("tiers exported: marketing %d, sales %d, team %d", *e.Respondents[0].Tier, *e.Respondents[1].Tier, e.TeamTier)
				}
			},
		},
		{
			name:   "a tie in the top three",
			people: []string{mkt, sales},
			scores: map[string][]int{
				mkt:   {1, 1, 2, 0, 2, 2, 2, 2, 2, 2}, // 16
				sales: {1, 1, 2, 2, 2, 2, 2, 2, 2, 0}, // 16
			},
			// Q1, Q2, Q4 and Q10 all combine to 2. The leads are two
			// apart on Q4 and Q10, so those lead; then Q1 before Q2, by
			// question order. Q2 misses the cut.
			reveal: []string{
				"*2 structural gaps*: Q4 and Q10.",
				"*1. Q4 · Joint meeting cadence* · Marketing *0* · Sales *2* · combined 2 of 4",
				"*2. Q10 · Shared dashboard* · Marketing *2* · Sales *0* · combined 2 of 4",
				"*3. Q1 · MQL/SQL definitions* · Marketing *1* · Sales *1* · combined 2 of 4",
				"Team: *Tier 4 Integrated*, the lower of the two leads' tiers.",
			},
			thread: []string{
				"*Structural gaps: discuss these first.* The leads are two points apart.\n*Q4 · Joint meeting cadence*: Marketing *0* · Sales *2*\n*Q10 · Shared dashboard*: Marketing *2* · Sales *0*",
				"*Next move for Tier 4 Integrated: Layer in revenue intelligence.*",
				"Highest-leverage questions not yet in place: Q10 (Shared dashboard).",
			},
			absent: []string{"Q2 · Handoff SLA* ·", "Fix-it list", "Only "},
		},
		{
			name:   "every prerequisite flag, with whose answers raised it",
			people: []string{mkt, sales},
			scores: map[string][]int{
				mkt:   {0, 1, 0, 1, 0, 1, 1, 1, 1, 1}, // Q3 = 0; Q1 = Q5 = 0
				sales: {0, 1, 2, 2, 0, 1, 0, 1, 1, 2}, // Q1 = Q5 = 0; Q7 = 0 with Q10 = 2; Q3 = 2 with Q7 = 0
			},
			reveal: []string{
				"Marketing lead <@UMARIA01>: *7 of 20* · Tier 2 Reactive",
				"Sales lead <@USAMUE01>: *10 of 20* · Tier 2 Reactive",
				"*1 structural gap*: Q3.",
				// Every flagged question comes first; among them the lowest
				// combined score. Q3 (combined 2) is pushed onto the fix-it list.
				"Prerequisites first: Q1, Q5, Q7. Then lowest combined score of the two leads first, then the widest disagreement.",
				"*1. Q1 · MQL/SQL definitions* · Marketing *0* · Sales *0* · combined 0 of 4",
				"*2. Q5 · Shared ICP* · Marketing *0* · Sales *0* · combined 0 of 4",
				"*3. Q7 · Attribution agreement* · Marketing *1* · Sales *0* · combined 1 of 4",
				"• *Q3 · CRM as source of truth* · Marketing *0* · Sales *2* · combined 2 of 4",
			},
			thread: []string{
				":triangular_flag_on_post: *The CRM is not the source of truth*, raised by the answers of <@UMARIA01> (Marketing lead): Q3 scored 0: stop and fix this before anything else.",
				":triangular_flag_on_post: *No shared inputs*, raised by the answers of <@UMARIA01> (Marketing lead) and <@USAMUE01> (Sales lead): Q1 and Q5 both scored 0: alignment work can't meaningfully start.",
				":triangular_flag_on_post: *A data-trust problem*, raised by the answers of <@USAMUE01> (Sales lead): Q7 scored 0 while Q10 scored 2: a data-trust problem disguised as a reporting problem.",
				":triangular_flag_on_post: *Tier 3 on paper*, raised by the answers of <@USAMUE01> (Sales lead): Q3 scored 2 while Q7 scored 0: the data exists but isn't trusted",
				":warning: Shared definitions: all zeros from <@UMARIA01> (Marketing lead) and <@USAMUE01> (Sales lead), the structural layer that needs work first.",
			},
			absent: []string{"observer's flag", "RevOps"},
			check: func(t *testing.T, e revealExported) {
				type flag struct{ Code, Role string }
				var got []flag
				for _, f := range e.Flags {
					got = append(got, flag{f.Code, string(f.Role)})
				}
				want := []flag{{"crm_not_source_of_truth", "marketing"}, {"no_shared_inputs", "marketing"}, {"no_shared_inputs", "sales"},
					{"data_trust", "sales"}, {"paper_tier", "sales"}}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("exported flags (-want +got):\n%s", diff)
				}
			},
		},
		{
			name:   "an observer who answered",
			people: []string{mkt, sales, obs},
			scores: map[string][]int{
				mkt:   {2, 2, 1, 0, 2, 1, 2, 1, 2, 2}, // 15
				sales: {2, 2, 1, 0, 2, 1, 2, 2, 2, 1}, // 15
				obs:   {2, 1, 0, 2, 2, 1, 2, 1, 0, 2}, // 13; Q3 = 0 raises a flag
			},
			// The observer is two apart from both leads on Q4 and Q9, where
			// the leads agree: notes, never gaps. Their flag on Q3 steers
			// nothing: Q4 (combined 0) stays first.
			reveal: []string{
				"All answers are in. <@UMARIA01> (Marketing lead), <@USAMUE01> (Sales lead) and <@UOLGA001> (RevOps observer) scored",
				"RevOps observer <@UOLGA001>: *13 of 20* · Tier 3 Functional\nTeam: *Tier 4 Integrated*, the lower of the two leads' tiers.",
				"*No structural gaps*: the leads are never at opposite ends of the scale. One point apart on Q8 and Q10.",
				"Lowest combined score of the two leads first, then the widest disagreement.",
				"*1. Q4 · Joint meeting cadence* · Marketing *0* · Sales *0* · combined 0 of 4",
				"*2. Q3 · CRM as source of truth* · Marketing *1* · Sales *1* · combined 2 of 4",
				"*3. Q6 · Lead rejection and recycling* · Marketing *1* · Sales *1* · combined 2 of 4",
			},
			thread: []string{
				"*Agreement*: the leads gave the same score.\n*Q1 · MQL/SQL definitions*: Marketing *2* · Sales *2* · RevOps *2*",
				"*Q4 · Joint meeting cadence*: Marketing *0* · Sales *0* · RevOps *2*",
				"*Notes from the observer* (not gaps: gaps are between the leads)\nRevOps sees Q4 differently: RevOps *2*, Marketing 0, Sales 0.\nRevOps sees Q9 differently: RevOps *0*, Marketing 2, Sales 2.",
				":triangular_flag_on_post: *The CRM is not the source of truth*, raised by the answers of <@UOLGA001> (RevOps observer): Q3 scored 0",
				"(an observer's flag: noted, it does not reorder the gaps)",
				"Shared definitions: Marketing 4/4 · Sales 4/4 · RevOps 4/4",
			},
			absent: []string{"Prerequisites first", "structural gap*:", "did not respond"},
			check: func(t *testing.T, e revealExported) {
				for _, id := range []string{"Q4", "Q9"} {
					i, _ := e.question(id)
					if q := e.Questions[i]; q.Spread != 2 || q.LeadGap != 0 || q.StructuralGap || q.Scores[scoring.Observer] == q.Scores[scoring.Marketing] {
						t.Errorf("%s exported as %+v; want spread 2, no lead gap, no structural gap", id, q)
					}
				}
				if len(e.Flags) != 1 || e.Flags[0].Code != "crm_not_source_of_truth" || e.Flags[0].Role != scoring.Observer {
					t.Errorf("exported flags %+v, want the observer's crm_not_source_of_truth", e.Flags)
				}
				if e.TeamTier != 4 {
					t.Errorf("team tier %d: the observer's Tier 3 must not count", e.TeamTier)
				}
			},
		},
		{
			name:   "an observer who did not respond by the deadline",
			people: []string{mkt, sales, obs},
			scores: map[string][]int{
				mkt:   {2, 1, 2, 1, 1, 2, 1, 1, 2, 1}, // 14
				sales: {1, 1, 2, 2, 1, 1, 1, 2, 1, 1}, // 13
			},
			partial: map[string][]int{obs: {0, 0, 0}},
			reveal: []string{
				"Both leads' answers are in. <@UMARIA01> (Marketing lead) and <@USAMUE01> (Sales lead) scored the *Marketing-Sales Alignment Maturity Diagnostic* on their own",
				"<@UOLGA001> (RevOps observer) did not respond by the deadline and is left out.",
				"Marketing lead <@UMARIA01>: *14 of 20* · Tier 3 Functional\nSales lead <@USAMUE01>: *13 of 20* · Tier 3 Functional\nRevOps observer <@UOLGA001>: did not respond\nTeam: *Tier 3 Functional*",
				"*1. Q2 · Handoff SLA* · Marketing *1* · Sales *1* · combined 2 of 4",
				"*2. Q5 · Shared ICP*",
				"*3. Q7 · Attribution agreement*",
			},
			thread: []string{
				"*Next move for Tier 3 Functional: Fix attribution and start a win/loss program.*",
				"*Q1 · MQL/SQL definitions*: Marketing *2* · Sales *1*\n",
			},
			absent: []string{"RevOps *", "RevOps 0", "Notes from the observer"},
			check: func(t *testing.T, e revealExported) {
				o := e.Respondents[2]
				if o.Role != scoring.Observer || o.Submitted || o.Answers != nil || o.Total != nil || o.Tier != nil {
					t.Errorf("the observer who did not respond is exported as %+v", o)
				}
				for _, q := range e.Questions {
					if _, ok := q.Scores[scoring.Observer]; ok {
						t.Errorf("%s exports the observer's unsubmitted score", q.ID)
					}
				}
			},
		},
		{
			name:   "many structural gaps cap the team tier",
			people: []string{mkt, sales},
			scores: map[string][]int{
				mkt:   {2, 0, 2, 2, 2, 0, 2, 2, 2, 0}, // 14
				sales: {0, 2, 2, 0, 2, 2, 2, 2, 0, 0}, // 12
			},
			// Five structural gaps, all combined 2; Q10 combines to 0 but
			// with this many gaps the widest disagreement comes first.
			reveal: []string{
				"Marketing lead <@UMARIA01>: *14 of 20* · Tier 3 Functional\nSales lead <@USAMUE01>: *12 of 20* · Tier 3 Functional",
				"Team: *Tier 2 Reactive*, capped: more than 3 structural gaps (the leads' own answers say Tier 3 Functional). " +
					"More than three questions with a 2-point gap between marketing and sales signals a Tier 1 or low Tier 2 organisation, whatever the individual scores.",
				"*5 structural gaps*: Q1, Q2, Q4, Q6 and Q9.",
				"With this many structural gaps: the widest disagreement first, then the lowest combined score.",
				"*1. Q1 · MQL/SQL definitions* · Marketing *2* · Sales *0* · combined 2 of 4",
				"*2. Q2 · Handoff SLA* · Marketing *0* · Sales *2* · combined 2 of 4",
				"*3. Q4 · Joint meeting cadence* · Marketing *2* · Sales *0* · combined 2 of 4",
				"*Fix-it list*: the other structural gaps.",
				"• *Q6 · Lead rejection and recycling* · Marketing *0* · Sales *2* · combined 2 of 4\n• *Q9 · Joint content process* · Marketing *2* · Sales *0* · combined 2 of 4",
			},
			thread: []string{
				"*Next move, with this many structural gaps: Start with definitions, not tools.*\nDon't buy software.",
				"Highest-leverage questions not yet in place: Q1 (MQL/SQL definitions), Q4 (Joint meeting cadence).",
			},
			absent: []string{"Q10 · Shared dashboard* ·", "Formalise the handoff", "Fix attribution"},
			check: func(t *testing.T, e revealExported) {
				if e.TeamTier != 2 || !e.TeamTierCapped {
					t.Errorf("team tier exported as %d (capped %v), want 2 capped", e.TeamTier, e.TeamTierCapped)
				}
			},
		},
		{
			name:   "all 2s but one",
			people: []string{mkt, sales},
			scores: map[string][]int{
				mkt:   {2, 2, 2, 2, 2, 2, 2, 2, 1, 2}, // 19
				sales: {2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, // 20
			},
			reveal: []string{
				"Marketing lead <@UMARIA01>: *19 of 20* · Tier 5 Predictive\nSales lead <@USAMUE01>: *20 of 20* · Tier 5 Predictive",
				"*No structural gaps*: the leads are never at opposite ends of the scale. One point apart on Q9.",
				"*1. Q9 · Joint content process* · Marketing *1* · Sales *2* · combined 3 of 4",
				"Only 1 gap to own: 9 questions are fully in place for both leads.",
			},
			thread: []string{
				"*Next move for Tier 5 Predictive: Layer in revenue intelligence.*",
				"Highest-leverage questions not yet in place: Q9 (Joint content process).",
				"*Q9 · Joint content process*: a 2 means marketing has a documented process for collecting topic requests from sales",
			},
			absent: []string{"*2. ", "Fix-it list"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.startBot()
			id := h.revealStart(tt.people, "")
			for _, u := range tt.people {
				if s, ok := tt.scores[u]; ok {
					h.answerAll(u, s)
					h.submit(u)
				} else {
					h.answerAll(u, tt.partial[u])
				}
			}
			revealedAt := h.clock.Now()
			if len(tt.partial) > 0 {
				h.idle()
				if _, found := h.findMessage(revenue, "Alignment reveal"); found {
					t.Fatal("revealed before the deadline without everyone")
				}
				h.advance(h.cfg.Deadline)
				revealedAt = h.clock.Now()
			}
			reveal := h.revealWait(id)
			text := reveal.VisibleText()
			thread := h.thread(reveal)
			revealContains(t, "the reveal", text, tt.reveal...)
			revealContains(t, "the reveal's thread", thread, tt.thread...)
			revealLacks(t, "the reveal and its thread", text+"\n"+thread, tt.absent...)
			if n := h.countMessages(revenue, "Alignment reveal"); n != 1 {
				t.Errorf("%d reveals posted, want 1", n)
			}
			h.revealNoCodesSent()
			e := h.revealCheckExport(id, reveal)
			if e.State != "revealed" || e.NextRoundAt == nil || !e.NextRoundAt.Equal(revealedAt.Add(90*24*time.Hour)) {
				t.Errorf("export: state %q, next round %v; want revealed, 90 days after the reveal", e.State, e.NextRoundAt)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

// TestRevealPerception: leads guess each other's answers before the reveal;
// the guesses stay blind until it, then the thread says how well each read
// the other, and the export carries them.
func TestRevealPerception(t *testing.T) {
	t.Parallel()
	scores := map[string][]int{
		mkt:   {2, 1, 2, 1, 2, 0, 1, 2, 1, 1},
		sales: {2, 1, 0, 1, 0, 0, 1, 2, 2, 1},
	}
	tests := []struct {
		name    string
		guesses map[string]map[string]int
		want    []string
		absent  []string
		exports map[scoring.Role]string
	}{
		{
			name: "both leads guess",
			guesses: map[string]map[string]int{
				mkt:   {"Q1": 2, "Q3": 2, "Q5": 1, "Q9": 2}, // right on Q1 and Q9
				sales: {"Q3": 0, "Q6": 0, "Q10": 2},         // right on Q6
			},
			want: []string{
				"*How well each lead read the other.* Before the reveal, each lead could guess the other's answers.",
				"*Marketing lead* read the other side right on 2 of 4.\n" +
					"• Marketing expected Sales to answer 2 on Q3; Sales answered 0.\n" +
					"• Marketing expected Sales to answer 1 on Q5; Sales answered 0.",
				"*Sales lead* read the other side right on 1 of 3.\n" +
					"• Sales expected Marketing to answer 0 on Q3; Marketing answered 2.\n" +
					"• Sales expected Marketing to answer 2 on Q10; Marketing answered 1.",
				// Q10's miss is no blind spot: the leads agree there. Q9's
				// one-point gap was read right.
				"*Blind spots*: the leads disagree, and the guesses missed it.\n" +
					"*Q3 · CRM as source of truth*: 2 points apart, and Marketing and Sales did not see it coming.\n" +
					"*Q5 · Shared ICP*: 2 points apart, and Marketing did not see it coming.",
			},
			absent:  []string{"Joint content process*: 1 point apart", "Shared dashboard*: 1 point apart", "Shared dashboard*: 0 points apart"},
			exports: map[scoring.Role]string{scoring.Marketing: `{"Q1":2,"Q3":2,"Q5":1,"Q9":2}`, scoring.Sales: `{"Q10":2,"Q3":0,"Q6":0}`},
		},
		{
			name: "the sales lead skips guessing",
			guesses: map[string]map[string]int{
				mkt: {"Q3": 0, "Q5": 0},
			},
			want: []string{
				"*Marketing lead* read the other side right on 2 of 2.",
				"*Sales lead* made no predictions.",
			},
			absent:  []string{"expected", "*Blind spots*"},
			exports: map[scoring.Role]string{scoring.Marketing: `{"Q3":0,"Q5":0}`, scoring.Sales: `{}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.startBot()
			ctx := context.Background()
			id := h.revealStart([]string{mkt, sales}, "")
			h.answerAll(mkt, scores[mkt])
			if g, ok := tt.guesses[mkt]; ok {
				h.predictAll(mkt, g)
			}
			h.submit(mkt)
			h.answerAll(sales, scores[sales])
			if g, ok := tt.guesses[sales]; ok {
				h.predictAll(sales, g)
			}

			// Blind until the reveal: nothing in the channel or answered
			// to anyone there says what anyone expects, and the export
			// refuses.
			status := h.ask(fac, revenue, "status")
			h.idle()
			var before []string
			for _, m := range h.slack.Messages(revenue) {
				for _, r := range m.Revisions {
					before = append(before, r.Text+string(r.Blocks))
				}
			}
			before = append(before, status)
			revealLacks(t, "the channel before the reveal", strings.Join(before, "\n"), "expect", "read the other side", "Blind spots", "predict")
			if _, err := report.Load(ctx, h.store, id); !errors.Is(err, report.ErrNotRevealedYet) {
				t.Errorf("the export before the reveal: %v, want it refused", err)
			}

			h.submit(sales)
			reveal := h.revealWait(id)
			thread := h.thread(reveal)
			revealContains(t, "the reveal's thread", thread, tt.want...)
			revealLacks(t, "the reveal's thread", thread, tt.absent...)
			revealLacks(t, "the reveal", reveal.VisibleText(), "expected", "read the other side")

			e := h.revealCheckExport(id, reveal)
			for _, r := range e.Respondents {
				var got, want any
				if err := json.Unmarshal(r.Predictions, &got); err != nil {
					t.Fatalf("%s's predictions %s: %v", r.Role, r.Predictions, err)
				}
				_ = json.Unmarshal([]byte(tt.exports[r.Role]), &want)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s's exported predictions (-want +got):\n%s", r.Role, diff)
				}
			}
		})
	}
}

var revealThreePeople = map[string][]int{
	mkt:   {2, 2, 1, 1, 2, 0, 1, 2, 1, 1},
	sales: {0, 1, 1, 2, 1, 0, 1, 0, 2, 1},
	obs:   {1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
}

// revealCheckOnce requires exactly one reveal of round 1 in #revenue, with
// one chart (a PNG of sensible size) and one copy of each part of its
// thread, and returns the reveal.
func (h *harness) revealCheckOnce() slackfake.Message {
	h.t.Helper()
	t := h.t
	reveal := h.revealWait(1)
	if n := h.countMessages(revenue, "Alignment reveal"); n != 1 {
		t.Errorf("%d reveal messages, want 1", n)
	}
	round, err := h.store.Round(context.Background(), 1)
	if err != nil || round.RevealTS != reveal.TS {
		t.Errorf("the round records reveal %q (%v), the channel has %q", round.RevealTS, err, reveal.TS)
	}
	var parts []string
	for _, m := range h.slack.Thread(revenue, reveal.TS)[1:] {
		parts = append(parts, strings.SplitN(m.VisibleText(), "\n", 2)[0])
	}
	want := []string{
		"Every question, each respondent's score side by side; shaded questions are structural gaps between the leads.",
		"*Question by question.* Each respondent's own score; gaps are between the two leads.",
		"*What each tier means*",
	}
	if diff := cmp.Diff(want, parts); diff != "" {
		t.Errorf("the reveal's thread, first line of each reply (-want +got):\n%s", diff)
	}
	files, shared := h.slack.Files(), h.slack.SharedFiles(revenue, reveal.TS)
	if len(files) != 1 || len(shared) != 1 || files[0].ID != shared[0].ID || round.ChartFileID != files[0].ID {
		t.Fatalf("%d files uploaded, %d shared in the reveal's thread, the round records %q; want one", len(files), len(shared), round.ChartFileID)
	}
	f := files[0]
	img, err := png.Decode(bytes.NewReader(f.Bytes))
	if err != nil {
		t.Fatalf("the chart is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 600 || len(f.Bytes) < 10_000 || len(f.Bytes) > 2_000_000 || f.Length != len(f.Bytes) {
		t.Errorf("chart: %dx%d, %d bytes (declared %d); want a 1200x600 PNG of a sensible size", b.Dx(), b.Dy(), len(f.Bytes), f.Length)
	}
	if !strings.HasPrefix(f.AltText, "Bar chart of round 1") || f.Title != "Round 1, question by question" {
		t.Errorf("chart alt text %q, title %q", f.AltText, f.Title)
	}
	return reveal
}

// TestRevealOnceDespiteDoubleClicksOnTwoReplicas: two replicas serve the
// workspace; the last two respondents each double-click Submit at the same
// moment, and Slack delivers every click twice. One claim, one reveal, one
// chart, one thread.
func TestRevealOnceDespiteDoubleClicksOnTwoReplicas(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startBot()
	h.startBot()
	h.revealStart([]string{mkt, sales, obs}, "")
	for _, u := range []string{mkt, sales, obs} {
		h.answerAll(u, revealThreePeople[u])
	}
	h.submit(mkt)

	var clicks []slack.InteractionCallback
	for _, u := range []string{sales, obs, sales, obs} {
		cb, err := h.slack.BuildClick(u, h.questionnaire(u), "", "Submit")
		if err != nil {
			t.Fatal(err)
		}
		clicks = append(clicks, cb)
	}
	var wg sync.WaitGroup
	ids := make([]string, len(clicks))
	for i, cb := range clicks {
		wg.Go(func() {
			id, err := h.slack.SendInteraction(cb)
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	for _, id := range ids {
		if err := h.slack.Redeliver(id); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		h.waitAck(id)
	}
	h.revealCheckOnce()
	if n := strings.Count(h.logs.String(), `"msg":"reveal claimed"`); n != 1 {
		t.Errorf("the reveal was claimed %d times, want once", n)
	}
	var jobs int
	if err := h.store.DB().Get(&jobs, `SELECT count(*) FROM jobs WHERE kind IN ('reveal', 'chart', 'reveal_part')`); err != nil || jobs != 4 {
		t.Errorf("%d reveal, chart and part jobs (%v), want 4", jobs, err)
	}
}

// TestRevealAfterTheClaimingReplicaStops: the replica that claims the reveal
// (in the last submit's transaction) runs no jobs and stops; a worker that
// then takes the reveal job dies before posting. The replica left posts the
// reveal once, when the dead worker's lease ends.
func TestRevealAfterTheClaimingReplicaStops(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	first := h.startBot()
	h.revealStart([]string{mkt, sales}, "")
	h.answerAll(mkt, revealThreePeople[mkt])
	h.submit(mkt)
	h.answerAll(sales, revealThreePeople[sales])
	h.idle()
	h.stop(first)

	claimer := h.startBot(func(o *Options) { o.NoJobRunner = true })
	h.submit(sales)
	round, err := h.store.Round(ctx, 1)
	if err != nil || round.State != storage.Revealed {
		t.Fatalf("round after the last submit: %+v %v", round, err)
	}
	h.stop(claimer)

	// A worker takes every due job, the reveal among them, and dies.
	claimed, err := h.store.ClaimJobs(ctx, "doomed", h.clock.Now(), 15*time.Second, 100)
	if err != nil || !slices.ContainsFunc(claimed, func(j storage.Job) bool { return j.Key == "reveal:1" }) {
		t.Fatalf("the doomed worker claimed %d jobs (%v), not the reveal", len(claimed), err)
	}
	h.startBot()
	h.idle() // not revealSettle: that would end the dead worker's lease
	if _, found := h.findMessage(revenue, "Alignment reveal"); found {
		t.Fatal("the reveal was posted while a dead worker held it")
	}
	h.advance(16 * time.Second)
	h.revealCheckOnce()
}

// TestRevealCrashBetweenPostAndRecord: the reveal was posted but the worker
// died before recording it. When its lease ends the job runs again, finds
// its message by its metadata, and posts nothing new.
func TestRevealCrashBetweenPostAndRecord(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	h.startBot()
	_, reveal := h.revealPlay([]string{mkt, sales}, "", revealThreePeople)

	if _, err := h.store.DB().Exec(`UPDATE rounds SET reveal_ts = NULL WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.DB().Exec(`UPDATE jobs SET state = 'pending', result = NULL, attempts = 1, leased_by = 'dead',
		lease_token = gen_random_uuid(), run_at = $1 WHERE key = 'reveal:1'`, h.clock.Now().Add(15*time.Second)); err != nil {
		t.Fatal(err)
	}
	looked := h.slack.Calls("conversations.history")
	h.advance(16 * time.Second)
	h.waitFor("the reveal job to finish again", func() bool {
		j, err := h.store.Job(ctx, "reveal:1")
		return err == nil && j.State == storage.JobDone
	})
	if h.slack.Calls("conversations.history") == looked {
		t.Error("the retried reveal did not look for its earlier post")
	}
	again := h.revealCheckOnce()
	if again.TS != reveal.TS {
		t.Errorf("the reveal is now %s, was %s", again.TS, reveal.TS)
	}
	var reruns int
	if err := h.store.DB().Get(&reruns, `SELECT count(*) FROM jobs WHERE kind = 'rerun'`); err != nil || reruns != 2 {
		t.Errorf("%d re-run reminders booked (%v), want 2", reruns, err)
	}
}

// TestRevealChartOnceAfterACrashAfterSharing: the chart job shared its file
// in the reveal's thread and died before recording it. Run again, it finds
// the file it shared and uploads nothing new.
func TestRevealChartOnceAfterACrashAfterSharing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	h.startBot()
	h.revealPlay([]string{mkt, sales}, "", revealThreePeople)
	h.revealCheckOnce()

	// The job recorded the file it reserved before sharing it; the
	// round never learned it was shared.
	if _, err := h.store.DB().Exec(`UPDATE rounds SET chart_file_id = '' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.DB().Exec(`UPDATE jobs SET state = 'pending', attempts = 1, leased_by = 'dead',
		lease_token = gen_random_uuid(), run_at = $1 WHERE key = 'chart:1'`, h.clock.Now().Add(15*time.Second)); err != nil {
		t.Fatal(err)
	}
	reserved, looked := h.slack.Calls("files.getUploadURLExternal"), h.slack.Calls("conversations.replies")
	h.advance(16 * time.Second)
	h.waitFor("the chart job to finish again", func() bool {
		j, err := h.store.Job(ctx, "chart:1")
		return err == nil && j.State == storage.JobDone
	})
	if n := h.slack.Calls("files.getUploadURLExternal"); n != reserved {
		t.Errorf("the retried chart job reserved %d more uploads", n-reserved)
	}
	if h.slack.Calls("conversations.replies") == looked {
		t.Error("the retried chart job did not look for the file it shared")
	}
	h.revealCheckOnce()
}
