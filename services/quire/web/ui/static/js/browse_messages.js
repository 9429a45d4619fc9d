// The browser modules' words (tree, commander, sharing), from the page's JSON block.
export const words = JSON.parse(document.getElementById('browse-messages')?.textContent || '{}');
