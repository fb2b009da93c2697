package scoring

// StageGate is the self-assessment of the five-stage Marketing-Sales Alignment
// Maturity Model ("Which Stage Are You At?"): eight questions, each mapped to
// a stage gate or indicator, answered yes, partly or no by the CMO and the CRO
// independently. A respondent's stage is the first gate they do not pass with
// a clear yes: the seed asks for the honest answer, not the aspirational one,
// so "partly" does not open a gate.
var StageGate = &Instrument{
	ID:      "stage-gate",
	Name:    "Alignment Maturity Stage Self-Assessment",
	Minutes: 5,
	Roles: []RoleSpec{
		{Role: Marketing, Label: "CMO", Short: "CMO"},
		{Role: Sales, Label: "CRO", Short: "CRO"},
	},
	Scale: Scale{
		Min:    0,
		Max:    2,
		Labels: []string{"No", "Partly", "Yes"},
		Meanings: []string{
			"no",
			"partly: it exists, but not in the way the question asks",
			"yes, and both functions would say so",
		},
	},
	Questions: []Question{
		{
			ID:         "Q1",
			Topic:      "ICP agreed",
			Gate:       "Stage 2 baseline",
			Prompt:     "Is your ICP written down and agreed on by both marketing and sales?",
			Suggestion: "Hold a joint ICP session and write the ICP down from closed-won and churned deal data; both function leads sign off on the written output.",
			Guide:      "Shared ICP framework",
		},
		{
			ID:         "Q2",
			Topic:      "ICP reviewed together",
			Gate:       "Stage 2 health",
			Prompt:     "Have both function leads reviewed the ICP together within the last 90 days?",
			Suggestion: "Review the ICP together, update it where it has drifted, and book the next joint review within 90 days.",
			Guide:      "Shared ICP framework",
		},
		{
			ID:         "Q3",
			Topic:      "Formal SLA",
			Gate:       "Stage 3 gate",
			Prompt:     "Is there a formal SLA document with commitments from both sides?",
			Suggestion: "Write a formal SLA with specific commitments from both sides (lead volume, lead quality criteria, follow-up timing), reviewed and updated quarterly.",
			Guide:      "Marketing-sales SLA template",
		},
		{
			ID:         "Q4",
			Topic:      "Lead response time",
			Gate:       "Stage 3 indicator",
			Prompt:     "Do you know your average lead response time, and is there an SLA for it?",
			Suggestion: "Measure the average lead response time and put a response-time SLA in place, e.g. a 2-hour response for inbound demo requests.",
		},
		{
			ID:         "Q5",
			Topic:      "Shared pipeline review",
			Gate:       "Stage 3 indicator",
			Prompt:     "Do marketing and sales attend the same pipeline review on a fixed schedule?",
			Suggestion: "Have both functions attend the same weekly pipeline review on a fixed schedule, accountable to the same revenue dashboard.",
		},
		{
			ID:         "Q6",
			Topic:      "Win-loss to campaigns",
			Gate:       "Stage 4 gate",
			Prompt:     "Does win-loss data from sales reach marketing's campaign decisions through a documented process?",
			Suggestion: "Document how sales outcome data (win reasons, loss reasons, segment performance) flows back to marketing's targeting and campaign decisions at least monthly.",
		},
		{
			ID:         "Q7",
			Topic:      "Converting segments known",
			Gate:       "Stage 4 indicator",
			Prompt:     "Can marketing identify which segments produced the highest-converting leads last quarter?",
			Suggestion: "Structure the attribution data so marketing can see which segments produced the highest-converting leads last quarter, with a model both teams trust.",
		},
		{
			ID:         "Q8",
			Topic:      "Marketing in forecasting",
			Gate:       "Stage 5 indicator",
			Prompt:     "Does marketing participate in pipeline forecasting?",
			Suggestion: "Have marketing attend forecast reviews and contribute to pipeline and revenue projections alongside sales.",
		},
	},
	Tiers: []Tier{
		{Word: "Stage", Number: 1, Name: "Separated",
			Summary: "No shared definitions, no SLAs, blame cycle active. Each team has its own definition of \"qualified\"; handoffs are informal and nobody looks at both sets of numbers together."},
		{Word: "Stage", Number: 2, Name: "Coordinated",
			Summary: "Some shared vocabulary, informal agreements, occasional collaboration: a shared ICP exists, but it is held together by individual relationships and good intentions."},
		{Word: "Stage", Number: 3, Name: "Integrated",
			Summary: "Formal SLAs, an agreed funnel model and regular joint cadences: alignment is documented and enforced, not dependent on goodwill."},
		{Word: "Stage", Number: 4, Name: "Optimized",
			Summary: "Closed-loop feedback, data-driven adjustments and shared accountability. Stage 5 readiness depends on revenue scale and RevOps infrastructure."},
	},
	Gates: []Gate{
		{Questions: []string{"Q1", "Q2"}, Tier: 1},
		{Questions: []string{"Q3", "Q4", "Q5"}, Tier: 2},
		{Questions: []string{"Q6", "Q7"}, Tier: 3},
	},
	GatesPassed: 4,
	NextMoves: map[int]NextMove{
		1: {
			Title:     "Start with a joint ICP session",
			Advice:    "Nothing else moves until this is done. The unlock for Stage 2 is a written ICP agreement signed off by both function leads. Just that.",
			Questions: []string{"Q1", "Q2"},
		},
		2: {
			Title:     "Write the formal SLA",
			Advice:    "The single unlock is a formal SLA document with specific commitments from both sides (lead volume, lead quality criteria, follow-up timing), reviewed and updated quarterly.",
			Questions: []string{"Q3", "Q4", "Q5"},
		},
		3: {
			Title:     "Build the closed-loop feedback process",
			Advice:    "The path to Stage 4 is a documented process for sales outcome data (win reasons, loss reasons, segment performance) to flow back to marketing's targeting and campaign decisions at least monthly.",
			Questions: []string{"Q6", "Q7"},
		},
		4: {
			Title:     "Forecast together when scale calls for it",
			Advice:    "The unlock for Stage 5 is joint forecasting, with marketing contributing to pipeline and revenue projections alongside sales. Stage 5 readiness depends on revenue scale and RevOps infrastructure.",
			Questions: []string{"Q8"},
		},
	},
	Flags: []FlagRule{
		{
			Code:    "no_agreed_icp",
			Title:   "No agreed ICP",
			Meaning: "No to question 1: Stage 1. Start with a joint ICP session; nothing else moves until this is done.",
			When:    []Condition{{"Q1", 0}},
			Steers:  []string{"Q1"},
		},
		{
			Code:    "icp_not_reviewed",
			Title:   "The ICP has not been reviewed together",
			Meaning: "No to question 2: Stage 1. The leads have not reviewed the ICP together in 90 days, so nothing built on it can be trusted yet.",
			When:    []Condition{{"Q2", 0}},
			Steers:  []string{"Q2"},
		},
	},
	MovesSteer:   true,
	TopGapCount:  3,
	TeamTierNote: "the lower of the two leads' stages. Use the honest answer, not the aspirational one.",
	Cautions: []string{
		"73% of companies believe they are at Stage 3 or above; when assessed against these criteria, most sit at Stage 2. Use the honest answer, not the aspirational one.",
	},
	Prerequisites: []string{
		"Before Stage 2: a completed joint ICP session with written output, signed off by both leads.",
		"Before Stage 3: a working ICP document updated in the last 6 months, and at least one quarter of MQL rejection data by reason.",
		"Before Stage 4: a functioning Stage 3 SLA that has been in place for at least one quarter.",
		"Before Stage 5: Stage 4 attribution that both teams trust.",
	},
	OneQuestion: "Which single unlock condition goes on the OKR or the quarterly plan? Don't try to go from Stage 1 to Stage 4 in a year; take the next stage in one quarter, then assess.",
}
