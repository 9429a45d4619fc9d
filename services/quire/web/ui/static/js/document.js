// The document viewer's tags: chips with a remove button, and a field that suggests the
// user's tags as they type (a <datalist> filled from /api/tags/) and creates a new tag on the
// fly. Each change is one API call; the chips are redrawn from its answer.
import { api, format, messages, say, sayError } from './api.js';
import { colourTags, decorate } from './decorate.js';
import { dirty as pagesChanged, init as initPages, startAfresh } from './pages.js';
import { nodeOf } from './live.js';

function chip(tag) {
  const item = document.createElement('li');
  item.className = 'tag';
  item.dataset.bg = tag.bg_color || '';
  item.dataset.fg = tag.fg_color || '';
  item.dataset.name = tag.name;
  const name = document.createElement('span');
  name.textContent = tag.name;
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'chip-remove';
  remove.dataset.action = 'remove-tag';
  remove.setAttribute('aria-label', format(messages.remove_tag, { name: tag.name }));
  remove.textContent = '×';
  item.append(name, remove);
  return item;
}

function showTags(tags) {
  const list = document.getElementById('document-tags');
  list.replaceChildren(...tags.map(chip));
  colourTags(list);
}

function debounce(run, wait) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => run(...args), wait); };
}

async function suggest(text) {
  const query = new URLSearchParams({ page_size: '20', filter: text });
  const page = await api('GET', `/api/tags/?${query}`);
  const options = page.items.map((tag) => {
    const option = document.createElement('option');
    option.value = tag.name;
    return option;
  });
  document.getElementById('tag-suggestions').replaceChildren(...options);
}

// Zoom: the pages' width in steps; past 150 % the pages come as the larger preview (lg).
const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];

function zoomTo(step) {
  const pages = document.getElementById('pages');
  const zoom = ZOOMS[step];
  pages.style.setProperty('--zoom', String(zoom));
  document.getElementById('zoom-level').textContent = `${Math.round(zoom * 100)}%`;
  if (zoom >= 1.5) {
    for (const image of pages.querySelectorAll('img[data-large]')) {
      image.src = image.dataset.large;
      image.removeAttribute('data-large');
    }
  }
}

function initZoom() {
  let step = ZOOMS.indexOf(1);
  document.querySelector('.zoom')?.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-zoom]');
    if (!button) return;
    const { zoom } = button.dataset;
    step = zoom === 'fit' ? ZOOMS.indexOf(1) : Math.min(Math.max(step + (zoom === 'in' ? 1 : -1), 0), ZOOMS.length - 1);
    zoomTo(step);
  });
}

const documentId = () => document.querySelector('.document-page').dataset.documentId;

