// The memory behind tensors: aligned, zero-padded to whole cache lines, and for large tensors
// backed by 2 MiB pages where Linux offers them.
//
// Why huge pages: a model's weights are large fresh buffers (the import reads ResNet50's
// 98 MiB into one set, folding BatchNorm makes another, oneDNN's layouts a third), and the
// first touch of each 4 KiB page is a page fault. On the virtual machines inference often runs
// on, faulting 100 MiB in 4 KiB pages costs about 100 ms, in 2 MiB pages about 20 ms: the
// difference is most of a model's compile time. Transparent huge pages are only a hint
// (madvise); where the kernel declines, the memory is ordinary and nothing else changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "error.hpp"

namespace kiln {

constexpr std::size_t kTensorAlignment = 64;
// No single tensor may exceed 1 TiB. Far beyond any real model, it turns a hostile shape into a
// clear error even where the allocator would rather abort than fail (sanitizers, overcommit).
constexpr std::size_t kMaxTensorBytes = std::size_t{1} << 40;
// Tensors at least this large start on a 2 MiB boundary and ask for huge pages.
constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

namespace storage_detail {

inline void advise_huge_pages([[maybe_unused]] void* p, [[maybe_unused]] std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  madvise(p, bytes, MADV_HUGEPAGE);  // a hint: failure leaves ordinary pages
#endif
}

}  // namespace storage_detail

// `bytes` of storage, rounded up to whole cache lines so that vector loops may read a whole
// last line; the padding is zeroed, and so is everything when `zero` is set.
inline std::shared_ptr<std::byte> allocate_tensor_storage(std::size_t bytes, bool zero = true) {
  if (bytes > kMaxTensorBytes) {
    throw Error(Errc::limit_exceeded, "tensor larger than Kiln's 1 TiB limit")
        .found(std::to_string(bytes) + " bytes");
  }
  const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + kTensorAlignment - 1) /
                              kTensorAlignment * kTensorAlignment;
  // Only the start moves to a huge page's boundary: the size stays, and a last partial huge
  // page simply stays in ordinary pages.
  const bool huge = bytes >= kHugePageBytes;
  const std::size_t alignment = huge ? kHugePageBytes : kTensorAlignment;
  void* p = nullptr;
  try {
    p = ::operator new(rounded, std::align_val_t(alignment));
  } catch (const std::bad_alloc&) {
    throw Error(Errc::limit_exceeded, "cannot allocate tensor storage")
        .found(std::to_string(bytes) + " bytes");
  }
  if (huge) storage_detail::advise_huge_pages(p, rounded);  // before the first touch
  if (zero) {
    std::memset(p, 0, rounded);
  } else {
    std::memset(static_cast<std::byte*>(p) + bytes, 0, rounded - bytes);
  }
  return std::shared_ptr<std::byte>(static_cast<std::byte*>(p), [alignment](std::byte* q) {
    ::operator delete(q, std::align_val_t(alignment));
  });
}

}  // namespace kiln
