// The benchmark's peer (docs/benchmarks.md): what a department would build with a job queue and a
// state-machine library. Each case gets three jobs, apply, accept and decide; a job reads the
// case's state (GET), makes one XState transition, and writes the new state, one outbox entry and
// the job's dedupe key in one MULTI. All jobs are queued first; the figure is the drain of that
// backlog: jobs / (first job started -> last job completed).
//
// Usage: node worker.mjs --port 6390 [--cases 20000] [--concurrency 64]
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { createMachine, transition } from 'xstate';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => {
    if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const port = Number(args.port ?? 6379);
const cases = Number(args.cases ?? 20000);
const concurrency = Number(args.concurrency ?? 64);

const machine = createMachine({
  id: 'case',
  initial: 'new',
  states: {
    new: { on: { apply: 'applied' } },
    applied: { on: { accept: 'accepted', reject: 'rejected' } },
    accepted: { on: { decide: 'decided' } },
    rejected: {},
    decided: {},
  },
});

const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
const redis = new IORedis(connection);
const queue = new Queue('xyp-peer', { connection });

const kinds = ['apply', 'accept', 'decide'];
const total = cases * kinds.length;
for (const type of kinds) {
  for (let c = 0; c < cases; c += 1000) {
    const jobs = [];
    for (let k = c; k < Math.min(cases, c + 1000); ++k) {
      const caseId = `PEER-${k}`;
      jobs.push({
        name: type,
        data: { id: `${caseId}-${type}`, caseId, type },
        opts: { removeOnComplete: true, removeOnFail: true },
      });
    }
    await queue.addBulk(jobs);
  }
}

let done = 0;
let started = 0n;
const cpuBefore = process.cpuUsage();
const finished = new Promise((resolve) => {
  const worker = new Worker(
    'xyp-peer',
    async (job) => {
      if (started === 0n) started = process.hrtime.bigint();
      const { id, caseId, type } = job.data;
      const key = `peer:case:${caseId}`;
      const stored = (await redis.get(key)) ?? 'new';
      const [next] = transition(machine, machine.resolveState({ value: stored, context: {} }), {
        type,
      });
      await redis
        .multi()
        .set(key, String(next.value))
        .xadd(
          'peer:outbox',
          '*',
          'event',
          JSON.stringify({ id: `${id}/1`, type: 'case.transitioned', case_id: caseId,
                           from: stored, to: next.value }),
        )
        .set(`peer:dedupe:${id}`, '1', 'EX', 604800)
        .exec();
    },
    { connection, concurrency },
  );
  worker.on('completed', () => {
    if (++done === total) resolve(worker);
  });
});
const worker = await finished;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
console.log(
  JSON.stringify({
    peer_events: total,
    peer_seconds: seconds,
    peer_events_per_s: total / seconds,
    peer_cpu_us_per_event: (cpu.user + cpu.system) / total,
  }),
);
await worker.close();
await queue.close();
redis.disconnect();
