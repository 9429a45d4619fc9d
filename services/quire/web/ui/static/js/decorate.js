// What the server cannot do under a strict CSP: colours that come from data (tag chips get
// them through the CSSOM, which the policy allows, never through a style attribute), dates in
// the reader's time zone, and thumbnails that are still being drawn.

const HEX_COLOUR = /^#[0-9a-fA-F]{3,8}$/;

export function colourTags(root) {
  for (const chip of root.querySelectorAll('.tag[data-bg]')) {
    const { bg, fg } = chip.dataset;
    if (HEX_COLOUR.test(bg)) chip.style.setProperty('--tag-bg', bg);
    if (HEX_COLOUR.test(fg)) chip.style.setProperty('--tag-fg', fg);
  }
}

export function localTimes(root) {
  const style = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
  for (const time of root.querySelectorAll('time[datetime]')) {
    const when = new Date(time.getAttribute('datetime'));
    if (!Number.isNaN(when.getTime())) time.textContent = style.format(when);
  }
}

// A document's thumbnail answers 309 until its file is there: try again a few times.
export function retryThumbnails(root) {
  for (const image of root.querySelectorAll('img[data-thumbnail]')) {
    if (image.dataset.retrying) continue;
    image.dataset.retrying = '1';
    let tries = 0;
    image.addEventListener('error', () => {
      if (tries++ >= 5) return;
      const url = new URL(image.src, location.href);
      url.searchParams.set('retry', String(tries));
      setTimeout(() => { image.src = url.href; }, 1000 * tries);
    });
  }
}

// A <select data-autosubmit> sends its form when chosen (its submit button is for no-JS).
export function autosubmit(root) {
  for (const select of root.querySelectorAll('select[data-autosubmit]')) {
    select.addEventListener('change', () => select.form.requestSubmit());
  }
}

export function decorate(root = document) {
  colourTags(root);
  localTimes(root);
  retryThumbnails(root);
  autosubmit(root);
}
