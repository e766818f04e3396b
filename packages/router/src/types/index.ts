// The public types, by topic: OpenAI's wire shapes (messages, answers), what calls take, what the
// Router takes, and the events it emits.
export type * from './messages';
export type * from './answers';
export type * from './requests';
export type * from './options';
export type * from './events';
