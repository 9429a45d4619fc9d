// The search page's tag filter: suggestions for the tag being typed after the last comma
// (the user's tags from /api/tags/), each offered as the whole field's new value.
import { api } from './api.js';

let timer;

async function suggest(input, list) {
  const parts = input.value.split(',');
  const typed = parts.pop().trim();
  if (!typed) { list.replaceChildren(); return; }
  const query = new URLSearchParams({ page_size: '20', filter: typed });
  const page = await api('GET', `/api/tags/?${query}`);
  const before = parts.map((part) => part.trim()).filter(Boolean);
  list.replaceChildren(...page.items.map((tag) => {
    const option = document.createElement('option');
    option.value = [...before, tag.name].join(', ');
    return option;
  }));
}

export function init() {
  const input = document.getElementById('filter-tags');
  const list = document.getElementById('filter-tag-suggestions');
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => suggest(input, list).catch(() => {}), 200);
  });
}
