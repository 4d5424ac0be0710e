#ifndef CCPUINFO_H
#define CCPUINFO_H
#include <stdint.h>

/// Runs cpuid(leaf, subleaf) into regs[0..3] = eax, ebx, ecx, edx. Returns 0 when the leaf is
/// beyond the maximum the CPU reports or the machine is not x86.
int ccpuinfo_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/// The value of the XCR0 register (which vector states the OS saves); 0 when not x86 or no OSXSAVE.
uint64_t ccpuinfo_xcr0(void);

#endif
