package script

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"

	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// installGlobals defines what a Realtime script finds besides the ECMAScript
// built-ins: exports, module, require, console, process, the timer functions and
// the helpers of the prelude (Buffer, TextEncoder, TextDecoder).
func (in *Instance) installGlobals() error {
	vm := in.vm
	exports := vm.NewObject()
	module := vm.NewObject()
	if err := module.Set("exports", exports); err != nil {
		return err
	}
	console := in.newLazyObject(consoleMethods)
	process := in.newLazyObject(processProperties)
	helpers := in.newLazyObject(helperMethods)
	for k, v := range map[string]any{
		"exports":        exports,
		"module":         module,
		"console":        console,
		"process":        process,
		"__matchpoint":   helpers,
		"setTimeout":     in.setTimer(false),
		"setInterval":    in.setTimer(true),
		"clearTimeout":   in.clearTimer,
		"clearInterval":  in.clearTimer,
		"setImmediate":   in.setImmediate,
		"clearImmediate": in.clearTimer,
		"require": func(call goja.FunctionCall) goja.Value {
			panic(vm.NewGoError(fmt.Errorf("require(%s): modules are not available to Matchpoint scripts; bundle the script into one file", call.Argument(0).String())))
		},
	} {
		if err := vm.Set(k, v); err != nil {
			return err
		}
	}
	// goja builds Uint8Array, Map and JSON on first use, and only some
	// scripts use them: the instance looks them up when it first needs them
	// (global, parseJSON), as Node's modules would find the global's then.
	return nil
}

// global returns the global object's name, looked up on first use and kept
// in *v.
func (in *Instance) global(v *goja.Value, name string) goja.Value {
	if *v == nil {
		*v = in.vm.Get(name)
	}
	return *v
}

// processProperties are process's: exit, argv (node, the script's name,
// then the launch parameters) and an empty env.
var processProperties = newMethodTable(map[string]func(in *Instance) any{
	"exit": func(in *Instance) any {
		return func(call goja.FunctionCall) goja.Value {
			in.exit(call.Argument(0).ToInteger())
			return goja.Undefined()
		}
	},
	"env": func(in *Instance) any { return in.vm.NewObject() },
	"argv": func(in *Instance) any {
		argv := []any{"node", in.f.name}
		for _, p := range in.f.opts.LaunchParameters {
			argv = append(argv, p)
		}
		return in.vm.NewArray(argv...)
	},
})

// helperMethods are those of __matchpoint, which the prelude's classes use.
var helperMethods = newMethodTable(map[string]func(in *Instance) any{
	"encode": func(in *Instance) any {
		return func(s, encoding string) (goja.ArrayBuffer, error) {
			b, err := encodeString(s, encoding)
			return in.vm.NewArrayBuffer(b), err
		}
	},
	"decode": func(in *Instance) any {
		return func(v goja.Value, encoding string) (string, error) {
			return decodeBytes(in.toBytes(v), encoding)
		}
	},
})

// payloadAsTextFunc returns a game message's getPayloadAsText, one function
// for all of them, made on first use.
func (in *Instance) payloadAsTextFunc() goja.Value {
	if in.payloadAsText == nil {
		in.payloadAsText = in.vm.ToValue(func(call goja.FunctionCall) goja.Value {
			if m, ok := call.This.Export().(*gameMessage); ok {
				return in.vm.ToValue(string(m.bytes()))
			}
			panic(in.vm.NewTypeError("getPayloadAsText: not a game message"))
		})
	}
	return in.payloadAsText
}

