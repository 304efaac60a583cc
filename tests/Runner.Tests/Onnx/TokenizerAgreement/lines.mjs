// Builds the agreement corpus: text lines from ../shared/datasets (every string in the JSON/JSONL files and every CSV row,
// split at newlines, deduplicated, in sorted file order) plus hand-written edge cases. Usage: node lines.mjs DATASETS_DIR MAX
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const [root, maxArg] = process.argv.slice(2);
const max = Number(maxArg ?? 3000);
const seen = new Set();
const lines = [];
const add = s => {
  for (const part of String(s).split(/\r?\n/)) {
    if (part.length === 0 || part.length > 600 || seen.has(part)) continue;
    seen.add(part);
    lines.push(part);
  }
};
const walk = dir => readdirSync(dir).sort().flatMap(n => statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]);
const strings = v => typeof v === "string" ? [v] : Array.isArray(v) ? v.flatMap(strings) : v && typeof v === "object" ? Object.values(v).flatMap(strings) : [];

const files = walk(root).filter(f => /\.(json|jsonl|csv)$/.test(f));
// Round-robin over files so that every dataset contributes, not just the first large one.
const perFile = files.map(f => {
  const text = readFileSync(f, "utf8");
  if (f.endsWith(".csv")) return text.split(/\r?\n/);
  if (f.endsWith(".jsonl")) return text.split(/\r?\n/).filter(Boolean).flatMap(l => { try { return strings(JSON.parse(l)); } catch { return [l]; } });
  try { return strings(JSON.parse(text)); } catch { return text.split(/\r?\n/); }
});
const edge = [
  "古文字𠀀𪚥𠮷与表情😀🇨🇳👨‍👩‍👧，混合 English 123456 don't", "𠀀", "a𠀀b", "１２３ 全角ＡＢＣ", "\t  leading and trailing  ",
  "<|im_start|>user\nHello 世界 123456 don't<|im_end|>", "<|im_start|>assistant<think>\n\n</think>", "e\u0301 caf\u00e9 ﬁ Å Å",
  "𝐀𝐁𝐂 𝟏𝟐𝟑 math letters", "x = f(a, b) + 3.14e-10; // code", "https://example.com/路径?q=中文&x=1", "    ", "!!!???。。。",
  "日本語のテキストと한국어 텍스트", "Ελληνικά и русский текст", "emoji🙂in😀words", "تجربة عربية", "\u200b zero width \ufeff bom",
];
edge.forEach(add);
for (let i = 0; lines.length < max; i++) {
  let progressed = false;
  for (const list of perFile) if (i < list.length) { add(list[i]); progressed = true; if (lines.length >= max) break; }
  if (!progressed) break;
}
process.stdout.write(lines.join("\n") + "\n");
