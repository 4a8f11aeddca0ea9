// Public surface of the policy engine.
export { PolicyEngine, initPolicy, combine } from './engine.js';
export { analyze, type AnalyzedStatement, type FullAnalysis } from './analyze.js';
export { classifyFunction, CATALOG } from '../sql/functions.js';
export * from '../domain/decision.js';
