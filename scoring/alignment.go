package scoring

// AlignmentMaturity is the Marketing-Sales Alignment Maturity Diagnostic: ten
// questions scored 0, 1 or 2, a 0–20 total placed on five tiers, completed
// independently by the marketing lead and the sales lead (and optionally a
// RevOps observer) and then compared question by question.
var AlignmentMaturity = &Instrument{
	ID:      "alignment-maturity",
	Name:    "Marketing-Sales Alignment Maturity Diagnostic",
	Minutes: 10,
	Roles: []RoleSpec{
		{Role: Marketing, Label: "Marketing lead", Short: "Marketing"},
		{Role: Sales, Label: "Sales lead", Short: "Sales"},
		{Role: Observer, Label: "RevOps observer", Short: "RevOps"},
	},
	Scale: Scale{
		Min:    0,
		Max:    2,
		Labels: []string{"Not in place", "Partial", "Fully in place"},
		Meanings: []string{
			"not in place; absent or only informal",
			"partial or inconsistent; on paper but execution is unreliable",
			"fully in place and working; both teams would agree",
		},
	},
	Categories: []Category{
		{ID: "definitions", Name: "Shared definitions"},
		{ID: "process", Name: "Process infrastructure"},
		{ID: "feedback", Name: "Feedback loops"},
	},
	Questions: []Question{
		{
			ID:       "Q1",
			Topic:    "MQL/SQL definitions",
			Category: "definitions",
			Prompt:   "Do marketing and sales share a written, agreed definition of MQL and SQL, reviewed in the last 6 months?",
			Criteria: []Criterion{
				{0, "No written definition exists, or each team operates from a different informal understanding."},
				{1, "A definition exists but hasn't been revisited in over 6 months, or one team has a definition the other team doesn't fully endorse."},
				{2, "A document exists, both teams signed off, and it was reviewed (and updated if needed) within the past 6 months."},
			},
			Suggestion: "Write the MQL and SQL definitions together in one document, have both leads sign it off, and book its review within six months.",
			Guide:      "MQL Definition Framework",
		},
		{
			ID:       "Q2",
			Topic:    "Handoff SLA",
			Category: "process",
			Prompt:   "Is there a documented handoff SLA (for example, a 5-minute response window for inbound MQLs) that both teams signed off on?",
			Criteria: []Criterion{
				{0, "No SLA exists; response time depends on whoever checks the queue first."},
				{1, "An SLA exists verbally or in one team's process doc but isn't monitored or enforced."},
				{2, "The SLA is written, both teams agreed to it, and response time is tracked in a shared dashboard."},
			},
			Suggestion: "Write a handoff SLA for inbound MQLs (for example a 5-minute response window), have both teams sign it, and track response time in a shared dashboard.",
			Guide:      "Five-Minute Response SLA",
		},
		{
			ID:       "Q3",
			Topic:    "CRM as source of truth",
			Category: "process",
			Prompt:   "Does your CRM reflect the single source of truth for pipeline data, not spreadsheets or siloed dashboards?",
			Criteria: []Criterion{
				{0, "Marketing and sales pull pipeline data from different sources and regularly arrive at different numbers."},
				{1, "CRM is the primary source but some team members run their own numbers that don't always match."},
				{2, "All pipeline reporting comes from the CRM; neither team maintains a shadow spreadsheet that contradicts it."},
			},
			Suggestion: "Make the CRM the only source of pipeline reporting: retire the shadow spreadsheets that contradict it, so both teams arrive at the same numbers.",
			Guide:      "CRM as Single Source of Truth",
		},
		{
			ID:       "Q4",
			Topic:    "Joint meeting cadence",
			Category: "feedback",
			Prompt:   "Do marketing and sales meet weekly (or at least bi-weekly) specifically to review lead quality and pipeline, not just report status?",
			Criteria: []Criterion{
				{0, "No regular joint meeting covers this topic."},
				{1, "A meeting exists but is often skipped, replaced by status reports, or dominated by reporting rather than decision-making."},
				{2, "A recurring meeting exists with a structured agenda covering MQL quality, conversion rates, and pipeline health, and it rarely cancels."},
			},
			Suggestion: "Book a weekly (or bi-weekly) joint meeting with a structured agenda on MQL quality, conversion rates and pipeline health, and keep it from being cancelled.",
			Guide:      "Joint Pipeline Review Cadence",
		},
		{
			ID:       "Q5",
			Topic:    "Shared ICP",
			Category: "definitions",
			Prompt:   "Do you have a shared ICP definition that sales reps can articulate without looking it up?",
			Criteria: []Criterion{
				{0, "No written ICP exists, or ICP lives only in the VP Sales's mental model."},
				{1, "An ICP document exists but AEs aren't using it to qualify; marketing targets one segment while sales gravitates toward another."},
				{2, "A written ICP exists with firmographic, behavioural, and situational criteria; three AEs describing your ideal customer would substantially overlap."},
			},
			Suggestion: "Write down a shared ICP with firmographic, behavioural and situational criteria, then check that three AEs describe the ideal customer the same way.",
			Guide:      "Shared ICP Framework",
		},
		{
			ID:       "Q6",
			Topic:    "Lead rejection and recycling",
			Category: "process",
			Prompt:   "Is there a documented lead-rejection and recycling workflow that both teams follow consistently?",
			Criteria: []Criterion{
				{0, "No formal process; rejected leads just sit in the CRM with no follow-up."},
				{1, "A process exists on paper but rejection reason codes are rarely filled in, or rejected leads disappear rather than getting recycled."},
				{2, "A rejected MQL triggers a defined process: rejection reason codes in the CRM, a recycling path back to marketing, and a feedback loop marketing uses to adjust scoring."},
			},
			Suggestion: "Define the lead-rejection workflow: rejection reason codes in the CRM, a recycling path back to marketing, and a feedback loop marketing uses to adjust scoring.",
			Guide:      "Lead Rejection and Recycling",
		},
		{
			ID:       "Q7",
			Topic:    "Attribution agreement",
			Category: "feedback",
			Prompt:   "Can you report on marketing-sourced vs. marketing-influenced pipeline in a way both teams agree is accurate?",
			Criteria: []Criterion{
				{0, "Attribution is disputed; marketing and sales regularly present conflicting pipeline contribution numbers to leadership."},
				{1, "One or both numbers exist, but there's ongoing disagreement about how they're calculated or what they include."},
				{2, "Both numbers exist in the CRM, both teams agree on the definitions used to calculate them, and neither disputes the methodology during pipeline reviews."},
			},
			Suggestion: "Hold a joint attribution working session: agree the sourced and influenced definitions and report both numbers from the CRM.",
			Guide:      "Attribution Models Both Teams Trust",
		},
		{
			ID:       "Q8",
			Topic:    "Sales feedback to marketing",
			Category: "feedback",
			Prompt:   "Does marketing receive structured feedback from sales (win/loss themes, objection patterns, or competitive intel) at least monthly?",
			Criteria: []Criterion{
				{0, "Marketing learns what sales thinks only when something goes wrong; no structured feedback channel."},
				{1, "Feedback happens ad hoc or depends on individual relationships between specific people on each team."},
				{2, "A formal feedback mechanism exists (a monthly call, a shared doc, a CRM field) and marketing actively uses it to update messaging and content."},
			},
			Suggestion: "Start a formal monthly feedback channel from sales (a call, a shared doc or a CRM field) on win/loss themes, objections and competitive intel that marketing uses.",
			Guide:      "Win/Loss Feedback to Marketing",
		},
		{
			ID:       "Q9",
			Topic:    "Joint content process",
			Category: "feedback",
			Prompt:   "Is there a joint content process where sales nominates topics and marketing produces assets, reviewed for field usage?",
			Criteria: []Criterion{
				{0, "Marketing creates content on its own judgment; sales creates its own materials because marketing output doesn't match field needs."},
				{1, "Marketing occasionally asks sales what they need, but the process is informal and there's no way to know if content gets used."},
				{2, "Marketing has a documented process for collecting topic requests from sales, and a mechanism tracks whether produced assets are actually used in deals."},
			},
			Suggestion: "Document how sales requests content topics, and track whether the assets marketing produces are actually used in deals.",
			Guide:      "Sales Enablement Content vs Field Needs",
		},
		{
			ID:       "Q10",
			Topic:    "Shared dashboard",
			Category: "feedback",
			Prompt:   "Does leadership review a shared revenue dashboard, not separate marketing and sales scorecards, at least monthly?",
			Criteria: []Criterion{
				{0, "Marketing and sales each present their own scorecards to leadership; no shared view exists."},
				{1, "Leadership sees combined data occasionally, but the standard reporting cadence uses separate scorecards for each team."},
				{2, "One revenue dashboard that the CMO and CRO (or equivalents) review together, covering marketing pipeline contribution, conversion rates, and sales performance in a single view."},
			},
			Suggestion: "Build one revenue dashboard covering marketing pipeline contribution, conversion rates and sales performance, and have the CMO and CRO review it together monthly.",
			Guide:      "8 Shared Dashboards Revenue Teams",
		},
	},
	Tiers: []Tier{
		{Word: "Tier", Number: 1, Name: "Siloed", Min: 0, Max: 6,
			Summary: "Marketing and sales operate as separate businesses that happen to share a company. No shared definitions, no recurring joint cadences, no agreed attribution; when pipeline misses, each team blames the other."},
		{Word: "Tier", Number: 2, Name: "Reactive", Min: 7, Max: 10,
			Summary: "Some shared processes exist, but they're held together by individual relationships. Definitions were written once and not revisited; joint meetings happen after a bad month. The chemistry masks the structural gaps."},
		{Word: "Tier", Number: 3, Name: "Functional", Min: 11, Max: 14,
			Summary: "Documented processes across most of the ten areas and meetings that run consistently, but execution is uneven: the SLA is respected some weeks, attribution is agreed in principle and disputed in practice."},
		{Word: "Tier", Number: 4, Name: "Integrated", Min: 15, Max: 17,
			Summary: "The CRM is the source of truth, attribution is agreed, the handoff SLA is tracked and win/loss feedback flows monthly. Gaps are known and being addressed rather than avoided."},
		{Word: "Tier", Number: 5, Name: "Predictive", Min: 18, Max: 20,
			Summary: "Alignment is structural, not personality-dependent: marketing and sales forecast together, and the loop between field activity and content closes in days, not quarters."},
	},
	NextMoves: map[int]NextMove{
		1: definitionsFirst,
		2: formaliseHandoff,
		3: fixAttribution,
		4: revenueIntelligence,
		5: revenueIntelligence,
	},
	Flags: []FlagRule{
		{
			Code:    "crm_not_source_of_truth",
			Title:   "The CRM is not the source of truth",
			Meaning: "Q3 scored 0: stop and fix this before anything else. Every other alignment initiative relies on shared data; two teams working from different numbers will argue past each other forever.",
			When:    []Condition{{"Q3", 0}},
			Steers:  []string{"Q3"},
		},
		{
			Code:    "no_shared_inputs",
			Title:   "No shared inputs",
			Meaning: "Q1 and Q5 both scored 0: alignment work can't meaningfully start. You're trying to optimise a process that has no shared inputs; these definitions are the foundation.",
			When:    []Condition{{"Q1", 0}, {"Q5", 0}},
			Steers:  []string{"Q1", "Q5"},
		},
		{
			Code:    "data_trust",
			Title:   "A data-trust problem",
			Meaning: "Q7 scored 0 while Q10 scored 2: a data-trust problem disguised as a reporting problem. The dashboard exists, but one team doesn't believe the numbers on it; attribution alignment is the fix.",
			When:    []Condition{{"Q7", 0}, {"Q10", 2}},
			Steers:  []string{"Q7"},
		},
		{
			Code:    "paper_tier",
			Title:   "Tier 3 on paper",
			Meaning: "Q3 scored 2 while Q7 scored 0: the data exists but isn't trusted, so every downstream decision is made with contested evidence. Hold a joint attribution working session before next quarter starts.",
			When:    []Condition{{"Q3", 2}, {"Q7", 0}},
			Steers:  []string{"Q7"},
		},
	},
	ManyGaps: &ManyGapsRule{
		Above: 3,
		Warns: "More than three questions with a 2-point gap between marketing and sales signals a Tier 1 or low Tier 2 organisation, whatever the individual scores.",
		CapAt: 2,
		Move:  1,
	},
	TopGapCount:    3,
	TeamTierNote:   "the lower of the two leads' tiers. Use the honest answer.",
	ZeroCategoryIs: "the structural layer that needs work first",
	OneQuestion:    "Which single gap, if fixed in the next 30 days, would most improve our pipeline reliability? Not the gap that's easiest to fix, and not the one that makes marketing or sales look better.",
}

