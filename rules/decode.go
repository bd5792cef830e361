package rules

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// MaxBodyBytes is FlexMatch's limit on a rule set body (RuleSetBody: 1 to
// 65535 characters).
const MaxBodyBytes = 65535

// Parse reads a rule set document and checks all of it: syntax (strict JSON
// plus the `//` comments and trailing commas of FlexMatch's published
// examples), unknown fields, types, references between rules, teams,
// attributes and expansions, and every property expression. It returns the
// Definition, or an ErrorList with every problem found, in document order,
// each naming its JSON path, line and column. A value that does not decode
// (an unknown field, a wrong type) does not stop validation: the rest of the
// document is still checked, and only the checks that depend on that value
// are skipped.
func Parse(src []byte) (*Definition, error) {
	if len(src) == 0 {
		return nil, ErrorList{{Message: "rule set body is empty"}}
	}
	if len(src) > MaxBodyBytes {
		return nil, ErrorList{{Message: fmt.Sprintf("rule set body is %d bytes; the limit is %d", len(src), MaxBodyBytes)}}
	}
	root, err := parseJSONC(src)
	if err != nil {
		se := err.(*syntaxError)
		return nil, ErrorList{{Message: "invalid JSON: " + se.msg, Line: se.at.line, Column: se.at.col}}
	}
	var c collector
	d := decodeDefinition(&c, root)
	validate(&c, d)
	c.sortByPosition()
	if err := c.err(); err != nil {
		return nil, err
	}
	return d.def, nil
}

// decoded is a Definition with the source positions of its parts, kept for
// error reporting during validation.
type decoded struct {
	def       *Definition
	root      pos
	field     map[string]pos // JSON path -> position of the value
	ruleIndex map[string]int
}

// objectFields walks an object's members, calling handle for known keys and
// reporting unknown ones. Keys are case-sensitive, as in FlexMatch.
func objectFields(c *collector, d *decoded, path string, n *jsonNode, known []string, handle func(key, path string, v *jsonNode)) bool {
	if n.kind != jsonObject {
		c.add(path, n.at, "must be an object, not %s", describeNode(n))
		return false
	}
	for _, m := range n.members {
		p := joinPath(path, m.key)
		if !slices.Contains(known, m.key) {
			if i := slices.IndexFunc(known, func(k string) bool { return strings.EqualFold(k, m.key) }); i >= 0 {
				// Marked as reported, the intended field is not also reported missing.
				c.add(p, m.keyAt, "unknown field %s: did you mean %q? (field names are case-sensitive)", clip(m.key), known[i])
				c.fail(joinPath(path, known[i]))
				continue
			}
			c.add(p, m.keyAt, "unknown field %s (known fields: %s)", clip(m.key), strings.Join(sortedCopy(known), ", "))
			continue
		}
		d.field[p] = m.value.at
		handle(m.key, p, m.value)
	}
	return true
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func describeNode(n *jsonNode) string {
	switch n.kind {
	case jsonString:
		return "the string " + clip(n.str)
	case jsonNumber:
		return "the number " + n.str
	case jsonBool:
		return "a boolean"
	case jsonNull:
		return "null"
	case jsonArray:
		return "an array"
	default:
		return "an object"
	}
}

func sortedCopy(list []string) []string {
	out := append([]string(nil), list...)
	sort.Strings(out)
	return out
}

func decodeString(c *collector, path string, n *jsonNode) string {
	if n.kind != jsonString {
		c.add(path, n.at, "must be a string, not %s", describeNode(n))
		return ""
	}
	return n.str
}

// decodeNumber reads a number. A string holding a number is accepted too,
// because FlexMatch's own documentation writes `"maxDistance": "500"`.
func decodeNumber(c *collector, path string, n *jsonNode) *float64 {
	switch n.kind {
	case jsonNumber:
		v := n.num
		return &v
	case jsonString:
		v, err := strconv.ParseFloat(strings.TrimSpace(n.str), 64)
		if err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
			return &v
		}
	}
	c.add(path, n.at, "must be a number, not %s", describeNode(n))
	return nil
}

