// @hostmirror/mirror — the public API. Each part has its own index; add new parts (the boot
// sequence: `./boot/index.ts`) as one more line here.

export * from './boot/index.ts';
export * from './check/index.ts';
export * from './formats/index.ts';
