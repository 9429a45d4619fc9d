// The one script every page loads; it loads what the page needs.
import { decorate } from './decorate.js';

document.documentElement.classList.add('js');
decorate(document);

const loading = [];
function load(module, run) {
  loading.push(import(module).then(run));
}

if (document.getElementById('listing-region')) {
  load('./actions.js', (module) => module.init());
}
if (document.querySelector('[data-upload-target]')) {
  load('./upload.js', (module) => module.init());
}
if (document.querySelector('.document-page')) {
  load('./document.js', (module) => module.init());
}
if (document.getElementById('filter-tags')) {
  load('./search.js', (module) => module.init());
}
if (document.getElementById('folder-tree')) {
  load('./tree.js', (module) => module.init());
}
if (document.getElementById('share-dialog')) {
  load('./sharing.js', (module) => module.init());
}
if (document.getElementById('panels')) {
  load('./commander.js', (module) => module.init());
}
if (document.querySelector('form[data-api-form], [data-api-call]')) {
  load('./admin.js', (module) => module.init());
}
// A folder's listing follows what happens to documents elsewhere (OCR done, a document added
// or filed by a path template): re-read once the events of a burst have arrived.
if (document.getElementById('listing-region')) {
  let timer;
  document.addEventListener('quire:event', () => {
    clearTimeout(timer);
    timer = setTimeout(() => import('./listing.js').then((module) => module.refreshListing()), 500);
  });
}
// Live updates once the page's modules listen: an event arriving earlier would go unheard.
const ready = Promise.allSettled(loading);
if (document.querySelector('meta[name="events-after"]')) {
  ready.then(() => import('./live.js')).then((module) => module.start());
}
// For whoever waits on the page's controls to work (the e2e tests): a click before a module
// has bound its handlers does nothing, or submits a form natively.
ready.then(() => { document.documentElement.dataset.ready = '1'; });
