// MCU harness: reads MODEL's input from the host file MCU_INPUT (a string),
// runs one inference, writes the output to MCU_OUTPUT (both through
// semihosting). The noinline marker brackets the inference so that an
// instruction-counting QEMU plugin can measure exactly one invoke.
#include <cstdio>

#define TP_CAT2(a, b) a##b
#define TP_CAT(a, b) TP_CAT2(a, b)

static unsigned char input[TP_CAT(MODEL, _INPUT_BYTES)];
static unsigned char output[TP_CAT(MODEL, _OUTPUT_BYTES)];

/// Called right before and right after the inference: the difference of the
/// two instruction counts at its address is one invoke.
extern "C" __attribute__((noinline)) void tinyprune_mark() {
  __asm volatile("" ::: "memory");
}

/// Paints `kPaintBytes` of stack below the caller's frame; stackUsed() then
/// finds how deep the inference wrote (the high-water mark).
static constexpr unsigned kPaintBytes = 64 * 1024;
static constexpr unsigned char kPaint = 0xA5;

__attribute__((noinline)) static unsigned char *paintStack() {
  unsigned char *top = static_cast<unsigned char *>(__builtin_frame_address(0));
  unsigned char *bottom = top - kPaintBytes;
  for (unsigned char *p = bottom; p < top - 256; ++p)
    *const_cast<volatile unsigned char *>(p) = kPaint;
  return top;
}

static unsigned stackUsed(unsigned char *top) {
  unsigned char *p = top - kPaintBytes;
  while (p < top && *const_cast<volatile unsigned char *>(p) == kPaint)
    ++p;
  return static_cast<unsigned>(top - p);
}

int main() {
  std::FILE *f = std::fopen(MCU_INPUT, "rb");
  if (!f || std::fread(input, 1, sizeof(input), f) != sizeof(input))
    return 1;
  std::fclose(f);
  unsigned char *top = paintStack();
  tinyprune_mark();
  int status = TP_CAT(MODEL, _invoke)(input, output);
  tinyprune_mark();
  std::printf("stack %u\n", stackUsed(top));
  if (status != 0)
    return 2;
  f = std::fopen(MCU_OUTPUT, "wb");
  if (!f || std::fwrite(output, 1, sizeof(output), f) != sizeof(output))
    return 4;
  std::fclose(f);
  return 0;
}
