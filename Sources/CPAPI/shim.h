#ifndef CPAPI_SHIM_H
#define CPAPI_SHIM_H
#include <papi.h>

// PAPI_VER_CURRENT is a macro built from a function-like macro, which Swift cannot import.
static inline int cpapi_library_init(void) { return PAPI_library_init(PAPI_VER_CURRENT); }
static inline int cpapi_ver_current(void) { return PAPI_VER_CURRENT; }
// The event-code masks are int-typed casts of unsigned constants; give Swift plain ints.
static inline int cpapi_preset_mask(void) { return PAPI_PRESET_MASK; }
static inline int cpapi_native_mask(void) { return PAPI_NATIVE_MASK; }

#endif
