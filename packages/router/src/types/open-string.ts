/** `string & {}` keeps editor suggestions for the listed values while taking any string. */
export type OpenString<Known extends string> = Known | (string & {});
