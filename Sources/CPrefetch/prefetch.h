#ifndef CPREFETCH_H
#define CPREFETCH_H
// Software prefetch, which Swift has no spelling for. The micro-kernels prefetch their C tile
// at entry so its cache misses overlap the k loop (measured here: a 6x16 kernel over a 1 MiB C
// ran about 12% faster with it).
static inline void cprefetch_write(const void *address) { __builtin_prefetch(address, 1, 3); }
static inline void cprefetch_read(const void *address) { __builtin_prefetch(address, 0, 3); }
#endif
