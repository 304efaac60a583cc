// Reference ids from @huggingface/tokenizers (not written here), one line of space-separated ids per input line.
// Usage: node reference.mjs TOKENIZER_DIR LINES_FILE  (run where @huggingface/tokenizers is installed)
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const [dir, linesFile] = process.argv.slice(2);
const rd = f => JSON.parse(readFileSync(`${dir}/${f}`, "utf8"));
const tok = new Tokenizer(rd("tokenizer.json"), rd("tokenizer_config.json"));
const lines = readFileSync(linesFile, "utf8").split("\n");
if (lines.at(-1) === "") lines.pop();
let roundTripFailures = 0;
const out = lines.map(line => {
  const ids = tok.encode(line).ids;
  if (tok.decode(ids) !== line) roundTripFailures++;
  return ids.join(" ");
});
process.stdout.write(out.join("\n") + "\n");
process.stderr.write(`reference: ${lines.length} lines, ${roundTripFailures} where its own decode(encode(x)) != x\n`);
