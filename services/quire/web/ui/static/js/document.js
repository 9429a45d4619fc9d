// The document viewer's tags: chips with a remove button, and a field that suggests the
// user's tags as they type (a <datalist> filled from /api/tags/) and creates a new tag on the
// fly. Each change is one API call; the chips are redrawn from its answer.
import { api, format, messages, say, sayError } from './api.js';
import { colourTags } from './decorate.js';
import { init as initPages } from './pages.js';

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

export function init() {
  initZoom();
  initPages();
  const documentId = document.querySelector('.document-page').dataset.documentId;
  const form = document.getElementById('tag-form');
  const input = document.getElementById('tag-input');
  input.addEventListener('input', debounce(() => suggest(input.value.trim()).catch(() => {}), 200));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (!name) return;
    try {
      const node = await api('PATCH', `/api/nodes/${documentId}/tags`, [name]);
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
      const node = await api('DELETE', `/api/nodes/${documentId}/tags`, [name]);
      showTags(node.tags);
      say(format(messages.tag_removed, { name }));
    } catch (error) {
      sayError(error);
    }
  });
}
