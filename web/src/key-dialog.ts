import { apiKey, askForKey } from './api.js';
import { byId } from './dom.js';

/**
 * The API key dialog: a native modal <dialog>, so focus stays inside it and Escape closes it.
 * Resolves the key entered, or null when cancelled. `onChange` runs after the header button's
 * dialog; a dialog opened by a refused request needs none, as that request retries itself.
 */
export function createKeyDialog(onChange: () => void) {
  const dialog = byId<HTMLDialogElement>('key-dialog');
  const input = byId<HTMLInputElement>('key-input');
  const reason = byId('key-reason');

  function ask(text: string): Promise<string | null> {
    return new Promise((resolve) => {
      reason.textContent = text;
      input.value = '';
      dialog.returnValue = '';
      dialog.addEventListener(
        'close',
        () => {
          const key = input.value.trim();
          if (dialog.returnValue === 'clear') apiKey.set(null);
          resolve(dialog.returnValue === 'save' && key ? key : null);
        },
        { once: true },
      );
      dialog.showModal();
      input.focus();
    });
  }

  byId('key-button').addEventListener('click', () => {
    const reason = apiKey.get() ? 'Replace or forget the saved API key.' : 'Enter an API key.';
    void askForKey(reason, true).then(onChange); // the dialog's promise only resolves
  });
  return ask;
}
