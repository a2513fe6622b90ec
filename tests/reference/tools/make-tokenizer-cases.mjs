// Writes the Hugging Face `tokenizers` reference cases the C# tests compare QwenTokenizer with (see ../README.md):
//   ../qwen-tokenizer/hf-tokenizer-cases.json  Qwen3 folder and a Qwen2.5-style copy (added tokens up to 151664)
//   ../added-tokens/                          a small crafted folder whose added tokens use lstrip, rstrip,
//                                             single_word and normalized, with its cases.json
// Run: cd tests/reference/tools && npm ci && node make-tokenizer-cases.mjs
// `tokenizers` is the official Node binding of huggingface/tokenizers (the Rust core transformers' fast tokenizers use).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { Tokenizer } = require('tokenizers');
const tokenizersVersion = JSON.parse(readFileSync(require.resolve('tokenizers/package.json'), 'utf8')).version;
const here = dirname(fileURLToPath(import.meta.url));
const reference = join(here, '..');

const write = (path, value) => writeFileSync(path, JSON.stringify(value, null, 1) + '\n');
const fail = message => { console.error(message); process.exit(1); };

// Encode as transformers' `tokenizer(text, add_special_tokens=False)`; decode with and without skipping specials.
async function run(tokenizer, text) {
  const e = await tokenizer.encode(text, null, { addSpecialTokens: false });
  const ids = Array.from(e.getIds());
  return {
    ids,
    tokens: e.getTokens(),
    decoded: await tokenizer.decode(ids, false),
    decoded_skip_special: await tokenizer.decode(ids, true),
  };
}

async function decodeOnly(tokenizer, ids) {
  return { ids, decoded: await tokenizer.decode(ids, false), decoded_skip_special: await tokenizer.decode(ids, true) };
}

// ---------------------------------------------------------------- Qwen3 and Qwen2.5-style folders
const qwenDir = join(reference, 'qwen-tokenizer');
const qwen3Json = gunzipSync(readFileSync(join(qwenDir, 'tokenizer.json.gz'))).toString('utf8');
const qwen3 = Tokenizer.fromString(qwen3Json);
// Qwen2.5's added tokens are 151643..151664; Qwen3 adds <tool_response> </tool_response> <think> </think> after them.
const qwen25Spec = JSON.parse(qwen3Json);
qwen25Spec.added_tokens = qwen25Spec.added_tokens.filter(t => t.id <= 151664);
const qwen25 = Tokenizer.fromString(JSON.stringify(qwen25Spec));

