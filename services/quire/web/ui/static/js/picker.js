// A document picker inside a dialog: the documents in this document's folder (filtered by
// title as one types), then what a search for the typed words finds elsewhere. Each document
// is a radio button (one target) or a checkbox (several, in the order they were ticked).
import { api } from './api.js';

const MAX_SHOWN = 50;

function debounce(run, wait) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => run(...args), wait); };
}

// Typed words as the query language's prefixes: anything that is syntax there is dropped, so
// what a user types can never be a malformed query.
export function searchQuery(text) {
  return text.split(/\s+/)
    .map((word) => word.replace(/[^\p{L}\p{N}_.]/gu, ''))
    .filter(Boolean)
    .map((word) => `${word}*`)
    .join(' ');
}

async function beside(root, text) {
  const folderId = root.dataset.folderId;
  if (!folderId) return [];
  const query = new URLSearchParams({ page_size: '100', order_by: 'title' });
  if (text) query.set('filter', text);
  const page = await api('GET', `/api/nodes/${folderId}?${query}`);
  return page.items.filter((node) => node.ctype === 'document');
}

async function found(text) {
  const q = searchQuery(text);
  if (!q) return [];
  const results = await api('POST', '/api/search/', { q, ctype: 'document', page_size: 20 });
  return results.items;
}

function option(root, node, checked, order) {
  const item = document.createElement('li');
  const label = document.createElement('label');
  label.className = 'check';
  const input = document.createElement('input');
  input.type = root.dataset.picker === 'checkbox' ? 'checkbox' : 'radio';
  input.name = `${root.querySelector('[data-picker-search]').id}-choice`;
  input.value = node.id;
  input.checked = checked;
  input.dataset.title = node.title;
  if (order) input.dataset.order = order;
  label.append(input, ' ', document.createTextNode(node.title));
  item.append(label);
  return item;
}

async function show(root, text) {
  const list = root.querySelector('[data-picker-list]');
  const exclude = root.dataset.exclude;
  const chosen = new Set(chosenIds(root));
  const orders = new Map([...list.querySelectorAll('input:checked')].map((input) => [input.value, input.dataset.order]));
  const [local, global] = await Promise.all([
    beside(root, text).catch(() => []),
    found(text).catch(() => []),
  ]);
  const seen = new Set([exclude]);
  const nodes = [];
  // The ones already ticked stay in the list, whatever is typed.
  for (const input of list.querySelectorAll('input:checked')) {
    seen.add(input.value);
    nodes.push({ id: input.value, title: input.dataset.title });
  }
  for (const node of [...local, ...global]) {
    if (seen.has(node.id) || nodes.length >= MAX_SHOWN) continue;
    seen.add(node.id);
    nodes.push(node);
  }
  list.replaceChildren(...nodes.map((node) => option(root, node, chosen.has(node.id), orders.get(node.id))));
}

// The chosen documents' ids, in the order they were ticked.
export function chosenIds(root) {
  const inputs = [...root.querySelectorAll('[data-picker-list] input:checked')];
  return inputs.sort((a, b) => Number(a.dataset.order || 0) - Number(b.dataset.order || 0)).map((input) => input.value);
}

export function initPicker(root) {
  const search = root.querySelector('[data-picker-search]');
  let ticks = 0;
  root.addEventListener('change', (event) => {
    if (event.target.matches('[data-picker-list] input')) event.target.dataset.order = String(++ticks);
  });
  search.addEventListener('input', debounce(() => show(root, search.value.trim()), 250));
  // Enter in the search box searches; it must not submit the dialog.
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') { event.preventDefault(); show(root, search.value.trim()); }
  });
  return { refresh: () => show(root, search.value.trim()) };
}
