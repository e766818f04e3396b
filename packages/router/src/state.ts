// The routing-state contract lives in core, beside the other contracts, so that a shared store
// (@llmcache/redis) implements it without depending on the router.
export { MemoryRouterState, type MinuteUsage, type RouterState } from '@llmcache/core';
