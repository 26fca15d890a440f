// The stage library: one small typed constructor per osbuild stage the generator emits.
export * from './rpm.ts';
export * from './system.ts';
export * from './boot.ts';
export * from './cloud.ts';
export * from './files.ts';
export * from './image.ts';
