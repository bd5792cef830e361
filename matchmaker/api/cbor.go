package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
)

// The Smithy RPC v2 CBOR protocol, which current AWS SDKs (aws-sdk-go-v2
// service/gamelift v1.55 and later) use for GameLift:
// POST /service/GameLift/operation/<Action>, Content-Type application/cbor,
// header smithy-protocol: rpc-v2-cbor. The request is translated to the same
// JSON the JSON 1.1 face takes and goes through the same strict decoder.
const (
	cborContentType = "application/cbor"
	smithyProtocol  = "rpc-v2-cbor"
	// maxCBORDepth bounds the nesting of a CBOR request (GameLift's deepest
	// input is 5 levels).
	maxCBORDepth = 32
)

// timestampKeys are the GameLift fields that are timestamps: CBOR carries
// them as tag 1 (epoch seconds).
var timestampKeys = map[string]bool{"CreationTime": true, "StartTime": true, "EndTime": true, "LastUpdatedTime": true, "TerminationTime": true}

func cborFail(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Smithy-Protocol", smithyProtocol)
	w.Header().Set("Content-Type", cborContentType)
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	// The SDK reads the type and "message" generically, then the exception
	// shape, whose member is "Message": send both.
	_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(typ), "message": cbor.String(msg), "Message": cbor.String(msg)}))
}

// serveCBOR serves POST /service/GameLift/operation/{action}.
func (h *Handler) serveCBOR(w http.ResponseWriter, r *http.Request) {
	body, ok := h.readSigned(w, r, cborFail)
	if !ok {
		return
	}
	action := r.PathValue("action")
	fn := h.gamelift[action]
	if fn == nil {
		cborFail(w, http.StatusBadRequest, "UnknownOperationException", "path: unknown operation "+action)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != cborContentType && len(body) > 0 {
		cborFail(w, http.StatusBadRequest, string(matchmaker.InvalidRequest), "Content-Type: want "+cborContentType)
		return
	}
	js, err := cborToJSON(body)
	if err != nil {
		e := matchmaker.AsError(err)
		cborFail(w, http.StatusBadRequest, string(e.Type), e.Message)
		return
	}
	out, err := fn(matchmaker.WithRequestRegion(r.Context(), signingRegion(r)), js)
	if err != nil {
		e := matchmaker.AsError(err)
		h.logError(r, e)
		status := http.StatusBadRequest
		if e.Type == matchmaker.InternalService {
			status = http.StatusInternalServerError
		}
		cborFail(w, status, string(e.Type), e.Message)
		return
	}
	enc, err := jsonToCBOR(out)
	if err != nil {
		e := matchmaker.AsError(fmt.Errorf("encode %s output: %w", action, err))
		h.logError(r, e)
		cborFail(w, http.StatusInternalServerError, string(e.Type), e.Message)
		return
	}
	w.Header().Set("Smithy-Protocol", smithyProtocol)
	w.Header().Set("Content-Type", cborContentType)
	_, _ = w.Write(enc)
}

// cborToJSON translates a CBOR request body into JSON. An empty body is an
// empty object.
func cborToJSON(body []byte) ([]byte, error) {
	if len(body) == 0 {
		return []byte("{}"), nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, bad("body: malformed CBOR: " + err.Error())
	}
	var b bytes.Buffer
	if err := writeJSONValue(&b, v, "body", 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJSONValue(b *bytes.Buffer, v cbor.Value, path string, depth int) error {
	if depth > maxCBORDepth {
		return bad(path + ": nested too deeply")
	}
	switch x := v.(type) {
	case cbor.Map:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if !utf8.ValidString(k) {
				return bad(path + ": a key is not valid UTF-8")
			}
			if i > 0 {
				b.WriteByte(',')
			}
			kj, _ := json.Marshal(k)
			b.Write(kj)
			b.WriteByte(':')
			if err := writeJSONValue(b, x[k], fieldPath(path, k), depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case cbor.List:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSONValue(b, e, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case cbor.String:
		if !utf8.ValidString(string(x)) {
			return bad(path + ": must be valid UTF-8")
		}
		s, _ := json.Marshal(string(x))
		b.Write(s)
	case cbor.Uint:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case cbor.NegInt:
		if x == 0 {
			return bad(path + ": integer out of range")
		}
		b.WriteString("-" + strconv.FormatUint(uint64(x), 10))
	case cbor.Float32:
		return writeFloat(b, float64(x), path)
	case cbor.Float64:
		return writeFloat(b, float64(x), path)
	case cbor.Bool:
		b.WriteString(strconv.FormatBool(bool(x)))
	case *cbor.Nil, *cbor.Undefined:
		b.WriteString("null")
	case cbor.Slice:
		s, _ := json.Marshal(base64.StdEncoding.EncodeToString(x))
		b.Write(s)
	case *cbor.Tag:
		if x.ID != 1 {
			return bad(fmt.Sprintf("%s: unsupported CBOR tag %d", path, x.ID))
		}
		return writeJSONValue(b, x.Value, path, depth+1)
	default:
		return bad(fmt.Sprintf("%s: unsupported CBOR value %T", path, v))
	}
	return nil
}

func fieldPath(path, k string) string {
	if path == "body" {
		return "field " + k
	}
	return path + "." + k
}

func writeFloat(b *bytes.Buffer, f float64, path string) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return bad(path + ": must be a finite number")
	}
	b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	return nil
}

// jsonToCBOR encodes an output value as CBOR through its JSON form, so both
// faces send the same fields. Timestamp fields become tag 1.
func jsonToCBOR(out any) ([]byte, error) {
	js, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	cv, err := toCBOR(v, false)
	if err != nil {
		return nil, err
	}
	return cbor.Encode(cv), nil
}

func toCBOR(v any, timestamp bool) (cbor.Value, error) {
	switch x := v.(type) {
	case map[string]any:
		m := make(cbor.Map, len(x))
		for k, e := range x {
			c, err := toCBOR(e, timestampKeys[k])
			if err != nil {
				return nil, err
			}
			m[k] = c
		}
		return m, nil
	case []any:
		l := make(cbor.List, len(x))
		for i, e := range x {
			c, err := toCBOR(e, false)
			if err != nil {
				return nil, err
			}
			l[i] = c
		}
		return l, nil
	case string:
		return cbor.String(x), nil
	case bool:
		return cbor.Bool(x), nil
	case nil:
		return &cbor.Nil{}, nil
	case json.Number:
		s := string(x)
		if timestamp {
			f, err := x.Float64()
			if err != nil {
				return nil, err
			}
			return &cbor.Tag{ID: 1, Value: cbor.Float64(f)}, nil
		}
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				if n >= 0 {
					return cbor.Uint(n), nil
				}
				return cbor.NegInt(-n), nil
			}
		}
		f, err := x.Float64()
		if err != nil {
			return nil, err
		}
		return cbor.Float64(f), nil
	}
	return nil, fmt.Errorf("unexpected JSON value %T", v)
}
