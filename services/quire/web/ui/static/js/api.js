// Calls to /api with the session cookie: every write carries the page's CSRF token, which the
// API checks for cookie-authenticated requests (web/session.py). Errors become ApiError with
// the API's own reason (its JSON "detail").

export const messages = JSON.parse(document.getElementById('messages')?.textContent || '{}');

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || '';
}

// "Moved {title}" with {title: "x"} -> "Moved x" (text only: callers put it in textContent).
export function format(template, values = {}) {
  return String(template).replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

export class ApiError extends Error {
  constructor(status, reason, detail) {
    super(reason);
    this.status = status;
    // The API's "detail" as it came: a 422's list says which item of the body was wrong.
    this.detail = detail;
  }
}

// The API's reason for a refusal: "detail" as text, or FastAPI's list of field errors.
export function reasonOf(data, status) {
  const detail = data && data.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) return detail.map((item) => item.msg || JSON.stringify(item)).join('; ');
  return `HTTP ${status}`;
}

export function toSignIn() {
  const next = location.pathname + location.search;
  location.assign(`/signin?next=${encodeURIComponent(next)}`);
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json', 'X-CSRF-Token': csrfToken() };
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, messages.network_error);
  }
  if (response.status === 401) {
    toSignIn();
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, reasonOf(data, response.status), data && data.detail);
  return data;
}

// A short message in the page's live region, read out by screen readers.
export function say(text, action) {
  const status = document.getElementById('status');
  if (!status) return;
  status.replaceChildren(document.createTextNode(text));
  if (action) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'small';
    button.textContent = action.label;
    button.addEventListener('click', () => { status.replaceChildren(); action.run(); }, { once: true });
    status.append(' ', button);
  }
  status.classList.add('visible');
  clearTimeout(say.timer);
  say.timer = setTimeout(() => status.classList.remove('visible'), action ? 10000 : 5000);
}

export function sayError(error) {
  say(format(messages.request_failed, { reason: error.message }));
}
