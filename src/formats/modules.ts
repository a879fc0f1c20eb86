import { ArgumentError, PrefixError, WeightsError, formatShape } from '../errors';
import { HostArray } from './hostArray';
import { InferredConfig, inferConfig } from './inferConfig';

/**
 * The modules of a whole model's `state_dict`, told by their keys and shapes. PyTorch names a
 * parameter by its module's attribute path and its own name (`encoder.rnn.weight_ih_l0`,
 * `fc.bias`); the path with its trailing dot is the module's *prefix* here (`encoder.rnn.`,
 * `fc.`; `''` for parameters of the model itself, e.g. a bare `nn.LSTM`'s).
 *
 * Wrappers add a prefix to every key: `nn.DataParallel` and `DistributedDataParallel`
 * `module.`, `torch.compile` `_orig_mod.` (either over the other, any number of times). They
 * are stripped only when *every* key carries them, as wrapping a model does: a model whose own
 * submodule is called `module` next to others keeps its keys. Prefixes are reported and selected
 * without them; a prefix given with them (`module.lstm`) is accepted too.
 */

/** The prefixes wrappers add to every key: `nn.DataParallel`/`DistributedDataParallel`'s and `torch.compile`'s. */
export const WRAPPER_PREFIXES = ['module.', '_orig_mod.'] as const;

/** Anything with a shape: a `HostArray`, a `tf.Tensor`. */
type Shaped = { readonly shape: readonly number[] };

/** A `state_dict` without its wrapper prefixes, and those stripped (outermost first). */
export interface UnwrappedStateDict<T> {
  stateDict: Record<string, T>;
  /** e.g. `['module.', '_orig_mod.']` for a compiled model in DataParallel; `[]` when none. */
  wrappers: string[];
}

/**
 * Strips `WRAPPER_PREFIXES` while every key carries the same one (`module.lstm.weight_ih_l0`
 * → `lstm.weight_ih_l0`); a dict with a key without it is returned as it is. Keys keep their order.
 */
export function stripWrapperPrefixes<T>(stateDict: Record<string, T>): UnwrappedStateDict<T> {
  let entries = Object.entries(stateDict);
  const wrappers: string[] = [];
  for (;;) {
    const wrapper = WRAPPER_PREFIXES.find((prefix) => entries.length > 0 && entries.every(([key]) => key.startsWith(prefix) && key.length > prefix.length));
    if (wrapper === undefined) return { stateDict: Object.fromEntries(entries), wrappers };
    wrappers.push(wrapper);
    entries = entries.map(([key, value]) => [key.slice(wrapper.length), value]);
  }
}

/** A recurrent module found in a `state_dict`: its prefix and what its keys and shapes say (`inferConfig`). */
export interface RecurrentModule extends InferredConfig {
  /** `lstm.`, `encoder.rnn.`, or `''` for a bare `nn.RNN`/`nn.LSTM`/`nn.GRU`'s state_dict. */
  prefix: string;
}

/** What the keys and shapes of a module that is not recurrent suggest it is. */
export type OtherModuleKind =
  /** `weight` `[out, in]` and `bias` `[out]`. */
  | 'Linear'
  /** `weight` `[V, E]` alone: an `nn.Embedding(V, E)` or an `nn.Linear(E, V, bias=False)`; the shapes cannot tell. */
  | 'Embedding or Linear'
  /** `weight` `[F]` (and `bias` `[F]`): an `nn.LayerNorm(F)`. */
  | 'LayerNorm'
  | 'unknown';

/** A module that is not recurrent: its prefix, its parameters' shapes, and what they suggest. */
export interface OtherModule {
  /** `fc.`, `embedding.`, `''` for parameters of the model itself. */
  prefix: string;
  kind: OtherModuleKind;
  /** Each parameter's name in the module (`weight`, `bias`) and shape, in the state_dict's order. */
  shapes: Record<string, number[]>;
}

/** A recurrent module's parameter names: `weight_ih_l0`, `bias_hh_l1_reverse`, `weight_hr_l0`. */
const RECURRENT_PARAMETER = /^(weight|bias)_(ih|hh|hr)_l\d+(_reverse)?$/;

/** The prefix of a key's module: everything up to its last dot (`encoder.rnn.weight_ih_l0` → `encoder.rnn.`). */
function modulePrefixOf(key: string): string {
  return key.slice(0, key.lastIndexOf('.') + 1);
}

/** The parameters of `prefix`'s own module (not its submodules'), by their names in it, in the state_dict's order. */
function ownParameters<T>(stateDict: Record<string, T>, prefix: string): [string, T][] {
  return Object.entries(stateDict).flatMap(([key, value]) => (modulePrefixOf(key) === prefix ? [[key.slice(prefix.length), value] as [string, T]] : []));
}

