package rules

// Definition is a rule set as written: the FlexMatch rule set document after
// parsing, with defaults applied and every value checked. Compile turns it
// into an executable RuleSet. Fields follow the FlexMatch rule language
// (ruleLanguageVersion 1.0); docs/rules.md describes each one.
type Definition struct {
	Name                string
	RuleLanguageVersion string
	PlayerAttributes    []AttributeDef
	Algorithm           Algorithm
	Teams               []TeamDef
	Rules               []RuleDef
	Expansions          []ExpansionDef
}

// AttributeType is the declared type of a player attribute.
type AttributeType string

// The attribute types of the rule language, and the ticket encodings they take
// (GameLift AttributeValue): S, N, SL and SDM.
const (
	TypeString          AttributeType = "string"
	TypeNumber          AttributeType = "number"
	TypeStringList      AttributeType = "string_list"
	TypeStringNumberMap AttributeType = "string_number_map"
)

func (t AttributeType) valid() bool {
	switch t {
	case TypeString, TypeNumber, TypeStringList, TypeStringNumberMap:
		return true
	}
	return false
}

// AttributeDef declares a player attribute.
type AttributeDef struct {
	Name    string
	Type    AttributeType
	Default *Value // nil: a ticket without the attribute can never match
}

// Algorithm customises how matches are formed.
type Algorithm struct {
	Strategy              string   // exhaustiveSearch (default) | balanced
	BatchingPreference    string   // random (default) | sorted | largestPopulation | fastestRegion
	SortByAttributes      []string // with batchingPreference sorted
	BackfillPriority      string   // normal (default) | high | low
	ExpansionAgeSelection string   // newest (default) | oldest
	BalancedAttribute     string   // a number attribute; required with strategy balanced
}

// The algorithm settings.
const (
	StrategyExhaustive = "exhaustiveSearch"
	StrategyBalanced   = "balanced"

	BatchRandom            = "random"
	BatchSorted            = "sorted"
	BatchLargestPopulation = "largestPopulation"
	BatchFastestRegion     = "fastestRegion"

	BackfillNormal = "normal"
	BackfillHigh   = "high"
	BackfillLow    = "low"

	AgeNewest = "newest"
	AgeOldest = "oldest"
)

// TeamDef is one team definition. With Quantity n > 1 it makes n teams named
// Name_1 ... Name_n.
type TeamDef struct {
	Name       string
	MinPlayers int
	MaxPlayers int
	Quantity   int
}

// The rule types. TypeExpression is Matchpoint's extension: a rule whose body
// is an expr expression over the match view.
const (
	RuleBatchDistance = "batchDistance"
	RuleComparison    = "comparison"
	RuleDistance      = "distance"
	RuleCollection    = "collection"
	RuleLatency       = "latency"
	RuleAbsoluteSort  = "absoluteSort"
	RuleDistanceSort  = "distanceSort"
	RuleCompound      = "compound"
	RuleExpression    = "expression"
)

// RuleDef is one rule as written. Which fields apply depends on Type; a field
// that does not apply to the type is a validation error.
type RuleDef struct {
	Name        string
	Description string
	Type        string

	Measurements   []string  // comparison, distance, collection
	ReferenceValue *RefValue // comparison, distance, collection
	Operation      string    // comparison, collection

	MinDistance *float64 // distance
	MaxDistance *float64 // distance, batchDistance, latency
	MinCount    *float64 // collection
	MaxCount    *float64 // collection

	MaxLatency        *float64 // latency
	DistanceReference string   // latency: min | avg

	PartyAggregation string // min | max | avg (numbers); union | intersection (collections)

	BatchAttribute string // batchDistance

	SortDirection string // absoluteSort, distanceSort: ascending (default) | descending
	SortAttribute string
	MapKey        string // minValue | maxValue, for string_number_map attributes

	Statement  string // compound
	Expression string // expression
}

// RefValue is a rule's referenceValue: a number, a string (a literal, a
// property expression or an expr expression) or a list of strings.
type RefValue struct {
	Number *float64
	String *string
	List   []string
}

// ExpansionDef relaxes one property of rules or teams as tickets wait.
type ExpansionDef struct {
	Target string
	Steps  []ExpansionStep
}

// ExpansionStep sets the target to Value once the match's age reaches
// WaitTimeSeconds. Value is a number, or a string for string properties.
type ExpansionStep struct {
	WaitTimeSeconds float64
	Number          *float64
	String          *string
}
