// Sorts the lines of one check into files for ajv-cli: which must pass a schema, which must fail.
//
//   node split.mjs inbound <events.jsonl> <replay-output> <dir>
//     Each line of events.jsonl by what `xinyipi replay` did with it (its summary lists dead
//     letters as "line N: code: detail"):
//       accepted (applied or a repeated id)            -> <dir>/pass/  (must pass inbound)
//       refused for a reason a schema can see           -> <dir>/fail/  (must fail inbound)
//       refused for a reason only the engine can see    -> <dir>/pass/  (must pass inbound: the
//         schema is no stricter than the engine's envelope check)
//     A line that is not JSON cannot be handed to ajv-cli: it counts as failing the schema here,
//     and it is a failure of the check unless the engine refused it as malformed_json.
//   node split.mjs outbound <replay-output> <dir>
//     Every outbound event the replay printed -> <dir>/pass/ (must pass outbound).
//
// Prints one line "split: <pass> <fail> <passed here> <failed here>"; the reasons of the failures
// go to stderr.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The dead-letter codes a JSON Schema can see. The others depend on the engine's state
// (unknown_case, duplicate_case, unknown_matter, invalid_transition, id_conflict).
const schemaVisibleCodes = new Set(['malformed_json', 'unknown_type', 'schema_violation']);
// schema_violation details that no JSON Schema can compute: the check character of an applicant
// id (and a resident id's birth date), the id's kind against applicant.kind when the pattern
// allows both, the envelope's size in bytes, a deadline beyond the loaded calendars.
const beyondSchema = [
  /valid check character/,
  /when data\.applicant\.kind is/,
  /larger than 262144 bytes/,
  /calendar/,
];

const [mode, ...args] = process.argv.slice(2);
let here = { passed: 0, failed: 0 };
const problem = (text) => {
  here.failed += 1;
  console.error(`FAIL ${text}`);
};

function lines(file) {
  const text = readFileSync(file, 'utf8');
  const out = text.split('\n');
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

function prepare(dir) {
  for (const sub of ['pass', 'fail']) mkdirSync(join(dir, sub), { recursive: true });
}

function name(source, n) {
  return `${source}-${String(n).padStart(6, '0')}.json`;
}

const parses = (text) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

if (mode === 'inbound') {
  const [events, replayOutput, dir] = args;
  prepare(dir);
  const dead = new Map();
  for (const line of lines(replayOutput)) {
    const m = /^#\s+line (\d+): ([a-z_]+): (.*)$/.exec(line);
    if (m) dead.set(Number(m[1]), { code: m[2], detail: m[3] });
  }
  const source = events.split('/').pop().replace(/\.jsonl$/, '');
  let pass = 0;
  let fail = 0;
  lines(events).forEach((text, index) => {
    const n = index + 1;
    if (text.trim() === '') return;
    const refusal = dead.get(n);
    const visible =
      refusal &&
      schemaVisibleCodes.has(refusal.code) &&
      !beyondSchema.some((re) => re.test(refusal.detail));
    if (!parses(text)) {
      if (refusal && refusal.code === 'malformed_json') {
        here.passed += 1;
      } else {
        problem(`${source} line ${n}: not JSON, yet the engine ${refusal ? `said ${refusal.code}` : 'accepted it'}`);
      }
      return;
    }
    if (refusal && refusal.code === 'malformed_json') {
      problem(`${source} line ${n}: the engine says malformed_json, but it parses as JSON`);
      return;
    }
    if (visible) {
      writeFileSync(join(dir, 'fail', name(source, n)), text);
      fail += 1;
    } else {
      writeFileSync(join(dir, 'pass', name(source, n)), text);
      pass += 1;
    }
  });
  console.log(`split: ${pass} ${fail} ${here.passed} ${here.failed}`);
} else if (mode === 'outbound') {
  const [replayOutput, dir] = args;
  prepare(dir);
  const source = replayOutput.split('/').pop().replace(/\.[a-z]+$/, '');
  let pass = 0;
  lines(replayOutput).forEach((text, index) => {
    if (text.startsWith('#') || text.trim() === '') return;
    writeFileSync(join(dir, 'pass', name(source, index + 1)), text);
    pass += 1;
  });
  console.log(`split: ${pass} 0 ${here.passed} ${here.failed}`);
} else {
  console.error('usage: node split.mjs inbound <events.jsonl> <replay-output> <dir>\n' +
    '       node split.mjs outbound <replay-output> <dir>');
  process.exit(2);
}
