#pragma once
// CRC-32C (Castagnoli), the checksum of WAL records and chunk records (docs/STORAGE.md).
// SSE4.2 crc32 instruction when the CPU has it, else software slice-by-8. Thread-safe (pure functions).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace foresight::storage::tsdb {

// Extends `crc` (0 for a fresh checksum) over `data`.
uint32_t Crc32c(uint32_t crc, const void* data, size_t n);
inline uint32_t Crc32c(std::string_view data) { return Crc32c(0, data.data(), data.size()); }

}  // namespace foresight::storage::tsdb