func decodeInt(c *collector, path string, n *jsonNode) (int, bool) {
	v := decodeNumber(c, path, n)
	if v == nil {
		return 0, false
	}
	if *v != math.Trunc(*v) || math.Abs(*v) > 1e9 {
		c.add(path, n.at, "must be a whole number, not %v", *v)
		return 0, false
	}
	return int(*v), true
}

func decodeStringList(c *collector, path string, n *jsonNode) []string {
	if n.kind != jsonArray {
		c.add(path, n.at, "must be an array of strings, not %s", describeNode(n))
		return nil
	}
	out := make([]string, 0, len(n.items))
	for i, it := range n.items {
		if it.kind != jsonString {
			c.add(indexPath(path, i), it.at, "must be a string, not %s", describeNode(it))
			c.fail(path)
			continue
		}
		out = append(out, it.str)
	}
	return out
}

func decodeDefinition(c *collector, root *jsonNode) *decoded {
	d := &decoded{def: &Definition{}, root: root.at, field: map[string]pos{}, ruleIndex: map[string]int{}}
	def := d.def
	known := []string{"name", "ruleLanguageVersion", "playerAttributes", "algorithm", "teams", "rules", "expansions"}
	objectFields(c, d, "", root, known, func(key, path string, v *jsonNode) {
		switch key {
		case "name":
			def.Name = decodeString(c, path, v)
		case "ruleLanguageVersion":
			def.RuleLanguageVersion = decodeString(c, path, v)
		case "playerAttributes":
			def.PlayerAttributes = decodeArray(c, d, path, v, func(p string, it *jsonNode) AttributeDef { return decodeAttribute(c, d, p, it) })
		case "algorithm":
			objectFields(c, d, path, v, []string{"strategy", "batchingPreference", "sortByAttributes", "backfillPriority", "expansionAgeSelection", "balancedAttribute"}, func(key, path string, v *jsonNode) {
				a := &def.Algorithm
				switch key {
				case "strategy":
					a.Strategy = decodeString(c, path, v)
				case "batchingPreference":
					a.BatchingPreference = decodeString(c, path, v)
				case "sortByAttributes":
					a.SortByAttributes = decodeStringList(c, path, v)
				case "backfillPriority":
					a.BackfillPriority = decodeString(c, path, v)
				case "expansionAgeSelection":
					a.ExpansionAgeSelection = decodeString(c, path, v)
				case "balancedAttribute":
					a.BalancedAttribute = decodeString(c, path, v)
				}
			})
		case "teams":
			def.Teams = decodeArray(c, d, path, v, func(p string, it *jsonNode) TeamDef { return decodeTeam(c, d, p, it) })
		case "rules":
			def.Rules = decodeArray(c, d, path, v, func(p string, it *jsonNode) RuleDef { return decodeRule(c, d, p, it) })
		case "expansions":
			def.Expansions = decodeArray(c, d, path, v, func(p string, it *jsonNode) ExpansionDef { return decodeExpansion(c, d, p, it) })
		}
	})
	return d
}

func decodeArray[T any](c *collector, d *decoded, path string, n *jsonNode, each func(path string, it *jsonNode) T) []T {
	if n.kind != jsonArray {
		c.add(path, n.at, "must be an array, not %s", describeNode(n))
		return nil
	}
	out := make([]T, 0, len(n.items))
	for i, it := range n.items {
		p := indexPath(path, i)
		d.field[p] = it.at
		out = append(out, each(p, it))
	}
	return out
}

func decodeAttribute(c *collector, d *decoded, path string, n *jsonNode) AttributeDef {
	var a AttributeDef
	var def *jsonNode
	var defPath string
	objectFields(c, d, path, n, []string{"name", "type", "default"}, func(key, p string, v *jsonNode) {
		switch key {
		case "name":
			a.Name = decodeString(c, p, v)
		case "type":
			a.Type = AttributeType(decodeString(c, p, v))
		case "default":
			def, defPath = v, p
		}
	})
	if def != nil && a.Type != "" {
		a.Default = decodeDefault(c, defPath, a.Type, def)
	}
	return a
}

