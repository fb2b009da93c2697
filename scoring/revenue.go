package scoring

// RevenueAlignment is the Revenue Alignment Diagnostic of the six-step Revenue
// Alignment Model ("Score 0 to 20"): ten questions answered 0 (no), 1
// (partially) or 2 (yes); the total says which of the model's steps to start
// with.
var RevenueAlignment = &Instrument{
	ID:      "revenue-alignment",
	Name:    "Revenue Alignment Diagnostic",
	Minutes: 5,
	Roles: []RoleSpec{
		{Role: Marketing, Label: "Marketing leader", Short: "Marketing"},
		{Role: Sales, Label: "Sales leader", Short: "Sales"},
	},
	Scale: Scale{
		Min:      0,
		Max:      2,
		Labels:   []string{"No", "Partially", "Yes"},
		Meanings: []string{"no", "partially", "yes"},
	},
	Questions: []Question{
		{
			ID:         "Q1",
			Topic:      "Signed MQL/SQL definition",
			Prompt:     "Do sales and marketing share one written definition of MQL and SQL, signed by both leaders?",
			Suggestion: "Draft v1 of the SLA with binary MQL criteria, schedule the sign-off meeting, and put a calendar hold on the monthly review.",
			Guide:      "Step 2: Define the MQL and SQL boundary in writing",
		},
		{
			ID:         "Q2",
			Topic:      "First-touch and disposition SLA",
			Prompt:     "Is first-touch response time under one business hour, with disposition feedback inside 48 hours?",
			Suggestion: "Write the first-touch and disposition-feedback commitments into the signed SLA and track first-touch SLA compliance (target 90% or more).",
			Guide:      "Step 2: Define the MQL and SQL boundary in writing",
		},
		{
			ID:         "Q3",
			Topic:      "One revenue plan",
			Prompt:     "Do both teams operate from one revenue plan with shared pipeline and revenue targets?",
			Suggestion: "Build one revenue plan that starts from the revenue number and works backward to pipeline coverage, conversion rates and activity; both leaders sign it.",
			Guide:      "Step 3: Build one revenue plan, not two",
		},
		{
			ID:         "Q4",
			Topic:      "Marketing paid on revenue",
			Prompt:     "Does marketing's compensation include sourced and influenced revenue (not just MQL volume)?",
			Suggestion: "Tie marketing's bonus to sourced and influenced revenue instead of MQL counts, on the same pipeline plan sales' quota is tied to.",
			Guide:      "Step 3: Build one revenue plan, not two",
		},
		{
			ID:         "Q5",
			Topic:      "Content mapped to demand states",
			Prompt:     "Is every piece of content mapped to a specific demand state and buying-committee role?",
			Suggestion: "Map every content asset to a demand state and a buying-committee role, and fill the gaps in the map before producing new top-of-funnel assets.",
			Guide:      "Step 5: Map content to demand states with usage telemetry",
		},
		{
			ID:         "Q6",
			Topic:      "Content usage tracked",
			Prompt:     "Are content usage and influence tracked in live deals, with retirement rules for unused assets?",
			Suggestion: "Instrument content usage in live deals and retire assets not pulled into deals within 90 days.",
			Guide:      "Step 5: Map content to demand states with usage telemetry",
		},
		{
			ID:         "Q7",
			Topic:      "Weekly joint pipeline review",
			Prompt:     "Is there a weekly pipeline review where both leaders walk every deal over a threshold value?",
			Suggestion: "Run a weekly 45-minute pipeline review in which both leaders walk every deal over a threshold value.",
			Guide:      "Step 4: Install shared pipeline reviews with named owners",
		},
		{
			ID:         "Q8",
			Topic:      "Owners for stalled deals",
			Prompt:     "Does every stalled deal have a named owner and a dated next action?",
			Suggestion: "Give every stalled deal a named owner and a dated next action in the weekly review, or take it off the forecast.",
			Guide:      "Step 4: Install shared pipeline reviews with named owners",
		},
		{
			ID:         "Q9",
			Topic:      "Quarterly loss post-mortem",
			Prompt:     "Do you run a quarterly loss post-mortem with both teams that produces structural changes?",
			Suggestion: "Review 5 to 10 losses this quarter with both teams and produce 3 to 5 structural changes for next quarter's plan.",
			Guide:      "Step 6: Run a quarterly loss post-mortem with both teams",
		},
		{
			ID:         "Q10",
			Topic:      "One revenue dashboard",
			Prompt:     "Is there one revenue dashboard both teams use, with no parallel system of truth?",
			Suggestion: "Agree one shared dashboard and one data model both teams use, owned by RevOps or whichever team owns the source of truth, and retire the parallel one.",
			Guide:      "Governance",
		},
	},
	Tiers: []Tier{
		{Word: "Step", Number: 1, Name: "Replace the funnel with demand states", Min: 0, Max: 4,
			Summary: "Misalignment is structural. Start with Step 1 and rebuild: map your revenue motion to demand states, with a named owner for each state."},
		{Word: "Step", Number: 2, Name: "Define the MQL and SQL boundary in writing", Min: 5, Max: 9,
			Summary: "Boundaries are leaking. Start with Step 2: a written, signed SLA with binary criteria, response-time commitments and disposition feedback rules."},
		{Word: "Step", Number: 3, Name: "Build one revenue plan, not two", Min: 10, Max: 15,
			Summary: "Ownership is partial. Start with Step 3: one revenue plan that starts from the revenue number and works backward; both teams carry pipeline and revenue numbers."},
		{Word: "Step", Number: 6, Name: "Reinforce governance", Min: 16, Max: 20,
			Summary: "You are mostly aligned. Reinforce governance (Step 6): quarterly loss post-mortems with both teams, and named owners for the SLA, the dashboard and disputes."},
	},
	NextMoves: map[int]NextMove{
		1: {
			Title:  "Replace the funnel with demand states",
			Advice: "Map your revenue motion to demand states instead of funnel stages and assign a named owner to each: marketing owns the early states, sales the late ones, and handoff states get joint ownership with a single named tie-breaker.",
		},
		2: {
			Title:     "Define the MQL and SQL boundary in writing",
			Advice:    "Convert the MQL/SQL definition into a written, signed SLA with binary criteria, response-time commitments and disposition feedback rules. Both leaders sign; the document is the law.",
			Questions: []string{"Q1", "Q2"},
		},
		3: {
			Title:     "Build one revenue plan, not two",
			Advice:    "Replace separate marketing and sales plans with one revenue plan that starts from the revenue number and works backward. Both teams sign; both carry pipeline and revenue numbers.",
			Questions: []string{"Q3", "Q4"},
		},
		6: {
			Title:     "Reinforce governance",
			Advice:    "Review 5 to 10 losses a quarter with both teams and turn them into structural changes; keep named owners for the SLA, the dashboard and dispute escalation, with a monthly review and a quarterly rewrite.",
			Questions: []string{"Q9", "Q10"},
		},
	},
	TopGapCount:  3,
	TeamTierNote: "the lower of the two leaders' steps: start where the less aligned view says.",
	Prerequisites: []string{
		"Confirm a documented ICP and baseline CRM hygiene (deduped accounts, stage definitions, owner fields). Without those, the model is built on sand.",
	},
	OneQuestion: "What do we fix first? Pick one step and start it this quarter.",
}
