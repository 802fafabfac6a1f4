/** Tumour position simulation, texture and handcrafted synthesis (pure; browser and Node alike). */
export * from './sizeClasses.ts';
export * from './ellipsoid.ts';
export * from './elasticDeformation.ts';
export * from './centre.ts';
export * from './gaussianFilter.ts';
export * from './texture.ts';
export * from './positionSimulation.ts';
export * from './handcraftedSynthesis.ts';
export * from './errors.ts';
