// "Try a voice": streams api/speak and plays it as it arrives (Web Audio), like a satellite
// hears a reply; once complete, the file goes to the audio element to replay or save.
"use strict";

// The preview's text travels in the URL, which proxies (Home Assistant's too) limit to 8 KiB
const MAX_QUERY = 7000;
const WAV_HEADER_BYTES = 44;
const SAMPLE_RATE = 24000;
const LEAD_SECONDS = 0.05;

let previewUrl = null;
let playing = null;

function element(selector) {
  return document.querySelector(selector);
}

// Plays 16-bit mono PCM after the WAV header as it comes; returns the whole file.
async function playAsItComes(response, context, onFirstSound) {
  const reader = response.body.getReader();
  const parts = [];
  let received = 0;
  let odd = null; // a byte of a sample split between two parts
  let playAt = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    const header = Math.max(0, Math.min(WAV_HEADER_BYTES - received, value.length));
    received += value.length;
    let bytes = value.subarray(header);
    if (odd !== null) {
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = odd;
      joined.set(bytes, 1);
      bytes = joined;
      odd = null;
    }
    if (bytes.length % 2) {
      odd = bytes[bytes.length - 1];
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    if (bytes.length === 0) continue;
    const pcm = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const buffer = context.createBuffer(1, bytes.length / 2, SAMPLE_RATE);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < channel.length; i++) channel[i] = pcm.getInt16(2 * i, true) / 32768;
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    // Back to back; after a stall (or at the start) with a little lead
    playAt = Math.max(playAt, context.currentTime + LEAD_SECONDS);
    source.start(playAt);
    playAt += buffer.duration;
    if (onFirstSound) onFirstSound();
    onFirstSound = null;
  }
  const file = new Uint8Array(received);
  let offset = 0;
  for (const part of parts) {
    file.set(part, offset);
    offset += part.length;
  }
  if (received >= WAV_HEADER_BYTES) {
    // The stream left the lengths open; the file knows them
    const header = new DataView(file.buffer);
    header.setUint32(4, received - 8, true);
    header.setUint32(40, received - WAV_HEADER_BYTES, true);
  }
  return new Blob([file], { type: "audio/wav" });
}

async function problemOf(response) {
  try {
    const error = await response.json();
    return `${error.code}: ${error.message}`;
  } catch (_) {
    return `HTTP ${response.status}`; // not JSON: a proxy answered
  }
}

function metadataOf(audio) {
  return new Promise((resolve) => {
    if (audio.readyState >= 1) resolve();
    else audio.addEventListener("loadedmetadata", resolve, { once: true });
  });
}

async function speak(event) {
  event.preventDefault();
  const button = element("#speak");
  const result = element("#preview-result");
  const audio = element("#preview-audio");
  const query = new URLSearchParams({ text: element("#text").value, stream: "1" });
  const voice = element("#voice").value.trim();
  if (voice) query.set("voice", voice);
  if (element("#quality").value) query.set("quality", element("#quality").value);
  if (element("#ssml").checked) query.set("format", "ssml");
  if (query.toString().length > MAX_QUERY) {
    result.className = "result error";
    result.textContent = "This text is too long for a preview from the page: shorten it.";
    return;
  }
  // Made during the click, so that the browser lets it play
  if (playing) playing.close();
  const context = new AudioContext({ sampleRate: SAMPLE_RATE });
  playing = context;
  audio.pause();
  button.disabled = true;
  result.className = "result";
  result.textContent = "Speaking…";
  const started = performance.now();
  let firstSound = null;
  try {
    const response = await fetch(`api/speak?${query}`, { cache: "no-store" });
    if (!response.ok) throw new Error(await problemOf(response));
    const wav = await playAsItComes(response, context, () => {
      firstSound = (performance.now() - started) / 1000;
      result.textContent = `Playing: first sound after ${firstSound.toFixed(2)} s…`;
    });
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(wav);
    audio.src = previewUrl;
    await metadataOf(audio);
    const heard = firstSound === null ? "nothing to say" : `first sound after ${firstSound.toFixed(2)} s`;
    result.textContent = `${audio.duration.toFixed(1)} s of audio, ${heard}`;
  } catch (error) {
    result.className = "result error";
    result.textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

element("#preview").addEventListener("submit", speak);
// Replaying the file stops what still plays as it came
element("#preview-audio").addEventListener("play", () => {
  if (playing) playing.close();
  playing = null;
});
