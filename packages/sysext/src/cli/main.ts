import { SysextError } from '../errors.js';
import { removeTempFilesOnSignal } from '../deps.js';
import { type CliIo } from './args.js';
import { EXIT, exitCodeFor, formatError } from './errors.js';
import { limitYoungGeneration } from './heap.js';

export const MAIN_HELP = `Usage: bakery <command> [options]

Builds systemd system extensions (sysext) for Flatcar and other systemd hosts, in pure
TypeScript: no mksquashfs, no bash.

Commands:
  create <recipe> <version> [<arch>]   build a sysext from a recipe (bakery list)
  create <directory> --name NAME       build a sysext from a directory tree (usr/ and opt/)
  list [<recipe>] [--latest true]      list recipes, or the versions of one
  pack <dir> <image>                   a SquashFS image of any directory (like mksquashfs)
  inspect <image> [--json]             superblock, every entry, and the sysext metadata
  verify <image>                       full consistency check of an image
  help [<command>]                     help of a command (also: bakery <command> --help)

Environment: BAKERY_DEBUG=1 prints stack traces; SOURCE_DATE_EPOCH (pack); BAKERY_K8S_BASE_URL,
BAKERY_CNI_BASE_URL (mirrors); HTTPS_PROXY/NO_PROXY; GITHUB_TOKEN.
`;

type Verb = (args: string[], io: CliIo) => Promise<number>;

interface Command {
  run: Verb;
  help: () => string;
}

/** A command whose module is imported when it is first needed. */
function lazy<M>(load: () => Promise<M>, pick: (m: M) => Command): () => Promise<Command> {
  return async () => pick(await load());
}

/**
 * Each command's module is loaded when it runs: `pack`, `inspect` and `verify` never load the
 * Kubernetes downloader (undici alone is ~60 ms of start-up, 1% of packing 25,000 small files).
 */
const VERBS: Record<string, () => Promise<Command>> = {
  create: lazy(() => import('./create.js'), (m) => ({ run: m.runCreate, help: m.createHelp })),
  list: lazy(() => import('./list.js'), (m) => ({ run: m.runList, help: () => m.LIST_HELP })),
  pack: lazy(() => import('./pack.js'), (m) => ({ run: m.runPack, help: () => m.PACK_HELP })),
  inspect: lazy(() => import('./inspect.js'), (m) => ({ run: m.runInspect, help: () => m.INSPECT_HELP })),
  verify: lazy(() => import('./inspect.js'), (m) => ({ run: m.runVerify, help: () => m.VERIFY_HELP })),
};

/** Runs the command line; returns the exit status. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug') || io.env.BAKERY_DEBUG === '1';
  const [verb, ...rest] = argv;
  try {
    if (verb === undefined || verb === '--help' || verb === '-h') {
      io.stdout.write(MAIN_HELP);
      return verb === undefined ? EXIT.usage : EXIT.ok;
    }
    if (verb === '--version') {
      io.stdout.write('bakery 0.1.0\n');
      return EXIT.ok;
    }
    if (verb === 'help') {
      const topic = rest[0];
      if (topic === undefined) io.stdout.write(MAIN_HELP);
      else {
        const load = Object.hasOwn(VERBS, topic) ? VERBS[topic] : undefined;
        if (load === undefined) throw new SysextError('USAGE', `no command "${topic}" (bakery --help)`);
        io.stdout.write((await load()).help());
      }
      return EXIT.ok;
    }
    const load = Object.hasOwn(VERBS, verb) ? VERBS[verb] : undefined;
    if (load === undefined) throw new SysextError('USAGE', `unknown command "${verb}" (bakery --help)`);
    return await (await load()).run(rest, io);
  } catch (err) {
    const aborted = io.signal.aborted;
    io.stderr.write(`bakery: ${aborted ? 'interrupted' : formatError(err)}\n`);
    if (debug && err instanceof Error && err.stack !== undefined) io.stderr.write(`${err.stack}\n`);
    return aborted ? EXIT.interrupted : exitCodeFor(err);
  }
}

/** The process entry point: on SIGINT/SIGTERM the temp files of unfinished images are removed and the process exits 130/143. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  limitYoungGeneration();
  removeTempFilesOnSignal();
  const controller = new AbortController();
  const code = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd(), signal: controller.signal });
  process.exitCode = code;
}
