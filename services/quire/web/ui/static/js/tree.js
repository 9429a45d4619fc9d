// The sidebar's folder tree, an ARIA tree (WAI-ARIA APG "tree view"): the roots come with the
// page, a folder's subfolders are read when it is first expanded, from GET /api/nodes/{id} (the
// API's listing: folders come first, so reading stops at the first document). One item is in
// the tab order at a time; the arrow keys, Home and End move, Right and Left expand and
// collapse, Enter opens the folder. The current folder's ancestors are expanded at load.
import { api, format } from './api.js';
import { words } from './browse_messages.js';

const PAGE_SIZE = 100;
const tree = () => document.getElementById('folder-tree');

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

function treeItem(folder) {
  const item = document.createElement('li');
  item.setAttribute('role', 'treeitem');
  item.setAttribute('aria-expanded', 'false');
  item.tabIndex = -1;
  item.dataset.id = folder.id;
  const row = document.createElement('span');
  row.className = 'tree-row';
  const toggle = document.createElement('span');
  toggle.className = 'tree-toggle';
  toggle.setAttribute('aria-hidden', 'true');
  const link = document.createElement('a');
  link.id = `tree-label-${folder.id}`;
  link.href = `/folders/${folder.id}`;
  link.tabIndex = -1;
  link.textContent = folder.title;
  item.setAttribute('aria-labelledby', link.id);
  if (folder.id === tree().dataset.current) item.setAttribute('aria-current', 'page');
  row.append(toggle, link);
  item.append(row);
  return item;
}

// An item's subfolders being read: a second key press while they load waits for the same read.
const loading = new WeakMap();

async function load(item) {
  item.setAttribute('aria-busy', 'true');
  try {
    const folders = await subfolders(item.dataset.id);
    const group = document.createElement('ul');
    group.setAttribute('role', 'group');
    group.append(...folders.map(treeItem));
    item.append(group);
    // A folder without subfolders is a leaf: no expanded state at all (APG).
    if (!folders.length) item.removeAttribute('aria-expanded');
  } finally {
    item.removeAttribute('aria-busy');
    loading.delete(item);
  }
}

async function expand(item) {
  if (item.getAttribute('aria-expanded') === 'true') return;
  if (!item.querySelector(':scope > ul')) {
    if (!loading.has(item)) loading.set(item, load(item));
    await loading.get(item);
  }
  item.querySelector(':scope > ul').hidden = false;
  if (item.hasAttribute('aria-expanded')) item.setAttribute('aria-expanded', 'true');
}

function collapse(item) {
  if (item.getAttribute('aria-expanded') !== 'true') return;
  item.setAttribute('aria-expanded', 'false');
  item.querySelector(':scope > ul').hidden = true;
}

// The items a reader sees, in order: those not inside a collapsed item.
function visibleItems() {
  return [...tree().querySelectorAll('[role="treeitem"]')].filter((item) => !item.closest('ul[hidden]'));
}

function focusItem(item) {
  if (!item) return;
  for (const other of tree().querySelectorAll('[role="treeitem"][tabindex="0"]')) other.tabIndex = -1;
  item.tabIndex = 0;
  item.focus();
}

function parentItem(item) {
  return item.parentElement.closest('[role="treeitem"]');
}

function onKey(event) {
  const item = event.target.closest('[role="treeitem"]');
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
      if (expanded === 'true') return focusItem(item.querySelector(':scope > ul > [role="treeitem"]'));
      return undefined;
    },
    ArrowLeft: () => (expanded === 'true' ? collapse(item) : focusItem(parentItem(item))),
    Enter: () => location.assign(item.querySelector(':scope > .tree-row > a').href),
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
  const item = toggle.closest('[role="treeitem"]');
  const run = item.getAttribute('aria-expanded') === 'true' ? collapse : expand;
  Promise.resolve(run(item)).catch(showError);
}

// Opens the way to the current folder: each ancestor on the breadcrumb is expanded in turn.
async function revealCurrent() {
  const path = (tree().dataset.path || '').split(' ').filter(Boolean);
  let scope = tree();
  for (const id of path.slice(0, -1)) {
    const item = scope.querySelector(`:scope > [role="treeitem"][data-id="${CSS.escape(id)}"]`);
    if (!item) return;
    await expand(item);
    scope = item.querySelector(':scope > ul');
    if (!scope) return;
  }
  const current = tree().querySelector('[aria-current="page"]');
  if (current) {
    for (const other of tree().querySelectorAll('[role="treeitem"][tabindex="0"]')) other.tabIndex = -1;
    current.tabIndex = 0;
  }
}

export function init() {
  if (!tree()) return;
  tree().addEventListener('keydown', onKey);
  tree().addEventListener('click', onClick);
  // A phone shows the listing first; the folders are one tap away.
  if (window.matchMedia('(max-width: 700px)').matches) document.getElementById('sidebar').open = false;
  revealCurrent().catch(showError);
}
