// The listing region re-read from the server after a change: the same page, sort and view,
// without reloading the page (uploads in progress and messages stay).
import { decorate } from './decorate.js';

export async function refreshListing() {
  const response = await fetch(location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), 'text/html');
  const fresh = page.getElementById('listing-region');
  const current = document.getElementById('listing-region');
  if (fresh && current) {
    const adopted = document.adoptNode(fresh);
    const hadFocus = current.contains(document.activeElement);
    current.replaceWith(adopted);
    decorate(adopted);
    // The focused button went with the old listing: keep the keyboard user in the listing.
    if (hadFocus || document.activeElement === document.body) adopted.querySelector('#listing')?.focus();
    // For what shows the folder elsewhere on the page (the sidebar's tree).
    document.dispatchEvent(new CustomEvent('quire:listing-changed'));
  }
}
