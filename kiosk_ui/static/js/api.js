// Talking to the server: bearer token, a timeout on every call, and one error type that says
// whether trying again later can help.
export const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status; // 0: no answer (network down, timeout)
    this.body = body;
  }

  get retryable() {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }

  // The device token no longer works (revoked, or the device was deleted).
  get revoked() {
    return this.status === 401;
  }
}

export async function call(path, { method = "GET", token, body, timeout = 15000, headers = {} } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  const options = { method, headers: { ...headers }, signal: controller.signal, cache: "no-store" };
  if (token) options.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API + path, options);
  } catch (error) {
    throw new ApiError(0, controller.signal.aborted ? "timeout" : "network error");
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 304) return { status: 304, headers: response.headers, data: null };
  let data = null;
  try {
    data = await response.json();
  } catch {
    // A proxy's HTML error page: keep the status, there is no body to read.
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data?.message || response.statusText, data);
    error.retryAfter = Number(response.headers.get("Retry-After")) || 0;
    throw error;
  }
  return { status: response.status, headers: response.headers, data };
}
