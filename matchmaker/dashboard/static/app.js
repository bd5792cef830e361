// Matchpoint dashboard: polls the dashboard's JSON endpoints and renders the
// panels; runs the rule set playground. No framework, no build step. Every
// value from the server is written with textContent, never as HTML.
"use strict";

(function () {
  const KEY_STORAGE = "matchpoint.apiKey";
  const REFRESH_MS = 2000;
  let apiKey = sessionStorage.getItem(KEY_STORAGE) || "";
  let timer = null;
  let stopped = false;

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k === "width") e.style.width = v; // CSSOM: allowed by the page's CSP, unlike style=""
      else e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function duration(ms) {
    if (ms === null || ms === undefined) return "–";
    if (ms < 1000) return ms + " ms";
    const s = ms / 1000;
    if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + " s";
    const m = Math.floor(s / 60);
    const rest = Math.round(s - m * 60);
    return rest ? m + " min " + rest + " s" : m + " min";
  }

  function ago(iso) {
    if (!iso) return "never";
    const ms = Date.now() - new Date(iso).getTime();
    if (ms < 1500) return "just now";
    return duration(Math.max(0, ms)) + " ago";
  }

  function setStatus(text, bad) {
    const s = $("status");
    s.textContent = text;
    s.classList.toggle("bad", !!bad);
  }

  class AuthError extends Error {}

  async function api(path, init) {
    const opts = Object.assign({}, init || {});
    opts.headers = Object.assign({ Authorization: "Bearer " + apiKey }, opts.headers || {});
    const resp = await fetch(path, opts);
    let body = null;
    try { body = await resp.json(); } catch (e) { body = null; }
    if (resp.status === 401 || resp.status === 403) throw new AuthError((body && body.error) || "the API key was refused");
    return { status: resp.status, body: body };
  }

  // --- API key ---------------------------------------------------------

  function askForKey(message) {
    stopPolling();
    $("key-panel").hidden = false;
    $("key-error").textContent = message || "";
    $("key-input").focus();
  }

  function useKey(key) {
    apiKey = key;
    sessionStorage.setItem(KEY_STORAGE, key);
    $("key-panel").hidden = true;
    startPolling();
  }

  // --- panels ----------------------------------------------------------

  function renderOverview(ov) {
    $("total-configurations").textContent = ov.totals.configurations;
    $("total-searching").textContent = ov.totals.searching;
    $("total-matches").textContent = ov.totals.matches;
    $("window-label").textContent = "in the last " + duration(ov.windowSeconds * 1000);
    const body = $("queues-body");
    body.replaceChildren();
    if (ov.configurations.length === 0) {
      body.append(el("tr", {}, el("td", { colspan: "11", class: "empty", text: "No configuration yet: create one with the API (POST /v1/configurations)." })));
      return;
    }
    const deepest = Math.max(1, ...ov.configurations.map((c) => c.searching));
    for (const c of ov.configurations) {
      const ttm = c.timeToMatch;
      const depth = el("td", { class: "num" },
        el("span", { class: "meter", "aria-hidden": "true" }, el("span", { width: Math.round(100 * c.searching / deepest) + "%" })),
        el("span", { class: "depth", "data-configuration": c.name, text: String(c.searching) }));
      const name = el("td", {}, el("strong", { text: c.name }));
      if (c.error) name.append(" ", el("span", { class: "badge bad", title: c.error, text: "read error" }));
      if (c.pendingPlacements) name.append(" ", el("span", { class: "badge warn", "data-pending": String(c.pendingPlacements),
        title: "matches waiting for a relay with room, until the queue's timeout", text: c.pendingPlacements + " waiting for a relay" }));
      body.append(el("tr", { "data-configuration": c.name },
        name,
        el("td", { text: c.ruleSetName }),
        depth,
        el("td", { class: "num", text: ttm.samples ? duration(ttm.p50Ms) : "–" }),
        el("td", { class: "num", text: ttm.samples ? duration(ttm.p90Ms) : "–" }),
        el("td", { class: "num", text: ttm.samples ? duration(ttm.maxMs) : "–" }),
        el("td", { class: "num", text: String(c.matches) }),
        el("td", { class: "num", text: String(c.events.MatchmakingTimedOut || 0) }),
        el("td", { class: "num", text: String(c.events.MatchmakingCancelled || 0) }),
        el("td", { class: "num", text: String(c.events.MatchmakingFailed || 0) }),
        el("td", { text: ago(c.lastMatchAt) })));
    }
  }

  const statusBadge = {
    PROPOSED: ["info", "proposed"],
    ACCEPTED: ["info", "accepted"],
    SUCCEEDED: ["ok", "succeeded"],
    REJECTED: ["bad", "rejected"],
    ACCEPTANCE_TIMED_OUT: ["warn", "acceptance timed out"],
    FAILED: ["bad", "failed"],
  };

  function renderMatches(list) {
    const box = $("matches");
    box.replaceChildren();
    if (list.length === 0) {
      box.append(el("p", { class: "empty", text: "No match yet." }));
      return;
    }
    for (const m of list) {
      const [kind, label] = statusBadge[m.status] || ["info", m.status.toLowerCase()];
      const teams = el("dl");
      for (const t of m.teams) {
        teams.append(el("dt", { text: t.name || "(no team)" }), el("dd", { text: t.players.join(", ") }));
      }
      const waits = m.tickets.map((t) => t.waitMs);
      const rules = el("ul", { class: "rules", "aria-label": "Rule evaluations" });
      for (const r of m.ruleEvaluationMetrics) {
        rules.append(el("li", { title: r.ruleName + ": passed " + r.passedCount + ", failed " + r.failedCount },
          el("strong", { text: r.ruleName }), " ✓" + r.passedCount + " ✗" + r.failedCount));
      }
      const meta = m.configuration + " · " + ago(m.createdAt) + " · waited up to " + duration(Math.max(0, ...waits));
      const card = el("article", { class: "match", "data-match": m.matchId },
        el("h3", {}, el("span", { class: "mono", text: m.matchId }), el("span", { class: "badge " + kind, text: label })),
        el("p", { class: "meta", text: meta }),
        teams);
      if (m.ruleEvaluationMetrics.length) card.append(rules);
      if (m.gameSession) {
        const gs = m.gameSession;
        card.append(el("p", { class: "meta", text: "Game session " + (gs.ipAddress ? gs.ipAddress + ":" + gs.port : gs.arn) }));
      }
      if (m.reason) card.append(el("p", { class: "error", text: m.reason + (m.message ? ": " + m.message : "") }));
      box.append(card);
    }
  }

  function renderRelays(r) {
    const body = $("relays-body");
    body.replaceChildren();
    $("relays-hint").textContent = r.followed
      ? "From the relays' heartbeats on NATS; a relay is silent after three missed heartbeats."
      : "Relay heartbeats are not followed by this process (no NATS connection given to the dashboard).";
    const up = r.relays.filter((x) => x.state !== "silent").length;
    $("total-relays").textContent = r.followed ? String(up) : "–";
    if (r.relays.length === 0) {
      body.append(el("tr", {}, el("td", { colspan: "7", class: "empty", text: r.followed ? "No relay heartbeat received yet." : "Not followed." })));
      return;
    }
    for (const x of r.relays) {
      const ep = x.endpoint;
      const host = ep.dnsName || ep.ipAddress || "?";
      const fill = x.maxSessions ? Math.round(100 * x.sessions / x.maxSessions) : 0;
      const state = { up: ["ok", "up"], draining: ["warn", "draining"], silent: ["bad", "silent"] }[x.state] || ["info", x.state];
      body.append(el("tr", { "data-relay": x.relayId },
        el("td", {}, el("strong", { text: x.relayId })),
        el("td", { text: x.region }),
        el("td", { class: "mono", text: host + ":" + ep.tcpPort + (ep.udpPort ? " (udp " + ep.udpPort + ")" : "") }),
        el("td", {}, el("span", { class: "meter", "aria-hidden": "true" }, el("span", { width: fill + "%" })),
          x.sessions + " / " + (x.maxSessions || "∞")),
        el("td", { class: "num", text: x.players + (x.maxPlayers ? " / " + x.maxPlayers : "") }),
        el("td", {}, el("span", { class: "badge " + state[0], text: state[1] })),
        el("td", { text: ago(x.lastSeen) })));
    }
  }

  const sessionBadge = {
    ACTIVATING: "info", ACTIVE: "ok", TERMINATING: "warn", TERMINATED: "info", ERROR: "bad",
    RESERVED: "info", COMPLETED: "info", TIMEDOUT: "warn",
  };

  function badge(status) {
    return el("span", { class: "badge " + (sessionBadge[status] || "info"), text: status });
  }

  function renderFleets(f) {
    const body = $("fleets-body");
    body.replaceChildren();
    const pick = $("gs-fleet");
    const chosen = pick.value;
    pick.replaceChildren(el("option", { value: "", text: "every fleet" }));
    if (!f.enabled) {
      body.append(el("tr", {}, el("td", { colspan: "10", class: "empty", text: "Game sessions are not shown by this process (no store given to the dashboard)." })));
      return;
    }
    if (f.fleets.length === 0) {
      body.append(el("tr", {}, el("td", { colspan: "10", class: "empty", text: "No fleet yet: create one with the API (CreateFleet)." })));
    }
    for (const x of f.fleets) {
      pick.append(el("option", { value: x.fleetId, text: x.name ? x.name + " (" + x.fleetId + ")" : x.fleetId }));
      const fill = x.maxSessions ? Math.round(100 * x.sessions / x.maxSessions) : 0;
      const relays = x.relays.length ? x.relays.map((r) => r.relayId + (r.state === "up" ? "" : " (" + r.state + ")")).join(", ") : "none";
      body.append(el("tr", { "data-fleet": x.fleetId },
        el("td", {}, el("strong", { text: x.name || x.fleetId }), el("br"), el("span", { class: "mono", text: x.fleetId })),
        el("td", {}, badge(x.status)),
        el("td", { class: "mono", text: x.scriptId }),
        el("td", { text: x.locations.join(", ") }),
        el("td", { text: relays }),
        el("td", {}, el("span", { class: "meter", "aria-hidden": "true" }, el("span", { width: fill + "%" })),
          x.sessions + " / " + (x.maxSessions || "–")),
        el("td", { class: "num", text: String(x.gameSessions.ACTIVATING || 0) }),
        el("td", { class: "num", text: String(x.gameSessions.ACTIVE || 0) }),
        el("td", { class: "num", text: String(x.gameSessions.TERMINATING || 0) }),
        el("td", { class: "num", text: String(x.playerSessions) })));
    }
    pick.value = chosen;
  }

  let selectedSession = "";

  function renderGameSessions(g) {
    const body = $("gamesessions-body");
    body.replaceChildren();
    if (!g.enabled || g.gameSessions.length === 0) {
      body.append(el("tr", {}, el("td", { colspan: "6", class: "empty", text: g.enabled ? "No game session." : "Not shown." })));
      return;
    }
    for (const x of g.gameSessions) {
      const open = el("button", { type: "button", class: "link", "aria-pressed": String(x.gameSessionId === selectedSession), text: x.name || x.gameSessionId });
      open.addEventListener("click", () => { selectedSession = x.gameSessionId; showPlayers(x); });
      body.append(el("tr", { "data-game-session": x.gameSessionId },
        el("td", {}, open, el("br"), el("span", { class: "mono", text: x.gameSessionId })),
        el("td", {}, badge(x.status), x.statusReason ? " " + x.statusReason : ""),
        el("td", { class: "mono", text: x.fleetId }),
        el("td", { text: x.location }),
        el("td", { class: "num", text: x.players + " / " + x.maxPlayers }),
        el("td", { text: ago(x.creationTime) })));
    }
  }

  async function showPlayers(gs) {
    const box = $("players");
    try {
      const r = await api("api/playersessions?gameSession=" + encodeURIComponent(gs.gameSessionId));
      box.replaceChildren(el("h3", { text: "Player sessions of " + (gs.name || gs.gameSessionId) }));
      if (r.status !== 200) { box.append(el("p", { class: "error", text: (r.body && r.body.error) || "HTTP " + r.status })); return; }
      if (r.body.playerSessions.length === 0) { box.append(el("p", { class: "empty", text: "No player session." })); return; }
      const rows = r.body.playerSessions.map((p) => el("tr", { "data-player-session": p.playerSessionId },
        el("td", { text: p.playerId }), el("td", { class: "mono", text: p.playerSessionId }), el("td", {}, badge(p.status)), el("td", { text: ago(p.creationTime) })));
      box.append(el("table", {},
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Player" }), el("th", { scope: "col", text: "Player session" }),
          el("th", { scope: "col", text: "Status" }), el("th", { scope: "col", text: "Created" }))),
        el("tbody", {}, ...rows)));
    } catch (e) {
      if (e instanceof AuthError) { askForKey("The key was refused: " + e.message); return; }
      box.replaceChildren(el("p", { class: "error", text: "Cannot read the player sessions: " + e.message }));
    }
  }

  function gameSessionsQuery() {
    const q = new URLSearchParams();
    if ($("gs-fleet").value) q.set("fleet", $("gs-fleet").value);
    if ($("gs-status").value) q.set("status", $("gs-status").value);
    const s = q.toString();
    return "api/gamesessions" + (s ? "?" + s : "");
  }

  async function refresh() {
    if (stopped) return;
    try {
      const [ov, ms, rl, fl, gs] = await Promise.all([api("api/overview"), api("api/matches?limit=12"), api("api/relays"),
        api("api/fleets"), api(gameSessionsQuery())]);
      if (ov.status !== 200) throw new Error((ov.body && ov.body.error) || "overview: HTTP " + ov.status);
      renderOverview(ov.body);
      if (ms.status === 200) renderMatches(ms.body.matches);
      if (rl.status === 200) renderRelays(rl.body);
      if (fl.status === 200) renderFleets(fl.body);
      if (gs.status === 200) renderGameSessions(gs.body);
      setStatus("Updated " + new Date().toLocaleTimeString(), false);
    } catch (e) {
      if (e instanceof AuthError) { askForKey("The key was refused: " + e.message); return; }
      setStatus("Cannot read the matchmaker: " + e.message, true);
    }
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    if (!stopped && !document.hidden) timer = setTimeout(refresh, REFRESH_MS);
  }

  function startPolling() { stopped = false; refresh(); }
  function stopPolling() { stopped = true; clearTimeout(timer); }

  // --- playground ------------------------------------------------------

  async function loadExample() {
    const [r, t] = await Promise.all([fetch("static/example-rules.json"), fetch("static/example-tickets.json")]);
    $("pg-rules").value = await r.text();
    $("pg-tickets").value = await t.text();
  }

  function renderPlayground(status, body) {
    const out = $("pg-result");
    out.replaceChildren();
    if (status !== 200) {
      const box = el("div", { class: "pg-errors", role: "alert" }, el("h3", { text: "Not simulated" }),
        el("p", { class: "error", text: (body && body.error) || "HTTP " + status }));
      if (body && body.errors) {
        const ul = el("ul");
        for (const e of body.errors) {
          const where = e.line ? " (line " + e.line + ", column " + e.column + ")" : "";
          ul.append(el("li", {}, el("code", { text: e.path || "(document)" }), ": " + e.message + where));
        }
        box.append(ul);
      }
      out.append(box);
      return;
    }
    const rep = body.report;
    out.append(el("p", { class: "pg-summary", text: rep.matches.length + " match(es) from " + body.tickets + " ticket(s) with rule set " +
      (body.ruleSet.name || "(unnamed)") + " (" + body.ruleSet.teams + " team(s), up to " + body.ruleSet.maxPlayers + " players, seed " + body.seed + ")" }));

    const mt = el("table", { class: "pg-matches" }, el("caption", { class: "visually-hidden", text: "Matches formed" }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Match" }), el("th", { scope: "col", text: "Teams" }),
        el("th", { scope: "col", text: "Region" }), el("th", { scope: "col", text: "Expansions in force" }), el("th", { scope: "col", text: "Rules (passed / failed)" }))));
    const mb = el("tbody");
    rep.matches.forEach((m, i) => {
      const teams = el("td");
      for (const t of m.teams) teams.append(el("div", {}, el("strong", { text: t.name + ": " }), t.players.join(", ") + " (" + t.tickets.join(", ") + ")"));
      mb.append(el("tr", {}, el("td", { text: String(i + 1) }), teams, el("td", { text: m.region || "–" }),
        el("td", { text: (m.expanded || []).join("; ") || "none" }),
        el("td", { text: m.ruleEvaluationMetrics.map((r) => r.ruleName + " " + r.passedCount + " / " + r.failedCount).join(", ") || "–" })));
    });
    if (rep.matches.length === 0) mb.append(el("tr", {}, el("td", { colspan: "5", class: "empty", text: "No match would form." })));
    mt.append(mb);
    out.append(el("h3", { text: "Matches" }), el("div", { class: "table-wrap" }, mt));

    out.append(el("h3", { text: "Unmatched tickets" }));
    if (rep.unmatched.length === 0) out.append(el("p", { class: "empty", text: "Every ticket matched." }));
    else {
      const ul = el("ul", { class: "pg-unmatched" });
      for (const u of rep.unmatched) ul.append(el("li", {}, el("code", { text: u.ticketId }), ": " + u.reason));
      out.append(ul);
    }

    out.append(el("h3", { text: "Rule evaluations" }));
    const rt = el("table", { class: "pg-metrics" }, el("caption", { class: "visually-hidden", text: "Rule evaluation metrics" }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Rule" }), el("th", { scope: "col", class: "num", text: "Passed" }), el("th", { scope: "col", class: "num", text: "Failed" }))));
    const rb = el("tbody");
    for (const r of rep.ruleEvaluationMetrics || []) {
      rb.append(el("tr", {}, el("td", { text: r.ruleName }), el("td", { class: "num", text: String(r.passedCount) }), el("td", { class: "num", text: String(r.failedCount) })));
    }
    if (!(rep.ruleEvaluationMetrics || []).length) rb.append(el("tr", {}, el("td", { colspan: "3", class: "empty", text: "No rule was evaluated." })));
    rt.append(rb);
    out.append(rt);
  }

  async function simulate(ev) {
    if (ev) ev.preventDefault();
    const seed = parseInt($("pg-seed").value, 10);
    const payload = { ruleSet: $("pg-rules").value, tickets: $("pg-tickets").value, seed: isNaN(seed) || seed < 0 ? 1 : seed };
    $("pg-result").replaceChildren(el("p", { class: "empty", text: "Simulating…" }));
    try {
      const r = await api("api/playground", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });
      renderPlayground(r.status, r.body);
    } catch (e) {
      if (e instanceof AuthError) { askForKey("The key was refused: " + e.message); return; }
      renderPlayground(0, { error: e.message });
    }
  }

  // --- start -----------------------------------------------------------

  // A link may carry the key and ask for the example run in its fragment,
  // which never reaches a server: #key=SECRET&example. The fragment is removed
  // from the address bar at once.
  function readFragment() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const key = params.get("key");
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
    return { key: key, example: params.has("example") };
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const frag = readFragment();
    if (frag.key) apiKey = frag.key;
    $("key-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const k = $("key-input").value.trim();
      if (k) useKey(k);
    });
    $("change-key").addEventListener("click", () => askForKey(""));
    $("playground-form").addEventListener("submit", simulate);
    $("pg-example").addEventListener("click", () => { loadExample(); });
    for (const id of ["gs-fleet", "gs-status"]) $(id).addEventListener("change", () => { if (!stopped) refresh(); });
    $("gs-filter").addEventListener("submit", (ev) => ev.preventDefault());
    document.addEventListener("visibilitychange", () => { if (!document.hidden && !stopped) refresh(); });
    await loadExample();
    if (!apiKey) { askForKey(""); setStatus("Waiting for the API key", false); return; }
    startPolling();
    if (frag.example) simulate();
  });
})();
