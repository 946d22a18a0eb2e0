'use client';
// Copies a snippet to the clipboard. Without JavaScript, or where the Clipboard API is refused (a page
// served over plain http from another host is not a secure context), the snippet stays selectable text
// and the button says so.
import { useState } from 'react';

export function CopyButton({ text, label }: { readonly text: string; readonly label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = () => {
    // navigator.clipboard is undefined outside secure contexts, whatever its type says.
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (clipboard === undefined) {
      setState('failed');
      return;
    }
    clipboard.writeText(text).then(
      () => {
        setState('copied');
      },
      () => {
        setState('failed');
      },
    );
  };
  return (
    <button type="button" className="copy-button" onClick={copy} aria-label={`Copy the ${label} settings`}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select the text to copy' : 'Copy'}
    </button>
  );
}
