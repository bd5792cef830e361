// Package script runs GameLift Realtime server scripts (JavaScript) inside the relay.
//
// A script is one JavaScript file in the Realtime form: it assigns
// exports.ssExports (or module.exports.ssExports) an object holding an optional
// configuration and the callbacks init, onProcessStarted, onStartGameSession,
// onProcessTerminate, onHealthCheck, onPlayerConnect, onPlayerAccepted,
// onPlayerDisconnect, onPlayerJoinGroup, onPlayerLeaveGroup, onSendToPlayer,
// onSendToGroup and onMessage. NewFactory compiles a script once; Factory.New gives
// every game session its own goja runtime running it, as a relay.Script.
//
// Callbacks that may refuse (onPlayerConnect, onPlayerJoinGroup, onPlayerLeaveGroup,
// onSendToPlayer, onSendToGroup, onHealthCheck) refuse only when they return the
// boolean false; a callback that is missing, throws or overruns its time budget
// takes the relay's default. Timers (setTimeout, setInterval) run on the session's
// goroutine through relay.Session.AfterFunc.
//
// The bus script store (bus.ScriptStore, checking uploads with Check) keeps
// script versions in NATS JetStream and announces them; Watcher follows those
// announcements on a relay so that new sessions use the newest version of a
// script while running sessions keep theirs. docs/scripts.md describes the
// script model as implemented.
package script
