import { SysextError } from '../errors.js';
import { RECIPES, findRecipe } from '../recipes/index.js';
import { parse, parseBool, type CliIo, type Options } from './args.js';

export const LIST_HELP = `Usage: bakery list
       bakery list <recipe> [--latest true] [recipe options]

Without a recipe: the recipes "bakery create" can build. With one: the versions it can build,
newest first; --latest true prints only the newest patch of each supported minor.

  bakery list kubernetes --latest true
  bakery list kubernetes --k8s-base-url ./mirror/k8s
`;

export async function runList(args: string[], io: CliIo): Promise<number> {
  const options: Options = { latest: { type: 'string' } };
  for (const r of RECIPES) for (const [k, o] of Object.entries(r.options)) options[k] = { type: o.type };
  const { values, positionals } = parse(args, options);
  if (values.help === true) {
    io.stdout.write(LIST_HELP);
    return 0;
  }
  if (positionals.length === 0) {
    for (const r of RECIPES) io.stdout.write(`${r.name.padEnd(12)} ${r.description} (${r.architectures.join(', ')})\n`);
    return 0;
  }
  if (positionals.length > 1) throw new SysextError('USAGE', 'list takes at most one recipe');
  const recipe = findRecipe(positionals[0]!);
  const recipeValues: Record<string, string | boolean | undefined> = {};
  for (const k of Object.keys(recipe.options)) recipeValues[k] = values[k] as string | boolean | undefined;
  const versions = await recipe.listVersions({ latest: parseBool(values.latest as string | undefined, 'latest', false), options: recipeValues, signal: io.signal });
  for (const v of versions) io.stdout.write(`${v}\n`);
  return 0;
}