// preludeJS defines the Node.js helpers Realtime scripts commonly use, on top of
// the Go helpers in __matchpoint. Each global is an accessor until the script
// first reads or sets it, and the classes are made on the first read: a
// script that never uses them pays neither for them nor for Uint8Array,
// which goja builds on first use too (docs/scripts.md). Once read or set,
// the global is a plain writable, enumerable, configurable property.
const preludeJS = `(function (g) {
	const h = g.__matchpoint;
	delete g.__matchpoint;
	let made;
	function make() {
		if (made) { return made; }
		class TextEncoder {
			get encoding() { return 'utf-8'; }
			encode(s) { return new Uint8Array(h.encode(s === undefined ? '' : String(s), 'utf8')); }
		}
		class TextDecoder {
			get encoding() { return 'utf-8'; }
			decode(b) { return b === undefined ? '' : h.decode(b, 'utf8'); }
		}
		class Buffer extends Uint8Array {
			static from(v, encoding) {
				if (typeof v === 'string') { return new Buffer(h.encode(v, encoding || 'utf8')); }
				if (v instanceof ArrayBuffer) { return new Buffer(v); }
				const b = new Buffer(v.length);
				b.set(v);
				return b;
			}
			static alloc(n) { return new Buffer(n); }
			static isBuffer(v) { return v instanceof Buffer; }
			static byteLength(v, encoding) { return typeof v === 'string' ? h.encode(v, encoding || 'utf8').byteLength : v.byteLength; }
			static concat(list) {
				const b = new Buffer(list.reduce((n, x) => n + x.length, 0));
				let off = 0;
				for (const x of list) { b.set(x, off); off += x.length; }
				return b;
			}
			toString(encoding) { return h.decode(this, encoding || 'utf8'); }
		}
		made = { TextEncoder: TextEncoder, TextDecoder: TextDecoder, Buffer: Buffer };
		return made;
	}
	function settle(name, value) {
		Object.defineProperty(g, name, { value: value, writable: true, enumerable: true, configurable: true });
		return value;
	}
	function lazy(name) {
		Object.defineProperty(g, name, {
			get: function () { return settle(name, make()[name]); },
			set: function (v) { settle(name, v); },
			enumerable: true,
			configurable: true,
		});
	}
	lazy('TextEncoder');
	lazy('TextDecoder');
	lazy('Buffer');
})(this);
`

func encodeString(s, encoding string) ([]byte, error) {
	switch strings.ToLower(encoding) {
	case "utf8", "utf-8":
		return []byte(s), nil
	case "hex":
		return hex.DecodeString(s)
	case "base64":
		return base64.StdEncoding.DecodeString(s)
	case "latin1", "binary", "ascii":
		b := make([]byte, 0, len(s))
		for _, r := range s {
			b = append(b, byte(r))
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown encoding %q", encoding)
}

func decodeBytes(b []byte, encoding string) (string, error) {
	switch strings.ToLower(encoding) {
	case "utf8", "utf-8":
		return strings.ToValidUTF8(string(b), string(utf8.RuneError)), nil
	case "hex":
		return hex.EncodeToString(b), nil
	case "base64":
		return base64.StdEncoding.EncodeToString(b), nil
	case "latin1", "binary", "ascii":
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	return "", fmt.Errorf("unknown encoding %q", encoding)
}

// logFunc returns a logging function writing its arguments, joined by spaces, at
// level.
func (in *Instance) logFunc(level slog.Level) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		if level < in.f.level {
			return goja.Undefined()
		}
		parts := make([]string, len(call.Arguments))
		for i, a := range call.Arguments {
			parts[i] = a.String()
		}
		in.logger().Log(context.Background(), level, strings.Join(parts, " "))
		return goja.Undefined()
	}
}

// newSessionObject builds rtSession: the Realtime session methods and
// Matchpoint's additions, made on first use (lazyObject).
func (in *Instance) newSessionObject() *goja.Object {
	return in.newLazyObject(sessionMethods)
}

// consoleMethods and loggerMethods are those of console and of
// rtSession.getLogger(): log functions at a level.
var (
	consoleMethods = logMethods(map[string]slog.Level{"log": slog.LevelInfo, "info": slog.LevelInfo,
		"warn": slog.LevelWarn, "error": slog.LevelError, "debug": slog.LevelDebug})
	loggerMethods = logMethods(map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo,
		"warn": slog.LevelWarn, "error": slog.LevelError, "fatal": slog.LevelError, "cxfatal": slog.LevelError})
)

func logMethods(levels map[string]slog.Level) *methodTable {
	makers := make(map[string]func(in *Instance) any, len(levels))
	for name, level := range levels {
		makers[name] = func(in *Instance) any { return in.logFunc(level) }
	}
	return newMethodTable(makers)
}

