package scoring

// AlignmentMaturity is the Marketing-Sales Alignment Maturity Diagnostic: ten
// questions scored 0, 1 or 2, a 0–20 total placed on five tiers, completed
// independently by the marketing lead and the sales lead (and optionally a
// RevOps observer) and then compared question by question.
var AlignmentMaturity = &Instrument{
	ID:   "alignment-maturity",
	Name: "Marketing-Sales Alignment Maturity Diagnostic",
	Scale: Scale{
		Min: 0,
		Max: 2,
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
				{2, "A document exists, both teams signed off, and it was reviewed (and updated if needed) within the past 6 months."},
				{1, "A definition exists but hasn't been revisited in over 6 months, or one team has a definition the other team doesn't fully endorse."},
				{0, "No written definition exists, or each team operates from a different informal understanding."},
			},
		},
		{
			ID:       "Q2",
			Topic:    "Handoff SLA",
			Category: "process",
			Prompt:   "Is there a documented handoff SLA (for example, a 5-minute response window for inbound MQLs) that both teams signed off on?",
			Criteria: []Criterion{
				{2, "The SLA is written, both teams agreed to it, and response time is tracked in a shared dashboard."},
				{1, "An SLA exists verbally or in one team's process doc but isn't monitored or enforced."},
				{0, "No SLA exists; response time depends on whoever checks the queue first."},
			},
		},
		{
			ID:       "Q3",
			Topic:    "CRM as source of truth",
			Category: "process",
			Prompt:   "Does your CRM reflect the single source of truth for pipeline data, not spreadsheets or siloed dashboards?",
			Criteria: []Criterion{
				{2, "All pipeline reporting comes from the CRM; neither team maintains a shadow spreadsheet that contradicts it."},
				{1, "CRM is the primary source but some team members run their own numbers that don't always match."},
				{0, "Marketing and sales pull pipeline data from different sources and regularly arrive at different numbers."},
			},
		},
		{
			ID:       "Q4",
			Topic:    "Joint meeting cadence",
			Category: "feedback",
			Prompt:   "Do marketing and sales meet weekly (or at least bi-weekly) specifically to review lead quality and pipeline, not just report status?",
			Criteria: []Criterion{
				{2, "A recurring meeting exists with a structured agenda covering MQL quality, conversion rates, and pipeline health, and it rarely cancels."},
				{1, "A meeting exists but is often skipped, replaced by status reports, or dominated by reporting rather than decision-making."},
				{0, "No regular joint meeting covers this topic."},
			},
		},
		{
			ID:       "Q5",
			Topic:    "Shared ICP",
			Category: "definitions",
			Prompt:   "Do you have a shared ICP definition that sales reps can articulate without looking it up?",
			Criteria: []Criterion{
				{2, "A written ICP exists with firmographic, behavioural, and situational criteria; three AEs describing your ideal customer would substantially overlap."},
				{1, "An ICP document exists but AEs aren't using it to qualify; marketing targets one segment while sales gravitates toward another."},
				{0, "No written ICP exists, or ICP lives only in the VP Sales's mental model."},
			},
		},
		{
			ID:       "Q6",
			Topic:    "Lead rejection and recycling",
			Category: "process",
			Prompt:   "Is there a documented lead-rejection and recycling workflow that both teams follow consistently?",
			Criteria: []Criterion{
				{2, "A rejected MQL triggers a defined process: rejection reason codes in the CRM, a recycling path back to marketing, and a feedback loop marketing uses to adjust scoring."},
				{1, "A process exists on paper but rejection reason codes are rarely filled in, or rejected leads disappear rather than getting recycled."},
				{0, "No formal process; rejected leads just sit in the CRM with no follow-up."},
			},
		},
		{
			ID:       "Q7",
			Topic:    "Attribution agreement",
			Category: "feedback",
			Prompt:   "Can you report on marketing-sourced vs. marketing-influenced pipeline in a way both teams agree is accurate?",
			Criteria: []Criterion{
				{2, "Both numbers exist in the CRM, both teams agree on the definitions used to calculate them, and neither disputes the methodology during pipeline reviews."},
				{1, "One or both numbers exist, but there's ongoing disagreement about how they're calculated or what they include."},
				{0, "Attribution is disputed; marketing and sales regularly present conflicting pipeline contribution numbers to leadership."},
			},
		},
		{
			ID:       "Q8",
			Topic:    "Sales feedback to marketing",
			Category: "feedback",
			Prompt:   "Does marketing receive structured feedback from sales (win/loss themes, objection patterns, or competitive intel) at least monthly?",
			Criteria: []Criterion{
				{2, "A formal feedback mechanism exists (a monthly call, a shared doc, a CRM field) and marketing actively uses it to update messaging and content."},
				{1, "Feedback happens ad hoc or depends on individual relationships between specific people on each team."},
				{0, "Marketing learns what sales thinks only when something goes wrong; no structured feedback channel."},
			},
		},
		{
			ID:       "Q9",
			Topic:    "Joint content process",
			Category: "feedback",
			Prompt:   "Is there a joint content process where sales nominates topics and marketing produces assets, reviewed for field usage?",
			Criteria: []Criterion{
				{2, "Marketing has a documented process for collecting topic requests from sales, and a mechanism tracks whether produced assets are actually used in deals."},
				{1, "Marketing occasionally asks sales what they need, but the process is informal and there's no way to know if content gets used."},
				{0, "Marketing creates content on its own judgment; sales creates its own materials because marketing output doesn't match field needs."},
			},
		},
		{
			ID:       "Q10",
			Topic:    "Shared dashboard",
			Category: "feedback",
			Prompt:   "Does leadership review a shared revenue dashboard, not separate marketing and sales scorecards, at least monthly?",
			Criteria: []Criterion{
				{2, "One revenue dashboard that the CMO and CRO (or equivalents) review together, covering marketing pipeline contribution, conversion rates, and sales performance in a single view."},
				{1, "Leadership sees combined data occasionally, but the standard reporting cadence uses separate scorecards for each team."},
				{0, "Marketing and sales each present their own scorecards to leadership; no shared view exists."},
			},
		},
	},
	Tiers: []Tier{
		{Number: 1, Name: "Siloed", Min: 0, Max: 6,
			Summary: "Marketing and sales operate as separate businesses that happen to share a company: no shared definitions, no joint cadence, no agreed attribution."},
		{Number: 2, Name: "Reactive", Min: 7, Max: 10,
			Summary: "Some shared processes exist, held together by individual relationships; the chemistry masks the structural gaps."},
		{Number: 3, Name: "Functional", Min: 11, Max: 14,
			Summary: "Documented processes across most areas and consistent meetings, but execution is uneven and attribution is disputed in practice."},
		{Number: 4, Name: "Integrated", Min: 15, Max: 17,
			Summary: "The CRM is the source of truth, attribution is agreed, the SLA is tracked and win/loss feedback flows monthly."},
		{Number: 5, Name: "Predictive", Min: 18, Max: 20,
			Summary: "Alignment is structural, not personality-dependent: the two teams forecast together and the field-to-content loop closes in days."},
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
			Meaning: "The CRM is not the source of truth (Q3 = 0): stop and fix this before anything else; every other initiative relies on shared data.",
			When:    []Condition{{"Q3", 0}},
		},
		{
			Code:    "no_shared_inputs",
			Meaning: "No MQL/SQL definition and no ICP (Q1 = 0 and Q5 = 0): alignment work can't meaningfully start without shared inputs.",
			When:    []Condition{{"Q1", 0}, {"Q5", 0}},
		},
		{
			Code:    "data_trust",
			Meaning: "Attribution disputed while a shared dashboard exists (Q7 = 0, Q10 = 2): a data-trust problem disguised as a reporting problem. Attribution alignment is the fix.",
			When:    []Condition{{"Q7", 0}, {"Q10", 2}},
		},
		{
			Code:    "paper_tier",
			Meaning: "CRM data exists but attribution isn't trusted (Q3 = 2, Q7 = 0): Tier 3 on paper, Tier 1 in practice. Hold a joint attribution working session before next quarter.",
			When:    []Condition{{"Q3", 2}, {"Q7", 0}},
		},
	},
	ManyGapsAbove:  3,
	ManyGapsWarns:  "More than three structural gaps signals Tier 1 or low Tier 2, whatever the individual scores.",
	TopGapCount:    3,
	ZeroCategoryIs: "the structural layer that needs work first",
	OneQuestion:    "Which single gap, if fixed in the next 30 days, would most improve our pipeline reliability? Not the easiest one, and not the one that makes either team look better.",
}

var (
	definitionsFirst = NextMove{
		Title:     "Start with definitions, not tools",
		Advice:    "Don't buy software or run an offsite. Write your MQL and SQL definitions together, write down a shared ICP, and hold one recurring weekly meeting.",
		Questions: []string{"Q1", "Q5", "Q4"},
	}
	formaliseHandoff = NextMove{
		Title:     "Formalise the handoff and close the loop",
		Advice:    "Make the handoff reliable: a response SLA for inbound MQLs, rejection reason codes in the CRM, and a closed-loop report both teams can see.",
		Questions: []string{"Q2", "Q6", "Q3"},
	}
	fixAttribution = NextMove{
		Title:     "Fix attribution and start a win/loss program",
		Advice:    "Data trust is the gap: agree sourced vs. influenced definitions, build the shared dashboard, and start a structured win/loss program.",
		Questions: []string{"Q7", "Q8", "Q10"},
	}
	revenueIntelligence = NextMove{
		Title:     "Layer in revenue intelligence",
		Advice:    "The processes are solid; make data flow faster: give marketing access to deal conversations, use intent data, forecast jointly. Focus on the quality of these processes, not just whether they exist.",
		Questions: []string{"Q7", "Q9", "Q10"},
	}
)
