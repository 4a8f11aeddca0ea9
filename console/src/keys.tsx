// Keyboard shortcuts: single keys, ignored while typing in a field, a select or with modifiers;
// and their help, opened with ? anywhere in the console (the keys themselves live with their pages).
import { useEffect, useRef } from 'preact/hooks';

export type KeyMap = Record<string, (e: KeyboardEvent) => void>;

const typing = (t: EventTarget | null) => {
  const el = t as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
};

/** Bind keys (KeyboardEvent.key values) while the component is mounted. */
export function useKeys(map: KeyMap): void {
  const ref = useRef(map);
  ref.current = map;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      if (typing(e.target) && e.key !== 'Escape') return;
      const fn = ref.current[e.key];
      if (!fn) return;
      e.preventDefault();
      fn(e);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}

/** Focus an element by id (shortcuts that move to a button or field instead of acting at once). */
export function focusId(id: string): void {
  const el = document.getElementById(id);
  if (el) {
    el.focus();
    el.scrollIntoView({ block: 'center' });
  }
}

export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: 'j / k', what: 'next / previous approval in a list' },
  { keys: 'Enter or o', what: 'open the selected approval' },
  { keys: 'a', what: 'go to Approve (then Enter approves)' },
  { keys: 'd', what: 'go to the deny reason (then Deny)' },
  { keys: 'c', what: 'write a comment' },
  { keys: 'u or Esc', what: 'back to the list' },
  { keys: '/', what: 'search or filter' },
  { keys: '?', what: 'show this help' },
];

/** The footer link and dialog listing every shortcut. */
export function Shortcuts() {
  const dialog = useRef<HTMLDialogElement>(null);
  useKeys({
    '?': () => (dialog.current?.open ? dialog.current.close() : dialog.current?.showModal()),
  });
  return (
    <>
      <footer class="foot">
        <button type="button" class="link" onClick={() => dialog.current?.showModal()}>
          Keyboard shortcuts <kbd>?</kbd>
        </button>
      </footer>
      <dialog ref={dialog} class="help" aria-labelledby="help-title">
        <h2 id="help-title">Keyboard shortcuts</h2>
        <dl>
          {SHORTCUTS.map((s) => (
            <div key={s.keys}>
              <dt>
                <kbd>{s.keys}</kbd>
              </dt>
              <dd>{s.what}</dd>
            </div>
          ))}
        </dl>
        <form method="dialog">
          <button type="submit">Close</button>
        </form>
      </dialog>
    </>
  );
}