// sessionMethods are rtSession's.
var sessionMethods = newMethodTable(map[string]func(in *Instance) any{
	"getPlayers": func(in *Instance) any { return func() goja.Value { return in.playersMap() } },
	"broadcastGroupMembershipUpdate": func(in *Instance) any {
		return func(group, target int32) bool {
			return in.need("broadcastGroupMembershipUpdate").BroadcastGroupMembershipUpdate(group, target) == nil
		}
	},
	"getServerId": func(in *Instance) any {
		return func() int32 {
			if in.session != nil {
				return in.session.GetServerID()
			}
			return protocol.PeerServer
		}
	},
	"getAllPlayersGroupId": func(in *Instance) any {
		return func() int32 {
			if in.session != nil {
				return in.session.GetAllPlayersGroupID()
			}
			return protocol.GroupAllPlayers
		}
	},
	"processEnding": func(in *Instance) any {
		return func() *goja.Promise {
			in.need("processEnding")
			in.processEnding()
			p, resolve, _ := in.vm.NewPromise()
			_ = resolve(true)
			return p
		}
	},
	"getGameSessionId": func(in *Instance) any { return func() string { return in.info.GameSessionID } },
	"getLogger": func(in *Instance) any {
		// Made once, with the method (lazyObject keeps it): the same
		// logger at every call.
		logger := in.newLazyObject(loggerMethods)
		return func() *goja.Object { return logger }
	},
	"sendMessage": func(in *Instance) any {
		return in.sendFunc("sendMessage", func(s relay.Session, m relay.Message, to int32) error { return s.SendMessage(m, to) })
	},
	"sendReliableMessage": func(in *Instance) any {
		return in.sendFunc("sendReliableMessage", func(s relay.Session, m relay.Message, to int32) error { return s.SendReliableMessage(m, to) })
	},
	"sendGroupMessage": func(in *Instance) any {
		return in.sendFunc("sendGroupMessage", func(s relay.Session, m relay.Message, to int32) error { return s.SendGroupMessage(m, to) })
	},
	"sendReliableGroupMessage": func(in *Instance) any {
		return in.sendFunc("sendReliableGroupMessage", func(s relay.Session, m relay.Message, to int32) error {
			return s.SendReliableGroupMessage(m, to)
		})
	},
	"newTextGameMessage": func(in *Instance) any {
		return func(call goja.FunctionCall) goja.Value { return in.newMessageValue(call, true) }
	},
	"newBinaryGameMessage": func(in *Instance) any {
		return func(call goja.FunctionCall) goja.Value { return in.newMessageValue(call, false) }
	},
	// Matchpoint additions.
	"getMatchedPlayers":  func(in *Instance) any { return func() goja.Value { return in.matchedPlayers() } },
	"getGameProperties":  func(in *Instance) any { return func() goja.Value { return in.gameProperties() } },
	"getGameSessionData": func(in *Instance) any { return func() string { return in.currentInfo().GameSessionData } },
	"getMatchmakerData": func(in *Instance) any {
		return func() goja.Value { return in.parseJSON(in.currentInfo().MatchmakerData) }
	},
	"kick": func(in *Instance) any {
		return func(peerID int32, reason string) bool { return in.need("kick").Kick(peerID, reason) == nil }
	},
})

// sendFunc returns rtSession's method name: fn sends the script's message
// (argument 0) to its target (argument 1) and the method answers whether it
// was sent.
func (in *Instance) sendFunc(name string, fn func(relay.Session, relay.Message, int32) error) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		s := in.need(name)
		m := in.messageFrom(call.Argument(0))
		if err := fn(s, m, int32(call.Argument(1).ToInteger())); err != nil {
			in.logger().Debug("script send failed", "method", name, "error", err)
			return in.vm.ToValue(false)
		}
		return in.vm.ToValue(true)
	}
}

// need returns the bound session or throws: the method needs a game session,
// which exists from onStartGameSession on.
func (in *Instance) need(method string) relay.Session {
	if in.session == nil {
		panic(in.vm.NewGoError(fmt.Errorf("rtSession.%s: no game session yet (it starts with onStartGameSession)", method)))
	}
	return in.session
}

