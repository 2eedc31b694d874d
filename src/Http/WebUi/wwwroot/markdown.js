// A small Markdown subset (fenced code, headings, lists, quotes, paragraphs, `code`, **bold**, *italic*) rendered as
// DOM nodes. Model and user text reaches the page only through text nodes, never as HTML, so a reply that contains
// <script> or <img onerror> shows those characters and runs nothing.

const fence = /^\s*```\s*([\w+#.-]*)\s*$/;
const heading = /^(#{1,6})\s+(.*)$/;
const bullet = /^\s*[-*+]\s+(.*)$/;
const numbered = /^\s*\d+[.)]\s+(.*)$/;
const quote = /^\s*>\s?(.*)$/;
const blocks = [[bullet, 'ul'], [numbered, 'ol'], [quote, 'blockquote']];
const inline = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\s\n][^*\n]*\*)/g;

/** Renders `text` as a fragment of elements built with text nodes only. */
export function renderMarkdown(text, doc = document) {
  const out = doc.createDocumentFragment();
  const lines = String(text).split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const open = fence.exec(line);
    if (open) {
      const code = [];
      i++;
      // While a reply streams its closing fence may not have come yet: the rest is code until it does.
      while (i < lines.length && !fence.test(lines[i])) {
        code.push(lines[i]);
        i++;
      }
      i++;
      out.append(codeBlock(code.join('\n'), open[1], doc));
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const h = heading.exec(line);
    if (h) {
      const element = doc.createElement('h' + Math.min(6, h[1].length + 2));
      appendInline(element, h[2], doc);
      out.append(element);
      i++;
      continue;
    }
    const list = blocks.find(([pattern]) => pattern.test(line));
    if (list) {
      const [pattern, tag] = list;
      const block = doc.createElement(tag);
      while (i < lines.length && pattern.test(lines[i])) {
        const item = doc.createElement(tag === 'blockquote' ? 'p' : 'li');
        appendInline(item, pattern.exec(lines[i])[1], doc);
        block.append(item);
        i++;
      }
      out.append(block);
      continue;
    }
    const paragraph = doc.createElement('p');
    for (let first = true; i < lines.length && startsParagraph(lines[i]); first = false, i++) {
      if (!first) paragraph.append(doc.createElement('br'));
      appendInline(paragraph, lines[i], doc);
    }
    out.append(paragraph);
  }
  return out;
}

/** A button that copies `text()` to the clipboard and says so. */
export function copyButton(text, label, doc = document) {
  const button = doc.createElement('button');
  button.type = 'button';
  button.className = 'copy';
  button.textContent = 'Copy';
  button.setAttribute('aria-label', label);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text());
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Copy failed';
    }
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  });
  return button;
}

function startsParagraph(line) {
  return line.trim() !== '' && !fence.test(line) && !heading.test(line) && !blocks.some(([pattern]) => pattern.test(line));
}

function codeBlock(code, language, doc) {
  const block = doc.createElement('div');
  block.className = 'code';
  const head = doc.createElement('div');
  head.className = 'code-head';
  const name = doc.createElement('span');
  name.textContent = language || 'code';
  head.append(name, copyButton(() => code, 'Copy code', doc));
  const pre = doc.createElement('pre');
  const element = doc.createElement('code');
  element.textContent = code;
  pre.append(element);
  block.append(head, pre);
  return block;
}

function appendInline(parent, text, doc) {
  let last = 0;
  for (const match of text.matchAll(inline)) {
    parent.append(doc.createTextNode(text.slice(last, match.index)));
    const token = match[0];
    const [tag, inner] = match[1] ? ['code', token.slice(1, -1)]
      : match[2] ? ['strong', token.slice(2, -2)]
      : ['em', token.slice(1, -1)];
    const element = doc.createElement(tag);
    element.textContent = inner;
    parent.append(element);
    last = match.index + token.length;
  }
  parent.append(doc.createTextNode(text.slice(last)));
}
