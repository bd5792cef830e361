package script_test

import (
	"strings"
	"testing"

	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/script"
)

// TestSessionObjectBehavesAsPlainObject: rtSession, whose methods are made on
// first use, reads, lists, replaces and deletes its properties as a plain
// object would, and hands out the same function (and logger) each time; it
// cannot be frozen (docs/scripts.md).
func TestSessionObjectBehavesAsPlainObject(t *testing.T) {
	const src = `
const seen = [];
function check(name, ok) { seen.push(name + '=' + ok); }
let s;
function init(rtSession) { s = rtSession; }
function onStartGameSession() {
	check('typeof', typeof s.sendMessage === 'function');
	check('same method', s.sendMessage === s.sendMessage);
	check('same logger', s.getLogger() === s.getLogger() && typeof s.getLogger().info === 'function');
	check('in', ('kick' in s) && !('nope' in s));
	check('keys', Object.keys(s).join(','));
	s.extra = 1;
	s.kick = 'replaced';
	delete s.getServerId;
	check('after', [s.extra, s.kick, 'getServerId' in s, s.getServerId, Object.keys(s).slice(-2).join(',')].join(','));
	check('dropped', Object.keys(s).indexOf('getServerId') < 0 && Object.keys(s).length === 18);
	delete s.extra;
	s.getServerId = 5;
	check('again', Object.keys(s).slice(-2).join(',') + ',' + s.getServerId + ',' + ('extra' in s));
	check('console', typeof console.log === 'function' && console.log === console.log);
	try { Object.freeze(s); check('freeze', 'allowed'); } catch (e) { check('freeze', e instanceof TypeError); }
	console.log('RESULT ' + seen.join(' | '));
}
exports.ssExports = { init: init, onStartGameSession: onStartGameSession };
`
	_, s := newInstance(t, src, script.Options{})
	want := "RESULT typeof=true | same method=true | same logger=true | in=true" +
		" | keys=broadcastGroupMembershipUpdate,getAllPlayersGroupId,getGameProperties,getGameSessionData,getGameSessionId," +
		"getLogger,getMatchedPlayers,getMatchmakerData,getPlayers,getServerId,kick,newBinaryGameMessage,newTextGameMessage," +
		"processEnding,sendGroupMessage,sendMessage,sendReliableGroupMessage,sendReliableMessage" +
		" | after=1,replaced,false,,sendReliableMessage,extra | dropped=true | again=sendReliableMessage,getServerId,5,false | console=true | freeze=true"
	if logs := s.logText(); !strings.Contains(logs, want) {
		t.Fatalf("script saw\n%s\nwant a line with\n%s", logs, want)
	}
}

// TestPreludeGlobalsMadeOnFirstUse: Buffer, TextEncoder and TextDecoder,
// made when first read, work as before, read or assigned first, and are
// plain properties of the global object from then on.
func TestPreludeGlobalsMadeOnFirstUse(t *testing.T) {
	const src = `
const seen = [];
function check(name, ok) { seen.push(name + '=' + ok); }
const g = this;
const topLevelBuffer = Buffer;
TextDecoder = 5;
function onStartGameSession() {
	check('same', topLevelBuffer === Buffer && typeof Buffer.from === 'function');
	check('buffer', Buffer.from('hi').toString('hex') + ',' + (Buffer.from('hi') instanceof Uint8Array) + ',' + Buffer.concat([Buffer.from('a'), Buffer.from('b')]).toString());
	check('encoder', new TextEncoder().encode('é').length + ',' + new TextEncoder().encoding);
	check('assigned', TextDecoder);
	const d = Object.getOwnPropertyDescriptor(g, 'Buffer');
	check('plain', d.value === Buffer && d.writable && d.enumerable && d.configurable && !d.get);
	check('keys', ['Buffer', 'TextEncoder', 'TextDecoder'].every(function (k) { return Object.keys(g).indexOf(k) >= 0; }));
	console.log('RESULT ' + seen.join(' | '));
}
exports.ssExports = { onStartGameSession: onStartGameSession };
`
	_, s := newInstance(t, src, script.Options{})
	want := "RESULT same=true | buffer=6869,true,ab | encoder=2,utf-8 | assigned=5 | plain=true | keys=true"
	if logs := s.logText(); !strings.Contains(logs, want) {
		t.Fatalf("script saw\n%s\nwant a line with\n%s", logs, want)
	}
}

// TestProcessGlobal: process, made on first use, has Node's argv (node,
// the script, the launch parameters: the same array each read), an empty
// env the script may write to, and exit.
func TestProcessGlobal(t *testing.T) {
	const src = `
function onStartGameSession() {
	process.argv.push('pushed');
	process.env.MODE = 'ranked';
	console.log('RESULT ' + [process.argv.join(' '), process.env.MODE, Object.keys(process.env).length,
		typeof process.exit, Object.keys(process).join(',')].join(' | '));
}
exports.ssExports = { onStartGameSession: onStartGameSession };
`
	_, s := newInstance(t, src, script.Options{LaunchParameters: []string{"--map", "harbor"}})
	want := "RESULT node test.js --map harbor pushed | ranked | 1 | function | argv,env,exit"
	if logs := s.logText(); !strings.Contains(logs, want) {
		t.Fatalf("script saw\n%s\nwant a line with\n%s", logs, want)
	}
}

// TestBuiltinsLookedUpOnFirstUse: the instance finds JSON.parse and Map on
// the global object when it first needs them, so a script that replaced
// them before then has its own used, and one that removed JSON gets null
// from getMatchmakerData rather than an error.
func TestBuiltinsLookedUpOnFirstUse(t *testing.T) {
	for _, tc := range []struct{ name, top, want string }{
		{"replaced", `JSON.parse = function () { return 'mine'; }; Map = function () { this.set = function () {}; this.mine = true; };`,
			"RESULT mine | true"},
		{"removed", `delete globalThis.JSON;`, "RESULT null | false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.top + `
let s;
exports.ssExports = {
	init: function (r) { s = r; },
	onStartGameSession: function () {
		console.log('RESULT ' + s.getMatchmakerData() + ' | ' + (s.getPlayers().mine === true));
	},
};`
			f, err := script.NewFactory("test.js", []byte(src), script.Options{})
			if err != nil {
				t.Fatal(err)
			}
			info := relay.GameSessionInfo{GameSessionID: "gs-builtins", MatchmakerData: `{"matchId":"m-1"}`}
			s := newFakeSession(t, info)
			var sc relay.Script
			s.do(func() { sc, err = f.New(info) })
			if err != nil {
				t.Fatal(err)
			}
			s.do(func() { sc.OnStartGameSession(s) })
			if logs := s.logText(); !strings.Contains(logs, tc.want) {
				t.Fatalf("script saw\n%s\nwant a line with %q", logs, tc.want)
			}
		})
	}
}
