// Page operations in the thumbnails rail: reorder (drag and drop, or the arrow buttons),
// rotate, delete; nothing changes until "Apply", which sends them all as one
// POST /api/pages/ (the API's own operation: one new version). Then the page reloads.
import { api, messages, sayError } from './api.js';

const rail = () => document.getElementById('rail-pages');
const items = () => [...rail().children];
let original = [];

function changed() {
  const now = items();
  return now.some((item, index) => item !== original[index]
    || item.dataset.angle !== '0' || item.dataset.deleted === '1');
}

function update() {
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

function onClick(event) {
  const button = event.target.closest('button[data-pages]');
  if (!button) return;
  const item = button.closest('li');
  const action = button.dataset.pages;
  if (action === 'apply') { apply(); return; }
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

export function init() {
  if (!rail()) return;
  original = items();
  document.querySelector('.rail').addEventListener('click', onClick);
  enableDragging();
}
