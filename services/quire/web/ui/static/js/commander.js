// The commander's moves: a row dragged onto the other panel (or onto a folder row) or moved
// with its arrow button goes through POST /api/nodes/move, the API's one move; then both
// panels are read again. A refusal (a title taken there...) is shown as the API words it.
import { api, ApiError, format, say } from './api.js';
import { words } from './browse_messages.js';
import { decorate } from './decorate.js';

const DRAG_TYPE = 'application/x-quire-node';

function showError(text) {
  const error = document.getElementById('commander-error');
  error.textContent = text;
  error.hidden = !text;
}

async function refreshPanels() {
  const response = await fetch(location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), 'text/html');
  const fresh = page.getElementById('panels');
  if (!fresh) return;
  const adopted = document.adoptNode(fresh);
  document.getElementById('panels').replaceWith(adopted);
  decorate(adopted);
  bindDragging(adopted);
}

async function move(node, targetId) {
  showError('');
  try {
    await api('POST', '/api/nodes/move', { source_ids: [node.id], target_id: targetId });
  } catch (error) {
    const reason = error instanceof ApiError ? error.message : String(error);
    showError(format(words.move_failed, { title: node.title, reason }));
    return;
  }
  await refreshPanels();
  say(format(words.moved, { title: node.title }));
  document.getElementById('panels').querySelector(`[data-folder-id="${CSS.escape(targetId)}"]`)?.focus();
}

// Where a drop lands: a folder row (into that folder), else the panel's folder.
function dropTarget(element) {
  const row = element.closest('li[data-ctype="folder"]');
  if (row) return row.dataset.id;
  return element.closest('.panel')?.dataset.folderId;
}

function bindDragging(root) {
  root.addEventListener('dragstart', (event) => {
    const row = event.target.closest('li[data-id]');
    if (!row) return;
    event.dataTransfer.setData(DRAG_TYPE, JSON.stringify({ id: row.dataset.id, title: row.dataset.title }));
    event.dataTransfer.effectAllowed = 'move';
    row.classList.add('dragging');
  });
  root.addEventListener('dragend', (event) => event.target.closest?.('li')?.classList.remove('dragging'));
  root.addEventListener('dragover', (event) => {
    if (![...event.dataTransfer.types].includes(DRAG_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
    for (const marked of root.querySelectorAll('.drop-target')) marked.classList.remove('drop-target');
    (event.target.closest('li[data-ctype="folder"]') || event.target.closest('.panel'))?.classList.add('drop-target');
  });
  root.addEventListener('drop', (event) => {
    const data = event.dataTransfer.getData(DRAG_TYPE);
    if (!data) return;
    event.preventDefault();
    for (const marked of root.querySelectorAll('.drop-target')) marked.classList.remove('drop-target');
    const node = JSON.parse(data);
    const target = dropTarget(event.target);
    if (target && target !== node.id) move(node, target);
  });
  root.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-move-to]');
    if (!button) return;
    const row = button.closest('li[data-id]');
    move({ id: row.dataset.id, title: row.dataset.title }, button.dataset.moveTo);
  });
}

export function init() {
  bindDragging(document.getElementById('panels'));
}
