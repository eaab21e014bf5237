// The REST API as the console uses it: the public routes only, with the token the person logged in
// with (when the host has auth on). Errors carry the API's own {"error":{code,message}} shape.

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const TOKEN_KEY = 'mc.token';
let token = sessionStorage.getItem(TOKEN_KEY) ?? '';
const unauthorizedListeners = new Set<(message: string) => void>();

export function currentToken(): string {
  return token;
}

export function setToken(value: string): void {
  token = value.trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// Called when a request was refused for want of a valid token (the login form opens).
export function onUnauthorized(listener: (message: string) => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed: any = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(response.status, 'invalid_response', `${method} ${path}: the host answered ${response.status} with text that is not JSON`);
  }
  if (!response.ok) {
    const error = parsed?.error ?? {};
    const failure = new ApiError(response.status, error.code ?? 'http_' + response.status,
                                 error.message ?? `${method} ${path} answered ${response.status}`);
    if (response.status === 401) unauthorizedListeners.forEach((l) => l(failure.message));
    throw failure;
  }
  return parsed as T;
}

export function get<T>(path: string, query?: Query): Promise<T> {
  return request<T>('GET', withQuery(path, query));
}

export function post<T>(path: string, body: unknown): Promise<T> {
  return request<T>('POST', path, body);
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
