// The folder and trash pages' actions: new folder, rename, delete into the trash (with undo),
// restore. Each is one API call, the same the API's own clients make; then the listing is
// re-read. Buttons are found by event delegation, so a refreshed listing needs no rebinding.
import { api, ApiError, format, messages, say, sayError } from './api.js';
import { refreshListing } from './listing.js';

const dialog = () => document.getElementById('name-dialog');

// Asks for a name in the page's <dialog>; `commit(name)` runs the change, and an error it
// throws (the title is taken...) is shown in the dialog, which stays open.
function askName({ title, label, value = '', commit }) {
  const box = dialog();
  const form = box.querySelector('form');
  const input = box.querySelector('#name-input');
  const error = box.querySelector('#name-error');
  box.querySelector('#name-dialog-title').textContent = title;
  box.querySelector('#name-label').textContent = label;
  input.value = value;
  error.hidden = true;
  const submit = async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (!name) return;
    try {
      await commit(name);
      form.removeEventListener('submit', submit);
      box.close();
      // The dialog gives focus back to its opener; a renamed row's button is gone with the
      // old listing, so the keyboard user lands in the new one instead of the page's top.
      const lost = (element) => !element || element === document.body || box.contains(element);
      if (lost(document.activeElement)) document.getElementById('listing')?.focus();
    } catch (failure) {
      error.textContent = failure instanceof ApiError ? failure.message : String(failure);
      error.hidden = false;
      input.focus();
    }
  };
  form.addEventListener('submit', submit);
  box.addEventListener('close', () => form.removeEventListener('submit', submit), { once: true });
  box.showModal();
  input.select();
}

function itemOf(button) {
  const item = button.closest('[data-id]');
  return { id: item.dataset.id, title: item.dataset.title };
}

function newFolder() {
  const parentId = document.querySelector('[data-folder-id]').dataset.folderId;
  askName({
    title: messages.new_folder,
    label: messages.folder_name,
    commit: async (title) => {
      await api('POST', '/api/nodes/', { title, ctype: 'folder', parent_id: parentId });
      await refreshListing();
    },
  });
}

function rename(item) {
  askName({
    title: messages.rename,
    label: messages.new_name,
    value: item.title,
    commit: async (title) => {
      await api('PATCH', `/api/nodes/${item.id}`, { title });
      await refreshListing();
    },
  });
}

async function restore(item, quiet = false) {
  await api('POST', '/api/trash/restore', { node_ids: [item.id] });
  await refreshListing();
  if (!quiet) say(format(messages.restored, { title: item.title }));
}

async function remove(item) {
  await api('DELETE', '/api/nodes/', [item.id]);
  await refreshListing();
  say(format(messages.deleted, { title: item.title }), {
    label: messages.undo,
    run: () => restore(item, true).catch(sayError),
  });
}

const ACTIONS = {
  'new-folder': () => newFolder(),
  rename: (button) => rename(itemOf(button)),
  delete: (button) => remove(itemOf(button)),
  restore: (button) => restore(itemOf(button)),
};

export function init() {
  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    const action = button && ACTIONS[button.dataset.action];
    if (!action) return;
    event.preventDefault();
    Promise.resolve(action(button)).catch(sayError);
  });
  dialog()?.querySelector('[data-close]')?.addEventListener('click', () => dialog().close());
}
