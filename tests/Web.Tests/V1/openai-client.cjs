// The `openai` npm package as a second real client of /v1. Prints one JSON object for the C# test to check.
const OpenAI = require('openai');

async function main() {
  const client = new OpenAI({ apiKey: process.env.EVALS_V1_KEY, baseURL: process.env.EVALS_V1_URL, maxRetries: 0 });
  const models = [];
  for await (const model of client.models.list()) models.push(model.id);
  const completion = await client.chat.completions.create({
    model: 'tiny', messages: [{ role: 'user', content: '你好，世界' }], max_tokens: 12, temperature: 0,
  });
  const stream = await client.chat.completions.create({
    model: 'tiny', messages: [{ role: 'user', content: '你好，世界' }], max_tokens: 12, temperature: 0,
    stream: true, stream_options: { include_usage: true },
  });
  let streamed = '';
  let chunks = 0;
  let usage = null;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.choices.length > 0) streamed += chunk.choices[0].delta.content ?? '';
    if (chunk.usage) usage = chunk.usage;
  }
  let unknownStatus = null;
  let unknownCode = null;
  try {
    await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] });
  } catch (e) {
    unknownStatus = e.status;
    unknownCode = e.code;
  }
  console.log(JSON.stringify({
    models, content: completion.choices[0].message.content, finish: completion.choices[0].finish_reason,
    usage: completion.usage, streamed, chunks, stream_usage: usage, unknown_status: unknownStatus, unknown_code: unknownCode,
  }));
}

main().catch(e => { console.error(e); process.exit(1); });