// currentInfo is the session's placement data, updated by backfills once bound.
func (in *Instance) currentInfo() relay.GameSessionInfo {
	if in.session != nil {
		return in.session.Info()
	}
	return in.info
}

// parseJSON parses s with the global JSON.parse, looked up on first use:
// null for "", for what does not parse, and once the script has removed
// JSON.parse.
func (in *Instance) parseJSON(s string) goja.Value {
	if s == "" {
		return goja.Null()
	}
	if in.jsonParse == nil {
		var ok bool
		if json, _ := in.vm.Get("JSON").(*goja.Object); json != nil {
			in.jsonParse, ok = goja.AssertFunction(json.Get("parse"))
		}
		if !ok {
			return goja.Null()
		}
	}
	v, err := in.jsonParse(goja.Undefined(), in.vm.ToValue(s))
	if err != nil {
		return goja.Null()
	}
	return v
}

// gameSessionObject is the argument of onStartGameSession, shaped as the GameLift
// server SDK's GameSession.
func (in *Instance) gameSessionObject() *goja.Object {
	info := in.currentInfo()
	props := make([]any, len(info.GameProperties))
	for i, p := range info.GameProperties {
		o := in.vm.NewObject()
		_ = o.Set("key", p.Key)
		_ = o.Set("value", p.Value)
		props[i] = o
	}
	obj := in.vm.NewObject()
	for k, v := range map[string]any{
		"gameSessionId":   info.GameSessionID,
		"name":            info.GameSessionID,
		"fleetId":         info.RelayID,
		"maxPlayers":      info.MaxPlayers,
		"joinable":        true,
		"gameProperties":  in.vm.NewArray(props...),
		"gameSessionData": info.GameSessionData,
		"matchmakerData":  info.MatchmakerData,
		"matchId":         info.MatchID,
		"configuration":   info.Configuration,
		"region":          info.Region,
	} {
		_ = obj.Set(k, v)
	}
	return obj
}

func (in *Instance) gameProperties() goja.Value {
	obj := in.vm.NewObject()
	for _, p := range in.currentInfo().GameProperties {
		_ = obj.Set(p.Key, p.Value)
	}
	return obj
}

func (in *Instance) matchedPlayers() goja.Value {
	players := in.currentInfo().Players
	out := make([]any, len(players))
	for i, p := range players {
		o := in.vm.NewObject()
		_ = o.Set("playerId", p.PlayerID)
		_ = o.Set("playerSessionId", p.PlayerSessionID)
		_ = o.Set("team", p.Team)
		_ = o.Set("attributes", in.parseJSON(string(p.Attributes)))
		_ = o.Set("playerData", p.PlayerData)
		out[i] = o
	}
	return in.vm.NewArray(out...)
}

// player returns the script's object for p, the same object for as long as p is
// connected.
func (in *Instance) player(p relay.Player) *goja.Object {
	if obj, ok := in.players[p.PeerID]; ok {
		return obj
	}
	obj := in.vm.NewObject()
	_ = obj.Set("peerId", p.PeerID)
	_ = obj.Set("playerSessionId", p.PlayerSessionID)
	_ = obj.Set("playerId", p.PlayerID)
	_ = obj.Set("team", p.Team)
	_ = obj.Set("attributes", in.parseJSON(string(p.Attributes)))
	_ = obj.Set("playerData", p.PlayerData)
	in.players[p.PeerID] = obj
	return obj
}

// playersMap is getPlayers(): a Map from peer id to player object, in peer id
// order (Realtime samples iterate it with forEach((player, peerId) => ...)).
func (in *Instance) playersMap() goja.Value {
	m, err := in.vm.New(in.global(&in.newMap, "Map"))
	if err != nil {
		panic(err)
	}
	if in.session == nil {
		return m
	}
	set, ok := goja.AssertFunction(m.Get("set"))
	if !ok {
		panic(in.vm.NewTypeError("Map.prototype.set is not a function"))
	}
	for _, p := range in.session.GetPlayers() {
		if _, err := set(m, in.vm.ToValue(p.PeerID), in.player(p)); err != nil {
			panic(err)
		}
	}
	return m
}
