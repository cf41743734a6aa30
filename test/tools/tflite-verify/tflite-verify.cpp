//===- tflite-verify.cpp - Verify a .tflite file against our schema -------===//
//
//   tflite-verify MODEL.tflite
//
// Runs the FlatBuffers verifier generated from lib/Import/tflite.fbs on the
// whole file (offsets, vector bounds, nested tables, the "TFL3" file
// identifier) and checks that every constant buffer is 16-byte aligned, as
// TFLite Micro expects. Prints "MODEL: ok: N operators, T tensors,
// B buffers, K bytes of constants" and exits 0, or prints one error line
// and exits 1.
//
//===----------------------------------------------------------------------===//

#include "tflite_generated.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tflite-verify MODEL.tflite\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: error: cannot open the file\n", argv[1]);
    return 1;
  }
  std::vector<char> raw((std::istreambuf_iterator<char>(in)),
                        std::istreambuf_iterator<char>());
  // The verifier wants the buffer aligned as the builder wrote it.
  std::vector<uint64_t> storage((raw.size() + 7) / 8);
  auto *bytes = reinterpret_cast<uint8_t *>(storage.data());
  std::copy(raw.begin(), raw.end(), bytes);
  flatbuffers::Verifier verifier(bytes, raw.size());
  if (!tflite::VerifyModelBuffer(verifier)) {
    std::fprintf(stderr, "%s: error: fails the FlatBuffers verifier\n",
                 argv[1]);
    return 1;
  }
  const tflite::Model *model = tflite::GetModel(bytes);
  size_t ops = 0, tensors = 0;
  if (model->subgraphs())
    for (const tflite::SubGraph *sg : *model->subgraphs()) {
      ops += sg->operators() ? sg->operators()->size() : 0;
      tensors += sg->tensors() ? sg->tensors()->size() : 0;
    }
  size_t buffers = model->buffers() ? model->buffers()->size() : 0;
  size_t constantBytes = 0;
  if (model->buffers())
    for (size_t i = 0; i < buffers; ++i) {
      const auto *data = model->buffers()->Get(i)->data();
      constantBytes += data ? data->size() : 0;
      if (data && data->size() && (data->data() - bytes) % 16 != 0) {
        std::fprintf(stderr, "%s: error: buffer %zu is not 16-byte aligned\n",
                     argv[1], i);
        return 1;
      }
    }
  std::printf("%s: ok: %zu operators, %zu tensors, %zu buffers, %zu bytes of "
              "constants\n",
              argv[1], ops, tensors, buffers, constantBytes);
  return 0;
}
