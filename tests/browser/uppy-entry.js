// What a web app imports from npm; esbuild bundles it for the test page (run.mjs).
export { default as Uppy } from "@uppy/core";
export { default as Tus } from "@uppy/tus";