// decodeDefault checks a declared default against the attribute's type.
func decodeDefault(c *collector, path string, t AttributeType, n *jsonNode) *Value {
	switch t {
	case TypeString:
		if n.kind == jsonString {
			return &Value{Type: t, S: n.str}
		}
	case TypeNumber:
		if v := decodeNumber(&collector{}, path, n); v != nil {
			return &Value{Type: t, N: *v}
		}
	case TypeStringList:
		if n.kind == jsonArray {
			var sub collector
			l := decodeStringList(&sub, path, n)
			if len(sub.errs) == 0 {
				return &Value{Type: t, SL: dedupe(l)}
			}
		}
	case TypeStringNumberMap:
		if n.kind == jsonObject {
			m := make(map[string]float64, len(n.members))
			ok := true
			for _, mem := range n.members {
				if mem.value.kind != jsonNumber {
					c.add(joinPath(path, mem.key), mem.value.at, "must be a number, not %s", describeNode(mem.value))
					ok = false
					continue
				}
				m[mem.key] = mem.value.num
			}
			if ok {
				return &Value{Type: t, SDM: m}
			}
			return nil
		}
	default:
		return nil // the type itself is reported by validation
	}
	c.add(path, n.at, "must be %s for an attribute of type %s, not %s", t.jsonShape(), t, describeNode(n))
	return nil
}

func (t AttributeType) jsonShape() string {
	switch t {
	case TypeString:
		return "a string"
	case TypeNumber:
		return "a number"
	case TypeStringList:
		return "an array of strings"
	default:
		return "an object of numbers"
	}
}

func decodeTeam(c *collector, d *decoded, path string, n *jsonNode) TeamDef {
	t := TeamDef{Quantity: 1, MinPlayers: -1, MaxPlayers: -1}
	objectFields(c, d, path, n, []string{"name", "minPlayers", "maxPlayers", "quantity"}, func(key, p string, v *jsonNode) {
		switch key {
		case "name":
			t.Name = decodeString(c, p, v)
		case "minPlayers":
			if x, ok := decodeInt(c, p, v); ok {
				t.MinPlayers = x
			}
		case "maxPlayers":
			if x, ok := decodeInt(c, p, v); ok {
				t.MaxPlayers = x
			}
		case "quantity":
			if x, ok := decodeInt(c, p, v); ok {
				t.Quantity = x
			}
		}
	})
	return t
}

// ruleFields lists, per rule type, the properties besides name, description
// and type that the type accepts.
var ruleFields = map[string][]string{
	RuleBatchDistance: {"batchAttribute", "maxDistance", "partyAggregation"},
	RuleComparison:    {"measurements", "referenceValue", "operation", "partyAggregation"},
	RuleDistance:      {"measurements", "referenceValue", "minDistance", "maxDistance", "partyAggregation"},
	RuleCollection:    {"measurements", "referenceValue", "operation", "minCount", "maxCount", "partyAggregation"},
	RuleLatency:       {"maxLatency", "maxDistance", "distanceReference", "partyAggregation"},
	RuleAbsoluteSort:  {"sortDirection", "sortAttribute", "mapKey", "partyAggregation"},
	RuleDistanceSort:  {"sortDirection", "sortAttribute", "mapKey", "partyAggregation"},
	RuleCompound:      {"statement"},
	RuleExpression:    {"expression"},
}

