#ifndef CHWLOC_SHIM_H
#define CHWLOC_SHIM_H
// hwloc's API imports into Swift as is (its static inline helpers included); nothing to wrap yet.
#include <hwloc.h>
#endif
