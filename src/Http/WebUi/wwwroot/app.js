// The chat page: conversations of the caller's tenant, streamed turns, and what the server did for each turn.
import { ApiError, apiKey, call, listConversations, sendStreaming } from './api.js';
import { copyButton, renderMarkdown } from './markdown.js';

const $ = (id) => document.getElementById(id);
const titles = new Map();
let conversations = [];
let current = null;
let running = null;

// Per-turn figures are measured here, in the browser, so they are kept here too: by conversation, then message id.
const figuresKey = (id) => `llama-orleans-figures:${id}`;
const loadFigures = (id) => JSON.parse(localStorage.getItem(figuresKey(id)) ?? '{}');
function saveFigures(id, messageId, figures) {
  const all = loadFigures(id);
  all[messageId] = figures;
  localStorage.setItem(figuresKey(id), JSON.stringify(all));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

/** Runs `action`, asking for an API key when the server wants one (then running it again), and shows other errors. */
async function guard(action) {
  try {
    showError('');
    return await action();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      askKey(apiKey.get() ? 'The server refused this API key. Enter another.' : 'This server needs an API key.');
    } else if (error.name !== 'AbortError') {
      showError(error.message);
    }
    return undefined;
  }
}

function askKey(reason) {
  $('key-reason').textContent = `${reason} It is kept in this tab's session storage only.`;
  $('key-input').value = '';
  if (!$('key-dialog').open) $('key-dialog').showModal();
}

async function loadAll() {
  await guard(async () => {
    const models = await call('GET', '/v1/models');
    const select = $('model');
    select.replaceChildren(...models.data.map((m) => {
      const option = element('option', null, `${m.id} (${m.context_length} tokens)`);
      option.value = m.id;
      return option;
    }));
    conversations = await listConversations();
    await Promise.all(conversations.filter((c) => !titles.has(c.id)).map(async (c) => {
      const messages = await call('GET', `/v1/conversations/${c.id}/messages`);
      titles.set(c.id, titleOf(messages.data));
    }));
    renderList();
    await refreshUsage();
    await openFromAddress();
  });
}

/** Opens the conversation the address names (a reload resumes it); one the caller's tenant lacks is not found. */
async function openFromAddress() {
  const wanted = location.hash.slice(1);
  if (!wanted) {
    newChat();
    return;
  }
  try {
    await open(wanted);
  } catch (error) {
    newChat();
    throw error;
  }
}

function titleOf(messages) {
  const first = messages.find((m) => m.role === 'user');
  if (!first) return 'New chat';
  const text = first.content.replace(/\s+/g, ' ').trim();
  return text.length > 48 ? `${text.slice(0, 47)}…` : text;
}

function renderList() {
  $('conversations').replaceChildren(...[...conversations].reverse().map((c) => {
    const item = element('li', c.id === current ? 'active' : null);
    item.dataset.id = c.id;
    const openButton = element('button', 'conversation', titles.get(c.id) ?? 'New chat');
    openButton.type = 'button';
    if (c.id === current) openButton.setAttribute('aria-current', 'true');
    openButton.addEventListener('click', () => guard(() => open(c.id)));
    const remove = element('button', 'icon delete', '✕');
    remove.type = 'button';
    remove.setAttribute('aria-label', `Delete “${titles.get(c.id) ?? c.id}”`);
    remove.addEventListener('click', () => guard(() => removeConversation(c.id)));
    item.append(openButton, remove);
    return item;
  }));
}

async function refreshUsage() {
  const usage = await call('GET', '/v1/usage');
  const total = usage.data.reduce((sum, row) => sum + row.total_tokens, 0);
  const quota = usage.daily_token_quota ? ` of ${usage.daily_token_quota}` : '';
  $('usage').textContent = `Today: ${total}${quota} tokens used by your tenant`;
}

function setSettings(settings, locked) {
  $('model').value = settings.model ?? $('model').value;
  $('system-prompt').value = settings.system_prompt ?? '';
  $('temperature').value = settings.temperature ?? 0.6;
  $('top-p').value = settings.top_p ?? 0.9;
  $('max-tokens').value = settings.max_tokens ?? '';
  $('context-policy').value = settings.context_policy ?? 'trim';
  for (const input of $('settings-form').elements) input.disabled = locked;
  $('settings-note').textContent = locked
    ? 'This chat\'s settings, fixed when it started. Start a new chat to change them.'
    : 'Settings apply to this new chat; they are fixed once it starts.';
}

function newChat() {
  current = null;
  history.replaceState(null, '', location.pathname);
  $('chat-title').textContent = 'New chat';
  $('transcript').replaceChildren();
  $('context-meter').hidden = true;
  $('settings').open = true;
  setSettings({}, false);
  renderList();
  closeSidebar();
  $('message').focus();
}