var (
	definitionsFirst = NextMove{
		Title:     "Start with definitions, not tools",
		Advice:    "Don't buy software. Don't run a two-day offsite. Start with three things: a joint session to write your MQL and SQL definitions, a shared ICP document, and one recurring weekly meeting.",
		Questions: []string{"Q1", "Q5", "Q4"},
	}
	formaliseHandoff = NextMove{
		Title:     "Formalise the handoff and close the loop",
		Advice:    "You have definitions; now make the handoff reliable. Build a 5-minute SLA for inbound MQLs, add rejection reason codes to the CRM, and build a closed-loop report both teams can see.",
		Questions: []string{"Q2", "Q6", "Q3"},
	}
	fixAttribution = NextMove{
		Title:     "Fix attribution and start a win/loss program",
		Advice:    "Your processes run, but data trust is still the gap. Agree on sourced vs. influenced definitions, build the shared Monday dashboard, and start a structured win/loss program so marketing hears from the field consistently.",
		Questions: []string{"Q7", "Q8", "Q10"},
	}
	revenueIntelligence = NextMove{
		Title:     "Layer in revenue intelligence",
		Advice:    "The processes are solid; make data flow faster. Give marketing access to deal conversations, use intent data to find in-market accounts, and replace separate planning cycles with joint forecasting. Focus on the quality of these processes, not just whether they exist.",
		Questions: []string{"Q7", "Q9", "Q10"},
	}
)
