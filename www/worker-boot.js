// Runs in each Web Worker: waits for the page's compiled module, starts the engine, then lets
// the engine answer every message (including any that arrived while it was starting).
const early = [];
self.onmessage = (event) => {
  if (!(event.data && event.data.init)) {
    early.push(event);
    return;
  }
  wasm_bindgen({ module_or_path: event.data.module }).then(
    () => {
      wasm_bindgen.worker_main();
      for (const queued of early.splice(0)) self.onmessage(queued);
    },
    (error) => {
      // Thrown from a timer so that it reaches the page as the worker's error event.
      setTimeout(() => {
        throw new Error("the engine could not start: " + error);
      });
    },
  );
};
