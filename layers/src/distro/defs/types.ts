export type ImageTypeDef = any;
export type DefaultRepository = any;
