//===- asan-with-prebuilt-llvm.h - ASan next to an uninstrumented LLVM ----===//
//
// Force-included into every translation unit of sanitizer and fuzzer builds.
//
// LLVM's BumpPtrAllocator (inline, in headers) poisons fresh slabs and
// unpoisons each allocation when the including file is built with ASan.
// Debian's libMLIR.so is not: allocations it makes from the same allocator
// are never unpoisoned, and ASan then reports use-after-poison in code that
// is correct. Making the two hooks no-ops in our files keeps ASan's real
// checks (heap overflows, use-after-free, leaks) and drops the false ones.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_ASAN_WITH_PREBUILT_LLVM_H
#define TINYPRUNE_ASAN_WITH_PREBUILT_LLVM_H

#if defined(__has_include)
#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#define __asan_poison_memory_region(p, size) ((void)(p), (void)(size))
#define __asan_unpoison_memory_region(p, size) ((void)(p), (void)(size))
#endif
#endif

#endif // TINYPRUNE_ASAN_WITH_PREBUILT_LLVM_H