/** The prefixes of the recurrent modules: those with a `weight_ih_l0`, in the state_dict's order. */
function recurrentPrefixes(stateDict: Record<string, unknown>): string[] {
  return Object.keys(stateDict).flatMap((key) => (key.endsWith('weight_ih_l0') && RECURRENT_PARAMETER.test(key.slice(modulePrefixOf(key).length)) ? [modulePrefixOf(key)] : []));
}

/**
 * The parameters of the recurrent module at `prefix`, by their names in it: all its own keys
 * (not its submodules'), so that one an `nn.RNN`/`nn.LSTM`/`nn.GRU` does not have is reported as
 * `load_state_dict` reports it, unexpected.
 */
function recurrentParameters<T>(stateDict: Record<string, T>, prefix: string): Record<string, T> {
  return Object.fromEntries(ownParameters(stateDict, prefix));
}

/** `inferConfig` of the recurrent module at `prefix`, its problems named by their full keys. */
function inferModule(stateDict: Record<string, HostArray>, prefix: string): RecurrentModule {
  try {
    return { prefix, ...inferConfig(recurrentParameters(stateDict, prefix)) };
  } catch (error) {
    if (error instanceof WeightsError && prefix !== '') throw new WeightsError(error.problems.map((problem) => `${prefix}: ${problem}`));
    throw error;
  }
}

/**
 * Every recurrent module of a `state_dict` (wrapper prefixes stripped first, see
 * `stripWrapperPrefixes`), in the order of its keys: each prefix with a `weight_ih_l0`, and
 * what `inferConfig` reads off its `weight_*`/`bias_*` keys (mode, sizes, layers, directions,
 * bias, projSize). A recurrent module whose own keys do not make a valid one (missing,
 * misshaped or unexpected keys) is a `WeightsError` naming the keys with their prefix.
 */
export function findRecurrentModules(stateDict: Record<string, HostArray>): RecurrentModule[] {
  const unwrapped = stripWrapperPrefixes(stateDict).stateDict;
  return recurrentPrefixes(unwrapped).map((prefix) => inferModule(unwrapped, prefix));
}

/** What the parameters of a module that is not recurrent suggest it is. */
function kindOf(shapes: Record<string, number[]>): OtherModuleKind {
  const { weight, bias, ...rest } = shapes;
  if (weight === undefined || Object.keys(rest).length > 0) return 'unknown';
  if (weight.length === 2 && bias === undefined) return 'Embedding or Linear';
  if (weight.length === 2 && bias.length === 1 && bias[0] === weight[0]) return 'Linear';
  if (weight.length === 1 && (bias === undefined || (bias.length === 1 && bias[0] === weight[0]))) return 'LayerNorm';
  return 'unknown';
}

/**
 * The modules of a `state_dict` (wrapper prefixes stripped) that are not recurrent, by prefix
 * in the order of their first key, with their parameters' shapes and what they suggest
 * (`OtherModuleKind`).
 */
export function findOtherModules(stateDict: Record<string, Shaped>): OtherModule[] {
  const unwrapped = stripWrapperPrefixes(stateDict).stateDict;
  const recurrent = new Set(recurrentPrefixes(unwrapped));
  const modules = new Map<string, Record<string, number[]>>();
  for (const [key, { shape }] of Object.entries(unwrapped)) {
    const prefix = modulePrefixOf(key);
    const name = key.slice(prefix.length);
    if (recurrent.has(prefix)) continue;
    modules.set(prefix, { ...modules.get(prefix), [name]: [...shape] });
  }
  return [...modules].map(([prefix, shapes]) => ({ prefix, kind: kindOf(shapes), shapes }));
}

/** A module as a line of a listing: `lstm.: nn.LSTM(input_size=16, hidden_size=32, …)`, `fc.: Linear weight [5, 32], bias [5]`. */
export function describeModule(module: RecurrentModule | OtherModule): string {
  const name = module.prefix === '' ? "'' (the model itself)" : `'${module.prefix}'`;
  if (!('kind' in module)) {
    const { prefix: _, mode, inputSize, hiddenSize, projSize, numLayers, bidirectional, bias } = module;
    const projection = mode === 'LSTM' ? `, proj_size=${projSize}` : '';
    return `${name}: nn.${mode}(input_size=${inputSize}, hidden_size=${hiddenSize}, num_layers=${numLayers}, bidirectional=${bidirectional ? 'True' : 'False'}, bias=${bias ? 'True' : 'False'}${projection})`;
  }
  const shapes = Object.entries(module.shapes).map(([parameter, shape]) => `${parameter} ${formatShape(shape)}`);
  return `${name}: ${module.kind === 'unknown' ? 'other' : module.kind} ${shapes.join(', ')}`;
}

/** `prefix` as a module prefix: `''` stays, anything else ends in exactly one dot (`lstm` and `lstm.` → `lstm.`). */
export function normalizePrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('.') ? prefix : `${prefix}.`;
}

