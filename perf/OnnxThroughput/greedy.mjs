// The reference side of perf/OnnxThroughput: a plain greedy loop over the same model.onnx with onnxruntime-node (whose
// libonnxruntime.so.1 is the file Evals loads). It keeps its session and answers one JSON command per stdin line, so the
// C# driver can interleave its own repeats with these in one run.
//   node greedy.mjs <onnxruntime-node dir> <model.onnx> <threads> <layers> <kvHeads> <headDim>
// stdin:  {"prompt":[ids], "decode":N, "limit":L}
// stdout: {"prefillMs", "decodeMs" (wall), "prefillCpuMs", "decodeCpuMs" (this process, all threads), "tokens":[...]}
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";

const [ortDir, modelPath, threads, layers, kvHeads, headDim] = process.argv.slice(2);
const ort = createRequire(import.meta.url)(ortDir);
const L = Number(layers), KV = Number(kvHeads), HD = Number(headDim);

// The same session settings as Evals' OrtSession: all graph optimisations, the same intra-op thread count, no idle spinning.
const session = await ort.InferenceSession.create(modelPath, {
  graphOptimizationLevel: "all",
  intraOpNumThreads: Number(threads),
  executionMode: "sequential",
  extra: { session: { intra_op: { allow_spinning: "0" } } },
});

const i64 = (values, dims) => new ort.Tensor("int64", BigInt64Array.from(values, v => BigInt(v)), dims);

function argmax(data, offset, limit) {
  let best = 0, max = -Infinity;
  for (let i = 0; i < limit; i++) {
    const v = data[offset + i];
    if (v > max) { max = v; best = i; }
  }
  return best;
}

async function generate(prompt, decode, limit) {
  const T = prompt.length;
  const feeds = {
    input_ids: i64(prompt, [1, T]),
    attention_mask: i64(prompt.map(() => 1), [1, T]),
    position_ids: i64(prompt.map((_, i) => i), [1, T]),
  };
  for (let l = 0; l < L; l++) {
    feeds[`past_key_values.${l}.key`] = new ort.Tensor("float32", new Float32Array(0), [1, KV, 0, HD]);
    feeds[`past_key_values.${l}.value`] = new ort.Tensor("float32", new Float32Array(0), [1, KV, 0, HD]);
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let out = await session.run(feeds);
  const vocab = out.logits.dims[2];
  let token = argmax(out.logits.data, (T - 1) * vocab, Math.min(limit, vocab));
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const tokens = [token];
  let total = T;
  for (let s = 0; s < decode; s++) {
    total++;
    const step = {
      input_ids: i64([token], [1, 1]),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: i64([total - 1], [1, 1]),
    };
    // The presents become the next pasts as they are, the usual loop (transformers.js does the same).
    for (let l = 0; l < L; l++) {
      step[`past_key_values.${l}.key`] = out[`present.${l}.key`];
      step[`past_key_values.${l}.value`] = out[`present.${l}.value`];
    }
    out = await session.run(step);
    token = argmax(out.logits.data, 0, Math.min(limit, vocab));
    tokens.push(token);
  }
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  const cpuMs = (a, b) => (b.user - a.user + b.system - a.system) / 1000;
  return { prefillMs: t1 - t0, decodeMs: t2 - t1, prefillCpuMs: cpuMs(c0, c1), decodeCpuMs: cpuMs(c1, c2), tokens };
}

process.stdout.write(JSON.stringify({ ready: true, versions: ort.env.versions }) + "\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "") continue;
  const command = JSON.parse(line);
  const result = await generate(command.prompt, command.decode, command.limit);
  process.stdout.write(JSON.stringify(result) + "\n");
}
