// PolyTTS status page: refreshes from api/status (previews: preview.js).
// Every URL is relative, so the page works at / and under Home Assistant's ingress path.
"use strict";

const REFRESH_MS = 2000;
const $ = (selector) => document.querySelector(selector);

function seconds(value, digits = 2) {
  return value == null ? "–" : `${value.toFixed(digits)} s`;
}

function duration(total) {
  if (total == null) return "–";
  const units = [["d", 86400], ["h", 3600], ["min", 60]];
  for (const [unit, size] of units) {
    if (total >= size) return `${Math.floor(total / size)} ${unit}`;
  }
  return `${Math.floor(total)} s`;
}

function bytes(value) {
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / 1024 / 1024).toFixed(1)} MiB`;
}

function clock(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleTimeString();
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function badge(text) {
  const td = document.createElement("td");
  const span = document.createElement("span");
  span.className = `badge ${text.replace(/[^a-z-]/g, "")}`;
  span.textContent = text;
  td.append(span);
  return td;
}

function fill(body, rows, makeRow) {
  body.replaceChildren(...rows.map(makeRow));
}

function engineRow(engine) {
  const tr = document.createElement("tr");
  tr.append(
    cell(engine.name),
    badge(engine.state),
    cell(engine.device),
    cell(seconds(engine.load_seconds, 1), "num"),
    cell(String(engine.workers), "num"),
    badge(engine.circuit),
    cell(String(engine.replies_in_progress), "num"),
    cell(String(engine.queued_segments), "num"),
    cell(String(engine.voices), "num"),
  );
  return tr;
}

function replyRow(reply) {
  const tr = document.createElement("tr");
  const rtf = reply.real_time_factor;
  tr.append(
    cell(clock(reply.started_at)),
    cell(reply.satellite),
    cell(reply.engine),
    cell(reply.voice),
    cell(seconds(reply.first_audio_seconds), "num"),
    cell(seconds(reply.audio_seconds, 1), "num"),
    cell(rtf == null ? "–" : rtf.toFixed(2), "num"),
    cell(String(reply.underruns), reply.underruns ? "num warn" : "num"),
    cell(reply.fallbacks.length ? `→ ${reply.fallbacks.join(" → ")}` : ""),
    badge(reply.outcome || "speaking"),
  );
  return tr;
}

function satelliteRow(satellite) {
  const tr = document.createElement("tr");
  const profile = satellite.profile;
  let described = "";
  if (profile) {
    described = profile.voice || "default voice";
    if (profile.conversational_voice) described += ` / ${profile.conversational_voice}`;
    if (profile.quality) described += `, ${profile.quality}`;
    if (profile.speed) described += `, ${profile.speed}x`;
  }
  tr.append(
    cell(satellite.key),
    cell(described),
    cell(String(satellite.turns), "num"),
    cell(bytes(satellite.history_bytes), "num"),
    cell(satellite.idle_seconds == null ? "–" : `${duration(satellite.idle_seconds)} ago`),
  );
  return tr;
}

function render(status) {
  $("#version").textContent = status.version;
  $("#uptime").textContent = duration(status.uptime_seconds);
  $("#connections").textContent =
    `${status.connections.open} open, ${status.connections.total} in all`;
  const cache = status.cache;
  $("#cache").textContent = !cache
    ? "off"
    : cache.hit_rate == null
      ? "no lookups yet"
      : `${Math.round(cache.hit_rate * 100)} % hits (${cache.hits} of ${cache.hits + cache.misses})`;
  const errors = Object.entries(status.errors);
  $("#errors").textContent = errors.length
    ? errors.map(([code, count]) => `${code} ${count}`).join(", ")
    : "none";
  const replies = status.replies;
  fill($("#engines"), status.engines, engineRow);
  fill($("#active"), replies.in_progress, replyRow);
  fill($("#recent"), replies.recent, replyRow);
  fill($("#satellites"), status.satellites, satelliteRow);
  $("#replies-count").textContent =
    `${replies.in_progress.length} in progress, last ${replies.recent.length}`;
  $("#no-replies").hidden = replies.in_progress.length + replies.recent.length > 0;
  $("#no-satellites").hidden = status.satellites.length > 0;
  $("#text").maxLength = status.limits.max_text_chars;
}

async function refresh() {
  const link = $("#link");
  try {
    const response = await fetch("api/status", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
    link.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    link.classList.remove("down");
  } catch (error) {
    link.textContent = `Server unreachable (${error.message}); retrying`;
    link.classList.add("down");
  }
}

async function loadVoices() {
  const response = await fetch("api/voices", { cache: "no-store" });
  if (!response.ok) return;
  const voices = await response.json();
  voices.sort((a, b) => (b.profile - a.profile) || a.name.localeCompare(b.name));
  $("#voices").replaceChildren(
    ...voices.map((voice) => {
      const option = document.createElement("option");
      option.value = voice.name;
      option.label = `${voice.profile ? "satellite profile · " : ""}${voice.description} (${voice.languages.join(", ")})`;
      return option;
    }),
  );
}

refresh();
loadVoices();
setInterval(() => {
  if (!document.hidden) refresh();
}, REFRESH_MS);
