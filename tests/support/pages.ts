import type { TestApp } from './partners.ts';

export type PageAnswer = { status: number; html: string; location: string | null };

/**
 * A browser's part of the pages in process, for what is cheaper to check without Chromium:
 * it keeps the cookies the hub sets, says it is same-origin as a browser does, and carries
 * the CSRF token of the last page it read into its form posts.
 */
export type PageClient = {
  get(path: string): Promise<PageAnswer>;
  /** Posts a form with the last page's CSRF token (unless the fields carry one). */
  post(path: string, fields: Record<string, string>): Promise<PageAnswer>;
};

export function pageClient(app: TestApp): PageClient {
  const cookies = new Map<string, string>();
  let csrf = '';
  async function send(path: string, init: RequestInit): Promise<PageAnswer> {
    const headers = new Headers(init.headers);
    headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    headers.set('accept-language', 'en-GB');
    const res = await app.request(path, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const html = await res.text();
    csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? csrf;
    return { status: res.status, html, location: res.headers.get('location') };
  }
  return {
    get: (path) => send(path, {}),
    post: (path, fields) =>
      send(path, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'sec-fetch-site': 'same-origin',
        },
        body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      }),
  };
}

/** The named hidden and text fields of the first form on a page whose tag matches `marker`. */
export function formFields(html: string, marker: string): Record<string, string> {
  const start = html.indexOf(marker);
  if (start < 0) throw new Error(`no form marked ${marker}`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
    fields[m[1] ?? ''] = m[2] ?? '';
  }
  return fields;
}
