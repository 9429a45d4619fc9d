// The share dialog: who a folder or document is shared with (GET /api/shared-nodes/access/{id}),
// each with a button that takes the share back (DELETE /api/shared-nodes/), and a form that
// shares it with a user or a group under a role (POST /api/shared-nodes/). The API decides who
// may; its refusal is shown in the dialog.
import { api, ApiError, format, say } from './api.js';
import { words } from './browse_messages.js';

const dialog = () => document.getElementById('share-dialog');
let current = null;

function option(value, label) {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = label;
  return element;
}

function optionGroup(label, options) {
  const group = document.createElement('optgroup');
  group.label = label;
  group.append(...options);
  return group;
}

function showError(error) {
  const box = document.getElementById('share-error');
  box.textContent = error ? (error instanceof ApiError ? error.message : String(error)) : '';
  box.hidden = !error;
}

async function loadChoices() {
  const me = dialog().dataset.me;
  const [users, groups, roles] = await Promise.all([
    api('GET', '/api/users/all'), api('GET', '/api/groups/all'), api('GET', '/api/roles/all'),
  ]);
  const grantee = document.getElementById('share-grantee');
  grantee.replaceChildren(
    optionGroup(words.users, users.filter((user) => user.id !== me).map((user) => option(`u:${user.id}`, user.username))),
    optionGroup(words.groups, groups.map((group) => option(`g:${group.id}`, format(words.group_label, { name: group.name })))),
  );
  document.getElementById('share-role').replaceChildren(...roles.map((role) => option(role.id, role.name)));
}

function shareRow(kind, grantee) {
  const item = document.createElement('li');
  const name = kind === 'user' ? grantee.username : format(words.group_label, { name: grantee.name });
  const text = document.createElement('span');
  text.textContent = `${name}: ${grantee.roles.map((role) => role.name).join(', ')}`;
  const revoke = document.createElement('button');
  revoke.type = 'button';
  revoke.className = 'small danger';
  revoke.textContent = '×';
  revoke.setAttribute('aria-label', format(words.stop_sharing, { name }));
  revoke.addEventListener('click', async () => {
    const body = { node_ids: [current.id], user_ids: [], group_ids: [] };
    body[kind === 'user' ? 'user_ids' : 'group_ids'].push(grantee.id);
    try {
      await api('DELETE', '/api/shared-nodes/', body);
      await loadShares();
      say(format(words.unshared, { name }));
      document.getElementById('share-grantee').focus();
    } catch (error) {
      showError(error);
    }
  });
  item.append(text, ' ', revoke);
  return item;
}

async function loadShares() {
  const access = await api('GET', `/api/shared-nodes/access/${current.id}`);
  const rows = [
    ...access.users.map((user) => shareRow('user', user)),
    ...access.groups.map((group) => shareRow('group', group)),
  ];
  document.getElementById('share-list').replaceChildren(...rows);
  document.getElementById('share-none').hidden = rows.length > 0;
}

async function open(item) {
  current = item;
  showError(null);
  document.getElementById('share-dialog-title').textContent = format(words.share_title, { title: item.title });
  document.getElementById('share-list').replaceChildren();
  dialog().showModal();
  try {
    await Promise.all([loadChoices(), loadShares()]);
  } catch (error) {
    showError(error);
  }
}

async function submit(event) {
  event.preventDefault();
  const grantee = document.getElementById('share-grantee').value;
  const role = document.getElementById('share-role').value;
  if (!grantee || !role) return;
  const [kind, id] = grantee.split(':');
  const body = { node_ids: [current.id], role_ids: [role], user_ids: [], group_ids: [] };
  body[kind === 'u' ? 'user_ids' : 'group_ids'].push(id);
  showError(null);
  try {
    await api('POST', '/api/shared-nodes/', body);
    await loadShares();
    say(format(words.shared_with, { title: current.title }));
  } catch (error) {
    showError(error);
  }
}

export function init() {
  if (!dialog()) return;
  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action="share"]');
    if (!button) return;
    const row = button.closest('[data-id]');
    open({ id: row.dataset.id, title: row.dataset.title });
  });
  document.getElementById('share-form').addEventListener('submit', submit);
  dialog().querySelector('[data-close]').addEventListener('click', () => dialog().close());
}
