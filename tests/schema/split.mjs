// Sorts the lines of one check into files for ajv-cli: which must pass a schema, which must fail.
//
//   node split.mjs inbound <events.jsonl> <replay-output> <dir>
//     Each line of events.jsonl by what `xinyipi replay` did with it (its summary lists dead
//     letters as "line N: code: detail"):
//       accepted (applied or a repeated id)            -> <dir>/pass/  (must pass inbound)
//       refused for a reason a schema can see           -> <dir>/fail/  (must fail inbound)
//       refused for a reason only the engine can see    -> <dir>/pass/  (must pass inbound: the
//         schema is no stricter than the engine's envelope check); mustFail() says which
//     A line that is not JSON cannot be handed to ajv-cli: it counts as failing the schema here,
//     and it is a failure of the check unless the engine refused it as malformed_json.
//   node split.mjs outbound <replay-output> <dir>
//     Every outbound event the replay printed -> <dir>/pass/ (must pass outbound); its dead-letter
//     lines are left out.
//
// Prints one line "split: <pass> <fail> <passed here> <failed here>"; the reasons of the failures
// go to stderr.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The dead-letter codes a JSON Schema can see. The others depend on the engine's state
// (unknown_case, duplicate_case, unknown_matter, invalid_transition, id_conflict).
const schemaVisibleCodes = new Set(['malformed_json', 'unknown_type', 'schema_violation']);

// The applicant id patterns, from the schema itself.
const here = dirname(fileURLToPath(import.meta.url));
const defs = JSON.parse(
  readFileSync(join(here, '..', '..', 'docs', 'schema', 'common.schema.json'), 'utf8'),
).$defs;
const pattern = (name) => new RegExp(defs[name].pattern, 'u');
const anyId = pattern('applicant_id');
const residentId = pattern('resident_id');
const creditCode = pattern('social_credit_code');

// Whether a line the engine refused must fail the inbound schema. A schema_violation is the
// schema's business when engine/event.cpp's envelope check gave it ("field ..." and "the envelope
// must be a JSON object"), but for the applicant id's check character and its kind against
// applicant.kind: there the schema sees only the pattern, so the line must fail exactly when
// its id breaks the pattern. A schema_violation the processor gives (the envelope's size in
// bytes, clock.advance without the simulated clock, a deadline beyond the calendars, a case of
// another applicant) and the semantic codes are beyond any schema: the line must pass.
function mustFail(refusal, doc) {
  if (!schemaVisibleCodes.has(refusal.code)) return false;
  if (refusal.code !== 'schema_violation') return true;
  const id = typeof doc?.applicant_id === 'string' ? doc.applicant_id : '';
  if (/^field applicant_id .*valid check character/.test(refusal.detail)) return !anyId.test(id);
  if (/^field applicant_id .*when data\.applicant\.kind is person/.test(refusal.detail)) {
    return !residentId.test(id);
  }
  if (/^field applicant_id .*when data\.applicant\.kind is enterprise/.test(refusal.detail)) {
    return !creditCode.test(id);
  }
  return /^field /.test(refusal.detail) || /^the envelope must be a JSON object/.test(refusal.detail);
}

const [mode, ...args] = process.argv.slice(2);
const tally = { passed: 0, failed: 0 };
const problem = (text) => {
  tally.failed += 1;
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
    if (!parses(text)) {
      if (refusal && refusal.code === 'malformed_json') {
        tally.passed += 1;
      } else {
        problem(`${source} line ${n}: not JSON, yet the engine ${refusal ? `said ${refusal.code}` : 'accepted it'}`);
      }
      return;
    }
    if (refusal && refusal.code === 'malformed_json') {
      problem(`${source} line ${n}: the engine says malformed_json, but it parses as JSON`);
      return;
    }
    if (refusal && mustFail(refusal, JSON.parse(text))) {
      writeFileSync(join(dir, 'fail', name(source, n)), text);
      fail += 1;
    } else {
      writeFileSync(join(dir, 'pass', name(source, n)), text);
      pass += 1;
    }
  });
  console.log(`split: ${pass} ${fail} ${tally.passed} ${tally.failed}`);
} else if (mode === 'outbound') {
  const [replayOutput, dir] = args;
  prepare(dir);
  const source = replayOutput.split('/').pop().replace(/\.[a-z]+$/, '');
  let pass = 0;
  lines(replayOutput).forEach((text, index) => {
    if (text.startsWith('#') || text.trim() === '') return;
    // The replay's own report of a dead letter ({"dead_letter": {...}}) is not an outbound event.
    if (Object.hasOwn(JSON.parse(text), 'dead_letter')) return;
    writeFileSync(join(dir, 'pass', name(source, index + 1)), text);
    pass += 1;
  });
  console.log(`split: ${pass} 0 ${tally.passed} ${tally.failed}`);
} else {
  console.error('usage: node split.mjs inbound <events.jsonl> <replay-output> <dir>\n' +
    '       node split.mjs outbound <replay-output> <dir>');
  process.exit(2);
}
