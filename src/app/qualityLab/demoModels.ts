/** The bundled demo models, relative to the app's base URL (fetched by the lab and the reader study). Page-safe: no tfjs. */
export const DEMO_MODELS = {
  generator: 'models/demo-generator.safetensors',
  segmentor: 'models/demo-segmentor.safetensors',
} as const;
