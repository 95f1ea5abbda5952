// Starts the page: decodes the inlined WebAssembly, compiles it once, starts the Yew app and
// hands the compiled module to the engine's Web Workers. No network: the module comes from this
// page's own script, and the workers are made from a Blob of this page's own source.
// The build writes WORKER_BOOT (worker-boot.js) and ENGINE_GLUE (wasm-bindgen's glue) above.
(async () => {
  "use strict";
  const status = document.getElementById("boot-status");
  try {
    const text = atob(self.TELLTALE_WASM);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    const module = await WebAssembly.compile(bytes);
    await wasm_bindgen({ module_or_path: module });
    // The workers get the engine's glue from this page (ENGINE_GLUE, written in by the build),
    // never from the server: engines started after the network went away still start.
    const workerUrl = URL.createObjectURL(
      new Blob([ENGINE_GLUE, "\n", WORKER_BOOT], { type: "text/javascript" }),
    );
    wasm_bindgen.start_app(module, workerUrl);
  } catch (error) {
    if (status) status.textContent = "Telltale could not start: " + error;
  }
})();
