// Starts the page: decodes the inlined WebAssembly, compiles it once, starts the Yew app and
// hands the compiled module to the engine's Web Workers. No network: the module comes from this
// page's own script, and the workers are made from a Blob of this page's own source.
(async () => {
  "use strict";
  const status = document.getElementById("boot-status");
  try {
    const text = atob(self.TELLTALE_WASM);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    const module = await WebAssembly.compile(bytes);
    await wasm_bindgen({ module_or_path: module });
    // The single-file build carries the engine's glue inline; the dist/ build beside the page.
    const glue = document.getElementById("tt-glue");
    const prelude = glue
      ? glue.textContent
      : `importScripts(${JSON.stringify(new URL("telltale.js", document.baseURI).href)});`;
    const workerUrl = URL.createObjectURL(
      new Blob([prelude, "\n", WORKER_BOOT], { type: "text/javascript" }),
    );
    wasm_bindgen.start_app(module, workerUrl);
  } catch (error) {
    if (status) status.textContent = "Telltale could not start: " + error;
  }
})();
