// Uploads into the folder on the page: files dropped anywhere on it, or chosen with the
// button; several at once, each with its own progress bar (XHR's upload progress: fetch has
// none) and, when refused, the API's reason (unsupported type, too large...).
import { csrfToken, messages, reasonOf, toSignIn } from './api.js';
import { refreshListing } from './listing.js';

const PARALLEL = 2;

function row(file) {
  const item = document.createElement('li');
  const name = document.createElement('span');
  name.className = 'file-name';
  name.textContent = file.name;
  const progress = document.createElement('progress');
  progress.max = 100;
  progress.value = 0;
  progress.setAttribute('aria-label', `${messages.uploading}: ${file.name}`);
  const state = document.createElement('span');
  state.className = 'file-state';
  state.textContent = messages.uploading;
  item.append(name, progress, state);
  document.getElementById('uploads').append(item);
  return { item, progress, state };
}

function send(file, folderId, view) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open('POST', '/api/documents/upload');
    request.setRequestHeader('X-CSRF-Token', csrfToken());
    request.setRequestHeader('Accept', 'application/json');
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) view.progress.value = Math.round((100 * event.loaded) / event.total);
    });
    request.addEventListener('load', () => {
      if (request.status === 401) toSignIn();
      const ok = request.status >= 200 && request.status < 300;
      let data = null;
      try { data = JSON.parse(request.responseText); } catch { /* not JSON: use the status */ }
      view.progress.value = ok ? 100 : view.progress.value;
      view.item.classList.add(ok ? 'done' : 'failed');
      view.state.textContent = ok
        ? messages.uploaded
        : `${messages.upload_failed}: ${reasonOf(data, request.status)}`;
      resolve(ok);
    });
    request.addEventListener('error', () => {
      view.item.classList.add('failed');
      view.state.textContent = `${messages.upload_failed}: ${messages.network_error}`;
      resolve(false);
    });
    const body = new FormData();
    body.append('file', file, file.name);
    body.append('parent_id', folderId);
    request.send(body);
  });
}

export async function uploadFiles(files) {
  const folderId = document.querySelector('[data-folder-id]').dataset.folderId;
  const queue = [...files].map((file) => ({ file, view: row(file) }));
  let stored = 0;
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      if (await send(next.file, folderId, next.view)) stored += 1;
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  if (stored) await refreshListing();
}

function carriesFiles(event) {
  return [...(event.dataTransfer?.types || [])].includes('Files');
}

export function init() {
  const input = document.getElementById('upload-input');
  const zone = document.querySelector('.dropzone');
  document.querySelector('[data-action="choose-files"]')?.addEventListener('click', () => input.click());
  input?.addEventListener('change', () => {
    if (input.files.length) uploadFiles(input.files).finally(() => { input.value = ''; });
  });
  let depth = 0;
  document.addEventListener('dragenter', (event) => {
    if (!carriesFiles(event)) return;
    depth += 1;
    zone.hidden = false;
  });
  document.addEventListener('dragleave', (event) => {
    if (!carriesFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (!depth) zone.hidden = true;
  });
  document.addEventListener('dragover', (event) => {
    if (carriesFiles(event)) event.preventDefault();
  });
  document.addEventListener('drop', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth = 0;
    zone.hidden = true;
    if (event.dataTransfer.files.length) uploadFiles(event.dataTransfer.files);
  });
}

