// The script the oracle page (and its sandboxed iframe) runs: make one scenario request the way the page
// request describes it and report whether the page could read the response. Plain browser JavaScript in a
// string, so no test-runner transform can change what runs in Chromium.

/** What the page reports for one request; `resolved` false means the browser refused the response. */
export interface PageResult {
  readonly resolved: boolean;
  readonly status?: number;
  readonly error?: string;
}

const RUNNER = String.raw`
window.corsightRun = async (url, r) => {
  const via = r.via ?? 'fetch';
  if (via === 'img') {
    return new Promise((resolve) => {
      const img = new Image();
      if (r.crossOrigin !== undefined) img.crossOrigin = r.crossOrigin;
      img.onload = () => resolve({ resolved: true });
      img.onerror = () => resolve({ resolved: false, error: 'image error event' });
      img.src = url;
    });
  }
  if (via === 'form') {
    return new Promise((resolve) => {
      const name = 'form-target-' + Math.random().toString(36).slice(2);
      const frame = document.createElement('iframe');
      frame.name = name;
      document.body.append(frame);
      // Assigned after insertion: the initial about:blank load has fired by then.
      frame.onload = () => resolve({ resolved: true });
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = url;
      form.target = name;
      const input = document.createElement('input');
      input.name = 'a';
      input.value = '1';
      form.append(input);
      document.body.append(form);
      form.submit();
    });
  }
  if (via === 'xhr') {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open(r.method ?? 'GET', url);
      xhr.withCredentials = r.credentials === 'include';
      for (const [name, value] of r.headers ?? []) xhr.setRequestHeader(name, value);
      if (r.uploadListener === true) xhr.upload.onprogress = () => {};
      xhr.onload = () => resolve({ resolved: true, status: xhr.status });
      xhr.onerror = () => resolve({ resolved: false, error: 'XMLHttpRequest error event' });
      xhr.send(r.body ?? null);
    });
  }
  try {
    const headers = new Headers();
    for (const [name, value] of r.headers ?? []) headers.append(name, value);
    const init = {
      method: r.method ?? 'GET',
      mode: r.mode ?? 'cors',
      credentials: r.credentials ?? 'same-origin',
      headers,
    };
    if (r.body !== undefined) init.body = r.body;
    if (r.cache !== undefined) init.cache = r.cache;
    const response = await fetch(url, init);
    await response.arrayBuffer();
    return { resolved: true, status: response.status };
  } catch (error) {
    return { resolved: false, error: String(error) };
  }
};
`;

/** The oracle page: blank apart from the runner. */
export const PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>corsight oracle</title></head><body><script>${RUNNER}</script></body></html>`;

/** srcdoc of the `<iframe sandbox="allow-scripts">` whose requests carry `Origin: null`. */
export const SANDBOXED_FRAME_HTML = `<!doctype html><meta charset="utf-8"><script>${RUNNER}</script>`;
