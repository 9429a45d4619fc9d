// The sidebar's folder tree, an ARIA tree whose items are the folders' links (WAI-ARIA APG's
// "navigation tree view"): the roots come with the page, a folder's subfolders are read when it
// is first expanded, from GET /api/nodes/{id} (the API's listing: folders come first, so reading
// stops at the first document). One item is in the tab order at a time; the arrow keys, Home and
// End move, Right and Left expand and collapse, Enter opens the folder (it is a link). The
// current folder's ancestors are expanded at load. A row of the folder's listing dragged onto a
// folder of the tree is moved there by POST /api/nodes/move (the commander's move).
import { api, ApiError, format, say } from './api.js';
import { words } from './browse_messages.js';
import { refreshListing } from './listing.js';

// Large pages: a folder of thousands of subfolders is read in a few requests.
const PAGE_SIZE = 500;
const tree = () => document.getElementById('folder-tree');
const ITEM = 'a[role="treeitem"]';
const nodeOf = (item) => item.closest('li');
const groupOf = (item) => nodeOf(item).querySelector(':scope > ul');

async function subfolders(folderId) {
  const folders = [];
  for (let page = 1; ; page += 1) {
    const query = new URLSearchParams({ page_size: String(PAGE_SIZE), page_number: String(page) });
    const listing = await api('GET', `/api/nodes/${folderId}?${query}`);
    const found = listing.items.filter((item) => item.ctype === 'folder');
    folders.push(...found);
    if (found.length < listing.items.length || page >= listing.num_pages) return folders;
  }
}

function treeNode(folder) {
  const node = document.createElement('li');
  node.setAttribute('role', 'none');
  node.dataset.id = folder.id;
  const row = document.createElement('span');
  row.className = 'tree-row';
  const toggle = document.createElement('span');
  toggle.className = 'tree-toggle';
  toggle.setAttribute('aria-hidden', 'true');
  const link = document.createElement('a');
  link.setAttribute('role', 'treeitem');
  link.setAttribute('aria-expanded', 'false');
  link.setAttribute('aria-owns', `tree-group-${folder.id}`);
  link.href = `/folders/${folder.id}`;
  link.tabIndex = -1;
  link.textContent = folder.title;
  if (folder.id === tree().dataset.current) link.setAttribute('aria-current', 'page');
  row.append(toggle, link);
  node.append(row);
  return node;
}

// An item's subfolders being read: a second key press while they load waits for the same read.
const loading = new WeakMap();

async function load(item) {
  item.setAttribute('aria-busy', 'true');
  try {
    const folders = await subfolders(nodeOf(item).dataset.id);
    const group = document.createElement('ul');
    group.setAttribute('role', 'group');
    group.id = `tree-group-${nodeOf(item).dataset.id}`;
    group.append(...folders.map(treeNode));
    nodeOf(item).append(group);
    // A folder without subfolders is a leaf: no expanded state at all (APG).
    if (!folders.length) {
      item.removeAttribute('aria-expanded');
      item.removeAttribute('aria-owns');
    }
  } finally {
    item.removeAttribute('aria-busy');
    loading.delete(item);
  }
}

async function expand(item) {
  if (item.getAttribute('aria-expanded') === 'true') return;
  if (!groupOf(item)) {
    if (!loading.has(item)) loading.set(item, load(item));
    await loading.get(item);
  }
  groupOf(item).hidden = false;
  if (item.hasAttribute('aria-expanded')) item.setAttribute('aria-expanded', 'true');
}

function collapse(item) {
  if (item.getAttribute('aria-expanded') !== 'true') return;
  item.setAttribute('aria-expanded', 'false');
  groupOf(item).hidden = true;
}

// The items a reader sees, in order: those not inside a collapsed item's group.
function visibleItems() {
  return [...tree().querySelectorAll(ITEM)].filter((item) => !item.closest('ul[hidden]'));
}

function makeTabStop(item) {
  for (const other of tree().querySelectorAll(`${ITEM}[tabindex="0"]`)) other.tabIndex = -1;
  item.tabIndex = 0;
}

function focusItem(item) {
  if (!item) return;
  makeTabStop(item);
  item.focus();
}

function parentItem(item) {
  return nodeOf(item).parentElement.closest('li')?.querySelector(`:scope > .tree-row > ${ITEM}`);
}

