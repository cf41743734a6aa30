// Host harness for generated code. Build with the model's header forced in
// and its name given: g++ -include kws.h -DMODEL=kws harness.cpp kws.cpp
// Usage: harness input.bin output.bin
#include <cstdio>
#include <vector>

#define TP_CAT2(a, b) a##b
#define TP_CAT(a, b) TP_CAT2(a, b)

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s input.bin output.bin\n", argv[0]);
    return 2;
  }
  std::vector<unsigned char> in(TP_CAT(MODEL, _INPUT_BYTES));
  std::vector<unsigned char> out(TP_CAT(MODEL, _OUTPUT_BYTES));
  std::FILE *f = std::fopen(argv[1], "rb");
  if (!f || std::fread(in.data(), 1, in.size(), f) != in.size()) {
    std::fprintf(stderr, "cannot read %zu bytes from %s\n", in.size(), argv[1]);
    return 1;
  }
  std::fclose(f);
  if (TP_CAT(MODEL, _invoke)(in.data(), out.data()) != 0)
    return 1;
  f = std::fopen(argv[2], "wb");
  if (!f || std::fwrite(out.data(), 1, out.size(), f) != out.size())
    return 1;
  std::fclose(f);
  return 0;
}
