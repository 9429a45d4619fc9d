// Live updates: the user's events (OCR finished, documents added or moved...) as they happen,
// from the notifications service's WebSocket (/ws on this origin, the session cookie
// authenticating it), or, where that service is not deployed, by polling GET /api/events/.
// Each event is dispatched on `document` as a `quire:event` CustomEvent; the pages' modules
// decide what to redraw. The stream starts after the newest event the page was drawn with
// (<meta name="events-after">, web/ui/live.py), so nothing is replayed and nothing missed.

const POLL_MS = 3000;
const MAX_POLL_MS = 60000;
const RECONNECTS = 5;

let cursor = 0;
let mode = 'off';

function setMode(next) {
  mode = next;
  document.documentElement.dataset.live = next;
}

function deliver(event) {
  if (!event || typeof event.id !== 'number' || event.id <= cursor) return;
  cursor = event.id;
  document.dispatchEvent(new CustomEvent('quire:event', { detail: event }));
}

// Polling: every few seconds while the tab is visible, less often after each failure.
let delay = POLL_MS;
let timer = null;

function schedule(wait) {
  clearTimeout(timer);
  timer = setTimeout(poll, wait);
}

async function poll() {
  timer = null;
  if (document.visibilityState !== 'visible') return;
  let response;
  try {
    response = await fetch(`/api/events/?after=${cursor}`, {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
    });
  } catch {
    response = null;
  }
  // Signed out (elsewhere): nothing more to hear; the next click goes to the sign-in page.
  if (response && response.status === 401) { setMode('off'); return; }
  if (response && response.ok) {
    const events = await response.json();
    events.forEach(deliver);
    delay = POLL_MS;
    // A full batch means there are more: fetch them at once.
    schedule(events.length >= 100 ? 0 : delay);
  } else {
    delay = Math.min(delay * 2, MAX_POLL_MS);
    schedule(delay);
  }
}

function startPolling() {
  setMode('polling');
  delay = POLL_MS;
  schedule(delay);
}

document.addEventListener('visibilitychange', () => {
  if (mode === 'polling' && document.visibilityState === 'visible' && timer === null) schedule(0);
});

// The socket: reconnected after a drop (from where it left off), polling if it cannot be had.
let failures = 0;

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  let socket;
  try {
    socket = new WebSocket(`${scheme}://${location.host}/ws?after=${cursor}`);
  } catch {
    startPolling();
    return;
  }
  let opened = false;
  socket.addEventListener('open', () => {
    opened = true;
    failures = 0;
    setMode('socket');
  });
  socket.addEventListener('message', (message) => {
    let frame;
    try { frame = JSON.parse(message.data); } catch { return; }
    if (frame && frame.v === 1 && frame.type === 'event') deliver(frame.event);
  });
  socket.addEventListener('close', () => {
    // Never opened: no notifications service here (404) or it is down: poll instead.
    if (!opened || ++failures > RECONNECTS) {
      startPolling();
      return;
    }
    setMode('reconnecting');
    setTimeout(connect, 1000 * 2 ** failures);
  });
}

export function start() {
  const meta = document.querySelector('meta[name="events-after"]');
  if (!meta || mode !== 'off') return;
  cursor = Number(meta.content) || 0;
  if ('WebSocket' in window) connect(); else startPolling();
}

// Which node an event is about: `node_id`, or the `document_id` the OCR events name.
export function nodeOf(event) {
  const payload = event.payload || {};
  return payload.node_id || payload.document_id || null;
}
