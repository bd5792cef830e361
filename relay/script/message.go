package script

import (
	"bytes"
	"slices"

	"github.com/dop251/goja"

	"github.com/matchpoint-dev/matchpoint/relay"
)

// gameMessage is the script's gameMessage object: opCode (also spelt opcode),
// sender, reliable, payload (a Uint8Array, made on first use), targetPlayer,
// targetGroup and getPayloadAsText(). Other properties a script sets are kept.
type gameMessage struct {
	in           *Instance
	opCode       int32
	sender       int32
	targetPlayer int32
	targetGroup  int32
	reliable     bool
	payload      []byte     // owned copy, when payloadVal is not set
	payloadVal   goja.Value // the Uint8Array handed out, or what the script assigned
	shared       bool       // payload was handed to the relay: copy before exposing it
	extra        map[string]goja.Value
}

var _ goja.DynamicObject = (*gameMessage)(nil)

// newMessage returns a message owning a copy of payload.
func (in *Instance) newMessage(opCode, sender int32, reliable bool, payload []byte) *gameMessage {
	return &gameMessage{in: in, opCode: opCode, sender: sender, reliable: reliable, payload: bytes.Clone(payload)}
}

// messageValue is the script's view of a relayed message.
func (in *Instance) messageValue(m relay.Message) *goja.Object {
	gm := in.newMessage(m.OpCode, m.Sender, m.Reliable, m.Payload)
	gm.targetPlayer, gm.targetGroup = m.TargetPlayer, m.TargetGroup
	return in.vm.NewDynamicObject(gm)
}

// newMessageValue is newTextGameMessage / newBinaryGameMessage(opCode, sender,
// payload). A text payload that is not a string is taken as bytes when it is
// binary (the documentation example passes gameMessage.payload), else as its
// string form.
func (in *Instance) newMessageValue(call goja.FunctionCall, text bool) goja.Value {
	gm := &gameMessage{
		in:       in,
		opCode:   int32(call.Argument(0).ToInteger()),
		sender:   int32(call.Argument(1).ToInteger()),
		reliable: false,
	}
	p := call.Argument(2)
	if text && !isBinary(p) && !goja.IsUndefined(p) && !goja.IsNull(p) {
		gm.payload = []byte(p.String())
	} else {
		gm.payload = in.toBytes(p)
	}
	return in.vm.NewDynamicObject(gm)
}

// messageFrom converts a message the script passes to a send method: one of ours,
// or any object with opCode (or opcode), sender and payload.
func (in *Instance) messageFrom(v goja.Value) relay.Message {
	obj, ok := v.(*goja.Object)
	if !ok {
		panic(in.vm.NewTypeError("send: want a game message (rtSession.newTextGameMessage or newBinaryGameMessage)"))
	}
	if gm, ok := obj.Export().(*gameMessage); ok {
		gm.shared = gm.payloadVal == nil
		return relay.Message{OpCode: gm.opCode, Sender: gm.sender, Payload: gm.bytes()}
	}
	op := obj.Get("opCode")
	if op == nil || goja.IsUndefined(op) {
		op = obj.Get("opcode")
	}
	var m relay.Message
	if op != nil {
		m.OpCode = int32(op.ToInteger())
	}
	if s := obj.Get("sender"); s != nil {
		m.Sender = int32(s.ToInteger())
	}
	m.Payload = in.toBytes(obj.Get("payload"))
	return m
}

// bytes returns the message's payload, following what the script assigned.
func (m *gameMessage) bytes() []byte {
	if m.payloadVal != nil {
		return m.in.toBytes(m.payloadVal)
	}
	return m.payload
}

// Get implements goja.DynamicObject.
func (m *gameMessage) Get(key string) goja.Value {
	vm := m.in.vm
	switch key {
	case "opCode", "opcode":
		return vm.ToValue(m.opCode)
	case "sender":
		return vm.ToValue(m.sender)
	case "reliable":
		return vm.ToValue(m.reliable)
	case "targetPlayer":
		return vm.ToValue(m.targetPlayer)
	case "targetGroup":
		return vm.ToValue(m.targetGroup)
	case "payload":
		if m.payloadVal == nil {
			if m.shared {
				m.payload = bytes.Clone(m.payload)
			}
			u, err := vm.New(m.in.global(&m.in.uint8Array, "Uint8Array"), vm.ToValue(vm.NewArrayBuffer(m.payload)))
			if err != nil {
				panic(err)
			}
			m.payloadVal = u
			m.payload = nil
		}
		return m.payloadVal
	case "getPayloadAsText":
		return m.in.payloadAsTextFunc()
	}
	return m.extra[key]
}

// Set implements goja.DynamicObject.
func (m *gameMessage) Set(key string, val goja.Value) bool {
	switch key {
	case "opCode", "opcode":
		m.opCode = int32(val.ToInteger())
	case "sender":
		m.sender = int32(val.ToInteger())
	case "reliable":
		m.reliable = val.ToBoolean()
	case "targetPlayer":
		m.targetPlayer = int32(val.ToInteger())
	case "targetGroup":
		m.targetGroup = int32(val.ToInteger())
	case "payload":
		m.payloadVal = val
		m.payload = nil
	case "getPayloadAsText":
		return false
	default:
		if m.extra == nil {
			m.extra = make(map[string]goja.Value)
		}
		m.extra[key] = val
	}
	return true
}

// Has implements goja.DynamicObject.
func (m *gameMessage) Has(key string) bool {
	switch key {
	case "opCode", "opcode", "sender", "reliable", "targetPlayer", "targetGroup", "payload", "getPayloadAsText":
		return true
	}
	_, ok := m.extra[key]
	return ok
}

// Delete implements goja.DynamicObject: only added properties can be deleted.
func (m *gameMessage) Delete(key string) bool {
	if _, ok := m.extra[key]; ok {
		delete(m.extra, key)
		return true
	}
	return !m.Has(key)
}

// Keys implements goja.DynamicObject.
func (m *gameMessage) Keys() []string {
	keys := []string{"opCode", "sender", "reliable", "targetPlayer", "targetGroup", "payload"}
	extra := make([]string, 0, len(m.extra))
	for k := range m.extra {
		extra = append(extra, k)
	}
	slices.Sort(extra)
	return append(keys, extra...)
}

// isBinary reports whether v holds bytes: an ArrayBuffer, a typed array or a
// DataView.
func isBinary(v goja.Value) bool {
	obj, ok := v.(*goja.Object)
	if !ok {
		return false
	}
	switch obj.Export().(type) {
	case goja.ArrayBuffer, []byte:
		return true
	}
	return obj.Get("buffer") != nil && obj.Get("byteLength") != nil && !goja.IsUndefined(obj.Get("byteLength"))
}

// toBytes copies a payload given by the script: bytes (ArrayBuffer, typed array,
// DataView, an array of numbers) as they are, undefined and null as nothing, and
// anything else as its string in UTF-8.
func (in *Instance) toBytes(v goja.Value) []byte {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		return []byte(v.String())
	}
	switch x := obj.Export().(type) {
	case goja.ArrayBuffer:
		return bytes.Clone(x.Bytes())
	case *gameMessage:
		return bytes.Clone(x.bytes())
	}
	var b []byte
	if err := in.vm.ExportTo(obj, &b); err == nil {
		return bytes.Clone(b)
	}
	return []byte(v.String())
}