function checkPrefixType(prefix: unknown, argument: string): asserts prefix is string {
  if (typeof prefix !== 'string') throw new ArgumentError(argument, "a module prefix: a string such as 'lstm.' or 'encoder.rnn' ('' for the model itself)", `${prefix === null ? 'null' : typeof prefix}`);
}

/** `prefix` (normalized) without those of the wrappers stripped from the keys that it starts with, in their order (`module.lstm.` → `lstm.`). */
function withoutWrappers(prefix: string, wrappers: string[]): string {
  return wrappers.reduce((rest, wrapper) => (rest.startsWith(wrapper) ? rest.slice(wrapper.length) : rest), prefix);
}

/** A prefix list for messages: `'lstm.', 'fc.'`. */
function listPrefixes(prefixes: string[]): string {
  return prefixes.map((prefix) => `'${prefix}'`).join(', ');
}

/**
 * The parameters of the module at `prefix` (with or without its trailing dot; wrapper
 * prefixes stripped from the keys, and from `prefix` when it starts with them), with the prefix
 * removed from their keys, as that module's own `state_dict()` names them: `selectModule(sd,
 * 'encoder')` gives `{'rnn.weight_ih_l0': …, 'embedding.weight': …}`. `''` selects the whole
 * (unwrapped) state_dict. A prefix no key starts with is a `PrefixError` listing the prefixes
 * of the modules there are. `argument` names the prefix in errors.
 */
export function selectModule<T>(stateDict: Record<string, T>, prefix: string, argument = 'prefix'): Record<string, T> {
  checkPrefixType(prefix, argument);
  const { stateDict: unwrapped, wrappers } = stripWrapperPrefixes(stateDict);
  const wanted = withoutWrappers(normalizePrefix(prefix), wrappers);
  const selected = Object.entries(unwrapped).flatMap(([key, value]) => (key.startsWith(wanted) ? [[key.slice(wanted.length), value] as [string, T]] : []));
  if (selected.length === 0) {
    const prefixes = [...new Set(Object.keys(unwrapped).map(modulePrefixOf))];
    throw new PrefixError(argument, `the prefix of a module of the state_dict: ${listPrefixes(prefixes)}`, `'${prefix}'`, prefixes);
  }
  return Object.fromEntries(selected);
}

/** A recurrent module chosen from a `state_dict`: what it is, and its parameters under their own names (`weight_ih_l0`). */
export interface SelectedRecurrentModule {
  module: RecurrentModule;
  tensors: Record<string, HostArray>;
}

/**
 * The recurrent module of a `state_dict` at `prefix` (see `selectModule`), or when `prefix` is
 * undefined the only one there is. A prefix that names no recurrent module, or none given when
 * there are several (or none), is a `PrefixError` listing them, whose argument is `argument`
 * (`prefix`; the CLI's `--prefix`). The module's own parameters are returned, not its submodules'.
 */
export function selectRecurrentModule(stateDict: Record<string, HostArray>, prefix?: string, argument = 'prefix'): SelectedRecurrentModule {
  const { stateDict: unwrapped, wrappers } = stripWrapperPrefixes(stateDict);
  const found = recurrentPrefixes(unwrapped);
  const listed = found.length === 0 ? 'none' : listPrefixes(found);
  let chosen: string;
  if (prefix === undefined) {
    if (found.length !== 1) {
      const others = [...new Set(Object.keys(unwrapped).map(modulePrefixOf))].filter((other) => !found.includes(other));
      const actual = found.length === 0
        ? `a state_dict without one (no key ends in weight_ih_l0; modules: ${listPrefixes(others)})`
        : `${found.length} recurrent modules, ${listed}: choose one with ${argument}`;
      throw new PrefixError(argument, 'a state_dict with one nn.RNN, nn.LSTM or nn.GRU', actual, found);
    }
    chosen = found[0];
  } else {
    checkPrefixType(prefix, argument);
    chosen = withoutWrappers(normalizePrefix(prefix), wrappers);
    if (!found.includes(chosen)) {
      throw new PrefixError(argument, `the prefix of a recurrent module of the state_dict: ${listed}`, `'${prefix}'`, found);
    }
  }
  return { module: inferModule(unwrapped, chosen), tensors: recurrentParameters(unwrapped, chosen) };
}

/**
 * The library's choice of a module, as `loadStateDict` and `parseStateDict` make it: with
 * `prefix`, the module there (`selectModule`: any module, `''` the whole unwrapped
 * state_dict); without, the only recurrent module when there is one, the state_dict as it is
 * when there is none, and a `PrefixError` listing them when there are several.
 */
export function chooseModule(stateDict: Record<string, HostArray>, prefix: string | undefined): Record<string, HostArray> {
  if (prefix !== undefined) return selectModule(stateDict, prefix);
  if (recurrentPrefixes(stripWrapperPrefixes(stateDict).stateDict).length === 0) return stateDict;
  return selectRecurrentModule(stateDict).tensors;
}