async function open(id) {
  const [status, messages] = await Promise.all([
    call('GET', `/v1/conversations/${id}`),
    call('GET', `/v1/conversations/${id}/messages`),
  ]);
  current = id;
  history.replaceState(null, '', `#${id}`);
  titles.set(id, titleOf(messages.data));
  $('chat-title').textContent = titles.get(id);
  $('settings').open = false;
  setSettings(status, true);
  renderTranscript(messages.data, status);
  renderMeter(status);
  renderList();
  closeSidebar();
}

async function removeConversation(id) {
  await call('DELETE', `/v1/conversations/${id}`);
  localStorage.removeItem(figuresKey(id));
  conversations = conversations.filter((c) => c.id !== id);
  titles.delete(id);
  if (current === id) newChat();
  else renderList();
}

function renderMeter(status) {
  const meter = $('context-meter');
  const limit = status.context_limit;
  meter.hidden = false;
  meter.dataset.tokens = status.context_tokens;
  meter.dataset.limit = limit;
  meter.dataset.reserve = status.reply_reserve;
  meter.setAttribute('aria-valuemax', limit);
  meter.setAttribute('aria-valuenow', status.context_tokens);
  const percent = (n) => `${Math.min(100, (100 * n) / Math.max(1, limit))}%`;
  $('meter-used').style.width = percent(status.context_tokens);
  $('meter-reserve').style.width = percent(status.reply_reserve);
  const text = `${status.context_tokens} / ${limit} tokens · ${status.reply_reserve} kept for the reply`;
  $('meter-text').textContent = text;
  meter.setAttribute('aria-valuetext', text);
  meter.title = `${text}; trims ${status.trims}, summaries ${status.summaries}, ${status.cached_tokens} tokens cached`
    + (status.cache_worker ? ` on ${status.cache_worker}` : '');
}

function messageView(role, content, messageId) {
  const article = element('article', `message ${role}`);
  if (messageId) article.dataset.messageId = messageId;
  const head = element('header', 'message-head');
  const who = element('span', 'role', role === 'user' ? 'You' : role === 'assistant' ? 'Model' : role);
  const body = element('div', 'content');
  body.append(renderMarkdown(content));
  head.append(who, copyButton(() => article.rawText, `Copy ${role === 'user' ? 'your message' : 'reply'}`));
  article.rawText = content;
  article.append(head, body);
  return article;
}

function setContent(article, text) {
  article.rawText = text;
  article.querySelector('.content').replaceChildren(renderMarkdown(text));
}

function figuresView(figures) {
  const parts = [];
  if (figures.ttftMs !== undefined) parts.push(`TTFT ${Math.round(figures.ttftMs)} ms`);
  if (figures.tokensPerSecond) parts.push(`${figures.tokensPerSecond.toFixed(1)} tok/s`);
  parts.push(`${figures.completionTokens} tokens`);
  parts.push(`prompt ${figures.promptTokens}: ${figures.computed} computed, ${figures.reused} from KV cache`);
  if (figures.worker) parts.push(`worker ${figures.worker}`);
  if (figures.finishReason) parts.push(figures.finishReason === 'length' ? 'cut at the length limit' : 'finished');
  const view = element('p', 'figures', parts.join(' · '));
  view.dataset.computed = figures.computed;
  view.dataset.reused = figures.reused;
  return view;
}

function trimMarker(count, status) {
  const marker = element('div', 'trim-marker');
  marker.setAttribute('role', 'note');
  const what = status.summaries > 0 ? 'summarized' : 'trimmed';
  marker.append(element('p', null,
    `${count} earlier message${count === 1 ? '' : 's'} ${what} out of the model's context `
    + `(${status.trims} trim${status.trims === 1 ? '' : 's'}, ${status.summaries} summar${status.summaries === 1 ? 'y' : 'ies'}).`));
  if (status.summary) {
    const details = element('details');
    details.append(element('summary', null, 'Summary the model sees instead'), element('p', 'summary-text', status.summary));
    marker.append(details);
  }
  return marker;
}

function renderTranscript(messages, status) {
  const figures = loadFigures(current);
  const nodes = [];
  const firstInContext = messages.findIndex((m) => m.in_context);
  const outOfContext = firstInContext < 0 ? messages.length : firstInContext;
  messages.forEach((m, index) => {
    if (index === outOfContext && outOfContext > 0) nodes.push(trimMarker(outOfContext, status));
    const view = messageView(m.role, m.content, m.message_id);
    if (!m.in_context) view.classList.add('out-of-context');
    nodes.push(view);
    if (m.role === 'assistant' && figures[m.message_id]) nodes.push(figuresView(figures[m.message_id]));
  });
  if (outOfContext === messages.length && outOfContext > 0) nodes.push(trimMarker(outOfContext, status));
  $('transcript').replaceChildren(...nodes);
  $('transcript').scrollTop = $('transcript').scrollHeight;
}

