//===- OutOfMemory.h - One line when memory runs out ------------*- C++ -*-===//
//
// A tool that runs out of memory (an absurd model or data set, a ulimit)
// prints one line, "<tool>: error: out of memory ...", removes its
// temporary outputs and exits with status 1, instead of LLVM's "LLVM
// ERROR: out of memory" and a stack dump.
//
//===----------------------------------------------------------------------===//

#ifndef TINYPRUNE_SUPPORT_OUTOFMEMORY_H
#define TINYPRUNE_SUPPORT_OUTOFMEMORY_H

namespace tinyprune {

/// Installs the handler for failed `operator new` (std::set_new_handler)
/// and for LLVM's allocation failures (llvm::install_bad_alloc_error_handler).
/// `tool` must outlive the process (a string literal). Call it after
/// llvm::InitLLVM, which installs LLVM's own new handler.
void installOutOfMemoryHandler(const char *tool);

} // namespace tinyprune

#endif // TINYPRUNE_SUPPORT_OUTOFMEMORY_H
