//===- OutOfMemory.cpp - One line when memory runs out --------------------===//
//
// See include/tinyprune/Support/OutOfMemory.h. The handler allocates
// nothing: it writes a fixed message with write(2), runs the interrupt
// handlers (which remove the temporary files of OutputFile) and leaves
// with _exit, as no destructor can be trusted once memory is gone.
//
//===----------------------------------------------------------------------===//

#include "tinyprune/Support/OutOfMemory.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/Signals.h"

#include <cstring>
#include <new>
#include <unistd.h>

static const char *toolName = "tinyprune";

[[noreturn]] static void outOfMemory() {
  static const char message[] =
      ": error: out of memory (the input needs more memory than the "
      "process may use)\n";
  // The return values are ignored: there is nothing left to report to.
  (void)!::write(2, toolName, std::strlen(toolName));
  (void)!::write(2, message, sizeof(message) - 1);
  llvm::sys::RunInterruptHandlers();
  ::_exit(1);
}

static void badAllocHandler(void *, const char *, bool) { outOfMemory(); }

void tinyprune::installOutOfMemoryHandler(const char *tool) {
  toolName = tool;
  std::set_new_handler(outOfMemory);
  llvm::install_bad_alloc_error_handler(badAllocHandler);
}
