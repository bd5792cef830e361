package simulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// ticketsShape is the expected shape, quoted in every decoding error.
const ticketsShape = `want a JSON array of tickets such as [{"TicketId": "t1", "Players": [{"PlayerId": "p1", "PlayerAttributes": {"skill": {"N": 1000}}, "LatencyInMs": {"us-east-1": 40}}], "AgeSeconds": 5}]`

// attributeShape is the expected shape of one player attribute.
const attributeShape = `an object with one typed field, such as {"N": 1000}, {"S": "text"}, {"SL": ["a", "b"]} or {"SDM": {"key": 1}}`

// DecodeTickets reads a JSON array of tickets, rejecting unknown fields. An
// error names the ticket (tickets[i]), the line and column, what was found
// and the shape that was expected; the position of a value of the wrong
// type is that of its last character.
func DecodeTickets(data []byte) ([]Ticket, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, decodeError(data, -1, 0, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("tickets: %s: found %s; %s", position(data, dec.InputOffset()-1), describeToken(tok), ticketsShape)
	}
	var tickets []Ticket
	seen := map[string]bool{}
	for i := 0; dec.More(); i++ {
		if i == MaxTickets {
			return nil, fmt.Errorf("tickets: more than %d tickets; a simulation takes at most %d", MaxTickets, MaxTickets)
		}
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, decodeError(data, i, start, err)
		}
		// The ticket starts after the separator and blanks before it.
		start += int64(len(data[start:]) - len(bytes.TrimLeft(data[start:], ", \t\r\n")))
		t, err := decodeTicket(raw)
		if err != nil {
			return nil, decodeError(data, i, start, err)
		}
		if err := checkTicket(i, t, seen); err != nil {
			return nil, err
		}
		tickets = append(tickets, t)
	}
	if _, err := dec.Token(); err != nil {
		return nil, decodeError(data, -1, 0, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("tickets: %s: text after the array of tickets; %s", position(data, dec.InputOffset()-1), ticketsShape)
	}
	return tickets, nil
}

func decodeTicket(raw json.RawMessage) (Ticket, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var t Ticket
	err := dec.Decode(&t)
	return t, err
}

func checkTicket(i int, t Ticket, seen map[string]bool) error {
	switch {
	case t.TicketId == "":
		return fmt.Errorf("tickets[%d].TicketId: required", i)
	case seen[t.TicketId]:
		return fmt.Errorf("tickets[%d].TicketId: %q appears twice", i, t.TicketId)
	case len(t.Players) == 0:
		return fmt.Errorf("tickets[%d].Players: at least one player is required", i)
	case t.AgeSeconds < 0:
		return fmt.Errorf("tickets[%d].AgeSeconds: must be 0 or more", i)
	}
	seen[t.TicketId] = true
	return nil
}

// decodeError explains err, which happened in ticket i (-1: outside any
// ticket) starting at offset start of data.
func decodeError(data []byte, i int, start int64, err error) error {
	where := "tickets"
	if i >= 0 {
		where = fmt.Sprintf("tickets[%d]", i)
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("%s: %s: %s; %s", where, position(data, start+syn.Offset-1), syn.Error(), ticketsShape)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(the ticket)"
		}
		want := jsonKind(typ.Type)
		if strings.Contains(field, "PlayerAttributes") {
			want = attributeShape
		}
		return fmt.Errorf("%s: %s: %s: found a JSON %s, want %s", where, position(data, start+typ.Offset-1), field, typ.Value, want)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%s: %s: the file ends too soon; %s", where, position(data, int64(len(data))), ticketsShape)
	}
	return fmt.Errorf("%s: %s: %s; %s", where, position(data, start), strings.TrimPrefix(err.Error(), "json: "), ticketsShape)
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "an integer"
}

// position formats the 1-based line and column of byte offset off of data.
func position(data []byte, off int64) string {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return fmt.Sprintf("%q", string(v))
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	}
	return "a number"
}
