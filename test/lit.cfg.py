# -*- Python -*-
# lit configuration of the tinyprune test suite.
#
# Tests are .mlir files (run through tinyprune-opt) and .py files: a .py test
# builds its own TFLite models with utils/tflgen.py, so the model a test
# imports sits next to the IR it expects.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "tinyprune"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".py", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tinyprune_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.tinyprune_tools_dir,
                             append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PYTHONPATH",
                             os.path.join(config.tinyprune_src_root, "utils"),
                             append_path=True)
llvm_config.with_environment("FLATC", config.flatc)
# Sanitizer builds link an uninstrumented libMLIR.so: leaks inside it are not
# ours to fix, and LLVM's own allocators trip the leak checker.
llvm_config.with_environment("ASAN_OPTIONS", "detect_leaks=0")
llvm_config.with_environment("UBSAN_OPTIONS", "print_stacktrace=1")

config.substitutions.append(("%python", config.host_python))
# Generated code must build warning-free as standalone C++17.
config.substitutions.append(("%host_cxx",
                             "g++ -std=c++17 -O2 -Wall -Wextra -Werror"))
config.substitutions.append(("%tflgen", config.host_python + " " +
                             os.path.join(config.tinyprune_src_root,
                                          "utils", "tflgen.py")))
# `%expect_exit 1 CMD...` succeeds only if CMD exits with exactly 1.
config.substitutions.append(("%expect_exit", config.host_python + " " +
                             os.path.join(config.tinyprune_src_root,
                                          "utils", "expect_exit.py")))
# The shared MLPerf Tiny models live next to the project when available.
shared = os.path.normpath(os.path.join(config.tinyprune_src_root, "..",
                                       "shared", "models", "mlperf-tiny"))
if os.path.isdir(shared):
    config.available_features.add("mlperf-models")
    config.substitutions.append(("%mlperf", shared))
# Cortex-M builds under QEMU (test/mcu).
import shutil
if shutil.which("arm-none-eabi-g++") and shutil.which("qemu-system-arm"):
    config.available_features.add("arm-mcu")
# The instruction-counting QEMU plugin of the shared MCU kit.
mcu_kit = os.path.normpath(os.path.join(config.tinyprune_src_root, "..",
                                        "shared", "mcu-kit"))
if os.path.exists(os.path.join(mcu_kit, "insncount.c")):
    config.available_features.add("mcu-kit")
    config.substitutions.append(("%mcukit", mcu_kit))
# Arm NN's CpuRef backend as an independent oracle (test/tools/armnn-run).
if getattr(config, "tinyprune_have_armnn", "OFF").upper() in (
        "ON", "1", "TRUE", "YES") and os.path.exists(
        os.path.join(config.tinyprune_tools_dir, "armnn-run")):
    config.available_features.add("armnn")
if config.sanitizers.upper() in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("sanitizers")
# The fixture models' test data (scripts/fetch-data.sh).
fixture_data = os.environ.get("TINYPRUNE_DATA") or os.path.join(
    os.path.expanduser("~"), ".cache", "tinyprune-data")
if all(os.path.exists(os.path.join(fixture_data, d, "test_x.npy"))
       for d in ("fashion-mnist", "mnist")):
    config.available_features.add("fixture-data")
    config.substitutions.append(("%fixture_data", fixture_data))
# test/install: install the build tree and build an out-of-tree consumer
# against it (cmake and ninja; not under the sanitizers, whose runtime the
# consumer would need too). About two minutes on a loaded 2-core machine.
if shutil.which("cmake") and shutil.which("ninja") and \
        config.sanitizers.upper() not in ("ON", "1", "TRUE", "YES") and \
        config.fuzzer.upper() not in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("install")
    config.substitutions.append(("%tinyprune_build",
                                 config.tinyprune_obj_root))
if config.fuzzer.upper() in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("fuzzer")
# In-compiler training on LibTorch (lib/Training).
if getattr(config, "training", "OFF").upper() in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("training")

config.substitutions.append(("%dialect_doc", config.tinyprune_docs_gen[0]))
config.substitutions.append(("%analysis_passes_doc",
                             config.tinyprune_docs_gen[1]))
config.substitutions.append(("%transforms_passes_doc",
                             config.tinyprune_docs_gen[2]))
config.substitutions.append(("%target_passes_doc",
                             config.tinyprune_docs_gen[3]))
config.substitutions.append(("%docs", os.path.join(config.tinyprune_src_root,
                                                   "docs")))

tools = ["tinyprune", "tinyprune-opt", "tinyprune-translate", "tflite-verify"]
if "armnn" in config.available_features:
    tools.append("armnn-run")
llvm_config.add_tool_substitutions(tools, [config.tinyprune_tools_dir])
