// Class-balanced, seeded subsets of a split: the bundled 5,000/1,000 images, and the held-out part of a dropped file.
import { DatasetError, NUM_CLASSES } from './cifar';
import { deriveSeed, mulberry32, permutation } from '../util/random';

/** Indices of each class, in file order. */
function indicesByClass(labels: Uint8Array, numClasses: number): number[][] {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  return byClass;
}

/** Each class's indices in a seeded random order (one independent stream per class). */
function shuffledByClass(labels: Uint8Array, seed: number, numClasses: number): number[][] {
  return indicesByClass(labels, numClasses).map((ids, c) => {
    const order = permutation(ids.length, mulberry32(deriveSeed(seed, `subset/class-${c}`)));
    return Array.from(order, (k) => ids[k]);
  });
}

/**
 * `perClass` images of every class, drawn at random with `seed`, returned in ascending file order (the files are
 * already in random order, so keeping it keeps the subset's first images a mix of classes).
 */
export function balancedSubset(
  labels: Uint8Array,
  perClass: number,
  seed: number,
  numClasses = NUM_CLASSES,
): Int32Array {
  const byClass = shuffledByClass(labels, seed, numClasses);
  const picked: number[] = [];
  byClass.forEach((ids, c) => {
    if (ids.length < perClass) {
      throw new DatasetError(`class ${c} has ${ids.length} images, fewer than the ${perClass} asked for`);
    }
    picked.push(...ids.slice(0, perClass));
  });
  return Int32Array.from(picked).sort();
}

/**
 * Splits a split into two class-balanced parts: about `heldOutFraction` of each class goes to `heldOut`,
 * the rest to `kept` (used when a single .bin file is dropped and must serve as both training and test data).
 */
export function balancedSplit(
  labels: Uint8Array,
  heldOutFraction: number,
  seed: number,
  numClasses = NUM_CLASSES,
): { kept: Int32Array; heldOut: Int32Array } {
  const kept: number[] = [];
  const heldOut: number[] = [];
  for (const ids of shuffledByClass(labels, seed, numClasses)) {
    const n = Math.round(ids.length * heldOutFraction);
    heldOut.push(...ids.slice(0, n));
    kept.push(...ids.slice(n));
  }
  return { kept: Int32Array.from(kept).sort(), heldOut: Int32Array.from(heldOut).sort() };
}
