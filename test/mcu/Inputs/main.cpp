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

int main() {
  std::FILE *f = std::fopen(MCU_INPUT, "rb");
  if (!f || std::fread(input, 1, sizeof(input), f) != sizeof(input))
    return 1;
  std::fclose(f);
  tinyprune_mark();
  int status = TP_CAT(MODEL, _invoke)(input, output);
  tinyprune_mark();
  if (status != 0)
    return 2;
  f = std::fopen(MCU_OUTPUT, "wb");
  if (!f || std::fwrite(output, 1, sizeof(output), f) != sizeof(output))
    return 4;
  std::fclose(f);
  return 0;
}
