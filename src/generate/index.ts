export { generate, generateIds, checkGenerateOptions, GenerateOptions, CheckedGenerateOptions } from './generate';
export { LanguageModelSteps, WholeModelLayers, languageModelHead } from './languageModel';
export { TokenChoice, argmax, chooseToken, topKIds } from './sampling';
export { philox4x32, uniformAt } from './philox';
