// `airlock check --batch`: JSON lines in, one JSON line out per input, in order, streaming with
// backpressure so 50,000 lines never sit in memory. Bad lines get an error result, never a crash.
import { z } from 'zod';
import type { Readable, Writable } from 'node:stream';
import type { PolicyCheck } from '../gateway/policy-check.js';
import type { PolicyContext } from '../domain/decision.js';

const lineSchema = z.object({ sql: z.string(), agent: z.string().optional(), database: z.string().optional() });
const decoder = new TextDecoder('utf-8', { fatal: true });
const OUT_CHUNK = 64 * 1024;

function errorResult(error: string) {
  return { decision: 'block', rule: 'invalid-input', reason: error, statements: [], error };
}

/** the target (and its label) serving a database: rules on targets and labels apply per line */
export type TargetFor = (database: string) => { name: string; label: string };

function judgeLine(bytes: Buffer, policy: PolicyCheck, ctx: PolicyContext, targetFor?: TargetFor): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return errorResult('input line is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return errorResult(`input line is not JSON: ${(err as Error).message}`);
  }
  const parsed = lineSchema.safeParse(json);
  if (!parsed.success) return errorResult(`input line must be {"sql": string}: ${parsed.error.issues[0]?.message}`);
  const { sql, agent, database } = parsed.data;
  if (database === undefined || !targetFor) return policy.check(sql, { ...ctx, agent: agent ?? ctx.agent });
  const t = targetFor(database);
  return policy.check(sql, { ...ctx, agent: agent ?? ctx.agent, database, target: t.name, label: t.label });
}

/** Stream decisions for every line of `input` to `output`; resolves with the number of lines. */
export async function runBatch(
  input: Readable,
  output: Writable,
  policy: PolicyCheck,
  ctx: PolicyContext,
  maxLineBytes: number,
  targetFor?: TargetFor,
): Promise<number> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false; // inside an over-long line: drop bytes until its newline
  let count = 0;
  // results are written in chunks of ~64 KiB: one write per line costs more than the policy
  let out = '';
  const flush = async () => {
    const text = out;
    out = '';
    if (text && !output.write(text)) await new Promise((r) => output.once('drain', r));
  };
  const emit = async (result: unknown) => {
    count++;
    out += `${JSON.stringify(result)}\n`;
    if (out.length >= OUT_CHUNK) await flush();
  };
  const finishLine = async (tail: Buffer) => {
    if (skipping) {
      skipping = false;
      await emit(errorResult(`input line longer than ${maxLineBytes} bytes`));
    } else {
      const line = pending.length ? Buffer.concat([...pending, tail]) : tail;
      const trimmed = line.length && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
      if (trimmed.length > 0) await emit(judgeLine(trimmed, policy, ctx, targetFor));
    }
    pending = [];
    pendingBytes = 0;
  };
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      await finishLine(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length && !skipping) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxLineBytes) {
        skipping = true;
        pending = [];
        pendingBytes = 0;
      }
    }
    // what this input chunk answered goes out now: a caller feeding one line at a time gets its answer
    await flush();
  }
  if (pendingBytes > 0 || skipping) await finishLine(Buffer.alloc(0));
  await flush();
  return count;
}