const qwenTexts = [
  '<think>',
  '</think>',
  '<tool_call>',
  '<think>\nLet me add 3 and 5.\n</think>\n<answer>8</answer>',
  'word<think>inside</think>word',
  'a <think> b </think> c',
  '  <think>  </think>  ',
  '\n<think>\n\n</think>\n\n',
  '<think><think></think></think>',
  '<thinking> <think > < think> <thin> <think',
  '<<think>>',
  '<tool_call>\n{"name": "add", "arguments": {"a": 1}}\n</tool_call>',
  'x<tool_call>y</tool_call>z',
  '<tool_response>ok</tool_response>',
  '<|fim_prefix|>def f():<|fim_suffix|>\n    return 1<|fim_middle|>',
  '<|repo_name|>grpo<|file_sep|>a.py\nprint(1)',
  '<|im_start|>assistant\n<think>\n</think>\n\n<tool_call><|im_end|>',
  '<|endoftext|><think>',
  'e\u0301<think>\u0301x',
  '让我们一步一步地解决这个谜题。\n<think>好的</think>\n<answer> (1 + 2) / 3 </answer>',
];
// The 16 strings of tokenizer-cases.json (transformers 4.44's slow tokenizer) are cross-checked and included.
const slowCases = JSON.parse(readFileSync(join(qwenDir, 'tokenizer-cases.json'), 'utf8')).cases;
const qwenCases = [];
for (const text of [...slowCases.map(c => c.text), ...qwenTexts]) {
  qwenCases.push({ text, qwen3: await run(qwen3, text), 'qwen2.5': await run(qwen25, text) });
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
for (const [i, c] of slowCases.entries()) {
  if (!same(qwenCases[i].qwen3.ids, c.ids_with_all_added_tokens)) fail(`slow/fast mismatch (Qwen3) for ${JSON.stringify(c.text)}`);
  if (!same(qwenCases[i]['qwen2.5'].ids, c.ids)) fail(`slow/fast mismatch (Qwen2.5) for ${JSON.stringify(c.text)}`);
}
const think = qwen3.tokenToId('<think>');
const eAcute = [qwen3.tokenToId('Ã'), qwen3.tokenToId('©')];   // the two byte tokens of "é" (0xC3 0xA9)
const qwenDecodes = [
  [eAcute[0], think, eAcute[1]],              // a UTF-8 sequence split by an added token
  [151645, 151667, 151668, 151657, 151643],   // special and non-special added tokens only
  [9707, 200000, 1879],                       // an id outside the vocabulary is dropped
];
write(join(qwenDir, 'hf-tokenizer-cases.json'), {
  produced_by: {
    library: `tokenizers ${tokenizersVersion} (npm, official Node binding of github.com/huggingface/tokenizers)`,
    script: 'tests/reference/tools/make-tokenizer-cases.mjs',
    encode: 'encode(text, null, {addSpecialTokens: false}) = transformers tokenizer(text, add_special_tokens=False)',
    decode: 'decode(ids, false) and decode(ids, true) = skip_special_tokens False / True',
  },
  folders: {
    qwen3: 'qwen-tokenizer/tokenizer.json.gz unchanged (added tokens 151643..151668)',
    'qwen2.5': 'the same file with the added tokens above 151664 removed (Qwen2.5: 151643..151664)',
  },
  cross_check: `the first ${slowCases.length} texts are those of tokenizer-cases.json; their qwen3 ids equal its ` +
    'ids_with_all_added_tokens and their qwen2.5 ids equal its ids (checked when this file was written)',
  cases: qwenCases,
  decode_cases: await Promise.all(qwenDecodes.map(async ids => ({ qwen3: await decodeOnly(qwen3, ids) }))),
});

// ---------------------------------------------------------------- crafted folder with every added-token flag
// A byte-level BPE in the layout of Qwen's tokenizer.json: ids 0..255 are GPT-2's byte symbols in character order,
// then the merges of a few words (each merged left to right), then the added tokens.
function byteSymbols() {
  const symbols = [];
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    symbols.push(String.fromCharCode(printable ? b : next++));
  }
  return symbols.sort();
}
const vocab = {};
byteSymbols().forEach((s, i) => { vocab[s] = i; });
const merges = [];
for (const word of ['hello', 'Ġhello', 'world', 'Ġworld', 'ĠĠ', 'ĠĠĠ', 'ĊĊ', 'Ġx', 'Ġa', 'Ġb', 'next', 'Ġnext',
  'Ġyes', 'Ġno', 'caf', 'Ġcaf', 'na', 'Ã©', 'Ã¯']) {
  const parts = [...word];
  let left = parts[0];
  for (const right of parts.slice(1)) {
    const merged = left + right;
    if (!(merged in vocab)) { merges.push([left, right]); vocab[merged] = Object.keys(vocab).length; }
    left = merged;
  }
}
const flags = { single_word: false, lstrip: false, rstrip: false, normalized: false, special: false };
const added = [
  { content: '<|endoftext|>', special: true },
  { content: '[MASK]', lstrip: true, special: true },
  { content: '<sep>', rstrip: true },
  { content: '<both>', lstrip: true, rstrip: true },
  { content: 'yes', single_word: true },
  { content: 'café', normalized: true },
  { content: 'naïve' },
  { content: 'E\u0301TE\u0301', normalized: true },   // NFD content: matched and decoded in its NFC form
  { content: '<a>' },
  { content: '<a><b>' },
  { content: 'ab', normalized: true },
  { content: 'abc', normalized: true },
  { content: 'a b' },                                // a space: not a byte symbol, so decoded as plain UTF-8
  { content: '<Ġ>' },                                // only byte symbols: decoded byte-wise, "Ġ" becomes a space
].map((t, i) => ({ id: Object.keys(vocab).length + i, ...flags, ...t }));
const qwenSpec = JSON.parse(qwen3Json);
const crafted = {
  version: '1.0', truncation: null, padding: null, added_tokens: added,
  normalizer: qwenSpec.normalizer, pre_tokenizer: qwenSpec.pre_tokenizer,
  post_processor: qwenSpec.post_processor, decoder: qwenSpec.decoder,
  model: { ...qwenSpec.model, vocab, merges },
};
const craftedDir = join(reference, 'added-tokens');
mkdirSync(craftedDir, { recursive: true });
writeFileSync(join(craftedDir, 'tokenizer.json'), JSON.stringify(crafted, null, 1) + '\n');
write(join(craftedDir, 'tokenizer_config.json'), { eos_token: '<|endoftext|>', pad_token: '<|endoftext|>' });
const craftedTokenizer = Tokenizer.fromFile(join(craftedDir, 'tokenizer.json'));
for (const t of added) {
  const id = craftedTokenizer.tokenToId(t.content.normalize('NFC')) ?? craftedTokenizer.tokenToId(t.content);
  if (id !== t.id) fail(`added token ${JSON.stringify(t.content)}: tokenizers gives id ${id}, the file says ${t.id}`);
}

const craftedTexts = [
  'a [MASK] b', 'a   [MASK]b', 'x[MASK]', '\n\t[MASK]', '[MASK] [MASK]', '\u00a0[MASK]', 'hello  [MASK]  world',
  '<sep>  next', '<sep>\n\nnext', 'x <sep>', '<sep>\u3000x',
  'a <both>  b', '<both> <both>', '  <both>  ', 'x<both>y',
  'yes', 'yes!', 'ayes', 'yes_', 'yes2', 'yes no', ' yes ', 'ñyes', 'yes\u0301', '(yes)', 'yesyes',
  'café', 'cafe\u0301', ' café au lait', 'naïve', 'nai\u0308ve', 'E\u0301TE\u0301', 'ÉTÉ',
  '<a><b>', '<a><a><b>', 'abc', 'ab', 'xabcx', 'a b', 'a  b', '<Ġ>', '<|endoftext|>x',
  ' [MASK] <sep> yes café <both> ', 'hello world\n\nnext',
];
const craftedCases = [];
for (const text of craftedTexts) craftedCases.push({ text, ...(await run(craftedTokenizer, text)) });
write(join(craftedDir, 'cases.json'), {
  produced_by: {
    library: `tokenizers ${tokenizersVersion} (npm, official Node binding of github.com/huggingface/tokenizers)`,
    script: 'tests/reference/tools/make-tokenizer-cases.mjs (it also wrote tokenizer.json and tokenizer_config.json here)',
    encode: 'encode(text, null, {addSpecialTokens: false})',
    decode: 'decode(ids, false) and decode(ids, true)',
  },
  cases: craftedCases,
  decode_cases: await Promise.all([
    [vocab['Ã'], added[1].id, vocab['©']],
    [added[12].id, added[13].id, added[7].id, 9999],
  ].map(ids => decodeOnly(craftedTokenizer, ids))),
});
console.log(`wrote ${qwenCases.length} Qwen cases and ${craftedCases.length} crafted cases with tokenizers ${tokenizersVersion}`);
