// Public API of the organisms layer: the tiny models glassbox trains itself (base organism, calibration
// recipes), their on-disk cache, and the pieces they are made of (BPE trainer, packing, plans, evaluation).
export { trainBpe, countWords, DEFAULT_SPECIAL_TOKENS, CHAT_TOKENS, type BpeModel, type BpeTrainOptions } from './bpe.js';
export { writeTokenizer, tokenizerJson, tokenizerConfig, CHATML_TEMPLATE, PLAIN_CHAT_TEMPLATE, type TokenizerFileOptions } from './bpe-files.js';
export { ARCH_PRESETS, llamaConfig, archParams, trainFlopsPerToken, type ArchSize, type ArchSpec, type SpecialIds } from './arch.js';
export { packRows, Mixture, RowCycler, tokenCounts, type PackedRows, type MixtureStream, type MixtureBatch } from './stream.js';
export { StepPlan, Pacer, type PlanSegment, type StepPlanOptions, type PacerOptions } from './plan.js';
export {
  evalWindows, predictedTokens, windowPerplexity, unigramPerplexity, answerMatches, promptIds, greedyRecall, rankedRecall,
  type PerplexityResult, type RecallCell, type RecallReport, type RecallOptions,
} from './evaluate.js';
export {
  ORGANISM_CODE_VERSION, MANIFEST_FILE, organismsDir, canonicalJson, recipeHash, organismPath, readManifest, findOrganism,
  listOrganisms, writeManifest, publishOrganism, stagingDir, type OrganismManifest, type OrganismEntry,
} from './home.js';
export {
  buildBaseOrganism, baseRecipe, factDocuments, DEFAULT_RECIPES,
  type OrganismSize, type BaseRecipe, type RecipeOverrides, type BaseOrganismOptions, type OrganismPhase, type OrganismProgress,
  type BaseOrganismMetrics, type BaseOrganismManifest, type BuiltOrganism,
} from './base.js';
export {
  calibrationSets, compactMessages, formatCompletion, arithmeticReasoning, sftSequence, writeCalibrationSets, DEFAULT_CONFIDENCE,
  type CalibrationFormat, type CalibrationTask, type ConfidenceRule, type TaskItem, type CalibrationExample, type CalibrationSets,
  type CalibrationRecipeOptions,
} from './calibration.js';
