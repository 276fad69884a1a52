// `glassbox serve-reward`: the RLCR reward over HTTP for OpenRLHF (--remote_rm_url …/get_reward), verl
// (compute_score shim → /compute_score) and TRL (reward function → /get_reward). Runs until Ctrl-C.
import { UserError, type CommandSpec } from '../command.js';
import { startRewardServer, type RewardServer } from '../../calibrate/server.js';
import { checkerByName } from '../../calibrate/check.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../../calibrate/parse.js';
import { REWARD_KINDS, type RewardKind } from '../../calibrate/rewards.js';

export const serveReward: CommandSpec = {
  name: 'serve-reward',
  summary: 'Serve RLCR/RLVR rewards over HTTP for OpenRLHF, verl and TRL (POST /get_reward, POST /compute_score)',
  examples: [
    'glassbox serve-reward --port 5000',
    'glassbox serve-reward --host 0.0.0.0 --port 5000 --format tabc --reward rlcr --checker numeric',
  ],
  options: {
    port: { type: 'number', default: 5000, description: 'TCP port (0 picks a free one)' },
    host: { type: 'string', default: '127.0.0.1', description: 'address to bind (0.0.0.0 to serve other machines)' },
    format: { type: 'string', default: 'tabc', description: 'output format the strict parser enforces: tabc, tac or ta' },
    reward: { type: 'string', default: 'rlcr', description: `reward: ${REWARD_KINDS.join(', ')}` },
    checker: { type: 'string', default: 'exact', description: 'correctness checker: exact (SQuAD) or numeric' },
    'body-limit': { type: 'number', default: 16 * 1024 * 1024, description: 'largest request body in bytes (413 above)' },
  },
  async run(opts, _pos, ctx) {
    const format = String(opts.format);
    if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) throw new UserError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}; got "${format}"`);
    const reward = String(opts.reward);
    if (!(REWARD_KINDS as readonly string[]).includes(reward)) throw new UserError(`--reward must be one of ${REWARD_KINDS.join(', ')}; got "${reward}"`);
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be an integer in [0, 65535], got ${opts.port}`);
    let checker;
    try {
      checker = checkerByName(String(opts.checker));
    } catch (e) {
      throw new UserError(`--checker: ${(e as Error).message}`);
    }
    let server: RewardServer;
    try {
      server = await startRewardServer({
        port, host: String(opts.host), format: format as OutputFormat, reward: reward as RewardKind,
        checker, checkerName: String(opts.checker), bodyLimit: Number(opts['body-limit']),
      });
    } catch (e) {
      throw new UserError(`cannot start the reward server: ${(e as Error).message}`);
    }
    if (opts.json) ctx.out(JSON.stringify({ url: server.url, format, reward, checker: opts.checker }));
    else {
      ctx.out(`reward server on ${server.url} (format ${format}, reward ${reward}, checker ${opts.checker})`);
      ctx.out(`  OpenRLHF: --remote_rm_url ${server.url}/get_reward   verl: POST ${server.url}/compute_score   health: GET ${server.url}/health`);
    }
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        done();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
    ctx.err(`reward server stopped after ${server.stats.requests} requests (${server.stats.scored} completions scored)`);
    return 0;
  },
};
