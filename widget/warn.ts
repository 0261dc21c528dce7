// The host page's console belongs to the site owner: the widget says at most one thing there.
let warned = false;

export function warnOnce(problem: string): void {
  if (warned) return;
  warned = true;
  console.warn(`[parley] ${problem}`);
}
