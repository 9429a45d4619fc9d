// Page operations in the thumbnails rail: reorder (drag and drop, or the arrow buttons),
// rotate, delete; nothing changes until "Apply", which sends them all as one
// POST /api/pages/ (the API's own operation: one new version). Then the page reloads.
// The pages ticked in the rail can be extracted into new documents (POST /api/pages/extract)
// or moved to another document (POST /api/pages/move); other documents can be merged into
// this one (POST /api/documents/merge). Each of these is one request from its dialog.
import { api, format, messages, sayError } from './api.js';
import { chosenIds, initPicker } from './picker.js';

const rail = () => document.getElementById('rail-pages');
const items = () => [...rail().children];
let original = [];

function changed() {
  const now = items();
  return now.some((item, index) => item !== original[index]
    || item.dataset.angle !== '0' || item.dataset.deleted === '1');
}

export function dirty() {
  return original.length > 0 && changed();
}

function selected() {
  return items().filter((item) => item.querySelector('[data-pages-select]')?.checked);
}

function updateSelection() {
  const count = selected().length;
  const state = document.getElementById('page-selection-state');
  if (!state) return;
  // Ids of a version about to be replaced would be refused: apply or undo first.
  const blocked = changed();
  for (const button of document.querySelectorAll('[data-pages="extract"], [data-pages="move"]')) {
    button.disabled = !count || blocked;
  }
  if (blocked && count) state.textContent = messages.pages_apply_first;
  else state.textContent = count ? format(messages.pages_selected, { count }) : messages.pages_select_hint;
}

function update() {
  updateSelection();
  const dirty = changed();
  document.querySelector('[data-pages="apply"]').disabled = !dirty;
  document.querySelector('[data-pages="reset"]').disabled = !dirty;
  document.getElementById('page-edit-state').textContent = dirty ? messages.pages_changed : messages.pages_unchanged;
}

function rotate(item) {
  const angle = (Number(item.dataset.angle) + 90) % 360;
  item.dataset.angle = String(angle);
  // Turned sideways, a portrait thumbnail is shrunk to stay within the rail.
  const scale = angle % 180 ? 0.7 : 1;
  item.querySelector('img').style.setProperty('transform', `rotate(${angle}deg) scale(${scale})`);
}

function toggleDelete(item, button) {
  const deleted = item.dataset.deleted !== '1';
  item.dataset.deleted = deleted ? '1' : '0';
  item.classList.toggle('deleted', deleted);
  button.setAttribute('aria-pressed', String(deleted));
}

function move(item, button, direction) {
  const sibling = direction < 0 ? item.previousElementSibling : item.nextElementSibling;
  if (!sibling) return;
  if (direction < 0) sibling.before(item); else sibling.after(item);
  button.focus();
}

function reset() {
  for (const item of original) {
    rail().append(item);
    item.dataset.angle = '0';
    item.dataset.deleted = '0';
    item.classList.remove('deleted');
    item.querySelector('img').style.removeProperty('transform');
    item.querySelector('[data-pages="delete"]').setAttribute('aria-pressed', 'false');
  }
}

async function apply() {
  const kept = items().filter((item) => item.dataset.deleted !== '1');
  if (!kept.length) {
    document.getElementById('page-edit-state').textContent = messages.pages_none_left;
    return;
  }
  const body = kept.map((item) => ({
    page: { id: item.dataset.pageId, number: Number(item.dataset.number) },
    angle: Number(item.dataset.angle),
  }));
  document.getElementById('page-edit-state').textContent = messages.pages_applying;
  document.querySelector('[data-pages="apply"]').disabled = true;
  try {
    await api('POST', '/api/pages/', body);
    location.reload();
  } catch (error) {
    sayError(error);
    update();
  }
}

const documentId = () => document.querySelector('.document-page').dataset.documentId;
const folderId = () => document.querySelector('.document-page').dataset.folderId;