function onKey(event) {
  const item = event.target.closest(ITEM);
  if (!item || event.altKey || event.ctrlKey || event.metaKey) return;
  const items = visibleItems();
  const index = items.indexOf(item);
  const expanded = item.getAttribute('aria-expanded');
  const keys = {
    ArrowDown: () => focusItem(items[index + 1]),
    ArrowUp: () => focusItem(items[index - 1]),
    Home: () => focusItem(items[0]),
    End: () => focusItem(items[items.length - 1]),
    ArrowRight: () => {
      if (expanded === 'false') return expand(item);
      if (expanded === 'true') return focusItem(groupOf(item).querySelector(ITEM));
      return undefined;
    },
    ArrowLeft: () => (expanded === 'true' ? collapse(item) : focusItem(parentItem(item))),
  };
  const run = keys[event.key];
  if (!run) return;
  event.preventDefault();
  Promise.resolve(run()).catch(showError);
}

function showError(error) {
  const note = document.createElement('p');
  note.className = 'error';
  note.setAttribute('role', 'alert');
  note.textContent = format(words.load_failed, { reason: error.message });
  tree().after(note);
}

function onClick(event) {
  const toggle = event.target.closest('.tree-toggle');
  if (!toggle) return;
  const item = toggle.parentElement.querySelector(ITEM);
  const run = item.getAttribute('aria-expanded') === 'true' ? collapse : expand;
  Promise.resolve(run(item)).catch(showError);
}

// Opens the way to the current folder: each ancestor on the breadcrumb is expanded in turn.
async function revealCurrent() {
  const path = (tree().dataset.path || '').split(' ').filter(Boolean);
  let scope = tree();
  for (const id of path.slice(0, -1)) {
    const node = scope.querySelector(`:scope > li[data-id="${CSS.escape(id)}"]`);
    if (!node) return;
    const item = node.querySelector(`:scope > .tree-row > ${ITEM}`);
    await expand(item);
    scope = groupOf(item);
    if (!scope) return;
  }
  const current = tree().querySelector(`${ITEM}[aria-current="page"]`);
  if (current) makeTabStop(current);
}

// The listing changed (a folder made, renamed, deleted): the open folder's subfolders in the
// tree are read again, if they had been read.
async function reloadCurrent() {
  const item = tree().querySelector(`${ITEM}[aria-current="page"]`);
  const group = item && groupOf(item);
  if (!group) return;
  const wasExpanded = item.getAttribute('aria-expanded') === 'true';
  group.remove();
  item.setAttribute('aria-expanded', 'false');
  item.setAttribute('aria-owns', group.id);
  if (wasExpanded) await expand(item);
}

const DRAG_TYPE = 'application/x-quire-node';

function bindMoves() {
  document.getElementById('listing-region')?.parentElement.addEventListener('dragstart', (event) => {
    const row = event.target.closest?.('#listing [data-id][draggable="true"]');
    if (!row) return;
    event.dataTransfer.setData(DRAG_TYPE, JSON.stringify({ id: row.dataset.id, title: row.dataset.title }));
    event.dataTransfer.effectAllowed = 'move';
  });
  const unmark = () => { for (const marked of tree().querySelectorAll('.drop-target')) marked.classList.remove('drop-target'); };
  tree().addEventListener('dragover', (event) => {
    const item = event.target.closest(ITEM) || event.target.closest('.tree-row')?.querySelector(ITEM);
    if (!item || ![...event.dataTransfer.types].includes(DRAG_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
    unmark();
    item.classList.add('drop-target');
  });
  tree().addEventListener('dragleave', unmark);
  tree().addEventListener('drop', async (event) => {
    const data = event.dataTransfer.getData(DRAG_TYPE);
    const item = event.target.closest(ITEM) || event.target.closest('.tree-row')?.querySelector(ITEM);
    unmark();
    if (!data || !item) return;
    event.preventDefault();
    const node = JSON.parse(data);
    const targetId = nodeOf(item).dataset.id;
    if (targetId === node.id) return;
    try {
      await api('POST', '/api/nodes/move', { source_ids: [node.id], target_id: targetId });
    } catch (error) {
      say(format(words.move_failed, { title: node.title, reason: error instanceof ApiError ? error.message : String(error) }));
      return;
    }
    // The target's subfolders are read again when next shown.
    const group = groupOf(item);
    if (group) {
      const wasExpanded = item.getAttribute('aria-expanded') === 'true';
      group.remove();
      item.setAttribute('aria-expanded', 'false');
      if (wasExpanded) await expand(item);
    }
    await refreshListing();
    say(format(words.moved, { title: node.title }));
  });
}

export function init() {
  if (!tree()) return;
  bindMoves();
  document.addEventListener('quire:listing-changed', () => { reloadCurrent().catch(showError); });
  tree().addEventListener('keydown', onKey);
  tree().addEventListener('click', onClick);
  // A phone shows the listing first; the folders are one tap away.
  if (window.matchMedia('(max-width: 700px)').matches) document.getElementById('sidebar').open = false;
  revealCurrent().catch(showError);
}
