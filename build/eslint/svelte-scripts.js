// An ESLint processor that lints the <script> blocks of .svelte files as TypeScript, so the layer
// rule sees a component's imports (no Svelte parser is installed; templates hold no imports).
const SCRIPT = /<script\b[^>]*>([\s\S]*?)<\/script>/g;

/** Line offsets of each block, by file, to map messages back to the .svelte file. */
const offsets = new Map();

export const svelteScripts = {
  meta: { name: 'svelte-scripts' },
  preprocess(text, filename) {
    const blocks = [];
    const lines = [];
    for (const m of text.matchAll(SCRIPT)) {
      const start = m.index + m[0].indexOf('>') + 1;
      lines.push(text.slice(0, start).split('\n').length - 1);
      blocks.push({ text: m[1], filename: `${blocks.length}.ts` });
    }
    offsets.set(filename, lines);
    return blocks;
  },
  postprocess(messages, filename) {
    const lines = offsets.get(filename) ?? [];
    offsets.delete(filename);
    return messages.flatMap((list, i) => list.map((m) => ({ ...m, line: m.line + (lines[i] ?? 0), ...(m.endLine ? { endLine: m.endLine + (lines[i] ?? 0) } : {}) })));
  },
  supportsAutofix: false,
};