func ruleTypes() []string {
	out := make([]string, 0, len(ruleFields))
	for k := range ruleFields {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func decodeRule(c *collector, d *decoded, path string, n *jsonNode) RuleDef {
	var r RuleDef
	if n.kind != jsonObject {
		c.add(path, n.at, "must be an object, not %s", describeNode(n))
		return r
	}
	// The type decides which fields are known, so read it first.
	for _, m := range n.members {
		if m.key == "type" {
			r.Type = decodeString(c, joinPath(path, "type"), m.value)
		}
	}
	common := []string{"name", "description", "type"}
	extra, typeKnown := ruleFields[r.Type]
	if r.Type != "" && !typeKnown {
		c.add(joinPath(path, "type"), d.fieldAt(n, "type"), "unknown rule type %q (known types: %s)", r.Type, strings.Join(ruleTypes(), ", "))
	}
	known := append([]string(nil), common...)
	for _, fs := range ruleFields {
		for _, f := range fs {
			if !slices.Contains(known, f) {
				known = append(known, f)
			}
		}
	}
	objectFields(c, d, path, n, known, func(key, p string, v *jsonNode) {
		if typeKnown && !slices.Contains(extra, key) && !slices.Contains(common, key) {
			c.add(p, v.at, "%q is not a property of a %s rule (its properties: %s)", key, r.Type, strings.Join(append(common[:2:2], extra...), ", "))
			return
		}
		switch key {
		case "name":
			r.Name = decodeString(c, p, v)
		case "description":
			r.Description = decodeString(c, p, v)
		case "measurements":
			switch v.kind {
			case jsonString:
				r.Measurements = []string{v.str}
			case jsonArray:
				r.Measurements = decodeStringList(c, p, v)
			default:
				c.add(p, v.at, "must be a property expression string or an array of them, not %s", describeNode(v))
			}
		case "referenceValue":
			r.ReferenceValue = decodeRef(c, p, v)
		case "operation":
			r.Operation = decodeString(c, p, v)
		case "minDistance":
			r.MinDistance = decodeNumber(c, p, v)
		case "maxDistance":
			r.MaxDistance = decodeNumber(c, p, v)
		case "minCount":
			r.MinCount = decodeNumber(c, p, v)
		case "maxCount":
			r.MaxCount = decodeNumber(c, p, v)
		case "maxLatency":
			r.MaxLatency = decodeNumber(c, p, v)
		case "distanceReference":
			r.DistanceReference = decodeString(c, p, v)
		case "partyAggregation":
			r.PartyAggregation = decodeString(c, p, v)
		case "batchAttribute":
			r.BatchAttribute = decodeString(c, p, v)
		case "sortDirection":
			r.SortDirection = decodeString(c, p, v)
		case "sortAttribute":
			r.SortAttribute = decodeString(c, p, v)
		case "mapKey":
			r.MapKey = decodeString(c, p, v)
		case "statement":
			r.Statement = decodeString(c, p, v)
		case "expression":
			r.Expression = decodeString(c, p, v)
		}
	})
	return r
}

func (d *decoded) fieldAt(n *jsonNode, key string) pos {
	for _, m := range n.members {
		if m.key == key {
			return m.value.at
		}
	}
	return n.at
}

func decodeRef(c *collector, path string, n *jsonNode) *RefValue {
	switch n.kind {
	case jsonNumber:
		v := n.num
		return &RefValue{Number: &v}
	case jsonString:
		s := n.str
		return &RefValue{String: &s}
	case jsonArray:
		l := decodeStringList(c, path, n)
		return &RefValue{List: l}
	}
	c.add(path, n.at, "must be a number, a string, a property expression or an array of strings, not %s", describeNode(n))
	return nil
}

func decodeExpansion(c *collector, d *decoded, path string, n *jsonNode) ExpansionDef {
	var e ExpansionDef
	objectFields(c, d, path, n, []string{"target", "steps"}, func(key, p string, v *jsonNode) {
		switch key {
		case "target":
			e.Target = decodeString(c, p, v)
		case "steps":
			e.Steps = decodeArray(c, d, p, v, func(sp string, it *jsonNode) ExpansionStep {
				var s ExpansionStep
				s.WaitTimeSeconds = -1
				objectFields(c, d, sp, it, []string{"waitTimeSeconds", "value"}, func(key, p string, v *jsonNode) {
					switch key {
					case "waitTimeSeconds":
						if w := decodeNumber(c, p, v); w != nil {
							s.WaitTimeSeconds = *w
						}
					case "value":
						switch v.kind {
						case jsonNumber:
							x := v.num
							s.Number = &x
						case jsonString:
							if x, err := strconv.ParseFloat(strings.TrimSpace(v.str), 64); err == nil {
								s.Number = &x
							} else {
								str := v.str
								s.String = &str
							}
						default:
							c.add(p, v.at, "must be a number or a string, not %s", describeNode(v))
						}
					}
				})
				return s
			})
		}
	})
	return e
}

func dedupe(l []string) []string {
	seen := make(map[string]bool, len(l))
	out := l[:0:0]
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
