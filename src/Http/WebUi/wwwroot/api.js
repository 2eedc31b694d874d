// The public HTTP API as the page uses it: bearer key from this tab's session storage, OpenAI-shaped errors, and
// conversation turns streamed as server-sent events.

const keyStorage = 'llama-orleans-api-key';

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const apiKey = {
  get: () => sessionStorage.getItem(keyStorage),
  set: (key) => sessionStorage.setItem(keyStorage, key),
  clear: () => sessionStorage.removeItem(keyStorage),
};

function headers(extra) {
  const result = { ...extra };
  const key = apiKey.get();
  if (key) result.Authorization = `Bearer ${key}`;
  return result;
}

async function failure(response) {
  let message = `The server answered ${response.status}.`;
  let code = null;
  try {
    const body = await response.json();
    message = body.error?.message ?? message;
    code = body.error?.code ?? null;
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(response.status, message, code);
}

export async function call(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

/** Every conversation of the caller's tenant, oldest first (follows the list's pages). */
export async function listConversations() {
  const all = [];
  let after = null;
  for (;;) {
    const page = await call('GET', `/v1/conversations?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    all.push(...page.data);
    if (!page.has_more || !page.last_id) return all;
    after = page.last_id;
  }
}

/**
 * Sends a user message and streams the reply: `onDelta(text)` for each piece, and resolves with the closing
 * `conversation.turn` object. Aborting `signal` closes the connection, which cancels the turn on the server.
 */
export async function sendStreaming(conversationId, content, messageId, signal, onDelta) {
  const response = await fetch(`/v1/conversations/${encodeURIComponent(conversationId)}/messages`, {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json', 'X-Message-Id': messageId }),
    body: JSON.stringify({ content, stream: true }),
    signal,
  });
  if (!response.ok) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let turn = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
      if (data === '' || data === '[DONE]') continue;
      const json = JSON.parse(data);
      if (json.error) throw new ApiError(200, json.error.message, json.error.code);
      if (json.object === 'conversation.turn.delta') onDelta(json.delta);
      else if (json.object === 'conversation.turn') turn = json;
    }
  }
  if (!turn) throw new ApiError(0, 'The reply ended before the turn completed; send the message again.', null);
  return turn;
}