// Opens a page operation's <dialog>; `commit(form)` does the work, and an error it throws (the
// API's reason) is shown in the dialog, which stays open.
function openDialog(id, commit) {
  const box = document.getElementById(id);
  const form = box.querySelector('form');
  const error = box.querySelector('.error');
  for (const count of box.querySelectorAll('[data-selected-count]')) {
    count.textContent = format(messages.pages_selected, { count: selected().length });
  }
  error.hidden = true;
  const submit = async (event) => {
    event.preventDefault();
    error.hidden = true;
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      await commit(form);
    } catch (failure) {
      error.textContent = failure.message || String(failure);
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  };
  form.onsubmit = submit;
  box.querySelector('[data-close]').onclick = () => box.close();
  box.showModal();
  return box;
}

function pageIds() {
  return selected().map((item) => item.dataset.pageId);
}

function extract() {
  openDialog('extract-dialog', async (form) => {
    const folder = folderId();
    const answer = await api('POST', '/api/pages/extract', {
      source_page_ids: pageIds(),
      target_folder_id: folder,
      strategy: form.elements.strategy.value,
      title_format: form.elements.title_format.value.trim(),
    });
    // Every page gone: the document went with them; its folder shows the new ones.
    location.assign(answer.source ? location.pathname : `/folders/${folder}`);
  });
}

const pickers = new Map();

function picker(box) {
  const root = box.querySelector('.picker');
  if (!pickers.has(root)) pickers.set(root, initPicker(root));
  pickers.get(root).refresh();
  return root;
}

function moveTo() {
  const box = openDialog('move-dialog', async (form) => {
    const [targetId] = chosenIds(root);
    if (!targetId) throw new Error(messages.choose_document);
    const target = await api('GET', `/api/documents/${targetId}`);
    const pages = target.versions.at(-1)?.pages || [];
    if (!pages.length) throw new Error(messages.target_has_no_pages);
    const placing = form.elements.placing.value;
    const answer = await api('POST', '/api/pages/move', {
      source_page_ids: pageIds(),
      target_page_id: (placing === 'after' ? pages.at(-1) : pages[0]).id,
      move_strategy: placing === 'replace' ? 'replace' : 'mix',
      position: placing === 'after' ? 'after' : 'before',
    });
    location.assign(answer.source ? location.pathname : `/documents/${targetId}`);
  });
  const root = picker(box);
}

function merge() {
  const box = openDialog('merge-dialog', async () => {
    const sources = chosenIds(root);
    if (!sources.length) throw new Error(messages.choose_document);
    await api('POST', '/api/documents/merge', { source_ids: sources, target_id: documentId() });
    location.reload();
  });
  const root = picker(box);
}

function onClick(event) {
  const button = event.target.closest('button[data-pages]');
  if (!button) return;
  const item = button.closest('li');
  const action = button.dataset.pages;
  if (action === 'apply') { apply(); return; }
  if (action === 'extract') { extract(); return; }
  if (action === 'move') { moveTo(); return; }
  if (action === 'merge') { merge(); return; }
  if (action === 'reset') reset();
  if (action === 'rotate') rotate(item);
  if (action === 'delete') toggleDelete(item, button);
  if (action === 'up' || action === 'down') move(item, button, action === 'up' ? -1 : 1);
  update();
}

function enableDragging() {
  let dragged = null;
  rail().addEventListener('dragstart', (event) => {
    dragged = event.target.closest('li');
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', dragged.dataset.pageId);
    dragged.classList.add('dragging');
  });
  rail().addEventListener('dragend', () => {
    for (const item of rail().querySelectorAll('.dragging')) item.classList.remove('dragging');
    dragged = null;
  });
  rail().addEventListener('dragover', (event) => {
    if (dragged) event.preventDefault();
  });
  rail().addEventListener('drop', (event) => {
    const target = event.target.closest('li');
    if (!dragged || !target || target === dragged) return;
    event.preventDefault();
    const box = target.getBoundingClientRect();
    if (event.clientY < box.top + box.height / 2) target.before(dragged); else target.after(dragged);
    dragged = null;
    update();
  });
}

// After a new version arrived (live.js), the rail is drawn anew: what it started with now.
export function startAfresh() {
  original = items();
  update();
}

export function init() {
  if (!rail()) return;
  original = items();
  const side = document.querySelector('.rail');
  side.addEventListener('click', onClick);
  side.addEventListener('change', (event) => {
    if (event.target.matches('[data-pages-select]')) updateSelection();
  });
  enableDragging();
}
