package rules

import "fmt"

// Value is a typed player attribute value: the rule language's string,
// number, string_list and string_number_map, which tickets carry as the
// GameLift AttributeValue encodings S, N, SL and SDM.
type Value struct {
	Type AttributeType
	S    string
	N    float64
	SL   []string
	SDM  map[string]float64
}

// String formats the value the way it would be written in a rule set.
func (v Value) String() string {
	switch v.Type {
	case TypeString:
		return fmt.Sprintf("%q", v.S)
	case TypeNumber:
		return fmt.Sprintf("%g", v.N)
	case TypeStringList:
		return fmt.Sprintf("%q", v.SL)
	default:
		return fmt.Sprintf("%v", v.SDM)
	}
}

// StringValue returns a string attribute value.
func StringValue(s string) Value { return Value{Type: TypeString, S: s} }

// NumberValue returns a number attribute value.
func NumberValue(n float64) Value { return Value{Type: TypeNumber, N: n} }

// StringListValue returns a string_list attribute value.
func StringListValue(l ...string) Value { return Value{Type: TypeStringList, SL: l} }

// StringNumberMapValue returns a string_number_map attribute value.
func StringNumberMapValue(m map[string]float64) Value {
	return Value{Type: TypeStringNumberMap, SDM: m}
}