// Parts of the page drawn anew from the server (after a change, or an event): the same
// template, so the same markup as a reload, without losing what else is on the screen.
async function redraw(selectors) {
  const response = await fetch(location.pathname, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
  for (const selector of selectors) {
    const now = document.querySelector(selector);
    const next = fresh.querySelector(selector);
    if (now && next) {
      const adopted = document.adoptNode(next);
      now.replaceWith(adopted);
      decorate(adopted);
    }
  }
}

function showError(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

async function runOcr(form) {
  const error = document.getElementById('ocr-form-error');
  const lang = [...form.querySelectorAll('input[name="lang"]:checked')].map((box) => box.value).join('+');
  if (!lang) { showError(error, messages.ocr_choose_language); return; }
  showError(error, '');
  try {
    await api('POST', '/api/tasks/ocr', { document_id: documentId(), lang });
    const status = document.getElementById('ocr-status');
    status.dataset.status = 'RECEIVED';
    status.querySelector('.ocr-state').textContent = messages.ocr_queued;
    say(messages.ocr_started);
  } catch (failure) {
    showError(error, failure.message);
  }
}

async function changeType(form) {
  const error = document.getElementById('type-error');
  const chosen = form.elements.document_type_id.value || null;
  try {
    await api('PATCH', `/api/documents/${documentId()}/type`, { document_type_id: chosen });
    await redraw(['#metadata']);
    say(messages.type_changed);
    document.getElementById('document-type')?.focus();
  } catch (failure) {
    showError(error, failure.message);
  }
}

function fieldValue(field) {
  const input = field.querySelector('[name="value"]');
  if (field.dataset.fieldType === 'boolean') return input.value === '' ? null : input.value === 'true';
  return input.value.trim() === '' ? null : input.value.trim();
}

// The API's 422 lists each bad item with its place in the body (["body", index, ...]): each
// message goes beside its field, read out with it (aria-describedby, aria-invalid).
function showFieldErrors(fields, failure) {
  const general = document.getElementById('fields-error');
  const items = Array.isArray(failure.detail) ? failure.detail : [];
  let placed = 0;
  for (const item of items) {
    const index = Array.isArray(item.loc) ? item.loc[1] : undefined;
    const field = typeof index === 'number' ? fields[index] : undefined;
    if (!field) continue;
    const note = field.querySelector('.field-error');
    showError(note, item.msg);
    field.querySelector('[name="value"]').setAttribute('aria-invalid', 'true');
    placed += 1;
  }
  showError(general, placed ? '' : failure.message);
  const first = fields.find((field) => field.querySelector('[aria-invalid="true"]'));
  first?.querySelector('[name="value"]').focus();
}

async function saveFields(form) {
  const fields = [...form.querySelectorAll('.field')];
  for (const field of fields) {
    showError(field.querySelector('.field-error'), '');
    field.querySelector('[name="value"]').removeAttribute('aria-invalid');
  }
  showError(document.getElementById('fields-error'), '');
  const body = fields.map((field) => ({ custom_field_id: field.dataset.fieldId, value: fieldValue(field) }));
  try {
    await api('PATCH', `/api/documents/${documentId()}/custom-fields`, body);
    say(messages.fields_saved);
  } catch (failure) {
    showFieldErrors(fields, failure);
  }
}

// Background work on this document that the page cannot know of otherwise. The user's own
// edits (type, fields, tags) are drawn as they are made: redrawing the details for their events
// would wipe a form being filled in.
const REDRAWN_FOR = new Set(['ocr.started', 'ocr.succeeded', 'ocr.failed', 'pages.changed']);

// An event about this document: its OCR state and versions drawn anew; its pages too when a
// new version came and nothing is being rearranged in the rail.
async function onEvent(event) {
  if (nodeOf(event.detail) !== documentId() || !REDRAWN_FOR.has(event.detail.kind)) return;
  const parts = ['#document-details'];
  if (event.detail.kind === 'ocr.succeeded' && !pagesChanged()) parts.push('#rail-pages', '#page-figures');
  await redraw(parts);
  if (parts.includes('#rail-pages')) startAfresh();
  if (event.detail.kind === 'ocr.succeeded') say(messages.ocr_done);
  if (event.detail.kind === 'ocr.failed') say(messages.ocr_failed);
}

function initForms() {
  const root = document.querySelector('.document-page');
  // Delegated: the details are drawn anew after changes, their forms with them.
  root.addEventListener('submit', (event) => {
    const handlers = { 'ocr-form': runOcr, 'type-form': changeType, 'fields-form': saveFields };
    const handler = handlers[event.target.id];
    if (!handler) return;
    event.preventDefault();
    handler(event.target);
  });
  document.addEventListener('quire:event', (event) => { onEvent(event).catch(() => {}); });
}

export function init() {
  initZoom();
  initPages();
  initForms();
  const form = document.getElementById('tag-form');
  const input = document.getElementById('tag-input');
  input.addEventListener('input', debounce(() => suggest(input.value.trim()).catch(() => {}), 200));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (!name) return;
    try {
      const node = await api('PATCH', `/api/nodes/${documentId()}/tags`, [name]);
      showTags(node.tags);
      input.value = '';
      say(format(messages.tag_added, { name }));
    } catch (error) {
      sayError(error);
    }
  });
  document.getElementById('document-tags').addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action="remove-tag"]');
    if (!button) return;
    const name = button.closest('.tag').dataset.name;
    try {
      const node = await api('DELETE', `/api/nodes/${documentId()}/tags`, [name]);
      showTags(node.tags);
      say(format(messages.tag_removed, { name }));
    } catch (error) {
      sayError(error);
    }
  });
  // For whoever waits on the page's controls to work (the e2e tests): they do now.
  document.querySelector('.document-page').dataset.ready = '1';
}
