// A plain HTTP call as a partner makes it: Authorization `Token <base64>` (or the legacy plain
// form), JSON body, parsed JSON answer.
export interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export async function call(
  url: string,
  options: { method?: string; token?: string; plainToken?: boolean; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) {
    headers.Authorization = `Token ${options.plainToken ? options.token : Buffer.from(options.token).toString('base64')}`;
  }
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, { method: options.method ?? 'GET', headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}
