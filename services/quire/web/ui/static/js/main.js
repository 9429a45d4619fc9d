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
if (document.getElementById('folder-tree')) {
  import('./tree.js').then((module) => module.init());
}
if (document.getElementById('share-dialog')) {
  import('./sharing.js').then((module) => module.init());
}
if (document.getElementById('panels')) {
  import('./commander.js').then((module) => module.init());
}
if (document.querySelector('form[data-api-form], [data-api-call]')) {
  import('./admin.js').then((module) => module.init());
}
