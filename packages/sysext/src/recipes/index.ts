import { SysextError } from '../errors.js';
import { kubernetesRecipe } from './kubernetes.js';
import type { Recipe } from './recipe.js';

export type { Recipe, RecipeBuild, RecipeBuildOptions, RecipeOption, RecipeOptionValues, ProgressEvent } from './recipe.js';
export { kubernetesRecipe, minorSeries } from './kubernetes.js';

/** Every built-in recipe, by name. Adding one (containerd, etcd, crictl) is a module plus a line here. */
export const RECIPES: readonly Recipe[] = [kubernetesRecipe];

export function findRecipe(name: string): Recipe {
  const recipe = RECIPES.find((r) => r.name === name);
  if (recipe === undefined) {
    throw new SysextError('UNKNOWN_RECIPE', `no recipe named ${JSON.stringify(name)}; known recipes: ${RECIPES.map((r) => r.name).join(', ')} (or give a directory: bakery create ./my-tree --name NAME)`);
  }
  return recipe;
}
