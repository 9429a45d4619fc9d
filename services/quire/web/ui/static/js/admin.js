// The administration forms: each form[data-api-form] is sent to the API as JSON (with the
// session's CSRF token, api.js), and each button[data-api-call] sends one request. The API's
// validation errors (422: a list, each naming its field in `loc`) go beside their fields; a
// refusal (409: a name taken) beside the form's data-conflict-field, else above the form.
import { api, ApiError, messages } from './api.js';

const words = JSON.parse(document.getElementById('admin-messages')?.textContent || '{}');

// The body from the form's named fields, by their data-kind: list (checked boxes' values, in
// page order), bool (a checkbox), int (empty: null), nullable (empty: null), optional (empty:
// left out); else the text.
function bodyOf(form) {
  const body = {};
  for (const element of form.elements) {
    const { name } = element;
    if (!name || name === 'csrf_token' || element.disabled) continue;
    const kind = element.dataset.kind;
    const value = element.value.trim();
    if (kind === 'list') {
      body[name] = body[name] || [];
      if (element.checked) body[name].push(element.value);
    } else if (kind === 'bool') {
      body[name] = element.checked;
    } else if (kind === 'int') {
      body[name] = value === '' ? null : Number(value);
    } else if (kind === 'nullable') {
      body[name] = value === '' ? null : value;
    } else if (kind === 'optional') {
      if (value !== '') body[name] = element.value;
    } else {
      body[name] = element.tagName === 'SELECT' ? element.value : value;
    }
  }
  return body;
}

function clearErrors(form) {
  for (const box of form.querySelectorAll('[data-error-for]')) {
    box.hidden = true;
    box.textContent = '';
  }
  for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
  const general = form.querySelector('.form-error');
  general.hidden = true;
  general.textContent = '';
}

function showFieldError(form, name, text) {
  const box = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
  if (!box) return false;
  box.textContent = box.textContent ? `${box.textContent} ${text}` : text;
  box.hidden = false;
  for (const field of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) field.setAttribute('aria-invalid', 'true');
  return true;
}

function showErrors(form, status, data) {
  const general = form.querySelector('.form-error');
  const unplaced = [];
  const detail = data && data.detail;
  if (Array.isArray(detail)) {
    for (const item of detail) {
      const loc = Array.isArray(item.loc) ? item.loc : [];
      const name = loc[0] === 'body' ? loc[1] : loc[0];
      if (!(typeof name === 'string' && showFieldError(form, name, item.msg))) unplaced.push(item.msg);
    }
  } else {
    const text = typeof detail === 'string' ? detail : `HTTP ${status}`;
    const field = form.dataset.conflictField;
    if (!(status === 409 && field && showFieldError(form, field, text))) unplaced.push(text);
  }
  general.textContent = unplaced.length ? unplaced.join(' ') : words.form_invalid;
  general.hidden = false;
  (form.querySelector('[aria-invalid="true"]') || general).focus?.();
}

// fetch with the API's JSON body kept, for the field errors (api() keeps only the reason).
async function send(method, url, body) {
  const headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
  headers['X-CSRF-Token'] = document.querySelector('meta[name="csrf-token"]')?.content || '';
  const response = await fetch(url, { method, headers, credentials: 'same-origin', body: JSON.stringify(body) });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  return { response, data };
}

function showToken(data) {
  const box = document.getElementById('new-token');
  if (!box || !data || typeof data.token !== 'string') return false;
  document.getElementById('new-token-value').textContent = data.token;
  box.hidden = false;
  return true;
}

async function refreshRegion(id) {
  const response = await fetch(location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
  const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById(id);
  if (fresh) document.getElementById(id).replaceWith(document.adoptNode(fresh));
}

async function submit(event) {
  const form = event.target.closest('form[data-api-form]');
  if (!form) return;
  event.preventDefault();
  clearErrors(form);
  form.querySelector('.form-status').textContent = '';
  let sent;
  try {
    sent = await send(form.dataset.method, form.dataset.url, bodyOf(form));
  } catch {
    showErrors(form, 0, { detail: messages.network_error });
    return;
  }
  const { response, data } = sent;
  if (response.status === 401) location.assign(`/signin?next=${encodeURIComponent(location.pathname)}`);
  if (!response.ok) {
    showErrors(form, response.status, data);
    return;
  }
  if (showToken(data)) {
    form.reset();
    await refreshRegion('token-list');
    return;
  }
  const next = form.dataset.next;
  if (next) {
    location.assign(next.replace('{id}', data && data.id ? encodeURIComponent(data.id) : ''));
    return;
  }
  form.querySelector('.form-status').textContent = words.saved;
}

async function call(button) {
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  const error = button.closest('section, main').querySelector('.call-error');
  if (error) error.hidden = true;
  try {
    await api(button.dataset.method, button.dataset.url, button.dataset.body ? JSON.parse(button.dataset.body) : undefined);
  } catch (failure) {
    if (!error) throw failure;
    error.textContent = failure instanceof ApiError ? failure.message : String(failure);
    error.hidden = false;
    return;
  }
  if (button.dataset.next) location.assign(button.dataset.next);
  else location.reload();
}

export function init() {
  document.addEventListener('submit', (event) => { submit(event); });
  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-api-call]');
    if (button) call(button);
  });
}