function settingsBody() {
  const number = (id) => ($(id).value === '' ? undefined : Number($(id).value));
  return {
    model: $('model').value,
    system_prompt: $('system-prompt').value.trim() === '' ? undefined : $('system-prompt').value,
    temperature: number('temperature'),
    top_p: number('top-p'),
    max_tokens: number('max-tokens'),
    context_policy: $('context-policy').value,
  };
}

function setRunning(controller) {
  running = controller;
  $('send').hidden = !!controller;
  $('stop').hidden = !controller;
}

async function send() {
  const content = $('message').value;
  if (running || content.trim() === '') return;
  await guard(async () => {
    if (!current) {
      const created = await call('POST', '/v1/conversations', settingsBody());
      conversations.push({ id: created.id, created_at: Math.floor(Date.now() / 1000) });
      titles.set(created.id, titleOf([{ role: 'user', content }]));
      current = created.id;
      history.replaceState(null, '', `#${created.id}`);
      $('chat-title').textContent = titles.get(created.id);
      setSettings(created, true);
      $('settings').open = false;
      renderList();
    }
    const id = current;
    const messageId = `web-${crypto.randomUUID()}`;
    $('message').value = '';
    const transcript = $('transcript');
    transcript.append(messageView('user', content, messageId));
    const reply = messageView('assistant', '', messageId);
    reply.classList.add('streaming');
    transcript.append(reply);
    const controller = new AbortController();
    setRunning(controller);
    const started = performance.now();
    let first = 0;
    let text = '';
    try {
      const turn = await sendStreaming(id, content, messageId, controller.signal, (delta) => {
        if (!first) first = performance.now();
        text += delta;
        setContent(reply, text);
        transcript.scrollTop = transcript.scrollHeight;
      });
      const ended = performance.now();
      const status = await call('GET', `/v1/conversations/${id}`);
      const seconds = (ended - first) / 1000;
      saveFigures(id, messageId, {
        ttftMs: first ? first - started : undefined,
        tokensPerSecond: first && turn.usage.completion_tokens > 1 && seconds > 0 ? (turn.usage.completion_tokens - 1) / seconds : undefined,
        completionTokens: turn.usage.completion_tokens,
        promptTokens: turn.usage.prompt_tokens,
        computed: turn.usage.prompt_tokens - turn.cached_prompt_tokens,
        reused: turn.cached_prompt_tokens,
        finishReason: turn.finish_reason,
        worker: status.cache_worker,
      });
      if (current === id) await open(id);
    } catch (error) {
      reply.classList.remove('streaming');
      if (controller.signal.aborted) {
        // Closing the stream cancelled the turn on the server: the conversation keeps no half reply.
        reply.classList.add('stopped');
        reply.dataset.state = 'stopped';
        reply.querySelector('.message-head').append(element('span', 'badge', 'stopped'));
        return;
      }
      reply.remove();
      throw error;
    } finally {
      setRunning(null);
      // Counts finished turns (done, stopped or failed), so scripts driving the page know when one is over.
      document.body.dataset.turnsDone = String(Number(document.body.dataset.turnsDone ?? 0) + 1);
    }
    await refreshUsage();
  });
}

function closeSidebar() {
  document.body.classList.remove('sidebar-open');
  $('toggle-sidebar').setAttribute('aria-expanded', 'false');
}

window.addEventListener('hashchange', () => {
  if (location.hash.slice(1) !== (current ?? '') && !running) guard(openFromAddress);
});
$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});
$('message').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
$('stop').addEventListener('click', () => running?.abort());
$('new-chat').addEventListener('click', () => { if (!running) newChat(); });
$('change-key').addEventListener('click', () => askKey('Enter the API key to use.'));
$('toggle-sidebar').addEventListener('click', () => {
  const openNow = document.body.classList.toggle('sidebar-open');
  $('toggle-sidebar').setAttribute('aria-expanded', String(openNow));
});
$('key-form').addEventListener('submit', () => {
  apiKey.set($('key-input').value.trim());
  titles.clear();
  loadAll();
});
$('key-clear').addEventListener('click', () => {
  apiKey.clear();
  $('key-dialog').close();
  titles.clear();
  loadAll();
});

loadAll();
