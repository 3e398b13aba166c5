// Every generic fitness check in one call: what a design's tests assert first.
import type { Model } from "./types.ts";
import { checkBoundaries, checkCardData, checkDerivedStores, checkFailureModes, checkLabels, checkOwnership, checkReferences, checkStores, checkViews } from "./fitness.ts";
import { checkMessages, checkOutbox, checkRegionPinning, checkStepRules } from "./flows.ts";
import { checkCosts, checkDataMasters, checkDeploymentViews } from "./plan.ts";

/**
 * Runs every generic check (not the design-specific ones that need arguments) and returns all problems.
 * @example checkModel(model) // []
 */
export function checkModel(model: Model): string[] {
  return [
    ...checkReferences(model),
    ...checkLabels(model),
    ...checkStores(model),
    ...checkViews(model),
    ...checkOwnership(model),
    ...checkCardData(model),
    ...checkDerivedStores(model),
    ...checkBoundaries(model),
    ...checkFailureModes(model),
    ...checkStepRules(model),
    ...checkRegionPinning(model),
    ...checkOutbox(model),
    ...checkMessages(model),
    ...checkDataMasters(model),
    ...checkCosts(model),
    ...checkDeploymentViews(model),
  ];
}
