// CRC-32C with the SSE 4.2 crc32 instruction, when the processor has it.
#ifndef SQUEEZE_CCRC32C_H
#define SQUEEZE_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

// Whether squeeze_crc32c_hardware may be called (SSE 4.2 present).
int squeeze_crc32c_available(void);

// Continues the raw (not pre- or post-inverted) CRC-32C register `crc` over
// `count` bytes; callers invert before and after, as the standard CRC does.
uint32_t squeeze_crc32c_hardware(uint32_t crc, const void *bytes, size_t count);

#endif
