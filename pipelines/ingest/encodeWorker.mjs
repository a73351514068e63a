// Entry of an encoding worker thread. Worker threads do not get the TypeScript loader a hub
// process was started with (`--import tsx`), so it is registered here when the worker cannot load
// a .ts file by itself.
try {
  await import('./encodeWorker.ts');
} catch (err) {
  if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  const { register } = await import('tsx/esm/api');
  register();
  // Another URL: the failed import above stays cached under the first one.
  await import('./encodeWorker.ts?tsx');
}
