// The one script every page loads; it loads what the page needs.
import { decorate } from './decorate.js';

document.documentElement.classList.add('js');
decorate(document);

if (document.getElementById('listing-region')) {
  import('./actions.js').then((module) => module.init());
}
if (document.querySelector('[data-upload-target]')) {
  import('./upload.js').then((module) => module.init());
}
if (document.querySelector('.document-page')) {
  import('./document.js').then((module) => module.init());
}
if (document.querySelector('meta[name="events-after"]')) {
  import('./live.js').then((module) => module.start());
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
if (document.getElementById('filter-tags')) {
  import('./search.js').then((module) => module.init());
}
